//! Section B (upload cases 22–27), reply progress (95) and the fault location of upload-reply
//! errors (68): Complete, the reply file and the reply data.

use std::time::Duration;

use ferry_engine::{ErrorCode, ErrorContext, JobId, JobState, JobType};

use super::uploads_support::{packets_of, start_upload_to, upload_job_to, uploaded};
use crate::bits_server::{AppFailure, BitsServer, BitsServerConfig, Misbehaviour, PacketKind};
use crate::harness::{files_in, is_temporary, refusal, TestEngine};
use crate::servers::body;
use crate::util::wait_until;

/// A server configuration whose upload-reply sessions answer with `reply` (none: no reply URL).
fn replying(reply: Option<bytes::Bytes>) -> BitsServerConfig {
    BitsServerConfig::misbehaving(Misbehaviour {
        reply,
        ..Misbehaviour::default()
    })
}

/// A fresh engine named `name` whose upload-reply job of a local `name.bin` to the same name on
/// `server` has reached TRANSFERRED.
async fn transferred_upload_reply(
    server: &BitsServer,
    name: &str,
    upload: &[u8],
) -> (TestEngine, JobId) {
    let t = TestEngine::start(name).await;
    let file = format!("{name}.bin");
    let id = start_upload_to(&t, server, JobType::UploadReply, &file, upload);
    t.wait_state(id, JobState::Transferred).await;
    (t, id)
}

#[tokio::test]
async fn b22_complete_of_an_upload_transferring_or_in_error_is_bg_e_invalid_state() {
    let holding = BitsServer::start(BitsServerConfig::misbehaving(Misbehaviour {
        final_ack_delay: Some(Duration::from_secs(60)),
        ..Misbehaviour::default()
    }))
    .await;
    let t = TestEngine::start("b22-upload").await;
    let id = start_upload_to(&t, &holding, JobType::Upload, "b22.bin", &body(1_000, 22));
    t.wait_state(id, JobState::Transferring).await;
    assert_eq!(
        t.engine.complete(id).unwrap_err().code,
        ErrorCode::BG_E_INVALID_STATE
    );
    assert_eq!(t.engine.get(id).unwrap().state, JobState::Transferring);
    t.engine.cancel(id).unwrap();

    let refusing = BitsServer::start(BitsServerConfig::misbehaving(Misbehaviour {
        refuse_create_session: Some(404),
        ..Misbehaviour::default()
    }))
    .await;
    let upload = body(1_000, 23);
    let id = start_upload_to(&t, &refusing, JobType::Upload, "b22-error.bin", &upload);
    t.wait_state(id, JobState::Error).await;
    assert_eq!(
        t.engine.complete(id).unwrap_err().code,
        ErrorCode::BG_E_INVALID_STATE
    );
    assert_eq!(t.engine.get(id).unwrap().state, JobState::Error);
}

#[tokio::test]
async fn b23_an_upload_completes_without_the_network() {
    let server = BitsServer::start(BitsServerConfig::default()).await;
    let t = TestEngine::start("b23").await;
    let data = body(40_000, 23);
    let id = start_upload_to(&t, &server, JobType::Upload, "b23.bin", &data);
    t.wait_state(id, JobState::Transferred).await;
    let seen = server.packets().len();
    server.set_reachable(false).await;
    t.engine.set_network_available(false);
    let outcome = t.engine.complete(id).unwrap();
    assert_eq!(
        (outcome.code, outcome.state),
        (ErrorCode::S_OK, JobState::Acknowledged)
    );
    assert_eq!(server.packets().len(), seen, "Complete sent nothing");
    assert_eq!(uploaded(&server, "b23.bin"), data);
}

#[tokio::test]
async fn b24_the_reply_file_appears_only_at_complete_and_holds_the_reply() {
    let reply = body(4_000, 24);
    let server = BitsServer::start(replying(Some(reply.clone()))).await;
    let (t, id) = transferred_upload_reply(&server, "b24", &body(9_000, 240)).await;
    let reply_file = t
        .engine
        .get_reply_file_name(id)
        .unwrap()
        .expect("the first Resume chose a reply file");
    assert_eq!(
        reply_file.parent(),
        Some(t.files.path()),
        "beside the uploaded file"
    );
    assert!(!reply_file.exists(), "not available before Complete");
    let hidden: Vec<_> = files_in(t.files.path())
        .into_iter()
        .filter(|n| is_temporary(n))
        .collect();
    assert_eq!(hidden.len(), 1, "the reply waits in a temporary file");
    let outcome = t.engine.complete(id).unwrap();
    assert_eq!(outcome.state, JobState::Acknowledged);
    assert!(outcome.kept.contains(&reply_file));
    assert_eq!(std::fs::read(&reply_file).unwrap(), reply);
    assert!(
        !files_in(t.files.path()).iter().any(|n| is_temporary(n)),
        "no temporary file remains"
    );
}

#[tokio::test]
async fn b24_without_a_reply_the_reply_file_is_empty() {
    let server = BitsServer::start(replying(None)).await;
    let t = TestEngine::start("b24-empty").await;
    let upload = body(1_000, 241);
    let (id, _) = upload_job_to(&t, &server, JobType::UploadReply, "b24.bin", &upload);
    let chosen = t.path("answer.txt");
    t.engine.set_reply_file_name(id, chosen.clone()).unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    assert!(!chosen.exists());
    assert_eq!(t.engine.get_reply_data(id).unwrap(), Vec::<u8>::new());
    t.engine.complete(id).unwrap();
    assert_eq!(
        std::fs::read(&chosen).unwrap(),
        Vec::<u8>::new(),
        "an empty file: the server sent no reply"
    );
}

#[tokio::test]
async fn b25_reply_data_is_the_same_before_and_after_complete() {
    let reply = body(10_240, 25);
    let server = BitsServer::start(replying(Some(reply.clone()))).await;
    let (t, id) = transferred_upload_reply(&server, "b25", &body(3_000, 250)).await;
    assert_eq!(t.engine.get_reply_data(id).unwrap(), reply);
    let reply_file = t.engine.get_reply_file_name(id).unwrap();
    t.engine.complete(id).unwrap();
    assert_eq!(
        t.engine.get_reply_data(id).unwrap(),
        reply,
        "still readable after Complete"
    );
    assert_eq!(t.engine.get_reply_file_name(id).unwrap(), reply_file);
}

#[tokio::test]
async fn b26_reply_data_over_1_mb_is_bg_e_too_large_with_the_size() {
    let reply = body(2_000_000, 26);
    let server = BitsServer::start(replying(Some(reply.clone()))).await;
    let (t, id) = transferred_upload_reply(&server, "b26", &body(1_000, 260)).await;
    let error = t.engine.get_reply_data(id).unwrap_err();
    assert_eq!(error.code, ErrorCode::BG_E_TOO_LARGE);
    assert_eq!(error.code.0, 0x8020_0020);
    assert!(error.message.contains("2000000"), "{}", error.message);
    t.engine.complete(id).unwrap();
    let reply_file = t.engine.get_reply_file_name(id).unwrap().unwrap();
    assert_eq!(
        std::fs::read(reply_file).unwrap(),
        reply,
        "the file holds it all"
    );
}

#[tokio::test]
async fn b27_only_upload_reply_jobs_have_reply_data_and_a_reply_file() {
    let t = TestEngine::start("b27").await;
    for job_type in [JobType::Download, JobType::Upload] {
        let id = t.engine.create_job("no reply", job_type).unwrap();
        assert_eq!(refusal(t.engine.get_reply_data(id)), ErrorCode::E_NOTIMPL);
        assert_eq!(
            refusal(t.engine.get_reply_file_name(id)),
            ErrorCode::E_NOTIMPL
        );
    }
    let id = t.engine.create_job("reply", JobType::UploadReply).unwrap();
    assert_eq!(t.engine.get_reply_file_name(id).unwrap(), None);
    assert_eq!(
        t.engine.get_reply_data(id).unwrap_err().code,
        ErrorCode::BG_E_INVALID_STATE,
        "no reply before TRANSFERRED"
    );
}

#[tokio::test]
async fn h95_reply_total_is_unknown_until_the_reply_starts() {
    let server = BitsServer::start(BitsServerConfig::misbehaving(Misbehaviour {
        reply: Some(body(3_000, 95)),
        final_ack_delay: Some(Duration::from_secs(2)),
        ..Misbehaviour::default()
    }))
    .await;
    let t = TestEngine::start("h95").await;
    let upload = body(1_000, 950);
    let (id, _) = upload_job_to(&t, &server, JobType::UploadReply, "h95.bin", &upload);
    let fresh = t.engine.get(id).unwrap().reply_progress.unwrap();
    assert_eq!((fresh.bytes_total, fresh.bytes_transferred), (None, 0));
    t.engine.resume(id).unwrap();
    wait_until("the final fragment on the server", || async {
        !packets_of(&server, PacketKind::Fragment).is_empty()
    })
    .await;
    let uploading = t.engine.get(id).unwrap();
    assert_eq!(
        uploading.reply_progress.unwrap().bytes_total,
        None,
        "the server application is still working; no reply yet"
    );
    let done = t.wait_state(id, JobState::Transferred).await;
    assert_eq!(done.reply_progress.unwrap().bytes_total, Some(3_000));
}

#[tokio::test]
async fn f68_upload_reply_errors_tell_the_failing_leg() {
    let refusing = BitsServer::start(BitsServerConfig::misbehaving(Misbehaviour {
        refuse_create_session: Some(404),
        ..Misbehaviour::default()
    }))
    .await;
    let t = TestEngine::start("f68").await;
    let upload = body(1_000, 68);
    let id = start_upload_to(&t, &refusing, JobType::UploadReply, "f68.bin", &upload);
    let job = t.wait_state(id, JobState::Error).await;
    assert_eq!(job.error.unwrap().context, ErrorContext::RemoteFile);
    assert_eq!(
        job.reply_progress.unwrap().bytes_total,
        None,
        "REMOTE_FILE with an unknown reply size: the upload leg failed"
    );

    let failing_app = BitsServer::start(BitsServerConfig::misbehaving(Misbehaviour {
        app_failure: Some(AppFailure {
            status: 400,
            times: 1,
        }),
        reply: Some(body(100, 1)),
        ..Misbehaviour::default()
    }))
    .await;
    let upload = body(1_000, 681);
    let id = start_upload_to(
        &t,
        &failing_app,
        JobType::UploadReply,
        "f68-app.bin",
        &upload,
    );
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.context, ErrorContext::RemoteApplication);
}
