//! Opening a delivered file, or the folder holding it, with the desktop's applications, and
//! telling first whether opening a file would run a program.
//!
//! [`runs_programs`] is the one check, used by the window's Open (which asks first, as
//! browsers do) and by a notification's Open (which shows such a file in its folder instead).

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Extensions the desktop hands to a program that runs what the file says: launchers,
/// scripts, Java archives, Windows programs (through Wine and the like), packages.
const RUNNABLE_EXTENSIONS: &[&str] = &[
    "appimage", "bash", "bat", "cmd", "com", "command", "csh", "deb", "desktop", "exe", "fish",
    "jar", "ksh", "msi", "pl", "ps1", "py", "rb", "rpm", "run", "sh", "vbs", "zsh",
];

/// How many bytes of a file are read to recognise it.
const SNIFFED: usize = 64;

/// Whether opening `path` with the desktop's default application may run a program: a file with
/// an executable bit, an ELF binary, a script (`#!`), a `.desktop` launcher (by name or by
/// content), or a name the desktop gives to an interpreter (`.sh`, `.jar`, `.exe`, AppImage,
/// …). A file that cannot be read counts as one that runs programs: asking costs a click.
pub fn runs_programs(path: &Path) -> bool {
    let runnable_name = path
        .extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            RUNNABLE_EXTENSIONS
                .iter()
                .any(|known| known.eq_ignore_ascii_case(extension))
        });
    if runnable_name {
        return true;
    }
    let Ok(metadata) = std::fs::metadata(path) else {
        return true;
    };
    if !metadata.is_file() {
        return false;
    }
    if metadata.permissions().mode() & 0o111 != 0 {
        return true;
    }
    let mut head = Vec::with_capacity(SNIFFED);
    let read =
        std::fs::File::open(path).and_then(|file| file.take(SNIFFED as u64).read_to_end(&mut head));
    if read.is_err() {
        return true;
    }
    head.starts_with(b"\x7fELF")
        || head.starts_with(b"#!")
        || head.starts_with(b"MZ")
        || head.starts_with(b"[Desktop Entry]")
}

/// Opens `path` with the desktop's default application.
pub fn open_with_default_app(path: &Path) -> std::io::Result<()> {
    open::that_detached(path)
}

/// Shows `path` in its folder: the folder opened in the file manager.
pub fn show_in_folder(path: &Path) -> std::io::Result<()> {
    let folder = path.parent().unwrap_or(path);
    open::that_detached(folder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8], mode: u32) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn documents_and_media_open_without_asking() {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in [
            ("report.pdf", b"%PDF-1.7\n".as_slice()),
            ("photo.png", b"\x89PNG\r\n\x1a\n".as_slice()),
            ("notes.txt", b"plain words".as_slice()),
            ("archive.tar.gz", b"\x1f\x8b\x08".as_slice()),
        ] {
            let path = write(dir.path(), name, bytes, 0o644);
            assert!(!runs_programs(&path), "{name} only shows its content");
        }
    }

    #[test]
    fn scripts_launchers_and_programs_ask_first() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("report.sh", b"echo hi\n".as_slice(), 0o644, "a .sh name"),
            (
                "launch.desktop",
                b"[Desktop Entry]\nExec=x\n".as_slice(),
                0o644,
                "a .desktop name",
            ),
            ("tool.AppImage", b"\x7fELF".as_slice(), 0o644, "an AppImage"),
            ("setup.exe", b"MZ".as_slice(), 0o644, "a Windows program"),
            ("app.jar", b"PK\x03\x04".as_slice(), 0o644, "a Java archive"),
            (
                "binary",
                b"\x7fELF\x02\x01\x01".as_slice(),
                0o644,
                "an ELF binary without a name",
            ),
            (
                "script",
                b"#!/bin/sh\nrm -rf ~\n".as_slice(),
                0o644,
                "a script by its #!",
            ),
            (
                "readme",
                b"just words".as_slice(),
                0o755,
                "a file with the executable bit",
            ),
            (
                "entry",
                b"[Desktop Entry]\nExec=x\n".as_slice(),
                0o644,
                "a launcher by content",
            ),
            (
                "REPORT.SH",
                b"echo hi\n".as_slice(),
                0o644,
                "an upper-case extension",
            ),
        ];
        for (name, bytes, mode, what) in cases {
            let path = write(dir.path(), name, bytes, mode);
            assert!(runs_programs(&path), "{what} ({name}) must ask first");
        }
    }

    #[test]
    fn a_file_that_is_not_there_asks_first() {
        let dir = tempfile::tempdir().unwrap();
        assert!(runs_programs(&dir.path().join("gone")));
    }
}
