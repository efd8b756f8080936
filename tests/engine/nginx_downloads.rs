//! Ranges, ETag and If-Range against a real third-party server: nginx from Debian.

use std::path::Path;

use ferry_engine::{ByteRange, FileSpec, JobState, JobType};

use crate::harness::TestEngine;
use crate::servers::body;
use crate::third_party::{Ranges, Software, ThirdPartyServer};

/// Downloads `name` from nginx to TRANSFERRED, stops the engine, and cuts the temporary file to
/// a third, as a crash that lost the tail would. Returns the restarted engine and the job.
async fn interrupted(
    name: &str,
    nginx: &ThirdPartyServer,
    test: &str,
) -> (TestEngine, ferry_engine::JobId, std::path::PathBuf) {
    let t = TestEngine::start(test).await;
    let id = t.start_job(&[(&nginx.url(&format!("/{name}")), name)]);
    let job = t.wait_state(id, JobState::Transferred).await;
    let temp = job.files[0].temp_path.clone().unwrap();
    let t = {
        t.engine.shutdown().await;
        let len = std::fs::metadata(&temp).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&temp)
            .unwrap()
            .set_len(len / 3)
            .unwrap();
        let engine = ferry_engine::Engine::start(t.config.clone(), t.data.path())
            .await
            .unwrap();
        TestEngine { engine, ..t }
    };
    (t, id, temp)
}

/// nginx serving a new folder holding one file, ranges on.
fn nginx_serving(label: &str, name: &str, bytes: &[u8]) -> (tempfile::TempDir, ThirdPartyServer) {
    ThirdPartyServer::serving_one_file(Software::Nginx, label, name, bytes, Ranges::Served)
}

fn flip_first_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[0] ^= 0xFF;
    std::fs::write(path, bytes).unwrap();
}

#[tokio::test]
async fn nginx_resume_continues_with_range_and_if_range() {
    let data = body(3_000_000, 1);
    let (_root, nginx) = nginx_serving("nginx-root", "big.bin", &data);
    let (t, id, temp) = interrupted("big.bin", &nginx, "nginx-resume").await;
    flip_first_byte(&temp); // a sentinel: a resume keeps the bytes already on disk
    let job = t.wait_state(id, JobState::Transferred).await;
    assert_eq!(job.files[0].bytes_transferred, data.len() as u64);
    t.engine.complete(id).unwrap();
    let got = t.read("big.bin");
    assert_eq!(got.len(), data.len());
    assert_eq!(
        got[0],
        data[0] ^ 0xFF,
        "the kept prefix was not downloaded again"
    );
    assert_eq!(
        got[1..],
        data[1..],
        "the rest continues exactly where the prefix ends"
    );
}

#[tokio::test]
async fn nginx_a_changed_file_restarts_from_zero() {
    let old = body(2_000_000, 2);
    let (root, nginx) = nginx_serving("nginx-root-changed", "file.bin", &old);
    let (t, id, _) = interrupted("file.bin", &nginx, "nginx-changed").await;
    t.engine.suspend(id).unwrap();
    let new = body(2_000_000, 3);
    std::fs::write(root.path().join("file.bin"), &new).unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(10);
    std::fs::File::options()
        .write(true)
        .open(root.path().join("file.bin"))
        .unwrap()
        .set_modified(later)
        .unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    t.engine.complete(id).unwrap();
    assert_eq!(
        t.read("file.bin"),
        new,
        "no byte of the old version remains"
    );
}

#[tokio::test]
async fn nginx_ranges_are_fetched_in_the_order_given_and_server_time_is_kept() {
    let data = body(100_000, 4);
    let (root, nginx) = nginx_serving("nginx-root-ranges", "r.bin", &data);
    let t = TestEngine::start("nginx-ranges").await;
    let id = t.engine.create_job("ranges", JobType::Download).unwrap();
    let ranges = vec![
        ByteRange {
            offset: 50_000,
            length: Some(1000),
        },
        ByteRange {
            offset: 10,
            length: Some(20),
        },
    ];
    t.engine
        .add_file_with_ranges(
            id,
            FileSpec {
                remote_url: nginx.url("/r.bin"),
                local_path: t.path("r.bin"),
            },
            ranges,
        )
        .unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    t.engine.complete(id).unwrap();
    assert_eq!(
        t.read("r.bin"),
        [&data[50_000..51_000], &data[10..30]].concat()
    );
    let source_time = std::fs::metadata(root.path().join("r.bin"))
        .unwrap()
        .modified()
        .unwrap();
    let final_time = std::fs::metadata(t.path("r.bin"))
        .unwrap()
        .modified()
        .unwrap();
    let drift = source_time
        .duration_since(final_time)
        .unwrap_or_else(|e| e.duration());
    assert!(
        drift.as_secs() < 1,
        "the final file carries the server's Last-Modified"
    );
}
