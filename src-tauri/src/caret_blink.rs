//! GTK's caret-blink timeout for the webview's text fields. GTK's own text entries stop
//! blinking their caret `gtk-cursor-blink-timeout` seconds (10 by default) after the last key or
//! click; WebKit blinks a focused field's caret for as long as it has focus, and each blink
//! repaints the page in the web process and again in the window's (software painting): with
//! the search box focused and nothing else moving, about 1 % of a core. WebKit follows GTK's
//! `gtk-cursor-blink` setting as it changes, so this process turns that setting (its own copy,
//! not the desktop's) off after the timeout and on again at the next key or click in the
//! webview. When the desktop's caret does not blink at all, nothing changes.

use tauri::{Runtime, WebviewWindow};

/// Stops the caret of `window`'s webview blinking as GTK's entries do; a failure is logged
/// (the caret then blinks for as long as a field has focus).
pub fn apply<R: Runtime>(window: &WebviewWindow<R>) {
    #[cfg(target_os = "linux")]
    if let Err(error) = window.with_webview(|webview| linux::apply(&webview.inner())) {
        tracing::warn!("cannot time out the caret's blinking: {error}");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

#[cfg(target_os = "linux")]
mod linux {
    use std::cell::RefCell;
    use std::rc::Rc;

    use gtk::prelude::{GtkSettingsExt, WidgetExt};
    use webkit2gtk::glib::{self, SourceId};

    /// Blinking on at each key or click in `view`, off once GTK's timeout passes without one.
    pub fn apply(view: &webkit2gtk::WebView) {
        let Some(settings) = gtk::Settings::default() else {
            return;
        };
        let timeout_s = settings.gtk_cursor_blink_timeout();
        if !settings.is_gtk_cursor_blink() || timeout_s <= 0 {
            return;
        }
        let pending: Rc<RefCell<Option<SourceId>>> = Rc::default();
        let restart = Rc::new(move || {
            if !settings.is_gtk_cursor_blink() {
                settings.set_gtk_cursor_blink(true);
            }
            if let Some(previous) = pending.borrow_mut().take() {
                previous.remove();
            }
            let (settings, done) = (settings.clone(), Rc::clone(&pending));
            let stop = glib::timeout_add_seconds_local_once(timeout_s.unsigned_abs(), move || {
                done.borrow_mut().take();
                settings.set_gtk_cursor_blink(false);
            });
            *pending.borrow_mut() = Some(stop);
        });
        let on_key = Rc::clone(&restart);
        view.connect_key_press_event(move |_, _| {
            on_key();
            glib::Propagation::Proceed
        });
        let on_click = Rc::clone(&restart);
        view.connect_button_press_event(move |_, _| {
            on_click();
            glib::Propagation::Proceed
        });
        restart();
    }
}
