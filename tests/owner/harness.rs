//! A real owner for one test: `ferry service` on a fresh data folder with a private runtime
//! folder (so its socket is the test's alone), and `ferry` commands run against it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ferry_owner::{endpoint, Client};
use tempfile::TempDir;

/// The `ferry` binary under test.
pub const FERRY: &str = env!("CARGO_BIN_EXE_ferry");

/// How long an owner gets to start listening or to stop.
const PATIENCE: Duration = Duration::from_secs(20);

/// A data folder and a runtime folder for one test, and the owner running on them (if any).
pub struct Owned {
    /// Holds the data folder (`data`), the runtime folder (`run`) and room for downloads.
    pub root: TempDir,
    /// The owner process, when this test started one with [`Owned::start`].
    pub owner: Option<Child>,
}

impl Owned {
    /// Folders only; no owner runs yet (a `ferry` command will start one).
    pub fn new(name: &str) -> Owned {
        let root = tempfile::Builder::new()
            .prefix(&format!("ferry-owner-{name}-"))
            .tempdir()
            .expect("a temporary folder");
        std::fs::create_dir(root.path().join("data")).expect("the data folder");
        let run = root.path().join("run");
        std::fs::create_dir(&run).expect("the runtime folder");
        set_mode(&run, 0o700);
        Owned { root, owner: None }
    }

    /// Folders and a `ferry service` running on them, listening.
    pub fn start(name: &str) -> Owned {
        let mut owned = Owned::new(name);
        owned.owner = Some(owned.spawn_service());
        owned.wait_listening();
        owned
    }

    /// Starts `ferry service` on this test's folders (not waiting for it).
    pub fn spawn_service(&self) -> Child {
        self.command()
            .arg("service")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ferry service starts")
    }

    /// The data folder.
    pub fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// The runtime folder (`XDG_RUNTIME_DIR`).
    pub fn runtime_dir(&self) -> PathBuf {
        self.root.path().join("run")
    }

    /// A path in this test's folder for downloads.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// Where the owner of this data folder listens.
    pub fn socket(&self) -> PathBuf {
        self.runtime_dir().join("ferry").join(
            endpoint::socket_path(&self.data_dir())
                .file_name()
                .expect("a name"),
        )
    }

    /// `ferry` with this test's data folder and runtime folder.
    pub fn command(&self) -> Command {
        let mut command = Command::new(FERRY);
        command
            .env("FERRY_DATA_DIR", self.data_dir())
            .env("XDG_RUNTIME_DIR", self.runtime_dir())
            .env("FERRY_PROGRAM", FERRY)
            .env_remove("RUST_LOG")
            .current_dir(self.root.path());
        command
    }

    /// Runs `ferry ARGS` to its end.
    pub fn ferry(&self, args: &[&str]) -> Output {
        self.command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("ferry runs")
    }

    /// Runs `ferry ARGS`, fails the test unless it exits 0, and returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.ferry(args);
        assert!(
            output.status.success(),
            "ferry {args:?} failed with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("UTF-8 output")
    }

    /// Waits until the owner accepts connections.
    pub fn wait_listening(&self) {
        let socket = self.socket();
        let deadline = Instant::now() + PATIENCE;
        while std::os::unix::net::UnixStream::connect(&socket).is_err() {
            assert!(
                Instant::now() < deadline,
                "the owner listens on {} within {PATIENCE:?}",
                socket.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A client of the owner (in this test's runtime).
    #[allow(dead_code)] // for the API tests
    pub async fn client(&self) -> Client {
        Client::connect(&self.socket())
            .await
            .expect("connect to the owner")
    }

    /// The pid of the process holding the data folder, from its lock file.
    pub fn holder_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.data_dir().join("ferry.lock")).ok()?;
        text.split_whitespace().next()?.parse().ok()
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        // Stop whatever owner runs on these folders (started here or by a `ferry` command).
        let _ = self.command().arg("stop").output();
        if let Some(mut owner) = self.owner.take() {
            let deadline = Instant::now() + PATIENCE;
            while owner.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = owner.kill();
            let _ = owner.wait();
        }
    }
}

/// Sets a path's permission bits.
pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}
