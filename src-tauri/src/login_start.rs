//! Starting Ferry at login: an XDG autostart entry that runs this program with `--hidden`, so
//! only the tray starts. The entry lives in `$XDG_CONFIG_HOME/autostart` (`~/.config/autostart`
//! when that is unset or not absolute), the folder desktop sessions read; it is written here
//! rather than by tauri-plugin-autostart, which always uses `~/.config` and so writes an entry
//! the session never reads when `XDG_CONFIG_HOME` points elsewhere.

use std::io;
use std::path::{Path, PathBuf};

use crate::lifecycle::HIDDEN_FLAG;

/// The entry's file name: the one earlier versions wrote through the plugin, so turning the
/// switch off also removes an entry they left.
pub const ENTRY_NAME: &str = "Ferry.desktop";

/// Where the session looks for autostart entries, or `None` without `XDG_CONFIG_HOME` and
/// `HOME`.
pub fn autostart_dir() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|folder| folder.is_absolute())
        .or_else(|| {
            let home = PathBuf::from(std::env::var_os("HOME")?);
            Some(home.join(".config"))
        })?;
    Some(config.join("autostart"))
}

/// Writes the entry that starts `program` hidden at login (replacing one that is there).
pub fn enable(program: &Path) -> io::Result<()> {
    let folder = autostart_dir().ok_or_else(no_config_folder)?;
    std::fs::create_dir_all(&folder)?;
    // Written beside, then renamed: a session that reads the folder meanwhile sees the old
    // entry or the new one, never half of one.
    let partial = folder.join(format!(".{ENTRY_NAME}.partial"));
    std::fs::write(&partial, entry(program))?;
    std::fs::rename(&partial, folder.join(ENTRY_NAME))
}

/// Removes the entry; no entry is not an error.
pub fn disable() -> io::Result<()> {
    let folder = autostart_dir().ok_or_else(no_config_folder)?;
    match std::fs::remove_file(folder.join(ENTRY_NAME)) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

fn no_config_folder() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        "neither XDG_CONFIG_HOME nor HOME is set",
    )
}

/// The autostart entry that runs `program --hidden`.
pub fn entry(program: &Path) -> String {
    let exec = format!(
        "{} {HIDDEN_FLAG}",
        exec_argument(&program.to_string_lossy())
    );
    format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Name=Ferry\n\
         Comment=Ferry's transfer queue in the tray\n\
         Exec={exec}\n\
         Icon=ferry-desktop\n\
         Terminal=false\n\
         NoDisplay=true\n\
         X-GNOME-Autostart-enabled=true\n"
    )
}

/// `argument` as one argument of a desktop entry's `Exec` key: quoted when it holds a
/// reserved character, with the escapes the Desktop Entry Specification asks for (inside the
/// quotes, then once more for the string value), and `%` doubled so it is no field code.
fn exec_argument(argument: &str) -> String {
    const RESERVED: &[char] = &[
        ' ', '\t', '\n', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '(',
        ')', '`',
    ];
    let argument = argument.replace('%', "%%");
    if !argument.contains(RESERVED) {
        return argument;
    }
    let mut quoted = String::from("\"");
    for c in argument.chars() {
        match c {
            // `\` escapes the character inside the quotes, and each `\` of the value is
            // itself written `\\` in the file.
            '"' | '`' | '$' => quoted.push_str(&format!("\\\\{c}")),
            '\\' => quoted.push_str("\\\\\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            _ => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_starts_the_program_hidden() {
        let entry = entry(Path::new("/usr/bin/ferry-desktop"));

        assert!(entry.starts_with("[Desktop Entry]\n"), "{entry}");
        assert!(
            entry.contains("\nExec=/usr/bin/ferry-desktop --hidden\n"),
            "{entry}"
        );
        assert!(entry.contains("\nType=Application\n"), "{entry}");
    }

    #[test]
    fn a_path_with_reserved_characters_is_quoted_and_escaped() {
        assert_eq!(
            exec_argument("/opt/My Apps/ferry"),
            "\"/opt/My Apps/ferry\""
        );
        assert_eq!(exec_argument("/opt/a$b/ferry"), "\"/opt/a\\\\$b/ferry\"");
        assert_eq!(exec_argument("/opt/a\\b"), "\"/opt/a\\\\\\\\b\"");
        assert_eq!(exec_argument("/opt/100%/ferry"), "/opt/100%%/ferry");
    }
}
