//! The owner killed mid-transfer, again and again: each time a client starts it again, and in
//! the end nothing is lost. SIGKILL at random moments (seeded; `FERRY_KILL_SEED` replays a run)
//! while three jobs of two ~32 MB files each download from a server that honours ranges.

use std::ops::Range;
use std::path::Path;
use std::time::{Duration, Instant};

use ferry_engine::{JobInfo, JobState};
use ferry_owner::{Call, Client};
use serde_json::json;

use crate::api::{download, Raw};
use crate::harness::Owned;
use crate::kill_moments::KillMoments;
use crate::servers::{body, Behaviour, TestServer};
use crate::util::{sha256, sha256_file};

/// Jobs in the queue.
const JOBS: usize = 3;
/// Files per job.
const FILES: usize = 2;
/// Bytes per file: large enough that most kills land mid-transfer.
const SIZE: usize = 32_000_000;
/// SIGKILLs of the owner.
const KILLS: usize = 50;
/// When a kill comes, in milliseconds after the owner answered its first client.
const KILL_WINDOW: Range<u64> = 50..600;
/// The server's pace per connection: this many bytes every 10 ms.
const BYTES_PER_TICK: usize = 16_384;

/// True while some file in `folder` holds part of a file (more than nothing, less than all).
fn transfer_in_flight(folder: &Path) -> bool {
    std::fs::read_dir(folder)
        .expect("list the download folder")
        .flatten()
        .any(|e| {
            e.metadata()
                .map(|m| m.is_file() && m.len() > 0 && m.len() < SIZE as u64)
                .unwrap_or(false)
        })
}

/// True once process `pid` is gone or a zombie (its files, and so its lock, are closed).
fn dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_killed_fifty_times_mid_transfer_and_restarted_by_a_client_loses_nothing() {
    let started = Instant::now();
    let mut server = TestServer::builder();
    let mut bodies = Vec::new();
    for job in 0..JOBS {
        for file in 0..FILES {
            let data = body(SIZE, (job * 10 + file) as u64 + 100);
            let drip =
                Behaviour::slow_drip(data.clone(), BYTES_PER_TICK, Duration::from_millis(10));
            server = server.route(&format!("/{job}/{file}"), drip);
            bodies.push(data);
        }
    }
    let server = server.start().await;
    let owned = Owned::new("crash");
    let downloads = owned.path("downloads");
    std::fs::create_dir(&downloads).expect("the download folder");
    let socket = owned.socket();

    // A client finds no owner and starts one; the jobs go in through the API.
    owned.ok(&["list"]);
    {
        let client = Client::connect(&socket).await.expect("connect");
        for job in 0..JOBS {
            let files: Vec<_> = (0..FILES)
                .map(|file| {
                    (
                        server.url(&format!("/{job}/{file}")),
                        downloads.join(format!("{job}-{file}.bin")),
                    )
                })
                .collect();
            download(&client, &format!("job {job}"), &files).await;
        }
    }

    let mut moments = KillMoments::seeded();
    let mut in_flight = 0;
    let mut pids = Vec::new();
    for round in 0..KILLS {
        if round > 0 {
            // A client finds the owner gone and starts it again.
            owned.ok(&["list"]);
        }
        let mut raw = Raw::connect(&socket);
        let pid = raw.hello(1);
        let jobs = raw.call(2, "list", None);
        assert_eq!(
            jobs["ok"].as_array().map(Vec::len),
            Some(JOBS),
            "round {round}: every job is in the queue: {jobs}"
        );
        assert!(!pids.contains(&pid), "round {round}: a new owner answers");
        pids.push(pid);
        tokio::time::sleep(moments.next(&KILL_WINDOW)).await;
        in_flight += usize::from(transfer_in_flight(&downloads));
        let killed = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(
            killed.success(),
            "round {round}: SIGKILL the owner (pid {pid})"
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        // Its lock and its socket go with its last thread, a moment after the process shows as
        // a zombie.
        while !dead(pid) || std::os::unix::net::UnixStream::connect(&socket).is_ok() {
            assert!(Instant::now() < deadline, "round {round}: the owner dies");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    println!(
        "{KILLS} kills in {:?}, {in_flight} of them mid-transfer",
        started.elapsed()
    );
    assert!(
        in_flight >= KILLS * 3 / 4,
        "only {in_flight} of {KILLS} kills hit a transfer in flight"
    );

    // A last client starts the owner, which finishes every job (at full speed now: the kills
    // are over, the rest only has to arrive whole).
    for job in 0..JOBS {
        for file in 0..FILES {
            let data = bodies[job * FILES + file].clone();
            server.set_route(&format!("/{job}/{file}"), Behaviour::full(data));
        }
    }
    owned.ok(&["list"]);
    let client = Client::connect(&socket).await.expect("connect");
    let deadline = Instant::now() + Duration::from_secs(120);
    let jobs = loop {
        let jobs: Vec<JobInfo> = client.call(Call::List).await.expect("list");
        assert_eq!(jobs.len(), JOBS, "no job lost");
        assert!(
            jobs.iter()
                .all(|j| !matches!(j.state, JobState::Error | JobState::Cancelled)),
            "no job failed: {:?}",
            jobs.iter().map(|j| (j.state, &j.error)).collect::<Vec<_>>()
        );
        if jobs.iter().all(|j| j.state == JobState::Transferred) {
            break jobs;
        }
        assert!(
            Instant::now() < deadline,
            "every job transfers: {:?}",
            jobs.iter()
                .map(|j| (j.state, j.progress.bytes_transferred))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for job in &jobs {
        client
            .call_value(Call::Complete { job: job.id })
            .await
            .expect("complete");
    }
    for job in 0..JOBS {
        for file in 0..FILES {
            let path = downloads.join(format!("{job}-{file}.bin"));
            assert_eq!(
                sha256_file(&path),
                sha256(&bodies[job * FILES + file]),
                "{} differs from the source",
                path.display()
            );
        }
    }
    let mut left: Vec<String> = std::fs::read_dir(&downloads)
        .expect("list the download folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let expected: Vec<String> = (0..JOBS)
        .flat_map(|job| (0..FILES).map(move |file| format!("{job}-{file}.bin")))
        .collect();
    assert_eq!(left, expected, "the files, and no temporary left behind");
    let resumed = server
        .requests()
        .iter()
        .filter(|r| r.range_start().is_some_and(|s| s > 0))
        .count();
    assert!(resumed > 0, "restarted owners resumed with ranges");
    assert_eq!(
        client.call_value(Call::List).await.expect("list"),
        json!([])
    );
    println!(
        "crash test: {KILLS} kills, {resumed} ranged resumes, {:?} in all",
        started.elapsed()
    );
}
