//! Section J: the upload protocol, as our BITS upload server sees the engine speak it.

use std::time::Duration;

use ferry_engine::{ErrorCode, ErrorContext, JobState, JobType};

use super::uploads_support::{
    kinds, packets_at, packets_of, session_packet, start_upload, start_upload_to, upload_job_to,
    uploaded,
};
use crate::bits_server::{
    AppFailure, BitsServer, BitsServerConfig, DropFragments, HostId, HostIdTarget, Listener,
    Misbehaviour, PacketKind, UPLOAD_PROTOCOL,
};
use crate::harness::TestEngine;
use crate::servers::body;

#[tokio::test]
async fn j105_an_upload_pings_then_creates_a_session_offering_the_upload_protocol() {
    let server = BitsServer::start(BitsServerConfig::default()).await;
    let t = TestEngine::start("j105").await;
    let data = body(5_000, 105);
    let id = start_upload_to(&t, &server, JobType::Upload, "j105.bin", &data);
    t.wait_state(id, JobState::Transferred).await;
    use PacketKind::*;
    assert_eq!(
        kinds(&server),
        [Ping, CreateSession, Fragment, CloseSession]
    );
    let packets = server.packets();
    assert!(
        packets.iter().all(|p| p.method == "BITS_POST"),
        "every packet uses BITS_POST"
    );
    let offered = packets[1]
        .header("bits-supported-protocols")
        .expect("Create-Session offers protocols");
    assert!(
        offered
            .split_whitespace()
            .any(|guid| guid.eq_ignore_ascii_case(UPLOAD_PROTOCOL)),
        "{offered}"
    );
    assert_eq!(uploaded(&server, "j105.bin"), data);
}

#[tokio::test]
async fn j106_the_session_id_is_echoed_unchanged_on_every_later_packet() {
    let session = "Ferry test: any legal text ~ {not a GUID} 42";
    let server = BitsServer::start(BitsServerConfig {
        session_ids: vec![session.to_owned()],
        ..BitsServerConfig::default()
    })
    .await;
    let t = TestEngine::start_with("j106", |c| c.upload_fragment_size = 256).await;
    let data = body(1_000, 106);
    let id = start_upload_to(&t, &server, JobType::Upload, "j106.bin", &data);
    t.wait_state(id, JobState::Transferred).await;
    let later: Vec<_> = server
        .packets()
        .into_iter()
        .skip_while(|p| p.kind != PacketKind::CreateSession)
        .skip(1)
        .collect();
    assert_eq!(later.len(), 5, "four fragments and Close-Session");
    for packet in later {
        assert_eq!(
            packet.session_id.as_deref(),
            Some(session),
            "{:?} must echo the session id",
            packet.kind
        );
    }
    assert_eq!(uploaded(&server, "j106.bin"), data);
}

#[tokio::test]
async fn j108_fragments_are_contiguous_from_zero_with_the_file_name_on_the_first() {
    let server = BitsServer::start(BitsServerConfig::default()).await;
    let t = TestEngine::start_with("j108", |c| c.upload_fragment_size = 128).await;
    let data = body(300, 108);
    let id = start_upload(
        &t,
        JobType::Upload,
        &server.url("j108.bin"),
        "quarterly report.csv",
        &data,
    );
    t.wait_state(id, JobState::Transferred).await;
    let fragments = packets_of(&server, PacketKind::Fragment);
    let ranges: Vec<_> = fragments
        .iter()
        .map(|f| f.content_range.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        ranges,
        ["bytes 0-127/300", "bytes 128-255/300", "bytes 256-299/300"]
    );
    assert_eq!(
        fragments[0].content_name.as_deref(),
        Some("quarterly report.csv"),
        "the first fragment names the file, without its folder"
    );
    for (i, fragment) in fragments.iter().enumerate() {
        if i > 0 {
            assert_eq!(
                fragment.content_name, None,
                "only the first carries the name"
            );
        }
        assert_eq!(fragment.header("content-encoding"), None);
        assert_eq!(
            fragment.header("content-length"),
            Some(fragment.body_len.to_string().as_str())
        );
    }
    assert_eq!(uploaded(&server, "j108.bin"), data);
}

#[tokio::test]
async fn j108_a_300_byte_file_goes_in_one_fragment_by_default() {
    let server = BitsServer::start(BitsServerConfig::default()).await;
    let t = TestEngine::start("j108-one").await;
    let id = start_upload_to(&t, &server, JobType::Upload, "one.bin", &body(300, 1));
    t.wait_state(id, JobState::Transferred).await;
    let fragments = packets_of(&server, PacketKind::Fragment);
    assert_eq!(fragments.len(), 1);
    assert_eq!(
        fragments[0].content_range.as_deref(),
        Some("bytes 0-299/300")
    );
}

#[tokio::test]
async fn j109_the_next_fragment_starts_where_the_server_says_it_expects() {
    let server = BitsServer::start(BitsServerConfig::misbehaving(Misbehaviour {
        drop_fragments: Some(DropFragments {
            after_bytes: 50,
            times: 1,
        }),
        ..Misbehaviour::default()
    }))
    .await;
    let t = TestEngine::start_with("j109", |c| c.upload_fragment_size = 128).await;
    let data = body(300, 109);
    let url = server.url("j109.bin");
    let id = start_upload(&t, JobType::Upload, &url, "j109.bin", &data);
    t.wait_state(id, JobState::TransientError).await;
    let session = server.sessions()[0].clone();
    assert_eq!(session.received, 50, "the cut fragment left 50 bytes");
    // Another sender of the same session brings the server to byte 213 (bytes 128–212 last).
    let ack = session_packet(&url, "Fragment", &session.id)
        .header("Content-Range", "bytes 50-212/300")
        .body(data[50..213].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(
        ack.headers()["bits-received-content-range"],
        "213",
        "the server expects byte 213 next"
    );
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    let ranges: Vec<_> = packets_of(&server, PacketKind::Fragment)
        .iter()
        .filter_map(|f| f.content_range.clone())
        .collect();
    assert_eq!(
        ranges,
        [
            "bytes 0-127/300",
            "bytes 50-212/300",
            "bytes 0-127/300",
            "bytes 213-299/300"
        ],
        "after the Ack naming 213 the engine continued at 213"
    );
    assert_eq!(uploaded(&server, "j109.bin"), data);
}

#[tokio::test]
async fn j111_the_reply_is_downloaded_before_close_session_and_only_then_transferred() {
    let reply = body(5_000, 111);
    let server = BitsServer::start(BitsServerConfig::misbehaving(Misbehaviour {
        reply: Some(reply.clone()),
        ..Misbehaviour::default()
    }))
    .await;
    let t = TestEngine::start("j111").await;
    let data = body(20_000, 1111);
    let id = start_upload_to(&t, &server, JobType::UploadReply, "j111.bin", &data);
    let job = t.wait_state(id, JobState::Transferred).await;
    let fetches = server.reply_fetches();
    assert!(
        fetches.iter().any(|f| f.method == "GET" && f.status == 200),
        "the reply was fetched while the session still served it: {fetches:?}"
    );
    assert_eq!(
        kinds(&server).last(),
        Some(&PacketKind::CloseSession),
        "Close-Session comes after the reply"
    );
    assert_eq!(
        job.reply_progress
            .map(|r| (r.bytes_total, r.bytes_transferred)),
        Some((Some(5_000), 5_000))
    );
    assert_eq!(t.engine.get_reply_data(id).unwrap(), reply);
    assert_eq!(uploaded(&server, "j111.bin"), data);
}

#[tokio::test]
async fn j113_later_packets_go_to_the_host_the_server_names() {
    let server = BitsServer::start(BitsServerConfig {
        host_id: Some(HostId {
            target: HostIdTarget::SecondListener,
            fallback_timeout_secs: None,
        }),
        ..BitsServerConfig::default()
    })
    .await;
    let t = TestEngine::start_with("j113", |c| c.upload_fragment_size = 1_000).await;
    let data = body(3_500, 113);
    let id = start_upload_to(&t, &server, JobType::Upload, "j113.bin", &data);
    t.wait_state(id, JobState::Transferred).await;
    use PacketKind::*;
    let main: Vec<_> = packets_at(&server, Listener::Main)
        .iter()
        .map(|p| p.kind)
        .collect();
    let moved: Vec<_> = packets_at(&server, Listener::HostId)
        .iter()
        .map(|p| p.kind)
        .collect();
    assert_eq!(main, [Ping, CreateSession]);
    assert_eq!(
        moved,
        [Fragment, Fragment, Fragment, Fragment, CloseSession]
    );
    assert_eq!(uploaded(&server, "j113.bin"), data);
}

#[tokio::test]
async fn j113_an_unreachable_named_host_is_given_up_only_after_its_fallback_timeout() {
    let server = BitsServer::start(BitsServerConfig {
        host_id: Some(HostId {
            target: HostIdTarget::SecondListener,
            fallback_timeout_secs: Some(1),
        }),
        ..BitsServerConfig::default()
    })
    .await;
    server.set_host_id_reachable(false).await;
    let t = TestEngine::start("j113-fallback").await;
    let data = body(10_000, 1131);
    let id = start_upload_to(&t, &server, JobType::Upload, "j113.bin", &data);
    let error = t.wait_error(id, JobState::TransientError).await;
    assert_eq!(
        error.code,
        ErrorCode::ERROR_WINHTTP_CANNOT_CONNECT,
        "the named host did not answer"
    );
    assert!(
        packets_of(&server, PacketKind::Fragment).is_empty(),
        "no fragment went to the original host before the timeout"
    );
    tokio::time::sleep(Duration::from_millis(1_100)).await; // the host stays away past 1 s
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    let creates = packets_of(&server, PacketKind::CreateSession);
    assert_eq!(creates.len(), 2, "starting over means a new session");
    assert!(creates.iter().all(|p| p.listener == Listener::Main));
    let fragments = packets_of(&server, PacketKind::Fragment);
    assert!(
        fragments.iter().all(|p| p.listener == Listener::Main),
        "the new session stays on the original host"
    );
    assert_eq!(
        fragments[0].content_range.as_deref(),
        Some("bytes 0-9999/10000")
    );
    assert_eq!(uploaded(&server, "j113.bin"), data);
}

#[tokio::test]
async fn j114_a_refused_create_session_surfaces_its_code_in_remote_file_context() {
    let server = BitsServer::start(BitsServerConfig::misbehaving(Misbehaviour {
        refuse_create_session: Some(403),
        ..Misbehaviour::default()
    }))
    .await;
    let t = TestEngine::start("j114-403").await;
    let id = start_upload_to(&t, &server, JobType::Upload, "x.bin", &body(100, 1));
    t.wait_state(id, JobState::Error).await;
    let error = t.engine.get_error(id).unwrap();
    assert_eq!(error.code.0, 0x8019_0193);
    assert_eq!(error.context, ErrorContext::RemoteFile);
    assert_eq!(error.file_index, Some(0));
}

#[tokio::test]
async fn j114_a_failing_server_application_surfaces_in_remote_application_context() {
    let server = BitsServer::start(BitsServerConfig::misbehaving(Misbehaviour {
        app_failure: Some(AppFailure {
            status: 500,
            times: 1,
        }),
        ..Misbehaviour::default()
    }))
    .await;
    let t = TestEngine::start("j114-app").await;
    let data = body(2_000, 114);
    let id = start_upload_to(&t, &server, JobType::Upload, "app.bin", &data);
    t.wait_state(id, JobState::TransientError).await;
    let error = t.engine.get_error(id).unwrap();
    assert_eq!(error.code.0, 0x8019_01F4);
    assert_eq!(error.context, ErrorContext::RemoteApplication);
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    assert_eq!(
        packets_of(&server, PacketKind::CreateSession).len(),
        1,
        "the retry re-sends the final fragment in the same session"
    );
    assert_eq!(uploaded(&server, "app.bin"), data);

    let refusing = BitsServer::start(BitsServerConfig::misbehaving(Misbehaviour {
        app_failure: Some(AppFailure {
            status: 403,
            times: 1,
        }),
        ..Misbehaviour::default()
    }))
    .await;
    let (id, _) = upload_job_to(&t, &refusing, JobType::Upload, "app2.bin", &data);
    t.engine.resume(id).unwrap();
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code.0, 0x8019_0193);
    assert_eq!(error.context, ErrorContext::RemoteApplication);
}
