//! A crash never corrupts a file or loses a job: the owner killed with SIGKILL a hundred times
//! mid-transfer, then run to the end.

use std::time::Duration;

use ferry_engine::{Engine, FileSpec, JobState, JobType, Priority};

use crate::harness::test_config;
use crate::runs::{kill_runs, run_to_the_end};
use crate::servers::{body, Behaviour, TestServer};
use crate::util::{sha256, sha256_file, temp_dir};

/// Jobs of files served slowly, made by an engine that stops before the runs are killed.
struct Crashing {
    server: TestServer,
    bodies: Vec<bytes::Bytes>,
    data: tempfile::TempDir,
    files: tempfile::TempDir,
    jobs: usize,
    files_per_job: usize,
}

impl Crashing {
    /// `jobs` FOREGROUND jobs of `files_per_job` files of `size` bytes each (contents from
    /// `seed`), each job over at most `connections` connections per file.
    async fn prepare(
        name: &str,
        jobs: usize,
        files_per_job: usize,
        size: usize,
        seed: u64,
        connections: u32,
    ) -> Crashing {
        let mut server = TestServer::builder();
        let mut bodies = Vec::new();
        for job in 0..jobs {
            for file in 0..files_per_job {
                let data = body(size, seed + (job * 10 + file) as u64);
                let drip = Behaviour::slow_drip(data.clone(), 16_384, Duration::from_millis(10));
                server = server.route(&format!("/{job}/{file}"), drip);
                bodies.push(data);
            }
        }
        let server = server.start().await;
        let data = temp_dir(&format!("{name}-data"));
        let files = temp_dir(&format!("{name}-files"));
        let engine = Engine::start(test_config(), data.path()).await.unwrap();
        for job in 0..jobs {
            let id = engine
                .create_job(&format!("job {job}"), JobType::Download)
                .unwrap();
            let specs = (0..files_per_job)
                .map(|file| FileSpec {
                    remote_url: server.url(&format!("/{job}/{file}")),
                    local_path: files.path().join(format!("{job}-{file}.bin")),
                })
                .collect();
            engine.add_files(id, specs).unwrap();
            if connections > 1 {
                engine.set_connections(id, connections).unwrap();
            }
            engine.set_priority(id, Priority::Foreground).unwrap();
            engine.resume(id).unwrap();
        }
        engine.shutdown().await;
        Crashing {
            server,
            bodies,
            data,
            files,
            jobs,
            files_per_job,
        }
    }

    /// Runs the owner to the end, completes every job and checks that no job was lost and
    /// that every file is the server's, byte for byte.
    async fn finish_and_check(&self) {
        let ended = run_to_the_end(self.data.path()).await;
        assert!(
            ended.success(),
            "the last run finishes every job: {ended:?}"
        );
        let engine = Engine::start(test_config(), self.data.path())
            .await
            .unwrap();
        let jobs = engine.list();
        assert_eq!(jobs.len(), self.jobs, "no job lost");
        for job in jobs {
            assert_eq!(job.state, JobState::Transferred);
            engine.complete(job.id).unwrap();
        }
        for job in 0..self.jobs {
            for file in 0..self.files_per_job {
                let path = self.files.path().join(format!("{job}-{file}.bin"));
                assert_eq!(
                    sha256_file(&path),
                    sha256(&self.bodies[job * self.files_per_job + file]),
                    "{} differs from the source",
                    path.display()
                );
            }
        }
        engine.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_transfer_a_hundred_times_loses_no_job_and_corrupts_no_file() {
    // Large enough that a hundred runs of a fraction of a second each end mid-transfer.
    const SIZE: usize = 32_000_000;
    const KILLS: usize = 100;
    let crashing = Crashing::prepare("crash", 3, 2, SIZE, 0, 1).await;
    let mid_transfer_kills = kill_runs(crashing.data.path(), KILLS, 150..700, || {
        std::fs::read_dir(crashing.files.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .any(|e| {
                e.metadata()
                    .map(|m| m.len() > 0 && m.len() < SIZE as u64)
                    .unwrap_or(false)
            })
    })
    .await;
    assert!(
        mid_transfer_kills >= KILLS / 2,
        "only {mid_transfer_kills} of {KILLS} kills hit a transfer in flight"
    );
    crashing.finish_and_check().await;
}

/// Files fetched over several connections: the owner killed with SIGKILL sixty times while
/// parts are in flight, then run to the end; every file is the server's, byte for byte (the
/// spans on disk kept in the store never name a byte that is not there).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_segmented_transfer_sixty_times_corrupts_no_file() {
    // About 1.6 MB/s per connection: each run ends with parts in flight.
    const KILLS: usize = 60;
    let crashing = Crashing::prepare("segmented-crash", 2, 2, 16_000_000, 100, 8).await;
    // The temporary files are preallocated, so their length says nothing: a transfer is in
    // flight while the owner has a connection open to the server.
    let server = &crashing.server;
    let mid_transfer_kills = kill_runs(crashing.data.path(), KILLS, 200..1200, || {
        server.open_connections() > 0
    })
    .await;
    assert!(
        mid_transfer_kills >= KILLS / 2,
        "only {mid_transfer_kills} of {KILLS} kills hit a transfer in flight"
    );
    let ranged = server
        .requests()
        .iter()
        .filter(|r| r.range_start().is_some_and(|start| start > 0))
        .count();
    assert!(
        ranged > KILLS,
        "parts were fetched over ranges: {ranged} requests"
    );
    crashing.finish_and_check().await;
}
