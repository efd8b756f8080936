//! Starting the window's program, `ferry-desktop`: it builds the window, or hands over to the
//! one already open (which comes to the front) and exits.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use ferry_owner::service::{DESKTOP_PROGRAM, DESKTOP_PROGRAM_VARIABLE};

/// The window's program: `FERRY_DESKTOP_PROGRAM`, else the `ferry-desktop` beside this
/// program, else the one on the PATH.
pub fn program() -> PathBuf {
    ferry_owner::launch::sibling_program(DESKTOP_PROGRAM_VARIABLE, DESKTOP_PROGRAM)
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
