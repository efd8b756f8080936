//! The guarantees that take a real process, proven on the product: `ferry service` (the owner)
//! on a data folder, killed with SIGKILL at any moment and started again, under a wall clock,
//! in a network or on a disk of its own, and `ferry` commands interrupted or given what they
//! must refuse. The owner is watched through its local API; jobs may be written into its store
//! before it starts. Servers, uploads and helpers are the engine tests' own (`tests/engine`),
//! and the owner's harness is `tests/owner/harness.rs`.

// A failing unwrap in a test helper is a failing test, which is what it should be.
#![allow(clippy::unwrap_used)]
#![allow(missing_docs)]

mod allocator;
mod clock;
mod kill_moments;
mod lines;
mod network;
mod queue;
mod restart;
mod runs;
mod service;
mod uploads_restart;

mod integrity {
    mod checksums;
    mod upload_kills;
}

mod trust {
    mod bytes;
    mod commands;
    mod files;
    mod store;
}

#[path = "../engine/bits_server.rs"]
#[allow(dead_code, unused_imports)]
mod bits_server;
#[path = "../engine/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../owner/harness.rs"]
#[allow(dead_code)]
mod owned;
#[path = "../engine/servers/mod.rs"]
#[allow(dead_code, unused_imports)]
mod servers;
#[path = "../engine/acceptance/uploads_support.rs"]
#[allow(dead_code)]
mod uploads_support;
#[path = "../engine/util.rs"]
#[allow(dead_code)]
mod util;
