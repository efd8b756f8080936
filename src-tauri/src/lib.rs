//! # ferry-desktop
//!
//! Ferry's window: a client of the owner of the queue ([`ferry_owner`]), which runs the
//! engine, raises the notifications and serves a local API. The app finds the owner of its
//! data folder, or starts one (`ferry service`), and every command is one call of that API, so
//! the window shows the same queue as the `ferry` command line. The process lives as long as
//! its window: the tray icon is another process, `ferry-tray`, which this one starts when none
//! runs, and which starts this one again on Show Ferry.
//!
//! ## Layout
//! - [`run`]: the app as users start it (logging, the tray, the owner, single instance).
//!   [`builder`] is the part any runtime can run, so tests drive it with tauri's mock runtime.
//! - `commands`: the `#[tauri::command]`s the window may call (and nothing else: see
//!   `capabilities/main.json`, generated permissions in `build.rs`).
//! - [`owner_link`]: the connection to the owner, restored when the owner comes back.
//! - [`prefetch`]: the first subscription, made while the window starts.
//! - [`bridge`]: the owner's events to the window's channel.
//! - [`tray_process`]: starting `ferry-tray` when none runs for the data folder.
//! - `settings`: saving settings (start at login here, the rest in the owner).
//! - [`login_start`]: the XDG autostart entry the "Start at login" switch writes.
//! - [`main_window`]: the window, built in code; its geometry and view kept in `window.json`.
//! - `webview_settings`: WebKit's settings for the window (memory).
//! - `lifecycle`, `dialogs`, `open_path`: process plumbing.

pub mod bridge;
mod commands;
mod dialogs;
mod home_path;
mod lifecycle;
pub mod login_start;
pub mod main_window;
mod open_path;
pub mod owner_link;
pub mod prefetch;
mod settings;
pub mod tray_process;
mod webview_settings;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferry_owner::launch;
use tauri::{Manager, Runtime};

pub use bridge::{ShellEvent, UiEvent};
pub use ferry_owner::ApiError as IpcError;
pub use ferry_owner::{NewJobRequest, Settings, Theme};
pub use main_window::MAIN_WINDOW;
pub use owner_link::OwnerLink;

/// What the shell holds for the app's lifetime: the connection to the owner of the queue.
pub struct Shell {
    /// The connection to the owner.
    pub link: Arc<OwnerLink>,
}

impl Shell {
    /// Connects to the owner of `data_dir`, starting `program service` when none runs. Blocks
    /// until connected; call it outside any async runtime.
    pub fn connect(data_dir: &Path, program: &Path) -> Result<Shell, IpcError> {
        let link = tauri::async_runtime::block_on(OwnerLink::connect(data_dir, program))?;
        Ok(Shell { link })
    }

    /// Hands the connection to the app, for the commands to use.
    pub fn manage<R: Runtime>(self, app: &impl Manager<R>) {
        app.manage(self.link);
    }
}

/// Where Ferry keeps its jobs, settings and logs (see [`launch::data_dir`]).
pub fn data_dir() -> PathBuf {
    launch::data_dir()
}

/// The app's configuration: `tauri.conf.json`, the capability and the embedded UI.
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}

/// Adds Ferry's commands and window behaviour to `builder`, for any runtime. The commands
/// need a [`Shell`] managed by the app (see [`Shell::manage`]) before the window calls them.
pub fn builder<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .manage(bridge::Subscriptions::default())
        .on_window_event(main_window::remember_on_close)
        .invoke_handler(tauri::generate_handler![
            commands::subscribe_jobs,
            commands::first_jobs,
            commands::list_jobs,
            commands::create_job,
            commands::probe_urls,
            commands::resume_job,
            commands::suspend_job,
            commands::cancel_job,
            commands::complete_job,
            commands::replace_existing_file,
            commands::keep_both_files,
            commands::choose_file_name,
            commands::set_priority,
            commands::set_remote_name,
            commands::set_local_folder,
            commands::set_credentials,
            commands::set_dynamic_content,
            commands::set_connections,
            commands::set_speed_limit,
            commands::restart_file,
            commands::allow_web_page,
            commands::suspend_all,
            commands::resume_all,
            commands::complete_all_ready,
            commands::get_settings,
            commands::set_settings,
            commands::history,
            commands::open_path,
            commands::open_remote_url,
            commands::reveal_path,
            commands::pick_folder,
            commands::pick_file,
        ])
}

/// Runs Ferry's window until it is closed (the tray and the owner stay), or until Quit in the
/// tray. With `--hidden` (the autostart entry at login), only makes sure the tray runs.
pub fn run() {
    let data_dir = data_dir();
    if let Err(error) = std::fs::create_dir_all(&data_dir) {
        eprintln!(
            "ferry: cannot create the data directory {}: {error}",
            data_dir.display()
        );
        std::process::exit(1);
    }
    ferry_owner::logging::init(&data_dir, ferry_owner::logging::WINDOW_LOG);
    tray_process::ensure_running(&data_dir);
    if std::env::args().any(|arg| arg == lifecycle::HIDDEN_FLAG) {
        tracing::info!("started hidden: the tray runs, no window is built");
        return;
    }
    // A second launch hands over to the running instance (which brings its window to the
    // front) and exits while the app is built, before it ever reaches the owner.
    let single_instance =
        tauri_plugin_single_instance::init(|app, _args, _cwd| main_window::show(app));
    let app = builder(tauri::Builder::default().plugin(single_instance))
        .manage(main_window::WindowMemory::in_folder(&data_dir))
        .setup(move |app| {
            let shell = match Shell::connect(&data_dir, &launch::ferry_program()) {
                Ok(shell) => shell,
                Err(error) => {
                    tracing::error!(data_dir = %data_dir.display(), "cannot reach the owner of the queue: {error}");
                    eprintln!("ferry: {error}");
                    std::process::exit(1);
                }
            };
            let handle = app.handle();
            tauri::async_runtime::spawn(lifecycle::quit_when_told(
                handle.clone(),
                Arc::clone(&shell.link),
            ));
            shell.manage(handle);
            tauri::async_runtime::spawn(lifecycle::quit_on_signals(handle.clone()));
            main_window::show(handle);
            Ok(())
        })
        .build(context());
    match app {
        // The process ends with its window (the last window closing ends the event loop).
        Ok(app) => app.run(|_, _| {}),
        Err(error) => {
            tracing::error!("cannot start the window: {error}");
            std::process::exit(1);
        }
    }
}
