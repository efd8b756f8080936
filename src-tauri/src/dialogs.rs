//! Native file and folder pickers, run from Rust so the window needs no dialog permission.
//!
//! The pickers are asynchronous: the dialog is built and run by the desktop toolkit's own
//! event loop, and the command awaits the user's answer without blocking any thread.

use std::path::PathBuf;

use ferry_owner::i18n::{self, LanguageIdentifier};
use tauri::{Runtime, WebviewWindow};

/// What to pick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// An existing folder.
    Folder,
    /// An existing file.
    File,
}

/// Opens a picker titled in `locale` in front of `window`, starting in `start`. `None` when
/// the user dismisses it.
pub async fn pick<R: Runtime>(
    window: &WebviewWindow<R>,
    pick: Pick,
    start: PathBuf,
    locale: &LanguageIdentifier,
) -> Option<PathBuf> {
    let dialog = rfd::AsyncFileDialog::new()
        .set_directory(start)
        .set_parent(window);
    let picked = match pick {
        Pick::Folder => {
            let title = i18n::text(locale, "dialog-choose-folder");
            dialog.set_title(title).pick_folder().await
        }
        Pick::File => {
            let title = i18n::text(locale, "dialog-choose-file");
            dialog.set_title(title).pick_file().await
        }
    };
    picked.map(|handle| handle.path().to_path_buf())
}

/// Opens a save-file picker in front of `window` in `folder`, suggesting `name` (the "Choose a
/// name" answer when Complete found a file under the final name), titled in `locale`. `None`
/// when dismissed.
pub async fn save_as<R: Runtime>(
    window: &WebviewWindow<R>,
    folder: PathBuf,
    name: String,
    locale: &LanguageIdentifier,
) -> Option<PathBuf> {
    rfd::AsyncFileDialog::new()
        .set_directory(folder)
        .set_file_name(name)
        .set_parent(window)
        .set_title(i18n::text(locale, "dialog-save-as"))
        .save_file()
        .await
        .map(|handle| handle.path().to_path_buf())
}
