//! Section C (upload cases 32–35) and the inactivity cancel of uploads (101): what Cancel does
//! to the server's session, the uploaded file and the reply.

use std::path::Path;
use std::time::Duration;

use ferry_engine::{Engine, EngineEvent, ErrorCode, JobState, JobType};

use super::uploads_support::{
    cutting_first_fragment, packets_of, start_upload_to, upload_job_to, uploaded,
};
use crate::bits_server::{BitsServer, BitsServerConfig, Misbehaviour, PacketKind};
use crate::harness::{drain, files_in, is_temporary, TestEngine};
use crate::servers::body;
use crate::util::wait_until;

/// Session ids of the Cancel-Session packets the server answered with 200.
fn cancelled_sessions(server: &BitsServer) -> Vec<String> {
    packets_of(server, PacketKind::CancelSession)
        .into_iter()
        .filter(|p| p.ack_status == Some(200))
        .filter_map(|p| p.session_id)
        .collect()
}

/// Session ids of the upload cleanups waiting in the store of `data`, read through a read-only
/// connection (the engine may hold the store open).
fn stored_cleanups(data: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open_with_flags(
        data.join("ferry.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    let mut statement = conn.prepare("SELECT record FROM cleanup").unwrap();
    let records: Vec<String> = statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    records
        .iter()
        .map(|text| {
            let record: serde_json::Value = serde_json::from_str(text).unwrap();
            record["session_id"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[tokio::test]
async fn c32_cancel_mid_upload_sends_cancel_session_and_the_server_drops_the_part() {
    let server = BitsServer::start(cutting_first_fragment()).await;
    let t = TestEngine::start("c32").await;
    let id = start_upload_to(&t, &server, JobType::Upload, "c32.bin", &body(20_000, 32));
    t.wait_state(id, JobState::TransientError).await;
    let session = server.sessions()[0].id.clone();
    assert_eq!(server.partial_files().len(), 1, "part of the file is there");
    assert_eq!(t.engine.cancel(id).unwrap(), ErrorCode::S_OK);
    assert_eq!(
        t.engine.get(id).unwrap_err().code,
        ErrorCode::BG_E_INVALID_STATE
    );
    wait_until("the Cancel-Session", || async {
        !cancelled_sessions(&server).is_empty()
    })
    .await;
    assert_eq!(cancelled_sessions(&server), [session]);
    assert!(server.sessions().is_empty());
    assert!(server.partial_files().is_empty(), "the part is deleted");
    assert!(server.uploaded_file("c32.bin").is_none());
}

#[tokio::test]
async fn c33_cancel_after_the_last_fragment_leaves_the_uploaded_file_alone() {
    let server = BitsServer::start(BitsServerConfig::misbehaving(Misbehaviour {
        close_session_unavailable: 100,
        ..Misbehaviour::default()
    }))
    .await;
    let t = TestEngine::start("c33").await;
    let data = body(30_000, 33);
    let (id, _) = upload_job_to(&t, &server, JobType::Upload, "c33.bin", &data);
    t.engine.set_no_progress_timeout(id, 0).unwrap();
    t.engine.resume(id).unwrap();
    let failed = t.wait_state(id, JobState::Error).await;
    assert_eq!(failed.error.unwrap().code, ErrorCode::http(503));
    assert!(
        failed.files[0].transferred,
        "the last fragment was accepted before Close-Session failed"
    );
    t.engine.cancel(id).unwrap();
    wait_until("the Cancel-Session", || async {
        !cancelled_sessions(&server).is_empty()
    })
    .await;
    assert_eq!(
        uploaded(&server, "c33.bin"),
        data,
        "the uploaded file is untouched"
    );
}

#[tokio::test]
async fn c34_cancel_during_the_reply_stops_it_and_keeps_the_upload() {
    let server = BitsServer::start(BitsServerConfig::misbehaving(Misbehaviour {
        reply: Some(body(100_000, 34)),
        stall_reply_after: Some(10_000),
        ..Misbehaviour::default()
    }))
    .await;
    let t = TestEngine::start("c34").await;
    let data = body(8_000, 340);
    let id = start_upload_to(&t, &server, JobType::UploadReply, "c34.bin", &data);
    let job = t
        .wait(id, "part of the reply", |j| {
            j.reply_progress
                .is_some_and(|r| r.bytes_transferred >= 10_000)
        })
        .await;
    let reply_file = job.settings.reply_file_name.unwrap();
    assert!(files_in(t.files.path()).iter().any(|n| is_temporary(n)));
    t.engine.cancel(id).unwrap();
    assert!(
        !files_in(t.files.path()).iter().any(|n| is_temporary(n)),
        "the partial reply is deleted"
    );
    assert!(!reply_file.exists(), "no reply file is made available");
    wait_until("the Cancel-Session", || async {
        !cancelled_sessions(&server).is_empty()
    })
    .await;
    assert_eq!(uploaded(&server, "c34.bin"), data, "the upload stays");
}

#[tokio::test]
async fn c35_an_unreachable_server_gets_its_cancel_session_later_even_across_a_restart() {
    let server = BitsServer::start(cutting_first_fragment()).await;
    let t = TestEngine::start("c35").await;
    let (id, _) = upload_job_to(&t, &server, JobType::Upload, "c35.bin", &body(20_000, 35));
    t.engine.set_minimum_retry_delay(id, 5).unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::TransientError).await;
    let session = server.sessions()[0].id.clone();
    server.set_reachable(false).await;
    assert_eq!(t.engine.cancel(id).unwrap(), ErrorCode::S_OK);
    assert_eq!(
        t.engine.get(id).unwrap_err().code,
        ErrorCode::BG_E_INVALID_STATE,
        "the job reports CANCELLED at once"
    );
    assert_eq!(t.engine.history(1).unwrap()[0].state, JobState::Cancelled);
    t.engine.shutdown().await;
    assert_eq!(
        stored_cleanups(t.data.path()),
        std::slice::from_ref(&session),
        "a hidden record keeps the session to cancel"
    );
    assert_eq!(server.sessions().len(), 1, "the server still has it");

    server.set_reachable(true).await;
    let engine = Engine::start(t.config.clone(), t.data.path())
        .await
        .unwrap();
    assert!(engine.list().is_empty(), "the cancelled job stays gone");
    wait_until("the Cancel-Session after the restart", || async {
        !cancelled_sessions(&server).is_empty()
    })
    .await;
    assert_eq!(cancelled_sessions(&server), [session]);
    assert!(server.partial_files().is_empty());
    wait_until("the record to go", || async {
        stored_cleanups(t.data.path()).is_empty()
    })
    .await;
    engine.shutdown().await;
}

#[tokio::test]
async fn c35_the_cancel_session_is_given_up_after_the_no_progress_timeout() {
    let server = BitsServer::start(cutting_first_fragment()).await;
    let t = TestEngine::start("c35-give-up").await;
    let (id, _) = upload_job_to(&t, &server, JobType::Upload, "c35.bin", &body(20_000, 351));
    t.engine.set_no_progress_timeout(id, 0).unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Error).await;
    server.set_reachable(false).await;
    t.engine.cancel(id).unwrap();
    wait_until("the record to be given up", || async {
        stored_cleanups(t.data.path()).is_empty()
    })
    .await;
    server.set_reachable(true).await;
    assert!(cancelled_sessions(&server).is_empty());
    assert_eq!(
        server.sessions().len(),
        1,
        "the server keeps the session until it expires"
    );
}

#[tokio::test]
async fn i101_inactivity_cancels_uploads_like_cancel_and_leaves_uploaded_files() {
    let done = BitsServer::start(BitsServerConfig::default()).await;
    let stuck = BitsServer::start(cutting_first_fragment()).await;
    let t = TestEngine::start_with("i101-upload", |c| {
        c.inactivity_sweep_interval = Duration::from_millis(200)
    })
    .await;
    let data = body(10_000, 101);
    let finished = start_upload_to(&t, &done, JobType::Upload, "done.bin", &data);
    let waiting = start_upload_to(&t, &stuck, JobType::Upload, "stuck.bin", &body(10_000, 102));
    t.wait_state(finished, JobState::Transferred).await;
    t.wait_state(waiting, JobState::TransientError).await;
    let mut events = t.engine.subscribe();
    let mut policies = t.engine.policies();
    policies.job_inactivity_timeout_secs = 0;
    t.engine.set_policies(policies);
    wait_until("the inactivity sweep", || async {
        t.engine.get(finished).is_err() && t.engine.get(waiting).is_err()
    })
    .await;
    let auto: Vec<_> = drain(&mut events)
        .into_iter()
        .filter_map(|e| match e {
            EngineEvent::JobAutoCancelled { id, .. } => Some(id),
            _ => None,
        })
        .collect();
    assert!(
        auto.contains(&finished) && auto.contains(&waiting),
        "{auto:?}"
    );
    assert_eq!(uploaded(&done, "done.bin"), data, "an uploaded file stays");
    assert!(
        packets_of(&done, PacketKind::CancelSession).is_empty(),
        "a closed session needs no Cancel-Session"
    );
    wait_until("the Cancel-Session of the unfinished upload", || async {
        !cancelled_sessions(&stuck).is_empty()
    })
    .await;
    assert!(stuck.partial_files().is_empty());
}
