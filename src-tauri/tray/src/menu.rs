//! The tray menu's items, the same whichever library shows the icon: a status line at the top
//! (a disabled item: the keyboard and the pointer pass over it), then Show Ferry, Pause all,
//! Resume all and Quit, with separators between the groups.

use ferry_owner::i18n::{self, LanguageIdentifier};

use crate::link::Action;

/// The menu's items: (id, the id of its label in the catalogues). The labels are what people
/// (and the end-to-end tests) click.
pub const MENU: [(&str, &str); 4] = [
    ("show", "tray-show"),
    ("pause-all", "tray-pause-all"),
    ("resume-all", "tray-resume-all"),
    ("quit", "tray-quit"),
];

/// The items' labels in `locale`'s language, in the order of [`MENU`].
pub fn labels(locale: &LanguageIdentifier) -> [String; 4] {
    MENU.map(|(_, label)| i18n::text(locale, label))
}

/// The id of the status line's item.
pub const STATUS_ID: &str = "status";

/// One entry of the menu, top to bottom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// The status line.
    Status,
    /// A line between groups.
    Separator,
    /// An item of [`MENU`], by index.
    Item(usize),
}

/// The menu, top to bottom.
pub const LAYOUT: [Entry; 8] = [
    Entry::Status,
    Entry::Separator,
    Entry::Item(0),
    Entry::Separator,
    Entry::Item(1),
    Entry::Item(2),
    Entry::Separator,
    Entry::Item(3),
];

/// What choosing the item `id` asks for; `None` for an id the menu does not have.
pub fn action_for(id: &str) -> Option<Action> {
    match id {
        "show" => Some(Action::Show),
        "pause-all" => Some(Action::PauseAll),
        "resume-all" => Some(Action::ResumeAll),
        "quit" => Some(Action::Quit),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_menu_keeps_its_labels_and_every_item_has_an_action() {
        assert_eq!(
            labels(&i18n::english()),
            ["Show Ferry", "Pause all", "Resume all", "Quit"]
        );
        assert_eq!(
            labels(&i18n::portuguese()),
            ["Mostrar o Ferry", "Pausar tudo", "Retomar tudo", "Sair"]
        );
        for (id, _) in MENU {
            assert!(action_for(id).is_some(), "{id} has no action");
        }
        assert_eq!(action_for(STATUS_ID), None);
    }
}
