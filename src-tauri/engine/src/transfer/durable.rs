//! When a written file is on disk: a file whose bytes are all written is synced by its writer
//! thread (or, for a small file, by the blocking call that writes it) while the next file
//! downloads, and counts as transferred only once the sync is done
//! (see `run_job`, which reports finished files in order as they become durable).

use tokio::sync::oneshot;

/// The pending sync of a written file.
pub struct Durable(Option<oneshot::Receiver<std::io::Result<()>>>);

impl Durable {
    /// A file that is already on disk.
    pub fn already() -> Self {
        Durable(None)
    }

    /// A file whose writer sends the sync's outcome on `synced`.
    pub fn pending(synced: oneshot::Receiver<std::io::Result<()>>) -> Self {
        Durable(Some(synced))
    }

    /// Waits until the file is on disk. Safe to stop waiting and wait again later.
    pub async fn wait(&mut self) -> std::io::Result<()> {
        let Some(synced) = &mut self.0 else {
            return Ok(());
        };
        let outcome = synced
            .await
            .unwrap_or_else(|_| Err(std::io::Error::other("the file's writer stopped")));
        self.0 = None;
        outcome
    }
}
