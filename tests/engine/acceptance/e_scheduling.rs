//! Section E: scheduling and priority.

use std::collections::HashSet;
use std::time::Duration;

use ferry_engine::{EngineEvent, ErrorCode, JobId, JobState, JobType, Priority};

use crate::harness::TestEngine;
use crate::servers::{body, Behaviour, TestServer};

fn slow(len: usize, seed: u64) -> Behaviour {
    Behaviour::slow_drip(body(len, seed), 4096, Duration::from_millis(20))
}

fn job_with_priority(t: &TestEngine, url: &str, name: &str, priority: Priority) -> JobId {
    let id = t.job(&[(url, name)]);
    t.engine.set_priority(id, priority).unwrap();
    id
}

#[tokio::test]
async fn e51_a_low_job_gets_no_time_until_the_normal_job_is_done() {
    let server = TestServer::builder()
        .route("/normal", slow(120_000, 1))
        .route("/low", Behaviour::full(body(1000, 2)))
        .start()
        .await;
    let t = TestEngine::start("e51").await;
    let normal = job_with_priority(&t, &server.url("/normal"), "n", Priority::Normal);
    let low = job_with_priority(&t, &server.url("/low"), "l", Priority::Low);
    let mut events = t.engine.subscribe();
    t.engine.resume(normal).unwrap();
    t.engine.resume(low).unwrap();
    t.wait_state(low, JobState::Transferred).await;
    let mut normal_done = false;
    while let Ok(event) = events.try_recv() {
        if let EngineEvent::StateChanged { job, .. } = event {
            if job.id == normal && job.state == JobState::Transferred {
                normal_done = true;
            }
            if job.id == low && job.state == JobState::Connecting {
                assert!(
                    normal_done,
                    "the LOW job connected while the NORMAL job was unfinished"
                );
            }
        }
    }
}

#[tokio::test]
async fn e52_equal_priorities_take_turns_by_time_slice() {
    let server = TestServer::builder()
        .route("/a", slow(400_000, 1))
        .route("/b", slow(400_000, 2))
        .start()
        .await;
    let t = TestEngine::start_with("e52", |c| c.time_slice = Duration::from_millis(400)).await;
    let a = job_with_priority(&t, &server.url("/a"), "a", Priority::Normal);
    let b = job_with_priority(&t, &server.url("/b"), "b", Priority::Normal);
    let mut events = t.engine.subscribe();
    t.engine.resume(a).unwrap();
    t.engine.resume(b).unwrap();
    let mut requeued = HashSet::new();
    let mut transferring_at_once = 0;
    let deadline = tokio::time::Instant::now() + crate::harness::PATIENCE;
    while requeued.len() < 2 {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("both jobs get a slice")
            .unwrap();
        if let EngineEvent::StateChanged { job, from } = event {
            if job.state == JobState::Queued && from == JobState::Transferring {
                requeued.insert(job.id);
            }
        }
        let running = t
            .engine
            .list()
            .iter()
            .filter(|j| j.state.is_active())
            .count();
        transferring_at_once = transferring_at_once.max(running);
    }
    assert_eq!(transferring_at_once, 1, "background jobs share one slot");
    assert!(
        requeued.contains(&a) && requeued.contains(&b),
        "each job went back to QUEUED at the end of its slice"
    );
}

#[tokio::test]
async fn e53_three_foreground_jobs_run_with_exactly_one_background_job() {
    let server = TestServer::start(slow(2_000_000, 3)).await;
    let t = TestEngine::start("e53").await;
    let mut ids = Vec::new();
    for (i, priority) in [
        Priority::Foreground,
        Priority::Foreground,
        Priority::Foreground,
        Priority::Normal,
        Priority::Normal,
    ]
    .into_iter()
    .enumerate()
    {
        let id = job_with_priority(
            &t,
            &server.url(&format!("/{i}")),
            &format!("f{i}"),
            priority,
        );
        t.engine.resume(id).unwrap();
        ids.push(id);
    }
    let first = ids[0];
    t.wait(first, "four jobs transferring", |_| {
        t.engine
            .list()
            .iter()
            .filter(|j| j.state == JobState::Transferring)
            .count()
            == 4
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let jobs = t.engine.list();
    let active: Vec<_> = jobs.iter().filter(|j| j.state.is_active()).collect();
    assert_eq!(
        active
            .iter()
            .filter(|j| j.settings.priority == Priority::Foreground)
            .count(),
        3
    );
    assert_eq!(
        active
            .iter()
            .filter(|j| j.settings.priority == Priority::Normal)
            .count(),
        1
    );
}

#[tokio::test]
async fn e54_new_jobs_are_normal_and_undefined_priorities_are_e_notimpl() {
    let t = TestEngine::start("e54").await;
    let id = t.engine.create_job("x", JobType::Download).unwrap();
    assert_eq!(
        t.engine.get(id).unwrap().settings.priority,
        Priority::Normal
    );
    assert_eq!(Priority::from_number(7).unwrap_err(), ErrorCode::E_NOTIMPL);
    assert_eq!(Priority::from_number(1), Ok(Priority::High));
}

#[tokio::test]
async fn e55_a_custom_http_method_locks_foreground_and_makes_errors_fatal() {
    let payload = body(3000, 55);
    let server = TestServer::builder()
        .route("/ok", Behaviour::full(payload.clone()))
        .route(
            "/busy",
            Behaviour::status_then(503, None, 1, Behaviour::full(payload.clone())),
        )
        .start()
        .await;
    let t = TestEngine::start("e55").await;

    let upload = t.engine.create_job("up", JobType::Upload).unwrap();
    assert_eq!(
        t.engine.set_http_method(upload, "POST").unwrap_err().code,
        ErrorCode::E_NOTIMPL
    );

    let id = t.job(&[(&server.url("/ok"), "ok")]);
    assert_eq!(
        t.engine.set_http_method(id, "BAD METHOD").unwrap_err().code,
        ErrorCode::E_INVALIDARG
    );
    t.engine.set_http_method(id, "POST").unwrap();
    let job = t.engine.get(id).unwrap();
    assert_eq!(job.settings.priority, Priority::Foreground);
    assert_eq!(job.settings.http_method.as_deref(), Some("POST"));
    t.engine.set_priority(id, Priority::Low).unwrap();
    assert_eq!(
        t.engine.get(id).unwrap().settings.priority,
        Priority::Foreground,
        "the priority stays FOREGROUND"
    );
    t.engine.resume(id).unwrap();
    assert_eq!(
        t.engine.set_http_method(id, "PUT").unwrap_err().code,
        ErrorCode::BG_E_INVALID_STATE,
        "the method is fixed after the first Resume"
    );
    t.wait_state(id, JobState::Transferred).await;
    t.engine.complete(id).unwrap();
    assert_eq!(t.read("ok"), payload);
    assert!(server
        .requests()
        .iter()
        .all(|r| r.method.as_str() == "POST"));

    let plain = t.job(&[(&server.url("/ok"), "plain")]);
    t.engine.set_http_method(plain, "GET").unwrap();
    let settings = t.engine.get(plain).unwrap().settings;
    assert_eq!(
        settings.priority,
        Priority::Normal,
        "GET leaves the priority"
    );
    assert_eq!(settings.http_method, None);

    let busy = t.job(&[(&server.url("/busy"), "busy")]);
    t.engine.set_http_method(busy, "POST").unwrap();
    t.engine.resume(busy).unwrap();
    let error = t.wait_error(busy, JobState::Error).await;
    assert_eq!(
        error.code,
        ErrorCode::http(503),
        "a 503 is fatal with a custom method"
    );
    t.engine.resume(busy).unwrap();
    t.wait_state(busy, JobState::Transferred).await;
    t.engine.complete(busy).unwrap();
    assert_eq!(t.read("busy"), payload);
    assert!(server
        .requests()
        .iter()
        .all(|r| r.header("range").is_none()));
}
