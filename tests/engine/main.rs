//! The engine's integration tests: one binary, one module per area of the acceptance cases,
//! run against real HTTP servers on 127.0.0.1 and real SQLite files.
