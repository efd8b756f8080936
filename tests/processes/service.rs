//! `ferry service`, the process under test: an owner on a data folder with a runtime folder of
//! its own (so its socket is the test's alone), read through the state changes its local API
//! announces, killed or stopped as a test needs; and jobs written into a store before an owner
//! opens it.

use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ferry_engine::{Engine, EngineEvent, FileSpec, JobId, JobInfo, JobState, JobType};
use ferry_owner::{endpoint, Call, Client, OwnerEvent};
use tokio::process::{Child, Command};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use tokio::time::Instant;

use crate::harness::{files_in, is_temporary, test_config, PATIENCE};
use crate::kill_moments::KillMoments;
use crate::servers::TestServer;
use crate::util::{temp_dir, wait_until};

/// The `ferry` binary under test.
pub const FERRY: &str = env!("CARGO_BIN_EXE_ferry");

/// Longest an owner gets to finish every job of [`run_to_the_end`].
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

/// How [`run_to_the_end`] went.
#[derive(Debug)]
pub struct Ended {
    /// The first job in ERROR, if one failed.
    pub failed: Option<String>,
    /// How the owner exited once asked to stop.
    pub status: ExitStatus,
}

impl Ended {
    /// Every job transferred and the owner stopped cleanly.
    pub fn success(&self) -> bool {
        self.failed.is_none() && self.status.success()
    }
}

/// Runs `ferry service` on the store in `data_dir` until every job is TRANSFERRED (or one
/// failed), then stops it.
pub async fn run_to_the_end(data_dir: &Path) -> Ended {
    let service = Service::start(data_dir).await;
    let failed = service.until_every_job_ends().await.err();
    let status = service.stop().await;
    Ended { failed, status }
}

/// Starts `ferry service` on the store in `data_dir` `rounds` times and kills it with SIGKILL
/// each time at a moment drawn from `window` (milliseconds after the start). Just before each
/// kill, `in_flight` tells whether a transfer was under way. Fails the test if an owner ended
/// on its own; returns how many kills hit a transfer in flight.
pub async fn kill_runs(
    data_dir: &Path,
    rounds: usize,
    window: Range<u64>,
    mut in_flight: impl FnMut() -> bool,
) -> usize {
    let runtime = Runtime::new();
    let mut moments = KillMoments::seeded();
    let mut hits = 0;
    for round in 0..rounds {
        let service = Service::spawn_on(data_dir, &runtime);
        tokio::time::sleep(moments.next(&window)).await;
        let hit = in_flight();
        let stderr = service.stderr();
        let status = service.kill().await;
        assert!(
            status.code().is_none(),
            "round {round}: the owner ended on its own with {status}: {stderr}"
        );
        hits += usize::from(hit);
    }
    hits
}

/// Runs an owner on the store in `data` and SIGKILLs it once a temporary file in `folder` holds
/// `bytes` bytes (long before the first progress write); runs it again to the end and checks
/// that the second run asked `server` only for what was not on disk yet.
pub async fn kill_early_then_resume(data: &Path, folder: &Path, bytes: u64, server: &TestServer) {
    let first = Service::spawn_on(data, &Runtime::new());
    wait_until("the first bytes on disk", || async move {
        files_in(folder).iter().any(|name| {
            is_temporary(name)
                && std::fs::metadata(folder.join(name)).is_ok_and(|m| m.len() >= bytes)
        })
    })
    .await;
    first.kill().await;
    let ended = run_to_the_end(data).await;
    assert!(ended.success(), "{ended:?}");
    let starts: Vec<Option<u64>> = server.requests().iter().map(|r| r.range_start()).collect();
    assert!(
        starts
            .get(1)
            .copied()
            .flatten()
            .is_some_and(|from| from >= bytes),
        "the second run continues from the bytes on disk: {starts:?}"
    );
}

/// One state of a job as the owner announced it.
#[derive(Debug)]
pub struct StateLine {
    /// When: the job's modification time, which the owner stamps from its own wall clock at
    /// every change of state.
    pub at: DateTime<Utc>,
    /// The job.
    pub job: JobId,
    /// The state.
    pub state: JobState,
    /// The error's code name, in ERROR and TRANSIENT_ERROR.
    pub error: Option<String>,
}

impl StateLine {
    fn of(job: &JobInfo) -> StateLine {
        let error = match (&job.error, job.state) {
            (Some(error), JobState::Error | JobState::TransientError) => {
                Some(error.code_name.clone())
            }
            _ => None,
        };
        StateLine {
            at: DateTime::from_timestamp_millis(job.times.modified)
                .expect("a modification time in range"),
            job: job.id,
            state: job.state,
            error,
        }
    }
}

/// An owner's state changes, one line per job and change: first every job as it was when the
/// subscription began, then each change as the owner announces it.
pub struct StateLines {
    client: Client,
    events: Receiver<OwnerEvent>,
    /// Lines read while looking for another job's, not yet asked for.
    unread: VecDeque<StateLine>,
    /// The last state read of each job (to tell a change in a snapshot after a lag).
    known: HashMap<JobId, JobState>,
}

impl StateLines {
    async fn subscribe(client: Client) -> StateLines {
        let (jobs, events) = client.subscribe().await.expect("subscribe to the owner");
        let mut lines = StateLines {
            client,
            events,
            unread: VecDeque::new(),
            known: HashMap::new(),
        };
        for job in &jobs {
            lines.push(job);
        }
        lines
    }

    fn push(&mut self, job: &JobInfo) {
        self.known.insert(job.id, job.state);
        self.unread.push_back(StateLine::of(job));
    }

    /// A job as a list shows it: a line only if its state is not the last one read.
    fn push_if_changed(&mut self, job: &JobInfo) {
        if self.known.get(&job.id) != Some(&job.state) {
            self.push(job);
        }
    }

    /// The next state line of `job` (lines of other jobs read meanwhile are kept for later).
    pub async fn next_of(&mut self, job: JobId) -> StateLine {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(at) = self.unread.iter().position(|line| line.job == job) {
                return self.unread.remove(at).expect("the line just found");
            }
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("a state line of job {job} within {PATIENCE:?}"));
            match event {
                Ok(OwnerEvent::Engine(event)) => {
                    if let EngineEvent::StateChanged { job, .. } = *event {
                        self.push(&job);
                    }
                }
                Ok(OwnerEvent::Snapshot(snapshot)) => {
                    for job in &snapshot.jobs {
                        self.push_if_changed(job);
                    }
                }
                Ok(OwnerEvent::Owner(_)) => {}
                Err(RecvError::Lagged(_)) => {
                    let jobs: Vec<JobInfo> = self.client.call(Call::List).await.expect("list");
                    for job in &jobs {
                        self.push_if_changed(job);
                    }
                }
                Err(RecvError::Closed) => panic!("the owner ended early"),
            }
        }
    }

    /// The first state line of `job` saying `state`; lines of other states before it are
    /// skipped, but an ERROR line fails the test.
    pub async fn until(&mut self, job: JobId, state: JobState) -> StateLine {
        loop {
            let line = self.next_of(job).await;
            if line.state == state {
                return line;
            }
            assert_ne!(line.state, JobState::Error, "the job failed: {line:?}");
        }
    }
}

/// Writes a job downloading `url` to `local` into the store in `data`, changed by `setup` and
/// resumed, without transferring anything: the owner under test is the first to run it.
pub async fn queue_job(
    data: &Path,
    url: &str,
    local: &Path,
    setup: impl FnOnce(&Engine, JobId),
) -> JobId {
    queue(data, JobType::Download, url, local, setup).await
}

/// [`queue_job`] for an upload (`job_type` Upload or UploadReply) of the file `local` to `url`.
pub async fn queue_upload(data: &Path, job_type: JobType, url: &str, local: &Path) -> JobId {
    queue(data, job_type, url, local, |_, _| {}).await
}

async fn queue(
    data: &Path,
    job_type: JobType,
    url: &str,
    local: &Path,
    setup: impl FnOnce(&Engine, JobId),
) -> JobId {
    let engine = Engine::open(test_config(), data).await.unwrap();
    let id = engine.create_job("queued", job_type).unwrap();
    engine
        .add_file(
            id,
            FileSpec {
                remote_url: url.to_owned(),
                local_path: local.to_owned(),
            },
        )
        .unwrap();
    setup(&engine, id);
    engine.resume(id).unwrap();
    engine.shutdown().await;
    id
}

/// Writes the owner's settings file into `data` with these BITS policies (JSON), so the owner
/// has them from its first moment.
pub fn write_policies(data: &Path, policies: &str) {
    let policies: serde_json::Value = serde_json::from_str(policies).expect("policies as JSON");
    let settings = serde_json::json!({ "policies": policies });
    std::fs::write(
        data.join(ferry_owner::settings::SETTINGS_FILE),
        settings.to_string(),
    )
    .expect("write the settings file");
}
