//! A job's own speed limit (`speed_limit`): the bytes a job receives stay at or under it over
//! one connection and over several together, whatever the priority (FOREGROUND jobs pass the
//! bandwidth policy, not their own limit); a limit set while the file transfers takes hold
//! without a new connection, and lifting it lets the file finish at full speed. Uploads keep
//! to it too.
//!
//! Each bound is on bytes over the time they took, with a second's worth of margin: loopback
//! without the limit is a hundred times faster, so the bound fails without it, never by chance.

use std::time::Duration;

use ferry_engine::{ErrorCode, JobId, JobState, Priority};
use tokio::time::Instant;

use crate::harness::{refusal, TestEngine};
use crate::servers::{body, Behaviour, Resource, TestServer};
use crate::util::{sha256, sha256_file, wait_until};

/// How long the received rate is measured.
const MEASURE_FOR: Duration = Duration::from_secs(2);

/// The job's bytes received during [`MEASURE_FOR`], and the time that took.
async fn bytes_over_a_while(t: &TestEngine, id: JobId) -> (u64, Duration) {
    let bytes = || t.engine.get(id).unwrap().progress.bytes_transferred;
    let (from, start) = (bytes(), Instant::now());
    tokio::time::sleep(MEASURE_FOR).await;
    let (to, elapsed) = (bytes(), start.elapsed());
    (to - from, elapsed)
}

/// Fails unless `moved` bytes in `elapsed` kept to `limit` bytes a second (with `margin`
/// seconds' worth for the bytes already in flight) and some bytes moved at all.
fn assert_kept_to(limit: u64, moved: u64, elapsed: Duration, margin: f64, what: &str) {
    let allowed = limit as f64 * (elapsed.as_secs_f64() + margin);
    assert!(moved > 0, "{what}: the limited job still makes progress");
    assert!(
        moved as f64 <= allowed,
        "{what}: {moved} bytes in {elapsed:?} is over the limit of {limit} B/s (at most {allowed:.0})"
    );
}

/// The requests that asked for a range of `path` (each connection after the first).
fn ranged(server: &TestServer, path: &str) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.path == path && r.range_start().is_some())
        .count()
}

#[tokio::test]
async fn a_speed_limit_holds_a_foreground_download_over_one_connection() {
    const LIMIT: u64 = 200_000;
    let data = body(8 * 1024 * 1024, 3001);
    let server = TestServer::start(Behaviour::full(data)).await;
    let t = TestEngine::start("speed-limit-one").await;
    let id = t.job(&[(&server.url("/f"), "f")]);
    t.engine.set_speed_limit(id, Some(LIMIT)).unwrap();
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferring).await;

    let (moved, elapsed) = bytes_over_a_while(&t, id).await;
    assert_kept_to(LIMIT, moved, elapsed, 1.0, "one connection");
    assert_eq!(server.requests().len(), 1, "one connection, never reopened");
    assert_eq!(
        t.engine.get(id).unwrap().settings.speed_limit,
        Some(LIMIT),
        "the job shows its limit"
    );
}

#[tokio::test]
async fn a_limit_set_mid_transfer_holds_four_connections_together_and_none_lifts_it() {
    const LIMIT: u64 = 400_000;
    // About 3 MB/s per connection, as servers that cap each connection serve: four connections
    // together move about 12 MB/s, thirty times the limit.
    let data = body(48 * 1024 * 1024, 3002);
    let server = TestServer::start(Behaviour::SlowDrip {
        resource: Resource::new(data.clone()),
        bytes_per_tick: 64 * 1024,
        tick: Duration::from_millis(20),
    })
    .await;
    let t = TestEngine::start("speed-limit-four").await;
    let id = t.job(&[(&server.url("/f"), "f")]);
    t.engine.set_connections(id, 4).unwrap();
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine.resume(id).unwrap();
    wait_until("four connections", || async { ranged(&server, "/f") >= 3 }).await;

    let requests = server.requests().len();
    t.engine.set_speed_limit(id, Some(LIMIT)).unwrap();
    // The limit holds from each connection's next piece on; the margin covers the pieces
    // already admitted.
    let (moved, elapsed) = bytes_over_a_while(&t, id).await;
    assert_kept_to(LIMIT, moved, elapsed, 1.0, "four connections together");
    assert_eq!(
        server.requests().len(),
        requests,
        "the limit took hold without a new connection"
    );

    t.engine.set_speed_limit(id, None).unwrap();
    // At 400 KB/s the rest would take about two minutes; lifted, it takes seconds.
    let job = t.wait_state(id, JobState::Transferred).await;
    assert_eq!(job.settings.speed_limit, None);
    assert_eq!(job.files[0].sha256.as_deref(), Some(sha256(&data).as_str()));
    t.engine.complete(id).unwrap();
    assert_eq!(sha256_file(&t.path("f")), sha256(&data));
}

#[tokio::test]
async fn a_speed_limit_holds_an_upload() {
    use crate::acceptance::uploads_support::{upload_job, uploaded};
    use crate::bits_server::{BitsServer, BitsServerConfig};

    const LIMIT: u64 = 2_000;
    let server = BitsServer::start(BitsServerConfig::default()).await;
    let t = TestEngine::start("speed-limit-upload").await;
    let data = body(10_000, 3003);
    let (id, _) = upload_job(
        &t,
        ferry_engine::JobType::Upload,
        &server.url("up"),
        "up",
        &data,
    );
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine.set_speed_limit(id, Some(LIMIT)).unwrap();
    let start = Instant::now();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    // A fragment carries a second's worth and the first leaves at once: two seconds' margin.
    assert_kept_to(LIMIT, data.len() as u64, start.elapsed(), 2.0, "an upload");
    assert_eq!(uploaded(&server, "up"), data);
}

#[tokio::test]
async fn a_speed_limit_below_one_kilobyte_a_second_is_refused() {
    let t = TestEngine::start("speed-limit-refused").await;
    let id = t.job(&[("http://127.0.0.1:9/f", "f")]);
    assert_eq!(
        refusal(t.engine.set_speed_limit(id, Some(999))),
        ErrorCode::E_INVALIDARG
    );
    t.engine.set_speed_limit(id, Some(1_000)).unwrap();
    t.engine.set_speed_limit(id, None).unwrap();
    assert_eq!(t.engine.get(id).unwrap().settings.speed_limit, None);
}

#[tokio::test]
async fn a_speed_limit_survives_a_restart() {
    let t = TestEngine::start("speed-limit-restart").await;
    let id = t.job(&[("http://127.0.0.1:9/f", "f")]);
    t.engine.set_speed_limit(id, Some(1_500_000)).unwrap();
    let t = t.restart().await;
    assert_eq!(
        t.engine.get(id).unwrap().settings.speed_limit,
        Some(1_500_000)
    );
}
