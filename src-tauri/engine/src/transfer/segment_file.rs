//! Writing one temporary file from several connections at once: each chunk goes, without being
//! copied, to one blocking thread that writes it at its own offset into the preallocated file
//! and keeps the list of byte spans written so far.
//!
//! [`SegmentFile::sync`] puts the written spans on disk (`fdatasync`) and only then hands them
//! back, so the spans the store keeps never name a byte that is not durably in the file. The
//! same thread hashes the file: the chunks that continue the hashed prefix are hashed as they
//! are written, and when the prefix reaches bytes another connection wrote earlier, those are
//! read back (from the page cache, in bounded pieces so writes are not held up) and hashed.
//!
//! The chunks that continue the hashed prefix, which over one connection are all of them, go
//! past the page cache through a [`DirectWriter`] (see there why); the others, written ahead of
//! the prefix by other connections, through the page cache, where the prefix reads them back.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use super::direct_writer::DirectWriter;
use crate::integrity::{Algorithm, Digest, Hashes};

/// Chunks that may wait for the disk before the connections wait too.
const QUEUE: usize = 64;
/// Most bytes read back and hashed between two writes.
const CATCH_UP_STEP: u64 = 4 * 1024 * 1024;
/// Read buffer for hashing bytes read back.
const READ_BUFFER: usize = 256 * 1024;

enum Op {
    Write { offset: u64, data: Bytes },
    Sync(oneshot::Sender<std::io::Result<Vec<(u64, u64)>>>),
    Finish(oneshot::Sender<std::io::Result<Vec<Digest>>>),
}

/// Sorted, disjoint, non-adjacent byte spans `[start, end)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spans(Vec<(u64, u64)>);

impl Spans {
    /// Spans from a stored list (any order, overlaps allowed), clipped to `total`.
    pub fn from_list(list: &[(u64, u64)], total: u64) -> Spans {
        let mut spans = Spans::default();
        for &(start, end) in list {
            spans.insert(start.min(total), end.min(total));
        }
        spans
    }

    /// Adds `[start, end)`.
    pub fn insert(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let (mut start, mut end) = (start, end);
        self.0.retain(|&(s, e)| {
            if e < start || s > end {
                return true;
            }
            start = start.min(s);
            end = end.max(e);
            false
        });
        let at = self.0.partition_point(|&(s, _)| s < start);
        self.0.insert(at, (start, end));
    }

    /// Bytes covered.
    pub fn covered(&self) -> u64 {
        self.0.iter().map(|(s, e)| e - s).sum()
    }

    /// The end of the span that holds `offset` (`offset` itself when none does).
    fn reach_from(&self, offset: u64) -> u64 {
        self.0
            .iter()
            .find(|&&(s, e)| s <= offset && offset < e)
            .map_or(offset, |&(_, e)| e)
    }

    /// The parts of `[0, total)` not covered.
    pub fn gaps(&self, total: u64) -> Vec<(u64, u64)> {
        let mut gaps = Vec::new();
        let mut at = 0;
        for &(s, e) in &self.0 {
            if s > at {
                gaps.push((at, s.min(total)));
            }
            at = at.max(e);
        }
        if at < total {
            gaps.push((at, total));
        }
        gaps.retain(|(s, e)| s < e);
        gaps
    }

    /// The spans as a list.
    pub fn to_list(&self) -> Vec<(u64, u64)> {
        self.0.clone()
    }
}

/// A preallocated temporary file written at offsets by several connections.
pub struct SegmentFile {
    ops: mpsc::Sender<Op>,
    worker: tokio::task::JoinHandle<std::io::Result<()>>,
    written: Arc<AtomicU64>,
    path: PathBuf,
}

/// A handle one connection writes through.
#[derive(Clone)]
pub struct SegmentWriter {
    ops: mpsc::Sender<Op>,
}

impl SegmentWriter {
    /// Waits until every chunk queued before the call is durably on disk; returns the spans
    /// that are. Fails when the writer stopped.
    pub async fn sync(&self) -> Result<Vec<(u64, u64)>, ()> {
        let (done, answer) = oneshot::channel();
        self.ops.send(Op::Sync(done)).await.map_err(|_| ())?;
        answer.await.map_err(|_| ())?.map_err(|_| ())
    }

    /// Queues `data` for writing at `offset`. Fails when the writer stopped (see
    /// [`SegmentFile::sync`] for its error).
    pub async fn write(&self, offset: u64, data: Bytes) -> Result<(), ()> {
        self.ops
            .send(Op::Write { offset, data })
            .await
            .map_err(|_| ())
    }
}

impl SegmentFile {
    /// Opens (creating if needed) `path` as a file of `total` bytes, preallocated where the file
    /// system allows, whose spans `on_disk` hold bytes already; hashes the whole file with
    /// `algorithms`.
    pub async fn open(
        path: &Path,
        total: u64,
        on_disk: &[(u64, u64)],
        algorithms: &[Algorithm],
    ) -> std::io::Result<SegmentFile> {
        let owned = path.to_owned();
        let (file, prefix) = tokio::task::spawn_blocking(move || {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .read(true)
                .write(true)
                .truncate(false)
                .open(&owned)?;
            let length = file.metadata()?.len();
            if length < total {
                // Preallocation is a hint: file systems without it get a sparse file.
                let _ = rustix::fs::fallocate(&file, rustix::fs::FallocateFlags::empty(), 0, total);
            }
            if file.metadata()?.len() != total {
                file.set_len(total)?;
            }
            let prefix = DirectWriter::start(&file, &owned, 0)?;
            Ok::<_, std::io::Error>((file, prefix))
        })
        .await
        .map_err(std::io::Error::other)??;
        let spans = Spans::from_list(on_disk, total);
        let written = Arc::new(AtomicU64::new(spans.covered()));
        let (ops, queue) = mpsc::channel::<Op>(QUEUE);
        let thread = Writer {
            prefix,
            file,
            spans,
            hashes: Hashes::new(algorithms),
            hashed_to: 0,
            total,
            written: Arc::clone(&written),
        };
        let worker = tokio::task::spawn_blocking(move || thread.run(queue));
        Ok(SegmentFile {
            ops,
            worker,
            written,
            path: path.to_owned(),
        })
    }

    /// A handle for one more connection.
    pub fn writer(&self) -> SegmentWriter {
        SegmentWriter {
            ops: self.ops.clone(),
        }
    }

    /// Bytes written into the file so far (the spans it was opened with included).
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Acquire)
    }

    /// The live count behind [`SegmentFile::written`].
    pub fn written_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.written)
    }

    /// Waits until every queued chunk is durably on disk; returns the spans that are.
    pub async fn sync(&mut self) -> std::io::Result<Vec<(u64, u64)>> {
        let (done, answer) = oneshot::channel();
        if self.ops.send(Op::Sync(done)).await.is_err() {
            return Err(self.failure().await);
        }
        match answer.await {
            Ok(result) => result,
            Err(_) => Err(self.failure().await),
        }
    }

    /// Puts every byte on disk and returns the digests of the whole file; fails when a span of
    /// the file was never written.
    pub async fn finish(mut self) -> std::io::Result<Vec<Digest>> {
        let (done, answer) = oneshot::channel();
        if self.ops.send(Op::Finish(done)).await.is_err() {
            return Err(self.failure().await);
        }
        match answer.await {
            Ok(result) => result,
            Err(_) => Err(self.failure().await),
        }
    }

    /// The error that stopped the writer.
    async fn failure(&mut self) -> std::io::Error {
        super::temp_file::writer_failure(&mut self.worker, &self.path).await
    }
}

/// The writer thread's state.
struct Writer {
    /// Writes the chunks that continue the hashed prefix.
    prefix: DirectWriter,
    file: std::fs::File,
    spans: Spans,
    hashes: Hashes,
    hashed_to: u64,
    total: u64,
    written: Arc<AtomicU64>,
}

impl Writer {
    fn run(mut self, mut queue: mpsc::Receiver<Op>) -> std::io::Result<()> {
        while let Some(op) = queue.blocking_recv() {
            match op {
                Op::Write { offset, data } => {
                    let end = offset + data.len() as u64;
                    if offset == self.hashed_to {
                        if self.prefix.end() != offset {
                            // The prefix grew by bytes read back: the direct writes go on after it.
                            self.prefix.move_to(&self.file, offset)?;
                        }
                        self.prefix.write(&data)?;
                        self.hashes.update(&data);
                        self.hashed_to = end;
                    } else {
                        self.file.write_all_at(&data, offset)?;
                    }
                    self.spans.insert(offset, end);
                    self.written.store(self.spans.covered(), Ordering::Release);
                    self.catch_up(CATCH_UP_STEP)?;
                }
                Op::Sync(done) => {
                    // Synced on a thread of its own, so writes go on meanwhile: every span
                    // listed was written before the sync began.
                    self.prefix.flush()?;
                    let spans = self.spans.to_list();
                    let file = self.file.try_clone()?;
                    std::thread::spawn(move || {
                        let _ = done.send(file.sync_data().map(|()| spans));
                    });
                }
                Op::Finish(done) => {
                    let _ = done.send(self.finish());
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Hashes up to `most` bytes that continue the hashed prefix and were written already.
    fn catch_up(&mut self, most: u64) -> std::io::Result<()> {
        let reach = self.spans.reach_from(self.hashed_to);
        let until = reach.min(self.hashed_to.saturating_add(most));
        if self.hashed_to >= until {
            // Nothing to read back: most writes continue the hashed prefix.
            return Ok(());
        }
        let mut buffer = vec![0u8; READ_BUFFER];
        while self.hashed_to < until {
            let want = (until - self.hashed_to).min(READ_BUFFER as u64) as usize;
            self.file
                .read_exact_at(&mut buffer[..want], self.hashed_to)?;
            self.hashes.update(&buffer[..want]);
            self.hashed_to += want as u64;
        }
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<Vec<Digest>> {
        self.prefix.flush()?;
        self.file.sync_data()?;
        if let Some(&(start, end)) = self.spans.gaps(self.total).first() {
            return Err(std::io::Error::other(format!(
                "bytes {start} to {end} of the file never arrived"
            )));
        }
        self.catch_up(u64::MAX)?;
        let hashes = std::mem::replace(&mut self.hashes, Hashes::new(&[]));
        Ok(hashes.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_merge_and_report_their_gaps() {
        let mut spans = Spans::default();
        spans.insert(10, 20);
        spans.insert(30, 40);
        spans.insert(20, 25);
        assert_eq!(spans.to_list(), vec![(10, 25), (30, 40)]);
        assert_eq!(spans.gaps(50), vec![(0, 10), (25, 30), (40, 50)]);
        spans.insert(0, 45);
        assert_eq!(spans.to_list(), vec![(0, 45)]);
        assert_eq!(spans.covered(), 45);
    }

    #[tokio::test]
    async fn chunks_written_out_of_order_hash_as_the_whole_file() {
        let path = std::env::temp_dir().join(format!("ferry-seg-{}", uuid::Uuid::new_v4()));
        let mut file = SegmentFile::open(&path, 8, &[], &[Algorithm::Md5])
            .await
            .unwrap();
        let writer = file.writer();
        writer.write(4, Bytes::from_static(b"abcd")).await.unwrap();
        assert_eq!(file.sync().await.unwrap(), vec![(4, 8)]);
        writer.write(0, Bytes::from_static(b"0123")).await.unwrap();
        let digests = file.finish().await.unwrap();
        crate::transfer::checks::holds_0123abcd_with_its_md5(&path, &digests);
    }

    #[tokio::test]
    async fn the_prefix_written_directly_leaves_the_bytes_beside_it_whole() {
        let path = std::env::temp_dir().join(format!("ferry-seg-{}", uuid::Uuid::new_v4()));
        let content: Vec<u8> = (0..3 * 4096 + 100).map(|i| (i * 13 % 251) as u8).collect();
        let mut file = SegmentFile::open(&path, content.len() as u64, &[], &[Algorithm::Sha256])
            .await
            .unwrap();
        let writer = file.writer();
        let write = |from: usize, to: usize| {
            writer.write(from as u64, Bytes::copy_from_slice(&content[from..to]))
        };
        // Ahead of the prefix, sharing a block with its end; then the prefix up to it (read
        // back and hashed), a sync between; then the rest, after bytes read back.
        write(5000, 9000).await.unwrap();
        write(0, 3000).await.unwrap();
        assert_eq!(file.sync().await.unwrap(), vec![(0, 3000), (5000, 9000)]);
        write(3000, 5000).await.unwrap();
        write(9000, content.len()).await.unwrap();
        let digests = file.finish().await.unwrap();
        assert!(
            std::fs::read(&path).unwrap() == content,
            "every byte in place"
        );
        let mut expected = Hashes::new(&[Algorithm::Sha256]);
        expected.update(&content);
        assert_eq!(digests, expected.finish());
        let _ = std::fs::remove_file(path);
    }

    #[tokio::test]
    async fn a_file_with_a_gap_does_not_finish() {
        let path = std::env::temp_dir().join(format!("ferry-seg-{}", uuid::Uuid::new_v4()));
        let file = SegmentFile::open(&path, 8, &[(0, 2)], &[Algorithm::Sha256])
            .await
            .unwrap();
        assert!(file.finish().await.is_err());
        let _ = std::fs::remove_file(path);
    }
}
