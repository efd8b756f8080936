//! Events the engine publishes: lifecycle changes at once, progress in one batch per tick.

use serde::{Deserialize, Serialize};

use crate::job::{JobError, JobId, JobInfo, JobState, Progress, ReplyProgress};

/// One job's progress inside a [`EngineEvent::Progress`] batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ProgressEntry {
    /// The job.
    pub id: JobId,
    /// Its progress now.
    pub progress: Progress,
    /// Bytes of the file being transferred now, and that file's index.
    pub current_file: Option<(u32, FileBytes)>,
    /// The files that finished since the job's last batch, each with its index and final
    /// bytes (a small file can start and finish between two batches).
    #[serde(default)]
    pub finished_files: Vec<(u32, FileBytes)>,
    /// Reply progress (upload-reply jobs).
    pub reply_progress: Option<ReplyProgress>,
}

/// Bytes of one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FileBytes {
    /// Transferred so far.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub transferred: u64,
    /// Total, when known.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub total: Option<u64>,
}

/// What happened in the engine. Lifecycle events are sent as they happen, after the change is
/// durable; progress is sampled and sent as one batch per tick holding only the jobs that moved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EngineEvent {
    /// A job was created (it starts SUSPENDED).
    JobCreated {
        /// The new job.
        job: JobInfo,
    },
    /// A job changed state. Sent for every transition, including into ERROR and TRANSFERRED.
    StateChanged {
        /// The job as it is now.
        job: JobInfo,
        /// The state it left.
        from: JobState,
    },
    /// A property changed or files were added (BG_NOTIFY_JOB_MODIFICATION); never sent for a
    /// transition into ERROR or TRANSFERRED.
    JobModified {
        /// The job as it is now.
        job: JobInfo,
    },
    /// One file of a job finished; always before the job's [`EngineEvent::JobTransferred`].
    FileTransferred {
        /// The job.
        id: JobId,
        /// The file's index.
        file_index: u32,
    },
    /// The job reached TRANSFERRED: Complete makes its files available.
    JobTransferred {
        /// The job as it is now.
        job: JobInfo,
    },
    /// The job reached ERROR (never sent for TRANSIENT_ERROR).
    JobError {
        /// The job as it is now.
        job: JobInfo,
        /// What went wrong.
        error: JobError,
    },
    /// The job reached a final state (ACKNOWLEDGED or CANCELLED) and left the queue.
    JobRemoved {
        /// The job.
        id: JobId,
        /// ACKNOWLEDGED or CANCELLED.
        state: JobState,
    },
    /// The inactivity policy cancelled the job.
    JobAutoCancelled {
        /// The job.
        id: JobId,
        /// Its display name.
        display_name: String,
        /// Whole days it sat without activity.
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        idle_days: u64,
    },
    /// Progress of every job that moved since the last tick.
    Progress {
        /// One entry per job.
        jobs: Vec<ProgressEntry>,
    },
}
