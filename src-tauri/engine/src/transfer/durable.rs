//! When a written file is on disk: a file whose bytes are all written is synced by its writer
//! thread (or, for a small file, by the [`SyncGroup`] that syncs the small files written close
//! together at once) while the next file downloads, and counts as transferred only once the
//! sync is done (see `run_job`, which reports finished files in order as they become durable).

use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

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

/// How a file is written, run on the sync thread just before its group is synced: returns the
/// file, all its bytes written, and when it was opened (read just after the open returned).
pub type WriteFile = Box<dyn FnOnce() -> std::io::Result<(std::fs::File, Instant)> + Send>;

/// A file to write, then sync with its group (see [`SyncGroup`]).
pub struct Handed {
    /// Writes the file.
    pub write: WriteFile,
    /// Where the sync's outcome goes.
    pub synced: oneshot::Sender<std::io::Result<()>>,
}

/// A written file waiting for its sync, with the moment it was opened.
struct Written {
    file: std::fs::File,
    opened: Instant,
    synced: oneshot::Sender<std::io::Result<()>>,
}

/// Files a group holds at most: it is synced at once when it has this many.
const GROUP_FILES: usize = 32;

/// How long a group collects files after its first arrived before it is synced.
const GROUP_WAIT: Duration = Duration::from_millis(10);

/// One thread that writes the small files handed to it and syncs them in groups: one `syncfs`
/// per file system instead of one `fdatasync` per file. A group is written and synced
/// [`GROUP_WAIT`] after its first file arrived, or as soon as it holds [`GROUP_FILES`], so a
/// file waits at most that long plus the writes and the sync before it; [`Durable`] tells its
/// run, which still reports files in order, so a later file never counts before an earlier
/// one. Writing on this thread, rather than on a blocking thread of the runtime, saves a
/// hand-over per file; a small file's bytes reach the page cache in well under a millisecond.
///
/// What `syncfs` guarantees (Linux, ext4, xfs, btrfs alike: `sync_filesystem`): every dirty
/// page and inode of the file system is written and waited on, the journal committed (ext4's
/// and xfs's log, btrfs' transaction) or, without a journal, the block device's buffers
/// written, and the disk's cache flushed, so each file's bytes, size and allocation are on disk
/// as `fdatasync` would leave them. A write-back error is reported (since Linux 5.8) when it
/// happened on the file system after the descriptor given to `syncfs` was opened: the group
/// gives it the file opened first, opened before any file of the group was written, so an
/// error on any of their pages is reported. On an error each file is synced alone
/// (`fdatasync`), which tells which files failed. The cost: a sync also writes whatever else
/// is dirty on that file system, which only makes the announcement later.
pub struct SyncGroup {
    handed: Mutex<Vec<Handed>>,
    arrived: Condvar,
}

impl SyncGroup {
    /// The process's group, its thread started on first use. One for every job: a sync covers
    /// every file of a file system, whichever job wrote it.
    pub fn shared() -> &'static SyncGroup {
        static GROUP: OnceLock<&'static SyncGroup> = OnceLock::new();
        GROUP.get_or_init(|| {
            let group: &'static SyncGroup = Box::leak(Box::new(SyncGroup {
                handed: Mutex::new(Vec::new()),
                arrived: Condvar::new(),
            }));
            std::thread::Builder::new()
                .name("ferry-sync".into())
                .spawn(move || group.run())
                .expect("the sync thread starts");
            group
        })
    }

    /// Hands a file over to be written and synced with the next group.
    pub fn hand(&self, file: Handed) {
        let mut handed = self.handed.lock().unwrap_or_else(|e| e.into_inner());
        handed.push(file);
        if handed.len() == 1 || handed.len() == GROUP_FILES {
            self.arrived.notify_one();
        }
    }

    fn run(&self) {
        loop {
            let group = {
                let mut handed = self.handed.lock().unwrap_or_else(|e| e.into_inner());
                while handed.is_empty() {
                    handed = self.arrived.wait(handed).unwrap_or_else(|e| e.into_inner());
                }
                let due = Instant::now() + GROUP_WAIT;
                while handed.len() < GROUP_FILES {
                    let left = due.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    handed = self
                        .arrived
                        .wait_timeout(handed, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                std::mem::take(&mut *handed)
            };
            sync_group(write_group(group));
        }
    }
}

/// Writes each file of `group`; a file that could not be written is told so at once. A file
/// nobody waits for any more is not written: its run stopped meanwhile (Suspend, Cancel) or
/// turned its bytes down (a digest that did not match), so its temporary file stays as it was
/// created, empty, and a new run starts it over.
fn write_group(group: Vec<Handed>) -> Vec<Written> {
    group
        .into_iter()
        .filter(|handed| !handed.synced.is_closed())
        .filter_map(|handed| match (handed.write)() {
            Ok((file, opened)) => Some(Written {
                file,
                opened,
                synced: handed.synced,
            }),
            Err(error) => {
                let _ = handed.synced.send(Err(error));
                None
            }
        })
        .collect()
}

/// Syncs `group` with one `syncfs` per file system, falling back to each file's own sync.
#[cfg(target_os = "linux")]
fn sync_group(group: Vec<Written>) {
    use std::os::unix::fs::MetadataExt;
    let mut by_device: std::collections::BTreeMap<u64, Vec<Written>> = Default::default();
    for written in group {
        match written.file.metadata() {
            Ok(meta) => by_device.entry(meta.dev()).or_default().push(written),
            Err(error) => {
                let _ = written.synced.send(Err(error));
            }
        }
    }
    for files in by_device.into_values() {
        let Some(first_opened) = files.iter().min_by_key(|w| w.opened) else {
            continue;
        };
        let all_synced = rustix::fs::syncfs(&first_opened.file).is_ok();
        for written in files {
            let outcome = match all_synced {
                true => Ok(()),
                false => written.file.sync_data(),
            };
            let _ = written.synced.send(outcome);
        }
    }
}

/// Syncs each file of `group` (no `syncfs` here).
#[cfg(not(target_os = "linux"))]
fn sync_group(group: Vec<Written>) {
    for written in group {
        let _ = written.synced.send(written.file.sync_data());
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// Creates a file in `folder` and hands it to the group to write `bytes` into.
    fn hand_new_file(folder: &std::path::Path, name: &str, bytes: &[u8]) -> Durable {
        let file = std::fs::File::create(folder.join(name)).unwrap();
        let opened = Instant::now();
        let bytes = bytes.to_vec();
        let (synced, durable) = oneshot::channel();
        SyncGroup::shared().hand(Handed {
            write: Box::new(move || {
                let mut file = file;
                file.write_all(&bytes)?;
                Ok((file, opened))
            }),
            synced,
        });
        Durable::pending(durable)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_file_handed_to_the_group_is_announced_on_disk_whole() {
        let folder = tempfile::tempdir().unwrap();
        // More than a group holds, from several threads at once.
        let handed: Vec<(String, Durable)> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..4)
                .map(|thread| {
                    let folder = folder.path();
                    scope.spawn(move || {
                        (0..GROUP_FILES)
                            .map(|i| {
                                let name = format!("{thread}-{i}");
                                let durable = hand_new_file(folder, &name, name.as_bytes());
                                (name, durable)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            threads
                .into_iter()
                .flat_map(|t| t.join().unwrap())
                .collect()
        });
        for (name, mut durable) in handed {
            durable.wait().await.expect("a handed file is synced");
            assert_eq!(
                std::fs::read(folder.path().join(&name)).unwrap(),
                name.as_bytes(),
                "the synced file holds its bytes"
            );
        }
    }

    #[tokio::test]
    async fn a_file_handed_alone_is_synced_without_waiting_for_others() {
        let folder = tempfile::tempdir().unwrap();
        let mut durable = hand_new_file(folder.path(), "alone", b"alone");
        durable.wait().await.expect("a lone file is synced");
    }

    #[tokio::test]
    async fn a_file_nobody_waits_for_is_not_written() {
        let folder = tempfile::tempdir().unwrap();
        let written = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (synced, durable) = oneshot::channel();
        drop(durable); // its run stopped, or turned its bytes down
        let marker = written.clone();
        SyncGroup::shared().hand(Handed {
            write: Box::new(move || {
                marker.store(true, std::sync::atomic::Ordering::SeqCst);
                Err(std::io::Error::other("not to be written"))
            }),
            synced,
        });
        // Files are taken in the order they were handed: once a later one is synced, the
        // earlier one has been passed over.
        let mut later = hand_new_file(folder.path(), "later", b"later");
        later.wait().await.expect("the later file is synced");
        assert!(
            !written.load(std::sync::atomic::Ordering::SeqCst),
            "the file nobody waits for was not written"
        );
    }
}
