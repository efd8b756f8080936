//! One file over several connections (the job's `connections` property): every byte right,
//! one connection when the property is 1, a new version restarts the file from byte 0, Suspend
//! stops every connection, the bandwidth cap counts all connections together, a restart
//! continues each part from what is on disk, and servers that refuse extra connections get
//! fewer without the job failing.

use std::time::Duration;

use bytes::Bytes;
use ferry_engine::{BandwidthPolicy, JobId, JobState, Priority};
use tokio::time::Instant;

use crate::harness::TestEngine;
use crate::servers::{body, Behaviour, Resource, TestServer};
use crate::util::{sha256, sha256_file, wait_until};

/// Large enough to split into several parts of at least 1 MiB.
const SIZE: usize = 6 * 1024 * 1024;

/// A file served at about 3 MB/s per connection, as servers that cap each connection do.
fn per_connection_cap(resource: Resource) -> Behaviour {
    Behaviour::SlowDrip {
        resource,
        bytes_per_tick: 64 * 1024,
        tick: Duration::from_millis(20),
    }
}

/// A job for `url` allowing `connections` per file, resumed with `priority`.
fn job_with(t: &TestEngine, files: &[(&str, &str)], connections: u32, priority: Priority) -> JobId {
    let id = t.job(files);
    t.engine.set_connections(id, connections).unwrap();
    t.engine.set_priority(id, priority).unwrap();
    t.engine.resume(id).unwrap();
    id
}

/// The requests that asked for a range, by path.
fn ranged(server: &TestServer, path: &str) -> Vec<u64> {
    server
        .requests()
        .iter()
        .filter(|r| r.path == path)
        .filter_map(|r| r.range_start())
        .collect()
}

#[tokio::test]
async fn a_file_over_several_connections_has_every_byte_right() {
    let data = body(SIZE, 501);
    let server = TestServer::start(per_connection_cap(Resource::new(data.clone()))).await;
    let t = TestEngine::start("segments-bytes").await;
    let id = job_with(&t, &[(&server.url("/f"), "f")], 8, Priority::Foreground);
    let job = t.wait_state(id, JobState::Transferred).await;
    assert!(
        !ranged(&server, "/f").is_empty(),
        "more connections joined the first: {:?}",
        server.requests().len()
    );
    assert_eq!(job.error_count, 0);
    assert_eq!(job.files[0].bytes_transferred, SIZE as u64);
    assert_eq!(job.files[0].sha256.as_deref(), Some(sha256(&data).as_str()));
    t.engine.complete(id).unwrap();
    assert_eq!(sha256_file(&t.path("f")), sha256(&data));
}

#[tokio::test]
async fn one_connection_per_file_is_the_bits_behaviour() {
    let data = body(SIZE, 502);
    let server = TestServer::start(per_connection_cap(Resource::new(data.clone()))).await;
    let t = TestEngine::start("segments-one").await;
    let id = t.start_job(&[(&server.url("/f"), "f")]);
    assert_eq!(t.engine.get(id).unwrap().settings.connections, 1);
    t.wait_state(id, JobState::Transferred).await;
    assert_eq!(server.requests().len(), 1, "one request, no ranges");
    t.engine.complete(id).unwrap();
    assert_eq!(sha256_file(&t.path("f")), sha256(&data));
}

#[tokio::test]
async fn connections_out_of_range_are_refused() {
    let t = TestEngine::start("segments-refused").await;
    let id = t.job(&[("http://127.0.0.1:9/f", "f")]);
    for wrong in [0, ferry_engine::MAX_CONNECTIONS + 1] {
        let error = t.engine.set_connections(id, wrong).unwrap_err();
        assert_eq!(error.code, ferry_engine::ErrorCode::E_INVALIDARG);
    }
}

#[tokio::test]
async fn a_new_version_restarts_the_file_from_zero_on_every_connection() {
    let old = body(SIZE, 503);
    let new = body(SIZE, 504);
    let server = TestServer::builder()
        .route("/f", per_connection_cap(Resource::version(old.clone(), 0)))
        .start()
        .await;
    let t = TestEngine::start("segments-version").await;
    let id = job_with(&t, &[(&server.url("/f"), "f")], 8, Priority::Foreground);
    wait_until("a second connection", || async {
        !ranged(&server, "/f").is_empty()
    })
    .await;
    t.engine.suspend(id).unwrap();
    let before = server.requests().len();
    server.set_route("/f", Behaviour::Full(Resource::version(new.clone(), 1)));
    t.engine.resume(id).unwrap();
    let job = t.wait_state(id, JobState::Transferred).await;
    let after: Vec<_> = server.requests()[before..].to_vec();
    assert!(
        after
            .iter()
            .any(|r| r.range_start().is_none_or(|start| start == 0)),
        "the file started again from byte 0"
    );
    assert_eq!(job.files[0].sha256.as_deref(), Some(sha256(&new).as_str()));
    t.engine.complete(id).unwrap();
    assert_eq!(
        sha256_file(&t.path("f")),
        sha256(&new),
        "no byte of the old version"
    );
}

#[tokio::test]
async fn suspend_stops_every_connection_at_once() {
    let data = body(SIZE, 505);
    let server = TestServer::start(Behaviour::Stall {
        resource: Resource::new(data),
        after: 64 * 1024,
    })
    .await;
    let t = TestEngine::start("segments-suspend").await;
    let id = job_with(&t, &[(&server.url("/f"), "f")], 8, Priority::Foreground);
    wait_until("two connections", || async {
        server.open_connections() >= 2
    })
    .await;
    t.engine.suspend(id).unwrap();
    wait_until("every connection closed", || async {
        server.open_connections() == 0
    })
    .await;
    assert_eq!(t.engine.get(id).unwrap().state, JobState::Suspended);
}

#[tokio::test]
async fn the_bandwidth_cap_counts_every_connection_together() {
    // 800 Kbps is 100,000 bytes a second for all background transfers together.
    const BYTES_PER_SECOND: f64 = 100_000.0;
    let data = body(SIZE, 506);
    let server = TestServer::start(Behaviour::full(data)).await;
    let t = TestEngine::start_with("segments-cap", |c| {
        c.policies.max_internet_bandwidth = BandwidthPolicy {
            enabled: true,
            start_hour: 0,
            end_hour: 0,
            in_window_kbps: Some(800),
            outside_kbps: None,
        }
    })
    .await;
    let id = job_with(&t, &[(&server.url("/f"), "f")], 8, Priority::Normal);
    wait_until("a second connection", || async {
        !ranged(&server, "/f").is_empty()
    })
    .await;
    let bytes = || t.engine.get(id).unwrap().progress.bytes_transferred;
    let (from, start) = (bytes(), Instant::now());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (to, elapsed) = (bytes(), start.elapsed());
    let allowed = BYTES_PER_SECOND * (elapsed.as_secs_f64() + 1.0);
    assert!(to > from, "the capped job still makes progress");
    assert!(
        ((to - from) as f64) <= allowed,
        "{} bytes in {elapsed:?} over {} connections is over the cap (at most {allowed:.0})",
        to - from,
        ranged(&server, "/f").len() + 1
    );
}

#[tokio::test]
async fn a_restart_continues_each_part_from_what_is_on_disk() {
    let data = body(SIZE, 507);
    let server = TestServer::start(per_connection_cap(Resource::new(data.clone()))).await;
    let t = TestEngine::start("segments-restart").await;
    let id = job_with(&t, &[(&server.url("/f"), "f")], 8, Priority::Foreground);
    t.wait(id, "a third of the file", |j| {
        j.progress.bytes_transferred > SIZE as u64 / 3
    })
    .await;
    let t = t.restart().await;
    let before = server.requests().len();
    let job = t.wait_state(id, JobState::Transferred).await;
    let after = &server.requests()[before..];
    assert!(!after.is_empty(), "the restart fetched the rest");
    assert!(
        after.iter().all(|r| r.range_start().is_some_and(|s| s > 0)),
        "no part starts again from byte 0: {:?}",
        after.iter().map(|r| r.range_start()).collect::<Vec<_>>()
    );
    assert_eq!(job.files[0].sha256.as_deref(), Some(sha256(&data).as_str()));
    t.engine.complete(id).unwrap();
    assert_eq!(sha256_file(&t.path("f")), sha256(&data));
}

#[tokio::test]
async fn a_server_answering_extra_connections_with_503_gets_one_and_the_job_never_fails() {
    let first = body(SIZE, 508);
    let second = body(SIZE, 509);
    let capped = |data: &Bytes| Behaviour::ConnectionCap {
        most: 1,
        code: 503,
        inner: Box::new(per_connection_cap(Resource::new(data.clone()))),
    };
    let server = TestServer::builder()
        .route("/f", capped(&first))
        .route("/g", capped(&second))
        .start()
        .await;
    let t = TestEngine::start("segments-503").await;
    let id = job_with(
        &t,
        &[(&server.url("/f"), "f"), (&server.url("/g"), "g")],
        8,
        Priority::Foreground,
    );
    let job = t.wait_state(id, JobState::Transferred).await;
    assert_eq!(job.error_count, 0, "a refused connection is no error");
    let count = |path: &str| server.requests().iter().filter(|r| r.path == path).count();
    let asked: Vec<_> = server
        .requests()
        .iter()
        .filter(|r| r.path == "/f")
        .map(|r| r.header("range").map(str::to_owned))
        .collect();
    // The first connection and the three the first measurement adds, all refused: their parts
    // went back to the first connection, whose answer runs to the end of the file, so no other
    // request was made.
    assert_eq!(asked.len(), 4, "{asked:?}");
    assert_eq!(asked[0], None, "{asked:?}");
    assert!(
        asked[1..].iter().all(Option::is_some),
        "the extra connections asked for parts: {asked:?}"
    );
    assert_eq!(
        count("/g"),
        1,
        "the host keeps its lower count for the next file"
    );
    t.engine.complete(id).unwrap();
    assert_eq!(sha256_file(&t.path("f")), sha256(&first));
    assert_eq!(sha256_file(&t.path("g")), sha256(&second));
}

#[tokio::test]
async fn a_server_capping_connections_per_client_with_429_keeps_what_it_allows() {
    let data = body(2 * SIZE, 510);
    let server = TestServer::start(Behaviour::ConnectionCap {
        most: 2,
        code: 429,
        inner: Box::new(per_connection_cap(Resource::new(data.clone()))),
    })
    .await;
    let t = TestEngine::start("segments-429").await;
    let id = job_with(&t, &[(&server.url("/f"), "f")], 8, Priority::Foreground);
    let job = t.wait_state(id, JobState::Transferred).await;
    assert_eq!(job.error_count, 0, "a refused connection is no error");
    let refused = server
        .requests()
        .iter()
        .filter(|r| r.open_connections > 2)
        .count();
    assert!(refused >= 1, "a third connection was tried and refused");
    assert_eq!(job.files[0].sha256.as_deref(), Some(sha256(&data).as_str()));
    t.engine.complete(id).unwrap();
    assert_eq!(sha256_file(&t.path("f")), sha256(&data));
}

#[tokio::test]
async fn a_fast_server_finishes_the_file_whatever_the_connections() {
    let data = body(3 * 1024 * 1024, 511);
    let server = TestServer::start(Behaviour::full(data.clone())).await;
    let t = TestEngine::start("segments-fast").await;
    let id = job_with(&t, &[(&server.url("/f"), "f")], 4, Priority::Foreground);
    let job = t.wait_state(id, JobState::Transferred).await;
    assert_eq!(job.files[0].sha256.as_deref(), Some(sha256(&data).as_str()));
}
