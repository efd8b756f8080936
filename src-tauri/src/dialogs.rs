//! Native file and folder pickers, run from Rust so the window needs no dialog permission.
//!
//! GTK dialogs must run on the main (event loop) thread; the command waits for the answer
//! without blocking the async runtime.

use std::path::PathBuf;

use tauri::{Runtime, WebviewWindow};

use crate::ipc_error::IpcError;

/// What to pick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// An existing folder.
    Folder,
    /// An existing file.
    File,
}

/// Opens a picker in front of `window`, starting in `start`. `None` when the user dismisses it.
pub async fn pick<R: Runtime>(
    window: WebviewWindow<R>,
    pick: Pick,
    start: PathBuf,
) -> Result<Option<PathBuf>, IpcError> {
    let (answer, picked) = tokio::sync::oneshot::channel();
    let parent = window.clone();
    window
        .run_on_main_thread(move || {
            let dialog = rfd::FileDialog::new()
                .set_directory(start)
                .set_parent(&parent);
            let path = match pick {
                Pick::Folder => dialog.set_title("Choose a folder").pick_folder(),
                Pick::File => dialog.set_title("Choose a file").pick_file(),
            };
            let _ = answer.send(path);
        })
        .map_err(|error| IpcError::internal(format!("cannot open the picker: {error}")))?;
    picked
        .await
        .map_err(|_| IpcError::internal("the picker closed without an answer"))
}
