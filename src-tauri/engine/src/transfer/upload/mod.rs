//! The BITS upload protocol client (bits-spec.md §8) for UPLOAD and UPLOAD_REPLY jobs.
//!
//! One run of an upload job: Ping; Create-Session (unless the job already has a session, which
//! is then resumed); fragments in order from the byte the server expects, resynchronised from
//! `BITS-Received-Content-Range`; for upload-reply jobs the download of `BITS-Reply-URL`; and
//! Close-Session. The session id, its host and the local file's version are stored before the
//! first fragment, so a restart continues the same session. The job is TRANSFERRED only once the
//! session is closed.
//!
//! Choices where the protocol leaves room: fragments are at most `Config::upload_fragment_size`
//! bytes (1 MiB by default); an Ack that names a byte other than the next one moves the upload
//! there, backwards too; a lost session (BG_E_SESSION_NOT_FOUND) starts a new one from byte 0;
//! Close-Session answered 5xx is sent again up to four times in a run, after which the job
//! retries like any transient failure, while 1xx–4xx answers leave the session to expire on the
//! server; an empty file is refused (the protocol has no range for zero bytes); a reply is
//! always fetched from its first byte.
//!
//! - [`packet`]: requests over `BITS_POST` and their Acks, failures classified.
//! - [`route`]: the host packets go to (`BITS-Host-Id`) and the fall-back to the original URL.
//! - [`source`]: the local file's version and the bytes of each fragment.
//! - [`reply`]: the reply file of upload-reply jobs, GetReplyData, the hand-over at Complete.
//! - [`cleanup`]: Cancel-Session for cancelled jobs, retried for up to 24 hours.

pub mod cleanup;
pub mod packet;
pub mod reply;
mod report;
pub mod route;
pub mod source;

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode};
use tokio_util::sync::CancellationToken;

use self::packet::{Ack, Channel, Packet, SessionEnd, UPLOAD_PROTOCOL};
use self::report::UploadReport;
use self::route::Route;
use self::source::Source;
use super::download::FileDone;
use super::http::Failure;
use super::throttle::Pacer;
use super::{FileTask, LiveProgress, Stop};
use crate::core::{ChangeNotes, Inner, JobEntry};
use crate::error::{ErrorCode, ErrorContext};
use crate::job::{now_millis, JobId, JobType, UnixMillis};
use crate::record::{JobRecord, LocalVersion, UploadHost};

pub use self::cleanup::SessionCleanup;
pub use self::reply::{hand_over_reply, name_reply_file, read_reply_data, reply_data_path};

/// Fresh sessions one run may start (lost session, host fall-back) before it gives up until the
/// next retry.
const MAX_FRESH_SESSIONS: usize = 2;
/// Close-Session attempts in one run while the server answers 5xx.
const CLOSE_ATTEMPTS: u32 = 4;
/// Pause before the second Close-Session attempt; it doubles for each further one.
const CLOSE_RETRY_PAUSE: Duration = Duration::from_millis(250);
/// Acks in a row that do not move the upload forward before the run gives up.
const MAX_STALLED_ACKS: u32 = 4;
/// How long a stopped run waits for the server to drop a session it opened but could not keep.
const ABANDON_PATIENCE: Duration = Duration::from_secs(5);

/// The index of an upload file whose session is still open after its last fragment (the reply
/// or Close-Session is missing), so the job has work left although every file is transferred.
pub fn unfinished(record: &JobRecord) -> Option<usize> {
    let file = record.files.first()?;
    (record.job_type.is_upload() && file.upload_session.is_some()).then_some(0)
}

/// Cancel's part for upload jobs: drops the temporary reply and leaves the open session to the
/// cleanup task. False when the temporary reply cannot be deleted.
pub fn cancel(record: &JobRecord, notes: &mut ChangeNotes) -> bool {
    notes.cleanup = SessionCleanup::for_job(record);
    record.job_type != JobType::UploadReply || reply::discard(record)
}

/// Copies the live byte count of a reply download into the job; true when it moved.
pub fn sample_reply(entry: &mut JobEntry, now: UnixMillis) -> bool {
    let Some(bytes) = entry.live.read_reply() else {
        return false;
    };
    let Some(reply) = entry.record.reply_progress.as_mut() else {
        return false;
    };
    if reply.bytes_transferred == bytes {
        return false;
    }
    let moved_forward = bytes > reply.bytes_transferred;
    reply.bytes_transferred = bytes;
    if moved_forward {
        entry.record.last_activity = now;
        entry.record.times.modified = now;
        entry.progressed();
    }
    true
}

/// Why the session in hand cannot go on.
enum Detour {
    /// Start again with a new session at the original URL.
    FreshSession(&'static str),
    /// Stop the run.
    Stop(Stop),
}

impl From<Stop> for Detour {
    fn from(stop: Stop) -> Self {
        Detour::Stop(stop)
    }
}

/// Where the run stands with the server's session.
struct SessionState {
    id: Option<String>,
    /// The next byte to send.
    offset: u64,
    /// The local file's version when the session began.
    version: Option<LocalVersion>,
}

/// One run of an upload job's file.
pub struct Upload<'a> {
    /// The engine.
    pub inner: &'a Inner,
    /// The job.
    pub id: JobId,
    /// The run.
    pub run_id: u64,
    /// Where the accepted bytes are published.
    pub live: &'a LiveProgress,
    /// The file and the job's settings and secrets.
    pub task: &'a FileTask,
    /// The HTTP client for the job's proxy.
    pub client: &'a Client,
    /// The job's custom headers.
    pub headers: HeaderMap,
    /// Fires when the job must stop at once.
    pub cancel: &'a CancellationToken,
}

impl Upload<'_> {
    /// The throttle as this job sees it (background jobs follow the bandwidth policy; every
    /// job its own speed limit).
    pub fn pacer(&self) -> Pacer<'_> {
        let background = self.task.settings.priority != crate::job::Priority::Foreground;
        Pacer::new(self.inner, background, &self.task.pace, self.cancel)
    }

    /// Uploads what the server still lacks, fetches the reply, closes the session.
    pub async fn run(&self) -> Result<FileDone, Stop> {
        let file = &self.task.file;
        let report = UploadReport {
            inner: self.inner,
            id: self.id,
            run_id: self.run_id,
            live: self.live,
            index: self.task.index,
        };
        let url = super::parse_url(&file.remote_url)?;
        let mut link = Link {
            channel: Channel::new(
                self.client,
                self.headers.clone(),
                &self.task.secrets.credentials,
            ),
            route: Route::new(url, file.upload_host.clone()),
            report: &report,
            cancel: self.cancel,
            connected: false,
        };
        let mut session = SessionState {
            id: file.upload_session.clone(),
            offset: file.bytes_transferred,
            version: file.local_version,
        };
        let mut reply_url = file.reply_url.clone();
        if file.transferred {
            ping(&mut link).await.map_err(without_detour)?;
        } else {
            let mut fresh = 0;
            reply_url = loop {
                match self.send_file(&mut link, &report, &mut session).await {
                    Ok(reply_url) => break reply_url,
                    Err(Detour::Stop(stop)) => return Err(stop),
                    Err(Detour::FreshSession(why)) if fresh >= MAX_FRESH_SESSIONS => {
                        return Err(Stop::Failed(Failure::transient(
                            ErrorCode::BG_E_SESSION_NOT_FOUND,
                            ErrorContext::RemoteFile,
                            why,
                        )))
                    }
                    Err(Detour::FreshSession(why)) => {
                        tracing::info!("starting a new upload session: {why}");
                        fresh += 1;
                        session.id = None;
                        session.offset = 0;
                        link.route.reset();
                        report.session_dropped()?;
                    }
                }
            };
        }
        if self.task.job_type == JobType::UploadReply && !file.reply_done {
            reply::fetch(self, &report, reply_url.as_deref()).await?;
        }
        if let Some(id) = &session.id {
            close(&mut link, id).await?;
            report.session_closed()?;
        }
        Ok(FileDone {
            server_modified: None,
            sha256: None,
            verification: crate::job::Verification::NotVerified,
            durable: crate::transfer::durable::Durable::already(),
        })
    }

    /// Sends the file's missing bytes in the session (opening one if needed). Returns the reply
    /// URL of the final fragment's Ack, for upload-reply jobs.
    async fn send_file(
        &self,
        link: &mut Link<'_>,
        report: &UploadReport<'_>,
        session: &mut SessionState,
    ) -> Result<Option<String>, Detour> {
        let mut source = Source::open(&self.task.file.local_path).await?;
        let version = source.version();
        if session.version.is_some_and(|recorded| recorded != version) {
            return Err(source::changed(&self.task.file.local_path).into());
        }
        if version.size == 0 {
            return Err(Stop::Failed(Failure::fatal(
                ErrorCode::E_INVALIDARG,
                ErrorContext::LocalFile,
                format!(
                    "{} is empty; the upload protocol cannot send an empty file",
                    self.task.file.local_path.display()
                ),
            ))
            .into());
        }
        ping(link).await?;
        let id = match &session.id {
            Some(id) => id.clone(),
            None => {
                let id = create_session(link, report, version).await?;
                session.id = Some(id.clone());
                session.offset = 0;
                session.version = Some(version);
                id
            }
        };
        let start = session.offset.min(version.size - 1);
        self.send_fragments(link, report, &mut source, &id, start, version)
            .await
    }

    /// Sends fragments from `offset` until the server holds the whole file.
    async fn send_fragments(
        &self,
        link: &mut Link<'_>,
        report: &UploadReport<'_>,
        source: &mut Source,
        session: &str,
        mut offset: u64,
        version: LocalVersion,
    ) -> Result<Option<String>, Detour> {
        let total = version.size;
        let largest = self.inner.config().upload_fragment_size.max(1);
        let pacer = self.pacer();
        let name = self
            .task
            .file
            .local_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        let mut stalled = 0;
        loop {
            source.check(&version).await?;
            // Under a bandwidth cap a fragment carries about a second's worth of bytes.
            let step = pacer
                .piece()
                .map_or(largest, |piece| largest.min(piece * 8));
            let end = offset.saturating_add(step).min(total) - 1;
            let body = source.read(offset, end + 1 - offset).await?;
            pacer.admit(end + 1 - offset).await?;
            let packet = Packet::Fragment {
                session: session.to_owned(),
                start: offset,
                end,
                total,
                name: name.clone().filter(|_| offset == 0),
                body,
            };
            let ack = link.send(packet).await?;
            let received = if ack.is_success() {
                ack.received().unwrap_or(end + 1)
            } else if ack.status == StatusCode::RANGE_NOT_SATISFIABLE {
                ack.received().ok_or_else(|| {
                    invalid_response("a 416 Ack without BITS-Received-Content-Range")
                })?
            } else if ack.session_lost() {
                return Err(Detour::FreshSession(
                    "the server no longer knows the upload session",
                ));
            } else {
                return Err(Stop::Failed(ack.failure("Fragment")).into());
            };
            if received > total {
                return Err(invalid_response(&format!(
                    "the server claims {received} bytes of a {total}-byte file"
                ))
                .into());
            }
            report.accepted(received);
            if ack.is_success() && end + 1 == total && received == total {
                let reply_url = ack.header("bits-reply-url").map(str::to_owned);
                report.uploaded(total, reply_url.clone())?;
                return Ok(reply_url);
            }
            stalled = if received > offset { 0 } else { stalled + 1 };
            if stalled >= MAX_STALLED_ACKS {
                return Err(Stop::Failed(Failure::transient(
                    ErrorCode::BG_E_INVALID_SERVER_RESPONSE,
                    ErrorContext::RemoteFile,
                    format!("the server keeps asking for byte {received} again"),
                ))
                .into());
            }
            // A server that already holds everything still needs the final fragment, whose Ack
            // completes the upload (and carries the reply URL).
            offset = received.min(total - 1);
        }
    }
}

/// The link to the upload server: sends packets to the session's host, notes whether that host
/// answers, and decides when to fall back to the original URL.
struct Link<'a> {
    channel: Channel<'a>,
    route: Route,
    report: &'a UploadReport<'a>,
    cancel: &'a CancellationToken,
    connected: bool,
}

impl Link<'_> {
    async fn send(&mut self, packet: Packet) -> Result<Ack, Detour> {
        let url = self.route.url();
        let sent = tokio::select! {
            biased;
            _ = self.cancel.cancelled() => return Err(Stop::Cancelled.into()),
            sent = self.channel.send(&url, packet) => sent,
        };
        match sent {
            Ok(ack) => {
                if self.route.answered() {
                    self.report.host_changed(self.route.host())?;
                }
                if !self.connected {
                    self.connected = true;
                    self.report.connected();
                }
                Ok(ack)
            }
            Err(failure) if packet::is_unreachable(&failure) && self.route.is_moved() => {
                let fall_back = self.route.unreachable(now_millis());
                self.report.host_changed(self.route.host())?;
                if fall_back {
                    Err(Detour::FreshSession(
                        "the host the server named stayed unreachable past its fall-back timeout",
                    ))
                } else {
                    Err(Stop::Failed(failure).into())
                }
            }
            Err(failure) => Err(Stop::Failed(failure).into()),
        }
    }

    /// Best effort for a session no run will resume (the run was stopped as the session
    /// opened): asks the server to drop it, without waiting long for the answer.
    async fn abandon(&mut self, session: &str) {
        let packet = Packet::CancelSession {
            session: session.to_owned(),
        };
        let url = self.route.url();
        let _ = tokio::time::timeout(ABANDON_PATIENCE, self.channel.send(&url, packet)).await;
    }
}

async fn ping(link: &mut Link<'_>) -> Result<(), Detour> {
    let ack = link.send(Packet::Ping).await?;
    if ack.is_success() {
        Ok(())
    } else {
        Err(Stop::Failed(ack.failure("Ping")).into())
    }
}

/// Opens a session and stores it (with its host and the file's version) before any fragment.
async fn create_session(
    link: &mut Link<'_>,
    report: &UploadReport<'_>,
    version: LocalVersion,
) -> Result<String, Detour> {
    let ack = link.send(Packet::CreateSession).await?;
    if !ack.is_success() {
        return Err(Stop::Failed(ack.failure("Create-Session")).into());
    }
    let mismatch = |what: &str| {
        Stop::Failed(Failure::fatal(
            ErrorCode::BG_E_CLIENT_SERVER_PROTOCOL_MISMATCH,
            ErrorContext::RemoteFile,
            format!("the server does not speak the BITS upload protocol: {what}"),
        ))
    };
    if let Some(protocol) = ack.header("bits-protocol") {
        if !protocol.trim().eq_ignore_ascii_case(UPLOAD_PROTOCOL) {
            return Err(mismatch(&format!("it chose the protocol {protocol}")).into());
        }
    }
    let id = ack
        .header("bits-session-id")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| mismatch("its answer to Create-Session has no session id"))?
        .to_owned();
    let host = ack
        .header("bits-host-id")
        .map(str::trim)
        .filter(|host| !host.is_empty())
        .map(|host| UploadHost {
            host: host.to_owned(),
            fallback_timeout_secs: ack
                .header("bits-host-id-fallback-timeout")
                .and_then(|t| t.trim().parse().ok()),
            failing_since: None,
        });
    link.route.move_to(host);
    if let Err(stop) = report.session_opened(&id, link.route.host(), version) {
        link.abandon(&id).await;
        return Err(stop.into());
    }
    Ok(id)
}

/// Closes the session, sending Close-Session again on 5xx a few times.
async fn close(link: &mut Link<'_>, session: &str) -> Result<(), Stop> {
    let mut pause = CLOSE_RETRY_PAUSE;
    for attempt in 1..=CLOSE_ATTEMPTS {
        let packet = Packet::CloseSession {
            session: session.to_owned(),
        };
        let ack = link.send(packet).await.map_err(without_detour)?;
        match ack.session_end() {
            SessionEnd::Ended => return Ok(()),
            SessionEnd::Refused => {
                tracing::warn!(
                    "{}; the server keeps the session until it expires",
                    ack.failure("Close-Session").description
                );
                return Ok(());
            }
            SessionEnd::Retry if attempt < CLOSE_ATTEMPTS => {
                tokio::select! {
                    _ = link.cancel.cancelled() => return Err(Stop::Cancelled),
                    _ = tokio::time::sleep(pause) => {}
                }
                pause *= 2;
            }
            SessionEnd::Retry => return Err(Stop::Failed(ack.failure("Close-Session"))),
        }
    }
    Ok(())
}

/// Once the upload is complete there is no starting over: a fall-back is a plain failure.
fn without_detour(detour: Detour) -> Stop {
    match detour {
        Detour::Stop(stop) => stop,
        Detour::FreshSession(why) => Stop::Failed(Failure::transient(
            ErrorCode::ERROR_WINHTTP_CANNOT_CONNECT,
            ErrorContext::RemoteFile,
            why,
        )),
    }
}

fn invalid_response(what: &str) -> Stop {
    Stop::Failed(Failure::fatal(
        ErrorCode::BG_E_INVALID_SERVER_RESPONSE,
        ErrorContext::RemoteFile,
        format!("the upload server's answer is invalid: {what}"),
    ))
}
