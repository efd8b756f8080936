//! Section H: progress and times.

use ferry_engine::{JobState, JobType};

use crate::harness::TestEngine;
use crate::servers::{body, Behaviour, TestServer};

#[tokio::test]
async fn h96_transfer_completion_time_is_stamped_and_creation_time_never_changes() {
    let server = TestServer::start(Behaviour::full(body(1000, 1))).await;
    let t = TestEngine::start("h96").await;
    let id = t.job(&[(&server.url("/f"), "f")]);
    let created = t.engine.get(id).unwrap().times;
    assert_eq!(created.transfer_completed, None);
    t.engine.resume(id).unwrap();
    let job = t.wait_state(id, JobState::Transferred).await;
    let done = job
        .times
        .transfer_completed
        .expect("TransferCompletionTime is set");
    assert!(done >= created.created);
    assert!(job.times.modified >= done);
    assert_eq!(job.times.created, created.created);
}

#[tokio::test]
async fn h_unknown_sizes_are_reported_as_unknown_never_zero() {
    let t = TestEngine::start("h-unknown").await;
    let id = t.engine.create_job("x", JobType::Download).unwrap();
    t.engine
        .add_file(
            id,
            ferry_engine::FileSpec {
                remote_url: "http://127.0.0.1:9/f".into(),
                local_path: t.path("f"),
            },
        )
        .unwrap();
    let progress = t.engine.get(id).unwrap().progress;
    assert_eq!(progress.bytes_total, None);
    assert_eq!((progress.files_total, progress.files_transferred), (1, 0));
}

#[tokio::test]
async fn h_a_finished_file_reaches_the_next_progress_batch_even_when_the_next_file_stalls() {
    let server = TestServer::builder()
        .route("/first", Behaviour::full(body(50_000, 1)))
        .route(
            "/second",
            Behaviour::Stall {
                resource: crate::servers::Resource::new(body(50_000, 2)),
                after: 0,
            },
        )
        .start()
        .await;
    let t = TestEngine::start("h-progress").await;
    let mut events = t.engine.subscribe();
    let id = t.start_job(&[
        (&server.url("/first"), "first"),
        (&server.url("/second"), "second"),
    ]);
    let announced = tokio::time::timeout(crate::harness::PATIENCE, async {
        loop {
            if let Ok(ferry_engine::EngineEvent::Progress { jobs }) = events.recv().await {
                if jobs
                    .iter()
                    .any(|entry| entry.id == id && entry.progress.files_transferred == 1)
                {
                    return;
                }
            }
        }
    })
    .await;
    assert!(
        announced.is_ok(),
        "no progress batch said the first file had finished: job is {:?}",
        t.engine.get(id).unwrap().progress
    );
}

#[tokio::test]
async fn h_every_finished_file_reaches_a_progress_batch_with_its_final_size() {
    const FILES: usize = 6;
    const SIZE: usize = 1_500;
    let mut builder = TestServer::builder();
    for n in 0..FILES {
        builder = builder.route(&format!("/f{n}"), Behaviour::full(body(SIZE, n as u64)));
    }
    let server = builder.start().await;
    // Batches far apart, so small files start and finish between two of them.
    let t = TestEngine::start_with("h-final-sizes", |config| {
        config.progress_tick = std::time::Duration::from_millis(400);
    })
    .await;
    let mut events = t.engine.subscribe();
    let urls: Vec<(String, String)> = (0..FILES)
        .map(|n| (server.url(&format!("/f{n}")), format!("f{n}")))
        .collect();
    let files: Vec<(&str, &str)> = urls.iter().map(|(u, n)| (u.as_str(), n.as_str())).collect();
    let id = t.start_job(&files);
    t.wait_state(id, JobState::Transferred).await;
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;

    let mut sized = vec![false; FILES];
    while let Ok(event) = events.try_recv() {
        let ferry_engine::EngineEvent::Progress { jobs } = event else {
            continue;
        };
        for entry in jobs.iter().filter(|entry| entry.id == id) {
            let finished = entry.finished_files.iter().copied();
            for (index, bytes) in entry.current_file.into_iter().chain(finished) {
                if bytes.transferred == SIZE as u64 && bytes.total == Some(SIZE as u64) {
                    sized[index as usize] = true;
                }
            }
        }
    }
    assert!(
        sized.iter().all(|&s| s),
        "each finished file's final bytes reach a progress batch (file sized: {sized:?})"
    );
}
