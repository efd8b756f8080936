//! `ferry-transfer run` as a child process, read through the line it prints for every state
//! change (`TIME JOB STATE [ERROR]`, the time from the process's own wall clock), and jobs
//! written into its store beforehand.

use std::path::Path;
use std::process::Stdio;

use chrono::{DateTime, Utc};
use ferry_engine::{Engine, FileSpec, JobId, JobType};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use crate::harness::{run_to_the_end, test_config, PATIENCE};
use crate::servers::TestServer;
use crate::util::wait_until;

/// The `ferry-transfer` binary under test.
pub const FERRY_TRANSFER: &str = env!("CARGO_BIN_EXE_ferry-transfer");

/// One line of `ferry-transfer run`: when, which job, which state, which error.
#[derive(Debug)]
pub struct StateLine {
    /// The time the process read from its wall clock.
    pub at: DateTime<Utc>,
    /// The job, as `{uuid}`.
    pub job: String,
    /// The state's BITS name.
    pub state: String,
    /// The error's code name, in ERROR and TRANSIENT_ERROR.
    pub error: Option<String>,
}

fn parse_line(line: &str) -> StateLine {
    let words: Vec<&str> = line.split_whitespace().collect();
    let [at, job, state, rest @ ..] = words.as_slice() else {
        panic!("not a state line: {line}");
    };
    StateLine {
        at: DateTime::parse_from_rfc3339(at)
            .unwrap_or_else(|e| panic!("no time in {line}: {e}"))
            .with_timezone(&Utc),
        job: (*job).to_owned(),
        state: (*state).to_owned(),
        error: rest.first().map(|e| (*e).to_owned()),
    }
}

/// A running `ferry-transfer run`, killed when dropped.
pub struct RunProcess {
    /// The process.
    pub child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    /// Lines read while looking for another job's, not yet asked for.
    unread: Vec<StateLine>,
}

impl RunProcess {
    /// Spawns `command` (which ends up running `ferry-transfer run`), reading its output.
    pub fn spawn(mut command: Command) -> RunProcess {
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("start ferry-transfer");
        let stdout = child.stdout.take().expect("piped stdout");
        RunProcess {
            child,
            lines: BufReader::new(stdout).lines(),
            unread: Vec::new(),
        }
    }

    /// The process id (for tools that join its namespaces).
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the process is running")
    }

    /// The next state line of `job` (lines of other jobs read meanwhile are kept for later).
    pub async fn next_of(&mut self, job: JobId) -> StateLine {
        let job = job.to_string();
        if let Some(at) = self.unread.iter().position(|line| line.job == job) {
            return self.unread.remove(at);
        }
        loop {
            let line = tokio::time::timeout(PATIENCE, self.lines.next_line())
                .await
                .expect("a state line in time")
                .expect("read the output")
                .expect("ferry-transfer ended early");
            let parsed = parse_line(&line);
            if parsed.job == job {
                return parsed;
            }
            self.unread.push(parsed);
        }
    }

    /// The first state line of `job` saying `state`; lines of other states before it are
    /// skipped, but an ERROR line fails the test.
    pub async fn until(&mut self, job: JobId, state: &str) -> StateLine {
        loop {
            let line = self.next_of(job).await;
            if line.state == state {
                return line;
            }
            assert_ne!(line.state, "ERROR", "the job failed: {line:?}");
        }
    }
}

/// Runs the queue in `data` and SIGKILLs it once a temporary file in `folder` holds `bytes`
/// bytes (long before the first progress write); runs it again to the end and checks that the
/// second run asked `server` only for what was not on disk yet.
pub async fn kill_early_then_resume(data: &Path, folder: &Path, bytes: u64, server: &TestServer) {
    let mut first = run(data);
    kill_once_a_temporary_holds(&mut first, folder, bytes).await;
    assert!(run_to_the_end(data).success());
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

/// SIGKILLs `run` as soon as a temporary file in `folder` holds `bytes` bytes.
async fn kill_once_a_temporary_holds(run: &mut RunProcess, folder: &Path, bytes: u64) {
    wait_until("the first bytes on disk", || async move {
        crate::harness::files_in(folder).iter().any(|name| {
            crate::harness::is_temporary(name)
                && std::fs::metadata(folder.join(name)).is_ok_and(|m| m.len() >= bytes)
        })
    })
    .await;
    run.child.kill().await.expect("SIGKILL the engine");
}

/// Writes a job downloading `url` to `local` into the store in `data`, changed by `setup` and
/// resumed, without transferring anything: the process under test is the first to run it.
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

/// `ferry-transfer run` on the store in `data`, read through its state lines.
pub fn run(data: &Path) -> RunProcess {
    let mut command = Command::new(FERRY_TRANSFER);
    command.args(["run", "--data-dir"]).arg(data);
    RunProcess::spawn(command)
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

#[test]
fn state_lines_are_parsed_with_and_without_an_error() {
    let line = parse_line("2026-11-24T16:59:55.004Z {8b57} TRANSIENT_ERROR BG_E_BLOCKED_BY_POLICY");
    assert_eq!(line.job, "{8b57}");
    assert_eq!(line.state, "TRANSIENT_ERROR");
    assert_eq!(line.error.as_deref(), Some("BG_E_BLOCKED_BY_POLICY"));
    assert_eq!(line.at.timestamp_millis() % 1000, 4);
    assert_eq!(parse_line("2026-11-24T17:00:00Z {8b57} QUEUED").error, None);
}
