//! # ferry-owner
//!
//! One process owns a data folder's queue: the owner. It holds the folder's lock, runs the
//! engine ([`ferry_engine`]), raises desktop notifications and serves a local API on a
//! Unix-domain socket that only its own user can reach. The window, the tray, the `ferry`
//! command line and the browser hand-off are all clients of that API.
//!
//! ## Layout
//! - [`protocol`]: the wire format (versioned JSON lines): requests, answers, events.
//! - [`server`]: the owner's side: connections, the peer's uid, hostile clients.
//! - [`dispatch`]: one call carried out on the engine.
//! - [`client`]: the client's side: calls matched by id, the event stream.
//! - [`launch`]: finding the owner, starting one in the background when none runs.
//! - [`service`]: the owner process itself (`ferry service`).
//! - [`endpoint`]: where the socket lives and who may use it.
//! - [`frames`]: bounded line framing.
//! - [`settings`], [`notify`], [`job_actions`], [`logging`]: what the owner keeps beside the
//!   engine: the settings file, notifications, multi-step calls, its log.
//! - [`api_error`]: how a failure crosses the API: `{ code, name, message }`.
//! - [`summary`]: the whole queue in one line, for the tray.
//! - [`bulk_text`]: what Pause all, Resume all and Complete all ready say they did.
//! - [`auto_complete`]: downloads that complete by themselves once TRANSFERRED.
//! - [`opening`]: opening a delivered file or its folder; whether a file would run a program.
//! - [`allocator`]: glibc's allocator keeps freed receive buffers for reuse (fewer page faults)
//!   and two arenas (less memory).
//! - [`handoff`]: one URL handed over by the browser or the clipboard becomes a job in the
//!   download folder.

pub mod allocator;
pub mod api_error;
pub mod auto_complete;
pub mod bulk_text;
pub mod client;
pub mod dispatch;
pub mod endpoint;
pub mod fixtures;
pub mod frames;
pub mod handoff;
pub mod i18n;
pub mod job_actions;
pub mod launch;
pub mod logging;
pub mod notify;
pub mod opening;
pub mod protocol;
pub mod server;
pub mod service;
pub mod settings;
pub mod summary;

pub use api_error::ApiError;
pub use client::Client;
pub use protocol::{
    Call, Hello, NewJobRequest, OwnerEvent, OwnerNotice, QuitAnswer, Reply, Request,
    PROTOCOL_VERSION,
};
pub use service::Owner;
pub use settings::{Settings, SettingsFile, Theme};
