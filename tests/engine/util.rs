//! Small helpers shared by the engine's integration tests.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};

/// How many times [`wait_until`] checks its condition before failing.
const POLLS: usize = 500;
/// Pause between two checks of [`wait_until`].
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// A fresh temporary directory for one test, deleted when dropped; `name` shows up in its
/// path so a leftover directory tells which test made it.
pub fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("ferry-test-{name}-"))
        .tempdir()
        .expect("create a temporary directory")
}

/// A port on 127.0.0.1 that nothing listens on: bound to find a free one, then released, so
/// connections to it are refused.
pub fn closed_port() -> u16 {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0 to find a free port");
    listener
        .local_addr()
        .expect("a bound socket has an address")
        .port()
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Lower-case hex SHA-256 of the file at `path`.
pub fn sha256_file(path: &Path) -> String {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("read {} to hash it: {e}", path.display()));
    sha256(&bytes)
}

/// Waits until `condition` holds, checking it up to 500 times 20 ms apart (10 s of real time),
/// and fails the test naming `what` if it never does. For waits on real processes and sockets;
/// under `tokio::time::pause()` the pauses pass instantly, so drive the clock instead.
pub async fn wait_until<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..POLLS {
        if condition().await {
            return;
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    panic!("gave up waiting for {what} after {POLLS} checks");
}
