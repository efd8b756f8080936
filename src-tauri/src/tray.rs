//! The tray icon: a menu (Show Ferry, Pause all, Resume all, Quit) and a tooltip with the
//! queue's aggregate progress, whose icon turns "busy" while jobs are moving.

use std::sync::Arc;
use std::time::Duration;

use ferry_engine::JobInfo;
use ferry_owner::Call;
use tauri::image::Image;
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Runtime};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::owner_link::OwnerLink;
use crate::queue_summary::QueueSummary;
use crate::{lifecycle, main_window};

/// The tooltip is refreshed at most this often, however fast progress arrives.
const REFRESH_INTERVAL: Duration = Duration::from_secs(1);

const IDLE_ICON: &[u8] = include_bytes!("../../icons/tray.png");
const BUSY_ICON: &[u8] = include_bytes!("../../icons/tray-busy.png");

/// Puts Ferry's icon in the system tray and keeps its tooltip current.
pub fn install<R: Runtime>(app: &AppHandle<R>, link: Arc<OwnerLink>) -> tauri::Result<()> {
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
    let menu_link = Arc::clone(&link);
    let tray = TrayIconBuilder::with_id("ferry")
        .icon(idle.clone())
        .tooltip(QueueSummary::default().tooltip())
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(move |app, event| on_menu(app, &menu_link, &event))
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
    tauri::async_runtime::spawn(follow_queue(tray, link, [idle, busy]));
    Ok(())
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, link: &Arc<OwnerLink>, event: &MenuEvent) {
    let everything = |call: Call| {
        let link = Arc::clone(link);
        tauri::async_runtime::spawn(async move {
            if let Err(error) = link.run(call).await {
                tracing::warn!("the tray's action failed: {error}");
            }
        });
    };
    match event.id().as_ref() {
        "show" => main_window::show(app),
        "pause-all" => everything(Call::SuspendAll),
        "resume-all" => everything(Call::ResumeAll),
        "quit" => lifecycle::quit(app),
        other => tracing::debug!(item = other, "unknown tray menu item"),
    }
}

/// Recomputes the summary after the owner's events, at most once per [`REFRESH_INTERVAL`], and
/// touches the tray only when what it shows changes. Follows the owner across reconnections.
async fn follow_queue<R: Runtime>(
    tray: TrayIcon<R>,
    link: Arc<OwnerLink>,
    [idle, busy]: [Image<'static>; 2],
) {
    let mut generations = link.generations();
    let mut shown = QueueSummary::default();
    loop {
        let Ok((mut jobs, mut events)) = link.client().subscribe().await else {
            if generations.changed().await.is_err() {
                return;
            }
            continue;
        };
        loop {
            let summary = QueueSummary::of(&jobs);
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
            tokio::select! {
                event = events.recv() => if let Err(RecvError::Closed) = event { break },
                changed = generations.changed() => {
                    if changed.is_err() { return; }
                    break;
                }
            }
            tokio::time::sleep(REFRESH_INTERVAL).await;
            loop {
                match events.try_recv() {
                    Ok(_) | Err(TryRecvError::Lagged(_)) => continue,
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Closed) => break,
                }
            }
            match link.call::<Vec<JobInfo>>(Call::List).await {
                Ok(now) => jobs = now,
                Err(error) => tracing::debug!("cannot list the jobs for the tray: {error}"),
            }
        }
    }
}
