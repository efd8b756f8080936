//! The local file of an upload: its version (size and modification time, bits-spec.md §9.1) and
//! the bytes of each fragment. A file that changes while it is uploaded fails the job with
//! BG_E_LOCAL_FILE_CHANGED in context LOCAL_FILE.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use tokio::fs::File;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::error::{ErrorCode, ErrorContext};
use crate::record::LocalVersion;
use crate::transfer::http::Failure;
use crate::transfer::Stop;

/// The open file being uploaded.
pub struct Source {
    path: PathBuf,
    file: File,
    version: LocalVersion,
}

impl Source {
    /// Opens the file and notes its version.
    pub async fn open(path: &Path) -> Result<Source, Stop> {
        let unreadable = |e: std::io::Error| {
            Stop::Failed(Failure::local(
                format!("cannot read {}", path.display()),
                &e,
            ))
        };
        let file = File::open(path).await.map_err(unreadable)?;
        let meta = file.metadata().await.map_err(unreadable)?;
        Ok(Source {
            path: path.to_owned(),
            file,
            version: version_of(&meta),
        })
    }

    /// The version the file had when it was opened.
    pub fn version(&self) -> LocalVersion {
        self.version
    }

    /// Fails unless the file at its path still has the version `recorded`.
    pub async fn check(&self, recorded: &LocalVersion) -> Result<(), Stop> {
        match tokio::fs::metadata(&self.path).await {
            Ok(meta) if version_of(&meta) == *recorded => Ok(()),
            _ => Err(changed(&self.path)),
        }
    }

    /// Reads bytes `start..start + length`.
    pub async fn read(&mut self, start: u64, length: u64) -> Result<Vec<u8>, Stop> {
        let mut bytes = vec![0; usize::try_from(length).unwrap_or(usize::MAX)];
        self.file
            .seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(|e| self.unreadable(&e))?;
        match self.file.read_exact(&mut bytes).await {
            Ok(_) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(changed(&self.path)),
            Err(e) => Err(self.unreadable(&e)),
        }
    }

    fn unreadable(&self, error: &std::io::Error) -> Stop {
        Stop::Failed(Failure::local(
            format!("cannot read {}", self.path.display()),
            error,
        ))
    }
}

/// The version of a file from its metadata.
pub fn version_of(meta: &std::fs::Metadata) -> LocalVersion {
    let modified_nanos = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    LocalVersion {
        size: meta.len(),
        modified_nanos,
    }
}

/// The failure for a local file that changed during its upload.
pub fn changed(path: &Path) -> Stop {
    Stop::Failed(Failure::fatal(
        ErrorCode::BG_E_LOCAL_FILE_CHANGED,
        ErrorContext::LocalFile,
        format!(
            "{} changed while it was being uploaded; cancel the job and upload the new version",
            path.display()
        ),
    ))
}
