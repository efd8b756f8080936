//! Writing a temporary file off the async runtime: received chunks are handed, without copying,
//! to one blocking thread that owns the file, so the network side never waits on the disk and
//! each byte is copied once (from the kernel's socket into a chunk, then into the page cache).

use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

/// Chunks that may wait for the disk before the network side waits too.
const QUEUE: usize = 16;
/// Write buffer of the blocking side.
const BUFFER: usize = 256 * 1024;

enum Op {
    Write(Bytes),
    Flush(oneshot::Sender<std::io::Result<()>>),
    Sync(oneshot::Sender<std::io::Result<()>>),
}

/// A temporary file open for writing at an offset.
pub struct TempFile {
    ops: mpsc::Sender<Op>,
    worker: tokio::task::JoinHandle<std::io::Result<()>>,
    path: PathBuf,
}

impl TempFile {
    /// Opens (creating if needed) `path`, cuts it to `offset` bytes and writes from there.
    pub async fn open_at(path: &Path, offset: u64) -> std::io::Result<TempFile> {
        let owned = path.to_owned();
        let file = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(false)
                .open(&owned)?;
            file.set_len(offset)?;
            file.seek(SeekFrom::Start(offset))?;
            Ok(file)
        })
        .await
        .map_err(std::io::Error::other)??;
        let (ops, mut queue) = mpsc::channel::<Op>(QUEUE);
        let worker = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut out = BufWriter::with_capacity(BUFFER, file);
            while let Some(op) = queue.blocking_recv() {
                match op {
                    Op::Write(chunk) => out.write_all(&chunk)?,
                    Op::Flush(done) => {
                        let _ = done.send(out.flush());
                    }
                    Op::Sync(done) => {
                        let _ = done.send(out.flush().and_then(|()| out.get_ref().sync_data()));
                    }
                }
            }
            out.flush()
        });
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
        match (&mut self.worker).await {
            Ok(Err(error)) => error,
            Ok(Ok(())) => {
                std::io::Error::other(format!("the writer of {} stopped", self.path.display()))
            }
            Err(join) => std::io::Error::other(join),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn chunks_land_after_the_offset_and_the_rest_is_cut() {
        let path = std::env::temp_dir().join(format!("ferry-temp-{}", uuid::Uuid::new_v4()));
        std::fs::write(&path, b"0123456789").unwrap();
        let mut file = TempFile::open_at(&path, 4).await.unwrap();
        file.write(Bytes::from_static(b"ab")).await.unwrap();
        file.write(Bytes::from_static(b"cd")).await.unwrap();
        file.sync().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"0123abcd");
        let _ = std::fs::remove_file(path);
    }
}
