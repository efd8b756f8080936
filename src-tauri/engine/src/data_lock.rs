//! One engine per data folder: an exclusive advisory lock (`flock`) on `ferry.lock` in the data
//! folder, taken before the store is opened and held for the engine's lifetime. The operating
//! system drops it when the holder's file is closed, so a crashed or killed engine never leaves
//! a stale lock. The holder writes its pid and program name into the file so that an engine
//! refused the folder can say who has it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use crate::error::{Error, ErrorCode, ErrorContext, Result};

/// File name of the lock inside the data folder.
pub const LOCK_FILE: &str = "ferry.lock";

/// The lock on a data folder; released when dropped (or when the process ends, however it ends).
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

impl DataDirLock {
    /// Creates `data_dir` if needed and locks it without waiting. A folder another engine holds
    /// is refused with E_ACCESSDENIED (context GENERAL_QUEUE_MANAGER) and a message naming the
    /// holder; nothing in the folder is changed then.
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            Error::local_io(
                format!("cannot create the data folder {}", data_dir.display()),
                e,
            )
            .in_context(ErrorContext::GeneralQueueManager)
        })?;
        let path = data_dir.join(LOCK_FILE);
        let (file, writable) = open(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(in_use(data_dir, &path)),
            Err(TryLockError::Error(e)) => {
                return Err(Error::local_io(
                    format!("cannot lock the data folder {}", data_dir.display()),
                    e,
                )
                .in_context(ErrorContext::GeneralQueueManager))
            }
        }
        if writable {
            // Only informs a refused engine: a full disk must not stop this one.
            if let Err(e) = write_holder(&file) {
                tracing::warn!(path = %path.display(), "cannot note this engine in the lock file: {e}");
            }
        }
        Ok(DataDirLock { _file: file })
    }
}

/// Opens the lock file for writing, or only for reading where the folder is read-only (the
/// store then says what is wrong); tells whether it can be written.
fn open(path: &Path) -> Result<(File, bool)> {
    let writable = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path);
    match writable {
        Ok(file) => Ok((file, true)),
        Err(error) => match File::open(path) {
            Ok(file) => Ok((file, false)),
            Err(_) => Err(Error::local_io(
                format!("cannot create the lock file {}", path.display()),
                error,
            )
            .in_context(ErrorContext::GeneralQueueManager)),
        },
    }
}

/// Writes `PID PROGRAM` over the file's contents (in place, so an existing file needs no new
/// space).
fn write_holder(file: &File) -> std::io::Result<()> {
    let text = format!("{} {}\n", std::process::id(), program_name());
    let mut writer = file;
    writer.seek(SeekFrom::Start(0))?;
    writer.write_all(text.as_bytes())?;
    file.set_len(text.len() as u64)
}

/// The name this process was started as (`ferry`, `ferry-desktop`).
fn program_name() -> String {
    std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "an unnamed program".to_owned())
}

/// The refusal for a folder another engine holds, naming the holder when the file says.
fn in_use(data_dir: &Path, lock_file: &Path) -> Error {
    // The holder writes its name just after it takes the lock: when both started together, it
    // may not have yet, so an empty file is read again for a moment.
    let mut holder = holder_of(lock_file);
    for _ in 0..HOLDER_NAME_READS {
        if holder.is_some() {
            break;
        }
        std::thread::sleep(HOLDER_NAME_PAUSE);
        holder = holder_of(lock_file);
    }
    let holder = holder.unwrap_or_else(|| "another Ferry engine".to_owned());
    Error::new(
        ErrorCode::E_ACCESSDENIED,
        format!(
            "the data folder {} is in use by {holder}; only one Ferry engine can use a data \
             folder at a time: close the other one, or use another data folder",
            data_dir.display()
        ),
    )
    .in_context(ErrorContext::GeneralQueueManager)
}

/// How many more times a refused engine reads a lock file that does not name its holder yet.
const HOLDER_NAME_READS: u32 = 25;
/// The pause between two of those reads.
const HOLDER_NAME_PAUSE: std::time::Duration = std::time::Duration::from_millis(20);

/// `PROGRAM (pid PID)` from the lock file, if it names its holder.
fn holder_of(lock_file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(lock_file).ok()?;
    let (pid, program) = text.trim().split_once(' ')?;
    let pid: u32 = pid.parse().ok()?;
    Some(format!("{program} (pid {pid})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_folder_is_refused_naming_this_process_and_free_once_dropped() {
        let dir = std::env::temp_dir().join(format!("ferry-lock-{}", uuid::Uuid::new_v4()));
        let held = DataDirLock::acquire(&dir).unwrap();
        let refused = DataDirLock::acquire(&dir).unwrap_err();
        assert_eq!(refused.code, ErrorCode::E_ACCESSDENIED);
        assert!(
            refused
                .message
                .contains(&format!("(pid {})", std::process::id())),
            "{}",
            refused.message
        );
        drop(held);
        assert!(DataDirLock::acquire(&dir).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_holder_that_names_itself_a_moment_after_locking_is_still_named() {
        let dir = std::env::temp_dir().join(format!("ferry-lock-{}", uuid::Uuid::new_v4()));
        let held = DataDirLock::acquire(&dir).unwrap();
        // As if the holder had just taken the lock and not written its name yet.
        let lock_file = dir.join(LOCK_FILE);
        std::fs::write(&lock_file, "").unwrap();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            std::fs::write(&lock_file, "4242 ferry\n").unwrap();
        });
        let refused = DataDirLock::acquire(&dir).unwrap_err();
        writer.join().unwrap();
        assert!(
            refused.message.contains("ferry (pid 4242)"),
            "{}",
            refused.message
        );
        drop(held);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
