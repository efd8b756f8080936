//! The commands the window may call: each is a one-liner over the engine, which validates
//! every value. Every error crosses as [`IpcError`] `{ code, name, message }`.
//!
//! Engine verbs commit to the job store before they return, so they run on the blocking pool
//! ([`engine_call`]) rather than on the async runtime's workers.

use std::path::PathBuf;
use std::sync::Arc;

use ferry_engine::{
    CompleteOutcome, Credentials, Engine, ErrorCode, HistoryEntry, JobId, JobInfo, Priority,
};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State, Webview, WebviewWindow};

use crate::bridge::{Subscriptions, UiEvent};
use crate::dialogs::{self, Pick};
use crate::ipc_error::IpcError;
use crate::job_actions::{self, NewJobRequest};
use crate::open_path;
use crate::settings::{Settings, SettingsFile};

/// What every command answers.
pub type CommandResult<T> = Result<T, IpcError>;

/// Runs `verb` on a clone of the engine on the blocking pool.
async fn engine_call<T, F>(engine: &Engine, verb: F) -> CommandResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Engine) -> Result<T, IpcError> + Send + 'static,
{
    let engine = engine.clone();
    tauri::async_runtime::spawn_blocking(move || verb(&engine))
        .await
        .map_err(|error| IpcError::internal(format!("the command stopped unexpectedly: {error}")))?
}

/// Streams job events to the window over `channel` and returns every job as it is now.
#[tauri::command]
pub async fn subscribe_jobs<R: Runtime>(
    webview: Webview<R>,
    engine: State<'_, Engine>,
    subscriptions: State<'_, Subscriptions>,
    channel: Channel<UiEvent>,
) -> CommandResult<Vec<JobInfo>> {
    Ok(subscriptions.subscribe(&engine, webview.label(), channel))
}

/// Every job in the queue, oldest first.
#[tauri::command]
pub async fn list_jobs(engine: State<'_, Engine>) -> CommandResult<Vec<JobInfo>> {
    Ok(engine.list())
}

/// Creates a SUSPENDED job with its files and credentials; nothing is left behind on error.
#[tauri::command]
pub async fn create_job(
    engine: State<'_, Engine>,
    request: NewJobRequest,
) -> CommandResult<JobInfo> {
    engine_call(&engine, move |e| Ok(job_actions::create_job(e, request)?)).await
}

/// Resume (also "Retry now").
#[tauri::command]
pub async fn resume_job(engine: State<'_, Engine>, id: JobId) -> CommandResult<()> {
    engine_call(&engine, move |e| Ok(e.resume(id)?)).await
}

/// Suspend.
#[tauri::command]
pub async fn suspend_job(engine: State<'_, Engine>, id: JobId) -> CommandResult<()> {
    engine_call(&engine, move |e| Ok(e.suspend(id)?)).await
}

/// Cancel: S_OK, or BG_S_UNABLE_TO_DELETE_FILES when a temporary file stayed behind.
#[tauri::command]
pub async fn cancel_job(engine: State<'_, Engine>, id: JobId) -> CommandResult<ErrorCode> {
    engine_call(&engine, move |e| Ok(e.cancel(id)?)).await
}

/// Complete: hands the transferred files over.
#[tauri::command]
pub async fn complete_job(engine: State<'_, Engine>, id: JobId) -> CommandResult<CompleteOutcome> {
    engine_call(&engine, move |e| Ok(e.complete(id)?)).await
}

/// "Replace": lets Complete replace the existing file under file `file_index`'s final name.
/// The window completes again afterwards.
#[tauri::command]
pub async fn replace_existing_file(
    engine: State<'_, Engine>,
    id: JobId,
    file_index: u32,
) -> CommandResult<()> {
    engine_call(&engine, move |e| {
        Ok(e.set_replace_existing(id, file_index, true)?)
    })
    .await
}

/// "Keep both": gives file `file_index` the first free name like `name (2).ext` and answers it.
/// The window completes again afterwards.
#[tauri::command]
pub async fn keep_both_files(
    engine: State<'_, Engine>,
    id: JobId,
    file_index: u32,
) -> CommandResult<PathBuf> {
    engine_call(&engine, move |e| Ok(e.keep_both(id, file_index)?)).await
}

/// "Choose a name": the native save-file picker in the file's folder; the transferred file is
/// given the chosen path (`null` when dismissed). Choosing an existing file means the user
/// confirmed replacing it in the picker, so Complete may replace that one. The window completes
/// again afterwards.
#[tauri::command]
pub async fn choose_file_name<R: Runtime>(
    window: WebviewWindow<R>,
    engine: State<'_, Engine>,
    id: JobId,
    file_index: u32,
) -> CommandResult<Option<PathBuf>> {
    let current = engine
        .get(id)?
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
    let Some(chosen) = dialogs::save_as(&window, folder, name).await else {
        return Ok(None);
    };
    let path = chosen.clone();
    engine_call(&engine, move |e| {
        let confirmed_replace = std::fs::symlink_metadata(&path).is_ok();
        e.set_local_path(id, file_index, path)?;
        Ok(e.set_replace_existing(id, file_index, confirmed_replace)?)
    })
    .await?;
    Ok(Some(chosen))
}

/// Changes the job's priority.
#[tauri::command]
pub async fn set_priority(
    engine: State<'_, Engine>,
    id: JobId,
    priority: Priority,
) -> CommandResult<()> {
    engine_call(&engine, move |e| Ok(e.set_priority(id, priority)?)).await
}

/// Points one file of a download at another URL.
#[tauri::command]
pub async fn set_remote_name(
    engine: State<'_, Engine>,
    id: JobId,
    file_index: u32,
    url: String,
) -> CommandResult<()> {
    engine_call(&engine, move |e| {
        Ok(e.set_remote_name(id, file_index, &url)?)
    })
    .await
}

/// Moves every file not yet transferred to `folder`.
#[tauri::command]
pub async fn set_local_folder(
    engine: State<'_, Engine>,
    id: JobId,
    folder: PathBuf,
) -> CommandResult<()> {
    engine_call(&engine, move |e| {
        Ok(job_actions::set_local_folder(e, id, &folder)?)
    })
    .await
}

/// Sets credentials for the server or the proxy.
#[tauri::command]
pub async fn set_credentials(
    engine: State<'_, Engine>,
    id: JobId,
    credentials: Credentials,
) -> CommandResult<()> {
    engine_call(&engine, move |e| Ok(e.set_credentials(id, credentials)?)).await
}

/// Accepts servers that report no size or cannot resume.
#[tauri::command]
pub async fn set_dynamic_content(
    engine: State<'_, Engine>,
    id: JobId,
    enabled: bool,
) -> CommandResult<()> {
    engine_call(&engine, move |e| Ok(e.set_dynamic_content(id, enabled)?)).await
}

/// Drops a file's partial bytes so it downloads again from byte 0.
#[tauri::command]
pub async fn restart_file(
    engine: State<'_, Engine>,
    id: JobId,
    file_index: u32,
) -> CommandResult<()> {
    engine_call(&engine, move |e| Ok(e.restart_file(id, file_index)?)).await
}

/// Accepts the web page the server sends for a file as that file's content (the next Resume
/// downloads it).
#[tauri::command]
pub async fn allow_web_page(
    engine: State<'_, Engine>,
    id: JobId,
    file_index: u32,
) -> CommandResult<()> {
    engine_call(&engine, move |e| Ok(e.allow_web_page(id, file_index)?)).await
}

/// Suspends every job that can be suspended.
#[tauri::command]
pub async fn suspend_all(engine: State<'_, Engine>) -> CommandResult<()> {
    engine_call(&engine, |e| {
        crate::tray::log_failures("suspend", e.suspend_all());
        Ok(())
    })
    .await
}

/// Resumes every suspended job that has files.
#[tauri::command]
pub async fn resume_all(engine: State<'_, Engine>) -> CommandResult<()> {
    engine_call(&engine, |e| {
        crate::tray::log_failures("resume", e.resume_all());
        Ok(())
    })
    .await
}

/// The settings in force.
#[tauri::command]
pub async fn get_settings(settings: State<'_, Arc<SettingsFile>>) -> CommandResult<Settings> {
    Ok(settings.current())
}

/// Validates, saves and applies `settings`; answers what was stored.
#[tauri::command]
pub async fn set_settings<R: Runtime>(
    app: AppHandle<R>,
    engine: State<'_, Engine>,
    file: State<'_, Arc<SettingsFile>>,
    settings: Settings,
) -> CommandResult<Settings> {
    let file = Arc::clone(&file);
    engine_call(&engine, move |e| {
        crate::settings::apply(&app, e, &file, settings)
    })
    .await
}

/// Finished jobs, newest first.
#[tauri::command]
pub async fn history(engine: State<'_, Engine>, limit: usize) -> CommandResult<Vec<HistoryEntry>> {
    engine_call(&engine, move |e| Ok(e.history(limit)?)).await
}

/// Opens a file Ferry transferred with its default application.
#[tauri::command]
pub async fn open_path(engine: State<'_, Engine>, path: PathBuf) -> CommandResult<()> {
    engine_call(&engine, move |e| open_path::open_file(e, &path)).await
}

/// Opens the http(s) URL of a file of a job in the web browser (to read the page the server
/// sent instead of the file).
#[tauri::command]
pub async fn open_remote_url(
    engine: State<'_, Engine>,
    id: JobId,
    file_index: u32,
) -> CommandResult<()> {
    engine_call(&engine, move |e| open_path::open_remote(e, id, file_index)).await
}

/// Opens the folder holding a file Ferry transferred.
#[tauri::command]
pub async fn reveal_path(
    engine: State<'_, Engine>,
    settings: State<'_, Arc<SettingsFile>>,
    path: PathBuf,
) -> CommandResult<()> {
    let default_folder = settings.current().default_folder;
    engine_call(&engine, move |e| {
        open_path::reveal(e, &default_folder, &path)
    })
    .await
}

/// Native folder picker, starting in the default folder; `null` when dismissed.
#[tauri::command]
pub async fn pick_folder<R: Runtime>(
    window: WebviewWindow<R>,
    settings: State<'_, Arc<SettingsFile>>,
) -> CommandResult<Option<PathBuf>> {
    Ok(dialogs::pick(&window, Pick::Folder, settings.current().default_folder).await)
}

/// Native file picker (the file to upload), starting in the default folder; `null` when dismissed.
#[tauri::command]
pub async fn pick_file<R: Runtime>(
    window: WebviewWindow<R>,
    settings: State<'_, Arc<SettingsFile>>,
) -> CommandResult<Option<PathBuf>> {
    Ok(dialogs::pick(&window, Pick::File, settings.current().default_folder).await)
}
