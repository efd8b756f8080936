//! Section C: Cancel (download cases).

use std::time::Duration;

use ferry_engine::{ErrorCode, JobState};

use crate::harness::{files_in, TestEngine};
use crate::servers::{body, Behaviour, Resource, TestServer};

#[tokio::test]
async fn c30_cancel_deletes_finished_and_partial_temporaries() {
    let slow = Behaviour::SlowDrip {
        resource: Resource::new(body(5_000_000, 2)),
        bytes_per_tick: 4096,
        tick: Duration::from_millis(10),
    };
    let server = TestServer::builder()
        .route("/a", Behaviour::full(body(30_000, 1)))
        .route("/b", slow)
        .start()
        .await;
    let t = TestEngine::start("c30").await;
    let id = t.start_job(&[(&server.url("/a"), "a.bin"), (&server.url("/b"), "b.bin")]);
    t.wait(id, "file 2 partly there", |j| {
        j.files[0].transferred && j.files[1].bytes_transferred > 0
    })
    .await;
    assert_eq!(
        files_in(t.files.path()).len(),
        2,
        "two temporary files before Cancel"
    );
    assert_eq!(t.engine.cancel(id).unwrap(), ErrorCode::S_OK);
    assert!(
        files_in(t.files.path()).is_empty(),
        "Cancel leaves nothing behind: {:?}",
        files_in(t.files.path())
    );
    assert_eq!(
        t.engine.get(id).unwrap_err().code,
        ErrorCode::BG_E_INVALID_STATE
    );
    assert_eq!(t.engine.history(1).unwrap()[0].state, JobState::Cancelled);
}

#[tokio::test]
async fn c31_cancel_reports_temporaries_it_cannot_delete() {
    let server = TestServer::start(Behaviour::full(body(10_000, 3))).await;
    let t = TestEngine::start("c31").await;
    let id = t.start_job(&[(&server.url("/a"), "a.bin")]);
    let job = t.wait_state(id, JobState::Transferred).await;
    // Something that cannot be deleted as a file sits where the temporary file was.
    let temp = job.files[0].temp_path.clone().unwrap();
    std::fs::remove_file(&temp).unwrap();
    std::fs::create_dir(&temp).unwrap();
    std::fs::write(temp.join("inside"), b"x").unwrap();
    assert_eq!(
        t.engine.cancel(id).unwrap(),
        ErrorCode::BG_S_UNABLE_TO_DELETE_FILES
    );
    assert_eq!(
        t.engine.get(id).unwrap_err().code,
        ErrorCode::BG_E_INVALID_STATE,
        "the job is cancelled all the same"
    );
}

#[tokio::test]
async fn c_discard_removes_a_job_that_never_ran_without_a_history_entry() {
    let server = TestServer::start(Behaviour::full(body(1000, 5))).await;
    let t = TestEngine::start("c-discard").await;
    let never_ran = t.job(&[(&server.url("/a"), "a")]);
    t.engine.discard(never_ran).unwrap();
    assert!(t.engine.get(never_ran).is_err(), "the job is gone");
    assert!(
        t.engine.history(10).unwrap().is_empty(),
        "and left no history"
    );

    let ran = t.start_job(&[(&server.url("/b"), "b")]);
    t.wait_state(ran, JobState::Transferred).await;
    assert_eq!(
        t.engine.discard(ran).unwrap_err().code,
        ErrorCode::BG_E_INVALID_STATE,
        "a job that ran must be cancelled, not discarded"
    );
    assert_eq!(t.engine.get(ran).unwrap().state, JobState::Transferred);
}
