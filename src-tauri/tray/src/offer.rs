//! The offer to add a copied URL: a notification with an Add button. Nothing is added unless
//! the user presses Add; closing or ignoring the notification does nothing.

use ferry_owner::i18n::{self, LanguageIdentifier};
use tokio::sync::mpsc::UnboundedSender;

use crate::link::Action;

/// The notification's action that adds the URL.
pub const ADD_ACTION: &str = "add";

/// Shows the offer for `url` on a thread of its own (showing blocks, and waiting for the
/// user's choice can take minutes); Add sends [`Action::Add`]. The offer reads in `locale`.
pub fn show(url: String, actions: UnboundedSender<Action>, locale: LanguageIdentifier) {
    let spawned = std::thread::Builder::new()
        .name("ferry-clipboard-offer".into())
        .spawn(move || {
            let mut notification = notify_rust::Notification::new();
            notification
                .appname("Ferry")
                .summary(&i18n::text(&locale, "offer-summary"))
                .body(&url)
                .action(ADD_ACTION, &i18n::text(&locale, "offer-add"));
            match notification.show() {
                Ok(handle) => {
                    tracing::info!(notification = handle.id(), %url, "offered a copied link");
                    handle.wait_for_action(|action| {
                        if action == ADD_ACTION {
                            let _ = actions.send(Action::Add(url.clone()));
                        }
                    });
                }
                Err(error) => tracing::warn!("cannot offer a copied link: {error}"),
            }
        });
    if let Err(error) = spawned {
        tracing::warn!("cannot start a thread to offer a copied link: {error}");
    }
}

/// Tells the user, in `locale`, that an added link could not become a job, and why.
pub fn refused(url: &str, why: &str, locale: &LanguageIdentifier) {
    let mut notification = notify_rust::Notification::new();
    notification
        .appname("Ferry")
        .summary(&i18n::text(locale, "offer-refused-summary"))
        .body(&format!("{url}: {why}"));
    std::thread::spawn(move || {
        if let Err(error) = notification.show() {
            tracing::warn!("cannot show a notification: {error}");
        }
    });
}
