//! Section G: notifications (engine events and the notify command line).

use std::time::Duration;

use ferry_engine::{notify_flags, EngineEvent, ErrorCode, JobState, NotifyCommand};

use crate::harness::{drain, TestEngine};
use crate::servers::{body, Behaviour, TestServer};

#[tokio::test]
async fn g83_transient_errors_raise_no_job_error() {
    let server = TestServer::start(Behaviour::status(503)).await;
    let t = TestEngine::start("g83").await;
    let mut events = t.engine.subscribe();
    let id = t.start_job(&[(&server.url("/f"), "f")]);
    t.wait_state(id, JobState::TransientError).await;
    assert!(!drain(&mut events)
        .iter()
        .any(|e| matches!(e, EngineEvent::JobError { .. })));
}

#[tokio::test]
async fn g84_no_modification_event_for_transitions_into_error_or_transferred() {
    let server = TestServer::builder()
        .route("/ok", Behaviour::full(body(100, 1)))
        .route("/bad", Behaviour::status(404))
        .start()
        .await;
    let t = TestEngine::start("g84").await;
    let mut events = t.engine.subscribe();
    let ok = t.start_job(&[(&server.url("/ok"), "ok")]);
    let bad = t.start_job(&[(&server.url("/bad"), "bad")]);
    t.wait_state(ok, JobState::Transferred).await;
    t.wait_state(bad, JobState::Error).await;
    let events = drain(&mut events);
    let transferred_at = events
        .iter()
        .position(|e| matches!(e, EngineEvent::JobTransferred { job } if job.id == ok));
    assert!(transferred_at.is_some(), "JobTransferred was sent");
    assert!(events
        .iter()
        .any(|e| matches!(e, EngineEvent::JobError { job, .. } if job.id == bad)));
    for event in &events {
        if let EngineEvent::JobModified { job } = event {
            assert!(
                !matches!(job.state, JobState::Transferred | JobState::Error),
                "JobModified for a transition into {}",
                job.state
            );
        }
    }
}

#[tokio::test]
async fn g85_file_transferred_comes_before_job_transferred() {
    let server = TestServer::start(Behaviour::full(body(100, 2))).await;
    let t = TestEngine::start("g85").await;
    let mut events = t.engine.subscribe();
    let id = t.job(&[(&server.url("/a"), "a"), (&server.url("/b"), "b")]);
    t.engine
        .set_notify_flags(id, notify_flags::DEFAULT | notify_flags::FILE_TRANSFERRED)
        .unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    let order: Vec<String> = drain(&mut events)
        .into_iter()
        .filter_map(|e| match e {
            EngineEvent::FileTransferred { file_index, .. } => Some(format!("file{file_index}")),
            EngineEvent::JobTransferred { .. } => Some("job".into()),
            _ => None,
        })
        .collect();
    assert_eq!(order, ["file0", "file1", "job"]);
}

#[tokio::test]
async fn g86_notify_disable_suppresses_job_transferred() {
    let server = TestServer::start(Behaviour::full(body(100, 3))).await;
    let t = TestEngine::start("g86").await;
    let mut events = t.engine.subscribe();
    let id = t.job(&[(&server.url("/a"), "a")]);
    t.engine
        .set_notify_flags(id, notify_flags::DISABLE | notify_flags::JOB_TRANSFERRED)
        .unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    assert!(!drain(&mut events)
        .iter()
        .any(|e| matches!(e, EngineEvent::JobTransferred { .. })));
}

#[tokio::test]
async fn g87_unknown_notify_flags_are_e_notimpl() {
    let t = TestEngine::start("g87").await;
    let id = t
        .engine
        .create_job("x", ferry_engine::JobType::Download)
        .unwrap();
    assert_eq!(
        t.engine.set_notify_flags(id, 0x40).unwrap_err().code,
        ErrorCode::E_NOTIMPL
    );
}

#[tokio::test]
async fn g88_the_notify_program_runs_on_transferred_and_again_while_it_fails() {
    let server = TestServer::start(Behaviour::full(body(100, 4))).await;
    let t = TestEngine::start("g88").await;
    let marker = t.files.path().join("runs.log");
    let script = format!("echo run >> '{}'; exit 1", marker.display());
    let id = t.job(&[(&server.url("/a"), "a")]);
    t.engine.set_minimum_retry_delay(id, 5).unwrap();
    t.engine
        .set_notify_command(
            id,
            Some(NotifyCommand {
                program: "/bin/sh".into(),
                args: vec!["-c".into(), script],
            }),
        )
        .unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    let runs = || {
        std::fs::read_to_string(&marker)
            .map(|s| s.lines().count())
            .unwrap_or(0)
    };
    crate::util::wait_until("the first run", || async { runs() >= 1 }).await;
    assert_eq!(runs(), 1, "one run, then a pause of the retry delay");
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    assert_eq!(
        runs(),
        2,
        "a failing program runs again after the minimum retry delay"
    );
    t.engine.complete(id).unwrap();
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    assert_eq!(runs(), 2, "no run once the job is completed");
}

#[tokio::test]
async fn g90_a_relative_program_is_refused_and_none_removes_it() {
    let t = TestEngine::start("g90").await;
    let id = t
        .engine
        .create_job("x", ferry_engine::JobType::Download)
        .unwrap();
    let relative = NotifyCommand {
        program: "notify.sh".into(),
        args: vec![],
    };
    assert_eq!(
        t.engine
            .set_notify_command(id, Some(relative))
            .unwrap_err()
            .code,
        ErrorCode::E_INVALIDARG
    );
    t.engine
        .set_notify_command(
            id,
            Some(NotifyCommand {
                program: "/bin/true".into(),
                args: vec![],
            }),
        )
        .unwrap();
    t.engine.set_notify_command(id, None).unwrap();
    assert_eq!(t.engine.get(id).unwrap().settings.notify_command, None);
}
