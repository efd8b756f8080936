//! The persisted form of a job: everything the store keeps and the engine needs after a restart.

mod files;

use std::path::PathBuf;

pub use files::Files;
use serde::{Deserialize, Serialize};

use crate::job::{
    ByteRange, FileInfo, JobError, JobId, JobInfo, JobSettings, JobState, JobTimes, JobType,
    Progress, ReplyProgress, UnixMillis, Verification,
};

/// What identifies one version of a remote file: if any of these change, a partial download
/// of the old version must not be continued.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    /// The ETag, if the server sent one.
    pub etag: Option<String>,
    /// The Last-Modified header, verbatim.
    pub last_modified: Option<String>,
    /// The full size of the remote file.
    pub length: Option<u64>,
    /// The `Content-Type` of the answer that began this file's download, verbatim. Not part of
    /// the version: it tells a web page sent in place of the file (a resume whose answer turns
    /// into HTML or changes media type family) from a new version of it.
    #[serde(default)]
    pub content_type: Option<String>,
    /// The server's digests of the whole file (header name, `algo:hex`), from the answer that
    /// began or last continued the download. Not part of the version: kept so that a file found
    /// complete on disk after a restart is still checked against them.
    #[serde(default)]
    pub server_digests: Vec<(String, String)>,
}

impl Validators {
    /// The value for `If-Range`: the ETag if strong, else the date. `None` means the version
    /// cannot be checked, so a resume is not safe.
    pub fn if_range(&self) -> Option<&str> {
        match (&self.etag, &self.last_modified) {
            (Some(etag), _) if !etag.starts_with("W/") => Some(etag),
            (_, Some(date)) => Some(date),
            _ => None,
        }
    }
}

/// The host an upload session moved to (`BITS-Host-Id`), and how long it may stay unreachable
/// before the upload starts over at the original URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadHost {
    /// The host (and port, if the server named one) that replaces the URL's.
    pub host: String,
    /// `BITS-Host-Id-Fallback-Timeout` in seconds; `None` never falls back.
    pub fallback_timeout_secs: Option<u64>,
    /// Wall-clock time of the first failure to reach the host since it last answered.
    pub failing_since: Option<UnixMillis>,
}

/// What identifies one version of a local file being uploaded: if either changes during the
/// upload, the job fails with BG_E_LOCAL_FILE_CHANGED.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalVersion {
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch (0 when the system has none).
    pub modified_nanos: u64,
}

/// One file of a job, as persisted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Current remote URL.
    pub remote_url: String,
    /// Final local path.
    pub local_path: PathBuf,
    /// Ranges requested (downloads with ranges only).
    pub ranges: Option<Vec<ByteRange>>,
    /// Temporary file in the destination folder (downloads).
    pub temp_path: Option<PathBuf>,
    /// Total bytes to transfer, once known.
    pub bytes_total: Option<u64>,
    /// Bytes transferred (the temporary file's length is the truth after a restart).
    pub bytes_transferred: u64,
    /// Every byte arrived.
    pub transferred: bool,
    /// Handed to the user by Complete.
    pub completed: bool,
    /// Version of the remote file the partial bytes belong to.
    pub validators: Option<Validators>,
    /// Server's modification time, applied to the final file.
    pub server_modified: Option<UnixMillis>,
    /// Upload session id, kept so a restart resumes the same session.
    pub upload_session: Option<String>,
    /// The host the upload session's packets go to, when the server named one (BITS-Host-Id).
    #[serde(default)]
    pub upload_host: Option<UploadHost>,
    /// Size and modification time of the local file when its upload session began.
    #[serde(default)]
    pub local_version: Option<LocalVersion>,
    /// Upload-reply: `BITS-Reply-URL` of the final fragment's Ack (`None` with the file
    /// transferred: the server sent no reply).
    #[serde(default)]
    pub reply_url: Option<String>,
    /// Upload-reply: the whole reply is in its temporary file.
    #[serde(default)]
    pub reply_done: bool,
    /// The user accepted a web page as this file's content ([`crate::Engine::allow_web_page`]):
    /// an HTML answer is downloaded instead of stopping the job.
    #[serde(default)]
    pub accept_web_page: bool,
    /// Complete may replace a regular file already under the final name (BITS' behaviour, for
    /// callers who ask for it with `Engine::set_replace_existing`); otherwise it never does.
    #[serde(default)]
    pub replace_existing: bool,
    /// Complete is renaming this file into place: the identity of its temporary file, committed
    /// before the rename so that a restart after a crash can tell a renamed file (see
    /// `handover`).
    #[serde(default)]
    pub handover: Option<crate::handover::HandOver>,
    /// The checksum the file must match, normalised as `algo:hex` (`Engine::set_checksum`).
    #[serde(default)]
    pub checksum: Option<String>,
    /// SHA-256 of the transferred file, lower-case hex.
    #[serde(default)]
    pub sha256: Option<String>,
    /// How the transferred file was verified.
    #[serde(default)]
    pub verification: Verification,
    /// A file downloaded over several connections: the byte spans `[start, end)` of the
    /// temporary file that are durably on disk (the file itself is preallocated, so its length
    /// says nothing). `None` for a file downloaded over one connection.
    #[serde(default)]
    pub segments: Option<Vec<(u64, u64)>>,
}

impl FileRecord {
    /// A file not yet started.
    pub fn new(remote_url: String, local_path: PathBuf, ranges: Option<Vec<ByteRange>>) -> Self {
        FileRecord {
            remote_url,
            local_path,
            ranges,
            temp_path: None,
            bytes_total: None,
            bytes_transferred: 0,
            transferred: false,
            completed: false,
            validators: None,
            server_modified: None,
            upload_session: None,
            upload_host: None,
            local_version: None,
            reply_url: None,
            reply_done: false,
            accept_web_page: false,
            replace_existing: false,
            handover: None,
            checksum: None,
            sha256: None,
            verification: Verification::NotVerified,
            segments: None,
        }
    }

    /// Forgets the partial bytes' version, so the next attempt starts the file from byte 0.
    pub fn reset(&mut self) {
        self.bytes_transferred = 0;
        self.validators = None;
        self.transferred = false;
        self.sha256 = None;
        self.verification = Verification::NotVerified;
        self.segments = None;
        if self.ranges.is_none() {
            self.bytes_total = None;
        }
    }
}

/// A job as persisted in the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    /// Unique id.
    pub id: JobId,
    /// Type, fixed at creation.
    pub job_type: JobType,
    /// Current state.
    pub state: JobState,
    /// Owning OS user.
    pub owner: String,
    /// Settable properties.
    pub settings: JobSettings,
    /// Files, in transfer order. Not part of the job's own serialised form: the store keeps
    /// each file in a row of its own, so a change to one file writes only that file.
    #[serde(skip)]
    pub files: Files,
    /// Wall-clock times.
    pub times: JobTimes,
    /// Error while in ERROR or TRANSIENT_ERROR; boxed, as most jobs have none and a queue
    /// holds thousands of records.
    pub error: Option<Box<JobError>>,
    /// Errors so far.
    pub error_count: u32,
    /// Last activity (setter, file added, byte moved), for the inactivity policy.
    pub last_activity: UnixMillis,
    /// Milliseconds spent CONNECTING or TRANSFERRING since the last Resume (MaxDownloadTime).
    pub active_millis: u64,
    /// Whether the job has been resumed at least once (some settings lock after that).
    pub ever_resumed: bool,
    /// Encrypted credentials and custom headers (see `secrets`).
    pub sealed_secrets: Option<String>,
    /// Which credentials are set, in the clear (no secrets).
    pub credentials_set: Vec<(crate::job::AuthTarget, crate::job::AuthScheme)>,
    /// Names of the custom headers, in the clear (no values).
    pub custom_header_names: Vec<String>,
    /// Reply progress (upload-reply).
    pub reply_progress: Option<ReplyProgress>,
    /// Whether the completion event of the current state still has to reach the notify command.
    pub notify_pending: bool,
    /// Automatic retries that failed since bytes last moved (a BACKOFF job's waits double with
    /// each one; see `retry`).
    #[serde(default)]
    pub failures_without_progress: u32,
    /// While in TRANSIENT_ERROR: the wall-clock time of the next automatic retry, so a restart
    /// waits only the rest of the wait (`retry::wait_after_restart`). The running engine
    /// times the wait on the monotonic clock.
    #[serde(default)]
    pub next_retry_at: Option<UnixMillis>,
}

impl JobRecord {
    /// A new SUSPENDED job.
    pub fn new(id: JobId, job_type: JobType, owner: String, settings: JobSettings) -> Self {
        let now = crate::job::now_millis();
        JobRecord {
            id,
            job_type,
            state: JobState::Suspended,
            owner,
            settings,
            files: Files::default(),
            times: JobTimes {
                created: now,
                modified: now,
                transfer_completed: None,
            },
            error: None,
            error_count: 0,
            last_activity: now,
            active_millis: 0,
            ever_resumed: false,
            sealed_secrets: None,
            credentials_set: Vec::new(),
            custom_header_names: Vec::new(),
            reply_progress: job_type_reply(job_type),
            notify_pending: false,
            failures_without_progress: 0,
            next_retry_at: None,
        }
    }

    /// A copy of everything but the files: what a change compares and restores besides the
    /// files it wrote (see [`Files`]).
    pub fn header(&mut self) -> JobRecord {
        let files = std::mem::take(&mut self.files);
        let header = self.clone();
        self.files = files;
        header
    }

    /// Whether everything but the files equals `header` (a [`JobRecord::header`]).
    pub fn same_header(&mut self, header: &JobRecord) -> bool {
        let files = std::mem::take(&mut self.files);
        let same = self == header;
        self.files = files;
        same
    }

    /// Puts back everything but the files from `header` (a [`JobRecord::header`]).
    pub fn restore_header(&mut self, header: JobRecord) {
        let files = std::mem::take(&mut self.files);
        *self = header;
        self.files = files;
    }

    /// Whether the job's last error is the bandwidth policy holding it back.
    pub fn blocked_by_policy(&self) -> bool {
        self.error
            .as_ref()
            .is_some_and(|e| e.code == crate::error::ErrorCode::BG_E_BLOCKED_BY_POLICY)
    }

    /// Marks a change made by the user (bumps modification time and resets inactivity).
    pub fn touch(&mut self) {
        let now = crate::job::now_millis();
        self.times.modified = now.max(self.times.modified);
        self.last_activity = now;
    }

    /// Job progress from its files.
    pub fn progress(&self) -> Progress {
        let mut total = Some(0u64);
        let mut transferred = 0u64;
        let mut files_transferred = 0u32;
        for file in &self.files {
            total = match (total, file.bytes_total) {
                (Some(sum), Some(size)) => Some(sum + size),
                _ => None,
            };
            transferred += file.bytes_transferred;
            files_transferred += u32::from(file.transferred);
        }
        Progress {
            bytes_total: total,
            bytes_transferred: transferred,
            files_total: self.files.len() as u32,
            files_transferred,
        }
    }

    /// Index of the first file that still needs bytes.
    pub fn current_file(&self) -> Option<usize> {
        self.current_file_but(&[])
    }

    /// Index of the first file that still needs bytes, other than those in `except`.
    pub fn current_file_but(&self, except: &[usize]) -> Option<usize> {
        let mut from = 0;
        loop {
            let index = self.files.first_not_transferred(from)?;
            if !except.contains(&index) {
                return Some(index);
            }
            from = index + 1;
        }
    }

    /// The public snapshot.
    pub fn info(&self, retry_in_ms: Option<u64>) -> JobInfo {
        JobInfo {
            id: self.id,
            job_type: self.job_type,
            state: self.state,
            owner: self.owner.clone(),
            settings: self.settings.clone(),
            files: self
                .files
                .iter()
                .enumerate()
                .map(|(index, file)| FileInfo {
                    index: index as u32,
                    remote_url: file.remote_url.clone(),
                    local_path: file.local_path.clone(),
                    temp_path: file.temp_path.clone(),
                    ranges: file.ranges.clone(),
                    bytes_total: file.bytes_total,
                    bytes_transferred: file.bytes_transferred,
                    transferred: file.transferred,
                    completed: file.completed,
                    checksum: file.checksum.clone(),
                    sha256: file.sha256.clone(),
                    verification: file.verification,
                })
                .collect(),
            progress: self.progress(),
            reply_progress: self.reply_progress,
            times: self.times,
            error: self.error.as_deref().cloned(),
            error_count: self.error_count,
            credentials_set: self.credentials_set.clone(),
            custom_header_names: self.custom_header_names.clone(),
            retry_in_ms,
        }
    }
}

fn job_type_reply(job_type: JobType) -> Option<ReplyProgress> {
    (job_type == JobType::UploadReply).then(ReplyProgress::default)
}
