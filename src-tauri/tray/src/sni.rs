//! The icon as a StatusNotifierItem of Ferry's own (ksni), where a StatusNotifierItem host runs
//! (KDE Plasma, GNOME's AppIndicator extension, Xfce, waybar): a left click opens the window
//! (the host calls Activate), the menu opens on a right click, the tooltip shows the queue.

use ferry_owner::i18n::LanguageIdentifier;
use ferry_owner::summary::{QueueSummary, TrayState};
use ksni::blocking::{Handle, TrayMethods};
use ksni::menu::StandardItem;
use tokio::sync::mpsc::UnboundedSender;

use crate::icons::TrayIcons;
use crate::link::Action;
use crate::menu::{action_for, labels, Entry, LAYOUT, MENU};

/// What the item shows; the host reads it over D-Bus.
struct Item {
    actions: UnboundedSender<Action>,
    icons: TrayIcons,
    state: TrayState,
    tooltip: String,
    status_line: String,
    /// The items' labels, in the order of [`MENU`].
    labels: [String; 4],
}

impl Item {
    fn send(&self, action: Action) {
        let _ = self.actions.send(action);
    }
}

impl ksni::Tray for Item {
    fn id(&self) -> String {
        "ferry".into()
    }

    fn title(&self) -> String {
        "Ferry".into()
    }

    fn activate(&mut self, _x: i32, _y: i32) {
        tracing::info!("the tray icon was activated");
        self.send(Action::Show);
    }

    fn status(&self) -> ksni::Status {
        match self.state {
            TrayState::Attention => ksni::Status::NeedsAttention,
            TrayState::Idle | TrayState::Busy => ksni::Status::Active,
        }
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        vec![sni_icon(&self.icons, self.state)]
    }

    fn attention_icon_pixmap(&self) -> Vec<ksni::Icon> {
        vec![sni_icon(&self.icons, TrayState::Attention)]
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        ksni::ToolTip {
            title: "Ferry".into(),
            description: self.tooltip.clone(),
            ..Default::default()
        }
    }

    fn menu(&self) -> Vec<ksni::MenuItem<Self>> {
        LAYOUT
            .iter()
            .map(|entry| match *entry {
                Entry::Status => StandardItem {
                    label: self.status_line.clone(),
                    enabled: false,
                    ..Default::default()
                }
                .into(),
                Entry::Separator => ksni::MenuItem::Separator,
                Entry::Item(index) => {
                    let (id, _) = MENU[index];
                    StandardItem {
                        label: self.labels[index].clone(),
                        activate: Box::new(move |item: &mut Item| {
                            if let Some(action) = action_for(id) {
                                item.send(action);
                            }
                        }),
                        ..Default::default()
                    }
                    .into()
                }
            })
            .collect()
    }
}

fn sni_icon(icons: &TrayIcons, state: TrayState) -> ksni::Icon {
    let pixels = icons.for_state(state);
    ksni::Icon {
        width: i32::try_from(pixels.width).unwrap_or(i32::MAX),
        height: i32::try_from(pixels.height).unwrap_or(i32::MAX),
        data: pixels.argb(),
    }
}

/// The name a StatusNotifierItem host's watcher owns on the session bus.
const WATCHER: &str = "org.kde.StatusNotifierWatcher";

/// Whether a StatusNotifierItem watcher runs on the session bus. Asked over GLib's connection
/// to the bus, which the toolkit's tray opens anyway, so a desktop without one pays nothing
/// for the item's own D-Bus machinery.
pub fn watcher_runs() -> bool {
    use gtk::gio;
    use gtk::glib::{ToVariant, VariantTy};
    let Ok(bus) = gio::bus_get_sync(gio::BusType::Session, gio::Cancellable::NONE) else {
        return false;
    };
    let answer = bus.call_sync(
        Some("org.freedesktop.DBus"),
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus",
        "NameHasOwner",
        Some(&(WATCHER,).to_variant()),
        VariantTy::new("(b)").ok(),
        gio::DBusCallFlags::NONE,
        2_000,
        gio::Cancellable::NONE,
    );
    match answer.map(|reply| reply.get::<(bool,)>()) {
        Ok(Some((owned,))) => owned,
        Ok(None) => false,
        Err(error) => {
            tracing::debug!("cannot ask the session bus for {WATCHER}: {error}");
            false
        }
    }
}

/// Ferry's StatusNotifierItem, registered with the session's host.
pub struct ItemTray {
    handle: Handle<Item>,
}

impl ItemTray {
    /// Registers the item when a StatusNotifierItem host runs on the session bus; an error
    /// (no session bus, no watcher, no host) means another way of showing the icon is needed.
    /// Its texts are in `locale`'s language.
    pub fn start(
        actions: UnboundedSender<Action>,
        icons: TrayIcons,
        locale: &LanguageIdentifier,
    ) -> Result<ItemTray, String> {
        let item = Item {
            actions,
            icons,
            state: TrayState::Idle,
            tooltip: QueueSummary::default().tooltip_in(locale),
            status_line: QueueSummary::default().status_line_in(locale),
            labels: labels(locale),
        };
        let handle = item.spawn().map_err(|error| error.to_string())?;
        Ok(ItemTray { handle })
    }

    /// Shows the icon of `state` (and asks for attention in that state).
    pub fn show_state(&self, state: TrayState) {
        self.handle.update(|item| item.state = state);
    }

    /// Sets the tooltip.
    pub fn show_tooltip(&self, text: &str) {
        self.handle.update(|item| item.tooltip = text.to_string());
    }

    /// Sets the status line at the top of the menu.
    pub fn show_status_line(&self, text: &str) {
        self.handle
            .update(|item| item.status_line = text.to_string());
    }

    /// Sets the items' labels, in the order of [`MENU`].
    pub fn show_menu_labels(&self, labels: [String; 4]) {
        self.handle.update(|item| item.labels = labels);
    }
}

impl Drop for ItemTray {
    fn drop(&mut self) {
        self.handle.shutdown().wait();
    }
}
