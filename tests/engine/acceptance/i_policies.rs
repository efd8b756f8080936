//! Section I: policies.

use std::time::Duration;

use ferry_engine::{ByteRange, EngineEvent, ErrorCode, FileSpec, JobType};

use crate::harness::{drain, files_in, TestEngine};
use crate::servers::{body, Behaviour, TestServer};

/// Creates `count` download jobs, every one of which must be accepted.
fn create_jobs(t: &TestEngine, count: usize) {
    for i in 0..count {
        t.engine
            .create_job(&format!("job {i}"), JobType::Download)
            .unwrap_or_else(|e| panic!("job {i} of {count} is refused: {e}"));
    }
}

/// The error of creating one more download job, which must be refused.
fn refusal_of_one_more_job(t: &TestEngine) -> ErrorCode {
    t.engine
        .create_job("one more", JobType::Download)
        .expect_err("one more job is refused")
        .code
}

#[tokio::test]
async fn i98_the_61st_job_of_a_user_is_bg_e_too_many_jobs_per_user() {
    let t = TestEngine::start("i98").await;
    create_jobs(&t, 60);
    assert_eq!(
        refusal_of_one_more_job(&t),
        ErrorCode::BG_E_TOO_MANY_JOBS_PER_USER
    );
    let first = t.engine.list()[0].id;
    t.engine.cancel(first).unwrap();
    assert!(
        t.engine
            .create_job("after a cancel", JobType::Download)
            .is_ok(),
        "final jobs do not count"
    );
}

#[tokio::test]
async fn i99_the_machine_limit_is_bg_e_too_many_jobs_per_machine() {
    let t = TestEngine::start_with("i99", |c| {
        c.policies.max_jobs_per_user = 1000;
        c.policies.max_jobs_per_machine = 300;
    })
    .await;
    create_jobs(&t, 300);
    assert_eq!(
        refusal_of_one_more_job(&t),
        ErrorCode::BG_E_TOO_MANY_JOBS_PER_MACHINE
    );
}

#[tokio::test]
async fn i100_501_ranges_are_bg_e_too_many_ranges_in_file() {
    let t = TestEngine::start("i100").await;
    let id = t.engine.create_job("x", JobType::Download).unwrap();
    let ranges: Vec<ByteRange> = (0..501)
        .map(|i| ByteRange {
            offset: i * 10,
            length: Some(5),
        })
        .collect();
    let file = FileSpec {
        remote_url: "http://127.0.0.1:9/f".into(),
        local_path: t.path("f"),
    };
    assert_eq!(
        t.engine
            .add_file_with_ranges(id, file.clone(), ranges[..501].to_vec())
            .unwrap_err()
            .code,
        ErrorCode::BG_E_TOO_MANY_RANGES_IN_FILE
    );
    assert!(t
        .engine
        .add_file_with_ranges(id, file, ranges[..500].to_vec())
        .is_ok());
}

#[tokio::test]
async fn i101_an_untouched_transferred_job_is_cancelled_after_the_inactivity_timeout() {
    let server = TestServer::start(Behaviour::full(body(1000, 1))).await;
    let t = TestEngine::start_with("i101", |c| {
        c.inactivity_sweep_interval = Duration::from_millis(200)
    })
    .await;
    let id = t.start_job(&[(&server.url("/f"), "f")]);
    t.wait_state(id, ferry_engine::JobState::Transferred).await;
    assert_eq!(files_in(t.files.path()).len(), 1, "a temporary file exists");
    let mut events = t.engine.subscribe();
    let mut policies = t.engine.policies();
    policies.job_inactivity_timeout_secs = 1;
    t.engine.set_policies(policies);
    crate::util::wait_until("the inactivity sweep", || async {
        t.engine.get(id).is_err()
    })
    .await;
    assert!(
        files_in(t.files.path()).is_empty(),
        "its temporary files are deleted"
    );
    let auto = drain(&mut events).into_iter().find_map(|e| match e {
        EngineEvent::JobAutoCancelled { id: job, .. } => Some(job),
        _ => None,
    });
    assert_eq!(
        auto,
        Some(id),
        "an event says it was cancelled for inactivity"
    );
    assert!(t.engine.history(1).unwrap()[0].auto_cancelled);
}

#[tokio::test]
async fn i_inactivity_survives_a_restart_and_its_event_reaches_early_subscribers() {
    let t = TestEngine::start("i-restart").await;
    let id = t.engine.create_job("idle", JobType::Download).unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let mut t = t.restart().await;
    assert!(
        t.engine.get(id).is_ok(),
        "the default timeout keeps the job"
    );
    t.engine.shutdown().await;
    t.config.policies.job_inactivity_timeout_secs = 1;
    let engine = ferry_engine::Engine::open(t.config.clone(), t.data.path())
        .await
        .unwrap();
    let mut events = engine.subscribe();
    engine.run();
    let t = TestEngine { engine, ..t };
    crate::util::wait_until("the sweep at start", || async { t.engine.get(id).is_err() }).await;
    let announced = drain(&mut events)
        .iter()
        .any(|e| matches!(e, EngineEvent::JobAutoCancelled { id: job, .. } if *job == id));
    assert!(
        announced,
        "a subscriber set up before run() hears of the cancel at start"
    );
}
