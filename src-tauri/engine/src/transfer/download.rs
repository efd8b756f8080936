//! Downloading one file into its temporary file: resume with `Range` + `If-Range`, restart when
//! the server's version changed, refuse to append bytes of another version, and never count a
//! short body as transferred. Only the file's plain bytes are written: a compressed body
//! (`Content-Encoding`) or a web page in place of the file stops the job before any byte of it
//! reaches the disk.

mod ramp;
mod segments;

use std::path::Path;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT_ENCODING, ACCEPT_RANGES, CONTENT_ENCODING, CONTENT_LENGTH,
    CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_RANGE, LAST_MODIFIED, RANGE,
};
use reqwest::{Response, StatusCode};
use tokio_util::sync::CancellationToken;

use super::durable::Durable;
use super::http::{self, Answer, Failure, RequestPlan, SendError};
use super::media;
use super::small_file;
use super::temp_file::TempFile;
use super::throttle::Pacer;
use super::{FileStart, RunReport, Stop};
use crate::error::{ErrorCode, ErrorContext};
use crate::integrity::{self, Algorithm, Digest, Scope, ServerDigest};
use crate::job::{ByteRange, UnixMillis, Verification};
use crate::record::{FileRecord, Validators};

/// Longest time received bytes wait in the buffer: a crash loses at most this much of a slow
/// transfer, and a restart resumes from what reached the file.
const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Longest time a small file's body is gathered in memory before it goes to its temporary file
/// as it arrives (see [`Download::small`]).
const GATHER_FOR: std::time::Duration = std::time::Duration::from_millis(100);

pub use segments::HostCaps;

/// How a finished file ends.
pub struct FileDone {
    /// Server's Last-Modified, applied to the final file.
    pub server_modified: Option<UnixMillis>,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: Option<String>,
    /// How the file's bytes were verified.
    pub verification: Verification,
    /// When the file is on disk: it counts as transferred only then.
    pub durable: Durable,
}

/// Everything one file download needs.
pub struct Download<'a> {
    /// Position of the file in its job.
    pub index: usize,
    /// The file as persisted (URL, temp path, ranges, validators).
    pub file: &'a FileRecord,
    /// How to send requests.
    pub plan: RequestPlan<'a>,
    /// Dynamic content: no size or range support needed; every attempt starts at byte 0.
    pub dynamic: bool,
    /// Most connections the file may use at once (the job's property).
    pub connections: u32,
    /// Where progress and version changes are reported.
    pub report: &'a dyn RunReport,
    /// Fires when the job must stop at once (suspend, cancel, pre-emption, shutdown).
    pub cancel: &'a CancellationToken,
    /// Holds a background job to the bandwidth policy's cap.
    pub pacer: &'a Pacer<'a>,
}

impl Download<'_> {
    /// Downloads the file (or its remaining part) into its temporary file.
    pub async fn run(&self) -> Result<FileDone, Stop> {
        let url = super::parse_url(&self.file.remote_url)?;
        let temp = self.file.temp_path.as_deref().ok_or_else(|| {
            Stop::Failed(Failure::fatal(
                ErrorCode::E_FAIL,
                ErrorContext::GeneralQueueManager,
                "no temporary file",
            ))
        })?;
        // A changed version restarts the file once from byte 0 within the same attempt.
        for fresh in [false, true] {
            let outcome = match (&self.file.ranges, &self.file.segments) {
                (Some(ranges), _) => self.ranged(&url, temp, ranges, fresh).await,
                // A file begun in parts continues in parts: its length says nothing.
                (None, Some(spans)) if !fresh => self.resume_parts(&url, temp, spans).await,
                (None, _) => self.whole(&url, temp, fresh).await,
            };
            match outcome {
                Err(Stop::Restart) => continue,
                other => return other,
            }
        }
        Err(Stop::Failed(Failure::transient(
            ErrorCode::BG_E_INVALID_SERVER_RESPONSE,
            ErrorContext::RemoteFile,
            "the file keeps changing on the server while it is downloaded",
        )))
    }

    async fn whole(&self, url: &url::Url, temp: &Path, fresh: bool) -> Result<FileDone, Stop> {
        let known = if fresh {
            None
        } else {
            self.file.validators.clone()
        };
        // Bytes on disk count only when their version can be checked: otherwise (a file never
        // started among them) the file starts over without looking at its temporary file.
        let resumable = !self.dynamic && known.as_ref().and_then(Validators::if_range).is_some();
        let offset = match resumable {
            true => existing_length(temp).await,
            false => 0,
        };
        let mut headers = HeaderMap::new();
        if offset > 0 {
            headers.insert(RANGE, header(&format!("bytes={offset}-")));
            if let Some(tag) = known.as_ref().and_then(Validators::if_range) {
                headers.insert(IF_RANGE, header(tag));
            }
        }
        let answer = self.send(url, headers).await?;
        let response = answer.response;
        let status = response.status();
        refuse_fileless(status)?;
        self.report.connected();
        if matches!(status, StatusCode::OK | StatusCode::PARTIAL_CONTENT) {
            self.check_body(&response)?;
        }
        let validators = validators_of(&response);
        let (start, total) = match status {
            StatusCode::PARTIAL_CONTENT if offset > 0 => {
                let range = content_range(response.headers()).ok_or_else(|| {
                    invalid_response("a partial answer without a valid Content-Range")
                })?;
                if range.start != offset {
                    return Err(invalid_response(&format!(
                        "asked for bytes from {offset}, got bytes from {}",
                        range.start
                    )));
                }
                let same_version = known
                    .as_ref()
                    .is_some_and(|k| same_version(k, &validators, range.total));
                if !same_version {
                    // If-Range should have prevented this; never append bytes of another version.
                    return self.restart(temp).await;
                }
                (
                    offset,
                    range.total.or(known.as_ref().and_then(|k| k.length)),
                )
            }
            StatusCode::OK => {
                let length = content_length(response.headers());
                if offset > 0 {
                    let changed = known
                        .as_ref()
                        .is_none_or(|k| !same_version(k, &validators, length));
                    // A server that announces byte ranges and still sends the whole file
                    // found If-Range's validator not current or not strong enough (RFC 9110
                    // §13.1.5; apache2 for a file dated in the future): the body is the
                    // current file, taken from byte 0 like a new version.
                    if !changed && !self.dynamic && !announces_byte_ranges(&response) {
                        return Err(Stop::Failed(Failure::fatal(
                            ErrorCode::BG_E_INSUFFICIENT_RANGE_SUPPORT,
                            ErrorContext::RemoteFile,
                            "the server sent the whole file instead of the missing part, so the download cannot be resumed",
                        )));
                    }
                }
                if length.is_none() && !self.dynamic {
                    return Err(Stop::Failed(Failure::fatal(
                        ErrorCode::BG_E_MISSING_FILE_SIZE,
                        ErrorContext::RemoteFile,
                        "the server did not say how large the file is",
                    )));
                }
                (0, length)
            }
            StatusCode::RANGE_NOT_SATISFIABLE if offset > 0 => {
                if complete_on_disk(response.headers(), offset, known.as_ref(), &validators) {
                    return self.finish_on_disk(temp, offset, known).await;
                }
                return self.restart(temp).await;
            }
            _ => {
                return Err(Stop::Failed(Failure::http_status(
                    status,
                    response.headers(),
                    ErrorContext::RemoteFile,
                )))
            }
        };
        let (mut whole_file, message) = split_digests(response.headers(), status);
        if whole_file.is_empty() && start > 0 {
            // The same version as the bytes on disk: the digests its first answer sent hold.
            whole_file = stored_digests(known.as_ref());
        }
        let ranges_announced =
            status == StatusCode::PARTIAL_CONTENT || announces_byte_ranges(&response);
        let versioned = Validators {
            length: total,
            content_type: self
                .first_content_type()
                .or(validators.content_type.clone()),
            server_digests: whole_file.iter().map(ServerDigest::stored).collect(),
            ..validators
        };
        if let Some(total) =
            total.filter(|_| self.can_split(ranges_announced, start, total, &versioned, &message))
        {
            let on_disk = if start > 0 {
                vec![(0, start)]
            } else {
                Vec::new()
            };
            let first = segments::FirstAnswer { response, start };
            return self
                .fetch_parts(
                    url,
                    temp,
                    total,
                    versioned,
                    whole_file,
                    on_disk,
                    Some(first),
                )
                .await;
        }
        self.started(start, total, &Some(versioned.clone()))?;
        let algorithms = self.algorithms(&whole_file)?;
        // A small file whose bytes may move at once (no speed limit) is written in one step.
        let small = total.filter(|&t| {
            start == 0
                && message.is_empty()
                && t <= small_file::LARGEST
                && self.pacer.piece().is_none()
        });
        let written = match small {
            Some(total) => self.small(response, temp, total, &algorithms).await?,
            None => {
                let mut file = open_at(temp, start, &algorithms).await?;
                let written = self
                    .pump_checked(
                        response,
                        &mut file,
                        start,
                        total.map(|t| t - start),
                        &message,
                    )
                    .await?;
                let end = start + written;
                if let Some(total) = total {
                    if end != total {
                        return Err(Stop::Failed(short_body(end, total)));
                    }
                }
                finish(file, temp).await?
            }
        };
        self.done(
            written,
            &whole_file,
            versioned.last_modified.as_deref().and_then(parse_date),
        )
    }

    /// The expected checksum, if the file has one.
    fn expected(&self) -> Result<Option<Digest>, Stop> {
        let Some(text) = self.file.checksum.as_deref() else {
            return Ok(None);
        };
        Digest::parse_checksum(text).map(Some).map_err(|why| {
            Stop::Failed(Failure::fatal(
                ErrorCode::E_INVALIDARG,
                ErrorContext::LocalFile,
                why,
            ))
        })
    }

    /// What the whole file is hashed with: SHA-256, the expected checksum's algorithm and those
    /// of the server's whole-file digests.
    fn algorithms(&self, whole_file: &[ServerDigest]) -> Result<Vec<Algorithm>, Stop> {
        let mut algorithms = vec![Algorithm::Sha256];
        algorithms.extend(self.expected()?.map(|d| d.algorithm));
        algorithms.extend(whole_file.iter().map(|d| d.digest.algorithm));
        Ok(algorithms)
    }

    /// Checks the finished file's digests against the server's whole-file digests and the
    /// expected checksum; the file counts as transferred only if all match.
    fn done(
        &self,
        (digests, durable): (Vec<Digest>, Durable),
        whole_file: &[ServerDigest],
        server_modified: Option<UnixMillis>,
    ) -> Result<FileDone, Stop> {
        let digests = &digests[..];
        let mut verification = Verification::NotVerified;
        for server in whole_file {
            let what = format!("the server's {}", server.header);
            compare(&what, &server.digest, digests)?;
            verification = Verification::ServerDigest;
        }
        if let Some(expected) = self.expected()? {
            compare("the expected checksum", &expected, digests)?;
            verification = Verification::Checksum;
        }
        Ok(FileDone {
            server_modified,
            sha256: integrity::find(digests, Algorithm::Sha256).map(|d| hex::encode(&d.bytes)),
            verification,
            durable,
        })
    }

    /// Streams the body like [`Self::pump_from`], checking the answer's own bytes against the
    /// server's `Content-Digest` of a partial answer (`message`) once the body is complete.
    async fn pump_checked(
        &self,
        response: Response,
        file: &mut TempFile,
        start: u64,
        expected: Option<u64>,
        message: &[ServerDigest],
    ) -> Result<u64, Stop> {
        if message.is_empty() {
            return self
                .pump_from(response.bytes_stream(), file, start, expected)
                .await;
        }
        let algorithms = message.iter().map(|d| d.digest.algorithm).collect();
        file.begin_message(algorithms)
            .await
            .map_err(write_failure)?;
        let written = self
            .pump_from(response.bytes_stream(), file, start, expected)
            .await?;
        let digests = file.message_digests().await.map_err(write_failure)?;
        if expected.is_none_or(|e| e == written) {
            for server in message {
                let what = format!(
                    "the server's {} of bytes {start}-{}",
                    server.header,
                    (start + written).saturating_sub(1)
                );
                compare(&what, &server.digest, &digests)?;
            }
        }
        Ok(written)
    }

    /// The temporary file already holds all `length` bytes of the version in `known` (a crash
    /// came after the last byte, before it was recorded): the file is done, nothing is fetched.
    async fn finish_on_disk(
        &self,
        temp: &Path,
        length: u64,
        known: Option<Validators>,
    ) -> Result<FileDone, Stop> {
        let versioned = Validators {
            length: Some(length),
            ..known.unwrap_or_default()
        };
        self.started(length, Some(length), &Some(versioned.clone()))?;
        let whole_file = stored_digests(Some(&versioned));
        let file = open_at(temp, length, &self.algorithms(&whole_file)?).await?;
        let written = finish(file, temp).await?;
        self.done(
            written,
            &whole_file,
            versioned.last_modified.as_deref().and_then(parse_date),
        )
    }

    /// The `Content-Type` of the answer that began this file's download, if known.
    fn first_content_type(&self) -> Option<String> {
        self.file.validators.as_ref()?.content_type.clone()
    }

    /// Refuses a body that is not the file's plain bytes, before any of it is written: a
    /// compressed one, or a web page in place of the file (unless the user accepted the page).
    fn check_body(&self, response: &Response) -> Result<(), Stop> {
        if let Some(coding) = content_coding(response.headers()) {
            return Err(Stop::Failed(Failure::fatal(
                ErrorCode::FERRY_E_CONTENT_ENCODED,
                ErrorContext::RemoteFile,
                format!(
                    "the server sent the file compressed ({coding}) although Ferry asked for its \
                     plain bytes; nothing of it was written. Resume when the server sends the \
                     file as it is"
                ),
            )));
        }
        if self.file.accept_web_page {
            return Ok(());
        }
        let first = self.first_content_type();
        let seen = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        match media::page_instead_of_file(first.as_deref(), seen, &self.file.local_path) {
            Some(why) => Err(Stop::Failed(Failure::fatal(
                ErrorCode::FERRY_E_WEB_PAGE_INSTEAD_OF_FILE,
                ErrorContext::RemoteFile,
                why,
            ))),
            None => Ok(()),
        }
    }

    async fn restart(&self, temp: &Path) -> Result<FileDone, Stop> {
        self.started(0, None, &None)?;
        if let Err(e) = tokio::fs::remove_file(temp).await {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(Stop::Failed(Failure::local(
                    format!("cannot reset {}", temp.display()),
                    &e,
                )));
            }
        }
        Err(Stop::Restart)
    }

    /// Downloads the requested ranges one after another, written back to back in the order given.
    async fn ranged(
        &self,
        url: &url::Url,
        temp: &Path,
        ranges: &[ByteRange],
        fresh: bool,
    ) -> Result<FileDone, Stop> {
        let mut written_total = if fresh {
            0
        } else {
            existing_length(temp).await
        };
        let mut known = if fresh {
            None
        } else {
            self.file.validators.clone()
        };
        if written_total > 0 && known.as_ref().and_then(Validators::if_range).is_none() {
            written_total = 0;
        }
        let mut file = open_at(temp, written_total, &self.algorithms(&[])?).await?;
        let mut skip = written_total;
        let mut total_bytes = known
            .as_ref()
            .and_then(|k| k.length)
            .and_then(|len| sum_ranges(ranges, len));
        self.started(written_total, total_bytes, &known)?;
        let mut connected = false;
        for range in ranges {
            let length = range.length;
            if let Some(length) = length {
                if skip >= length {
                    skip -= length;
                    continue;
                }
            }
            let first = range.offset + skip;
            let spec = match length {
                Some(length) => format!("bytes={first}-{}", range.offset + length - 1),
                None => format!("bytes={first}-"),
            };
            let mut headers = HeaderMap::new();
            headers.insert(RANGE, header(&spec));
            if let Some(tag) = known.as_ref().and_then(Validators::if_range) {
                headers.insert(IF_RANGE, header(tag));
            }
            let answer = self.send(url, headers).await?;
            refuse_fileless(answer.response.status())?;
            if !connected {
                self.report.connected();
                connected = true;
            }
            let response = answer.response;
            if matches!(
                response.status(),
                StatusCode::OK | StatusCode::PARTIAL_CONTENT
            ) {
                self.check_body(&response)?;
            }
            match response.status() {
                StatusCode::PARTIAL_CONTENT => {}
                StatusCode::OK => {
                    return Err(Stop::Failed(Failure::fatal(
                        ErrorCode::BG_E_INSUFFICIENT_RANGE_SUPPORT,
                        ErrorContext::RemoteFile,
                        "the server does not send byte ranges",
                    )))
                }
                StatusCode::RANGE_NOT_SATISFIABLE => {
                    return Err(Stop::Failed(Failure::fatal(
                        ErrorCode::BG_E_INVALID_RANGE,
                        ErrorContext::RemoteFile,
                        format!(
                            "the range from byte {} lies beyond the end of the remote file",
                            range.offset
                        ),
                    )))
                }
                status => {
                    return Err(Stop::Failed(Failure::http_status(
                        status,
                        response.headers(),
                        ErrorContext::RemoteFile,
                    )))
                }
            }
            let got = content_range(response.headers()).ok_or_else(|| {
                invalid_response("a partial answer without a valid Content-Range")
            })?;
            let remote_len = got.total;
            let seen = validators_of(&response);
            let validators = Validators {
                length: remote_len,
                content_type: self.first_content_type().or(seen.content_type.clone()),
                ..seen
            };
            if let Some(old) = &known {
                if !same_version(old, &validators, remote_len) {
                    drop(file);
                    return self.restart(temp).await;
                }
            }
            if got.start != first {
                return Err(invalid_response(&format!(
                    "asked for bytes from {first}, got bytes from {}",
                    got.start
                )));
            }
            if let (Some(length), Some(len)) = (length, remote_len) {
                if range.offset + length > len {
                    return Err(Stop::Failed(Failure::fatal(
                        ErrorCode::BG_E_INVALID_RANGE,
                        ErrorContext::RemoteFile,
                        format!("the range {}+{length} lies beyond the end of the remote file ({len} bytes)", range.offset),
                    )));
                }
            }
            if known.is_none() || total_bytes.is_none() {
                total_bytes = remote_len.and_then(|len| sum_ranges(ranges, len));
                known = Some(validators.clone());
                self.started(written_total, total_bytes, &known)?;
            }
            let expected = got.end + 1 - got.start;
            // Repr-Digest describes the whole remote file, not the ranges kept here.
            let (_, message) = split_digests(response.headers(), StatusCode::PARTIAL_CONTENT);
            let written = self
                .pump_checked(response, &mut file, written_total, Some(expected), &message)
                .await?;
            written_total += written;
            if written != expected {
                return Err(Stop::Failed(short_body(written, expected)));
            }
            skip = 0;
        }
        let written = finish(file, temp).await?;
        self.done(
            written,
            &[],
            known
                .and_then(|k| k.last_modified)
                .as_deref()
                .and_then(parse_date),
        )
    }

    async fn send(&self, url: &url::Url, headers: HeaderMap) -> Result<Answer, Stop> {
        let mut plan_headers = self.plan.headers.clone();
        plan_headers.extend(headers);
        // The file's bytes as they are: a compressed body could not be resumed byte for byte.
        plan_headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
        let plan = RequestPlan {
            client: self.plan.client,
            method: self.plan.method.clone(),
            headers: plan_headers,
            redirect: self.plan.redirect,
            credentials: self.plan.credentials,
            body: None,
        };
        let sent = tokio::select! {
            _ = self.cancel.cancelled() => return Err(Stop::Cancelled),
            sent = http::send(&plan, url) => sent,
        };
        match sent {
            Ok(answer) => {
                if answer.final_url != *url
                    && self.plan.redirect.mode == crate::job::RedirectMode::AllowReport
                {
                    self.report
                        .remote_name_changed(self.index, answer.final_url.as_str());
                }
                Ok(answer)
            }
            Err(SendError::Failed(failure)) => Err(Stop::Failed(failure)),
            Err(SendError::RedirectRefused { failure, target }) => {
                self.report.remote_name_changed(self.index, target.as_str());
                Err(Stop::Failed(failure))
            }
        }
    }

    /// Reports where the file's bytes start, its total and version (persisted before any byte
    /// is written).
    fn started(
        &self,
        offset: u64,
        total: Option<u64>,
        validators: &Option<Validators>,
    ) -> Result<(), Stop> {
        let start = FileStart {
            offset,
            total,
            validators: validators.clone(),
            segments: None,
        };
        self.report
            .file_started(self.index, &start)
            .map_err(Stop::Failed)
    }

    /// Receives the whole body of a file of `total` bytes (at most [`small_file::LARGEST`]) into
    /// memory while its temporary file is created, and hands it to
    /// [`small_file::Creating::write`]. A body still arriving after
    /// [`GATHER_FOR`] is streamed into the temporary file like a larger one, so that progress
    /// counts bytes in the file; a stop or a body cut short keeps what arrived in the file, as
    /// [`Self::pump_from`] does, so the next attempt resumes from there.
    async fn small(
        &self,
        response: Response,
        temp: &Path,
        total: u64,
        algorithms: &[Algorithm],
    ) -> Result<(Vec<Digest>, Durable), Stop> {
        let creating = small_file::Creating::start(temp.to_owned());
        let mut body = BytesMut::with_capacity(total as usize);
        let mut stream = response.bytes_stream();
        let gathering = tokio::time::sleep(GATHER_FOR);
        tokio::pin!(gathering);
        loop {
            let chunk = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => {
                    return Err(self.keep(creating, body, Stop::Cancelled).await);
                }
                _ = &mut gathering => break,
                chunk = stream.next() => chunk,
            };
            let stop = match chunk {
                None if body.len() as u64 == total => {
                    return Ok(creating.write(body.freeze(), algorithms));
                }
                None => Stop::Failed(short_body(body.len() as u64, total)),
                Some(Ok(bytes)) if bytes.len() as u64 > total - body.len() as u64 => {
                    invalid_response("the server sent more bytes than it announced")
                }
                Some(Ok(bytes)) => match self.pacer.admit(bytes.len() as u64).await {
                    Ok(()) => {
                        body.extend_from_slice(&bytes);
                        continue;
                    }
                    Err(stop) => stop,
                },
                Some(Err(e)) => Stop::Failed(http::body_failure(&e, body.len() as u64)),
            };
            return Err(self.keep(creating, body, stop).await);
        }
        let arrived = body.len() as u64;
        creating.created().await.map_err(write_failure)?;
        let mut file = open_at(temp, 0, algorithms).await?;
        if arrived > 0 {
            file.write(body.freeze()).await.map_err(write_failure)?;
            self.report.bytes(self.index, arrived);
        }
        let written = self
            .pump_from(stream, &mut file, arrived, Some(total - arrived))
            .await?;
        if arrived + written != total {
            return Err(Stop::Failed(short_body(arrived + written, total)));
        }
        finish(file, temp).await
    }

    /// Writes the first bytes of a small file that stopped (`stop`) into its temporary file;
    /// returns `stop`, or the failure to write them.
    async fn keep(&self, creating: small_file::Creating, arrived: BytesMut, stop: Stop) -> Stop {
        let bytes = arrived.len() as u64;
        match creating.keep(arrived.freeze()).await {
            Ok(()) => {
                self.report.bytes(self.index, bytes);
                stop
            }
            Err(error) => write_failure(error),
        }
    }

    /// Streams the body into `file`, publishing the file's byte count as it goes. Returns the
    /// number of bytes written; stops early (keeping what arrived) on cancel or a broken stream.
    async fn pump_from(
        &self,
        mut stream: impl Stream<Item = reqwest::Result<Bytes>> + Unpin,
        file: &mut TempFile,
        start: u64,
        expected: Option<u64>,
    ) -> Result<u64, Stop> {
        let mut written = 0u64;
        let mut flushed_at = tokio::time::Instant::now();
        loop {
            let chunk = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => {
                    flush(file).await?;
                    return Err(Stop::Cancelled);
                }
                chunk = stream.next() => chunk,
            };
            match chunk {
                None => break,
                Some(Ok(bytes)) => {
                    let room = expected.map_or(u64::MAX, |e| e - written);
                    if bytes.len() as u64 > room {
                        flush(file).await?;
                        return Err(invalid_response(
                            "the server sent more bytes than it announced",
                        ));
                    }
                    let mut rest = bytes;
                    while !rest.is_empty() {
                        let piece = self.pacer.piece().unwrap_or(u64::MAX);
                        let part = rest.split_to(piece.min(rest.len() as u64) as usize);
                        let size = part.len() as u64;
                        if let Err(stop) = self.pacer.admit(size).await {
                            flush(file).await?;
                            return Err(stop);
                        }
                        file.write(part).await.map_err(|e| {
                            Stop::Failed(Failure::local("cannot write the temporary file", &e))
                        })?;
                        written += size;
                        self.report.bytes(self.index, start + written);
                    }
                    if flushed_at.elapsed() >= FLUSH_EVERY {
                        flush(file).await?;
                        flushed_at = tokio::time::Instant::now();
                    }
                }
                Some(Err(e)) => {
                    flush(file).await?;
                    return Err(Stop::Failed(http::body_failure(&e, start + written)));
                }
            }
        }
        flush(file).await?;
        Ok(written)
    }
}

fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn invalid_response(what: &str) -> Stop {
    Stop::Failed(Failure::fatal(
        ErrorCode::BG_E_INVALID_SERVER_RESPONSE,
        ErrorContext::RemoteFile,
        format!("the server's answer is invalid: {what}"),
    ))
}

/// Refuses a success status that brings no file (204, 205, ...) as the server's error, before
/// the job counts as connected (so a second one in a row, without progress, ends the retries).
fn refuse_fileless(status: StatusCode) -> Result<(), Stop> {
    if !status.is_success() || matches!(status, StatusCode::OK | StatusCode::PARTIAL_CONTENT) {
        return Ok(());
    }
    Err(Stop::Failed(Failure::invalid_answer(format!(
        "the server answered HTTP {status} instead of sending the file"
    ))))
}

/// The content codings of an answer other than `identity`, e.g. `gzip`; `None` for plain bytes.
fn content_coding(headers: &HeaderMap) -> Option<String> {
    let codings: Vec<String> = headers
        .get_all(CONTENT_ENCODING)
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("unreadable").split(','))
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    (!codings.is_empty()).then(|| codings.join(", "))
}

/// True when a 416 to a resume from `offset` (sent with `If-Range`) says that the temporary
/// file already holds the whole file: `Content-Range: bytes */N` with N the bytes on disk, no
/// other length known for the version, and no validator that contradicts the known ones.
fn complete_on_disk(
    headers: &HeaderMap,
    offset: u64,
    known: Option<&Validators>,
    seen: &Validators,
) -> bool {
    let Some(known) = known.filter(|k| k.if_range().is_some()) else {
        return false;
    };
    let agree = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    unsatisfied_length(headers) == Some(offset)
        && known.length.is_none_or(|length| length == offset)
        && agree(&known.etag, &seen.etag)
        && agree(&known.last_modified, &seen.last_modified)
}

/// The length in a 416's `Content-Range: bytes */N`.
fn unsatisfied_length(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(CONTENT_RANGE)?.to_str().ok()?.trim();
    value.strip_prefix("bytes */")?.trim().parse().ok()
}

fn short_body(got: u64, expected: u64) -> Failure {
    Failure::transient(
        ErrorCode::ERROR_WINHTTP_CONNECTION_ERROR,
        ErrorContext::RemoteFile,
        format!("the server sent {got} of {expected} bytes and closed the connection"),
    )
}

async fn existing_length(path: &Path) -> u64 {
    tokio::fs::metadata(path)
        .await
        .map(|m| m.len())
        .unwrap_or(0)
}

/// Opens the temporary file for writing at `offset`, cutting anything after it, hashing the
/// whole file with `algorithms`.
async fn open_at(path: &Path, offset: u64, algorithms: &[Algorithm]) -> Result<TempFile, Stop> {
    TempFile::open_at(path, offset, algorithms)
        .await
        .map_err(|e| {
            Stop::Failed(Failure::local(
                format!("cannot write {}", path.display()),
                &e,
            ))
        })
}

async fn flush(file: &mut TempFile) -> Result<(), Stop> {
    file.flush().await.map_err(write_failure)
}

fn write_failure(e: std::io::Error) -> Stop {
    Stop::Failed(Failure::local("cannot write the temporary file", &e))
}

/// Writes the rest of the file; returns its digests and its sync, which must be done before the
/// file is marked transferred.
async fn finish(file: TempFile, path: &Path) -> Result<(Vec<Digest>, Durable), Stop> {
    file.finish().await.map_err(|e| {
        Stop::Failed(Failure::local(
            format!("cannot write {}", path.display()),
            &e,
        ))
    })
}

/// The server's digests of an answer: those of the whole file (`Repr-Digest`, `Digest`, and
/// `Content-Digest` of a 200), and those of the answer's bytes only (`Content-Digest` of a 206).
fn split_digests(
    headers: &HeaderMap,
    status: StatusCode,
) -> (Vec<ServerDigest>, Vec<ServerDigest>) {
    integrity::server_digests(headers)
        .into_iter()
        .partition(|d| d.scope == Scope::WholeFile || status == StatusCode::OK)
}

/// Compares `wanted` with the computed digest of its algorithm; a difference stops the file
/// with FERRY_E_CHECKSUM_MISMATCH naming both digests.
fn compare(what: &str, wanted: &Digest, computed: &[Digest]) -> Result<(), Stop> {
    let Some(actual) = integrity::find(computed, wanted.algorithm) else {
        return Ok(());
    };
    if actual.bytes == wanted.bytes {
        return Ok(());
    }
    Err(Stop::Failed(Failure::fatal(
        ErrorCode::FERRY_E_CHECKSUM_MISMATCH,
        ErrorContext::LocalFile,
        format!(
            "the downloaded bytes do not match {what}: expected {}, got {}; the file was not \
             put under its final name",
            wanted.normalised(),
            actual.normalised()
        ),
    )))
}

fn validators_of(response: &Response) -> Validators {
    let text = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    Validators {
        etag: text(ETAG),
        last_modified: text(LAST_MODIFIED),
        length: None,
        content_type: text(CONTENT_TYPE),
        server_digests: Vec::new(),
    }
}

/// The server's whole-file digests kept with `validators`.
fn stored_digests(validators: Option<&Validators>) -> Vec<ServerDigest> {
    validators
        .map(|v| {
            v.server_digests
                .iter()
                .filter_map(ServerDigest::from_stored)
                .collect()
        })
        .unwrap_or_default()
}

/// True when two sets of validators describe the same version of the remote file.
fn same_version(known: &Validators, seen: &Validators, length: Option<u64>) -> bool {
    let etag_ok = match (&known.etag, &seen.etag) {
        (Some(a), Some(b)) => a == b,
        (None, None) => true,
        _ => false,
    };
    let date_ok = match (&known.last_modified, &seen.last_modified) {
        (Some(a), Some(b)) => a == b,
        (None, None) => true,
        _ => false,
    };
    let length_ok = match (known.length, length) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    etag_ok && date_ok && length_ok
}

/// True when the answer says `Accept-Ranges: bytes`.
fn announces_byte_ranges(response: &Response) -> bool {
    response
        .headers()
        .get_all(ACCEPT_RANGES)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|unit| unit.trim().eq_ignore_ascii_case("bytes"))
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// A parsed `Content-Range: bytes start-end/total` (total may be `*`).
struct ContentRange {
    start: u64,
    end: u64,
    total: Option<u64>,
}

fn content_range(headers: &HeaderMap) -> Option<ContentRange> {
    let value = headers.get(CONTENT_RANGE)?.to_str().ok()?.trim();
    let rest = value.strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (start, end) = span.split_once('-')?;
    let start: u64 = start.trim().parse().ok()?;
    let end: u64 = end.trim().parse().ok()?;
    let total = match total.trim() {
        "*" => None,
        n => Some(n.parse().ok()?),
    };
    // An end at u64::MAX could only belong to a file larger than any length can say.
    let consistent = end >= start && end < u64::MAX && total.is_none_or(|t| end < t);
    consistent.then_some(ContentRange { start, end, total })
}

/// Total bytes the ranges cover in a remote file of `len` bytes, if every range fits and the
/// total is a number.
fn sum_ranges(ranges: &[ByteRange], len: u64) -> Option<u64> {
    ranges.iter().try_fold(0u64, |sum, r| {
        let length = r.length.or_else(|| len.checked_sub(r.offset))?;
        sum.checked_add(length)
    })
}

fn parse_date(text: &str) -> Option<UnixMillis> {
    let when = httpdate::parse_http_date(text).ok()?;
    let since = when.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(since.as_millis() as UnixMillis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_is_parsed_and_checked() {
        let mut h = HeaderMap::new();
        h.insert(
            CONTENT_RANGE,
            HeaderValue::from_static("bytes 100-199/1000"),
        );
        let r = content_range(&h).unwrap();
        assert_eq!((r.start, r.end, r.total), (100, 199, Some(1000)));
        h.insert(
            CONTENT_RANGE,
            HeaderValue::from_static("bytes 100-1000/1000"),
        );
        assert!(
            content_range(&h).is_none(),
            "an end past the total is invalid"
        );
    }

    #[test]
    fn a_content_range_ending_at_the_largest_number_is_refused() {
        // Found by `properties::an_accepted_content_range_is_a_span_inside_the_file`: the
        // download counted `end + 1 - start` bytes and overflowed on a hostile server's answer.
        let mut h = HeaderMap::new();
        h.insert(
            CONTENT_RANGE,
            HeaderValue::from_static("bytes 0-18446744073709551615/*"),
        );
        assert!(content_range(&h).is_none());
    }

    #[test]
    fn a_sum_of_ranges_past_the_largest_number_is_unknown() {
        // Found by `properties::sums_of_ranges_never_overflow` (ranges read back from a store).
        let to_end = ByteRange {
            offset: 0,
            length: None,
        };
        assert_eq!(sum_ranges(&[to_end, to_end], 1 << 63), None);
    }

    #[test]
    fn versions_differ_when_any_validator_differs() {
        let v = |etag: &str, len| Validators {
            etag: Some(etag.into()),
            last_modified: None,
            length: Some(len),
            content_type: None,
            server_digests: Vec::new(),
        };
        assert!(same_version(&v("\"a\"", 10), &v("\"a\"", 10), Some(10)));
        assert!(!same_version(&v("\"a\"", 10), &v("\"b\"", 10), Some(10)));
        assert!(!same_version(&v("\"a\"", 10), &v("\"a\"", 10), Some(11)));
    }

    #[test]
    fn ranges_to_eof_use_the_remote_length() {
        let ranges = [
            ByteRange {
                offset: 10,
                length: Some(5),
            },
            ByteRange {
                offset: 90,
                length: None,
            },
        ];
        assert_eq!(sum_ranges(&ranges, 100), Some(15));
        assert_eq!(sum_ranges(&ranges, 50), None);
    }
}

#[cfg(test)]
mod properties {
    //! The answers' range and length headers against any input: never a panic, and what the
    //! engine accepts is consistent. Case count: `PROPTEST_CASES` (`make fuzz` runs many more).

    use proptest::prelude::*;

    use super::*;

    /// Headers holding `name: value`, or `None` when the bytes cannot be a header value.
    fn with(name: reqwest::header::HeaderName, value: &[u8]) -> Option<HeaderMap> {
        let value = HeaderValue::from_bytes(value).ok()?;
        let mut headers = HeaderMap::new();
        headers.insert(name, value);
        Some(headers)
    }

    /// A number as a server might write one: digits (up to far past u64), a sign, spaces.
    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            r"[ \t]{0,2}[-+]?[0-9]{0,25}[ \t]{0,2}",
            Just("18446744073709551615".to_owned()),
            Just("18446744073709551616".to_owned()),
        ]
    }

    /// A `Content-Range` value near the grammar `bytes first-last/(total|*)`.
    fn content_range_text() -> impl Strategy<Value = String> {
        let unit = prop_oneof![
            Just("bytes "),
            Just("bytes  "),
            Just("BYTES "),
            Just(""),
            Just("items ")
        ];
        let total = prop_oneof![Just("*".to_owned()), number()];
        (unit, number(), number(), total, r"[ \t]{0,2}").prop_map(
            |(unit, first, last, total, pad)| format!("{pad}{unit}{first}-{last}/{total}{pad}"),
        )
    }

    proptest! {
        #[test]
        fn content_range_and_length_never_panic_on_any_bytes(value in prop::collection::vec(any::<u8>(), 0..80)) {
            for name in [CONTENT_RANGE, CONTENT_LENGTH] {
                if let Some(headers) = with(name, &value) {
                    let _ = content_range(&headers);
                    let _ = unsatisfied_length(&headers);
                    let _ = content_length(&headers);
                }
            }
        }

        #[test]
        fn an_accepted_content_range_is_a_span_inside_the_file(text in content_range_text()) {
            let headers = with(CONTENT_RANGE, text.as_bytes()).unwrap();
            if let Some(range) = content_range(&headers) {
                prop_assert!(range.start <= range.end);
                prop_assert!(range.total.is_none_or(|total| range.end < total));
                prop_assert!(
                    range.end.checked_add(1).is_some(),
                    "the engine counts `end + 1 - start` bytes: {text:?}"
                );
            }
        }

        #[test]
        fn a_content_range_written_from_numbers_parses_back(
            start in any::<u64>(),
            span in any::<u64>(),
            beyond in any::<u64>(),
            known_total in any::<bool>(),
        ) {
            let end = start.saturating_add(span).min(u64::MAX - 1);
            prop_assume!(start <= end);
            let total = known_total.then(|| end.saturating_add(1).saturating_add(beyond % 1000));
            let text = format!(
                "bytes {start}-{end}/{}",
                total.map_or("*".to_owned(), |t| t.to_string())
            );
            let range = content_range(&with(CONTENT_RANGE, text.as_bytes()).unwrap())
                .expect("a well-formed Content-Range is accepted");
            prop_assert_eq!((range.start, range.end, range.total), (start, end, total));
        }

        #[test]
        fn an_unsatisfied_length_written_from_a_number_parses_back(length in any::<u64>()) {
            let headers = with(CONTENT_RANGE, format!("bytes */{length}").as_bytes()).unwrap();
            prop_assert_eq!(unsatisfied_length(&headers), Some(length));
        }

        #[test]
        fn content_length_variants_give_the_number_or_nothing(text in number()) {
            let headers = with(CONTENT_LENGTH, text.as_bytes()).unwrap();
            prop_assert_eq!(content_length(&headers), text.trim().parse::<u64>().ok());
        }

        #[test]
        fn sums_of_ranges_never_overflow(
            ranges in prop::collection::vec((any::<u64>(), any::<Option<u64>>()), 0..6),
            len in any::<u64>(),
        ) {
            let ranges: Vec<ByteRange> = ranges
                .into_iter()
                .map(|(offset, length)| ByteRange { offset, length })
                .collect();
            let _ = sum_ranges(&ranges, len);
        }

        #[test]
        fn content_codings_never_panic(value in prop::collection::vec(any::<u8>(), 0..40)) {
            if let Some(headers) = with(CONTENT_ENCODING, &value) {
                if let Some(coding) = content_coding(&headers) {
                    prop_assert!(!coding.is_empty());
                }
            }
        }
    }
}
