//! The reply of an upload-reply job (bits-spec.md §2, §8.4, §10.14): its file name (chosen at
//! the first Resume unless the caller set one), the download of `BITS-Reply-URL` into a hidden
//! temporary file before Close-Session, GetReplyData, and the rename into place by Complete.

use std::path::{Path, PathBuf};

use reqwest::Method;

use super::report::UploadReport;
use super::Upload;
use crate::engine::RenameFailure;
use crate::error::{Error, ErrorCode, ErrorContext, Result};
use crate::job::{JobId, JobSettings, JobState, JobType, RedirectPolicy};
use crate::record::{FileRecord, JobRecord};
use crate::transfer::download::Download;
use crate::transfer::http::{Failure, RequestPlan};
use crate::transfer::{FileStart, RunReport, Stop};

/// Largest reply GetReplyData returns (1 MiB); larger replies are read from the reply file.
pub const MAX_REPLY_DATA: u64 = 1 << 20;

/// Gives an upload-reply job without a reply file name one beside its upload file
/// (`<name>.<job>.reply`), as the first Resume does.
pub fn name_reply_file(record: &mut JobRecord) {
    if record.job_type == JobType::UploadReply && record.settings.reply_file_name.is_none() {
        record.settings.reply_file_name = beside_upload(record.files.first(), record.id);
    }
}

/// The reply file name chosen for a job that set none.
fn beside_upload(upload: Option<&FileRecord>, id: JobId) -> Option<PathBuf> {
    let local = &upload?.local_path;
    let name = local.file_name()?.to_string_lossy().into_owned();
    Some(local.with_file_name(format!("{name}.{}.reply", id.short())))
}

/// The reply file: the name set or chosen, else the one the first Resume would choose.
fn reply_file(settings: &JobSettings, upload: Option<&FileRecord>, id: JobId) -> Option<PathBuf> {
    settings
        .reply_file_name
        .clone()
        .or_else(|| beside_upload(upload, id))
}

fn reply_path(record: &JobRecord) -> Option<PathBuf> {
    reply_file(&record.settings, record.files.first(), record.id)
}

/// Where the reply waits until Complete: a hidden file beside the reply file.
fn temp_path(reply: &Path, id: JobId) -> PathBuf {
    let name = reply
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    reply.with_file_name(format!(".{name}.ferry-{}-reply.part", id.short()))
}

/// The temporary reply file whose bytes GetReplyData returns: upload-reply jobs only
/// (E_NOTIMPL), once TRANSFERRED (BG_E_INVALID_STATE).
pub fn reply_data_path(record: &JobRecord) -> Result<PathBuf> {
    if record.job_type != JobType::UploadReply {
        return Err(Error::new(
            ErrorCode::E_NOTIMPL,
            "only upload-reply jobs have reply data",
        ));
    }
    let reply = reply_path(record)
        .filter(|_| record.state == JobState::Transferred)
        .ok_or_else(|| {
            Error::new(
                ErrorCode::BG_E_INVALID_STATE,
                format!(
                    "the reply can be read once the job is TRANSFERRED; it is {}",
                    record.state
                ),
            )
        })?;
    Ok(temp_path(&reply, record.id))
}

/// The reply's bytes (GetReplyData): at most [`MAX_REPLY_DATA`], else BG_E_TOO_LARGE naming
/// the size.
pub fn read_reply_data(path: &Path) -> Result<Vec<u8>> {
    let unreadable = |e| Error::local_io(format!("cannot read the reply {}", path.display()), e);
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > MAX_REPLY_DATA {
        return Err(Error::new(
            ErrorCode::BG_E_TOO_LARGE,
            format!(
                "the reply is {size} bytes; reply data is returned up to {MAX_REPLY_DATA} bytes, \
                 so read the reply file instead"
            ),
        )
        .in_context(ErrorContext::LocalFile));
    }
    std::fs::read(path).map_err(unreadable)
}

/// Complete's hand-over: renames the temporary reply to the reply file; returns its path.
pub fn hand_over_reply(record: &JobRecord) -> std::result::Result<PathBuf, RenameFailure> {
    let Some(reply) = reply_path(record) else {
        return Err(RenameFailure {
            path: PathBuf::new(),
            code: ErrorCode::E_INVALIDARG,
            message: "the job has no reply file name".into(),
        });
    };
    if reply.is_dir() {
        return Err(RenameFailure {
            path: reply.clone(),
            code: ErrorCode::E_ACCESSDENIED,
            message: format!(
                "{} is a folder; move it away and complete again",
                reply.display()
            ),
        });
    }
    std::fs::rename(temp_path(&reply, record.id), &reply)
        .map(|()| reply.clone())
        .map_err(|e| RenameFailure {
            path: reply.clone(),
            code: crate::error::io_error_code(&e),
            message: format!("cannot put the reply {} in place: {e}", reply.display()),
        })
}

/// Cancel's part: deletes the temporary reply. False when it exists and cannot be deleted.
pub fn discard(record: &JobRecord) -> bool {
    let Some(reply) = reply_path(record) else {
        return true;
    };
    let temp = temp_path(&reply, record.id);
    match std::fs::remove_file(&temp) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => {
            tracing::warn!(path = %temp.display(), "cannot delete a temporary reply: {e}");
            false
        }
    }
}

/// Downloads the reply into its temporary file, from byte 0 (replies are small and their URL
/// lives only as long as the session). No reply URL means an empty reply.
pub async fn fetch(
    upload: &Upload<'_>,
    report: &UploadReport<'_>,
    reply_url: Option<&str>,
) -> std::result::Result<(), Stop> {
    let reply =
        reply_file(&upload.task.settings, Some(&upload.task.file), upload.id).ok_or_else(|| {
            Stop::Failed(Failure::fatal(
                ErrorCode::E_INVALIDARG,
                ErrorContext::LocalFile,
                "the job has no reply file name",
            ))
        })?;
    let temp = temp_path(&reply, upload.id);
    let local = |e: std::io::Error| {
        Stop::Failed(Failure::local(
            format!("cannot write the reply {}", temp.display()),
            &e,
        ))
    };
    match reply_url {
        None => {
            report
                .reply_started(0, Some(0))
                .map_err(|_| Stop::Cancelled)?;
            let file = tokio::fs::File::create(&temp).await.map_err(local)?;
            file.sync_all().await.map_err(local)?;
        }
        Some(url) => {
            let mut file = FileRecord::new(url.to_owned(), reply.clone(), None);
            file.temp_path = Some(temp.clone());
            let plan = RequestPlan {
                client: upload.client,
                method: Method::GET,
                headers: upload.headers.clone(),
                redirect: RedirectPolicy::default(),
                credentials: &upload.task.secrets.credentials,
                body: None,
            };
            let mut done = Download {
                index: upload.task.index,
                file: &file,
                plan,
                dynamic: true,
                connections: 1,
                report: &ReplyReport { report },
                cancel: upload.cancel,
                pacer: &upload.pacer(),
            }
            .run()
            .await?;
            // The reply counts once it is on disk, as a downloaded file does.
            done.durable.wait().await.map_err(local)?;
        }
    }
    let size = tokio::fs::metadata(&temp).await.map_err(local)?.len();
    report.reply_done(size)
}

/// Progress of the reply download goes to the job's reply progress, not to its file.
struct ReplyReport<'a> {
    report: &'a UploadReport<'a>,
}

impl RunReport for ReplyReport<'_> {
    fn connected(&self) {}

    fn file_started(&self, _index: usize, start: &FileStart) -> std::result::Result<(), Failure> {
        self.report.reply_started(start.offset, start.total)
    }

    fn remote_name_changed(&self, _index: usize, _url: &str) {}

    fn bytes(&self, _index: usize, bytes: u64) {
        self.report.reply_bytes(bytes);
    }
}
