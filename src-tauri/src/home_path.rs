//! `~` in a path the window sends (the Add dialog's folder, a new folder for a job): `~` and
//! `~/x` mean the home folder, as in a shell. `~user` (another user's home) is refused with a
//! message saying what to type instead. The owner only takes absolute paths, so this is the
//! one place where the window's paths are resolved.

use std::path::{Path, PathBuf};

use ferry_engine::ErrorCode;

use crate::IpcError;

/// `path` with a leading `~` or `~/` replaced by `home`; other paths as they are.
pub fn expand_home_in(path: &Path, home: Option<&Path>) -> Result<PathBuf, IpcError> {
    let Some(text) = path.to_str() else {
        return Ok(path.to_path_buf());
    };
    let rest = match text.strip_prefix('~') {
        None => return Ok(path.to_path_buf()),
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest.trim_start_matches('/'),
        Some(_) => {
            return Err(IpcError::new(
                ErrorCode::E_INVALIDARG,
                format!(
                    "{text} names another user's home folder; type the whole path, such as /home/name/Downloads"
                ),
            ))
        }
    };
    let home = home.ok_or_else(|| {
        IpcError::new(
            ErrorCode::E_INVALIDARG,
            "the home folder is not known (HOME is not set); type the whole path",
        )
    })?;
    Ok(if rest.is_empty() {
        home.to_path_buf()
    } else {
        home.join(rest)
    })
}

/// `path` with a leading `~` or `~/` replaced by the user's home folder (`$HOME`).
pub fn expand_home(path: &Path) -> Result<PathBuf, IpcError> {
    let home = std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from);
    expand_home_in(path, home.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tilde_is_the_home_folder_and_another_users_is_refused() {
        let home = Path::new("/home/me");
        let expand = |text: &str| expand_home_in(Path::new(text), Some(home));
        assert_eq!(expand("~").unwrap(), PathBuf::from("/home/me"));
        assert_eq!(expand("~/").unwrap(), PathBuf::from("/home/me"));
        assert_eq!(
            expand("~/x/a.iso").unwrap(),
            PathBuf::from("/home/me/x/a.iso")
        );
        assert_eq!(expand("/data/~/a").unwrap(), PathBuf::from("/data/~/a"));
        assert_eq!(expand("relative").unwrap(), PathBuf::from("relative"));
        let other = expand("~root/a.iso").unwrap_err();
        assert_eq!(other.code, ErrorCode::E_INVALIDARG);
        assert!(
            other.message.contains("another user's home folder"),
            "{}",
            other.message
        );
        let unknown = expand_home_in(Path::new("~/a"), None).unwrap_err();
        assert!(unknown.message.contains("HOME"), "{}", unknown.message);
    }
}
