//! Putting transferred files in place at Complete without ever losing one.
//!
//! - **Never replace by surprise.** A file is renamed into place with `renameat2` and
//!   `RENAME_NOREPLACE`, so a file that appears under the final name at the last moment is not
//!   replaced either. File systems without that flag fall back to a hard link (which also fails
//!   when the name exists) and the removal of the temporary name, and, on those without hard
//!   links, to a check followed by a rename. Only a file marked "replace"
//!   (`Engine::set_replace_existing`) may replace a regular file.
//! - **Never replace a special file.** A destination that is a folder, FIFO, device, socket or a
//!   link to one of them is refused, when the file is added and again at Complete.
//! - **Crash-safe.** Before renaming, Complete commits a [`HandOver`] intent per file: the
//!   device, inode and size of its temporary file. A rename keeps the inode, so after a crash
//!   between the renames and the commit that marks the files completed, a file whose temporary
//!   name is gone and whose final name holds that very inode with that size is recognised as
//!   completed ([`recover`]) instead of being downloaded again. A file whose temporary name still
//!   exists was not renamed: it stays transferred, and its intent is dropped.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, ErrorContext, Result};
use crate::record::FileRecord;

/// The identity of a temporary file Complete is about to rename into place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandOver {
    /// Device of the file system holding the file.
    pub device: u64,
    /// Inode number (kept by a rename).
    pub inode: u64,
    /// Size in bytes.
    pub size: u64,
}

impl HandOver {
    /// The identity of the regular file at `path` (not following a symbolic link).
    pub fn of(path: &Path) -> Option<HandOver> {
        let meta = std::fs::symlink_metadata(path).ok()?;
        meta.file_type().is_file().then(|| identity(&meta))
    }
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> HandOver {
    use std::os::unix::fs::MetadataExt;
    HandOver {
        device: meta.dev(),
        inode: meta.ino(),
        size: meta.len(),
    }
}

#[cfg(not(unix))]
fn identity(meta: &std::fs::Metadata) -> HandOver {
    HandOver {
        device: 0,
        inode: 0,
        size: meta.len(),
    }
}

/// After a restart: marks `file` completed when a Complete that was interrupted had already
/// renamed it (its temporary name is gone and its final name holds the recorded file), and drops
/// a stale intent otherwise. Returns true when the file was recognised as completed.
pub fn recover(file: &mut FileRecord) -> bool {
    let Some(intent) = file.handover.take() else {
        return false;
    };
    let temp_gone = file.temp_path.as_deref().is_some_and(
        |temp| matches!(std::fs::symlink_metadata(temp), Err(e) if e.kind() == ErrorKind::NotFound),
    );
    if file.completed || !file.transferred || !temp_gone {
        return false;
    }
    if HandOver::of(&file.local_path) == Some(intent) {
        tracing::info!(path = %file.local_path.display(), "a file renamed by an interrupted Complete is completed");
        file.completed = true;
        return true;
    }
    false
}

/// Refuses a destination that exists and is not a regular file (or a link to one): a folder,
/// FIFO, device or socket is never replaced. A missing path or a dangling link is fine.
pub fn refuse_special_file(path: &Path) -> Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(Error::local_io(
                format!("cannot look at {}", path.display()),
                e,
            ))
        }
    };
    let kind = if meta.file_type().is_symlink() {
        // Only the target's type is read (stat); nothing is opened.
        match std::fs::metadata(path) {
            Ok(target) => target.file_type(),
            Err(_) => return Ok(()),
        }
    } else {
        meta.file_type()
    };
    if kind.is_file() {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::FERRY_E_NOT_A_REGULAR_FILE,
        format!(
            "{} is {} and will not be replaced; choose another file name",
            path.display(),
            describe(kind)
        ),
    )
    .in_context(ErrorContext::LocalFile))
}

#[cfg(unix)]
fn describe(kind: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a folder"
    } else if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn describe(kind: std::fs::FileType) -> &'static str {
    if kind.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// Renames `temp` to `dest`. Without `replace`, an existing `dest` is never replaced and the
/// answer is an error of kind `AlreadyExists`.
pub fn rename_into_place(temp: &Path, dest: &Path, replace: bool) -> std::io::Result<()> {
    if replace {
        return std::fs::rename(temp, dest);
    }
    match rename_no_replace(temp, dest) {
        Err(e) if unsupported(&e) => link_then_unlink(temp, dest),
        other => other,
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn rename_no_replace(temp: &Path, dest: &Path) -> std::io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    renameat_with(CWD, temp, CWD, dest, RenameFlags::NOREPLACE).map_err(std::io::Error::from)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn rename_no_replace(_temp: &Path, _dest: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(ErrorKind::Unsupported))
}

/// Whether `error` says the file system cannot do the operation at all (rather than that it
/// failed for this file).
fn unsupported(error: &std::io::Error) -> bool {
    const EINVAL: i32 = 22;
    const ENOSYS: i32 = 38;
    const EOPNOTSUPP: i32 = 95;
    matches!(error.kind(), ErrorKind::Unsupported)
        || matches!(error.raw_os_error(), Some(EINVAL | ENOSYS | EOPNOTSUPP))
}

/// Dates the file at `path` `millis` milliseconds after 1970 (its last-modified time; the
/// last-access time is left as it is). Best effort: a file that cannot be dated keeps its date.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn set_modified(path: &Path, millis: u64) {
    use rustix::fs::{utimensat, AtFlags, Timespec, Timestamps, CWD, UTIME_OMIT};
    let times = Timestamps {
        last_access: Timespec {
            tv_sec: 0,
            tv_nsec: UTIME_OMIT,
        },
        last_modification: Timespec {
            tv_sec: (millis / 1000) as i64,
            tv_nsec: ((millis % 1000) * 1_000_000) as _,
        },
    };
    // One call on the path, instead of opening the file to date it.
    let _ = utimensat(CWD, path, &times, AtFlags::empty());
}

/// Dates the file at `path` `millis` milliseconds after 1970 (its last-modified time; the
/// last-access time is left as it is). Best effort: a file that cannot be dated keeps its date.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn set_modified(path: &Path, millis: u64) {
    if let Ok(handle) = std::fs::File::options().write(true).open(path) {
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_millis(millis);
        let _ = handle.set_modified(when);
    }
}

/// The fallback where `renameat2` has no `RENAME_NOREPLACE`: a hard link fails when the name
/// exists; then the temporary name goes. Without hard links (FAT, some network file systems):
/// check, then rename.
fn link_then_unlink(temp: &Path, dest: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(temp, dest) {
        Ok(()) => std::fs::remove_file(temp),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(e),
        Err(e) if unsupported(&e) || e.kind() == ErrorKind::PermissionDenied => {
            match std::fs::symlink_metadata(dest) {
                Ok(_) => Err(std::io::Error::from(ErrorKind::AlreadyExists)),
                Err(missing) if missing.kind() == ErrorKind::NotFound => {
                    std::fs::rename(temp, dest)
                }
                Err(other) => Err(other),
            }
        }
        Err(e) => Err(e),
    }
}

/// Makes the renames into `paths`' folders durable (one fsync per folder) before Complete
/// commits them, so that after a power cut the store never says "completed" for a file still
/// under its temporary name. Best effort: a folder that cannot be synced is logged.
pub fn sync_folders<'a>(paths: impl Iterator<Item = &'a Path>) {
    let folders: std::collections::BTreeSet<&Path> = paths.filter_map(Path::parent).collect();
    for folder in folders {
        if let Err(e) = std::fs::File::open(folder).and_then(|f| f.sync_all()) {
            tracing::warn!(folder = %folder.display(), "cannot sync the folder after Complete's renames: {e}");
        }
    }
}

/// The first free name beside `dest` in the "Keep both" style: `name (2).ext`, `name (3).ext`,
/// … (`archive.tar.gz` becomes `archive (2).tar.gz`; a name without an extension, `name (2)`).
/// `taken` says whether a candidate is already used (by a file or by another job).
pub fn free_name(dest: &Path, taken: impl Fn(&Path) -> bool) -> Option<PathBuf> {
    let name = dest.file_name()?.to_string_lossy().into_owned();
    let (stem, extension) = split_extension(&name);
    (2..10_000u32)
        .map(|n| dest.with_file_name(format!("{stem} ({n}){extension}")))
        .find(|candidate| std::fs::symlink_metadata(candidate).is_err() && !taken(candidate))
}

/// Destinations for files whose names Ferry chose (not the user): each `wanted` path as it is
/// when no file is there, no other job will write it (`taken`) and no earlier path of the list
/// got it; else the first free "name (n).ext" beside it, as [`free_name`] numbers them.
/// `None` when some name has no free number left.
pub fn free_paths(wanted: &[PathBuf], taken: impl Fn(&Path) -> bool) -> Option<Vec<PathBuf>> {
    let mut chosen: Vec<PathBuf> = Vec::with_capacity(wanted.len());
    for path in wanted {
        let used = |candidate: &Path| taken(candidate) || chosen.iter().any(|c| c == candidate);
        let free = if std::fs::symlink_metadata(path).is_err() && !used(path) {
            path.clone()
        } else {
            free_name(path, used)?
        };
        chosen.push(free);
    }
    Some(chosen)
}

/// `("archive", ".tar.gz")`, `("mydoc", "")`, `(".bashrc", "")`.
fn split_extension(name: &str) -> (&str, &str) {
    let start = usize::from(name.starts_with('.'));
    let dot = match name[start..].find('.') {
        Some(at) => start + at,
        None => return (name, ""),
    };
    let rest = &name[dot..];
    // A second extension counts only when it is a short, well-known compression suffix.
    let double = [".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst"]
        .iter()
        .find(|ext| rest.eq_ignore_ascii_case(ext));
    match double {
        Some(_) => (&name[..dot], rest),
        None => match name.rfind('.') {
            Some(last) if last > start => (&name[..last], &name[last..]),
            _ => (name, ""),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dated_file_carries_the_date_to_the_millisecond() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("dated");
        std::fs::write(&path, b"x").unwrap();
        set_modified(&path, 1_234_567_890_123);
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        assert_eq!(
            modified,
            std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_234_567_890_123),
            "the file's last-modified time is the one given"
        );
    }

    #[test]
    fn keep_both_names_put_the_number_before_the_extension() {
        assert_eq!(split_extension("mydoc"), ("mydoc", ""));
        assert_eq!(split_extension("report.pdf"), ("report", ".pdf"));
        assert_eq!(split_extension("archive.tar.gz"), ("archive", ".tar.gz"));
        assert_eq!(split_extension("v1.2.iso"), ("v1.2", ".iso"));
        assert_eq!(split_extension(".bashrc"), (".bashrc", ""));
        assert_eq!(split_extension(".config.json"), (".config", ".json"));
    }

    #[test]
    fn the_first_free_number_is_chosen() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("mydoc.txt");
        std::fs::write(&dest, b"mine").unwrap();
        std::fs::write(dir.path().join("mydoc (2).txt"), b"older copy").unwrap();
        let taken = dir.path().join("mydoc (3).txt");
        assert_eq!(
            free_name(&dest, |p| p == taken),
            Some(dir.path().join("mydoc (4).txt"))
        );
    }

    #[test]
    fn names_ferry_chose_are_unique_in_the_job_and_in_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str| dir.path().join(name);
        std::fs::write(at("report.pdf"), b"mine").unwrap();
        let other_job = at("notes.txt");
        let wanted = [
            at("report.pdf"),
            at("report.pdf"),
            at("archive.tar.gz"),
            at("archive.tar.gz"),
            at("notes.txt"),
            at("README"),
            at("README"),
        ];
        let chosen = free_paths(&wanted, |p| p == other_job).unwrap();
        assert_eq!(
            chosen,
            [
                at("report (2).pdf"),
                at("report (3).pdf"),
                at("archive.tar.gz"),
                at("archive (2).tar.gz"),
                at("notes (2).txt"),
                at("README"),
                at("README (2)"),
            ]
        );
    }

    #[test]
    fn a_rename_without_replace_keeps_the_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let (temp, dest) = (dir.path().join(".t"), dir.path().join("d"));
        std::fs::write(&temp, b"new").unwrap();
        std::fs::write(&dest, b"old").unwrap();
        let error = rename_into_place(&temp, &dest, false).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&dest).unwrap(), b"old");
        let error = link_then_unlink(&temp, &dest).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::AlreadyExists, "the fallback too");
        assert_eq!(std::fs::read(&dest).unwrap(), b"old");
        std::fs::remove_file(&dest).unwrap();
        link_then_unlink(&temp, &dest).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new");
        assert!(!temp.exists());
    }
}
