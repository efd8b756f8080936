//! Uploads across restarts: the session id is stored before the first fragment, so a restarted
//! engine (or one killed with SIGKILL) continues the same session from the byte the server
//! expects, and the server ends up with a byte-identical file.

use ferry_engine::{Engine, FileSpec, JobState, JobType, Priority};

use super::uploads_support::{packets_of, start_upload, uploaded, SlowLink};
use crate::bits_server::{BitsServer, BitsServerConfig, PacketKind};
use crate::harness::{kill_runs, run_to_the_end, test_config, TestEngine};
use crate::servers::body;
use crate::util::{sha256, temp_dir, wait_until};

/// First byte of a fragment's `Content-Range`.
fn start_of(range: &str) -> u64 {
    range
        .trim_start_matches("bytes ")
        .split('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a Content-Range: {range}"))
}

#[tokio::test]
async fn a_restart_continues_the_same_session_where_the_server_stands() {
    let server = BitsServer::start(BitsServerConfig::default()).await;
    let link = SlowLink::start(&server.url("r.bin"), 40_000).await;
    let t = TestEngine::start_with("upload-restart", |c| c.upload_fragment_size = 4_096).await;
    let data = body(100_000, 1);
    let id = start_upload(
        &t,
        JobType::Upload,
        &link.url(&server.url("r.bin")),
        "r.bin",
        &data,
    );
    wait_until("a part of the upload on the server", || async {
        server
            .sessions()
            .first()
            .is_some_and(|s| s.received >= 20_000)
    })
    .await;
    let before = packets_of(&server, PacketKind::Fragment).len();
    let t = t.restart().await;
    t.wait_state(id, JobState::Transferred).await;
    assert_eq!(
        packets_of(&server, PacketKind::CreateSession).len(),
        1,
        "the restart continued the session"
    );
    let resumed_at = packets_of(&server, PacketKind::Fragment)
        .get(before)
        .and_then(|f| f.content_range.clone())
        .map(|r| start_of(&r))
        .expect("fragments after the restart");
    assert!(
        resumed_at >= 16_384,
        "the first fragment after the restart starts near where the server stood, not at {resumed_at}"
    );
    assert_eq!(uploaded(&server, "r.bin"), data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_upload_resumes_the_same_session_and_uploads_an_identical_file() {
    const SIZE: usize = 12 << 20;
    const ROUNDS: usize = 8;
    let server = BitsServer::start(BitsServerConfig::default()).await;
    // 1 MiB fragments (the default) over a link of about 4 MiB/s: several per run.
    let link = SlowLink::start(&server.url("big.bin"), 4 << 20).await;
    let data = body(SIZE, 7);
    let dir = temp_dir("upload-crash-data");
    let files = temp_dir("upload-crash-files");
    let source = files.path().join("big.bin");
    std::fs::write(&source, &data).unwrap();
    {
        let engine = Engine::start(test_config(), dir.path()).await.unwrap();
        let id = engine.create_job("big upload", JobType::Upload).unwrap();
        engine
            .add_file(
                id,
                FileSpec {
                    remote_url: link.url(&server.url("big.bin")),
                    local_path: source.clone(),
                },
            )
            .unwrap();
        engine.set_priority(id, Priority::Foreground).unwrap();
        engine.resume(id).unwrap();
        engine.shutdown().await;
    }
    let mid_upload_kills = kill_runs(dir.path(), ROUNDS, 400..1_000, || {
        server
            .sessions()
            .first()
            .is_some_and(|s| s.received > 0 && !s.delivered)
    })
    .await;
    println!("{mid_upload_kills} of {ROUNDS} kills hit the upload in flight");
    assert!(
        mid_upload_kills >= 3,
        "only {mid_upload_kills} of {ROUNDS} kills hit the upload in flight"
    );
    assert!(
        run_to_the_end(dir.path()).success(),
        "the last run finishes the upload"
    );

    let engine = Engine::start(test_config(), dir.path()).await.unwrap();
    let jobs = engine.list();
    assert_eq!(jobs.len(), 1, "the job survived every kill");
    assert_eq!(jobs[0].state, JobState::Transferred);
    engine.complete(jobs[0].id).unwrap();
    engine.shutdown().await;
    assert_eq!(
        packets_of(&server, PacketKind::CreateSession).len(),
        1,
        "every run resumed the one session"
    );
    assert_eq!(sha256(&uploaded(&server, "big.bin")), sha256(&data));
}
