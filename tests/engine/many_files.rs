//! Jobs of thousands of files: each file is stored in a row of its own and saved on its own, a
//! restart reloads every file as it was, and a change to one file that cannot be committed
//! rolls back that file and announces nothing. Files sync while the next ones download, and
//! are reported transferred in order, each once it is on disk, before any later failure.
//! (The speed is the benchmark's: `make bench`.)

use std::path::Path;
use std::time::Duration;

use ferry_engine::{notify_flags, EngineEvent, FileSpec, JobId, JobState, JobType, Priority};

use crate::harness::{drain, TestEngine};
use crate::servers::{body, Behaviour, TestServer};
use crate::util::sha256;

/// A connection to the store of `data`, beside the engine's.
fn store(data: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(data.join("ferry.db")).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn
}

/// A SUSPENDED download job of `count` files, all fetched from `server`.
fn job_of(t: &TestEngine, server: &TestServer, count: usize) -> JobId {
    let id = t
        .engine
        .create_job("many files", JobType::Download)
        .unwrap();
    let specs = (0..count)
        .map(|i| FileSpec {
            remote_url: server.url(&format!("/f{i}")),
            local_path: t.path(&format!("f{i}")),
        })
        .collect();
    t.engine.add_files(id, specs).unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_of_3000_files_is_stored_file_by_file_and_reloads_whole() {
    const FILES: usize = 3_000;
    let data = body(512, 14);
    let server = TestServer::builder()
        .any_path(Behaviour::full(data.clone()))
        .start()
        .await;
    let t = TestEngine::start_with("many-files", |config| {
        config.policies.max_files_per_job = FILES as u32;
    })
    .await;
    let id = job_of(&t, &server, FILES);
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    let t = t.restart().await;

    let job = t.engine.get(id).unwrap();
    assert_eq!(job.state, JobState::Transferred);
    assert_eq!(job.files.len(), FILES);
    for (index, file) in job.files.iter().enumerate() {
        assert_eq!(file.index as usize, index, "the files keep their order");
        assert!(
            file.transferred,
            "file {index} is transferred after the restart"
        );
        assert_eq!(file.bytes_transferred, data.len() as u64);
        assert_eq!(file.remote_url, server.url(&format!("/f{index}")));
    }
    {
        let conn = store(t.data.path());
        let rows: i64 = conn
            .query_row(
                "SELECT count(*) FROM files WHERE job_id = ?1
                 AND json_extract(record, '$.transferred') = 1",
                [id.0.to_string()],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(rows, FILES as i64, "each file is a row of its own");
        let inline: i64 = conn
            .query_row(
                "SELECT count(*) FROM jobs WHERE json_extract(record, '$.files') IS NOT NULL",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(inline, 0, "the job's own row holds no files");
    }
    t.engine.complete(id).unwrap();
    for index in [0, FILES / 2, FILES - 1] {
        assert_eq!(sha256(&t.read(&format!("f{index}"))), sha256(&data));
    }
    let t = t.restart().await;
    assert!(
        t.engine.list().is_empty(),
        "a completed job leaves the queue"
    );
    let left: i64 = store(t.data.path())
        .query_row("SELECT count(*) FROM files", [], |row| row.get(0))
        .unwrap();
    assert_eq!(left, 0, "a job that left the queue leaves no file rows");
}

#[tokio::test]
async fn a_change_to_one_file_that_cannot_be_committed_rolls_back_that_file_and_announces_nothing()
{
    let server = TestServer::builder()
        .any_path(Behaviour::full(body(100, 3)))
        .start()
        .await;
    let t = TestEngine::start("file-rollback").await;
    let id = job_of(&t, &server, 3);
    let before = t.engine.get(id).unwrap();
    // The store refuses to write file 1 with its new URL (a real SQLite failure, from inside
    // the commit).
    store(t.data.path())
        .execute_batch(
            "CREATE TRIGGER refuse_file_1 BEFORE INSERT ON files
             WHEN NEW.idx = 1 AND json_extract(NEW.record, '$.remote_url') LIKE '%/moved-1'
             BEGIN SELECT RAISE(ABORT, 'file 1 cannot be written'); END;",
        )
        .unwrap();
    let mut events = t.engine.subscribe();

    let refused = t
        .engine
        .set_remote_name(id, 1, &server.url("/moved-1"))
        .expect_err("a change that cannot be committed fails");
    assert!(
        refused.message.contains("cannot"),
        "the error says what happened: {}",
        refused.message
    );
    assert_eq!(
        t.engine.get(id).unwrap(),
        before,
        "the file and the job are as they were"
    );
    assert!(
        drain(&mut events).is_empty(),
        "nothing is announced for a change that was not committed"
    );

    t.engine
        .set_remote_name(id, 2, &server.url("/moved-2"))
        .expect("a change to another file still commits");
    store(t.data.path())
        .execute_batch("DROP TRIGGER refuse_file_1;")
        .unwrap();
    let t = t.restart().await;
    let files = t.engine.get(id).unwrap().files;
    assert_eq!(files[0].remote_url, server.url("/f0"));
    assert_eq!(
        files[1].remote_url,
        server.url("/f1"),
        "the refused change is gone"
    );
    assert_eq!(files[2].remote_url, server.url("/moved-2"));
}

/// The indexes of the FileTransferred events in `events`, in the order they came, with "job"
/// for JobTransferred and "error" for the job's move into ERROR.
fn file_order(events: Vec<EngineEvent>) -> Vec<String> {
    events
        .into_iter()
        .filter_map(|event| match event {
            EngineEvent::FileTransferred { file_index, .. } => Some(file_index.to_string()),
            EngineEvent::JobTransferred { .. } => Some("job".into()),
            EngineEvent::StateChanged { job, .. } if job.state == JobState::Error => {
                Some("error".into())
            }
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_that_sync_while_the_next_ones_download_are_reported_in_order() {
    const FILES: usize = 300;
    let data = body(2_000, 5);
    let server = TestServer::builder()
        .any_path(Behaviour::full(data.clone()))
        .start()
        .await;
    let t = TestEngine::start_with("settling-order", |config| {
        config.policies.max_files_per_job = FILES as u32;
    })
    .await;
    let mut events = t.engine.subscribe();
    let id = job_of(&t, &server, FILES);
    t.engine
        .set_notify_flags(id, notify_flags::DEFAULT | notify_flags::FILE_TRANSFERRED)
        .unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    let mut expected: Vec<String> = (0..FILES).map(|i| i.to_string()).collect();
    expected.push("job".into());
    assert_eq!(file_order(drain(&mut events)), expected);
    let job = t.engine.get(id).unwrap();
    assert!(job
        .files
        .iter()
        .all(|f| f.transferred && f.bytes_transferred == 2_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_file_is_reported_after_every_file_before_it() {
    const FILES: usize = 120;
    const MISSING: usize = 100;
    let server = TestServer::builder()
        .route(&format!("/f{MISSING}"), Behaviour::status(404))
        .any_path(Behaviour::full(body(1_000, 6)))
        .start()
        .await;
    let t = TestEngine::start_with("settling-failure", |config| {
        config.policies.max_files_per_job = FILES as u32;
    })
    .await;
    let mut events = t.engine.subscribe();
    let id = job_of(&t, &server, FILES);
    t.engine
        .set_notify_flags(id, notify_flags::DEFAULT | notify_flags::FILE_TRANSFERRED)
        .unwrap();
    t.engine.resume(id).unwrap();
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.file_index, Some(MISSING as u32));
    let mut expected: Vec<String> = (0..MISSING).map(|i| i.to_string()).collect();
    expected.push("error".into());
    assert_eq!(file_order(drain(&mut events)), expected);
    let job = t.engine.get(id).unwrap();
    let transferred: Vec<bool> = job.files.iter().map(|f| f.transferred).collect();
    assert!(
        transferred[..MISSING].iter().all(|&t| t),
        "every file before it counts"
    );
    assert!(transferred[MISSING..].iter().all(|&t| !t));
}
