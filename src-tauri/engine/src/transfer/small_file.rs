//! A small file written in one step: its whole body, gathered in memory as it arrived, goes to
//! one blocking call that creates the temporary file, writes the body and syncs it. A thread that owns the file for its whole download (see [`super::temp_file`])
//! costs a hand-over per chunk and a round trip to flush and finish; for a file of a few
//! kilobytes those hand-overs, not the bytes, were most of the work. The body is hashed on the
//! async side before it is handed over, so nothing waits for the write: the file counts as
//! transferred once its sync is done, like any other (see [`Durable`]).

use std::path::PathBuf;

use bytes::Bytes;
use tokio::sync::oneshot;

use super::durable::Durable;
use crate::integrity::{Algorithm, Digest, Hashes};

/// Largest announced body written in one step. The temporary file's writer gathers as much
/// before its first write anyway, so a crash loses no more than it would there.
pub const LARGEST: u64 = 256 * 1024;

/// Hashes `body` (a whole file) with `algorithms`, then writes it into `path` from its first
/// byte (replacing whatever it held) and syncs it, off the async runtime. Returns the digests
/// at once, with the write and the sync still under way.
pub fn write(path: PathBuf, body: Bytes, algorithms: &[Algorithm]) -> (Vec<Digest>, Durable) {
    let mut hashes = Hashes::new(algorithms);
    hashes.update(&body);
    let (synced, durable) = oneshot::channel();
    tokio::task::spawn_blocking(move || {
        let _ = synced.send(write_and_sync(&path, &body));
    });
    (hashes.finish(), Durable::pending(durable))
}

fn write_and_sync(path: &std::path::Path, body: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(path)?;
    file.write_all(body)?;
    file.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_body_replaces_the_file_whole_and_durable_with_its_digest() {
        let path = std::env::temp_dir().join(format!("ferry-small-{}", uuid::Uuid::new_v4()));
        std::fs::write(&path, vec![b'x'; 10_000]).unwrap();
        let body = Bytes::from_static(b"0123abcd");
        let (digests, mut durable) = write(path.clone(), body, &[Algorithm::Md5]);
        durable.wait().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"0123abcd");
        assert_eq!(
            hex::encode(&digests[0].bytes),
            "a23b34befb8cde5423520a2d3470e58c"
        );
        let _ = std::fs::remove_file(path);
    }

    #[tokio::test]
    async fn a_file_that_cannot_be_created_never_counts_as_on_disk() {
        let path = std::env::temp_dir()
            .join(format!("ferry-missing-{}", uuid::Uuid::new_v4()))
            .join("file");
        let (_, mut durable) = write(path, Bytes::from_static(b"data"), &[]);
        assert!(durable.wait().await.is_err());
    }
}
