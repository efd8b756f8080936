//! Logging: to stderr and to `ferry.log` in the data directory. `RUST_LOG` picks the level
//! (default `info`). The log file is started afresh once it passes 5 MiB, keeping the
//! previous one as `ferry.log.1`.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::Mutex;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// Name of the log file inside the data directory.
pub const LOG_FILE: &str = "ferry.log";

const ROTATE_AT_BYTES: u64 = 5 * 1024 * 1024;

/// Installs the global subscriber. Logging to the file is skipped (with a note on stderr) when
/// the file cannot be opened.
pub fn init(data_dir: &Path) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,zbus=warn"));
    let file = match open_log(data_dir) {
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

fn open_log(data_dir: &Path) -> std::io::Result<File> {
    let path = data_dir.join(LOG_FILE);
    if std::fs::metadata(&path).is_ok_and(|meta| meta.len() > ROTATE_AT_BYTES) {
        std::fs::rename(&path, data_dir.join(format!("{LOG_FILE}.1")))?;
    }
    OpenOptions::new().create(true).append(true).open(path)
}
