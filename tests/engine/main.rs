//! The engine's integration tests: one binary, one module per area of the acceptance cases
//! (`acceptance/`, named after the case numbers of acceptance.md), run against real HTTP
//! servers on 127.0.0.1 (`servers`, and nginx, lighttpd and apache2 from Debian) and real SQLite files.

// A failing unwrap in a test helper is a failing test, which is what it should be.
#![allow(clippy::unwrap_used)]

mod bits_server;
mod bits_server_selftest;
mod bulk;
mod harness;
mod many_files;
mod nginx_downloads;
mod probe;
mod restart;
mod retries;
mod segments;
mod servers;
mod servers_selftest;
mod soak;
mod speed_limit;
mod third_party;
mod util;

mod integrity {
    mod checksums;
    mod servers;
}

mod trust {
    mod bytes;
    mod files;
    mod store;
}

mod acceptance {
    mod a_states;
    mod b_complete;
    mod c_cancel;
    mod d_files;
    mod e_scheduling;
    mod f_errors;
    mod g_events;
    mod h_times;
    mod i_bandwidth;
    mod i_policies;
    mod uploads_cancel;
    mod uploads_complete;
    mod uploads_errors;
    mod uploads_protocol;
    mod uploads_restart;
    pub(crate) mod uploads_support;
}
