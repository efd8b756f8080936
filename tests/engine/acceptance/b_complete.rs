//! Section B: Complete (download cases).

use std::time::Duration;

use ferry_engine::{ErrorCode, JobState};

use crate::harness::{files_in, is_temporary, TestEngine};
use crate::servers::{body, Behaviour, TestServer};
use crate::util::sha256;

#[tokio::test]
async fn b16_complete_of_a_transferred_two_file_job_keeps_both() {
    let (a, b) = (body(70_000, 1), body(90_000, 2));
    let server = TestServer::builder()
        .route("/a", Behaviour::full(a.clone()))
        .route("/b", Behaviour::full(b.clone()))
        .start()
        .await;
    let t = TestEngine::start("b16").await;
    let id = t.start_job(&[(&server.url("/a"), "a.bin"), (&server.url("/b"), "b.bin")]);
    t.wait_state(id, JobState::Transferred).await;
    let outcome = t.engine.complete(id).unwrap();
    assert_eq!(outcome.code, ErrorCode::S_OK);
    assert_eq!(outcome.state, JobState::Acknowledged);
    assert_eq!(sha256(&t.read("a.bin")), sha256(&a));
    assert_eq!(sha256(&t.read("b.bin")), sha256(&b));
    assert_eq!(
        files_in(t.files.path()),
        ["a.bin", "b.bin"],
        "no temporary file may remain"
    );
}

#[tokio::test]
async fn b18_complete_after_file_2_failed_keeps_file_1_only() {
    let a = body(50_000, 3);
    let server = TestServer::builder()
        .route("/a", Behaviour::full(a.clone()))
        .route("/b", Behaviour::status(404))
        .start()
        .await;
    let t = TestEngine::start("b18").await;
    let id = t.start_job(&[(&server.url("/a"), "a.bin"), (&server.url("/b"), "b.bin")]);
    t.wait_state(id, JobState::Error).await;
    let outcome = t.engine.complete(id).unwrap();
    assert_eq!(outcome.code, ErrorCode::BG_S_PARTIAL_COMPLETE);
    assert_eq!(outcome.kept, [t.path("a.bin")]);
    assert_eq!(outcome.discarded, [t.path("b.bin")]);
    assert_eq!(t.read("a.bin"), a);
    assert_eq!(files_in(t.files.path()), ["a.bin"]);
}

#[tokio::test]
async fn b19_before_complete_only_a_temporary_file_exists() {
    let server = TestServer::start(Behaviour::full(body(10_000, 4))).await;
    let t = TestEngine::start("b19").await;
    let id = t.start_job(&[(&server.url("/a"), "a.bin")]);
    let job = t.wait_state(id, JobState::Transferred).await;
    assert!(
        !t.path("a.bin").exists(),
        "the final file must not exist before Complete"
    );
    let names = files_in(t.files.path());
    assert_eq!(names.len(), 1);
    assert!(is_temporary(&names[0]), "{names:?}");
    assert_eq!(
        job.files[0].temp_path.as_deref().and_then(|p| p.parent()),
        Some(t.files.path())
    );
}

#[tokio::test]
async fn b20_a_failed_rename_leaves_the_job_transferred_with_renamed_files_visible() {
    let server = TestServer::start(Behaviour::full(body(20_000, 6))).await;
    let t = TestEngine::start("b20").await;
    let id = t.start_job(&[(&server.url("/a"), "a.bin"), (&server.url("/b"), "b.bin")]);
    t.wait_state(id, JobState::Transferred).await;
    std::fs::create_dir(t.path("b.bin")).unwrap(); // something in the way of the second rename
    let outcome = t.engine.complete(id).unwrap();
    assert_eq!(outcome.state, JobState::Transferred);
    assert_eq!(outcome.rename_failures.len(), 1);
    assert_eq!(outcome.rename_failures[0].path, t.path("b.bin"));
    let job = t.engine.get(id).unwrap();
    assert_eq!(job.state, JobState::Transferred);
    assert!(
        job.files[0].completed && !job.files[1].completed,
        "per-file completed flags tell what is available"
    );
    assert!(t.path("a.bin").is_file());
    std::fs::remove_dir(t.path("b.bin")).unwrap();
    let again = t.engine.complete(id).unwrap();
    assert_eq!(
        (again.code, again.state),
        (ErrorCode::S_OK, JobState::Acknowledged)
    );
    assert!(t.path("b.bin").is_file());
}

#[tokio::test]
async fn b21_complete_while_the_third_of_five_files_transfers_keeps_files_one_and_two() {
    let slow = Behaviour::slow_drip(body(5_000_000, 9), 4096, Duration::from_millis(10));
    let server = TestServer::builder()
        .route("/1", Behaviour::full(body(1000, 1)))
        .route("/2", Behaviour::full(body(1000, 2)))
        .route("/3", slow)
        .route("/4", Behaviour::full(body(1000, 4)))
        .route("/5", Behaviour::full(body(1000, 5)))
        .start()
        .await;
    let t = TestEngine::start("b21").await;
    let names = ["1", "2", "3", "4", "5"];
    let urls: Vec<String> = names.iter().map(|n| server.url(&format!("/{n}"))).collect();
    let files: Vec<(&str, &str)> = urls.iter().map(String::as_str).zip(names).collect();
    let id = t.start_job(&files);
    t.wait(id, "file 3 in flight", |j| j.files[2].bytes_transferred > 0)
        .await;
    let outcome = t.engine.complete(id).unwrap();
    assert_eq!(outcome.code, ErrorCode::BG_S_PARTIAL_COMPLETE);
    assert_eq!(files_in(t.files.path()), ["1", "2"]);
}

#[tokio::test]
async fn b22_an_upload_job_cannot_complete_before_transferred() {
    let t = TestEngine::start("b22").await;
    let source = t.path("up.bin");
    std::fs::write(&source, b"data").unwrap();
    let id = t
        .engine
        .create_job("up", ferry_engine::JobType::Upload)
        .unwrap();
    t.engine
        .add_file(
            id,
            ferry_engine::FileSpec {
                remote_url: "http://127.0.0.1:9/up".into(),
                local_path: source,
            },
        )
        .unwrap();
    assert_eq!(
        t.engine.complete(id).unwrap_err().code,
        ErrorCode::BG_E_INVALID_STATE
    );
    assert_eq!(t.engine.get(id).unwrap().state, JobState::Suspended);
}

#[tokio::test]
async fn b18_a_partial_complete_is_in_the_history_with_the_files_and_bytes_it_kept() {
    let a = body(50_000, 31);
    let server = TestServer::builder()
        .route("/a", Behaviour::full(a.clone()))
        .route(
            "/b",
            Behaviour::Stall {
                resource: crate::servers::Resource::new(body(80_000, 32)),
                after: 20_000,
            },
        )
        .route("/c", Behaviour::full(body(1_000, 33)))
        .start()
        .await;
    let t = TestEngine::start("b18-history").await;
    let id = t.start_job(&[
        (&server.url("/a"), "a.bin"),
        (&server.url("/b"), "b.bin"),
        (&server.url("/c"), "c.bin"),
    ]);
    t.wait(id, "part of file 2", |job| {
        job.progress.bytes_transferred >= 70_000
    })
    .await;
    t.engine.suspend(id).unwrap();
    let outcome = t.engine.complete(id).unwrap();
    assert_eq!(outcome.code, ErrorCode::BG_S_PARTIAL_COMPLETE);

    let history = t.engine.history(10).unwrap();
    let entry = history
        .iter()
        .find(|h| h.id == id)
        .expect("a history entry");
    assert_eq!(entry.state, JobState::Acknowledged);
    assert_eq!(
        (entry.files_total, entry.files_kept),
        (3, 1),
        "the entry says one of three files was kept"
    );
    assert_eq!(
        entry.bytes_kept, 50_000,
        "the kept size counts only the kept file, not the discarded partial bytes"
    );
    assert_eq!(entry.files, [t.path("a.bin")]);
}
