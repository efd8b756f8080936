//! What an upload run changes in its job. Every change first checks that the run is still the
//! job's current one; a stale run is told to stop. Session facts are committed before the bytes
//! they govern move, so a restart resumes the same session.

use crate::core::Inner;
use crate::error::{Error, ErrorCode, ErrorContext};
use crate::job::{JobId, ReplyProgress};
use crate::record::{FileRecord, LocalVersion, UploadHost};
use crate::transfer::http::Failure;
use crate::transfer::{LiveProgress, Stop};

/// Reports of one upload run of one file.
pub struct UploadReport<'a> {
    pub(super) inner: &'a Inner,
    pub(super) id: JobId,
    pub(super) run_id: u64,
    pub(super) live: &'a LiveProgress,
    pub(super) index: usize,
}

impl UploadReport<'_> {
    /// Applies `change` to the file (and its job) quietly; `Err` when the run is stale or the
    /// change cannot be stored.
    fn change(
        &self,
        change: impl FnOnce(&mut FileRecord, &mut Option<ReplyProgress>),
    ) -> Result<(), Error> {
        self.inner.with_job(self.id, |entry, notes| {
            if entry.run.as_ref().is_none_or(|run| run.id != self.run_id) {
                return Err(Error::new(
                    ErrorCode::BG_E_INVALID_STATE,
                    "the transfer was stopped",
                ));
            }
            notes.quiet = true;
            let record = &mut entry.record;
            let file = record
                .files
                .get_mut(self.index)
                .ok_or_else(|| Error::new(ErrorCode::E_FAIL, "the upload file left the job"))?;
            change(file, &mut record.reply_progress);
            Ok(())
        })
    }

    /// [`UploadReport::change`], with a stale run stopping quietly.
    fn commit(
        &self,
        change: impl FnOnce(&mut FileRecord, &mut Option<ReplyProgress>),
    ) -> Result<(), Stop> {
        self.change(change).map_err(|error| match error.code {
            ErrorCode::BG_E_INVALID_STATE | ErrorCode::BG_E_NOT_FOUND => Stop::Cancelled,
            code => Stop::Failed(Failure::fatal(
                code,
                ErrorContext::GeneralQueueManager,
                error.message,
            )),
        })
    }

    /// The server answered (CONNECTING → TRANSFERRING).
    pub fn connected(&self) {
        self.inner.report_connected(self.id, self.run_id);
    }

    /// A session is open: its id, host and the local file's version are stored before the
    /// first fragment.
    pub fn session_opened(
        &self,
        session: &str,
        host: Option<UploadHost>,
        version: LocalVersion,
    ) -> Result<(), Stop> {
        self.commit(|file, _| {
            file.upload_session = Some(session.to_owned());
            file.upload_host = host;
            file.local_version = Some(version);
            file.bytes_total = Some(version.size);
            file.bytes_transferred = 0;
        })?;
        self.live.set(self.index, 0);
        Ok(())
    }

    /// The server holds the first `bytes` bytes.
    pub fn accepted(&self, bytes: u64) {
        self.live.set(self.index, bytes);
    }

    /// The server's host changed, or the failures to reach it did.
    pub fn host_changed(&self, host: Option<UploadHost>) -> Result<(), Stop> {
        self.commit(|file, _| file.upload_host = host)
    }

    /// The session is gone without the upload: the next one starts from byte 0.
    pub fn session_dropped(&self) -> Result<(), Stop> {
        self.commit(|file, _| {
            file.upload_session = None;
            file.upload_host = None;
            file.bytes_transferred = 0;
        })?;
        self.live.set(self.index, 0);
        Ok(())
    }

    /// The server accepted the final fragment (the upload is complete there), with the reply
    /// URL of upload-reply jobs.
    pub fn uploaded(&self, total: u64, reply_url: Option<String>) -> Result<(), Stop> {
        self.live.set(self.index, total);
        self.commit(|file, _| {
            file.transferred = true;
            file.bytes_total = Some(total);
            file.bytes_transferred = total;
            file.reply_url = reply_url;
        })
    }

    /// The reply download starts at `offset` of `total` bytes (if known).
    pub fn reply_started(&self, offset: u64, total: Option<u64>) -> Result<(), Failure> {
        self.live.set_reply(Some(offset));
        self.change(|_, reply| {
            *reply = Some(ReplyProgress {
                bytes_total: total,
                bytes_transferred: offset,
            })
        })
        .map_err(|e| Failure::fatal(e.code, ErrorContext::GeneralQueueManager, e.message))
    }

    /// `bytes` of the reply have arrived.
    pub fn reply_bytes(&self, bytes: u64) {
        self.live.set_reply(Some(bytes));
    }

    /// The whole reply (`bytes` long) is in its temporary file.
    pub fn reply_done(&self, bytes: u64) -> Result<(), Stop> {
        self.live.set_reply(None);
        self.commit(|file, reply| {
            file.reply_done = true;
            *reply = Some(ReplyProgress {
                bytes_total: Some(bytes),
                bytes_transferred: bytes,
            });
        })
    }

    /// The session is closed.
    pub fn session_closed(&self) -> Result<(), Stop> {
        self.commit(|file, _| {
            file.upload_session = None;
            file.upload_host = None;
        })
    }
}
