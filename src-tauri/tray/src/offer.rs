//! The offer to add a copied URL: a notification with an Add button. Nothing is added unless
//! the user presses Add; closing or ignoring the notification does nothing.

use tokio::sync::mpsc::UnboundedSender;

use crate::link::Action;

/// The notification's action that adds the URL.
pub const ADD_ACTION: &str = "add";

/// Shows the offer for `url` on a thread of its own (showing blocks, and waiting for the
/// user's choice can take minutes); Add sends [`Action::Add`].
pub fn show(url: String, actions: UnboundedSender<Action>) {
    let spawned = std::thread::Builder::new()
        .name("ferry-clipboard-offer".into())
        .spawn(move || {
            let mut notification = notify_rust::Notification::new();
            notification
                .appname("Ferry")
                .summary("Add the copied link to Ferry?")
                .body(&url)
                .action(ADD_ACTION, "Add");
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

/// Tells the user that an added link could not become a job, and why.
pub fn refused(url: &str, why: &str) {
    let mut notification = notify_rust::Notification::new();
    notification
        .appname("Ferry")
        .summary("Ferry could not add the copied link")
        .body(&format!("{url}: {why}"));
    std::thread::spawn(move || {
        if let Err(error) = notification.show() {
            tracing::warn!("cannot show a notification: {error}");
        }
    });
}
