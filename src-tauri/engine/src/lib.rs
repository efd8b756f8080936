//! # ferry-engine
//!
//! Ferry's transfer engine: the job model of Windows BITS (Background Intelligent Transfer
//! Service) on a persistent queue, with HTTP downloads and BITS uploads. It has no user
//! interface and no dependency on the desktop shell; the shell drives it through [`Engine`].
//!
//! ## Layout
//! - [`engine`]: the [`Engine`] handle and the BITS verbs (create, add files, resume, suspend,
//!   complete, cancel, setters, get/list, subscribe).
//! - [`job`]: ids, types, states, priorities, files, progress, times and settings.
//! - [`state`]: the one state machine deciding every transition.
//! - `bulk`: Pause all and Resume all, each one step over the whole queue.
//! - [`retry`]: the wait before a job's next automatic retry (fixed, or a backoff).
//! - [`scheduler`]: priorities, foreground concurrency, background time slices, retry and
//!   no-progress timers.
//! - [`transfer`]: HTTP downloads (ranges, validators, temporary files) and the upload protocol.
//! - [`integrity`]: expected checksums, server digests (RFC 9530, RFC 3230) and the hashers
//!   that compute a file's digests while it is written.
//! - [`probe`]: asking the server about a URL before it is added (name, size, type, resume).
//! - [`file_name`]: the one place a file name Ferry did not get from the user is made safe.
//! - [`handover`]: Complete's renames: never replacing a file by surprise, never a special
//!   file, and safe against a crash between the renames and their commit.
//! - [`store`]: the SQLite job store (WAL, migrations, durable transitions).
//! - `data_lock`: one engine per data folder (an advisory lock held for the engine's lifetime).
//! - [`secrets`]: credentials and custom headers, encrypted at rest.
//! - [`policy`]: the BITS policies (limits, inactivity) and engine tunables.
//! - [`bandwidth`]: the MaxInternetBandwidth window and caps for background jobs.
//! - [`network`]: whether the machine is connected to a network.
//! - [`event`]: lifecycle events and batched progress.
//! - [`error`]: stable error codes (BG_E_*), contexts and the error type.

pub mod bandwidth;
mod bulk;
mod claims;
mod core;
mod data_lock;
pub mod engine;
pub mod error;
pub mod event;
pub mod file_name;
pub mod handover;
pub mod integrity;
pub mod job;
pub mod network;
mod notify_cmd;
pub mod policy;
pub mod probe;
pub mod record;
pub mod retry;
mod runs;
pub mod scheduler;
pub mod secrets;
pub mod state;
pub mod store;
#[cfg(test)]
mod test_json;
pub mod transfer;
pub mod validate;

pub use bandwidth::BandwidthPolicy;
pub use bulk::CompleteAllOutcome;
pub use engine::{CompleteOutcome, Engine, RenameFailure};
pub use error::{Error, ErrorCode, ErrorContext, Result};
pub use event::{EngineEvent, ProgressEntry};
pub use job::*;
pub use policy::{Config, Policies};
pub use probe::{ProbeError, ProbeRequest, ProbeResult, ProbeStatus};
pub use store::HistoryEntry;
