//! The icon through the tray library the window's toolkit uses (tray-icon, on
//! libayatana-appindicator): an XEmbed icon in trays that are not StatusNotifierItem hosts.
//! Such trays show the menu on a click and report no activation.

use ferry_owner::i18n::LanguageIdentifier;
use ferry_owner::summary::{QueueSummary, TrayState};
use tokio::sync::mpsc::UnboundedSender;
use tray_icon::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, TrayIcon, TrayIconBuilder};

use crate::icons::TrayIcons;
use crate::link::Action;
use crate::menu::{action_for, labels, Entry, LAYOUT, MENU, STATUS_ID};

/// The icon and the items of its menu.
pub struct IndicatorTray {
    icon: TrayIcon,
    status: MenuItem,
    /// The menu's actions, in the order of [`MENU`].
    items: Vec<MenuItem>,
    icons: [Icon; 3],
}

impl IndicatorTray {
    /// Puts the icon in the tray with its menu; the menu's choices go to `actions`.
    /// Its texts are in `locale`'s language.
    pub fn build(
        actions: UnboundedSender<Action>,
        icons: &TrayIcons,
        locale: &LanguageIdentifier,
    ) -> Result<IndicatorTray, String> {
        let status = MenuItem::with_id(
            STATUS_ID,
            QueueSummary::default().status_line_in(locale),
            false,
            None,
        );
        let items: Vec<MenuItem> = MENU
            .iter()
            .zip(labels(locale))
            .map(|((id, _), label)| MenuItem::with_id(*id, label, true, None))
            .collect();
        let separator = PredefinedMenuItem::separator();
        let menu = Menu::new();
        for entry in LAYOUT {
            let appended = match entry {
                Entry::Status => menu.append(&status),
                Entry::Separator => menu.append(&separator),
                Entry::Item(index) => menu.append(&items[index]),
            };
            appended.map_err(|e| e.to_string())?;
        }
        MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
            match action_for(event.id.as_ref()) {
                Some(action) => {
                    let _ = actions.send(action);
                }
                None => tracing::debug!(item = ?event.id, "unknown tray menu item"),
            }
        }));
        let icons = [TrayState::Idle, TrayState::Busy, TrayState::Attention].map(|state| {
            let pixels = icons.for_state(state);
            Icon::from_rgba(pixels.rgba.clone(), pixels.width, pixels.height)
        });
        let [Ok(idle), Ok(busy), Ok(attention)] = icons else {
            return Err("an icon's size does not match its pixels".into());
        };
        let icon = TrayIconBuilder::new()
            .with_id("ferry")
            .with_icon(idle.clone())
            .with_tooltip(QueueSummary::default().tooltip_in(locale))
            .with_menu(Box::new(menu))
            .with_menu_on_left_click(true)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(IndicatorTray {
            icon,
            status,
            items,
            icons: [idle, busy, attention],
        })
    }

    /// Shows the icon of `state`.
    pub fn show_state(&self, state: TrayState) {
        let index = match state {
            TrayState::Idle => 0,
            TrayState::Busy => 1,
            TrayState::Attention => 2,
        };
        if let Err(error) = self.icon.set_icon(Some(self.icons[index].clone())) {
            tracing::debug!("cannot change the tray icon: {error}");
        }
    }

    /// Sets the tooltip (where the tray shows tooltips).
    pub fn show_tooltip(&self, text: &str) {
        if let Err(error) = self.icon.set_tooltip(Some(text)) {
            tracing::debug!("cannot change the tray tooltip: {error}");
        }
    }

    /// Sets the status line at the top of the menu.
    pub fn show_status_line(&self, text: &str) {
        self.status.set_text(text);
    }

    /// Sets the items' labels, in the order of [`MENU`].
    pub fn show_menu_labels(&self, labels: &[String]) {
        for (item, label) in self.items.iter().zip(labels) {
            item.set_text(label);
        }
    }
}
