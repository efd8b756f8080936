//! `ferry service`, the process under test: an owner on a data folder with a runtime folder of
//! its own (so its socket is the test's alone), started, asked to stop or killed as a test
//! needs, and watched through its local API.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferry_engine::{JobInfo, JobState};
use ferry_owner::{endpoint, Call, Client};
use tokio::process::{Child, Command};
use tokio::time::Instant;

use crate::harness::PATIENCE;
use crate::lines::StateLines;
use crate::util::temp_dir;

/// The `ferry` binary under test.
pub const FERRY: &str = env!("CARGO_BIN_EXE_ferry");

/// Longest an owner gets to finish every job (see [`Service::until_every_job_ends`]).
const RUN_PATIENCE: Duration = Duration::from_secs(300);

/// A runtime folder (`XDG_RUNTIME_DIR`, mode 0700) for the owners and commands of one test;
/// removed once the last handle on it goes.
#[derive(Clone)]
pub struct Runtime(Arc<tempfile::TempDir>);

impl Runtime {
    /// A fresh, private runtime folder.
    pub fn new() -> Runtime {
        let dir = temp_dir("runtime");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .expect("make the runtime folder private");
        Runtime(Arc::new(dir))
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// Where the owner of `data_dir` listens in this runtime folder.
    pub fn socket(&self, data_dir: &Path) -> PathBuf {
        let name = endpoint::socket_path(data_dir);
        self.path()
            .join("ferry")
            .join(name.file_name().expect("a socket has a name"))
    }

    /// Gives `command` this runtime folder and the `ferry` under test (for an owner started
    /// on demand), and nothing of the test's own Ferry environment.
    pub fn apply<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        command
            .env("XDG_RUNTIME_DIR", self.path())
            .env("FERRY_PROGRAM", FERRY)
            .env_remove("FERRY_DATA_DIR")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .kill_on_drop(true)
    }

    /// `ferry --data-dir DATA_DIR` in this runtime folder; the caller adds the verb.
    pub fn ferry(&self, data_dir: &Path) -> Command {
        let mut command = Command::new(FERRY);
        command.arg("--data-dir").arg(data_dir);
        self.apply(&mut command);
        command
    }

    /// `ferry service` on `data_dir` in this runtime folder.
    pub fn service(&self, data_dir: &Path) -> Command {
        let mut command = self.ferry(data_dir);
        command.arg("service");
        command
    }

    /// A new file in this folder to hold a process's stderr.
    fn stderr_file(&self) -> (PathBuf, std::fs::File) {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = self.path().join(format!(
            "service-{}.stderr",
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let file = std::fs::File::create(&path).expect("a file for the owner's stderr");
        (path, file)
    }
}

/// A running `ferry service` (or a command that ends up exec-ing it), killed if dropped.
pub struct Service {
    /// The process.
    pub child: Child,
    data_dir: PathBuf,
    runtime: Runtime,
    stderr: PathBuf,
}

impl Service {
    /// `ferry service` on `data_dir` with a runtime folder of its own, once it listens.
    pub async fn start(data_dir: &Path) -> Service {
        let mut service = Service::spawn_on(data_dir, &Runtime::new());
        service.listening().await;
        service
    }

    /// `ferry service` on `data_dir` in `runtime`, not waited for.
    pub fn spawn_on(data_dir: &Path, runtime: &Runtime) -> Service {
        Service::spawn(runtime.service(data_dir), data_dir, runtime)
    }

    /// Spawns `command`, which ends up running `ferry service` on `data_dir` in `runtime`; its
    /// stdout is dropped and its stderr kept in a file (see [`Service::stderr`]).
    pub fn spawn(mut command: Command, data_dir: &Path, runtime: &Runtime) -> Service {
        let (stderr, file) = runtime.stderr_file();
        command
            .stdout(Stdio::null())
            .stderr(file)
            .kill_on_drop(true);
        let child = command.spawn().expect("start ferry service");
        Service {
            child,
            data_dir: data_dir.to_owned(),
            runtime: runtime.clone(),
            stderr,
        }
    }

    /// The runtime folder its socket is in.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The process id (for signals and for tools that join its namespaces).
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the process is running")
    }

    /// What the process wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Waits until the owner accepts connections; fails if the process ends first.
    pub async fn listening(&mut self) {
        let socket = self.runtime.socket(&self.data_dir);
        let deadline = Instant::now() + PATIENCE;
        while tokio::net::UnixStream::connect(&socket).await.is_err() {
            if let Some(status) = self.child.try_wait().expect("poll ferry service") {
                panic!(
                    "ferry service ended with {status} before it listened: {}",
                    self.stderr()
                );
            }
            assert!(
                Instant::now() < deadline,
                "ferry service listens on {} within {PATIENCE:?}",
                socket.display()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A client of the owner.
    pub async fn client(&self) -> Client {
        Client::connect(&self.runtime.socket(&self.data_dir))
            .await
            .expect("connect to the owner")
    }

    /// The owner's state changes from now on, after every job as it is now.
    pub async fn lines(&self) -> StateLines {
        StateLines::subscribe(self.client().await).await
    }

    /// Waits until every job is TRANSFERRED (`Ok`) or one is in ERROR (`Err` with its error),
    /// as the owner lists them.
    pub async fn until_every_job_ends(&self) -> Result<(), String> {
        let client = self.client().await;
        let deadline = Instant::now() + RUN_PATIENCE;
        loop {
            let jobs: Vec<JobInfo> = client.call(Call::List).await.expect("list the jobs");
            if let Some(failed) = jobs.iter().find(|j| j.state == JobState::Error) {
                return Err(format!("job {} failed: {:?}", failed.id, failed.error));
            }
            if jobs.iter().all(|j| j.state == JobState::Transferred) {
                return Ok(());
            }
            assert!(
                Instant::now() < deadline,
                "every job ends within {RUN_PATIENCE:?}: {:?}",
                jobs.iter()
                    .map(|j| (j.state, j.progress.bytes_transferred))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Asks the owner to stop, as `ferry stop` does, and returns how the process exited.
    pub async fn stop(mut self) -> ExitStatus {
        if let Ok(client) = Client::connect(&self.runtime.socket(&self.data_dir)).await {
            // The answer may be lost as the owner goes; the exit status says how it went.
            let _ = client.call_value(Call::Shutdown).await;
        }
        tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .expect("the owner stops when asked")
            .expect("reap the owner")
    }

    /// Kills the process with SIGKILL and returns how it ended (by the signal, unless it had
    /// ended by itself).
    pub async fn kill(mut self) -> ExitStatus {
        self.child.start_kill().expect("SIGKILL ferry service");
        self.child.wait().await.expect("reap ferry service")
    }
}
