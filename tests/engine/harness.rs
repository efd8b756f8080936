//! An engine on real temporary folders, with helpers to wait for what a test expects.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ferry_engine::{
    Config, Engine, EngineEvent, ErrorCode, FileSpec, JobError, JobId, JobInfo, JobState, JobType,
    Priority,
};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;

use crate::util::temp_dir;

/// Longest a test waits for one expected change before failing.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// An engine with its own data folder and download folder.
pub struct TestEngine {
    /// The engine.
    pub engine: Engine,
    /// Where the store lives.
    pub data: tempfile::TempDir,
    /// Where downloads go.
    pub files: tempfile::TempDir,
    /// The configuration it was started with.
    pub config: Config,
}

/// A configuration for tests: quick progress ticks, and the network left as the test says
/// (`set_network_available`) rather than as this machine's interfaces are; everything else as
/// users get it.
pub fn test_config() -> Config {
    Config {
        progress_tick: Duration::from_millis(50),
        network_poll: None,
        ..Config::default()
    }
}

impl TestEngine {
    /// An engine with [`test_config`].
    pub async fn start(name: &str) -> TestEngine {
        TestEngine::start_with(name, |_| {}).await
    }

    /// An engine with [`test_config`] changed by `tune`.
    pub async fn start_with(name: &str, tune: impl FnOnce(&mut Config)) -> TestEngine {
        let mut config = test_config();
        tune(&mut config);
        let data = temp_dir(&format!("{name}-data"));
        let files = temp_dir(&format!("{name}-files"));
        let engine = Engine::start(config.clone(), data.path())
            .await
            .expect("the engine starts on a fresh folder");
        TestEngine {
            engine,
            data,
            files,
            config,
        }
    }

    /// Stops the engine and starts a new one on the same folders (a restart of Ferry).
    pub async fn restart(self) -> TestEngine {
        self.engine.shutdown().await;
        let engine = Engine::start(self.config.clone(), self.data.path())
            .await
            .expect("the engine restarts");
        TestEngine { engine, ..self }
    }

    /// A path in the download folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.files.path().join(name)
    }

    /// The bytes of the file `name` in the download folder.
    pub fn read(&self, name: &str) -> Vec<u8> {
        let path = self.path(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// A SUSPENDED download job holding `files` (URL, local name).
    pub fn job(&self, files: &[(&str, &str)]) -> JobId {
        let id = self
            .engine
            .create_job("test job", JobType::Download)
            .expect("create a job");
        let specs = files
            .iter()
            .map(|(url, name)| FileSpec {
                remote_url: (*url).to_owned(),
                local_path: self.path(name),
            })
            .collect();
        self.engine.add_files(id, specs).expect("add the files");
        id
    }

    /// A FOREGROUND download of `files`, resumed.
    pub fn start_job(&self, files: &[(&str, &str)]) -> JobId {
        let id = self.job(files);
        self.engine
            .set_priority(id, Priority::Foreground)
            .expect("set the priority");
        self.engine.resume(id).expect("resume");
        id
    }

    /// Waits until job `id` satisfies `condition`; fails with the job's last state otherwise.
    pub async fn wait(
        &self,
        id: JobId,
        what: &str,
        condition: impl Fn(&JobInfo) -> bool,
    ) -> JobInfo {
        self.wait_within(id, what, PATIENCE, condition).await
    }

    /// [`TestEngine::wait`] with a patience of its own, for work that is long by design (such
    /// as a thousand files, each made durable).
    pub async fn wait_within(
        &self,
        id: JobId,
        what: &str,
        patience: Duration,
        condition: impl Fn(&JobInfo) -> bool,
    ) -> JobInfo {
        let mut events = self.engine.subscribe();
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let job = self
                .engine
                .get(id)
                .unwrap_or_else(|e| panic!("job {id} vanished while waiting for {what}: {e}"));
            if condition(&job) {
                return job;
            }
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Ok(_)) | Ok(Err(RecvError::Lagged(_))) => {}
                Ok(Err(RecvError::Closed)) => panic!("the engine stopped while waiting for {what}"),
                Err(_) => panic!(
                    "gave up waiting for {what}: job is {} with error {:?}",
                    job.state, job.error
                ),
            }
        }
    }

    /// Waits until job `id` is in `state`.
    pub async fn wait_state(&self, id: JobId, state: JobState) -> JobInfo {
        self.wait(id, &format!("state {state}"), |job| job.state == state)
            .await
    }

    /// Waits until job `id` is in `state` (ERROR or TRANSIENT_ERROR) and returns its error.
    pub async fn wait_error(&self, id: JobId, state: JobState) -> JobError {
        self.wait_state(id, state)
            .await
            .error
            .unwrap_or_else(|| panic!("job {id} is {state} without an error"))
    }
}

/// The code of the error in `result`; fails the test if the call it comes from succeeded.
pub fn refusal<T: std::fmt::Debug>(result: ferry_engine::Result<T>) -> ErrorCode {
    result.expect_err("the engine refuses the call").code
}

/// Collects the events a receiver got so far, without waiting.
pub fn drain(events: &mut Receiver<EngineEvent>) -> Vec<EngineEvent> {
    let mut out = Vec::new();
    loop {
        match events.try_recv() {
            Ok(event) => out.push(event),
            Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => continue,
            Err(_) => return out,
        }
    }
}

/// Names of the files in `dir` (hidden temporaries included), sorted.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list the download folder")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// True when `name` is one of Ferry's temporary files.
pub fn is_temporary(name: &str) -> bool {
    name.ends_with(".part") && name.contains(".ferry-")
}
