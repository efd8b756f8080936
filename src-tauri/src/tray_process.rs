//! The tray icon lives in a process of its own, `ferry-tray` (no webview, a few MiB), so it
//! stays when the window's process ends. The window makes sure one runs for its data folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ferry_owner::endpoint::{is_locked, tray_lock_path};
use ferry_owner::service::DESKTOP_PROGRAM_VARIABLE;

/// The tray's program, looked for beside this one and then on the PATH.
pub const TRAY_PROGRAM: &str = "ferry-tray";

/// Environment variable naming the tray's program (tests and a source build point it at their
/// binary).
pub const TRAY_PROGRAM_VARIABLE: &str = "FERRY_TRAY_PROGRAM";

/// The tray's program: `FERRY_TRAY_PROGRAM`, else the `ferry-tray` beside this program, else
/// the one on the PATH.
pub fn program() -> PathBuf {
    ferry_owner::launch::sibling_program(TRAY_PROGRAM_VARIABLE, TRAY_PROGRAM)
}

/// Starts `ferry-tray` for `data_dir` unless one runs (holds the tray's lock). The tray runs
/// in its own process group, so it outlives this process and the signals meant for it; a tray
/// started twice at the same moment keeps one (the second sees the lock taken and exits).
pub fn ensure_running(data_dir: &Path) {
    if is_locked(&tray_lock_path(data_dir)) {
        return;
    }
    use std::os::unix::process::CommandExt;
    let program = program();
    let mut command = Command::new(&program);
    command
        .env(ferry_owner::launch::DATA_DIR_VARIABLE, data_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    if std::env::var_os(DESKTOP_PROGRAM_VARIABLE).is_none() {
        if let Ok(this) = std::env::current_exe() {
            command.env(DESKTOP_PROGRAM_VARIABLE, this);
        }
    }
    match command.spawn() {
        Ok(mut child) => {
            tracing::info!(program = %program.display(), pid = child.id(), "started the tray");
            // Collects its exit status should it end while this process runs.
            let reaped = std::thread::Builder::new()
                .name("ferry-tray-reaper".into())
                .spawn(move || child.wait());
            if let Err(error) = reaped {
                tracing::debug!("cannot watch the tray's process: {error}");
            }
        }
        Err(error) => {
            tracing::warn!(program = %program.display(), "cannot start the tray icon: {error}")
        }
    }
}
