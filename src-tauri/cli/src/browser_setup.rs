//! `ferry browser install | uninstall | manifest`: the native messaging host manifests that
//! let the browser extension (ui/extension) start `ferry` as its host.
//!
//! The manifests' text comes from [`manifest`] alone, so a package build writes the system
//! ones with `ferry browser manifest chromium --path /usr/bin/ferry` (into
//! `/etc/chromium/native-messaging-hosts/` and `/etc/opt/chrome/native-messaging-hosts/`) and
//! `ferry browser manifest firefox --path /usr/bin/ferry` (into
//! `/usr/lib/mozilla/native-messaging-hosts/`), each as `<HOST_NAME>.json`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use ferry_engine::ErrorCode;
use ferry_owner::ApiError;

use crate::Outcome;

/// The host's name: the manifests' file name (without `.json`) and what the extension asks
/// `connectNative` for.
pub const HOST_NAME: &str = "ferry.handoff";

/// The extension's id in Chromium, fixed by the public `key` in ui/extension/manifest.json
/// (the first 32 hex digits of the SHA-256 of that key, written with the letters a to p).
pub const CHROMIUM_EXTENSION_ID: &str = "gniimlejbnjekiladepgmfmalmjfpbjh";

/// The extension's id in Firefox (`browser_specific_settings.gecko.id` in its manifest).
pub const FIREFOX_EXTENSION_ID: &str = "handoff@ferry.invalid";

/// `ferry browser`: set up the browser hand-off.
#[derive(Debug, Args)]
pub struct BrowserArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: BrowserAction,
}

/// What `ferry browser` does.
#[derive(Debug, Subcommand)]
pub enum BrowserAction {
    /// Write this user's host manifests for Chromium, Chrome and Firefox, pointing at this
    /// `ferry`.
    Install,
    /// Remove the manifests `install` wrote.
    Uninstall,
    /// Print a host manifest (for packages: the system-wide manifests).
    Manifest {
        /// Its browser family.
        #[arg(value_enum)]
        browser: Family,
        /// The absolute path of the `ferry` program the browser starts.
        #[arg(long, value_name = "PATH")]
        path: PathBuf,
    },
}

/// A browser family: each reads one manifest format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Family {
    /// Chromium, Chrome and browsers built on Chromium (`allowed_origins`).
    Chromium,
    /// Firefox (`allowed_extensions`).
    Firefox,
}

/// The manifest that lets `family`'s browser start `program` for Ferry's extension.
pub fn manifest(family: Family, program: &Path) -> serde_json::Value {
    let mut manifest = serde_json::json!({
        "name": HOST_NAME,
        "description": "Ferry: downloads handed over by the browser",
        "path": program,
        "type": "stdio",
    });
    let (key, allowed) = match family {
        Family::Chromium => (
            "allowed_origins",
            format!("chrome-extension://{CHROMIUM_EXTENSION_ID}/"),
        ),
        Family::Firefox => ("allowed_extensions", FIREFOX_EXTENSION_ID.to_owned()),
    };
    manifest[key] = serde_json::json!([allowed]);
    manifest
}

/// This user's manifest folders: (family, folder). Chromium and Chrome follow
/// `$XDG_CONFIG_HOME`; Firefox reads `~/.mozilla`.
pub fn user_folders() -> Vec<(Family, PathBuf)> {
    let mut folders = Vec::new();
    if let Some(config) = dirs::config_dir() {
        for browser in ["chromium", "google-chrome"] {
            folders.push((
                Family::Chromium,
                config.join(browser).join("NativeMessagingHosts"),
            ));
        }
    }
    if let Some(home) = dirs::home_dir() {
        folders.push((
            Family::Firefox,
            home.join(".mozilla").join("native-messaging-hosts"),
        ));
    }
    folders
}

/// Runs `ferry browser …`.
pub fn run(args: &BrowserArgs) -> Outcome {
    match &args.action {
        BrowserAction::Manifest { browser, path } => {
            if !path.is_absolute() {
                return Err(ApiError::new(
                    ErrorCode::E_INVALIDARG,
                    format!("the path must be absolute, not {}", path.display()),
                ));
            }
            let text = pretty(&manifest(*browser, path)).map_err(ApiError::internal)?;
            println!("{text}");
            Ok(())
        }
        BrowserAction::Install => {
            let program = std::env::current_exe()
                .and_then(std::fs::canonicalize)
                .map_err(|e| ApiError::io("cannot find this program", &e))?;
            for (family, folder) in user_folders() {
                let file = folder.join(format!("{HOST_NAME}.json"));
                std::fs::create_dir_all(&folder)
                    .and_then(|()| {
                        std::fs::write(&file, pretty(&manifest(family, &program))? + "\n")
                    })
                    .map_err(|e| ApiError::io(format!("cannot write {}", file.display()), &e))?;
                println!("{}", file.display());
            }
            println!(
                "Now load the extension (ui/extension) in the browser; it starts {}.",
                program.display()
            );
            Ok(())
        }
        BrowserAction::Uninstall => {
            for (_, folder) in user_folders() {
                let file = folder.join(format!("{HOST_NAME}.json"));
                match std::fs::remove_file(&file) {
                    Ok(()) => println!("removed {}", file.display()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(ApiError::io(
                            format!("cannot remove {}", file.display()),
                            &e,
                        ))
                    }
                }
            }
            Ok(())
        }
    }
}

fn pretty(value: &serde_json::Value) -> std::io::Result<String> {
    serde_json::to_string_pretty(value).map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_family_names_only_ferrys_extension() {
        let chromium = manifest(Family::Chromium, Path::new("/usr/bin/ferry"));
        assert_eq!(chromium["name"], HOST_NAME);
        assert_eq!(chromium["path"], "/usr/bin/ferry");
        assert_eq!(chromium["type"], "stdio");
        assert_eq!(
            chromium["allowed_origins"],
            serde_json::json!(["chrome-extension://gniimlejbnjekiladepgmfmalmjfpbjh/"])
        );
        assert!(chromium.get("allowed_extensions").is_none());
        let firefox = manifest(Family::Firefox, Path::new("/opt/ferry/ferry"));
        assert_eq!(
            firefox["allowed_extensions"],
            serde_json::json!([FIREFOX_EXTENSION_ID])
        );
        assert!(firefox.get("allowed_origins").is_none());
    }

    #[test]
    fn the_extension_manifest_carries_the_ids_the_host_allows() {
        let text = include_str!("../../../ui/extension/manifest.json");
        let extension: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            extension["browser_specific_settings"]["gecko"]["id"],
            FIREFOX_EXTENSION_ID
        );
        let key = extension["key"].as_str().unwrap();
        assert_eq!(chromium_id(key), CHROMIUM_EXTENSION_ID);
    }

    /// Chromium's id of an extension with public key `key` (base64 DER).
    fn chromium_id(key: &str) -> String {
        use base64::Engine;
        use sha2::Digest;
        let der = base64::engine::general_purpose::STANDARD
            .decode(key)
            .unwrap();
        let digest = sha2::Sha256::digest(der);
        digest[..16]
            .iter()
            .flat_map(|byte| [byte >> 4, byte & 0xf])
            .map(|nibble| char::from(b'a' + nibble))
            .collect()
    }
}
