//! Opening a file Ferry delivered, or the folder holding it, with the desktop's own
//! applications.
//!
//! A file that would run a program is opened only once the user agreed (the window asks).
//! Only paths Ferry knows are opened: a file of a job in the queue or in the history, or the
//! default download folder. The window cannot use these commands to launch anything else.
//! Likewise, the web browser opens only the http(s) URL of a file of a job in the queue.

use std::path::{Path, PathBuf};

use ferry_engine::{ErrorCode, HistoryEntry, JobId, JobInfo};
use ferry_owner::opening::runs_programs;
use ferry_owner::{Call, Settings};

use crate::owner_link::OwnerLink;
use crate::IpcError;

/// How many finished jobs are searched for a path.
const HISTORY_SEARCHED: u32 = 10_000;

/// Opens `path`, a file Ferry transferred, with its default application; answers whether it
/// did. A file the desktop would run (a script, a launcher, an executable: see
/// [`runs_programs`]) is left alone unless `allow_programs` says the user agreed, as a browser
/// asks before opening a download that can run programs.
pub async fn open_file(
    link: &OwnerLink,
    path: &Path,
    allow_programs: bool,
) -> Result<bool, IpcError> {
    if !known_files(link).await?.iter().any(|known| known == path) {
        return Err(unknown(path));
    }
    if !path.is_file() {
        return Err(IpcError::new(
            ErrorCode::ERROR_FILE_NOT_FOUND,
            format!("{} is not there any more", path.display()),
        ));
    }
    if !allow_programs && runs_programs(path) {
        return Ok(false);
    }
    launch(path).map(|()| true)
}

/// Opens the folder that holds `path` (a file Ferry knows), or `path` itself when it is the
/// default folder or the folder of such a file.
pub async fn reveal(link: &OwnerLink, path: &Path) -> Result<(), IpcError> {
    let files = known_files(link).await?;
    let settings: Settings = link.call(Call::GetSettings).await?;
    let default_folder = settings.default_folder.as_path();
    let folder = if files.iter().any(|known| known == path) {
        path.parent().map(Path::to_path_buf)
    } else if path == default_folder || files.iter().any(|known| known.parent() == Some(path)) {
        Some(path.to_path_buf())
    } else {
        None
    };
    let folder = folder.ok_or_else(|| unknown(path))?;
    if !folder.is_dir() {
        return Err(IpcError::new(
            ErrorCode::ERROR_PATH_NOT_FOUND,
            format!("{} is not there any more", folder.display()),
        ));
    }
    launch(&folder)
}

/// Opens the remote URL of file `file_index` of job `id` in the web browser, so the user can read
/// the page the server sent instead of the file. The window names the file, never a URL, and
/// only http and https URLs are opened.
pub async fn open_remote(link: &OwnerLink, id: JobId, file_index: u32) -> Result<(), IpcError> {
    let job: JobInfo = link.call(Call::Get { job: id }).await?;
    let file = job.files.get(file_index as usize).ok_or_else(|| {
        IpcError::new(
            ErrorCode::E_INVALIDARG,
            format!("the job has no file {file_index}"),
        )
    })?;
    let url = file.remote_url.as_str();
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(IpcError::new(
            ErrorCode::E_ACCESSDENIED,
            format!("{url} is not a web address"),
        ));
    }
    open::that_detached(url).map_err(|error| IpcError::io(format!("cannot open {url}"), &error))
}

/// Every local file of the jobs in the queue and in the history.
async fn known_files(link: &OwnerLink) -> Result<Vec<PathBuf>, IpcError> {
    let jobs: Vec<JobInfo> = link.call(Call::List).await?;
    let history: Vec<HistoryEntry> = link
        .call(Call::History {
            limit: HISTORY_SEARCHED,
        })
        .await?;
    let mut files: Vec<PathBuf> = jobs
        .into_iter()
        .flat_map(|job| job.files.into_iter().map(|file| file.local_path))
        .collect();
    files.extend(history.into_iter().flat_map(|entry| entry.files));
    Ok(files)
}

fn unknown(path: &Path) -> IpcError {
    IpcError::new(
        ErrorCode::E_ACCESSDENIED,
        format!("{} is not a file Ferry transferred", path.display()),
    )
}

fn launch(path: &Path) -> Result<(), IpcError> {
    open::that_detached(path)
        .map_err(|error| IpcError::io(format!("cannot open {}", path.display()), &error))
}
