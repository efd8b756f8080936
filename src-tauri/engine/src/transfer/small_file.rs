//! A small file written in one step: the temporary file is created (empty) while the body
//! arrives, the whole body is gathered in memory (see `Download::small`, which streams a body
//! that is slow to arrive into the temporary file instead), then one blocking call writes it
//! and syncs the file. A thread that owns the file for its whole download (see
//! [`super::temp_file`]) costs a hand-over per chunk and a round trip to flush and finish; for a
//! file of a few kilobytes those hand-overs, not the bytes, were most of the work. The body is
//! hashed on the async side before it is handed over, so nothing waits for the write: the file
//! counts as transferred once its sync is done, like any other (see [`Durable`]).

use std::path::PathBuf;

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::durable::Durable;
use crate::integrity::{Algorithm, Digest, Hashes};

/// Largest announced body written in one step. The temporary file's writer gathers as much
/// before its first write anyway, so a crash loses no more than it would there.
pub const LARGEST: u64 = 256 * 1024;

/// A temporary file being created empty, off the async runtime. It exists before any byte of
/// the file is kept, as with [`super::temp_file::TempFile`]: a Cancel that removes it meanwhile
/// leaves nothing behind, since a late write goes to the removed file.
pub struct Creating(JoinHandle<std::io::Result<std::fs::File>>);

impl Creating {
    /// Starts creating `path` (emptying it if it exists).
    pub fn start(path: PathBuf) -> Creating {
        Creating(tokio::task::spawn_blocking(move || {
            std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(true)
                .open(path)
        }))
    }

    /// Waits until the file is created, so that it can be written another way (a body that
    /// came slowly or stopped short) without the creation emptying it afterwards.
    pub async fn created(self) -> std::io::Result<()> {
        self.0.await.map_err(std::io::Error::other)?.map(drop)
    }

    /// Writes the bytes that arrived of a body that stopped short into the created file (not
    /// synced: like a flush), so that the next attempt resumes after them. Through the file
    /// created here, never its path: a file that a Cancel removed meanwhile stays removed.
    pub async fn keep(self, arrived: Bytes) -> std::io::Result<()> {
        let mut file = self.0.await.map_err(std::io::Error::other)??;
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            file.write_all(&arrived)
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// Hashes `body` (the whole file) with `algorithms`, then writes it into the created file
    /// and syncs it, off the async runtime. Returns the digests once the file exists, with the
    /// write and the sync still under way.
    pub async fn write(
        self,
        body: Bytes,
        algorithms: &[Algorithm],
    ) -> std::io::Result<(Vec<Digest>, Durable)> {
        let mut file = self.0.await.map_err(std::io::Error::other)??;
        let mut hashes = Hashes::new(algorithms);
        hashes.update(&body);
        let (synced, durable) = oneshot::channel();
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let written = file.write_all(&body).and_then(|()| file.sync_data());
            let _ = synced.send(written);
        });
        Ok((hashes.finish(), Durable::pending(durable)))
    }
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
        let (digests, mut durable) = creating.write(body, &[Algorithm::Md5]).await.unwrap();
        durable.wait().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"0123abcd");
        assert_eq!(
            hex::encode(&digests[0].bytes),
            "a23b34befb8cde5423520a2d3470e58c"
        );
        let _ = std::fs::remove_file(path);
    }

    #[tokio::test]
    async fn a_file_that_cannot_be_created_is_a_failure() {
        let path = std::env::temp_dir()
            .join(format!("ferry-missing-{}", uuid::Uuid::new_v4()))
            .join("file");
        let creating = Creating::start(path);
        assert!(creating
            .write(Bytes::from_static(b"data"), &[])
            .await
            .is_err());
    }
}
