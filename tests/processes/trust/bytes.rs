//! What Ferry guarantees about the download path when the owner is killed: a kill between two
//! versions of a file never mixes them, and a kill in a file's first seconds resumes from what
//! is on disk.

use std::time::Duration;

use bytes::Bytes;
use ferry_engine::{Engine, FileSpec, JobState, JobType, Priority};

use crate::harness::test_config;
use crate::queue::queue_job;
use crate::runs::{kill_early_then_resume, run_to_the_end};
use crate::servers::{body, Behaviour, Resource, TestServer};
use crate::service::{Runtime, Service};
use crate::util::{sha256, sha256_file, temp_dir, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_2_a_version_flip_and_a_kill_never_mix_two_versions() {
    const SIZE: usize = 4_000_000;
    let (a, b) = (body(SIZE, 21), body(SIZE, 22));
    let drip = |data: &Bytes, index| Behaviour::SlowDrip {
        resource: Resource::version(data.clone(), index),
        bytes_per_tick: 65_536,
        tick: Duration::from_millis(10),
    };
    let server = TestServer::start(Behaviour::Stall {
        resource: Resource::version(a.clone(), 0),
        after: 300_000,
    })
    .await;
    let data = temp_dir("flip-data");
    let files = temp_dir("flip-files");
    let local = files.path().join("flip.bin");
    // Version A: a part of it on disk, its validators in the store.
    let (id, temp) = {
        let engine = Engine::start(test_config(), data.path()).await.unwrap();
        let id = engine.create_job("flip", JobType::Download).unwrap();
        engine
            .add_file(
                id,
                FileSpec {
                    remote_url: server.url("/flip.bin"),
                    local_path: local.clone(),
                },
            )
            .unwrap();
        engine.set_priority(id, Priority::Foreground).unwrap();
        engine.resume(id).unwrap();
        let temp = engine.get(id).unwrap().files[0].temp_path.clone().unwrap();
        let engine_ref = &engine;
        wait_until("a part of version A", || async move {
            engine_ref.get(id).unwrap().progress.bytes_transferred > 0
        })
        .await;
        engine.shutdown().await;
        (id, temp)
    };
    assert!(std::fs::read(&temp).unwrap().starts_with(&a[..1000]));

    // Version B: the file starts over and B's bytes reach the disk; SIGKILL right then.
    server.set_behaviour(drip(&b, 1));
    let owner = Service::spawn_on(data.path(), &Runtime::new());
    let (temp_ref, b_ref) = (&temp, &b);
    wait_until("version B's bytes on disk", || async move {
        std::fs::read(temp_ref)
            .is_ok_and(|on_disk| on_disk.len() >= 1000 && on_disk[..1000] == b_ref[..1000])
    })
    .await;
    owner.kill().await;

    // Version A again: whatever the file ends as, it is one version.
    server.set_behaviour(drip(&a, 0));
    let ended = run_to_the_end(data.path()).await;
    assert!(ended.success(), "{ended:?}");
    let engine = Engine::start(test_config(), data.path()).await.unwrap();
    assert_eq!(engine.get(id).unwrap().state, JobState::Transferred);
    engine.complete(id).unwrap();
    let got = sha256_file(&local);
    assert!(
        got == sha256(&a) || got == sha256(&b),
        "the file is a mix of versions A and B"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_a_kill_in_a_files_first_seconds_resumes_from_what_is_on_disk() {
    let data = body(4_000_000, 24);
    let server = TestServer::start(Behaviour::slow_drip(
        data.clone(),
        16_384,
        Duration::from_millis(10),
    ))
    .await;
    let store = temp_dir("early-kill-data");
    let files = temp_dir("early-kill-files");
    let local = files.path().join("early.bin");
    let id = queue_job(
        store.path(),
        &server.url("/early.bin"),
        &local,
        |engine, id| {
            engine.set_priority(id, Priority::Foreground).unwrap();
        },
    )
    .await;
    kill_early_then_resume(store.path(), files.path(), 300_000, &server).await;
    let engine = Engine::start(test_config(), store.path()).await.unwrap();
    engine.complete(id).unwrap();
    assert_eq!(sha256_file(&local), sha256(&data));
    engine.shutdown().await;
}
