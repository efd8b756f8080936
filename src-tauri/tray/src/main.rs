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
//! - Where a StatusNotifierItem host runs, the icon is an item of Ferry's own ([`sni`]) and a
//!   left click opens the window; elsewhere (an XEmbed tray) it goes through the toolkit's tray
//!   library ([`appindicator`]), whose trays show the menu on a click.
//! - Quit asks the owner to tell every client to quit (each window closes) and to stop if a
//!   client started it; the tray then ends.
//! - With the `clipboard_offer` setting on, copying an http(s) URL shows a notification that
//!   offers to add it; only its Add button makes a job.
//!
//! ## Layout
//! - `main.rs`: the GTK side: choosing how the icon is shown, applying what the owner's side
//!   reports.
//! - [`menu`]: the menu's items; [`icons`]: the three icons.
//! - [`sni`]: the icon as a StatusNotifierItem; [`appindicator`]: the icon through tray-icon.
//! - [`link`]: the owner's side, on a tokio thread: the connection (restored when the owner
//!   comes back), the queue's summary, the menu's calls.
//! - [`desktop`]: starting the window's program.
//! - [`pace`]: whether bytes move, and how fast, from one look at the queue to the next.
//! - [`clipboard`]: copied http(s) URLs; [`offer`]: the notification that offers to add one.

mod appindicator;
mod clipboard;
mod desktop;
mod icons;
mod link;
mod menu;
mod offer;
mod pace;
mod sni;

use std::cell::{Cell, RefCell};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use ferry_owner::endpoint::{tray_lock_path, try_lock};
use ferry_owner::i18n::{self, LanguageIdentifier};
use ferry_owner::launch;
use ferry_owner::summary::{QueueSummary, TrayState};

use crate::appindicator::IndicatorTray;
use crate::icons::TrayIcons;
use crate::link::{Action, Update};
use crate::sni::ItemTray;

/// How long the tooltip says what a menu action did before the queue's summary comes back.
const SAID_FOR: std::time::Duration = std::time::Duration::from_secs(5);

fn main() -> ExitCode {
    ferry_owner::allocator::tune(ferry_owner::allocator::DESKTOP);
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
    let locale = i18n::system_locale();
    let tray = match show_icon(actions, &locale) {
        Ok(tray) => tray,
        Err(error) => {
            tracing::error!("cannot put Ferry in the system tray: {error}");
            eprintln!("ferry-tray: cannot put Ferry in the system tray: {error}");
            return ExitCode::FAILURE;
        }
    };
    gtk::glib::MainContext::default().spawn_local(apply_updates(tray, locale, updates));
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

/// The icon, however it is shown.
enum Tray {
    /// A StatusNotifierItem of Ferry's own.
    Item(ItemTray),
    /// Through the toolkit's tray library.
    Indicator(IndicatorTray),
}

impl Tray {
    fn show_state(&self, state: TrayState) {
        match self {
            Tray::Item(tray) => tray.show_state(state),
            Tray::Indicator(tray) => tray.show_state(state),
        }
    }

    fn show_tooltip(&self, text: &str) {
        match self {
            Tray::Item(tray) => tray.show_tooltip(text),
            Tray::Indicator(tray) => tray.show_tooltip(text),
        }
    }

    fn show_status_line(&self, text: &str) {
        match self {
            Tray::Item(tray) => tray.show_status_line(text),
            Tray::Indicator(tray) => tray.show_status_line(text),
        }
    }

    fn show_menu_labels(&self, locale: &LanguageIdentifier) {
        let labels = menu::labels(locale);
        match self {
            Tray::Item(tray) => tray.show_menu_labels(labels),
            Tray::Indicator(tray) => tray.show_menu_labels(&labels),
        }
    }
}

/// Shows the icon: as a StatusNotifierItem where a host runs, else through tray-icon.
fn show_icon(
    actions: tokio::sync::mpsc::UnboundedSender<Action>,
    locale: &LanguageIdentifier,
) -> Result<Rc<Tray>, String> {
    let icons = TrayIcons::load()?;
    if sni::watcher_runs() {
        match ItemTray::start(actions.clone(), icons.clone(), locale) {
            Ok(item) => {
                tracing::info!("the tray icon is a StatusNotifierItem");
                return Ok(Rc::new(Tray::Item(item)));
            }
            Err(reason) => tracing::info!(
                "cannot register with the StatusNotifierItem host ({reason}); using the toolkit's tray"
            ),
        }
    } else {
        tracing::info!("no StatusNotifierItem host; using the toolkit's tray");
    }
    IndicatorTray::build(actions, &icons, locale).map(|tray| Rc::new(Tray::Indicator(tray)))
}

/// Applies what the owner's side reports, on GTK's thread: the icon, the tooltip, the status
/// line, the end.
async fn apply_updates(
    tray: Rc<Tray>,
    locale: LanguageIdentifier,
    mut updates: tokio::sync::mpsc::UnboundedReceiver<Update>,
) {
    // The language the menu speaks.
    let locale = Rc::new(RefCell::new(locale));
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
                    tray.show_state(state);
                    tracing::info!(?state, "the tray icon changed");
                    shown_state = state;
                }
                let saying = said_at.get().is_some_and(|at| at.elapsed() < SAID_FOR);
                if !saying {
                    show_summary(&tray, &locale.borrow(), &summary, Some(&shown));
                }
                shown = summary;
            }
            Update::Said(text) => {
                said_at.set(Some(Instant::now()));
                tray.show_tooltip(&text);
                tray.show_status_line(&text);
                let (tray, latest, said_at, locale) = (
                    Rc::clone(&tray),
                    Rc::clone(&latest),
                    Rc::clone(&said_at),
                    Rc::clone(&locale),
                );
                gtk::glib::timeout_add_local_once(SAID_FOR, move || {
                    if said_at.get().is_some_and(|at| at.elapsed() >= SAID_FOR) {
                        said_at.set(None);
                        show_summary(&tray, &locale.borrow(), &latest.get(), None);
                    }
                });
            }
            Update::Language(language) => {
                tray.show_menu_labels(&language);
                locale.replace(language);
                if said_at.get().is_none_or(|at| at.elapsed() >= SAID_FOR) {
                    show_summary(&tray, &locale.borrow(), &latest.get(), None);
                }
            }
            Update::Quit => break,
        }
    }
    drop(tray);
    gtk::main_quit();
}

/// Shows `summary` in the tooltip and the status line in `locale`'s language; with `shown`,
/// only what differs from it.
fn show_summary(
    tray: &Tray,
    locale: &LanguageIdentifier,
    summary: &QueueSummary,
    shown: Option<&QueueSummary>,
) {
    let tooltip = summary.tooltip_in(locale);
    if shown.is_none_or(|shown| tooltip != shown.tooltip_in(locale)) {
        tray.show_tooltip(&tooltip);
    }
    let line = summary.status_line_in(locale);
    if shown.is_none_or(|shown| line != shown.status_line_in(locale)) {
        tracing::info!(status = %line, "the tray's status line changed");
        tray.show_status_line(&line);
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
