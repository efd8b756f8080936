//! The one window, made in code and released when closed: closing it destroys its webview
//! (and with it WebKit's web process), Ferry stays in the tray, and showing it again builds a
//! new one with the size, position and view the last one had when it closed.

use std::sync::Mutex;

use tauri::{
    AppHandle, Manager, PhysicalPosition, PhysicalSize, Runtime, WebviewUrl, WebviewWindow,
    WebviewWindowBuilder, Window, WindowEvent,
};

/// Label of the one window (the capability in `capabilities/main.json` names it too).
pub const MAIN_WINDOW: &str = "main";

const TITLE: &str = "Ferry";
const DEFAULT_SIZE: Size = Size {
    width: 1040.0,
    height: 680.0,
};
const MIN_SIZE: Size = Size {
    width: 720.0,
    height: 440.0,
};
/// The UI's view (page, selection) travels in the URL's fragment; anything longer than this
/// or with other characters than the UI writes is dropped rather than handed back.
const MAX_VIEW_LEN: usize = 200;

/// A size in logical pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Size {
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// Where the window was and how big, in logical pixels, when it closed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// Left edge of the window's frame.
    pub x: f64,
    /// Top edge of the window's frame.
    pub y: f64,
    /// The content's size (without the frame).
    pub size: Size,
    /// Whether it was maximised (then `x`, `y` and `size` are those it had before).
    pub maximized: bool,
}

impl Geometry {
    /// Converts the physical position and inner size a window reports to logical pixels at
    /// `scale` (device pixels per logical pixel), never smaller than the window's minimum.
    pub fn from_physical(
        position: PhysicalPosition<i32>,
        size: PhysicalSize<u32>,
        scale: f64,
        maximized: bool,
    ) -> Geometry {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        Geometry {
            x: f64::from(position.x) / scale,
            y: f64::from(position.y) / scale,
            size: Size {
                width: (f64::from(size.width) / scale).max(MIN_SIZE.width),
                height: (f64::from(size.height) / scale).max(MIN_SIZE.height),
            },
            maximized,
        }
    }
}

/// What the last window left behind for the next one: its geometry and the UI's view.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Remembered {
    /// Geometry at close; `None` before the first close (the window is then centred).
    pub geometry: Option<Geometry>,
    /// The URL fragment the UI kept its view in (e.g. `page=history`), already checked.
    pub view: Option<String>,
}

/// The app's memory of the window between a close and the next show.
#[derive(Debug, Default)]
pub struct WindowMemory(Mutex<Remembered>);

impl WindowMemory {
    /// What was remembered at the last close.
    pub fn get(&self) -> Remembered {
        self.0.lock().map(|r| r.clone()).unwrap_or_default()
    }

    fn set(&self, remembered: Remembered) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = remembered;
        }
    }
}

/// The UI's view from a URL fragment, when it is short and made only of the characters the
/// UI writes (`page=history&job=…&details=1`); `None` otherwise.
pub fn view_from_fragment(fragment: Option<&str>) -> Option<String> {
    let fragment = fragment?;
    let allowed = |c: char| c.is_ascii_alphanumeric() || "=&-_.".contains(c);
    (!fragment.is_empty() && fragment.len() <= MAX_VIEW_LEN && fragment.chars().all(allowed))
        .then(|| fragment.to_owned())
}

/// The builder of the main window as `remembered` describes it: the same title, minimum size,
/// and file drops handled by the page (not by Tauri) whatever was remembered.
pub fn builder<'a, R: Runtime, M: Manager<R>>(
    manager: &'a M,
    remembered: &Remembered,
) -> WebviewWindowBuilder<'a, R, M> {
    let page = match &remembered.view {
        Some(view) => format!("index.html#{view}"),
        None => "index.html".to_owned(),
    };
    let builder = WebviewWindowBuilder::new(manager, MAIN_WINDOW, WebviewUrl::App(page.into()))
        .title(TITLE)
        .min_inner_size(MIN_SIZE.width, MIN_SIZE.height)
        .disable_drag_drop_handler();
    match remembered.geometry {
        Some(geometry) => builder
            .inner_size(geometry.size.width, geometry.size.height)
            .position(geometry.x, geometry.y)
            .maximized(geometry.maximized),
        None => builder
            .inner_size(DEFAULT_SIZE.width, DEFAULT_SIZE.height)
            .center(),
    }
}

/// Brings the main window to the front, building it first when there is none (at start, or
/// after the user closed it). Runs on the main thread, so a tray click and a second launch at
/// the same moment build one window.
pub fn show<R: Runtime>(app: &AppHandle<R>) {
    let handle = app.clone();
    let shown = app.run_on_main_thread(move || {
        let window = match handle.get_webview_window(MAIN_WINDOW) {
            Some(window) => window,
            None => match build(&handle) {
                Ok(window) => window,
                Err(error) => {
                    tracing::error!("cannot open the main window: {error}");
                    return;
                }
            },
        };
        let shown = window
            .unminimize()
            .and_then(|()| window.show())
            .and_then(|()| window.set_focus());
        if let Err(error) = shown {
            tracing::warn!("cannot show the main window: {error}");
        }
    });
    if let Err(error) = shown {
        tracing::warn!("cannot reach the main thread to show the window: {error}");
    }
}

fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<WebviewWindow<R>> {
    let remembered = app
        .try_state::<WindowMemory>()
        .map(|memory| memory.get())
        .unwrap_or_default();
    tracing::info!(?remembered, "opening the main window");
    builder(app, &remembered).build()
}

/// On a close request of the main window, remembers its geometry and view and lets it close:
/// the webview goes, the tray and the engine stay (see [`keep_running_without_windows`]).
pub fn remember_on_close<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if !matches!(event, WindowEvent::CloseRequested { .. }) || window.label() != MAIN_WINDOW {
        return;
    }
    let Some(memory) = window.try_state::<WindowMemory>() else {
        return;
    };
    let mut remembered = memory.get();
    let maximized = window.is_maximized().unwrap_or(false);
    // A maximised window reports the screen's size; keep the size it had before instead.
    if !maximized {
        if let (Ok(position), Ok(size), Ok(scale)) = (
            window.outer_position(),
            window.inner_size(),
            window.scale_factor(),
        ) {
            remembered.geometry = Some(Geometry::from_physical(position, size, scale, false));
        }
    } else if let Some(geometry) = remembered.geometry.as_mut() {
        geometry.maximized = true;
    }
    if let Some(webview) = window.get_webview_window(MAIN_WINDOW) {
        if let Ok(url) = webview.url() {
            remembered.view = view_from_fragment(url.fragment());
        }
    }
    tracing::info!(
        ?remembered,
        "the main window closes; Ferry stays in the tray"
    );
    memory.set(remembered);
}

/// Keeps Ferry running when its last window closes: only an explicit exit (Quit, a signal),
/// which carries an exit code, ends the app.
pub fn keep_running_without_windows(api: &tauri::ExitRequestApi, code: Option<i32>) {
    if code.is_none() {
        api.prevent_exit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_is_kept_in_logical_pixels() {
        let geometry = Geometry::from_physical(
            PhysicalPosition::new(200, 100),
            PhysicalSize::new(2000, 1200),
            2.0,
            false,
        );
        assert_eq!(
            geometry,
            Geometry {
                x: 100.0,
                y: 50.0,
                size: Size {
                    width: 1000.0,
                    height: 600.0
                },
                maximized: false
            }
        );
    }

    #[test]
    fn geometry_never_goes_below_the_minimum_size_nor_divides_by_a_bad_scale() {
        let geometry = Geometry::from_physical(
            PhysicalPosition::new(-30, 10),
            PhysicalSize::new(10, 10),
            0.0,
            false,
        );
        assert_eq!((geometry.x, geometry.y), (-30.0, 10.0));
        assert_eq!(geometry.size, MIN_SIZE);
    }

    #[test]
    fn a_view_comes_back_only_when_it_is_small_and_plain() {
        assert_eq!(
            view_from_fragment(Some("page=transfers&job=1f-2a&details=1")).as_deref(),
            Some("page=transfers&job=1f-2a&details=1")
        );
        assert_eq!(view_from_fragment(None), None);
        assert_eq!(view_from_fragment(Some("")), None);
        assert_eq!(view_from_fragment(Some("job=<script>")), None);
        assert_eq!(view_from_fragment(Some("page=a%20b")), None);
        assert_eq!(
            view_from_fragment(Some(&"a".repeat(MAX_VIEW_LEN + 1))),
            None
        );
    }

    #[test]
    fn the_memory_starts_empty_and_keeps_the_last_close() {
        let memory = WindowMemory::default();
        assert_eq!(memory.get(), Remembered::default());
        let remembered = Remembered {
            geometry: Some(Geometry {
                x: 1.0,
                y: 2.0,
                size: DEFAULT_SIZE,
                maximized: false,
            }),
            view: Some("page=history".into()),
        };
        memory.set(remembered.clone());
        assert_eq!(memory.get(), remembered);
    }
}
