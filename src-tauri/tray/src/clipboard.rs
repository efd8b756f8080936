//! Watching the clipboard for a copied http(s) URL, on GTK's thread.
//!
//! The tray always listens for the clipboard changing owner (a cheap X11 event); what was
//! copied is read only when it changes, and only a text that is one http(s) URL the engine
//! accepts is reported. Whether to offer it at all (the `clipboard_offer` setting, off by
//! default) is decided on the owner's side ([`crate::link`]), so the setting takes effect at
//! once, without restarting the tray.

use ferry_engine::validate;
use tokio::sync::mpsc::UnboundedSender;

use crate::link::Action;

/// Starts watching the clipboard; each copied URL is sent as [`Action::Copied`].
pub fn watch(actions: UnboundedSender<Action>) {
    use gtk::glib::prelude::ObjectExt;
    let clipboard = gtk::Clipboard::get(&gtk::gdk::SELECTION_CLIPBOARD);
    let watched = clipboard.clone();
    // gtk-rs has no typed binding for "owner-change" (its GdkEvent argument), so it is
    // connected by name; the handler only needs the clipboard itself.
    clipboard.connect_local("owner-change", false, move |_| {
        let actions = actions.clone();
        watched.request_text(move |_, text| {
            if let Some(url) = text.and_then(copied_url) {
                let _ = actions.send(Action::Copied(url));
            }
        });
        None
    });
}

/// The URL in a copied `text`: one http(s) URL (spaces around it aside) that the engine's
/// rules accept; `None` for anything else.
pub fn copied_url(text: &str) -> Option<String> {
    let text = text.trim();
    let http = text.starts_with("http://") || text.starts_with("https://");
    (http && validate::remote_url(text).is_ok()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_http_url_is_offered() {
        assert_eq!(
            copied_url("  https://example.org/a.iso\n").as_deref(),
            Some("https://example.org/a.iso")
        );
        assert_eq!(
            copied_url("http://127.0.0.1:8080/x").as_deref(),
            Some("http://127.0.0.1:8080/x")
        );
        for text in [
            "ftp://example.org/a",
            "file:///etc/passwd",
            "see https://example.org/a",
            "https://example.org/a https://example.org/b",
            "https://user:pw@example.org/a",
            "hello",
            "",
        ] {
            assert_eq!(copied_url(text), None, "{text:?}");
        }
    }
}
