//! Showing, hiding and quitting: closing the window keeps Ferry in the tray, Quit (from the
//! tray, a signal or the session) stops the engine cleanly before the process ends.

use tauri::{AppHandle, Manager, Runtime, Window, WindowEvent};

/// Label of the one window (tauri.conf.json and the capability use it too).
pub const MAIN_WINDOW: &str = "main";

/// Command-line flag that starts Ferry hidden in the tray (used when it starts at login).
pub const HIDDEN_FLAG: &str = "--hidden";

/// Brings the main window to the front, showing it if it was hidden.
pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window(MAIN_WINDOW) else {
        tracing::warn!("the main window is gone");
        return;
    };
    let shown = window
        .unminimize()
        .and_then(|()| window.show())
        .and_then(|()| window.set_focus());
    if let Err(error) = shown {
        tracing::warn!("cannot show the main window: {error}");
    }
}

/// Hides the main window instead of closing it, so transfers go on with Ferry in the tray.
pub fn keep_running_on_close<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        if window.label() == MAIN_WINDOW {
            api.prevent_close();
            if let Err(error) = window.hide() {
                tracing::warn!("cannot hide the main window: {error}");
            }
        }
    }
}

/// Ends Ferry. The engine is shut down when the event loop reports the exit (see
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
