//! Section I: the MaxInternetBandwidth policy (cases 103 and 104). The window that ends on its
//! own, with the clock of the day moving for real, is in `clock.rs`.

use std::time::Duration;

use ferry_engine::{
    BandwidthPolicy, EngineEvent, ErrorCode, ErrorContext, JobId, JobState, Priority,
};
use tokio::time::Instant;

use crate::harness::{drain, TestEngine};
use crate::servers::{body, Behaviour, TestServer};
use crate::util::{sha256, sha256_file};

/// A policy whose window is the whole day, with `cap` Kbps inside it.
fn all_day(cap: Option<u32>) -> BandwidthPolicy {
    BandwidthPolicy {
        enabled: true,
        start_hour: 0,
        end_hour: 0,
        in_window_kbps: cap,
        outside_kbps: None,
    }
}

async fn engine_with(name: &str, policy: BandwidthPolicy) -> TestEngine {
    TestEngine::start_with(name, |c| c.policies.max_internet_bandwidth = policy).await
}

fn resume_with(t: &TestEngine, url: &str, name: &str, priority: Priority) -> JobId {
    let id = t.job(&[(url, name)]);
    t.engine.set_priority(id, priority).unwrap();
    t.engine.resume(id).unwrap();
    id
}

fn bytes_of(t: &TestEngine, id: JobId) -> u64 {
    t.engine.get(id).unwrap().progress.bytes_transferred
}

#[tokio::test]
async fn i103_a_zero_cap_holds_background_jobs_in_transient_error_and_lets_foreground_run() {
    let data = body(200_000, 103);
    let server = TestServer::start(Behaviour::full(data.clone())).await;
    let t = engine_with("i103", all_day(Some(0))).await;
    let mut events = t.engine.subscribe();

    let normal = resume_with(&t, &server.url("/normal"), "normal", Priority::Normal);
    let low = resume_with(&t, &server.url("/low"), "low", Priority::Low);
    for id in [normal, low] {
        let job = t.wait_state(id, JobState::TransientError).await;
        let error = job.error.expect("a blocked job says why");
        assert_eq!(error.code, ErrorCode::BG_E_BLOCKED_BY_POLICY);
        assert_eq!(error.context, ErrorContext::GeneralQueueManager);
        assert_eq!(error.file_index, None, "the policy is not about a file");
    }
    let foreground = resume_with(&t, &server.url("/fg"), "fg", Priority::Foreground);
    t.wait_state(foreground, JobState::Transferred).await;
    assert!(
        server.requests().iter().all(|r| r.path == "/fg"),
        "only the FOREGROUND job reached the server: {:?}",
        server
            .requests()
            .iter()
            .map(|r| &r.path)
            .collect::<Vec<_>>()
    );

    // A blocked job switched to FOREGROUND is released at once.
    t.engine.set_priority(low, Priority::Foreground).unwrap();
    t.wait_state(low, JobState::Transferred).await;
    assert_eq!(
        t.engine.get(normal).unwrap().state,
        JobState::TransientError,
        "the NORMAL job is still held"
    );

    // The cap lifts (the window is over): the held job goes back to QUEUED by itself.
    let mut policies = t.engine.policies();
    policies.max_internet_bandwidth.in_window_kbps = None;
    t.engine.set_policies(policies);
    t.wait_state(normal, JobState::Transferred).await;
    t.engine.complete(normal).unwrap();
    assert_eq!(sha256_file(&t.path("normal")), sha256(&data));

    let seen = drain(&mut events);
    assert!(
        seen.iter().any(|e| matches!(e,
            EngineEvent::StateChanged { job, from: JobState::TransientError }
                if job.id == normal && job.state == JobState::Queued)),
        "the held job went from TRANSIENT_ERROR back to QUEUED"
    );
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, EngineEvent::JobError { .. })),
        "being held by the policy is not a job error"
    );
}

#[tokio::test]
async fn i103_a_running_background_job_is_stopped_when_its_cap_becomes_zero() {
    let server = TestServer::start(Behaviour::SlowDrip {
        resource: crate::servers::Resource::new(body(2_000_000, 7)),
        bytes_per_tick: 8192,
        tick: Duration::from_millis(20),
    })
    .await;
    let t = engine_with("i103-running", BandwidthPolicy::default()).await;
    let id = resume_with(&t, &server.url("/f"), "f", Priority::Normal);
    t.wait(id, "bytes moving", |j| j.progress.bytes_transferred > 0)
        .await;
    let mut policies = t.engine.policies();
    policies.max_internet_bandwidth = all_day(Some(0));
    t.engine.set_policies(policies);
    let job = t.wait_state(id, JobState::TransientError).await;
    assert_eq!(job.error.unwrap().code, ErrorCode::BG_E_BLOCKED_BY_POLICY);
    let held_at = bytes_of(&t, id);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(bytes_of(&t, id), held_at, "no byte moves while held");
}

#[tokio::test]
async fn i103_a_held_job_stays_held_across_a_restart_and_never_times_out() {
    let data = body(50_000, 31);
    let server = TestServer::start(Behaviour::full(data.clone())).await;
    let t = engine_with("i103-restart", all_day(Some(0))).await;
    let id = t.job(&[(&server.url("/f"), "f")]);
    // A no-progress timeout shorter than the test: being held is not a failure to progress.
    t.engine.set_no_progress_timeout(id, 1).unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::TransientError).await;
    let t = t.restart().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let job = t.engine.get(id).unwrap();
    assert_eq!(
        job.state,
        JobState::TransientError,
        "still held after 1.5 s"
    );
    assert_eq!(job.error.unwrap().code, ErrorCode::BG_E_BLOCKED_BY_POLICY);
    assert!(server.requests().is_empty(), "nothing was requested");

    let mut policies = t.engine.policies();
    policies.max_internet_bandwidth.enabled = false;
    t.engine.set_policies(policies);
    t.wait_state(id, JobState::Transferred).await;
}

#[tokio::test]
async fn i104_a_cap_below_2_kbps_holds_background_downloads_near_2_kbps_and_not_foreground() {
    const SIZE: usize = 64 * 1024;
    // 2 Kbps is 250 bytes a second.
    const BYTES_PER_SECOND: f64 = 250.0;
    let data = body(SIZE, 104);
    let server = TestServer::start(Behaviour::full(data.clone())).await;
    let t = engine_with("i104", all_day(Some(1))).await;

    let background = resume_with(&t, &server.url("/bg"), "bg", Priority::Normal);
    t.wait(background, "the first bytes", |j| {
        j.progress.bytes_transferred > 0
    })
    .await;
    let (from, start) = (bytes_of(&t, background), Instant::now());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (to, elapsed) = (bytes_of(&t, background), start.elapsed());
    let allowed = BYTES_PER_SECOND * (elapsed.as_secs_f64() + 1.0);
    assert!(to > from, "the capped job still makes progress");
    assert!(
        ((to - from) as f64) <= allowed,
        "{} bytes in {elapsed:?} is over the cap (at most {allowed:.0})",
        to - from
    );

    let foreground = resume_with(&t, &server.url("/fg"), "fg", Priority::Foreground);
    t.wait_state(foreground, JobState::Transferred).await;
    let background_bytes = bytes_of(&t, background);
    assert!(
        background_bytes < SIZE as u64 / 4,
        "the FOREGROUND job finished {SIZE} bytes while the capped one had {background_bytes}"
    );
    t.engine.complete(foreground).unwrap();
    assert_eq!(sha256_file(&t.path("fg")), sha256(&data));
}

#[tokio::test]
async fn i104_capped_background_uploads_send_small_fragments_at_the_cap() {
    use super::uploads_support::{packets_of, upload_job, uploaded};
    use crate::bits_server::{BitsServer, BitsServerConfig, PacketKind};

    let server = BitsServer::start(BitsServerConfig::default()).await;
    let t = engine_with("i104-upload", all_day(Some(2))).await;
    let data = body(2_000, 1041);
    let (id, _) = upload_job(
        &t,
        ferry_engine::JobType::Upload,
        &server.url("up"),
        "up",
        &data,
    );
    t.engine.set_priority(id, Priority::Normal).unwrap();
    let start = Instant::now();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    let elapsed = start.elapsed();

    let fragments = packets_of(&server, PacketKind::Fragment);
    assert!(
        fragments.iter().all(|f| f.body_len <= 250),
        "every fragment holds at most a second's worth (250 bytes): {:?}",
        fragments.iter().map(|f| f.body_len).collect::<Vec<_>>()
    );
    // 2,000 bytes at 250 a second: the first fragment at once, each next one a second later.
    assert!(
        elapsed >= Duration::from_secs(6),
        "2,000 bytes went up in {elapsed:?}, faster than 2 Kbps"
    );
    assert_eq!(uploaded(&server, "up"), data);
}

#[tokio::test]
async fn i104_a_running_foreground_job_made_background_is_capped_from_then_on() {
    const SIZE: usize = 4_000_000;
    let server = TestServer::start(Behaviour::SlowDrip {
        resource: crate::servers::Resource::new(body(SIZE, 1042)),
        bytes_per_tick: 16_384,
        tick: Duration::from_millis(10),
    })
    .await;
    let t = engine_with("i104-lane", all_day(Some(2))).await;
    let id = resume_with(&t, &server.url("/f"), "f", Priority::Foreground);
    t.wait(id, "uncapped bytes", |j| {
        j.progress.bytes_transferred > 100_000
    })
    .await;
    t.engine.set_priority(id, Priority::Normal).unwrap();
    t.wait_state(id, JobState::Transferring).await;
    let (from, start) = (bytes_of(&t, id), Instant::now());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (to, elapsed) = (bytes_of(&t, id), start.elapsed());
    let allowed = 250.0 * (elapsed.as_secs_f64() + 1.0);
    assert!(
        ((to - from) as f64) <= allowed,
        "{} bytes in {elapsed:?} after becoming NORMAL (at most {allowed:.0})",
        to - from
    );
}
