//! The job model: ids, types, states, priorities, files, progress, times and settings.
//!
//! These are the public, serialisable views of a job. The engine keeps one [`JobRecord`] per
//! job (persisted in the store) and hands out [`JobInfo`] snapshots built from it.

use std::fmt;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{ErrorCode, ErrorContext};

/// Milliseconds since the Unix epoch (UTC): the wall-clock stamps a job shows.
pub type UnixMillis = i64;

/// Now, in [`UnixMillis`].
pub fn now_millis() -> UnixMillis {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(elapsed) => elapsed.as_millis() as UnixMillis,
        Err(before) => -(before.duration().as_millis() as UnixMillis),
    }
}

/// A job's unique id (a GUID, as BITS uses). Display names may repeat; ids never do.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, type = "string"))]
pub struct JobId(pub Uuid);

impl JobId {
    /// A fresh random id.
    pub fn new() -> Self {
        JobId(Uuid::new_v4())
    }

    /// The first eight hex digits, used in temporary file names.
    pub fn short(&self) -> String {
        self.0.simple().to_string()[..8].to_owned()
    }
}

impl Default for JobId {
    fn default() -> Self {
        JobId::new()
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}", self.0)
    }
}

impl fmt::Debug for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for JobId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s.trim_start_matches('{').trim_end_matches('}')).map(JobId)
    }
}

/// What a job moves, fixed at creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobType {
    /// Server to client; one or more files.
    Download,
    /// Client to server over the BITS upload protocol; exactly one file.
    Upload,
    /// An upload whose server answers with a reply file; exactly one file.
    UploadReply,
}

impl JobType {
    /// True for UPLOAD and UPLOAD_REPLY.
    pub fn is_upload(self) -> bool {
        !matches!(self, JobType::Download)
    }
}

/// A job's state, with the numbers BITS gives them (BG_JOB_STATE).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    /// Ready, waiting for its turn.
    Queued = 0,
    /// Contacting the server.
    Connecting = 1,
    /// Bytes are moving.
    Transferring = 2,
    /// Paused; every new job starts here.
    Suspended = 3,
    /// Failed and needs the user: Resume after a fix, Complete (downloads) or Cancel.
    Error = 4,
    /// A recoverable failure; retried by itself after the retry delay.
    TransientError = 5,
    /// Everything transferred; files appear only after Complete.
    Transferred = 6,
    /// Completed: the files were handed over. Final.
    Acknowledged = 7,
    /// Cancelled: nothing handed over, temporaries deleted. Final.
    Cancelled = 8,
}

impl JobState {
    /// ACKNOWLEDGED and CANCELLED: a final job never changes again and leaves the list.
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Acknowledged | JobState::Cancelled)
    }

    /// CONNECTING and TRANSFERRING: a transfer task is running for the job.
    pub fn is_active(self) -> bool {
        matches!(self, JobState::Connecting | JobState::Transferring)
    }

    /// The BITS name, e.g. `TRANSIENT_ERROR`.
    pub fn name(self) -> &'static str {
        match self {
            JobState::Queued => "QUEUED",
            JobState::Connecting => "CONNECTING",
            JobState::Transferring => "TRANSFERRING",
            JobState::Suspended => "SUSPENDED",
            JobState::Error => "ERROR",
            JobState::TransientError => "TRANSIENT_ERROR",
            JobState::Transferred => "TRANSFERRED",
            JobState::Acknowledged => "ACKNOWLEDGED",
            JobState::Cancelled => "CANCELLED",
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Scheduling priority (BG_JOB_PRIORITY). FOREGROUND jobs run side by side; the background
/// priorities share one slot, higher first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Priority {
    /// Runs at once, next to other foreground jobs.
    Foreground = 0,
    /// Highest background priority.
    High = 1,
    /// The default.
    Normal = 2,
    /// Lowest background priority.
    Low = 3,
}

impl Priority {
    /// The priority for a BG_JOB_PRIORITY number; `E_NOTIMPL` for anything else.
    pub fn from_number(value: u32) -> Result<Priority, ErrorCode> {
        match value {
            0 => Ok(Priority::Foreground),
            1 => Ok(Priority::High),
            2 => Ok(Priority::Normal),
            3 => Ok(Priority::Low),
            _ => Err(ErrorCode::E_NOTIMPL),
        }
    }
}

/// A byte range of a remote file (BG_FILE_RANGE). `length: None` means "to the end of the file".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ByteRange {
    /// First byte.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub offset: u64,
    /// Number of bytes, or `None` for up to the end of the file.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub length: Option<u64>,
}

/// How a downloaded file's bytes were verified.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verification {
    /// Nothing to compare the file with (or not finished yet).
    #[default]
    NotVerified,
    /// The server's digest of the whole file (`Repr-Digest`, `Content-Digest` of a whole-file
    /// answer, or `Digest`) matched.
    ServerDigest,
    /// The checksum the user gave matched (wins over a server digest).
    Checksum,
}

/// One file to add to a job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FileSpec {
    /// http or https URL (download source, or upload target).
    pub remote_url: String,
    /// Absolute local path (download destination, or upload source).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub local_path: PathBuf,
}

/// A file's part of a job snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FileInfo {
    /// Position in the job (files transfer in this order).
    pub index: u32,
    /// Current remote URL.
    pub remote_url: String,
    /// Final local path.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub local_path: PathBuf,
    /// Where the bytes go until Complete (downloads).
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub temp_path: Option<PathBuf>,
    /// Requested ranges, when the file was added with ranges.
    pub ranges: Option<Vec<ByteRange>>,
    /// Total bytes, or `None` while unknown.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub bytes_total: Option<u64>,
    /// Bytes transferred so far.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes_transferred: u64,
    /// Every byte of the file arrived (downloads) or was accepted (uploads).
    pub transferred: bool,
    /// The file is available to the user (downloads: renamed into place by Complete).
    pub completed: bool,
    /// The expected checksum, normalised as `algo:hex` (downloads; see
    /// `Engine::set_checksum`).
    pub checksum: Option<String>,
    /// SHA-256 of the finished file in lower-case hex (downloads, once transferred).
    pub sha256: Option<String>,
    /// How the finished file was verified.
    pub verification: Verification,
}

/// A job at a glance: what a summary of the queue needs (the tray's icon, status line and
/// tooltip), a small part of [`JobInfo`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobGlance {
    /// The job.
    pub id: JobId,
    /// Its state.
    pub state: JobState,
    /// Its progress.
    pub progress: Progress,
}

impl From<&JobInfo> for JobGlance {
    fn from(job: &JobInfo) -> JobGlance {
        JobGlance {
            id: job.id,
            state: job.state,
            progress: job.progress,
        }
    }
}

/// A job's progress (BG_JOB_PROGRESS). `bytes_total` is `None` while any file's size is unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Progress {
    /// Total bytes of all files, or `None` while unknown.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub bytes_total: Option<u64>,
    /// Bytes transferred so far.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes_transferred: u64,
    /// Number of files.
    pub files_total: u32,
    /// Number of files fully transferred.
    pub files_transferred: u32,
}

/// Progress of the reply of an upload-reply job (BG_JOB_REPLY_PROGRESS).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ReplyProgress {
    /// Reply size, `None` until the reply starts.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub bytes_total: Option<u64>,
    /// Reply bytes received.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes_transferred: u64,
}

/// A job's wall-clock times (BG_JOB_TIMES), in UTC milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct JobTimes {
    /// When the job was created; never changes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created: UnixMillis,
    /// Last change of any kind (setter, file added, state change, bytes moved).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub modified: UnixMillis,
    /// When the job entered TRANSFERRED, if it has.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub transfer_completed: Option<UnixMillis>,
}

/// The error a job holds while in ERROR or TRANSIENT_ERROR (IBackgroundCopyError).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct JobError {
    /// Stable code.
    pub code: ErrorCode,
    /// The code's name, e.g. `BG_E_HTTP_ERROR_404`.
    pub code_name: String,
    /// Where it happened.
    pub context: ErrorContext,
    /// A sentence for people.
    pub description: String,
    /// Index of the failing file, when the error is tied to one.
    pub file_index: Option<u32>,
    /// Protocol in use ("http", "https"), when there is one.
    pub protocol: Option<String>,
    /// Server's Retry-After hint in seconds, if it sent one.
    pub retry_after_secs: Option<u32>,
}

/// Which events a job wants (BG_NOTIFY_* flags).
pub mod notify_flags {
    /// Job reached TRANSFERRED.
    pub const JOB_TRANSFERRED: u32 = 0x01;
    /// Job reached ERROR.
    pub const JOB_ERROR: u32 = 0x02;
    /// No notifications at all.
    pub const DISABLE: u32 = 0x04;
    /// Property, state or progress changed.
    pub const JOB_MODIFICATION: u32 = 0x08;
    /// One file finished.
    pub const FILE_TRANSFERRED: u32 = 0x10;
    /// Every flag Ferry knows; others are `E_NOTIMPL`.
    pub const ALL: u32 = 0x1F;
    /// The default (TRANSFERRED | ERROR).
    pub const DEFAULT: u32 = JOB_TRANSFERRED | JOB_ERROR;
}

/// A program run on TRANSFERRED or ERROR: argv, no shell, no variable expansion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct NotifyCommand {
    /// Absolute path of the program.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub program: PathBuf,
    /// Arguments after the program name.
    pub args: Vec<String>,
}

/// How a job treats HTTP redirects (BG_HTTP_REDIRECT_POLICY_*).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RedirectMode {
    /// Follow redirects and keep the original URL (default).
    #[default]
    AllowSilent,
    /// Follow redirects and store the final URL as the remote name.
    AllowReport,
    /// Refuse redirects: ERROR, with the remote name set to the redirect target.
    Disallow,
}

/// Redirect policy of a job.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RedirectPolicy {
    /// What to do on a redirect.
    pub mode: RedirectMode,
    /// Allow an https URL to redirect to plain http (off by default).
    pub allow_https_to_http: bool,
}

/// Which proxy a job uses (BG_JOB_PROXY_USAGE).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "usage", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProxySettings {
    /// The system's settings (the usual proxy environment variables).
    #[default]
    Preconfig,
    /// Connect directly.
    NoProxy,
    /// This proxy, except for the hosts in `bypass`.
    Override {
        /// Proxy URL, e.g. `http://proxy:3128`.
        proxy: String,
        /// Comma-separated hosts reached directly.
        bypass: String,
    },
}

/// Whom credentials are for (BG_AUTH_TARGET).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthTarget {
    /// The origin server (401).
    Server,
    /// The proxy (407).
    Proxy,
}

/// How credentials are sent (BG_AUTH_SCHEME); Ferry supports Basic and Digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthScheme {
    /// HTTP Basic.
    Basic,
    /// HTTP Digest.
    Digest,
}

/// A user name and password for one target and scheme. Never shown back; stored encrypted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Credentials {
    /// Server or proxy.
    pub target: AuthTarget,
    /// Basic or Digest.
    pub scheme: AuthScheme,
    /// User name (≤ 300 characters).
    pub user_name: String,
    /// Password (≤ 65,535 characters).
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("target", &self.target)
            .field("scheme", &self.scheme)
            .field("user_name", &self.user_name)
            .field("password", &"***")
            .finish()
    }
}

/// The settable properties of a job, with BITS defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct JobSettings {
    /// Display name (≤ 256 characters; may repeat across jobs).
    pub display_name: String,
    /// Description (≤ 1,024 characters).
    pub description: String,
    /// Scheduling priority (default NORMAL).
    pub priority: Priority,
    /// BG_NOTIFY_* flags (default TRANSFERRED | ERROR).
    pub notify_flags: u32,
    /// Program to run on TRANSFERRED or ERROR.
    // Boxed: few jobs have one, and a queue holds thousands of settings.
    pub notify_command: Option<Box<NotifyCommand>>,
    /// Seconds to wait before retrying after a transient error (default 600, at least 5).
    pub minimum_retry_delay_secs: u32,
    /// Seconds without progress after which a transient error becomes ERROR (default
    /// 1,209,600; 0 makes every error fatal).
    pub no_progress_timeout_secs: u32,
    /// Seconds the job may spend connecting or transferring (default 7,776,000).
    pub maximum_download_time_secs: u32,
    /// Proxy to use.
    pub proxy: ProxySettings,
    /// Redirect handling.
    pub redirect_policy: RedirectPolicy,
    /// Accept servers that do not report sizes or support ranges (downloads; any interruption
    /// restarts the file from byte 0).
    pub dynamic_content: bool,
    /// Upload-reply: where the reply goes (set before the first Resume).
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub reply_file_name: Option<PathBuf>,
    /// Download HTTP method other than GET (set before the first Resume). A custom method
    /// forces FOREGROUND priority, makes every error fatal and restarts files from byte 0.
    #[serde(default)]
    pub http_method: Option<String>,
    /// How the wait before each automatic retry grows (default FIXED, as in BITS).
    #[serde(default)]
    pub retry_policy: RetryPolicy,
    /// Most connections one file of this job may use at once (downloads from servers that
    /// answer ranges with a strong validator and a known size); 1 downloads over one
    /// connection, as BITS does.
    #[serde(default = "default_connections")]
    pub connections: u32,
    /// Most bytes per second this job may move, over all its connections together; `None`
    /// (the default) sets no limit. It applies to every priority, alongside the bandwidth
    /// policy (the lower of the two wins), and a change holds at once for a running transfer.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub speed_limit: Option<u64>,
    /// Downloads: the owner completes the job by itself as soon as it is TRANSFERRED, so its
    /// files go straight to their names (off by default: BITS waits for Complete).
    #[serde(default)]
    pub auto_complete: bool,
}

/// Connections per file of a new job.
pub const DEFAULT_CONNECTIONS: u32 = 1;
/// Most connections per file a job may ask for.
pub const MAX_CONNECTIONS: u32 = 16;
/// Lowest per-job speed limit, in bytes per second (1 KB/s).
pub const MIN_SPEED_LIMIT: u64 = 1_000;

fn default_connections() -> u32 {
    DEFAULT_CONNECTIONS
}

/// How long a job waits in TRANSIENT_ERROR before it retries by itself. Never sooner than the
/// server's `Retry-After`, whichever the policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RetryPolicy {
    /// Every retry waits the job's MinimumRetryDelay (BITS' behaviour, for jobs made through
    /// the API).
    #[default]
    Fixed,
    /// The first retry comes within seconds and each further wait doubles, up to the job's
    /// MinimumRetryDelay (jobs a person made in the window or with `ferry transfer`).
    Backoff,
}

/// Default minimum retry delay (BITS: 600 s).
pub const DEFAULT_MINIMUM_RETRY_DELAY_SECS: u32 = 600;
/// Smallest minimum retry delay; lower values are raised to it.
pub const MINIMUM_RETRY_DELAY_FLOOR_SECS: u32 = 5;
/// Default no-progress timeout (BITS: 14 days).
pub const DEFAULT_NO_PROGRESS_TIMEOUT_SECS: u32 = 1_209_600;
/// Default maximum download time (BITS: 90 days).
pub const DEFAULT_MAXIMUM_DOWNLOAD_TIME_SECS: u32 = 7_776_000;
/// Longest display name.
pub const MAX_DISPLAY_NAME_CHARS: usize = 256;
/// Longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 1_024;
/// Longest remote URL.
pub const MAX_URL_CHARS: usize = 2_200;
/// Longest user name in credentials.
pub const MAX_USER_NAME_CHARS: usize = 300;
/// Longest password in credentials.
pub const MAX_PASSWORD_CHARS: usize = 65_535;
/// Longest notify command line (program and arguments).
pub const MAX_NOTIFY_COMMAND_CHARS: usize = 4_000;

impl JobSettings {
    /// Settings of a new job with this display name and every BITS default.
    pub fn new(display_name: impl Into<String>) -> Self {
        JobSettings {
            display_name: display_name.into(),
            description: String::new(),
            priority: Priority::Normal,
            notify_flags: notify_flags::DEFAULT,
            notify_command: None,
            minimum_retry_delay_secs: DEFAULT_MINIMUM_RETRY_DELAY_SECS,
            no_progress_timeout_secs: DEFAULT_NO_PROGRESS_TIMEOUT_SECS,
            maximum_download_time_secs: DEFAULT_MAXIMUM_DOWNLOAD_TIME_SECS,
            proxy: ProxySettings::Preconfig,
            redirect_policy: RedirectPolicy::default(),
            dynamic_content: false,
            reply_file_name: None,
            http_method: None,
            retry_policy: RetryPolicy::Fixed,
            connections: DEFAULT_CONNECTIONS,
            speed_limit: None,
            auto_complete: false,
        }
    }

    /// True when the job wants notifications of this BG_NOTIFY_* kind.
    pub fn wants(&self, flag: u32) -> bool {
        self.notify_flags & notify_flags::DISABLE == 0 && self.notify_flags & flag != 0
    }
}

/// A snapshot of a job, as callers and the UI see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct JobInfo {
    /// Unique id.
    pub id: JobId,
    /// Download, upload or upload-reply.
    pub job_type: JobType,
    /// Current state.
    pub state: JobState,
    /// OS user who owns the job.
    pub owner: String,
    /// Settable properties.
    pub settings: JobSettings,
    /// Files in transfer order.
    pub files: Vec<FileInfo>,
    /// Job progress.
    pub progress: Progress,
    /// Reply progress (upload-reply jobs only).
    pub reply_progress: Option<ReplyProgress>,
    /// Wall-clock times.
    pub times: JobTimes,
    /// The error, while in ERROR or TRANSIENT_ERROR.
    pub error: Option<JobError>,
    /// How many errors the job has had.
    pub error_count: u32,
    /// Which credentials are set (never their secrets).
    pub credentials_set: Vec<(AuthTarget, AuthScheme)>,
    /// Names of the custom headers (never their values).
    pub custom_header_names: Vec<String>,
    /// While in TRANSIENT_ERROR: milliseconds until the automatic retry.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub retry_in_ms: Option<u64>,
}
