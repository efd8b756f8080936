//! Starting the window's program, `ferry-desktop`: it builds the window, or hands over to the
//! one already open (which comes to the front) and exits.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use ferry_owner::service::DESKTOP_PROGRAM;

/// Environment variable naming the window's program (tests and a source build point it at
/// their binary); by default the `ferry-desktop` beside this program, else the one on the PATH.
pub const DESKTOP_PROGRAM_VARIABLE: &str = "FERRY_DESKTOP_PROGRAM";

/// The window's program.
pub fn program() -> PathBuf {
    if let Some(program) = std::env::var_os(DESKTOP_PROGRAM_VARIABLE).filter(|p| !p.is_empty()) {
        return PathBuf::from(program);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join(DESKTOP_PROGRAM)))
        .filter(|beside| beside.is_file())
        .unwrap_or_else(|| PathBuf::from(DESKTOP_PROGRAM))
}

/// Opens Ferry's window. The window's process outlives the tray's signals (its own process
/// group); its exit status is collected so it leaves no zombie.
pub fn show() {
    use std::os::unix::process::CommandExt;
    let program = program();
    tracing::info!(program = %program.display(), "opening the window");
    match Command::new(&program)
        .stdin(Stdio::null())
        .process_group(0)
        .spawn()
    {
        Ok(mut child) => {
            let reaped = std::thread::Builder::new()
                .name("ferry-window-reaper".into())
                .spawn(move || child.wait());
            if let Err(error) = reaped {
                tracing::debug!("cannot watch the window's process: {error}");
            }
        }
        Err(error) => {
            tracing::warn!(program = %program.display(), "cannot open Ferry's window: {error}")
        }
    }
}
