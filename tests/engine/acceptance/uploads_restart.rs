//! Uploads across restarts: the session id is stored before the first fragment, so a restarted
//! engine continues the same session from the byte the server expects, and the server ends up
//! with a byte-identical file (SIGKILLs of the owner mid-upload: `tests/processes/`).

use ferry_engine::{JobState, JobType};

use super::uploads_support::{packets_of, start_upload, uploaded, SlowLink};
use crate::bits_server::{BitsServer, BitsServerConfig, PacketKind};
use crate::harness::TestEngine;
use crate::servers::body;
use crate::util::wait_until;

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
