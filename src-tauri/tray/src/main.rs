//! # ferry-tray
//!
//! Ferry's tray icon as a process of its own: GTK and the tray library, no webview, so an idle
//! Ferry costs the owner and this small process, and the window's process exists only while
//! the window is open.
//!
//! - One tray per data folder: the lock on [`ferry_owner::endpoint::tray_lock_path`]; a second
//!   `ferry-tray` for the same folder exits at once (status 0).
//! - The menu: a status line ("2 transferring — 45% — 3 min left", "1 needs attention"), then
//!   Show Ferry (starts `ferry-desktop`, which brings an open window to the front), Pause all,
//!   Resume all, Quit. The icon is "busy" only while bytes move and asks for attention while a
//!   job is in ERROR; the tooltip sums up the queue ([`ferry_owner::summary`]).
//! - Quit asks the owner to tell every client to quit (each window closes) and to stop if a
//!   client started it; the tray then ends.
//! - With the `clipboard_offer` setting on, copying an http(s) URL shows a notification that
//!   offers to add it; only its Add button makes a job.
//!
//! ## Layout
//! - `main.rs`: the GTK side: the icon, its menu, applying what the owner's side reports.
//! - [`link`]: the owner's side, on a tokio thread: the connection (restored when the owner
//!   comes back), the queue's summary, the menu's calls.
//! - [`desktop`]: starting the window's program.
//! - [`pace`]: whether bytes move, and how fast, from one look at the queue to the next.
//! - [`clipboard`]: copied http(s) URLs; [`offer`]: the notification that offers to add one.

mod clipboard;
mod desktop;
mod link;
mod offer;
mod pace;

use std::cell::{Cell, RefCell};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use ferry_owner::endpoint::{tray_lock_path, try_lock};
use ferry_owner::i18n::{self, LanguageIdentifier};
use ferry_owner::launch;
use ferry_owner::summary::{QueueSummary, TrayState};
use tray_icon::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, TrayIcon, TrayIconBuilder, TrayIconEvent};

use crate::link::{Action, Update};

const IDLE_ICON: &[u8] = include_bytes!("../../../icons/tray.png");
const BUSY_ICON: &[u8] = include_bytes!("../../../icons/tray-busy.png");
const ATTENTION_ICON: &[u8] = include_bytes!("../../../icons/tray-attention.png");

/// How long the tooltip says what a menu action did before the queue's summary comes back.
const SAID_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// The menu's items: (id, the id of its label in the catalogues). The labels are what people
/// (and the end-to-end tests) click.
const MENU: [(&str, &str); 4] = [
    ("show", "tray-show"),
    ("pause-all", "tray-pause-all"),
    ("resume-all", "tray-resume-all"),
    ("quit", "tray-quit"),
];

fn main() -> ExitCode {
    let data_dir = launch::data_dir();
    if let Err(error) = std::fs::create_dir_all(&data_dir) {
        eprintln!(
            "ferry-tray: cannot create the data folder {}: {error}",
            data_dir.display()
        );
        return ExitCode::FAILURE;
    }
    ferry_owner::logging::init(&data_dir, ferry_owner::logging::TRAY_LOG);
    let _held = match try_lock(&tray_lock_path(&data_dir)) {
        Ok(Some(held)) => {
            if let Err(error) = held.record_pid() {
                tracing::debug!("cannot write the tray's pid into its lock: {error}");
            }
            held
        }
        Ok(None) => {
            tracing::info!(data_dir = %data_dir.display(), "a tray already runs for this data folder");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            tracing::error!("cannot take the tray's lock: {error}");
            eprintln!("ferry-tray: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = init_gtk_without_gl() {
        tracing::error!("cannot open the display: {error}");
        eprintln!("ferry-tray: cannot open the display: {error}");
        return ExitCode::FAILURE;
    }
    let (actions, updates) = match link::start(data_dir) {
        Ok(channels) => channels,
        Err(error) => {
            tracing::error!("cannot start: {error}");
            eprintln!("ferry-tray: {error}");
            return ExitCode::FAILURE;
        }
    };
    clipboard::watch(actions.clone());
    let tray = match build_tray(actions) {
        Ok(tray) => tray,
        Err(error) => {
            tracing::error!("cannot put Ferry in the system tray: {error}");
            eprintln!("ferry-tray: cannot put Ferry in the system tray: {error}");
            return ExitCode::FAILURE;
        }
    };
    gtk::glib::MainContext::default().spawn_local(apply_updates(tray, updates));
    end_on_signals();
    tracing::info!(pid = std::process::id(), "the tray runs");
    gtk::main();
    tracing::info!("the tray ends");
    ExitCode::SUCCESS
}

/// The environment variable that turns GDK's use of OpenGL off.
const GDK_GL_VARIABLE: &str = "GDK_GL";

/// Starts GTK without OpenGL. On X11 the first GTK 3 program of a display loads the OpenGL
/// stack (Mesa, LLVM: tens of MiB) to pick its visuals, unless another one left its choice
/// on the display; a tray icon never draws with OpenGL, so GDK is told not to. The setting is
/// put back at once, so the window this process starts uses OpenGL as usual. Runs before any
/// other thread exists.
fn init_gtk_without_gl() -> Result<(), gtk::glib::BoolError> {
    let before = std::env::var_os(GDK_GL_VARIABLE);
    std::env::set_var(GDK_GL_VARIABLE, "disable");
    let initialised = gtk::init();
    match before {
        Some(value) => std::env::set_var(GDK_GL_VARIABLE, value),
        None => std::env::remove_var(GDK_GL_VARIABLE),
    }
    initialised
}

/// The tray icon and the status line at the top of its menu (a disabled item: the keyboard and
/// the pointer pass over it).
#[derive(Clone)]
struct Tray {
    icon: TrayIcon,
    status: MenuItem,
    /// The menu's actions, in the order of [`MENU`].
    items: Vec<MenuItem>,
    /// The language the menu speaks.
    locale: Rc<RefCell<LanguageIdentifier>>,
}

fn build_tray(actions: tokio::sync::mpsc::UnboundedSender<Action>) -> Result<Tray, String> {
    let locale = i18n::system_locale();
    let items: Vec<MenuItem> = MENU
        .iter()
        .map(|(id, label)| MenuItem::with_id(*id, i18n::text(&locale, label), true, None))
        .collect();
    let status = MenuItem::with_id(
        "status",
        QueueSummary::default().status_line_in(&locale),
        false,
        None,
    );
    let separator = PredefinedMenuItem::separator();
    let menu = Menu::with_items(&[
        &status, &separator, &items[0], &separator, &items[1], &items[2], &separator, &items[3],
    ])
    .map_err(|e| e.to_string())?;
    let menu_actions = actions.clone();
    MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
        let action = match event.id.as_ref() {
            "show" => Action::Show,
            "pause-all" => Action::PauseAll,
            "resume-all" => Action::ResumeAll,
            "quit" => Action::Quit,
            other => {
                tracing::debug!(item = other, "unknown tray menu item");
                return;
            }
        };
        let _ = menu_actions.send(action);
    }));
    // Where the tray reports clicks (a StatusNotifierItem host may; an XEmbed tray shows the
    // menu instead), a left click opens the window.
    TrayIconEvent::set_event_handler(Some(move |event: TrayIconEvent| {
        if let TrayIconEvent::Click {
            button: tray_icon::MouseButton::Left,
            button_state: tray_icon::MouseButtonState::Up,
            ..
        } = event
        {
            let _ = actions.send(Action::Show);
        }
    }));
    let icon = TrayIconBuilder::new()
        .with_id("ferry")
        .with_icon(icon(IDLE_ICON)?)
        .with_tooltip(QueueSummary::default().tooltip_in(&locale))
        .with_menu(Box::new(menu))
        .with_menu_on_left_click(false)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(Tray {
        icon,
        status,
        items,
        locale: Rc::new(RefCell::new(locale)),
    })
}

/// Applies what the owner's side reports, on GTK's thread: the icon, the tooltip, the status
/// line, the end.
async fn apply_updates(tray: Tray, mut updates: tokio::sync::mpsc::UnboundedReceiver<Update>) {
    let icons = match (icon(IDLE_ICON), icon(BUSY_ICON), icon(ATTENTION_ICON)) {
        (Ok(idle), Ok(busy), Ok(attention)) => [idle, busy, attention],
        (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => {
            tracing::error!("cannot read the tray icons: {error}");
            return;
        }
    };
    let mut shown_state = TrayState::Idle;
    let mut shown = QueueSummary::default();
    // What the last menu action did: the tooltip and the status line say it for SAID_FOR, then
    // the queue's summary comes back (the latest, whether or not it changed meanwhile).
    let latest = Rc::new(Cell::new(QueueSummary::default()));
    let said_at: Rc<Cell<Option<Instant>>> = Rc::new(Cell::new(None));
    while let Some(update) = updates.recv().await {
        match update {
            Update::Summary(summary) => {
                latest.set(summary);
                let state = summary.tray_state();
                if state != shown_state {
                    let index = match state {
                        TrayState::Idle => 0,
                        TrayState::Busy => 1,
                        TrayState::Attention => 2,
                    };
                    if let Err(error) = tray.icon.set_icon(Some(icons[index].clone())) {
                        tracing::debug!("cannot change the tray icon: {error}");
                    }
                    tracing::info!(?state, "the tray icon changed");
                    shown_state = state;
                }
                let saying = said_at.get().is_some_and(|at| at.elapsed() < SAID_FOR);
                if !saying {
                    show_summary(&tray, &summary, Some(&shown));
                }
                shown = summary;
            }
            Update::Said(text) => {
                said_at.set(Some(Instant::now()));
                if let Err(error) = tray.icon.set_tooltip(Some(&text)) {
                    tracing::debug!("cannot change the tray tooltip: {error}");
                }
                tray.status.set_text(&text);
                let (tray, latest, said_at) =
                    (tray.clone(), Rc::clone(&latest), Rc::clone(&said_at));
                gtk::glib::timeout_add_local_once(SAID_FOR, move || {
                    if said_at.get().is_some_and(|at| at.elapsed() >= SAID_FOR) {
                        said_at.set(None);
                        show_summary(&tray, &latest.get(), None);
                    }
                });
            }
            Update::Language(locale) => {
                for (item, (_, label)) in tray.items.iter().zip(MENU) {
                    item.set_text(i18n::text(&locale, label));
                }
                tray.locale.replace(locale);
                if said_at.get().is_none_or(|at| at.elapsed() >= SAID_FOR) {
                    show_summary(&tray, &latest.get(), None);
                }
            }
            Update::Quit => break,
        }
    }
    drop(tray.icon);
    gtk::main_quit();
}

/// Shows `summary` in the tooltip and the status line; with `shown`, only what differs from it.
fn show_summary(tray: &Tray, summary: &QueueSummary, shown: Option<&QueueSummary>) {
    let locale = tray.locale.borrow();
    if shown.is_none_or(|shown| summary.tooltip_in(&locale) != shown.tooltip_in(&locale)) {
        if let Err(error) = tray.icon.set_tooltip(Some(summary.tooltip_in(&locale))) {
            tracing::debug!("cannot change the tray tooltip: {error}");
        }
    }
    if shown.is_none_or(|shown| summary.status_line_in(&locale) != shown.status_line_in(&locale)) {
        let line = summary.status_line_in(&locale);
        tracing::info!(status = %line, "the tray's status line changed");
        tray.status.set_text(line);
    }
}

/// Ends the tray cleanly on SIGTERM (the session ends, `kill`) and SIGINT (Ctrl-C); the owner
/// and any window go on.
fn end_on_signals() {
    const SIGINT: i32 = 2;
    const SIGTERM: i32 = 15;
    for (signal, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
        gtk::glib::source::unix_signal_add_local(signal, move || {
            tracing::info!("{name} received");
            gtk::main_quit();
            gtk::glib::ControlFlow::Break
        });
    }
}

/// Decodes one of the icons (PNG, 8-bit RGBA).
fn icon(png_bytes: &[u8]) -> Result<Icon, String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let size = reader.output_buffer_size().ok_or("the icon is too large")?;
    let mut pixels = vec![0; size];
    let frame = reader.next_frame(&mut pixels).map_err(|e| e.to_string())?;
    if frame.color_type != png::ColorType::Rgba || frame.bit_depth != png::BitDepth::Eight {
        return Err(format!(
            "the icon is {:?} at {:?} bits, not 8-bit RGBA",
            frame.color_type, frame.bit_depth
        ));
    }
    pixels.truncate(frame.buffer_size());
    Icon::from_rgba(pixels, frame.width, frame.height).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_icons_decode_to_rgba_of_the_same_size() {
        assert!(icon(IDLE_ICON).is_ok());
        assert!(icon(BUSY_ICON).is_ok());
        assert!(icon(ATTENTION_ICON).is_ok());
        assert!(icon(b"not a png").is_err());
    }

    #[test]
    fn the_menu_keeps_its_labels() {
        let labels = |locale| -> Vec<String> {
            MENU.iter()
                .map(|(_, label)| i18n::text(&locale, label))
                .collect()
        };
        assert_eq!(
            labels(i18n::english()),
            ["Show Ferry", "Pause all", "Resume all", "Quit"]
        );
        assert_eq!(
            labels(i18n::portuguese()),
            ["Mostrar o Ferry", "Pausar tudo", "Retomar tudo", "Sair"]
        );
    }
}
