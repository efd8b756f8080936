//! Starting and quitting: `--hidden` starts Ferry in the tray, Quit (from the tray, a signal or
//! the session) stops the owner the app started, cleanly, before the process ends. The window
//! itself comes and goes in [`crate::main_window`].

use tauri::{AppHandle, Runtime};

/// Command-line flag that starts Ferry in the tray without building its window (used when it
/// starts at login).
pub const HIDDEN_FLAG: &str = "--hidden";

/// Ends Ferry. The owner it started is stopped when the event loop reports the exit (see
/// [`crate::run`]), so every way out goes through the same clean stop.
pub fn quit<R: Runtime>(app: &AppHandle<R>) {
    tracing::info!("quitting");
    app.exit(0);
}

/// Quits cleanly on SIGTERM (session end, `kill`) and SIGINT (Ctrl-C in a terminal).
#[cfg(unix)]
pub async fn quit_on_signals<R: Runtime>(app: AppHandle<R>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut terminate), Ok(mut interrupt)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("cannot listen for termination signals");
        return;
    };
    tokio::select! {
        _ = terminate.recv() => tracing::info!("SIGTERM received"),
        _ = interrupt.recv() => tracing::info!("SIGINT received"),
    }
    quit(&app);
}

/// Quits cleanly on Ctrl-C.
#[cfg(not(unix))]
pub async fn quit_on_signals<R: Runtime>(app: AppHandle<R>) {
    if tokio::signal::ctrl_c().await.is_ok() {
        quit(&app);
    }
}
