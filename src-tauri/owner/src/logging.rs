//! Logging: to stderr and to a log file in the data directory (`ferry.log` for the owner,
//! `window.log` for the window, `tray.log` for the tray). `RUST_LOG` picks the level (default `info`). A log file is
//! started afresh once it passes 5 MiB, keeping the previous one as `<name>.1`.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::Mutex;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// The owner's log file inside the data directory.
pub const OWNER_LOG: &str = "ferry.log";
/// The window's log file inside the data directory.
pub const WINDOW_LOG: &str = "window.log";
/// The tray's log file inside the data directory.
pub const TRAY_LOG: &str = "tray.log";

const ROTATE_AT_BYTES: u64 = 5 * 1024 * 1024;

/// Installs the global subscriber, writing to `file_name` in `data_dir` and to stderr. Logging
/// to the file is skipped (with a note on stderr) when the file cannot be opened.
pub fn init(data_dir: &Path, file_name: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,zbus=warn"));
    let file = match open_log(data_dir, file_name) {
        Ok(file) => Some(file),
        Err(error) => {
            eprintln!(
                "ferry: cannot open the log file in {}: {error}",
                data_dir.display()
            );
            None
        }
    };
    let file_layer = file.map(|file| fmt::layer().with_ansi(false).with_writer(Mutex::new(file)));
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr))
        .with(file_layer)
        .try_init();
    if let Err(error) = installed {
        eprintln!("ferry: logging was already set up: {error}");
    }
}

fn open_log(data_dir: &Path, file_name: &str) -> std::io::Result<File> {
    let path = data_dir.join(file_name);
    if std::fs::metadata(&path).is_ok_and(|meta| meta.len() > ROTATE_AT_BYTES) {
        std::fs::rename(&path, data_dir.join(format!("{file_name}.1")))?;
    }
    OpenOptions::new().create(true).append(true).open(path)
}
