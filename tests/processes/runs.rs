//! Runs of the owner on a store: to the end (every job TRANSFERRED, then a clean stop), or
//! killed with SIGKILL at random moments or once the first bytes are on disk.

use std::ops::Range;
use std::path::Path;
use std::process::ExitStatus;

use crate::harness::{files_in, is_temporary};
use crate::kill_moments::KillMoments;
use crate::servers::TestServer;
use crate::service::{Runtime, Service};
use crate::util::wait_until;

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
