//! Starting and ending the window's process: `--hidden` only makes sure the tray runs; Quit in
//! the tray (told by the owner), a signal or the session end the process. The owner and the
//! tray are other processes and are not stopped here: Quit in the tray stops them.

use std::sync::Arc;

use tauri::{AppHandle, Runtime};

use crate::owner_link::OwnerLink;

/// Command-line flag for a start at login: make sure the tray runs, build no window, exit.
pub const HIDDEN_FLAG: &str = "--hidden";

/// Ends the window's process, remembering where the window was for the next one.
pub fn quit<R: Runtime>(app: &AppHandle<R>) {
    tracing::info!("quitting");
    crate::main_window::remember_before_exit(app);
    app.exit(0);
}

/// Ends the window's process when the owner says Ferry quits (Quit in the tray).
pub async fn quit_when_told<R: Runtime>(app: AppHandle<R>, link: Arc<OwnerLink>) {
    link.quitting().await;
    quit(&app);
}

/// Quits cleanly on SIGTERM (session end, `kill`) and SIGINT (Ctrl-C in a terminal).
#[cfg(unix)]
pub async fn quit_on_signals<R: Runtime>(app: AppHandle<R>) {
    ferry_owner::launch::termination_signal().await;
    quit(&app);
}

/// Quits cleanly on Ctrl-C.
#[cfg(not(unix))]
pub async fn quit_on_signals<R: Runtime>(app: AppHandle<R>) {
    if tokio::signal::ctrl_c().await.is_ok() {
        quit(&app);
    }
}
