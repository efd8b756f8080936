//! A restart never corrupts a file or loses a job: restarts mid-transfer, unreadable stores (the
//! SIGKILL crash test runs the owner's process: `tests/processes/restart.rs`).

use std::time::Duration;

use ferry_engine::{Engine, JobState};

use crate::harness::{test_config, TestEngine};
use crate::servers::{body, Behaviour, TestServer};
use crate::util::{sha256, sha256_file, temp_dir};

#[tokio::test]
async fn a_restart_resumes_a_running_job_from_its_temporary_file() {
    let data = body(3_000_000, 1);
    let drip = Behaviour::slow_drip(data.clone(), 16_384, Duration::from_millis(10));
    let server = TestServer::start(drip).await;
    let t = TestEngine::start("restart").await;
    let id = t.start_job(&[(&server.url("/f"), "f")]);
    t.wait(id, "a part of the file", |j| {
        j.progress.bytes_transferred > 200_000
    })
    .await;
    let t = t.restart().await;
    let job = t.engine.get(id).expect("the job survives the restart");
    assert!(job.files[0].bytes_transferred > 0, "progress is kept");
    let resumed_from = job.files[0].bytes_transferred;
    t.wait_state(id, JobState::Transferred).await;
    t.engine.complete(id).unwrap();
    assert_eq!(sha256_file(&t.path("f")), sha256(&data));
    let ranges: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.header("range").map(str::to_owned))
        .collect();
    assert!(
        ranges
            .iter()
            .any(|r| r.starts_with("bytes=") && r != "bytes=0-"),
        "the second run asked only for the missing part (from about {resumed_from}): {ranges:?}"
    );
}

#[tokio::test]
async fn an_unreadable_store_is_moved_aside_with_a_clear_error() {
    let data = temp_dir("bad-store");
    std::fs::write(data.path().join("ferry.db"), vec![0x42; 8192]).unwrap();
    let error = Engine::start(test_config(), data.path())
        .await
        .err()
        .expect("a garbage store is refused");
    assert!(
        error.message.contains("could not be read"),
        "{}",
        error.message
    );
    let engine = Engine::start(test_config(), data.path())
        .await
        .expect("the next start begins afresh");
    assert!(engine.list().is_empty());
    let kept: Vec<_> = std::fs::read_dir(data.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("unreadable"))
        .collect();
    assert_eq!(kept.len(), 1, "the unreadable store is kept for the user");
}
