//! Uploads killed with SIGKILL in each phase (Create-Session, a fragment, Close-Session, the
//! reply download of an upload-reply job) and run again: the server ends with a file identical
//! to the source, one session that was created and closed, nothing left open, and the job
//! TRANSFERRED (with, for upload-reply, the reply the server sent).
//!
//! The engine runs in the owner, a real `ferry service` process; the BITS server holds the
//! phase's packet (or stalls the reply) until the process is killed, so the kill always lands
//! in that phase.

use std::path::PathBuf;

use bytes::Bytes;
use ferry_engine::{Engine, JobId, JobState, JobType};

use crate::bits_server::{
    BitsServer, BitsServerConfig, Hold, HoldPoint, Misbehaviour, Packet, PacketKind,
};
use crate::harness::test_config;
use crate::queue::queue_upload;
use crate::servers::body;
use crate::service::{Runtime, Service};
use crate::uploads_support::uploaded;
use crate::util::{sha256, temp_dir, wait_until};

/// Three full fragments of the default size and a short fourth.
const SIZE: usize = (3 << 20) + 12_345;
/// The uploaded file's name, locally and on the server.
const NAME: &str = "up.bin";

/// An upload job run by an owner, killed once `reached` holds, and run by another.
struct KilledUpload {
    server: BitsServer,
    data: tempfile::TempDir,
    _files: tempfile::TempDir,
    id: JobId,
    upload: Bytes,
    phase: &'static str,
}

/// Queues a `job_type` upload of a new file to a server with `misbehaviour`, runs an owner
/// until `reached` says the upload is in `phase`, kills it with SIGKILL, lets `before_restart`
/// change the server, and runs another owner until the job is TRANSFERRED; that owner then
/// stops cleanly.
async fn kill_in(
    phase: &'static str,
    job_type: JobType,
    misbehaviour: Misbehaviour,
    reached: impl Fn(&BitsServer) -> bool,
    before_restart: impl FnOnce(&BitsServer),
) -> KilledUpload {
    let server = BitsServer::start(BitsServerConfig::misbehaving(misbehaviour)).await;
    let data = temp_dir(&format!("upload-kill-{phase}-data"));
    let files = temp_dir(&format!("upload-kill-{phase}-files"));
    let upload = body(SIZE, 11);
    let source: PathBuf = files.path().join(NAME);
    std::fs::write(&source, &upload).unwrap();
    let id = queue_upload(data.path(), job_type, &server.url(NAME), &source).await;

    let first = Service::spawn_on(data.path(), &Runtime::new());
    wait_until(&format!("the upload in its {phase}"), || {
        std::future::ready(reached(&server))
    })
    .await;
    let killed = first.kill().await;
    assert!(
        killed.code().is_none(),
        "{phase}: the owner ran until killed: {killed}"
    );
    before_restart(&server);

    let second = Service::start(data.path()).await;
    second.lines().await.until(id, JobState::Transferred).await;
    let status = second.stop().await;
    assert!(status.success(), "{phase}: the owner ended with {status}");
    KilledUpload {
        server,
        data,
        _files: files,
        id,
        upload,
        phase,
    }
}

/// [`kill_in`] with the packet of `kind` that follows `skip` others of that type held at
/// `point`.
async fn kill_while_held(
    phase: &'static str,
    job_type: JobType,
    kind: PacketKind,
    skip: usize,
    point: HoldPoint,
) -> KilledUpload {
    let misbehaviour = Misbehaviour {
        hold: Some(Hold { kind, skip, point }),
        ..Misbehaviour::default()
    };
    kill_in(phase, job_type, misbehaviour, |s| s.held() == 1, |_| {}).await
}

impl KilledUpload {
    /// How many packets of one type the server saw, answered or not.
    fn seen(&self, kind: PacketKind) -> usize {
        self.server
            .packets()
            .iter()
            .filter(|p| p.kind == kind)
            .count()
    }

    /// The packets of one type the server answered with `status`.
    fn acked(&self, kind: PacketKind, status: u16) -> Vec<Packet> {
        self.server
            .packets()
            .into_iter()
            .filter(|p| p.kind == kind && p.ack_status == Some(status))
            .collect()
    }

    /// The server holds the source's bytes under one session that was created and closed, and
    /// nothing else; the store says TRANSFERRED. Returns the engine on the store, for Complete.
    async fn assert_one_identical_upload(&self) -> Engine {
        let phase = self.phase;
        assert_eq!(
            sha256(&uploaded(&self.server, NAME)),
            sha256(&self.upload),
            "{phase}: the server's file is the source"
        );
        let created = self.acked(PacketKind::CreateSession, 200);
        let kinds: Vec<_> = self.server.packets().iter().map(|p| p.kind).collect();
        assert_eq!(
            created.len(),
            1,
            "{phase}: the server created exactly one session: {kinds:?}"
        );
        let session = self
            .acked(PacketKind::Fragment, 200)
            .first()
            .and_then(|p| p.session_id.clone())
            .expect("an acknowledged fragment names its session");
        assert!(
            self.acked(PacketKind::CloseSession, 200)
                .iter()
                .any(|p| p.session_id.as_deref() == Some(session.as_str())),
            "{phase}: the session was closed: {kinds:?}"
        );
        assert_eq!(
            self.server.sessions(),
            Vec::new(),
            "{phase}: no session is left open"
        );
        assert_eq!(
            self.server.partial_files(),
            Vec::<PathBuf>::new(),
            "{phase}: no partial upload is left"
        );
        let engine = Engine::start(test_config(), self.data.path())
            .await
            .unwrap();
        let job = engine.get(self.id).unwrap();
        assert_eq!(job.state, JobState::Transferred, "{phase}: {:?}", job.error);
        engine
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_during_create_session_ends_with_one_session_and_an_identical_file() {
    let killed = kill_while_held(
        "Create-Session",
        JobType::Upload,
        PacketKind::CreateSession,
        0,
        HoldPoint::BeforeHandling,
    )
    .await;
    assert_eq!(
        killed.seen(PacketKind::CreateSession),
        2,
        "the held Create-Session, then one after the restart"
    );
    killed.assert_one_identical_upload().await.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_while_a_stored_fragment_is_unacknowledged_ends_with_one_session_and_an_identical_file(
) {
    let killed = kill_while_held(
        "second fragment",
        JobType::Upload,
        PacketKind::Fragment,
        1,
        HoldPoint::BeforeAck,
    )
    .await;
    assert!(
        killed.seen(PacketKind::Fragment) > SIZE.div_ceil(1 << 20),
        "the fragment the server stored without a word was sent again"
    );
    killed.assert_one_identical_upload().await.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_while_close_session_is_unacknowledged_ends_with_one_closed_session_and_an_identical_file(
) {
    let killed = kill_while_held(
        "Close-Session",
        JobType::Upload,
        PacketKind::CloseSession,
        0,
        HoldPoint::BeforeAck,
    )
    .await;
    assert!(
        killed.seen(PacketKind::CloseSession) >= 2,
        "the restarted run closed the session again, not knowing it was closed"
    );
    killed.assert_one_identical_upload().await.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_during_the_reply_download_ends_with_one_session_and_the_reply_the_server_sent() {
    let reply = body(300_000, 12);
    let stalling = Misbehaviour {
        reply: Some(reply.clone()),
        stall_reply_after: Some(100_000),
        ..Misbehaviour::default()
    };
    let killed = kill_in(
        "reply download",
        JobType::UploadReply,
        stalling,
        |s| s.reply_fetches().iter().any(|f| f.method == "GET"),
        |s| {
            s.set_misbehaviour(Misbehaviour {
                stall_reply_after: None,
                ..s.misbehaviour()
            })
        },
    )
    .await;
    let gets = killed
        .server
        .reply_fetches()
        .into_iter()
        .filter(|f| f.method == "GET")
        .count();
    assert!(gets >= 2, "the reply was fetched again after the kill");
    let engine = killed.assert_one_identical_upload().await;
    let reply_file = engine
        .get_reply_file_name(killed.id)
        .unwrap()
        .expect("the first Resume chose a reply file");
    engine.complete(killed.id).unwrap();
    engine.shutdown().await;
    assert_eq!(
        sha256(&std::fs::read(&reply_file).unwrap()),
        sha256(&reply),
        "the reply file at Complete is the reply the server sent: {:?}",
        killed.server.reply_fetches()
    );
}
