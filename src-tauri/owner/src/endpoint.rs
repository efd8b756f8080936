//! Where the local API listens: a Unix-domain socket in a folder only this user can enter.
//!
//! The folder is `$XDG_RUNTIME_DIR/ferry` (the session's private runtime folder), or
//! `/tmp/ferry-<uid>` where the session has none. It must be a real folder (not a link) owned
//! by this user with mode 0700; a folder that is not is refused rather than used. Each data
//! folder has its own socket, named after a digest of its absolute path, so owners of
//! different data folders never meet.

use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ferry_engine::ErrorCode;
use sha2::{Digest, Sha256};

use crate::api_error::ApiError;

/// The folder holding this user's sockets (not created here; see [`prepare_socket_dir`]).
pub fn socket_dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir).join("ferry"),
        _ => std::env::temp_dir().join(format!("ferry-{}", rustix::process::getuid().as_raw())),
    }
}

/// The socket of the owner of `data_dir` inside [`socket_dir`].
pub fn socket_path(data_dir: &Path) -> PathBuf {
    socket_dir().join(format!("owner-{}.sock", folder_digest(data_dir)))
}

/// The file whose lock the tray of `data_dir` holds while it runs, beside the socket: one
/// tray icon per data folder.
pub fn tray_lock_path(data_dir: &Path) -> PathBuf {
    socket_dir().join(format!("tray-{}.lock", folder_digest(data_dir)))
}

/// The first 16 hex digits of the SHA-256 of `data_dir`'s absolute path.
fn folder_digest(data_dir: &Path) -> String {
    let absolute = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_owned());
    let digest = Sha256::digest(absolute.as_os_str().as_encoded_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// An exclusive lock held for as long as this value lives (the process's, since the lock goes
/// with the open file when the process ends however it ends).
#[derive(Debug)]
pub struct HeldLock {
    file: std::fs::File,
}

impl HeldLock {
    /// Writes this process's id into the lock's file, for people and tests to find the holder.
    pub fn record_pid(&self) -> std::io::Result<()> {
        use std::io::Write;
        self.file.set_len(0)?;
        (&self.file).write_all(format!("{}\n", std::process::id()).as_bytes())
    }
}

/// Takes the exclusive lock (`flock`) on `path` without waiting, creating the file (0600) and
/// its folder (see [`prepare_socket_dir`]) if needed: `None` when another process holds it.
pub fn try_lock(path: &Path) -> Result<Option<HeldLock>, ApiError> {
    use rustix::fs::{flock, FlockOperation};
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        prepare_socket_dir(dir)?;
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| ApiError::io(format!("cannot open {}", path.display()), &e))?;
    match flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(Some(HeldLock { file })),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(None),
        Err(errno) => Err(ApiError::io(
            format!("cannot lock {}", path.display()),
            &std::io::Error::from(errno),
        )),
    }
}

/// True when some process holds the lock on `path` (a tray runs); false when it is free, or
/// cannot be checked.
pub fn is_locked(path: &Path) -> bool {
    matches!(try_lock(path), Ok(None))
}

/// Creates the socket folder (0700) if needed and checks that only this user can enter it.
pub fn prepare_socket_dir(dir: &Path) -> Result<(), ApiError> {
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| ApiError::io(format!("cannot create {}", parent.display()), &e))?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(ApiError::io(format!("cannot create {}", dir.display()), &e)),
    }
    let metadata = std::fs::symlink_metadata(dir)
        .map_err(|e| ApiError::io(format!("cannot read {}", dir.display()), &e))?;
    let me = rustix::process::getuid().as_raw();
    if !metadata.is_dir() || metadata.uid() != me {
        return Err(ApiError::new(
            ErrorCode::E_ACCESSDENIED,
            format!(
                "{} is not a folder of this user; Ferry will not put its socket there",
                dir.display()
            ),
        ));
    }
    if metadata.mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| ApiError::io(format!("cannot make {} private", dir.display()), &e))?;
    }
    Ok(())
}

/// True when `uid` may use the API of an owner running as this user.
pub fn peer_allowed(uid: u32) -> bool {
    uid == rustix::process::getuid().as_raw()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_data_folder_has_its_own_socket_and_the_same_folder_always_the_same() {
        let a = socket_path(Path::new("/home/u/.local/share/ferry"));
        let b = socket_path(Path::new("/home/u/other"));
        assert_ne!(a, b);
        assert_eq!(a, socket_path(Path::new("/home/u/.local/share/ferry")));
        assert!(a.starts_with(socket_dir()));
        // Short enough for sun_path (108 bytes) under a usual runtime folder.
        assert!(a.file_name().unwrap().len() < 40);
    }

    #[test]
    fn the_tray_lock_lives_beside_the_socket_one_per_data_folder() {
        let data = Path::new("/home/u/.local/share/ferry");
        let lock = tray_lock_path(data);
        assert_eq!(lock.parent(), socket_path(data).parent());
        assert_ne!(lock, tray_lock_path(Path::new("/home/u/other")));
        assert!(lock
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("tray-"));
    }

    #[test]
    fn a_lock_is_held_once_and_free_again_when_dropped() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("ferry").join("tray-1.lock");
        assert!(!is_locked(&path));
        let held = try_lock(&path).unwrap().expect("the lock is free");
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        assert!(try_lock(&path).unwrap().is_none(), "a second holder");
        assert!(is_locked(&path));
        held.record_pid().unwrap();
        let pid = std::fs::read_to_string(&path).unwrap();
        assert_eq!(pid.trim(), std::process::id().to_string());
        drop(held);
        assert!(!is_locked(&path));
        assert!(try_lock(&path).unwrap().is_some());
    }

    #[test]
    fn a_shared_folder_is_made_private_and_a_link_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("ferry");
        prepare_socket_dir(&dir).unwrap();
        assert_eq!(std::fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);

        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        prepare_socket_dir(&dir).unwrap();
        assert_eq!(std::fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);

        let link = root.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        let refused = prepare_socket_dir(&link).unwrap_err();
        assert_eq!(refused.code, ErrorCode::E_ACCESSDENIED);
    }
}
