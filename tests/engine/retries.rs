//! How long a job waits before it retries by itself: BITS' fixed MinimumRetryDelay for jobs
//! made through the API, a backoff from a few seconds for jobs a person made (RetryPolicy), and
//! a wait that survives a restart of the engine.

use std::time::Duration;

use ferry_engine::{EngineEvent, JobState, Priority, RetryPolicy};
use tokio::time::Instant;

use crate::harness::{TestEngine, PATIENCE};
use crate::servers::{body, Behaviour, Resource, TestServer};

/// A server that answers 503 with `Retry-After: 2` once, then drops the connection before any
/// byte of the file `drops` times, then serves the file.
async fn flaky_server(drops: usize) -> TestServer {
    TestServer::start(Behaviour::Status {
        code: 503,
        retry_after: Some(2),
        times: Some(1),
        then: Box::new(Behaviour::DropMidBody {
            resource: Resource::new(body(20_000, 7)),
            after: 0,
            times: Some(drops),
        }),
    })
    .await
}

/// One wait in TRANSIENT_ERROR: what the job announced and how long it really waited.
#[derive(Debug)]
struct Wait {
    announced: Duration,
    waited: Duration,
}

/// Follows job `id` to TRANSFERRED and returns each of its waits in TRANSIENT_ERROR.
async fn waits_until_transferred(t: &TestEngine, id: ferry_engine::JobId) -> Vec<Wait> {
    let mut events = t.engine.subscribe();
    let mut waits = Vec::new();
    let mut failed: Option<(Instant, Duration)> = None;
    let deadline = Instant::now() + PATIENCE * 2;
    t.engine.resume(id).unwrap();
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("the job reaches TRANSFERRED")
            .expect("the engine keeps sending events");
        let EngineEvent::StateChanged { job, from } = event else {
            continue;
        };
        if job.id != id {
            continue;
        }
        match job.state {
            JobState::TransientError => {
                let announced = Duration::from_millis(job.retry_in_ms.expect("a retry is due"));
                failed = Some((Instant::now(), announced));
            }
            JobState::Queued if from == JobState::TransientError => {
                let (at, announced) = failed.take().expect("a retry follows a failure");
                waits.push(Wait {
                    announced,
                    waited: at.elapsed(),
                });
            }
            JobState::Transferred => return waits,
            JobState::Error => panic!("the job failed for good: {:?}", job.error),
            _ => {}
        }
    }
}

fn close_to(actual: Duration, expected_secs: f64) -> bool {
    let actual = actual.as_secs_f64();
    actual >= expected_secs - 0.3 && actual <= expected_secs + 1.5
}

#[tokio::test]
async fn a_backoff_job_retries_within_seconds_and_each_wait_doubles() {
    let server = flaky_server(2).await;
    let t = TestEngine::start("backoff").await;
    let id = t.job(&[(&server.url("/f"), "f")]);
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine.set_retry_policy(id, RetryPolicy::Backoff).unwrap();
    assert_eq!(
        t.engine.get(id).unwrap().settings.minimum_retry_delay_secs,
        600,
        "the job keeps BITS' MinimumRetryDelay as the longest wait"
    );

    let waits = waits_until_transferred(&t, id).await;

    assert_eq!(
        waits.len(),
        3,
        "a 503 and two dropped connections: {waits:?}"
    );
    for (wait, expected) in waits.iter().zip([2.0, 4.0, 8.0]) {
        assert!(
            close_to(wait.announced, expected) && close_to(wait.waited, expected),
            "the waits are 2 s (the first retry, and Retry-After), then 4 s, then 8 s: {waits:?}"
        );
    }
}

#[tokio::test]
async fn a_job_made_through_the_api_still_waits_its_minimum_retry_delay() {
    let server = flaky_server(2).await;
    let t = TestEngine::start("fixed-retry").await;
    let id = t.job(&[(&server.url("/f"), "f")]);
    assert_eq!(
        t.engine.get(id).unwrap().settings.retry_policy,
        RetryPolicy::Fixed,
        "a job made through the API retries as BITS does"
    );
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine.resume(id).unwrap();

    let job = t.wait_state(id, JobState::TransientError).await;
    let retry_in = Duration::from_millis(job.retry_in_ms.unwrap());
    assert!(
        retry_in > Duration::from_secs(590),
        "a FIXED job waits MinimumRetryDelay (600 s), not Retry-After's 2 s: {retry_in:?}"
    );
}

#[tokio::test]
async fn the_retry_policy_is_kept_across_a_restart() {
    let t = TestEngine::start("retry-policy-kept").await;
    let id = t.job(&[("http://127.0.0.1:9/f", "f")]);
    t.engine.set_retry_policy(id, RetryPolicy::Backoff).unwrap();
    let t = t.restart().await;
    assert_eq!(
        t.engine.get(id).unwrap().settings.retry_policy,
        RetryPolicy::Backoff,
        "the store keeps the retry policy"
    );
}

#[tokio::test]
async fn a_restart_while_a_job_waits_to_retry_waits_only_the_rest() {
    const RETRY_DELAY_SECS: u32 = 10;
    let server = TestServer::start(Behaviour::status_then(
        503,
        None,
        1,
        Behaviour::full(body(5_000, 8)),
    ))
    .await;
    let t = TestEngine::start("retry-restart").await;
    let id = t.job(&[(&server.url("/f"), "f")]);
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine
        .set_minimum_retry_delay(id, RETRY_DELAY_SECS)
        .unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::TransientError).await;
    let failed_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(5)).await;

    let t = t.restart().await;

    let retry_in = Duration::from_millis(t.engine.get(id).unwrap().retry_in_ms.unwrap());
    let rest = Duration::from_secs(u64::from(RETRY_DELAY_SECS)).saturating_sub(failed_at.elapsed());
    assert!(
        retry_in <= rest + Duration::from_millis(500),
        "after a restart the job waits the rest of its delay ({rest:?}), not all of it: {retry_in:?}"
    );
    t.wait_state(id, JobState::Transferred).await;
    let waited = failed_at.elapsed();
    assert!(
        waited >= Duration::from_millis(9_500) && waited < Duration::from_secs(14),
        "the retry came about {RETRY_DELAY_SECS} s after the failure, restart included: {waited:?}"
    );
}
