//! Downloading one file over several connections at once, for servers that answer byte ranges
//! of a version they name with a strong validator and whose size is known.
//!
//! The file is split into parts; each connection fetches one part with `Range` + `If-Range`
//! into the preallocated temporary file ([`SegmentFile`]). It starts with one connection and
//! adds more while the total rate rises, up to the job's limit. A connection whose part is done
//! splits the largest part still being fetched and takes its second half (work stealing). A
//! server that answers an extra connection with 403, 429 or 503 caps connections: that
//! connection ends, its part goes back to the others, and the host keeps the lower count for
//! later files ([`HostCaps`]). Every connection shares the job's bandwidth pacer and stops at
//! once with the job. The spans of the file that are on disk are synced and reported every
//! second, so a restart fetches only the unsynced tail of each part.

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use futures_util::stream::FuturesUnordered;
use futures_util::StreamExt;
use reqwest::header::{HeaderMap, IF_RANGE, RANGE};
use reqwest::{Response, StatusCode};

use super::{
    content_range, header, http, invalid_response, parse_date, same_version, short_body,
    validators_of, write_failure, Download, FileDone,
};
use crate::error::{ErrorCode, ErrorContext};
use crate::integrity::ServerDigest;
use crate::record::Validators;
use crate::transfer::http::Failure;
use crate::transfer::segment_file::{SegmentFile, SegmentWriter, Spans};
use crate::transfer::Stop;

/// Parts are never split below this size: a new connection would cost more than it brings.
pub const MIN_PART: u64 = 1024 * 1024;
/// How often the rate is measured to decide whether to add connections.
const MEASURE_EVERY: Duration = Duration::from_millis(150);
/// Periods in a row without a rise in rate after which no more connections are added (one
/// period is often too short to tell: bursts, a connection still getting going).
const PATIENCE: u32 = 4;
/// How often the bytes written are put on disk and their spans reported.
const SYNC_EVERY: Duration = Duration::from_secs(1);
/// The rise in rate that makes more connections worth trying.
const RISE: f64 = 1.15;
/// Connections in a row that may lose their part before the file stops with the last failure.
const LOSSES_IN_A_ROW: u32 = 3;

/// Connections per host learnt from servers that refused extra connections (403, 429, 503).
#[derive(Debug, Default)]
pub struct HostCaps(Mutex<HashMap<String, u32>>);

impl HostCaps {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, u32>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Most connections `host` accepted, if it ever refused one.
    pub fn get(&self, host: &str) -> Option<u32> {
        self.lock().get(host).copied()
    }

    /// Lowers the connections `host` gets to `most` (at least 1).
    pub fn lower(&self, host: &str, most: u32) {
        let most = most.max(1);
        let mut caps = self.lock();
        let cap = caps.entry(host.to_owned()).or_insert(most);
        *cap = (*cap).min(most);
        tracing::info!(
            host,
            connections = *cap,
            "the server refused an extra connection"
        );
    }
}

/// A part of the file: bytes `[next, end)` are still to be fetched.
#[derive(Debug)]
struct Part {
    next: u64,
    end: u64,
    busy: bool,
}

/// The parts and who fetches them.
#[derive(Debug, Default)]
struct Board {
    parts: Vec<Part>,
}

impl Board {
    /// A part for a connection: one nobody fetches, or the second half of the largest one
    /// being fetched (at least [`MIN_PART`] each side).
    fn claim(&mut self) -> Option<usize> {
        if let Some(index) = self.parts.iter().position(|p| !p.busy && p.next < p.end) {
            self.parts[index].busy = true;
            return Some(index);
        }
        let (index, largest) = self
            .parts
            .iter()
            .enumerate()
            .filter(|(_, p)| p.busy)
            .map(|(i, p)| (i, p.end - p.next))
            .max_by_key(|&(_, remaining)| remaining)?;
        if largest < 2 * MIN_PART {
            return None;
        }
        let middle = self.parts[index].next + largest / 2;
        let end = std::mem::replace(&mut self.parts[index].end, middle);
        self.parts.push(Part {
            next: middle,
            end,
            busy: true,
        });
        Some(self.parts.len() - 1)
    }

    /// True when a new connection would find work.
    fn has_work(&self) -> bool {
        self.parts.iter().any(|p| {
            let remaining = p.end - p.next;
            (!p.busy && remaining > 0) || remaining >= 2 * MIN_PART
        })
    }

    fn done(&self) -> bool {
        self.parts.iter().all(|p| p.next >= p.end)
    }
}

/// How one connection ended, when it did not stop the file.
enum Ended {
    /// No part left to fetch.
    Done,
    /// The server refused the connection (403, 429, 503) while others were running.
    Refused,
    /// The connection failed in a way worth retrying; its part went back to the board.
    Lost(Failure),
}

type Syncing = Pin<Box<dyn Future<Output = Result<Vec<(u64, u64)>, ()>> + Send>>;

type Connection<'s> = Pin<Box<dyn Future<Output = Result<Ended, Stop>> + Send + 's>>;

/// One file being fetched over several connections.
pub(super) struct Segmented<'d, 'a> {
    download: &'d Download<'a>,
    url: &'d url::Url,
    total: u64,
    known: Validators,
    board: Mutex<Board>,
    writer: SegmentWriter,
    written: Box<dyn Fn() -> u64 + Send + Sync + 'd>,
}

/// What the first connection brings when a download over one connection turns into one over
/// several: the answer for bytes `[start, total)`.
pub(super) struct FirstAnswer {
    /// The answer whose body is the rest of the file.
    pub response: Response,
    /// Its first byte.
    pub start: u64,
}

impl Download<'_> {
    /// True when the file may be fetched over several connections: the job allows it, the
    /// server sends ranges (or said it would) of a version with a strong validator, and the
    /// rest of the file is large enough to split.
    pub(super) fn can_split(
        &self,
        ranges_announced: bool,
        start: u64,
        total: Option<u64>,
        versioned: &Validators,
        message: &[ServerDigest],
    ) -> bool {
        self.connections > 1
            && !self.dynamic
            && self.file.ranges.is_none()
            && ranges_announced
            && message.is_empty()
            && versioned.if_range().is_some()
            && total.is_some_and(|total| total.saturating_sub(start) >= 2 * MIN_PART)
    }

    /// Continues a file downloaded over several connections from the spans on disk.
    pub(super) async fn resume_parts(
        &self,
        url: &url::Url,
        temp: &Path,
        spans: &[(u64, u64)],
    ) -> Result<FileDone, Stop> {
        let known = self.file.validators.clone();
        let total = known
            .as_ref()
            .and_then(|k| k.length)
            .or(self.file.bytes_total);
        let (Some(known), Some(total)) = (known.filter(|k| k.if_range().is_some()), total) else {
            return self.restart(temp).await;
        };
        let whole_file = super::stored_digests(Some(&known));
        self.fetch_parts(url, temp, total, known, whole_file, spans.to_vec(), None)
            .await
    }

    /// Fetches the parts of `[0, total)` not in `on_disk` over up to the job's connections.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn fetch_parts(
        &self,
        url: &url::Url,
        temp: &Path,
        total: u64,
        known: Validators,
        whole_file: Vec<ServerDigest>,
        on_disk: Vec<(u64, u64)>,
        first: Option<FirstAnswer>,
    ) -> Result<FileDone, Stop> {
        let spans = Spans::from_list(&on_disk, total);
        self.started_segments(spans.covered(), total, &known, spans.to_list())?;
        let algorithms = self.algorithms(&whole_file)?;
        let mut file = SegmentFile::open(temp, total, &spans.to_list(), &algorithms)
            .await
            .map_err(|e| {
                Stop::Failed(Failure::local(
                    format!("cannot write {}", temp.display()),
                    &e,
                ))
            })?;
        let board = Board {
            parts: spans
                .gaps(total)
                .into_iter()
                .map(|(next, end)| Part {
                    next,
                    end,
                    busy: false,
                })
                .collect(),
        };
        let outcome = {
            let counter = file.written_counter();
            let segmented = Segmented {
                download: self,
                url,
                total,
                known: known.clone(),
                board: Mutex::new(board),
                writer: file.writer(),
                written: Box::new(move || counter.load(std::sync::atomic::Ordering::Acquire)),
            };
            segmented.run(first).await
        };
        match outcome {
            Ok(()) => {}
            Err(Stop::Restart) => {
                drop(file);
                return self.restart(temp).await;
            }
            Err(stop) => {
                // Whatever reached the file counts at the next start.
                if let Ok(spans) = file.sync().await {
                    self.report.segments_on_disk(self.index, spans);
                }
                return Err(stop);
            }
        }
        let digests = file.finish().await.map_err(write_failure)?;
        self.done(
            (digests, super::Durable::already()),
            &whole_file,
            known.last_modified.as_deref().and_then(parse_date),
        )
    }

    /// Reports the start of a file fetched in parts (committed before a byte is written when
    /// the file was not in parts before).
    fn started_segments(
        &self,
        offset: u64,
        total: u64,
        known: &Validators,
        spans: Vec<(u64, u64)>,
    ) -> Result<(), Stop> {
        let start = crate::transfer::FileStart {
            offset,
            total: Some(total),
            validators: Some(Validators {
                length: Some(total),
                ..known.clone()
            }),
            segments: Some(spans),
        };
        self.report
            .file_started(self.index, &start)
            .map_err(Stop::Failed)
    }
}

impl Segmented<'_, '_> {
    fn board(&self) -> MutexGuard<'_, Board> {
        self.board.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn host(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port_or_known_default() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// Runs connections until every part is fetched, a connection stops the file, or the job
    /// is stopped.
    async fn run(&self, first: Option<FirstAnswer>) -> Result<(), Stop> {
        let download = self.download;
        let host = self.host();
        let allowed = download.connections.max(1);
        let mut limit = download
            .pacer
            .inner()
            .host_caps
            .get(&host)
            .map_or(allowed, |cap| cap.min(allowed)) as usize;
        let mut connections: FuturesUnordered<Connection<'_>> = FuturesUnordered::new();
        match first {
            Some(first) => {
                let part = {
                    let mut board = self.board();
                    let index = board.parts.iter().position(|p| p.next == first.start);
                    if let Some(index) = index {
                        board.parts[index].busy = true;
                    }
                    index
                };
                let Some(part) = part else {
                    return Err(invalid_response(
                        "the first answer does not match a part of the file",
                    ));
                };
                connections.push(Box::pin(self.connection(Some((first.response, part)))));
            }
            None => connections.push(Box::pin(self.connection(None))),
        }
        let mut measure = tokio::time::interval(MEASURE_EVERY);
        measure.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        measure.tick().await;
        let mut synced_at = tokio::time::Instant::now();
        let mut last_written = (self.written)();
        let mut last_rate: Option<f64> = None;
        let mut growing = true;
        let mut settling = false;
        let mut misses = 0u32;
        let mut losses = 0u32;
        let mut syncing: Option<Syncing> = None;
        loop {
            tokio::select! {
                biased;
                _ = download.cancel.cancelled() => return Err(Stop::Cancelled),
                ended = connections.next() => {
                    let Some(ended) = ended else {
                        if self.board().done() {
                            return Ok(());
                        }
                        // Every connection ended and bytes are still missing: start again with one.
                        connections.push(Box::pin(self.connection(None)));
                        continue;
                    };
                    match ended? {
                        Ended::Done => losses = 0,
                        Ended::Refused => {
                            growing = false;
                            limit = connections.len().max(1);
                            download.pacer.inner().host_caps.lower(&host, limit as u32);
                        }
                        Ended::Lost(failure) => {
                            losses += 1;
                            if losses >= LOSSES_IN_A_ROW {
                                return Err(Stop::Failed(failure));
                            }
                            tracing::debug!("a connection was lost: {}", failure.description);
                        }
                    }
                    if connections.is_empty() && !self.board().done() {
                        connections.push(Box::pin(self.connection(None)));
                    }
                }
                _ = measure.tick() => {
                    let written = (self.written)();
                    let rate = (written - last_written) as f64;
                    last_written = written;
                    if settling {
                        // New connections had this period to get going; the next one counts.
                        settling = false;
                    } else if growing && connections.len() < limit && self.board().has_work() {
                        if last_rate.is_none_or(|before| rate > before * RISE) {
                            last_rate = Some(rate);
                            let more = connections.len().min(limit - connections.len());
                            for _ in 0..more {
                                connections.push(Box::pin(self.connection(None)));
                            }
                            settling = true;
                            misses = 0;
                        } else {
                            misses += 1;
                            growing = misses < PATIENCE;
                        }
                    }
                    if syncing.is_none() && synced_at.elapsed() >= SYNC_EVERY {
                        let writer = self.writer.clone();
                        syncing = Some(Box::pin(async move { writer.sync().await }));
                    }
                }
                synced = async {
                    match syncing.as_mut() {
                        Some(sync) => sync.await,
                        None => std::future::pending().await,
                    }
                } => {
                    syncing = None;
                    synced_at = tokio::time::Instant::now();
                    match synced {
                        Ok(spans) => download.report.segments_on_disk(download.index, spans),
                        // The writer stopped: finishing the file reports its error.
                        Err(()) => return Ok(()),
                    }
                }
            }
        }
    }

    /// One connection: fetches parts until none is left.
    async fn connection(&self, mut first: Option<(Response, usize)>) -> Result<Ended, Stop> {
        loop {
            let (response, part) = match first.take() {
                Some(first) => first,
                None => {
                    let Some(part) = self.board().claim() else {
                        return Ok(Ended::Done);
                    };
                    match self.request(part).await {
                        Ok(response) => (response, part),
                        Err(ended) => {
                            self.board().parts[part].busy = false;
                            return ended;
                        }
                    }
                }
            };
            if let Err(ended) = self.pump(response, part).await {
                self.board().parts[part].busy = false;
                return ended;
            }
            self.board().parts[part].busy = false;
        }
    }

    /// Asks for the rest of `part`; `Err` ends the connection (its part is released).
    async fn request(&self, part: usize) -> Result<Response, Result<Ended, Stop>> {
        let download = self.download;
        let (next, end) = {
            let board = self.board();
            (board.parts[part].next, board.parts[part].end)
        };
        let mut headers = HeaderMap::new();
        headers.insert(RANGE, header(&format!("bytes={next}-{}", end - 1)));
        if let Some(tag) = self.known.if_range() {
            headers.insert(IF_RANGE, header(tag));
        }
        let answer = match download.send(self.url, headers).await {
            Ok(answer) => answer,
            Err(Stop::Failed(failure)) if failure.transient => {
                return Err(Ok(Ended::Lost(failure)))
            }
            Err(stop) => return Err(Err(stop)),
        };
        let response = answer.response;
        let status = response.status();
        let others = self.busy_parts() > 1;
        match status {
            StatusCode::PARTIAL_CONTENT => {}
            StatusCode::FORBIDDEN
            | StatusCode::TOO_MANY_REQUESTS
            | StatusCode::SERVICE_UNAVAILABLE
                if others =>
            {
                return Err(Ok(Ended::Refused));
            }
            StatusCode::OK => {
                let seen = validators_of(&response);
                if !same_version(
                    &self.known,
                    &seen,
                    super::content_length(response.headers()),
                ) {
                    return Err(Err(Stop::Restart));
                }
                return Err(Err(Stop::Failed(Failure::fatal(
                    ErrorCode::BG_E_INSUFFICIENT_RANGE_SUPPORT,
                    ErrorContext::RemoteFile,
                    "the server sent the whole file instead of the part asked for",
                ))));
            }
            StatusCode::RANGE_NOT_SATISFIABLE => return Err(Err(Stop::Restart)),
            _ => {
                return Err(Err(Stop::Failed(Failure::http_status(
                    status,
                    response.headers(),
                    ErrorContext::RemoteFile,
                ))))
            }
        }
        download.check_body(&response).map_err(Err)?;
        let Some(range) = content_range(response.headers()) else {
            return Err(Err(invalid_response(
                "a partial answer without a valid Content-Range",
            )));
        };
        let seen = validators_of(&response);
        if !same_version(&self.known, &seen, range.total) || range.total != Some(self.total) {
            return Err(Err(Stop::Restart));
        }
        if range.start != next {
            return Err(Err(invalid_response(&format!(
                "asked for bytes from {next}, got bytes from {}",
                range.start
            ))));
        }
        download.report.connected();
        Ok(response)
    }

    fn busy_parts(&self) -> usize {
        self.board().parts.iter().filter(|p| p.busy).count()
    }

    /// Writes the body into `part` until the part is done (it may shrink meanwhile, when
    /// another connection takes its second half).
    async fn pump(&self, response: Response, part: usize) -> Result<(), Result<Ended, Stop>> {
        let download = self.download;
        let mut stream = response.bytes_stream();
        loop {
            let chunk = tokio::select! {
                biased;
                _ = download.cancel.cancelled() => return Err(Err(Stop::Cancelled)),
                chunk = stream.next() => chunk,
            };
            let mut bytes = match chunk {
                None => break,
                Some(Ok(bytes)) => bytes,
                Some(Err(e)) => {
                    let at = self.board().parts[part].next;
                    return Err(Ok(Ended::Lost(http::body_failure(&e, at))));
                }
            };
            while !bytes.is_empty() {
                let piece = download.pacer.piece().unwrap_or(u64::MAX);
                // Reserve the bytes before waiting, so a split never hands them out twice.
                let (offset, size) = {
                    let mut board = self.board();
                    let part = &mut board.parts[part];
                    let size = (bytes.len() as u64).min(piece).min(part.end - part.next);
                    let offset = part.next;
                    part.next += size;
                    (offset, size)
                };
                if size == 0 {
                    // The rest of this answer belongs to another connection now.
                    return Ok(());
                }
                let data = bytes.split_to(size as usize);
                download.pacer.admit(size).await.map_err(Err)?;
                if self.writer.write(offset, data).await.is_err() {
                    return Err(Err(Stop::Failed(Failure::fatal(
                        ErrorCode::E_FAIL,
                        ErrorContext::LocalFile,
                        "the temporary file stopped accepting bytes",
                    ))));
                }
                download.report.bytes(download.index, (self.written)());
            }
        }
        let board = self.board();
        let part = &board.parts[part];
        if part.next < part.end {
            let failure = short_body(part.next, part.end);
            drop(board);
            return Err(Ok(Ended::Lost(failure)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(parts: &[(u64, u64, bool)]) -> Board {
        Board {
            parts: parts
                .iter()
                .map(|&(next, end, busy)| Part { next, end, busy })
                .collect(),
        }
    }

    #[test]
    fn an_idle_part_is_claimed_before_any_is_split() {
        let mut b = board(&[
            (0, 10 * MIN_PART, true),
            (10 * MIN_PART, 11 * MIN_PART, false),
        ]);
        assert_eq!(b.claim(), Some(1));
        assert!(b.parts[1].busy);
    }

    #[test]
    fn the_largest_busy_part_gives_its_second_half() {
        let mut b = board(&[(0, 4 * MIN_PART, true), (4 * MIN_PART, 12 * MIN_PART, true)]);
        assert_eq!(b.claim(), Some(2));
        assert_eq!(b.parts[1].end, 8 * MIN_PART);
        assert_eq!(
            (b.parts[2].next, b.parts[2].end),
            (8 * MIN_PART, 12 * MIN_PART)
        );
    }

    #[test]
    fn parts_smaller_than_two_minimum_parts_are_not_split() {
        let mut b = board(&[(0, 2 * MIN_PART - 1, true)]);
        assert_eq!(b.claim(), None);
        assert!(!b.has_work());
    }
}
