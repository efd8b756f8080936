//! # ferry-desktop
//!
//! Ferry's window and tray icon: a client of the owner of the queue ([`ferry_owner`]), which
//! runs the engine, raises the notifications and serves a local API. The app finds the owner
//! of its data folder, or starts one (`ferry service`), and every command is one call of that
//! API, so the window shows the same queue as the `ferry` command line.
//!
//! ## Layout
//! - [`run`]: the app as users start it (logging, the owner, tray, single instance).
//!   [`builder`] is the part any runtime can run, so tests drive it with tauri's mock runtime.
//! - `commands`: the `#[tauri::command]`s the window may call (and nothing else: see
//!   `capabilities/main.json`, generated permissions in `build.rs`).
//! - [`owner_link`]: the connection to the owner, restored when the owner comes back.
//! - [`bridge`]: the owner's events to the window's channel.
//! - `tray`: the tray icon, its menu and its tooltip ([`queue_summary`]).
//! - `settings`: saving settings (start at login here, the rest in the owner).
//! - [`main_window`]: the window, built in code, released when closed, rebuilt where it was.
//! - `lifecycle`, `dialogs`, `open_path`: process plumbing.

pub mod bridge;
mod commands;
mod dialogs;
mod lifecycle;
pub mod main_window;
mod open_path;
pub mod owner_link;
pub mod queue_summary;
mod settings;
mod tray;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferry_owner::launch;
use tauri::{AppHandle, Manager, RunEvent, Runtime};

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
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .arg(lifecycle::HIDDEN_FLAG)
                .build(),
        )
        .manage(bridge::Subscriptions::default())
        .manage(main_window::WindowMemory::default())
        .on_window_event(main_window::remember_on_close)
        .invoke_handler(tauri::generate_handler![
            commands::subscribe_jobs,
            commands::list_jobs,
            commands::create_job,
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
            commands::restart_file,
            commands::allow_web_page,
            commands::suspend_all,
            commands::resume_all,
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

/// Runs Ferry until the user quits.
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
    // A second launch hands over to the running instance (which shows its window, building it
    // if it was closed) and exits while the app is built, before it ever reaches the owner.
    let single_instance =
        tauri_plugin_single_instance::init(|app, _args, _cwd| main_window::show(app));
    let app = builder(tauri::Builder::default().plugin(single_instance))
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
            if let Err(error) = tray::install(handle, Arc::clone(&shell.link)) {
                // Without a tray, a launch of Ferry still brings the closed window back.
                tracing::warn!("cannot put Ferry in the system tray: {error}");
            }
            shell.manage(handle);
            tauri::async_runtime::spawn(lifecycle::quit_on_signals(handle.clone()));
            // Started hidden (at login), Ferry builds no window, so no webview, until asked.
            if !std::env::args().any(|arg| arg == lifecycle::HIDDEN_FLAG) {
                main_window::show(handle);
            }
            Ok(())
        })
        .build(context());
    match app {
        Ok(app) => app.run(on_run_event),
        Err(error) => {
            tracing::error!("cannot start the window: {error}");
            std::process::exit(1);
        }
    }
}

/// Keeps Ferry in the tray when its window closes, and stops the owner this app started
/// (transfers flush, progress is saved; jobs resume at the next start) whichever way the app
/// ends. An owner started otherwise keeps running.
fn on_run_event<R: Runtime>(app: &AppHandle<R>, event: RunEvent) {
    match event {
        RunEvent::ExitRequested { code, api, .. } => {
            main_window::keep_running_without_windows(&api, code)
        }
        RunEvent::Exit => {
            if let Some(link) = app.try_state::<Arc<OwnerLink>>() {
                tauri::async_runtime::block_on(link.stop_started_owner());
            }
        }
        _ => {}
    }
}
