//! Writing a temporary file off the async runtime: received chunks are handed, without copying,
//! to one blocking thread that owns the file, so the network side never waits on the disk. The
//! thread gathers a file's first chunks and writes them with one vectored write, never through
//! a buffer; once the file has brought [`DIRECT_FROM`] bytes, the rest goes past the page cache
//! through a [`DirectWriter`], so the disk writes it while it arrives rather than in the sync
//! at the end (small files keep the cheaper path: no buffers to set up, one sync anyway).
//!
//! The same thread hashes the file while it writes it (SHA-256 always, plus the algorithm of an
//! expected checksum or server digest), so a finished file's digests cost no second read and
//! no time on the async side (measured on a 1 GiB download from nginx on 2 cores: 1.96 s wall
//! hashing here, 2.37 s hashing on the async side before the chunk is queued). A resume
//! re-hashes the prefix already on disk once, when the file is opened: simpler than persisting
//! a hasher's state with every progress write, and correct whatever happened to the file while
//! Ferry was not running.

use std::io::{IoSlice, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use super::direct_writer::DirectWriter;
use super::durable::Durable;
use crate::integrity::{Algorithm, Digest, Hashes};

/// Chunks that may wait for the disk before the network side waits too.
const QUEUE: usize = 16;
/// Bytes the blocking side gathers before it writes them (and the read buffer of a resume's
/// hashing of the prefix).
const BUFFER: usize = 256 * 1024;
/// Bytes of a file written through the page cache before the rest is written directly.
const DIRECT_FROM: u64 = 8 * 1024 * 1024;

enum Op {
    Write(Bytes),
    Flush(oneshot::Sender<std::io::Result<()>>),
    Sync(oneshot::Sender<std::io::Result<()>>),
    /// Starts hashing the bytes of one answer with these algorithms.
    Message(Vec<Algorithm>),
    /// The digests of the answer's bytes since `Message`.
    MessageDone(oneshot::Sender<Vec<Digest>>),
    /// Hands back the digests of the whole file once every byte is written, then syncs it and
    /// says when it is on disk.
    Finish {
        digests: oneshot::Sender<std::io::Result<Vec<Digest>>>,
        synced: oneshot::Sender<std::io::Result<()>>,
    },
}

/// The writer thread's hashers: the whole file's, and those of the answer being written.
struct Hashing {
    file: Hashes,
    message: Option<Hashes>,
}

impl Hashing {
    fn update(&mut self, data: &[u8]) {
        self.file.update(data);
        if let Some(message) = &mut self.message {
            message.update(data);
        }
    }
}

/// A temporary file open for writing at an offset.
pub struct TempFile {
    ops: mpsc::Sender<Op>,
    worker: tokio::task::JoinHandle<std::io::Result<()>>,
    path: PathBuf,
}

impl TempFile {
    /// Opens (creating if needed) `path`, cuts it to `offset` bytes and writes from there,
    /// hashing the whole file with `algorithms` (the first `offset` bytes are read once, here).
    pub async fn open_at(
        path: &Path,
        offset: u64,
        algorithms: &[Algorithm],
    ) -> std::io::Result<TempFile> {
        let owned = path.to_owned();
        let hashes = Hashes::new(algorithms);
        let (ops, queue) = mpsc::channel::<Op>(QUEUE);
        let (opened, open_outcome) = oneshot::channel();
        // One thread opens the file and then writes it: a small file costs one hand-over to a
        // blocking thread, not two.
        let mut worker = tokio::task::spawn_blocking(move || {
            let file = match open_for_writing(&owned, offset, hashes) {
                Ok(file) => {
                    let _ = opened.send(Ok(()));
                    file
                }
                Err(error) => {
                    let _ = opened.send(Err(error));
                    return Ok(());
                }
            };
            let (file, hashes) = file;
            let hashing = Hashing {
                file: hashes,
                message: None,
            };
            write_queue(Output::new(file, owned, offset), queue, hashing)
        });
        match open_outcome.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(error),
            Err(_) => return Err(writer_failure(&mut worker, path).await),
        }
        Ok(TempFile {
            ops,
            worker,
            path: path.to_owned(),
        })
    }

    /// Queues a chunk for writing.
    pub async fn write(&mut self, chunk: Bytes) -> std::io::Result<()> {
        if self.ops.send(Op::Write(chunk)).await.is_err() {
            return Err(self.failure().await);
        }
        Ok(())
    }

    /// Waits until every queued chunk is in the file (the OS's cache).
    pub async fn flush(&mut self) -> std::io::Result<()> {
        self.round_trip(Op::Flush).await
    }

    /// Waits until every queued chunk is on disk.
    pub async fn sync(&mut self) -> std::io::Result<()> {
        self.round_trip(Op::Sync).await
    }

    /// Starts hashing the next chunks, those of one answer, with `algorithms` (for a
    /// `Content-Digest`), besides the whole file.
    pub async fn begin_message(&mut self, algorithms: Vec<Algorithm>) -> std::io::Result<()> {
        if self.ops.send(Op::Message(algorithms)).await.is_err() {
            return Err(self.failure().await);
        }
        Ok(())
    }

    /// The digests of the chunks written since [`TempFile::begin_message`].
    pub async fn message_digests(&mut self) -> std::io::Result<Vec<Digest>> {
        let (done, answer) = oneshot::channel();
        if self.ops.send(Op::MessageDone(done)).await.is_err() {
            return Err(self.failure().await);
        }
        match answer.await {
            Ok(digests) => Ok(digests),
            Err(_) => Err(self.failure().await),
        }
    }

    /// Writes every queued chunk and returns the digests of the whole file, with the sync that
    /// puts it on disk, which goes on after this returns.
    pub async fn finish(mut self) -> std::io::Result<(Vec<Digest>, Durable)> {
        let (digests, answer) = oneshot::channel();
        let (synced, durable) = oneshot::channel();
        if self.ops.send(Op::Finish { digests, synced }).await.is_err() {
            return Err(self.failure().await);
        }
        match answer.await {
            Ok(result) => result.map(|digests| (digests, Durable::pending(durable))),
            Err(_) => Err(self.failure().await),
        }
    }

    async fn round_trip(
        &mut self,
        op: fn(oneshot::Sender<std::io::Result<()>>) -> Op,
    ) -> std::io::Result<()> {
        let (done, answer) = oneshot::channel();
        if self.ops.send(op(done)).await.is_err() {
            return Err(self.failure().await);
        }
        match answer.await {
            Ok(result) => result,
            Err(_) => Err(self.failure().await),
        }
    }

    /// The error that stopped the writer.
    async fn failure(&mut self) -> std::io::Error {
        writer_failure(&mut self.worker, &self.path).await
    }
}

/// The error that stopped a file's writer thread (`worker`, writing `path`).
pub(super) async fn writer_failure(
    worker: &mut tokio::task::JoinHandle<std::io::Result<()>>,
    path: &std::path::Path,
) -> std::io::Error {
    match worker.await {
        Ok(Err(error)) => error,
        Ok(Ok(())) => std::io::Error::other(format!("the writer of {} stopped", path.display())),
        Err(join) => std::io::Error::other(join),
    }
}

/// Opens (creating if needed) `path`, cuts it to `offset` bytes and places the writing position
/// there, after feeding the first `offset` bytes to `hashes`.
fn open_for_writing(
    path: &Path,
    offset: u64,
    mut hashes: Hashes,
) -> std::io::Result<(std::fs::File, Hashes)> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .read(true)
        .write(true)
        .truncate(false)
        .open(path)?;
    file.set_len(offset)?;
    if !hashes.is_empty() {
        hash_prefix(&mut file, offset, &mut hashes)?;
    }
    file.seek(SeekFrom::Start(offset))?;
    Ok((file, hashes))
}

/// Feeds the first `length` bytes of `file` to `hashes`.
fn hash_prefix(file: &mut std::fs::File, length: u64, hashes: &mut Hashes) -> std::io::Result<()> {
    use std::io::Read;
    file.seek(SeekFrom::Start(0))?;
    let mut prefix = file.take(length);
    let mut buffer = vec![0u8; BUFFER];
    loop {
        let read = prefix.read(&mut buffer)?;
        if read == 0 {
            return Ok(());
        }
        hashes.update(&buffer[..read]);
    }
}

/// The writer thread: hashes and writes chunks in order, answers flushes, syncs and digests.
fn write_queue(
    mut out: Output,
    mut queue: mpsc::Receiver<Op>,
    mut hashing: Hashing,
) -> std::io::Result<()> {
    while let Some(op) = queue.blocking_recv() {
        match op {
            Op::Write(chunk) => {
                hashing.update(&chunk);
                out.write(chunk)?
            }
            Op::Flush(done) => {
                let _ = done.send(out.flush());
            }
            Op::Sync(done) => {
                let _ = done.send(out.flush().and_then(|()| out.file.sync_data()));
            }
            Op::Message(algorithms) => hashing.message = Some(Hashes::new(&algorithms)),
            Op::MessageDone(done) => {
                let digests = hashing.message.take().map(Hashes::finish);
                let _ = done.send(digests.unwrap_or_default());
            }
            Op::Finish { digests, synced } => {
                if let Err(error) = out.flush() {
                    let _ = digests.send(Err(error));
                    return Ok(());
                }
                let _ = digests.send(Ok(hashing.file.finish()));
                let _ = synced.send(out.file.sync_data());
                return Ok(());
            }
        }
    }
    out.flush()
}

/// Where the writer thread's chunks go: a file's first [`DIRECT_FROM`] bytes in vectored writes
/// through the page cache, the rest through a [`DirectWriter`].
struct Output {
    file: std::fs::File,
    path: PathBuf,
    /// Where the file's next byte goes.
    end: u64,
    /// Where the writing began.
    began: u64,
    batch: Batch,
    direct: Option<DirectWriter>,
}

impl Output {
    /// Writes `file` (at `path`) from `offset`, its writing position.
    fn new(file: std::fs::File, path: PathBuf, offset: u64) -> Output {
        Output {
            file,
            path,
            end: offset,
            began: offset,
            batch: Batch::default(),
            direct: None,
        }
    }

    fn write(&mut self, chunk: Bytes) -> std::io::Result<()> {
        self.end += chunk.len() as u64;
        if let Some(direct) = &mut self.direct {
            return direct.write(&chunk);
        }
        self.batch.push(&mut self.file, chunk)?;
        if self.end - self.began >= DIRECT_FROM {
            self.batch.flush(&mut self.file)?;
            self.direct = Some(DirectWriter::start(&self.file, &self.path, self.end)?);
        }
        Ok(())
    }

    /// Waits until every chunk written is in the file.
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.direct {
            Some(direct) => direct.flush(),
            None => self.batch.flush(&mut self.file),
        }
    }
}

/// Received chunks held until they make [`BUFFER`] bytes, then written with one vectored write:
/// the chunks themselves go to the kernel, with no copy into a write buffer.
#[derive(Default)]
struct Batch {
    chunks: Vec<Bytes>,
    bytes: usize,
}

/// Most chunks in one vectored write (well under the system's limit of 1,024).
const MOST_CHUNKS: usize = 256;

impl Batch {
    /// Adds a chunk; writes the batch into `file` once it is full.
    fn push(&mut self, file: &mut std::fs::File, chunk: Bytes) -> std::io::Result<()> {
        self.bytes += chunk.len();
        self.chunks.push(chunk);
        if self.bytes >= BUFFER || self.chunks.len() >= MOST_CHUNKS {
            self.flush(file)?;
        }
        Ok(())
    }

    /// Writes every held chunk into `file`, in order.
    fn flush(&mut self, file: &mut std::fs::File) -> std::io::Result<()> {
        let mut slices: Vec<IoSlice<'_>> = self.chunks.iter().map(|c| IoSlice::new(c)).collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            match file.write_vectored(rest) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(written) => IoSlice::advance_slices(&mut rest, written),
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        self.chunks.clear();
        self.bytes = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn many_small_chunks_and_large_ones_land_in_order_and_are_synced_on_finish() {
        let path = std::env::temp_dir().join(format!("ferry-temp-{}", uuid::Uuid::new_v4()));
        let mut file = TempFile::open_at(&path, 0, &[Algorithm::Sha256])
            .await
            .unwrap();
        let mut expected = Vec::new();
        // More chunks than one vectored write takes, then chunks larger than a batch.
        let sizes = std::iter::repeat_n(7usize, 3 * MOST_CHUNKS)
            .chain([BUFFER + 1, 3, 2 * BUFFER])
            .enumerate();
        for (number, size) in sizes {
            let chunk: Vec<u8> = (0..size).map(|i| (i * 31 + number) as u8).collect();
            expected.extend_from_slice(&chunk);
            file.write(Bytes::from(chunk)).await.unwrap();
        }
        finishes_as(file, &path, &expected).await;
    }

    /// Finishes `file` and checks that `path` holds `expected`, in order and durable, and that
    /// its SHA-256 is the one of `expected`; then removes it.
    async fn finishes_as(file: TempFile, path: &std::path::Path, expected: &[u8]) {
        let (digests, mut durable) = file.finish().await.unwrap();
        durable.wait().await.unwrap();
        assert!(
            std::fs::read(path).unwrap() == expected,
            "every byte, in order"
        );
        let mut whole = Hashes::new(&[Algorithm::Sha256]);
        whole.update(expected);
        assert_eq!(digests, whole.finish());
        let _ = std::fs::remove_file(path);
    }

    #[tokio::test]
    async fn a_large_file_written_past_the_page_cache_lands_whole_through_flushes_and_a_resume() {
        let path = std::env::temp_dir().join(format!("ferry-temp-{}", uuid::Uuid::new_v4()));
        let chunk =
            |number: usize| -> Vec<u8> { (0..300_001).map(|i| (i * 13 + number) as u8).collect() };
        let mut expected = Vec::new();
        let mut file = TempFile::open_at(&path, 0, &[Algorithm::Sha256])
            .await
            .unwrap();
        // Past DIRECT_FROM, with flushes and a sync that end inside a block.
        for number in 0..40 {
            let data = chunk(number);
            expected.extend_from_slice(&data);
            file.write(Bytes::from(data)).await.unwrap();
            if number % 9 == 0 {
                file.flush().await.unwrap();
                assert!(
                    std::fs::read(&path).unwrap() == expected,
                    "flushed at {number}"
                );
            }
        }
        file.sync().await.unwrap();
        drop(file);
        assert!(std::fs::read(&path).unwrap() == expected);
        // A resume from an offset inside a block, long enough to go past the page cache again.
        let resumed_at = expected.len() - 1000;
        expected.truncate(resumed_at);
        let mut file = TempFile::open_at(&path, resumed_at as u64, &[Algorithm::Sha256])
            .await
            .unwrap();
        for number in 40..75 {
            let data = chunk(number);
            expected.extend_from_slice(&data);
            file.write(Bytes::from(data)).await.unwrap();
        }
        assert!(expected.len() as u64 > 2 * DIRECT_FROM);
        finishes_as(file, &path, &expected).await;
    }

    #[tokio::test]
    async fn chunks_land_after_the_offset_and_the_rest_is_cut() {
        let path = std::env::temp_dir().join(format!("ferry-temp-{}", uuid::Uuid::new_v4()));
        std::fs::write(&path, b"0123456789").unwrap();
        let mut file = TempFile::open_at(&path, 4, &[Algorithm::Md5])
            .await
            .unwrap();
        file.write(Bytes::from_static(b"ab")).await.unwrap();
        file.write(Bytes::from_static(b"cd")).await.unwrap();
        file.sync().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"0123abcd");
        let (digests, mut durable) = file.finish().await.unwrap();
        durable.wait().await.unwrap();
        // md5("0123abcd"): the prefix on disk is hashed with the new bytes.
        assert_eq!(
            hex::encode(&digests[0].bytes),
            "a23b34befb8cde5423520a2d3470e58c"
        );
        let _ = std::fs::remove_file(path);
    }
}
