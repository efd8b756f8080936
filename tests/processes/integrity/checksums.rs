//! Checksums across a kill of the owner mid-file, and `ferry transfer --checksum`: a file that
//! does not match never reaches its final name, and nothing of it is kept.

use std::time::Duration;

use ferry_engine::{Engine, Priority, Verification};
use sha2::Digest as _;

use crate::harness::{files_in, test_config};
use crate::owned::Owned;
use crate::queue::queue_job;
use crate::runs::kill_early_then_resume;
use crate::servers::{body, Behaviour, DigestHeader, TestServer};
use crate::util::{sha256, sha256_file, temp_dir};

/// A wrong `sha256:` checksum (of other bytes).
fn wrong_sha256() -> String {
    format!("sha256:{}", sha256(b"not the file"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_after_a_kill_mid_file_verifies_the_whole_file_without_fetching_the_prefix_again()
{
    let data = body(4_000_000, 40);
    let drip = Behaviour::slow_drip(data.clone(), 16_384, Duration::from_millis(10));
    let server = TestServer::start(drip.with_digest(DigestHeader::Repr, &data, false)).await;
    let store = temp_dir("checksum-kill-data");
    let files = temp_dir("checksum-kill-files");
    let local = files.path().join("early.bin");
    let checksum = format!("md5:{}", hex::encode(md5::Md5::digest(&data)));
    let id = queue_job(
        store.path(),
        &server.url("/early.bin"),
        &local,
        |engine, id| {
            engine.set_priority(id, Priority::Foreground).unwrap();
            engine.set_checksum(id, 0, Some(&checksum)).unwrap();
        },
    )
    .await;
    kill_early_then_resume(store.path(), files.path(), 300_000, &server).await;
    let engine = Engine::start(test_config(), store.path()).await.unwrap();
    let job = engine.get(id).unwrap();
    assert_eq!(job.files[0].verification, Verification::Checksum);
    assert_eq!(job.files[0].sha256, Some(sha256(&data)));
    engine.complete(id).unwrap();
    assert_eq!(sha256_file(&local), sha256(&data));
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ferry_transfer_get_checks_a_checksum_and_keeps_nothing_on_a_mismatch() {
    let data = body(300_000, 44);
    let server = TestServer::start(Behaviour::full(data.clone())).await;
    let owned = Owned::start("checksum-cli");
    let folder = temp_dir("checksum-cli");
    // `ferry transfer --checksum CHECKSUM URL PATH`: its exit code and stderr.
    let transfer = |path: &std::path::Path, checksum: &str| {
        let out = owned.ferry(&[
            "transfer",
            "--checksum",
            checksum,
            &server.url("/f.bin"),
            path.to_str().unwrap(),
        ]);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let good = folder.path().join("good.bin");
    let right = format!("sha1:{}", hex::encode(sha1::Sha1::digest(&data)));
    let (code, stderr) = transfer(&good, &right);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(sha256_file(&good), sha256(&data));

    let bad = folder.path().join("bad.bin");
    let (code, stderr) = transfer(&bad, &wrong_sha256());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("FERRY_E_CHECKSUM_MISMATCH"), "{stderr}");
    assert!(stderr.contains(&sha256(&data)), "{stderr}");
    assert_eq!(
        files_in(folder.path()),
        ["good.bin"],
        "nothing of the wrong file is left"
    );

    let (code, stderr) = transfer(&bad, "sha256:beef");
    assert_eq!(
        code,
        Some(2),
        "a malformed checksum is wrong usage: {stderr}"
    );
    assert!(stderr.contains("sha256"), "{stderr}");
}
