//! An upload across SIGKILLs of the owner: the session id is stored before the first fragment,
//! so each new owner continues the same session from the byte the server expects, and the
//! server ends up with a byte-identical file.

use ferry_engine::{Engine, FileSpec, JobState, JobType, Priority};

use crate::bits_server::{BitsServer, BitsServerConfig, PacketKind};
use crate::harness::test_config;
use crate::runs::{kill_runs, run_to_the_end};
use crate::servers::body;
use crate::uploads_support::{packets_of, uploaded, SlowLink};
use crate::util::{sha256, temp_dir};

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
    let ended = run_to_the_end(dir.path()).await;
    assert!(
        ended.success(),
        "the last run finishes the upload: {ended:?}"
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
