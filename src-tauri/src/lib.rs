//! # ferry
//!
//! Ferry's desktop shell: a Tauri window, a tray icon and desktop notifications over the
//! transfer engine ([`ferry_engine`]). The shell is thin: every command is a one-liner over
//! the engine, which validates every value and owns every rule of the job model.
//!
//! ## Layout
//! - [`run`]: the app as users start it (logging, engine, tray, notifications, single
//!   instance). [`builder`] is the part any runtime can run, so tests drive it with tauri's
//!   mock runtime.
//! - `commands`: the `#[tauri::command]`s the window may call (and nothing else: see
//!   `capabilities/main.json`, generated permissions in `build.rs`).
//! - [`bridge`]: engine events to the window's channel and to notifications.
//! - [`notify`]: which events deserve a notification, and showing them.
//! - `tray`: the tray icon, its menu and its tooltip ([`queue_summary`]).
//! - [`settings`]: the settings file and how it configures the engine.
//! - [`job_actions`]: requests that take several engine verbs (create a job in one step).
//! - [`ipc_error`]: how errors cross to the window.
//! - [`main_window`]: the window, built in code, released when closed, rebuilt where it was.
//! - `lifecycle`, `dialogs`, `open_path`, `logging`: process plumbing.

pub mod bridge;
mod commands;
mod dialogs;
pub mod ipc_error;
pub mod job_actions;
mod lifecycle;
mod logging;
pub mod main_window;
pub mod notify;
mod open_path;
pub mod queue_summary;
pub mod settings;
#[cfg(test)]
mod test_jobs;
mod tray;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferry_engine::Engine;
use tauri::{AppHandle, Manager, RunEvent, Runtime};

pub use bridge::{ShellEvent, UiEvent};
pub use ipc_error::IpcError;
pub use job_actions::NewJobRequest;
pub use main_window::MAIN_WINDOW;
pub use settings::{Settings, SettingsFile, Theme};

/// Environment variable naming the data directory (tests point it at a temporary folder).
pub const DATA_DIR_VARIABLE: &str = "FERRY_DATA_DIR";

/// What the shell holds for the app's lifetime: the running engine and the settings.
pub struct Shell {
    /// The transfer engine.
    pub engine: Engine,
    /// The settings file and the settings in force.
    pub settings: Arc<SettingsFile>,
}

impl Shell {
    /// Reads the settings in `data_dir` and opens the engine there with them. Blocks until
    /// the engine has reloaded its jobs; call it outside any async runtime. Nothing runs until
    /// [`Shell::run`], so subscribers set up in between miss no event.
    pub fn start(data_dir: &Path) -> ferry_engine::Result<Shell> {
        let settings = Arc::new(SettingsFile::load(data_dir));
        let config = settings.current().engine_config();
        let engine = tauri::async_runtime::block_on(Engine::open(config, data_dir))?;
        Ok(Shell { engine, settings })
    }

    /// Starts the engine's transfers, timers and sweeps.
    pub fn run(&self) {
        tauri::async_runtime::block_on(async { self.engine.run() });
    }

    /// Hands the engine and the settings to the app, for the commands to use.
    pub fn manage<R: Runtime>(self, app: &impl Manager<R>) {
        app.manage(self.engine);
        app.manage(self.settings);
    }
}

/// Where Ferry keeps its jobs, settings and log: `$FERRY_DATA_DIR` when set, else `ferry` in
/// the user's data directory (`~/.local/share/ferry` on Linux).
pub fn data_dir() -> PathBuf {
    match std::env::var_os(DATA_DIR_VARIABLE) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => dirs::data_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("ferry"),
    }
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
    logging::init(&data_dir);
    // A second launch hands over to the running instance (which shows its window, building it
    // if it was closed) and exits while the app is built, before it ever opens the job store.
    let single_instance =
        tauri_plugin_single_instance::init(|app, _args, _cwd| main_window::show(app));
    let app = builder(tauri::Builder::default().plugin(single_instance))
        .setup(move |app| {
            let shell = match Shell::start(&data_dir) {
                Ok(shell) => shell,
                Err(error) => {
                    tracing::error!(code = %error.code, data_dir = %data_dir.display(), "cannot start the engine: {error}");
                    std::process::exit(1);
                }
            };
            let handle = app.handle();
            if let Err(error) = tray::install(handle, shell.engine.clone()) {
                // Without a tray, a launch of Ferry still brings the closed window back.
                tracing::warn!("cannot put Ferry in the system tray: {error}");
            }
            bridge::spawn_notifications(handle.clone(), shell.engine.clone(), Arc::clone(&shell.settings));
            shell.run();
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

/// Keeps Ferry in the tray when its window closes, and stops the engine cleanly (transfers
/// flush, progress is saved) whichever way the app ends.
fn on_run_event<R: Runtime>(app: &AppHandle<R>, event: RunEvent) {
    match event {
        RunEvent::ExitRequested { code, api, .. } => {
            main_window::keep_running_without_windows(&api, code)
        }
        RunEvent::Exit => {
            if let Some(engine) = app.try_state::<Engine>() {
                tauri::async_runtime::block_on(engine.shutdown());
            }
        }
        _ => {}
    }
}
