//! Upload failures and recoveries: a local file that changes (76), Close-Session answered 5xx,
//! servers that want credentials, and a server that forgets the session.

use std::time::{Duration, SystemTime};

use ferry_engine::{
    AuthScheme, AuthTarget, Credentials, ErrorCode, ErrorContext, JobState, JobType,
};

use super::uploads_support::{
    cutting_first_fragment, kinds, packets_of, session_packet, start_upload, start_upload_to,
    upload_job_to, uploaded,
};
use crate::bits_server::{self, BitsServer, BitsServerConfig, Misbehaviour, PacketKind};
use crate::harness::TestEngine;
use crate::servers::body;

#[tokio::test]
async fn f76_a_local_file_that_grows_during_the_upload_is_bg_e_local_file_changed() {
    let server = BitsServer::start(cutting_first_fragment()).await;
    let t = TestEngine::start("f76").await;
    let (id, source) = upload_job_to(&t, &server, JobType::Upload, "f76.bin", &body(20_000, 76));
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::TransientError).await;
    let mut grown = std::fs::read(&source).unwrap();
    grown.extend_from_slice(b"one more line\n");
    std::fs::write(&source, grown).unwrap();
    t.engine.resume(id).unwrap();
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code, ErrorCode::BG_E_LOCAL_FILE_CHANGED);
    assert_eq!(error.code.0, 0x8020_001D);
    assert_eq!(error.context, ErrorContext::LocalFile);
    assert!(server.uploaded_file("f76.bin").is_none());
}

#[tokio::test]
async fn f76_a_local_file_rewritten_at_the_same_size_is_bg_e_local_file_changed() {
    let server = BitsServer::start(cutting_first_fragment()).await;
    let t = TestEngine::start("f76-same-size").await;
    let (id, source) = upload_job_to(&t, &server, JobType::Upload, "f76.bin", &body(20_000, 761));
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::TransientError).await;
    std::fs::write(&source, body(20_000, 762)).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&source)
        .unwrap()
        .set_modified(SystemTime::now() + Duration::from_secs(60))
        .unwrap();
    t.engine.resume(id).unwrap();
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code, ErrorCode::BG_E_LOCAL_FILE_CHANGED);
}

#[tokio::test]
async fn close_session_is_sent_again_while_the_server_answers_5xx() {
    let server = BitsServer::start(BitsServerConfig::misbehaving(Misbehaviour {
        close_session_unavailable: 2,
        ..Misbehaviour::default()
    }))
    .await;
    let t = TestEngine::start("close-retry").await;
    let data = body(5_000, 7);
    let id = start_upload_to(&t, &server, JobType::Upload, "c.bin", &data);
    t.wait_state(id, JobState::Transferred).await;
    let statuses: Vec<_> = packets_of(&server, PacketKind::CloseSession)
        .iter()
        .map(|p| p.ack_status)
        .collect();
    assert_eq!(statuses, [Some(503), Some(503), Some(200)]);
    assert!(server.sessions().is_empty(), "the session is closed");
    assert_eq!(uploaded(&server, "c.bin"), data);
}

#[tokio::test]
async fn credentials_answer_the_ping_and_no_fragment_is_sent_twice() {
    let server = BitsServer::start(BitsServerConfig::misbehaving(Misbehaviour {
        basic_auth: Some(bits_server::Credentials {
            user: "uploader".into(),
            password: "s3cret".into(),
        }),
        ..Misbehaviour::default()
    }))
    .await;
    let t = TestEngine::start_with("upload-auth", |c| c.upload_fragment_size = 1_000).await;
    let without = start_upload_to(&t, &server, JobType::Upload, "a.bin", &body(100, 1));
    let error = t.wait_error(without, JobState::Error).await;
    assert_eq!(error.code.0, 0x8019_0191);

    let data = body(4_500, 2);
    let (id, _) = upload_job_to(&t, &server, JobType::Upload, "b.bin", &data);
    t.engine
        .set_credentials(
            id,
            Credentials {
                target: AuthTarget::Server,
                scheme: AuthScheme::Basic,
                user_name: "uploader".into(),
                password: "s3cret".into(),
            },
        )
        .unwrap();
    let before = server.packets().len();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    let statuses: Vec<_> = server.packets()[before..]
        .iter()
        .map(|p| (p.kind, p.ack_status))
        .collect();
    use PacketKind::*;
    let ok = Some(200);
    assert_eq!(
        statuses,
        [
            (Ping, Some(401)),
            (Ping, ok),
            (CreateSession, ok),
            (Fragment, ok),
            (Fragment, ok),
            (Fragment, ok),
            (Fragment, ok),
            (Fragment, ok),
            (CloseSession, ok)
        ],
        "after the Ping's challenge every packet carries the credentials"
    );
    assert_eq!(uploaded(&server, "b.bin"), data);
}

#[tokio::test]
async fn a_server_that_forgot_the_session_gets_a_new_one() {
    let server = BitsServer::start(cutting_first_fragment()).await;
    let t = TestEngine::start("lost-session").await;
    let data = body(12_000, 9);
    let url = server.url("lost.bin");
    let id = start_upload(&t, JobType::Upload, &url, "lost.bin", &data);
    t.wait_state(id, JobState::TransientError).await;
    let session = server.sessions()[0].id.clone();
    let forgotten = session_packet(&url, "Cancel-Session", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(forgotten.status(), 200);
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    use PacketKind::*;
    assert_eq!(
        kinds(&server),
        [
            Ping,
            CreateSession,
            Fragment,
            CancelSession,
            Ping,
            Fragment,
            Ping,
            CreateSession,
            Fragment,
            CloseSession
        ]
    );
    let fragments = packets_of(&server, Fragment);
    assert_eq!(
        fragments[1].ack_status,
        Some(500),
        "BG_E_SESSION_NOT_FOUND comes as a 500 Ack"
    );
    assert_ne!(fragments[2].session_id.as_deref(), Some(session.as_str()));
    assert_eq!(uploaded(&server, "lost.bin"), data);
}
