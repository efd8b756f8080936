//! A crash never corrupts a file or loses a job: the owner killed with SIGKILL a hundred times
//! mid-transfer, then run to the end.

use std::time::Duration;

use ferry_engine::{Engine, FileSpec, JobState, JobType, Priority};

use crate::harness::test_config;
use crate::runs::{kill_runs, run_to_the_end};
use crate::servers::{body, Behaviour, TestServer};
use crate::util::{sha256, sha256_file, temp_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_transfer_a_hundred_times_loses_no_job_and_corrupts_no_file() {
    const JOBS: usize = 3;
    const FILES: usize = 2;
    // Large enough that a hundred runs of a fraction of a second each end mid-transfer.
    const SIZE: usize = 32_000_000;
    const KILLS: usize = 100;
    let mut server = TestServer::builder();
    let mut bodies = Vec::new();
    for job in 0..JOBS {
        for file in 0..FILES {
            let data = body(SIZE, (job * 10 + file) as u64);
            let drip = Behaviour::slow_drip(data.clone(), 16_384, Duration::from_millis(10));
            server = server.route(&format!("/{job}/{file}"), drip);
            bodies.push(data);
        }
    }
    let server = server.start().await;
    let data = temp_dir("crash-data");
    let files = temp_dir("crash-files");
    {
        let engine = Engine::start(test_config(), data.path()).await.unwrap();
        for job in 0..JOBS {
            let id = engine
                .create_job(&format!("job {job}"), JobType::Download)
                .unwrap();
            let specs = (0..FILES)
                .map(|file| FileSpec {
                    remote_url: server.url(&format!("/{job}/{file}")),
                    local_path: files.path().join(format!("{job}-{file}.bin")),
                })
                .collect();
            engine.add_files(id, specs).unwrap();
            engine.set_priority(id, Priority::Foreground).unwrap();
            engine.resume(id).unwrap();
        }
        engine.shutdown().await;
    }
    let mid_transfer_kills = kill_runs(data.path(), KILLS, 150..700, || {
        std::fs::read_dir(files.path())
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
    let ended = run_to_the_end(data.path()).await;
    assert!(
        ended.success(),
        "the last run finishes every job: {ended:?}"
    );

    let engine = Engine::start(test_config(), data.path()).await.unwrap();
    let jobs = engine.list();
    assert_eq!(jobs.len(), JOBS, "no job lost");
    for job in jobs {
        assert_eq!(job.state, JobState::Transferred);
        engine.complete(job.id).unwrap();
    }
    for job in 0..JOBS {
        for file in 0..FILES {
            let path = files.path().join(format!("{job}-{file}.bin"));
            assert_eq!(
                sha256_file(&path),
                sha256(&bodies[job * FILES + file]),
                "{} differs from the source",
                path.display()
            );
        }
    }
    engine.shutdown().await;
}

/// Files fetched over several connections: the owner killed with SIGKILL sixty times while
/// parts are in flight, then run to the end; every file is the server's, byte for byte (the
/// spans on disk kept in the store never name a byte that is not there).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_segmented_transfer_sixty_times_corrupts_no_file() {
    const JOBS: usize = 2;
    const FILES: usize = 2;
    // About 1.6 MB/s per connection: each run ends with parts in flight.
    const SIZE: usize = 16_000_000;
    const KILLS: usize = 60;
    let mut server = TestServer::builder();
    let mut bodies = Vec::new();
    for job in 0..JOBS {
        for file in 0..FILES {
            let data = body(SIZE, (100 + job * 10 + file) as u64);
            let drip = Behaviour::slow_drip(data.clone(), 16_384, Duration::from_millis(10));
            server = server.route(&format!("/{job}/{file}"), drip);
            bodies.push(data);
        }
    }
    let server = server.start().await;
    let data = temp_dir("segmented-crash-data");
    let files = temp_dir("segmented-crash-files");
    {
        let engine = Engine::start(test_config(), data.path()).await.unwrap();
        for job in 0..JOBS {
            let id = engine
                .create_job(&format!("job {job}"), JobType::Download)
                .unwrap();
            let specs = (0..FILES)
                .map(|file| FileSpec {
                    remote_url: server.url(&format!("/{job}/{file}")),
                    local_path: files.path().join(format!("{job}-{file}.bin")),
                })
                .collect();
            engine.add_files(id, specs).unwrap();
            engine.set_connections(id, 8).unwrap();
            engine.set_priority(id, Priority::Foreground).unwrap();
            engine.resume(id).unwrap();
        }
        engine.shutdown().await;
    }
    // The temporary files are preallocated, so their length says nothing: a transfer is in
    // flight while the owner has a connection open to the server.
    let mid_transfer_kills = kill_runs(data.path(), KILLS, 200..1200, || {
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
    let ended = run_to_the_end(data.path()).await;
    assert!(
        ended.success(),
        "the last run finishes every job: {ended:?}"
    );

    let engine = Engine::start(test_config(), data.path()).await.unwrap();
    let jobs = engine.list();
    assert_eq!(jobs.len(), JOBS, "no job lost");
    for job in jobs {
        assert_eq!(job.state, JobState::Transferred);
        engine.complete(job.id).unwrap();
    }
    for job in 0..JOBS {
        for file in 0..FILES {
            let path = files.path().join(format!("{job}-{file}.bin"));
            assert_eq!(
                sha256_file(&path),
                sha256(&bodies[job * FILES + file]),
                "{} differs from the source",
                path.display()
            );
        }
    }
    engine.shutdown().await;
}
