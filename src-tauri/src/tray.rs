//! The tray icon: a menu (Show Ferry, Pause all, Resume all, Quit) and a tooltip with the
//! queue's aggregate progress, whose icon turns "busy" while jobs are moving.

use std::time::Duration;

use ferry_engine::{Engine, JobId};
use tauri::image::Image;
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Runtime};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::queue_summary::QueueSummary;
use crate::{lifecycle, main_window};

/// The tooltip is refreshed at most this often, however fast progress arrives.
const REFRESH_INTERVAL: Duration = Duration::from_secs(1);

const IDLE_ICON: &[u8] = include_bytes!("../../icons/tray.png");
const BUSY_ICON: &[u8] = include_bytes!("../../icons/tray-busy.png");

/// Puts Ferry's icon in the system tray and keeps its tooltip current.
pub fn install<R: Runtime>(app: &AppHandle<R>, engine: Engine) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, "show", "Show Ferry", true, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause-all", "Pause all", true, None::<&str>)?;
    let resume = MenuItem::with_id(app, "resume-all", "Resume all", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(
        app,
        &[&show, &separator, &pause, &resume, &separator, &quit],
    )?;
    let idle = Image::from_bytes(IDLE_ICON)?;
    let busy = Image::from_bytes(BUSY_ICON)?;
    let menu_engine = engine.clone();
    let tray = TrayIconBuilder::with_id("ferry")
        .icon(idle.clone())
        .tooltip(QueueSummary::default().tooltip())
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(move |app, event| on_menu(app, &menu_engine, &event))
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                main_window::show(tray.app_handle());
            }
        })
        .build(app)?;
    tauri::async_runtime::spawn(follow_queue(tray, engine, [idle, busy]));
    Ok(())
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, engine: &Engine, event: &MenuEvent) {
    match event.id().as_ref() {
        "show" => main_window::show(app),
        "pause-all" => log_failures("pause", engine.suspend_all()),
        "resume-all" => log_failures("resume", engine.resume_all()),
        "quit" => lifecycle::quit(app),
        other => tracing::debug!(item = other, "unknown tray menu item"),
    }
}

/// Logs the jobs "Pause all" or "Resume all" skipped because their state does not allow the
/// verb (a TRANSFERRED job cannot be paused); that is expected, not an error.
pub fn log_failures(verb: &str, results: Vec<(JobId, ferry_engine::Result<()>)>) {
    for (id, result) in results {
        if let Err(error) = result {
            tracing::debug!(%id, "cannot {verb} from the tray: {error}");
        }
    }
}

/// Recomputes the summary after engine events, at most once per [`REFRESH_INTERVAL`], and
/// touches the tray only when what it shows changes.
async fn follow_queue<R: Runtime>(
    tray: TrayIcon<R>,
    engine: Engine,
    [idle, busy]: [Image<'static>; 2],
) {
    let mut events = engine.subscribe();
    let mut shown = QueueSummary::default();
    loop {
        let summary = QueueSummary::of(&engine.list());
        if summary.busy() != shown.busy() {
            let icon = if summary.busy() {
                busy.clone()
            } else {
                idle.clone()
            };
            if let Err(error) = tray.set_icon(Some(icon)) {
                tracing::debug!("cannot change the tray icon: {error}");
            }
        }
        if summary.tooltip() != shown.tooltip() {
            if let Err(error) = tray.set_tooltip(Some(summary.tooltip())) {
                tracing::debug!("cannot change the tray tooltip: {error}");
            }
        }
        shown = summary;
        if let Err(RecvError::Closed) = events.recv().await {
            return;
        }
        tokio::time::sleep(REFRESH_INTERVAL).await;
        loop {
            match events.try_recv() {
                Ok(_) | Err(TryRecvError::Lagged(_)) => continue,
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Closed) => return,
            }
        }
    }
}
