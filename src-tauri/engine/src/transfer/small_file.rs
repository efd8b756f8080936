//! A small file written in one step: the temporary file is created (empty) while the body
//! arrives, the whole body is gathered in memory (see `Download::small`, which streams a body
//! that is slow to arrive into the temporary file instead), then the [`SyncGroup`]'s thread
//! writes it and syncs it with the small files written close to it (one sync for them all, not
//! one per file). A thread that owns the file for its whole
//! download (see [`super::temp_file`]) costs a hand-over per chunk and a round trip to flush
//! and finish; for a file of a few kilobytes those hand-overs, not the bytes, were most of the
//! work. The body is hashed on the async side before it is handed over, so nothing waits for
//! the write: the file counts as transferred once its sync is done, like any other (see
//! [`Durable`]).

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::oneshot;

use super::durable::{Durable, Handed, SyncGroup};
use crate::integrity::{Algorithm, Digest, Hashes};

/// Largest announced body written in one step. The temporary file's writer gathers as much
/// before its first write anyway, so a crash loses no more than it would there.
pub const LARGEST: u64 = 256 * 1024;

/// A temporary file being created empty, off the async runtime. It exists before any byte of
/// the file is kept, as with [`super::temp_file::TempFile`]: a Cancel that removes it meanwhile
/// leaves nothing behind, since the bytes go to the created file, never to its path.
pub struct Creating(oneshot::Receiver<std::io::Result<(std::fs::File, Instant)>>);

impl Creating {
    /// Starts creating `path` (emptying it if it exists).
    pub fn start(path: PathBuf) -> Creating {
        let (created, creating) = oneshot::channel();
        tokio::task::spawn_blocking(move || {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(true)
                .open(path)
                .map(|file| (file, Instant::now()));
            let _ = created.send(file);
        });
        Creating(creating)
    }

    /// Waits until the file is created, so that it can be written another way (a body that
    /// came slowly) without the creation emptying it afterwards.
    pub async fn created(self) -> std::io::Result<()> {
        self.0.await.map_err(|_| stopped())?.map(drop)
    }

    /// Writes the bytes that arrived of a body that stopped short into the created file (not
    /// synced: like a flush), so that the next attempt resumes after them.
    pub async fn keep(self, arrived: Bytes) -> std::io::Result<()> {
        let (mut file, _) = self.0.await.map_err(|_| stopped())??;
        tokio::task::spawn_blocking(move || file.write_all(&arrived))
            .await
            .map_err(std::io::Error::other)?
    }

    /// Hashes `body` (the whole file) with `algorithms`, then hands it to the [`SyncGroup`],
    /// whose thread writes it into the file once it is created and syncs it. Returns the
    /// digests at once, with the creation, the write and the sync still under way: nothing on
    /// the async side waits for the disk.
    pub fn write(self, body: Bytes, algorithms: &[Algorithm]) -> (Vec<Digest>, Durable) {
        let mut hashes = Hashes::new(algorithms);
        hashes.update(&body);
        let (synced, durable) = oneshot::channel();
        let creating = self.0;
        SyncGroup::shared().hand(Handed {
            write: Box::new(move || {
                let (mut file, opened) = creating.blocking_recv().map_err(|_| stopped())??;
                file.write_all(&body)?;
                Ok((file, opened))
            }),
            synced,
        });
        (hashes.finish(), Durable::pending(durable))
    }
}

fn stopped() -> std::io::Error {
    std::io::Error::other("the temporary file's creation stopped")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_body_replaces_the_file_whole_and_durable_with_its_digest() {
        let path = std::env::temp_dir().join(format!("ferry-small-{}", uuid::Uuid::new_v4()));
        std::fs::write(&path, vec![b'x'; 10_000]).unwrap();
        let body = Bytes::from_static(b"0123abcd");
        let creating = Creating::start(path.clone());
        let (digests, mut durable) = creating.write(body, &[Algorithm::Md5]);
        durable.wait().await.unwrap();
        crate::transfer::checks::holds_0123abcd_with_its_md5(&path, &digests);
    }

    #[tokio::test]
    async fn a_file_that_cannot_be_created_never_counts_as_on_disk() {
        let path = std::env::temp_dir()
            .join(format!("ferry-missing-{}", uuid::Uuid::new_v4()))
            .join("file");
        let (_, mut durable) = Creating::start(path).write(Bytes::from_static(b"data"), &[]);
        assert!(durable.wait().await.is_err());
    }
}
