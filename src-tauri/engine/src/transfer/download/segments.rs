//! Downloading one file over several connections at once, for servers that answer byte ranges
//! of a version they name with a strong validator and whose size is known.
//!
//! The file is split into parts; each connection fetches one part with `Range` + `If-Range`
//! into the preallocated temporary file ([`SegmentFile`]). It starts with one connection and
//! adds more while the total rate rises, up to the job's limit, and closes the added ones (each
//! once its piece is done) when they prove no faster than fewer ([`Ramp`]). A connection whose part is done
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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use futures_util::stream::FuturesUnordered;
use futures_util::StreamExt;
use reqwest::header::{HeaderMap, IF_RANGE, RANGE};
use reqwest::{Response, StatusCode};

use super::ramp::Ramp;
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
/// A file is taken in about this many pieces (one request each)...
const PIECES: u64 = 64;
/// ...of at most this size.
const MAX_PIECE: u64 = 32 * 1024 * 1024;
/// How often the bytes written are counted, for the ramp and the sync.
const TICK: Duration = Duration::from_millis(50);
/// How long the rate is measured before the ramp decides; new connections first get one
/// [`TICK`] to get going.
const MEASURE_FOR: Duration = Duration::from_millis(100);
/// How often the bytes written are put on disk and their spans reported.
const SYNC_EVERY: Duration = Duration::from_secs(1);
/// How long a server that counts connections gets to see one closed.
const CLOSE_SEEN: Duration = Duration::from_millis(200);
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
    /// While busy: where the answer being read ends (it may reach past `end` when the part was
    /// cut after it was asked for, as the first answer of the whole file is).
    asked: u64,
}

/// The parts and who fetches them.
#[derive(Debug)]
struct Board {
    parts: Vec<Part>,
    /// The size of the pieces connections take in turn from the front of what is left, so the
    /// bytes on disk grow from the start of the file and are hashed as they arrive rather than
    /// all at the end.
    piece: u64,
}

impl Board {
    /// The piece size for a file of `total` bytes.
    fn piece_for(total: u64) -> u64 {
        (total / PIECES).clamp(2 * MIN_PART, MAX_PIECE)
    }

    /// A part for a connection: the first piece nobody fetches; else the piece after the one
    /// the connection with the most left is on (it stops there); else the second half of the
    /// largest part being fetched (at least [`MIN_PART`] each side).
    fn claim(&mut self) -> Option<usize> {
        let idle = self
            .parts
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.busy && p.next < p.end)
            .min_by_key(|(_, p)| p.next)
            .map(|(index, _)| index);
        if let Some(index) = idle {
            return Some(self.take_piece(index));
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
        let keep = if largest > 2 * self.piece {
            self.piece
        } else {
            largest / 2
        };
        let cut = self.parts[index].next + keep;
        let end = std::mem::replace(&mut self.parts[index].end, cut);
        self.parts.push(Part {
            next: cut,
            end,
            busy: false,
            asked: 0,
        });
        Some(self.take_piece(self.parts.len() - 1))
    }

    /// Gives part `index` back. A connection whose answer already covers it, reading the bytes
    /// just before it, takes it (and what follows it, as far as that answer goes) without a new
    /// request; otherwise it waits for the next connection to claim it.
    fn release(&mut self, index: usize) {
        self.parts[index].busy = false;
        while let Some((reader, next)) = self.covered_by_a_reader() {
            self.parts[reader].end = self.parts[next].end;
            self.parts[next].next = self.parts[next].end;
        }
    }

    /// A busy part and the idle part right after it that its answer covers.
    fn covered_by_a_reader(&self) -> Option<(usize, usize)> {
        self.parts
            .iter()
            .enumerate()
            .filter(|(_, reader)| reader.busy)
            .find_map(|(index, reader)| {
                self.parts
                    .iter()
                    .position(|p| {
                        !p.busy && p.next == reader.end && p.next < p.end && p.end <= reader.asked
                    })
                    .map(|next| (index, next))
            })
    }

    /// Marks idle part `index` busy, first leaving all but its first piece idle.
    fn take_piece(&mut self, index: usize) -> usize {
        let part = &mut self.parts[index];
        if part.end - part.next > self.piece + MIN_PART {
            let cut = part.next + self.piece;
            let end = std::mem::replace(&mut part.end, cut);
            self.parts.push(Part {
                next: cut,
                end,
                busy: false,
                asked: 0,
            });
        }
        self.parts[index].busy = true;
        index
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
    /// Connections to close, each once its piece is done: the ramp found fewer as fast.
    surplus: AtomicUsize,
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
            piece: Board::piece_for(total),
            parts: spans
                .gaps(total)
                .into_iter()
                .map(|(next, end)| Part {
                    next,
                    end,
                    busy: false,
                    asked: 0,
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
                written: Box::new(move || counter.load(Ordering::Acquire)),
                surplus: AtomicUsize::new(0),
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
        tracing::debug!("every part is written; putting the file on disk");
        let digests = file.finish().await.map_err(write_failure)?;
        tracing::debug!("the file is on disk");
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
                        board.parts[index].asked = self.total;
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
        let mut measure = tokio::time::interval(TICK);
        measure.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        measure.tick().await;
        let mut synced_at = tokio::time::Instant::now();
        let mut ramp = Ramp::default();
        // The measurement under way: since when, from how many bytes (`None`: settling, as the
        // first connection gets going too).
        let mut window = None;
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
                            ramp.stop();
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
                    let now = tokio::time::Instant::now();
                    match window {
                        // New connections had a tick to get going; measuring starts now.
                        None => window = Some((now, written)),
                        Some((since, from)) if now - since >= MEASURE_FOR => {
                            let elapsed = now - since;
                            let rate = (written - from) as f64 / elapsed.as_secs_f64();
                            let more = if self.board().has_work() {
                                ramp.decide(connections.len(), limit, rate, elapsed)
                            } else {
                                0
                            };
                            if more > 0 {
                                tracing::debug!(
                                    connections = connections.len() + more,
                                    bytes_per_second = rate as u64,
                                    "more connections"
                                );
                            }
                            for _ in 0..more {
                                connections.push(Box::pin(self.connection(None)));
                            }
                            if let Some(keep) = ramp.keep() {
                                let surplus = connections.len().saturating_sub(keep);
                                if surplus > self.surplus.swap(surplus, Ordering::AcqRel) {
                                    tracing::debug!(
                                        connections = keep,
                                        bytes_per_second = rate as u64,
                                        "fewer connections were as fast"
                                    );
                                }
                            }
                            window = (more == 0).then_some((now, written));
                        }
                        Some(_) => {}
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
        let mut left_early = false;
        loop {
            let (response, part) = match first.take() {
                Some(first) => first,
                None => {
                    if self.leaves() {
                        return Ok(Ended::Done);
                    }
                    let Some(part) = self.board().claim() else {
                        return Ok(Ended::Done);
                    };
                    match self.request(part, left_early).await {
                        Ok(response) => (response, part),
                        Err(ended) => {
                            self.board().release(part);
                            return ended;
                        }
                    }
                }
            };
            match self.pump(response, part).await {
                Ok(read_to_end) => left_early = !read_to_end,
                Err(ended) => {
                    self.board().release(part);
                    return ended;
                }
            }
            self.board().parts[part].busy = false;
        }
    }

    /// Asks for the rest of `part`; `Err` ends the connection (its part is released). When this
    /// connection `left_early` an answer (closing its connection), a server that counts
    /// connections may not have seen the close yet: a refusal is asked again once, a moment
    /// later.
    async fn request(
        &self,
        part: usize,
        left_early: bool,
    ) -> Result<Response, Result<Ended, Stop>> {
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
        let mut again = left_early;
        let answer = loop {
            let answer = match download.send(self.url, headers.clone()).await {
                Ok(answer) => answer,
                Err(Stop::Failed(failure)) if failure.transient => {
                    return Err(Ok(Ended::Lost(failure)))
                }
                Err(stop) => return Err(Err(stop)),
            };
            if again && refusal(answer.response.status()) {
                again = false;
                tokio::select! {
                    _ = download.cancel.cancelled() => return Err(Err(Stop::Cancelled)),
                    _ = tokio::time::sleep(CLOSE_SEEN) => continue,
                }
            }
            break answer;
        };
        self.board().parts[part].asked = end;
        let response = answer.response;
        let status = response.status();
        let others = self.busy_parts() > 1;
        match status {
            StatusCode::PARTIAL_CONTENT => {}
            status if refusal(status) && others => return Err(Ok(Ended::Refused)),
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

    /// True when this connection is one of the surplus to close (counted off as it leaves).
    fn leaves(&self) -> bool {
        self.surplus
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok()
    }

    fn busy_parts(&self) -> usize {
        self.board().parts.iter().filter(|p| p.busy).count()
    }

    /// Writes the body into `part` until the part is done (it may shrink meanwhile, when
    /// another connection takes its second half); true when the answer was read to its end.
    async fn pump(&self, response: Response, part: usize) -> Result<bool, Result<Ended, Stop>> {
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
                    return Ok(false);
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
        Ok(true)
    }
}

/// An answer that means the server will not take another connection now.
fn refusal(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(parts: &[(u64, u64, bool)]) -> Board {
        Board {
            parts: parts
                .iter()
                .map(|&(next, end, busy)| Part {
                    next,
                    end,
                    busy,
                    asked: end,
                })
                .collect(),
            piece: u64::MAX / 4,
        }
    }

    fn spans(b: &Board) -> Vec<(u64, u64, bool)> {
        b.parts.iter().map(|p| (p.next, p.end, p.busy)).collect()
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
    fn connections_take_pieces_from_the_front_so_the_file_fills_from_its_start() {
        let mut b = board(&[(0, 100 * MIN_PART, true)]);
        b.piece = 4 * MIN_PART;
        assert_eq!(
            b.claim(),
            Some(1),
            "the busy part keeps one piece, the next is taken"
        );
        assert_eq!(b.claim(), Some(2));
        assert_eq!(
            spans(&b),
            [
                (0, 4 * MIN_PART, true),
                (4 * MIN_PART, 8 * MIN_PART, true),
                (8 * MIN_PART, 12 * MIN_PART, true),
                (12 * MIN_PART, 100 * MIN_PART, false),
            ]
        );
        b.parts[1].busy = false;
        b.parts[1].next = 6 * MIN_PART;
        assert_eq!(
            b.claim(),
            Some(1),
            "a piece given back goes before later ones"
        );
    }

    #[test]
    fn a_part_given_back_goes_to_the_connection_whose_answer_covers_it() {
        let mut b = board(&[(0, 100 * MIN_PART, true)]);
        b.piece = 4 * MIN_PART;
        b.parts[0].asked = 100 * MIN_PART;
        assert_eq!(b.claim(), Some(1));
        b.release(1);
        assert_eq!(
            spans(&b)[0],
            (0, 100 * MIN_PART, true),
            "the first answer reads on to the end: no new request"
        );
        assert!(b.parts.iter().all(|p| p.busy || p.next == p.end));
    }

    #[test]
    fn a_part_given_back_waits_when_no_answer_covers_it() {
        let mut b = board(&[(0, 4 * MIN_PART, true), (4 * MIN_PART, 8 * MIN_PART, true)]);
        b.release(1);
        assert_eq!(spans(&b)[1], (4 * MIN_PART, 8 * MIN_PART, false));
        assert_eq!(b.claim(), Some(1));
    }

    #[test]
    fn the_last_piece_is_not_cut_into_a_sliver() {
        let mut b = board(&[(0, 5 * MIN_PART, false)]);
        b.piece = 4 * MIN_PART;
        assert_eq!(b.claim(), Some(0));
        assert_eq!(spans(&b), [(0, 5 * MIN_PART, true)]);
    }

    #[test]
    fn pieces_are_a_64th_of_the_file_within_bounds() {
        assert_eq!(Board::piece_for(400 * MIN_PART), 400 * MIN_PART / 64);
        assert_eq!(Board::piece_for(10 * MIN_PART), 2 * MIN_PART);
        assert_eq!(Board::piece_for(100 * 1024 * MIN_PART), MAX_PIECE);
    }

    #[test]
    fn parts_smaller_than_two_minimum_parts_are_not_split() {
        let mut b = board(&[(0, 2 * MIN_PART - 1, true)]);
        assert_eq!(b.claim(), None);
        assert!(!b.has_work());
    }
}
