//! Section A: creation, states, Suspend/Resume.

use std::time::Duration;

use ferry_engine::{ErrorCode, JobState, JobType, Priority};

use crate::harness::{drain, refusal, TestEngine};
use crate::servers::{body, Behaviour, TestServer};
use crate::util::closed_port;

#[tokio::test]
async fn a01_create_job_returns_a_fresh_id_in_suspended() {
    let t = TestEngine::start("a01").await;
    let id = t.engine.create_job("x", JobType::Download).unwrap();
    let job = t.engine.get(id).unwrap();
    assert_eq!(job.state, JobState::Suspended);
    assert_eq!(job.settings.display_name, "x");
    assert_ne!(id.0, uuid::Uuid::nil());
}

#[tokio::test]
async fn a02_two_jobs_with_the_same_name_get_different_ids() {
    let t = TestEngine::start("a02").await;
    let a = t.engine.create_job("same", JobType::Download).unwrap();
    let b = t.engine.create_job("same", JobType::Download).unwrap();
    assert_ne!(a, b);
    assert_eq!(t.engine.list().len(), 2);
}

#[tokio::test]
async fn a03_a_257_character_name_is_refused_and_no_job_exists() {
    let t = TestEngine::start("a03").await;
    let err = t
        .engine
        .create_job(&"n".repeat(257), JobType::Download)
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::E_INVALIDARG);
    assert!(t.engine.list().is_empty());
    assert!(
        t.engine
            .create_job(&"n".repeat(256), JobType::Download)
            .is_ok(),
        "256 characters are allowed"
    );
}

#[tokio::test]
async fn a04_resume_without_files_is_bg_e_empty() {
    let t = TestEngine::start("a04").await;
    let id = t.engine.create_job("x", JobType::Download).unwrap();
    assert_eq!(t.engine.resume(id).unwrap_err().code, ErrorCode::BG_E_EMPTY);
    assert_eq!(t.engine.get(id).unwrap().state, JobState::Suspended);
}

#[tokio::test]
async fn a05_resume_with_a_file_queues_then_connects_then_transfers() {
    let server = TestServer::start(Behaviour::full(body(300_000, 5))).await;
    let t = TestEngine::start("a05").await;
    let id = t.job(&[(&server.url("/f"), "f")]);
    let mut events = t.engine.subscribe();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    let states: Vec<JobState> = drain(&mut events)
        .into_iter()
        .filter_map(|e| match e {
            ferry_engine::EngineEvent::StateChanged { job, .. } if job.id == id => Some(job.state),
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        [
            JobState::Queued,
            JobState::Connecting,
            JobState::Transferring,
            JobState::Transferred
        ]
    );
}

fn slow(len: usize) -> Behaviour {
    Behaviour::slow_drip(body(len, 7), 4096, Duration::from_millis(20))
}

#[tokio::test]
async fn a06_resume_while_transferring_changes_nothing() {
    let server = TestServer::start(slow(2_000_000)).await;
    let t = TestEngine::start("a06").await;
    let id = t.start_job(&[(&server.url("/f"), "f")]);
    t.wait_state(id, JobState::Transferring).await;
    t.engine
        .resume(id)
        .expect("Resume of a TRANSFERRING job succeeds");
    assert_eq!(t.engine.get(id).unwrap().state, JobState::Transferring);
}

#[tokio::test]
async fn a07_suspend_stops_bytes_until_resume() {
    let server = TestServer::start(slow(2_000_000)).await;
    let t = TestEngine::start("a07").await;
    let id = t.start_job(&[(&server.url("/f"), "f")]);
    t.wait(id, "some bytes", |j| j.progress.bytes_transferred > 20_000)
        .await;
    t.engine.suspend(id).unwrap();
    assert_eq!(t.engine.get(id).unwrap().state, JobState::Suspended);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let temp = t.engine.get(id).unwrap().files[0]
        .temp_path
        .clone()
        .unwrap();
    let at_suspend = std::fs::metadata(&temp).unwrap().len();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        std::fs::metadata(&temp).unwrap().len(),
        at_suspend,
        "no byte may arrive while suspended"
    );
    t.engine.resume(id).unwrap();
    t.wait(id, "more bytes after Resume", |j| {
        j.progress.bytes_transferred > at_suspend
    })
    .await;
}

#[tokio::test]
async fn a08_suspend_of_a_suspended_job_succeeds() {
    let t = TestEngine::start("a08").await;
    let id = t.engine.create_job("x", JobType::Download).unwrap();
    t.engine.suspend(id).unwrap();
    t.engine.suspend(id).unwrap();
    assert_eq!(t.engine.get(id).unwrap().state, JobState::Suspended);
}

#[tokio::test]
async fn a09_final_jobs_refuse_suspend_resume_complete_cancel() {
    let t = TestEngine::start("a09").await;
    let cancelled = t.engine.create_job("c", JobType::Download).unwrap();
    t.engine.cancel(cancelled).unwrap();
    let acknowledged = t.engine.create_job("a", JobType::Download).unwrap();
    t.engine.complete(acknowledged).unwrap();
    let invalid = ErrorCode::BG_E_INVALID_STATE;
    for id in [cancelled, acknowledged] {
        assert_eq!(refusal(t.engine.suspend(id)), invalid);
        assert_eq!(refusal(t.engine.resume(id)), invalid);
        assert_eq!(refusal(t.engine.complete(id)), invalid);
        assert_eq!(refusal(t.engine.cancel(id)), invalid);
    }
}

#[tokio::test]
async fn a10_final_jobs_refuse_every_setter() {
    let t = TestEngine::start("a10").await;
    let id = t.engine.create_job("c", JobType::Download).unwrap();
    t.engine.cancel(id).unwrap();
    let invalid = ErrorCode::BG_E_INVALID_STATE;
    assert_eq!(refusal(t.engine.set_priority(id, Priority::High)), invalid);
    assert_eq!(refusal(t.engine.set_display_name(id, "y")), invalid);
    assert_eq!(refusal(t.engine.set_description(id, "y")), invalid);
    assert_eq!(refusal(t.engine.set_notify_flags(id, 3)), invalid);
    assert_eq!(refusal(t.engine.set_minimum_retry_delay(id, 60)), invalid);
    assert_eq!(refusal(t.engine.set_no_progress_timeout(id, 60)), invalid);
}

#[tokio::test]
async fn a11_acknowledged_jobs_are_not_listed() {
    let server = TestServer::start(Behaviour::full(body(1000, 11))).await;
    let t = TestEngine::start("a11").await;
    let id = t.start_job(&[(&server.url("/f"), "f")]);
    t.wait_state(id, JobState::Transferred).await;
    t.engine.complete(id).unwrap();
    assert!(t.engine.list().iter().all(|j| j.id != id));
    assert_eq!(
        t.engine.history(10).unwrap()[0].id,
        id,
        "finished jobs go to the history"
    );
}

#[tokio::test]
async fn a12_a_refused_connection_is_a_transient_error() {
    let port = closed_port();
    let t = TestEngine::start("a12").await;
    let id = t.start_job(&[(&format!("http://127.0.0.1:{port}/f"), "f")]);
    let error = t.wait_error(id, JobState::TransientError).await;
    assert_eq!(error.code, ErrorCode::ERROR_WINHTTP_CANNOT_CONNECT);
}

#[tokio::test]
async fn a13_owner_log_off_requeues_and_log_on_resumes() {
    let server = TestServer::start(slow(2_000_000)).await;
    let t = TestEngine::start("a13").await;
    let id = t.start_job(&[(&server.url("/f"), "f")]);
    t.wait_state(id, JobState::Transferring).await;
    t.engine.set_owner_active(false);
    t.wait_state(id, JobState::Queued).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        t.engine.get(id).unwrap().state,
        JobState::Queued,
        "nothing runs while the owner is away"
    );
    t.engine.set_owner_active(true);
    t.wait_state(id, JobState::Transferring).await;
}

#[tokio::test]
async fn a14_network_loss_moves_queued_and_transferring_jobs_to_transient_error() {
    let server = TestServer::start(slow(2_000_000)).await;
    let t = TestEngine::start_with("a14", |c| c.foreground_concurrency = 1).await;
    let running = t.start_job(&[(&server.url("/f"), "f")]);
    t.wait_state(running, JobState::Transferring).await;
    let queued = t.start_job(&[(&server.url("/g"), "g")]);
    assert_eq!(
        t.engine.get(queued).unwrap().state,
        JobState::Queued,
        "one foreground slot: the second job waits"
    );
    t.engine.set_network_available(false);
    for id in [running, queued] {
        let error = t.wait_error(id, JobState::TransientError).await;
        assert_eq!(error.code, ErrorCode::BG_E_NETWORK_DISCONNECTED);
    }
}

#[tokio::test]
async fn a15_network_back_requeues_every_transient_error() {
    let port = closed_port();
    let t = TestEngine::start("a15").await;
    let refused = t.start_job(&[(&format!("http://127.0.0.1:{port}/f"), "f")]);
    t.wait_state(refused, JobState::TransientError).await;
    t.engine.set_network_available(false);
    t.engine.set_network_available(true);
    t.wait(refused, "a retry at once", |j| {
        j.error_count >= 2 || j.state != JobState::TransientError
    })
    .await;
}
