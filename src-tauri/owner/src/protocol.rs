//! The local API's wire format: one JSON object per line (UTF-8, `\n`-terminated), both ways.
//!
//! A client sends [`Request`]s; the owner answers each with a [`Reply`] carrying the same `id`,
//! and, after a [`Call::Subscribe`], also sends [`Reply::Event`]s on the same connection. Every
//! frame carries the protocol version `v`. The payloads are the engine's own types
//! ([`JobInfo`], [`EngineEvent`], …), the same ones the window's bindings are generated from.
//! The full description, with examples, is in `PROTOCOL.md` beside this crate.

use std::path::PathBuf;

use ferry_engine::{
    AuthScheme, AuthTarget, ByteRange, Credentials, EngineEvent, ErrorCode, FileSpec, JobId,
    JobInfo, JobType, NotifyCommand, Policies, Priority, ProbeRequest, ProxySettings,
    RedirectPolicy, RetryPolicy,
};
use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;
use crate::settings::Settings;

/// The protocol version this build speaks. A request with another version is refused.
pub const PROTOCOL_VERSION: u32 = 1;

/// The longest request, in bytes, the owner accepts. A longer request is answered with an
/// error and skipped up to its end of line; the connection stays usable.
pub const MAX_FRAME_BYTES: usize = 4 << 20;

/// The longest answer or event, in bytes, a client accepts from the owner. Answers grow with
/// the queue (`list` and `subscribe` with 10,000 jobs are about 10 MiB), and the owner is the
/// user's own process, so this only stops a runaway line.
pub const MAX_ANSWER_BYTES: usize = 256 << 20;

/// One request from a client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Protocol version; must be [`PROTOCOL_VERSION`].
    pub v: u32,
    /// Chosen by the client; the reply carries it back.
    pub id: u64,
    /// What to do.
    #[serde(flatten)]
    pub call: Call,
}

/// A new job as the window's Add dialog or `ferry create` describes it, created all or nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct NewJobRequest {
    /// Name shown in the list (may repeat across jobs).
    pub display_name: String,
    /// Download, upload or upload-reply.
    pub job_type: JobType,
    /// Scheduling priority.
    pub priority: Priority,
    /// The files, in transfer order.
    pub files: Vec<FileSpec>,
    /// Credentials for the server or the proxy, if the transfer needs them.
    pub credentials: Option<Credentials>,
    /// Where the reply of an upload-reply job goes.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub reply_file_name: Option<PathBuf>,
    /// Expected checksums, one per file in `files` order (`null` for a file without one), as
    /// `algo:hex` or Subresource Integrity `algo-base64`. May be shorter than `files`, or
    /// left out when no file has one.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub checksums: Option<Vec<Option<String>>>,
    /// A description (e.g. which program handed the job over).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub description: Option<String>,
    /// How the wait before each automatic retry grows; left out: FIXED, as BITS does. The
    /// window and `ferry transfer` ask for what the `quick_retries` setting says.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub retry_policy: Option<RetryPolicy>,
    /// Custom request headers for this job only (name, value), stored sealed like those of
    /// `set_custom_headers`: e.g. the `Referer` and the site's cookies a browser handed over.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub custom_headers: Option<Vec<(String, String)>>,
    /// True when Ferry chose the download files' names (from the URL or the server, as the
    /// window and the browser hand-off do): a name a file in the folder, another live job or an
    /// earlier file of this job already has becomes "name (2).ext", "name (3).ext", … Left
    /// out or false (names the user typed): such a path is used as given, and refused when
    /// another job has it.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub unique_names: Option<bool>,
    /// Whether the owner completes the download by itself once TRANSFERRED; left out: no.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub auto_complete: Option<bool>,
    /// Connections one file of the download may use at once (1 to 16); left out: 1, as BITS
    /// does. The window and the browser hand-off ask for the `connections` setting.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub connections: Option<u32>,
    /// The job's own speed limit in bytes per second; left out: none.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional, type = "number | null"))]
    pub speed_limit: Option<u64>,
}

/// Every call of the local API, with its arguments. Job verbs have BITS' meaning (see the
/// engine's [`ferry_engine::Engine`] methods of the same names); `file` is a file's index in
/// its job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "call", content = "args", rename_all = "snake_case")]
pub enum Call {
    /// Who answers: [`Hello`].
    Hello,
    /// Every job in the queue: `[JobInfo]`.
    List,
    /// Every job in the queue at a glance, in no particular order: `[JobGlance]` (id, state,
    /// progress: what a summary of the queue needs, a small part of `List`'s answer).
    ListGlances,
    /// One job: `JobInfo`.
    Get {
        /// The job.
        job: JobId,
    },
    /// The error of a job in ERROR or TRANSIENT_ERROR: `JobError`.
    GetError {
        /// The job.
        job: JobId,
    },
    /// The reply of an upload-reply job, base64: `string`.
    GetReplyData {
        /// The job.
        job: JobId,
    },
    /// The newest finished jobs: `[HistoryEntry]`.
    History {
        /// How many at most.
        limit: u32,
    },
    /// Creates an empty SUSPENDED job: its `JobId`.
    CreateJob {
        /// Display name.
        display_name: String,
        /// Download, upload or upload-reply.
        job_type: JobType,
    },
    /// Creates a job with its files, priority, credentials and checksums, all or nothing:
    /// `JobInfo`.
    CreateWithFiles(NewJobRequest),
    /// Asks the servers about URLs before they are added (name, size, type, resume support):
    /// `[ProbeResult]`, one per URL, in order. Answered when ready, possibly after requests
    /// sent later on the same connection.
    Probe(ProbeRequest),
    /// Adds files, all or none (AddFile, AddFileSet): `null`.
    AddFiles {
        /// The job.
        job: JobId,
        /// The files.
        files: Vec<FileSpec>,
    },
    /// Adds a file of which only these ranges are downloaded (AddFileWithRanges): `null`.
    AddFileWithRanges {
        /// The job.
        job: JobId,
        /// The file.
        file: FileSpec,
        /// The ranges, written back to back in this order.
        ranges: Vec<ByteRange>,
    },
    /// Points a file at another URL: `null`.
    SetRemoteName {
        /// The job.
        job: JobId,
        /// The file's index.
        file: u32,
        /// The new URL.
        url: String,
    },
    /// Replaces the start of every file's URL (ReplaceRemotePrefix): the `ErrorCode`, S_OK or
    /// S_FALSE when no URL started with it.
    ReplaceRemotePrefix {
        /// The job.
        job: JobId,
        /// The prefix to replace.
        old_prefix: String,
        /// What replaces it.
        new_prefix: String,
    },
    /// Moves a file's destination: `null`.
    SetLocalPath {
        /// The job.
        job: JobId,
        /// The file's index.
        file: u32,
        /// The new destination (absolute).
        path: PathBuf,
    },
    /// Moves every file not yet transferred into another folder, keeping the names: `null`.
    SetLocalFolder {
        /// The job.
        job: JobId,
        /// The folder (absolute).
        folder: PathBuf,
    },
    /// Lets Complete replace an existing file at the destination: `null`.
    SetReplaceExisting {
        /// The job.
        job: JobId,
        /// The file's index.
        file: u32,
        /// Replace it or not.
        replace: bool,
    },
    /// Gives a file a free name beside the existing one: the new path.
    KeepBoth {
        /// The job.
        job: JobId,
        /// The file's index.
        file: u32,
    },
    /// Restarts a file from byte 0: `null`.
    RestartFile {
        /// The job.
        job: JobId,
        /// The file's index.
        file: u32,
    },
    /// Downloads a web page although the name promised a file: `null`.
    AllowWebPage {
        /// The job.
        job: JobId,
        /// The file's index.
        file: u32,
    },
    /// Sets or clears a file's expected checksum: `null`.
    SetChecksum {
        /// The job.
        job: JobId,
        /// The file's index.
        file: u32,
        /// `algo:hex` or SRI `algo-base64`; `null` clears it.
        checksum: Option<String>,
    },
    /// Resume: `null`.
    Resume {
        /// The job.
        job: JobId,
    },
    /// Suspend: `null`.
    Suspend {
        /// The job.
        job: JobId,
    },
    /// Cancel: the `ErrorCode` (0, or BG_S_UNABLE_TO_DELETE_FILES).
    Cancel {
        /// The job.
        job: JobId,
    },
    /// Complete: `CompleteOutcome`.
    Complete {
        /// The job.
        job: JobId,
    },
    /// Pause all: suspends, in one step, every job that is moving or waiting to move (QUEUED,
    /// CONNECTING, TRANSFERRING, TRANSIENT_ERROR): how many it suspended.
    SuspendAll,
    /// Resume all: resumes, in one step, every SUSPENDED job that ran before (a job never
    /// resumed is still being made): how many it resumed.
    ResumeAll,
    /// Complete all ready: completes, in one step, every TRANSFERRED job:
    /// `CompleteAllOutcome` (how many were completed, how many a failed rename kept).
    CompleteAllReady,
    /// Sets the display name: `null`.
    SetDisplayName {
        /// The job.
        job: JobId,
        /// The name.
        name: String,
    },
    /// Sets the description: `null`.
    SetDescription {
        /// The job.
        job: JobId,
        /// The text.
        text: String,
    },
    /// Sets the priority: `null`.
    SetPriority {
        /// The job.
        job: JobId,
        /// The priority.
        priority: Priority,
    },
    /// Sets the HTTP method of a download: `null`.
    SetHttpMethod {
        /// The job.
        job: JobId,
        /// The method, e.g. `POST`.
        method: String,
    },
    /// Sets the BG_NOTIFY_* flags: `null`.
    SetNotifyFlags {
        /// The job.
        job: JobId,
        /// The flags.
        flags: u32,
    },
    /// Sets or clears the program run on TRANSFERRED or ERROR: `null`.
    SetNotifyCommand {
        /// The job.
        job: JobId,
        /// The program and its arguments.
        command: Option<NotifyCommand>,
    },
    /// Sets MinimumRetryDelay: `null`.
    SetMinimumRetryDelay {
        /// The job.
        job: JobId,
        /// Seconds.
        seconds: u32,
    },
    /// Sets how the wait before each automatic retry grows (FIXED or BACKOFF): `null`.
    SetRetryPolicy {
        /// The job.
        job: JobId,
        /// The policy.
        policy: RetryPolicy,
    },
    /// Sets whether the owner completes the download by itself once TRANSFERRED: `null`.
    SetAutoComplete {
        /// The job.
        job: JobId,
        /// On or off.
        enabled: bool,
    },
    /// Sets NoProgressTimeout: `null`.
    SetNoProgressTimeout {
        /// The job.
        job: JobId,
        /// Seconds.
        seconds: u32,
    },
    /// Sets MaximumDownloadTime: `null`.
    SetMaximumDownloadTime {
        /// The job.
        job: JobId,
        /// Seconds.
        seconds: u32,
    },
    /// Sets the proxy: `null`.
    SetProxy {
        /// The job.
        job: JobId,
        /// The proxy settings.
        proxy: ProxySettings,
    },
    /// Sets the redirect policy: `null`.
    SetRedirectPolicy {
        /// The job.
        job: JobId,
        /// The policy.
        policy: RedirectPolicy,
    },
    /// Accepts servers without sizes or ranges: `null`.
    SetDynamicContent {
        /// The job.
        job: JobId,
        /// On or off.
        enabled: bool,
    },
    /// How many connections one file of a download job may use at once (1 to 16): `null`.
    SetConnections {
        /// The job.
        job: JobId,
        /// Connections per file; 1 is one connection, as BITS does.
        connections: u32,
    },
    /// The job's own speed limit, over all its connections, for every priority: `null`.
    SetSpeedLimit {
        /// The job.
        job: JobId,
        /// Bytes per second (at least 1,000); `null` lifts the limit.
        bytes_per_second: Option<u64>,
    },
    /// Where an upload-reply job's reply goes: `null`.
    SetReplyFileName {
        /// The job.
        job: JobId,
        /// The file (absolute).
        path: PathBuf,
    },
    /// Sets credentials (stored encrypted): `null`.
    SetCredentials {
        /// The job.
        job: JobId,
        /// Target, scheme, user name and password.
        credentials: Credentials,
    },
    /// Removes the credentials of a target and scheme: `null`.
    RemoveCredentials {
        /// The job.
        job: JobId,
        /// Server or proxy.
        target: AuthTarget,
        /// The scheme.
        scheme: AuthScheme,
    },
    /// Sets the custom headers (stored encrypted; only their names are ever shown): `null`.
    SetCustomHeaders {
        /// The job.
        job: JobId,
        /// Name and value of each header.
        headers: Vec<(String, String)>,
    },
    /// The BITS policies in force: `Policies`.
    GetPolicies,
    /// Replaces the BITS policies (saved with the settings): `Policies`.
    SetPolicies {
        /// The policies.
        policies: Policies,
    },
    /// The settings in force: `Settings`.
    GetSettings,
    /// Validates, saves and applies settings: the `Settings` saved.
    SetSettings {
        /// The settings.
        settings: Settings,
    },
    /// Every job now (`[JobInfo]`); from then on this connection also receives every event.
    Subscribe,
    /// Asks the owner to stop cleanly (transfers flush, jobs resume at its next start): `null`.
    Shutdown,
    /// Quit from the tray: every subscriber receives [`OwnerNotice::Quitting`] (windows and the
    /// tray close on it), then the owner stops cleanly if a client started it on demand (an
    /// owner run by hand or by a service manager keeps running): `{"stopping": bool}`.
    Quit,
}

/// The answer to [`Call::Quit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuitAnswer {
    /// True when the owner stops as well (it was started on demand by a client).
    pub stopping: bool,
}

/// Who answers a [`Call::Hello`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// The protocol version the owner speaks.
    pub protocol: u32,
    /// Ferry's version.
    pub version: String,
    /// The owner's process id.
    pub pid: u32,
    /// The data folder whose queue it owns.
    pub data_dir: PathBuf,
}

/// One frame from the owner: an answer to a request, or an event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Reply {
    /// A request succeeded.
    Ok {
        /// Protocol version.
        v: u32,
        /// The request's id.
        id: u64,
        /// What the call returns (see [`Call`]).
        ok: serde_json::Value,
    },
    /// A request failed. `id` is null when the request was too broken to carry one.
    Err {
        /// Protocol version.
        v: u32,
        /// The request's id.
        id: Option<u64>,
        /// Why.
        error: ApiError,
    },
    /// Something happened in the queue (only after [`Call::Subscribe`]).
    Event {
        /// Protocol version.
        v: u32,
        /// The event.
        event: OwnerEvent,
    },
}

/// What a subscribed client receives: the engine's events, plus a fresh snapshot when the
/// client fell behind and events were dropped for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OwnerEvent {
    /// An event from the engine, as it was published.
    Engine(Box<EngineEvent>),
    /// The client fell behind: these are all the jobs now, replacing what it held.
    Snapshot(Snapshot),
    /// News about the owner and Ferry's clients rather than the queue.
    Owner(OwnerNotice),
}

/// What the owner tells its subscribers about Ferry as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OwnerNotice {
    /// Someone chose Quit (see [`Call::Quit`]): windows and the tray end now, and do not start
    /// a new owner when this one goes away.
    Quitting,
    /// The settings were saved: a client that follows them (the tray's language) reads them
    /// again.
    SettingsChanged,
}

/// Every job, sent instead of events a slow client missed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename = "snapshot")]
pub struct Snapshot {
    /// Every job in the queue.
    pub jobs: Vec<JobInfo>,
}

impl Reply {
    /// A success.
    pub fn ok(id: u64, value: serde_json::Value) -> Reply {
        Reply::Ok {
            v: PROTOCOL_VERSION,
            id,
            ok: value,
        }
    }

    /// A failure.
    pub fn err(id: Option<u64>, error: ApiError) -> Reply {
        Reply::Err {
            v: PROTOCOL_VERSION,
            id,
            error,
        }
    }

    /// An event.
    pub fn event(event: OwnerEvent) -> Reply {
        Reply::Event {
            v: PROTOCOL_VERSION,
            event,
        }
    }
}

/// Reads one request line. Anything wrong (not JSON, another version, an unknown call, bad
/// arguments) becomes the error to answer, with the request's id when one could be read.
pub fn parse_request(line: &[u8]) -> Result<Request, (Option<u64>, ApiError)> {
    let value: serde_json::Value = serde_json::from_slice(line).map_err(|error| {
        (
            None,
            ApiError::new(
                ErrorCode::E_INVALIDARG,
                format!("the request is not JSON: {error}"),
            ),
        )
    })?;
    let id = value.get("id").and_then(serde_json::Value::as_u64);
    match value.get("v").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(PROTOCOL_VERSION) => {}
        Some(v) => {
            return Err((
                id,
                ApiError::new(
                    ErrorCode::E_INVALIDARG,
                    format!(
                    "protocol version {v} is not spoken here; this owner speaks {PROTOCOL_VERSION}"
                ),
                ),
            ))
        }
        None => {
            return Err((
                id,
                ApiError::new(
                    ErrorCode::E_INVALIDARG,
                    "the request has no protocol version \"v\"",
                ),
            ))
        }
    }
    if id.is_none() {
        return Err((
            None,
            ApiError::new(ErrorCode::E_INVALIDARG, "the request has no numeric \"id\""),
        ));
    }
    serde_json::from_value(value).map_err(|error| {
        (
            id,
            ApiError::new(
                ErrorCode::E_INVALIDARG,
                format!("the request is not a call this owner knows: {error}"),
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reads_back_as_written() {
        let job = JobId::new();
        let request = Request {
            v: PROTOCOL_VERSION,
            id: 7,
            call: Call::SetPriority {
                job,
                priority: Priority::Foreground,
            },
        };
        let line = serde_json::to_vec(&request).unwrap();
        let text = String::from_utf8(line.clone()).unwrap();
        assert!(
            text.contains(r#""call":"set_priority""#) && text.contains(r#""args":{"#),
            "{text}"
        );
        assert_eq!(parse_request(&line).unwrap(), request);
        let plain = br#"{"v":1,"id":3,"call":"list"}"#;
        assert_eq!(parse_request(plain).unwrap().call, Call::List);
    }

    #[test]
    fn broken_requests_are_refused_with_their_id_when_they_have_one() {
        let cases: [(&[u8], Option<u64>, &str); 6] = [
            (b"not json", None, "not JSON"),
            (br#"{"v":2,"id":4,"call":"list"}"#, Some(4), "version 2"),
            (br#"{"id":5,"call":"list"}"#, Some(5), "no protocol version"),
            (br#"{"v":1,"call":"list"}"#, None, "no numeric"),
            (
                br#"{"v":1,"id":6,"call":"format_disk"}"#,
                Some(6),
                "not a call",
            ),
            (
                br#"{"v":1,"id":8,"call":"get","args":{"job":"x"}}"#,
                Some(8),
                "not a call",
            ),
        ];
        for (line, id, words) in cases {
            let (got_id, error) = parse_request(line).unwrap_err();
            assert_eq!(got_id, id, "{}", String::from_utf8_lossy(line));
            assert_eq!(error.code, ErrorCode::E_INVALIDARG);
            assert!(error.message.contains(words), "{}", error.message);
        }
    }

    #[test]
    fn replies_and_events_are_told_apart_by_their_fields() {
        let ok = serde_json::to_string(&Reply::ok(1, serde_json::json!(null))).unwrap();
        assert_eq!(ok, r#"{"v":1,"id":1,"ok":null}"#);
        let event = Reply::event(OwnerEvent::Snapshot(Snapshot { jobs: vec![] }));
        let text = serde_json::to_string(&event).unwrap();
        assert_eq!(text, r#"{"v":1,"event":{"kind":"snapshot","jobs":[]}}"#);
        assert_eq!(serde_json::from_str::<Reply>(&text).unwrap(), event);
        let removed = Reply::event(OwnerEvent::Engine(Box::new(EngineEvent::JobRemoved {
            id: JobId::new(),
            state: ferry_engine::JobState::Cancelled,
        })));
        let text = serde_json::to_string(&removed).unwrap();
        assert_eq!(serde_json::from_str::<Reply>(&text).unwrap(), removed);
        let quitting = Reply::event(OwnerEvent::Owner(OwnerNotice::Quitting));
        let text = serde_json::to_string(&quitting).unwrap();
        assert_eq!(text, r#"{"v":1,"event":{"kind":"quitting"}}"#);
        assert_eq!(serde_json::from_str::<Reply>(&text).unwrap(), quitting);
    }

    #[test]
    fn quit_has_no_arguments() {
        let quit = br#"{"v":1,"id":2,"call":"quit"}"#;
        assert_eq!(parse_request(quit).unwrap().call, Call::Quit);
    }
}
