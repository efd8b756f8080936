//! The commands the window may call: each is one call of the owner's local API (the owner's
//! engine validates every value), or a native dialog or launcher run here. Every error crosses
//! as [`IpcError`] `{ code, name, message }`.

use std::path::PathBuf;
use std::sync::Arc;

use ferry_engine::{
    CompleteOutcome, Credentials, ErrorCode, HistoryEntry, JobId, JobInfo, Priority, ProbeRequest,
    ProbeResult,
};
use ferry_owner::{Call, NewJobRequest, Settings};
use tauri::ipc::{Channel, Response};
use tauri::{Runtime, State, Webview, WebviewWindow};

use crate::bridge::{Subscriptions, UiEvent};
use crate::dialogs::{self, Pick};
use crate::home_path;
use crate::open_path;
use crate::owner_link::OwnerLink;
use crate::prefetch::FirstJobs;
use crate::IpcError;

/// What every command answers.
pub type CommandResult<T> = Result<T, IpcError>;

/// The connection to the owner, as commands receive it.
type Link<'a> = State<'a, Arc<OwnerLink>>;

/// Streams job events to the window over `channel` and returns every job as it is now (a
/// list of `JobInfo`, written as JSON once, from the owner's answer fetched at start the first
/// time).
#[tauri::command]
pub async fn subscribe_jobs<R: Runtime>(
    webview: Webview<R>,
    link: Link<'_>,
    subscriptions: State<'_, Subscriptions>,
    channel: Channel<UiEvent>,
) -> CommandResult<Response> {
    let jobs = subscriptions
        .subscribe(Arc::clone(&link), webview.label(), channel)
        .await?;
    Ok(Response::new(jobs))
}

/// The queue's first `count` jobs and how many it holds, while the list fetched at start has
/// not been taken by [`subscribe_jobs`]; null otherwise. The page paints its first rows from
/// them while every job is on its way.
#[tauri::command]
pub async fn first_jobs(link: Link<'_>, count: u32) -> CommandResult<Option<FirstJobs>> {
    Ok(link.first_jobs(count as usize).await)
}

/// Every job in the queue, oldest first.
#[tauri::command]
pub async fn list_jobs(link: Link<'_>) -> CommandResult<Vec<JobInfo>> {
    link.call(Call::List).await
}

/// Creates a SUSPENDED job with its files and credentials; nothing is left behind on error.
/// Unless the window chose them, the job's retry policy and auto-complete are what the
/// `quick_retries` and `auto_complete` settings say for jobs a person makes.
#[tauri::command]
pub async fn create_job(link: Link<'_>, mut request: NewJobRequest) -> CommandResult<JobInfo> {
    for file in &mut request.files {
        file.local_path = home_path::expand_home(&file.local_path)?;
    }
    if let Some(reply) = request.reply_file_name.take() {
        request.reply_file_name = Some(home_path::expand_home(&reply)?);
    }
    if request.retry_policy.is_none() || request.auto_complete.is_none() {
        let settings: Settings = link.call(Call::GetSettings).await?;
        request.retry_policy = request
            .retry_policy
            .or(Some(settings.retry_policy_for_people()));
        request.auto_complete = request.auto_complete.or(Some(settings.auto_complete));
    }
    link.call(Call::CreateWithFiles(request)).await
}

/// Asks the servers about the Add dialog's URLs (name, size, type, resume support) before
/// anything is added: one answer per URL, in order; the first 20 are checked.
#[tauri::command]
pub async fn probe_urls(link: Link<'_>, request: ProbeRequest) -> CommandResult<Vec<ProbeResult>> {
    link.call(Call::Probe(request)).await
}

/// Resume (also "Retry now").
#[tauri::command]
pub async fn resume_job(link: Link<'_>, id: JobId) -> CommandResult<()> {
    link.run(Call::Resume { job: id }).await
}

/// Suspend.
#[tauri::command]
pub async fn suspend_job(link: Link<'_>, id: JobId) -> CommandResult<()> {
    link.run(Call::Suspend { job: id }).await
}

/// Cancel: S_OK, or BG_S_UNABLE_TO_DELETE_FILES when a temporary file stayed behind.
#[tauri::command]
pub async fn cancel_job(link: Link<'_>, id: JobId) -> CommandResult<ErrorCode> {
    link.call(Call::Cancel { job: id }).await
}

/// Complete: hands the transferred files over.
#[tauri::command]
pub async fn complete_job(link: Link<'_>, id: JobId) -> CommandResult<CompleteOutcome> {
    link.call(Call::Complete { job: id }).await
}

/// "Replace": lets Complete replace the existing file under file `file_index`'s final name.
/// The window completes again afterwards.
#[tauri::command]
pub async fn replace_existing_file(
    link: Link<'_>,
    id: JobId,
    file_index: u32,
) -> CommandResult<()> {
    link.run(Call::SetReplaceExisting {
        job: id,
        file: file_index,
        replace: true,
    })
    .await
}

/// "Keep both": gives file `file_index` the first free name like `name (2).ext` and answers it.
/// The window completes again afterwards.
#[tauri::command]
pub async fn keep_both_files(link: Link<'_>, id: JobId, file_index: u32) -> CommandResult<PathBuf> {
    link.call(Call::KeepBoth {
        job: id,
        file: file_index,
    })
    .await
}

/// "Choose a name": the native save-file picker in the file's folder; the transferred file is
/// given the chosen path (`null` when dismissed). Choosing an existing file means the user
/// confirmed replacing it in the picker, so Complete may replace that one. The window completes
/// again afterwards.
#[tauri::command]
pub async fn choose_file_name<R: Runtime>(
    window: WebviewWindow<R>,
    link: Link<'_>,
    id: JobId,
    file_index: u32,
) -> CommandResult<Option<PathBuf>> {
    let job: JobInfo = link.call(Call::Get { job: id }).await?;
    let current = job
        .files
        .into_iter()
        .find(|f| f.index == file_index)
        .map(|f| f.local_path)
        .ok_or_else(|| {
            IpcError::new(
                ErrorCode::E_INVALIDARG,
                format!("the job has no file {file_index}"),
            )
        })?;
    let folder = current.parent().map(PathBuf::from).unwrap_or_default();
    let name = current
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let settings: Settings = link.call(Call::GetSettings).await?;
    let locale = settings.language.locale();
    let Some(chosen) = dialogs::save_as(&window, folder, name, &locale).await else {
        return Ok(None);
    };
    let confirmed_replace = std::fs::symlink_metadata(&chosen).is_ok();
    link.run(Call::SetLocalPath {
        job: id,
        file: file_index,
        path: chosen.clone(),
    })
    .await?;
    link.run(Call::SetReplaceExisting {
        job: id,
        file: file_index,
        replace: confirmed_replace,
    })
    .await?;
    Ok(Some(chosen))
}

/// Changes the job's priority.
#[tauri::command]
pub async fn set_priority(link: Link<'_>, id: JobId, priority: Priority) -> CommandResult<()> {
    link.run(Call::SetPriority { job: id, priority }).await
}

/// Points one file of a download at another URL.
#[tauri::command]
pub async fn set_remote_name(
    link: Link<'_>,
    id: JobId,
    file_index: u32,
    url: String,
) -> CommandResult<()> {
    link.run(Call::SetRemoteName {
        job: id,
        file: file_index,
        url,
    })
    .await
}

/// Moves every file not yet transferred to `folder`.
#[tauri::command]
pub async fn set_local_folder(link: Link<'_>, id: JobId, folder: PathBuf) -> CommandResult<()> {
    let folder = home_path::expand_home(&folder)?;
    link.run(Call::SetLocalFolder { job: id, folder }).await
}

/// Sets credentials for the server or the proxy.
#[tauri::command]
pub async fn set_credentials(
    link: Link<'_>,
    id: JobId,
    credentials: Credentials,
) -> CommandResult<()> {
    link.run(Call::SetCredentials {
        job: id,
        credentials,
    })
    .await
}

/// Accepts servers that report no size or cannot resume.
#[tauri::command]
pub async fn set_dynamic_content(link: Link<'_>, id: JobId, enabled: bool) -> CommandResult<()> {
    link.run(Call::SetDynamicContent { job: id, enabled }).await
}

/// Sets how many connections one file of a download may use at once (1 to 16).
#[tauri::command]
pub async fn set_connections(link: Link<'_>, id: JobId, connections: u32) -> CommandResult<()> {
    link.run(Call::SetConnections {
        job: id,
        connections,
    })
    .await
}

/// Sets the job's own speed limit in bytes per second; `None` lifts it.
#[tauri::command]
pub async fn set_speed_limit(
    link: Link<'_>,
    id: JobId,
    bytes_per_second: Option<u64>,
) -> CommandResult<()> {
    link.run(Call::SetSpeedLimit {
        job: id,
        bytes_per_second,
    })
    .await
}

/// Drops a file's partial bytes so it downloads again from byte 0.
#[tauri::command]
pub async fn restart_file(link: Link<'_>, id: JobId, file_index: u32) -> CommandResult<()> {
    link.run(Call::RestartFile {
        job: id,
        file: file_index,
    })
    .await
}

/// Accepts the web page the server sends for a file as that file's content (the next Resume
/// downloads it).
#[tauri::command]
pub async fn allow_web_page(link: Link<'_>, id: JobId, file_index: u32) -> CommandResult<()> {
    link.run(Call::AllowWebPage {
        job: id,
        file: file_index,
    })
    .await
}

/// Pause all: suspends every job that is moving or waiting to move; answers how many.
#[tauri::command]
pub async fn suspend_all(link: Link<'_>) -> CommandResult<u32> {
    link.call(Call::SuspendAll).await
}

/// Resume all: resumes every job that was paused after it ran; answers how many.
#[tauri::command]
pub async fn resume_all(link: Link<'_>) -> CommandResult<u32> {
    link.call(Call::ResumeAll).await
}

/// Complete all ready: completes every TRANSFERRED job; answers how many were completed and
/// how many a failed rename kept.
#[tauri::command]
pub async fn complete_all_ready(link: Link<'_>) -> CommandResult<ferry_engine::CompleteAllOutcome> {
    link.call(Call::CompleteAllReady).await
}

/// The settings in force.
#[tauri::command]
pub async fn get_settings(link: Link<'_>) -> CommandResult<Settings> {
    link.call(Call::GetSettings).await
}

/// Validates, saves and applies `settings`; answers what was stored.
#[tauri::command]
pub async fn set_settings(link: Link<'_>, settings: Settings) -> CommandResult<Settings> {
    crate::settings::apply(&link, settings).await
}

/// Finished jobs, newest first.
#[tauri::command]
pub async fn history(link: Link<'_>, limit: u32) -> CommandResult<Vec<HistoryEntry>> {
    link.call(Call::History { limit }).await
}

/// Opens a file Ferry transferred with its default application; answers whether it did. A
/// file that would run a program is opened only with `allow_programs` (the window asks first;
/// left out, it is not allowed).
#[tauri::command]
pub async fn open_path(
    link: Link<'_>,
    path: PathBuf,
    allow_programs: Option<bool>,
) -> CommandResult<bool> {
    open_path::open_file(&link, &path, allow_programs.unwrap_or(false)).await
}

/// Opens the http(s) URL of a file of a job in the web browser (to read the page the server
/// sent instead of the file).
#[tauri::command]
pub async fn open_remote_url(link: Link<'_>, id: JobId, file_index: u32) -> CommandResult<()> {
    open_path::open_remote(&link, id, file_index).await
}

/// Opens the folder holding a file Ferry transferred.
#[tauri::command]
pub async fn reveal_path(link: Link<'_>, path: PathBuf) -> CommandResult<()> {
    open_path::reveal(&link, &path).await
}

/// Native folder picker, starting in the default folder; `null` when dismissed.
#[tauri::command]
pub async fn pick_folder<R: Runtime>(
    window: WebviewWindow<R>,
    link: Link<'_>,
) -> CommandResult<Option<PathBuf>> {
    let settings: Settings = link.call(Call::GetSettings).await?;
    let locale = settings.language.locale();
    Ok(dialogs::pick(&window, Pick::Folder, settings.default_folder, &locale).await)
}

/// Native file picker (the file to upload), starting in the default folder; `null` when dismissed.
#[tauri::command]
pub async fn pick_file<R: Runtime>(
    window: WebviewWindow<R>,
    link: Link<'_>,
) -> CommandResult<Option<PathBuf>> {
    let settings: Settings = link.call(Call::GetSettings).await?;
    let locale = settings.language.locale();
    Ok(dialogs::pick(&window, Pick::File, settings.default_folder, &locale).await)
}
