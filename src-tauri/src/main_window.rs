//! The one window, made in code: closing it ends the window's process (and with it WebKit's
//! processes) while the tray (`ferry-tray`) and the owner stay, and the next window comes back
//! with the size, position and view the last one had when it closed (kept in `window.json` in
//! the data folder).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

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
/// Coordinates and sizes read back from `window.json` beyond this many pixels are refused.
const MAX_COORDINATE: f64 = 100_000.0;

/// The file in the data folder that keeps the window's geometry and view between processes.
pub const WINDOW_FILE: &str = "window.json";

/// A size in logical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Size {
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// Where the window was and how big, in logical pixels, when it closed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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

    /// True when every figure is a finite number of a plausible size, and the size is at
    /// least the window's minimum.
    fn is_plausible(&self) -> bool {
        let plausible = |v: f64| v.is_finite() && v.abs() <= MAX_COORDINATE;
        plausible(self.x)
            && plausible(self.y)
            && plausible(self.size.width)
            && plausible(self.size.height)
            && self.size.width >= MIN_SIZE.width
            && self.size.height >= MIN_SIZE.height
    }
}

/// What the last window left behind for the next one: its geometry and the UI's view.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Remembered {
    /// Geometry at close; `None` before the first close (the window is then centred).
    #[serde(default)]
    pub geometry: Option<Geometry>,
    /// The URL fragment the UI kept its view in (e.g. `page=history`), already checked.
    #[serde(default)]
    pub view: Option<String>,
}

impl Remembered {
    /// Reads `path` (written by [`Remembered::write`]). A missing, unreadable or malformed
    /// file, or one with implausible figures or a view the UI would not write, gives back
    /// nothing (or only its sound part): the window then opens centred at its default size.
    pub fn read(path: &Path) -> Remembered {
        let text = match std::fs::read(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Remembered::default()
            }
            Err(error) => {
                tracing::warn!(file = %path.display(), "cannot read the window's memory: {error}");
                return Remembered::default();
            }
        };
        if text.len() > 64 * 1024 {
            tracing::warn!(file = %path.display(), "the window's memory is too large; ignored");
            return Remembered::default();
        }
        match serde_json::from_slice::<Remembered>(&text) {
            Ok(read) => Remembered {
                geometry: read.geometry.filter(Geometry::is_plausible),
                view: view_from_fragment(read.view.as_deref()),
            },
            Err(error) => {
                tracing::warn!(file = %path.display(), "the window's memory is malformed; ignored: {error}");
                Remembered::default()
            }
        }
    }

    /// Writes this to `path` whole or not at all (a temporary beside it, then a rename).
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let temporary = path.with_extension("json.tmp");
        std::fs::write(&temporary, text)?;
        std::fs::rename(&temporary, path)
    }
}

/// The window's memory: what the last window left at its close, read at start from
/// [`WINDOW_FILE`] and written there at each close (only in memory without a file, in tests).
#[derive(Debug, Default)]
pub struct WindowMemory {
    file: Option<PathBuf>,
    last: Mutex<Remembered>,
}

impl WindowMemory {
    /// The memory kept in [`WINDOW_FILE`] in `data_dir`, as the last window left it.
    pub fn in_folder(data_dir: &Path) -> WindowMemory {
        let file = data_dir.join(WINDOW_FILE);
        let last = Remembered::read(&file);
        WindowMemory {
            file: Some(file),
            last: Mutex::new(last),
        }
    }

    /// What was remembered at the last close.
    pub fn get(&self) -> Remembered {
        self.last.lock().map(|r| r.clone()).unwrap_or_default()
    }

    fn set(&self, remembered: Remembered) {
        if let Some(file) = &self.file {
            if let Err(error) = remembered.write(file) {
                tracing::warn!(file = %file.display(), "cannot keep the window's geometry: {error}");
            }
        }
        if let Ok(mut slot) = self.last.lock() {
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

/// Brings the main window to the front, building it first when there is none (at start).
/// Runs on the main thread, so the start and a second launch at the same moment build one
/// window.
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
    let window = builder(app, &remembered).build()?;
    crate::webview_settings::apply(&window);
    Ok(window)
}

/// On a close request of the main window, remembers its geometry and view and lets it close:
/// the process ends with it, the tray and the owner stay.
pub fn remember_on_close<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if !matches!(event, WindowEvent::CloseRequested { .. }) || window.label() != MAIN_WINDOW {
        return;
    }
    tracing::info!("the main window closes; the tray and the owner stay");
    remember(window);
}

/// Remembers the main window's geometry and view, if it is open, before the process ends
/// without closing it (Quit in the tray, a signal).
pub fn remember_before_exit<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        remember(&window.as_ref().window());
    }
}

/// Keeps `window`'s geometry and view in the [`WindowMemory`] (and so in `window.json`).
fn remember<R: Runtime>(window: &Window<R>) {
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
    tracing::info!(?remembered, "remembering the main window");
    memory.set(remembered);
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

    fn sample() -> Remembered {
        Remembered {
            geometry: Some(Geometry {
                x: 40.0,
                y: -20.5,
                size: Size {
                    width: 900.0,
                    height: 600.0,
                },
                maximized: true,
            }),
            view: Some("page=history&job=1f-2a".into()),
        }
    }

    #[test]
    fn the_memory_survives_the_process_in_the_data_folder() {
        let folder = tempfile::tempdir().unwrap();
        assert_eq!(
            WindowMemory::in_folder(folder.path()).get(),
            Remembered::default()
        );
        WindowMemory::in_folder(folder.path()).set(sample());
        assert_eq!(WindowMemory::in_folder(folder.path()).get(), sample());
        assert!(!folder.path().join("window.json.tmp").exists());
    }

    #[test]
    fn a_bad_window_file_is_ignored() {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join(WINDOW_FILE);
        for bad in [
            &b"not json"[..],
            b"[1, 2, 3]",
            b"{\"geometry\": {\"x\": \"left\"}}",
            b"\xff\xfe",
        ] {
            std::fs::write(&file, bad).unwrap();
            assert_eq!(Remembered::read(&file), Remembered::default());
        }
        std::fs::write(&file, "x".repeat(100_000)).unwrap();
        assert_eq!(Remembered::read(&file), Remembered::default());
        // A folder where the file should be is not readable as one.
        std::fs::remove_file(&file).unwrap();
        std::fs::create_dir(&file).unwrap();
        assert_eq!(Remembered::read(&file), Remembered::default());
    }

    #[test]
    fn implausible_figures_and_views_are_dropped_and_the_rest_kept() {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join(WINDOW_FILE);
        let geometry = |x: f64, width: f64| {
            format!(
                r#"{{"geometry": {{"x": {x}, "y": 0, "size": {{"width": {width}, "height": 500}}, "maximized": false}}, "view": "page=history"}}"#
            )
        };
        for (x, width) in [(1e9, 800.0), (0.0, 10.0), (0.0, 1e12)] {
            std::fs::write(&file, geometry(x, width)).unwrap();
            let read = Remembered::read(&file);
            assert_eq!(read.geometry, None, "x {x}, width {width}");
            assert_eq!(read.view.as_deref(), Some("page=history"));
        }
        std::fs::write(&file, geometry(10.0, 800.0)).unwrap();
        assert!(Remembered::read(&file).geometry.is_some());
        std::fs::write(&file, r#"{"view": "page=<script>"}"#).unwrap();
        assert_eq!(Remembered::read(&file), Remembered::default());
    }
}
