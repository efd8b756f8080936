//! Integration tests of the owner process and the `ferry` command line: a real `ferry service`
//! per test (its own data folder and runtime folder), driven through the local API and the
//! `ferry` binary, against the engine tests' real servers on 127.0.0.1.

#![allow(missing_docs)]

mod api;
mod cli;
mod crash;
mod harness;
mod memory;

#[path = "../engine/bits_server.rs"]
#[allow(dead_code, unused_imports)]
mod bits_server;
#[path = "../processes/kill_moments.rs"]
mod kill_moments;
#[path = "../engine/servers/mod.rs"]
#[allow(dead_code, unused_imports)]
mod servers;
#[path = "../engine/util.rs"]
#[allow(dead_code)]
mod util;
