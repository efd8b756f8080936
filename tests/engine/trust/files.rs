//! What Ferry guarantees about destinations and numbers: Complete never replaces a file by surprise or a special
//! file, durations never overflow, retries run until the no-progress timeout has really passed,
//! and long names still get a temporary name. Kills of the owner during Complete's renames and
//! policies refused by `ferry setpolicy` are in `tests/processes/trust/files.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use ferry_engine::policy::MAX_JOB_INACTIVITY_TIMEOUT_SECS;
use ferry_engine::{ErrorCode, FileSpec, JobId, JobState, JobType, Priority};

use crate::harness::{files_in, refusal, TestEngine};
use crate::servers::{body, Behaviour, TestServer};
use crate::util::{sha256, sha256_file};

fn spec(url: &str, path: PathBuf) -> FileSpec {
    FileSpec {
        remote_url: url.to_owned(),
        local_path: path,
    }
}

/// An engine with one job that downloaded `bytes` for the destination `mydoc`, where the user
/// already has a file of their own.
async fn transferred_over_my_own_mydoc(
    name: &str,
    bytes: &[u8],
) -> (TestEngine, TestServer, JobId) {
    let server = TestServer::start(Behaviour::full(bytes.to_vec().into())).await;
    let t = TestEngine::start(name).await;
    std::fs::write(t.path("mydoc"), b"my own document").unwrap();
    let id = t.start_job(&[(&server.url("/mydoc"), "mydoc")]);
    t.wait_state(id, JobState::Transferred).await;
    (t, server, id)
}

#[tokio::test]
async fn item_5_complete_never_replaces_an_existing_file() {
    let (t, _server, id) = transferred_over_my_own_mydoc("item5-keep", &body(30_000, 5)).await;

    let outcome = t.engine.complete(id).unwrap();

    assert_eq!(outcome.code, ErrorCode::ERROR_FILE_EXISTS);
    assert_eq!(outcome.state, JobState::Transferred);
    assert_eq!(outcome.rename_failures.len(), 1);
    assert_eq!(
        outcome.rename_failures[0].code,
        ErrorCode::ERROR_FILE_EXISTS
    );
    assert_eq!(
        t.read("mydoc"),
        b"my own document",
        "the user's file is untouched"
    );
    let job = t.engine.get(id).unwrap();
    assert_eq!(job.state, JobState::Transferred);
    assert!(!job.files[0].completed);
}

#[tokio::test]
async fn item_5_replace_then_complete_replaces_the_existing_file() {
    let bytes = body(30_000, 51);
    let (t, _server, id) = transferred_over_my_own_mydoc("item5-replace", &bytes).await;
    assert_eq!(t.engine.complete(id).unwrap().state, JobState::Transferred);

    t.engine.set_replace_existing(id, 0, true).unwrap();
    let outcome = t.engine.complete(id).unwrap();

    assert_eq!(
        (outcome.code, outcome.state),
        (ErrorCode::S_OK, JobState::Acknowledged)
    );
    assert_eq!(sha256(&t.read("mydoc")), sha256(&bytes));
    assert_eq!(files_in(t.files.path()), ["mydoc"]);
}

#[tokio::test]
async fn item_5_keep_both_puts_the_download_beside_as_name_2() {
    let bytes = body(30_000, 52);
    let (t, _server, id) = transferred_over_my_own_mydoc("item5-both", &bytes).await;
    assert_eq!(t.engine.complete(id).unwrap().state, JobState::Transferred);

    let chosen = t.engine.keep_both(id, 0).unwrap();
    let outcome = t.engine.complete(id).unwrap();

    assert_eq!(chosen, t.path("mydoc (2)"));
    assert_eq!(
        (outcome.code, outcome.state),
        (ErrorCode::S_OK, JobState::Acknowledged)
    );
    assert_eq!(t.read("mydoc"), b"my own document");
    assert_eq!(sha256(&t.read("mydoc (2)")), sha256(&bytes));
    assert_eq!(files_in(t.files.path()), ["mydoc", "mydoc (2)"]);
}

#[tokio::test]
async fn item_5_choose_a_name_moves_a_transferred_file_and_completes_there() {
    let bytes = body(30_000, 53);
    let (t, _server, id) = transferred_over_my_own_mydoc("item5-choose", &bytes).await;
    assert_eq!(t.engine.complete(id).unwrap().state, JobState::Transferred);
    std::fs::create_dir(t.path("elsewhere")).unwrap();
    let chosen = t.path("elsewhere").join("renamed.doc");

    t.engine.set_local_path(id, 0, chosen.clone()).unwrap();
    let job = t.engine.get(id).unwrap();
    assert!(
        job.files[0].transferred,
        "the bytes are kept, not downloaded again"
    );
    let temp = job.files[0].temp_path.clone().unwrap();
    assert_eq!(
        temp.parent(),
        Some(t.path("elsewhere").as_path()),
        "the temporary moved beside it"
    );
    let outcome = t.engine.complete(id).unwrap();

    assert_eq!(
        (outcome.code, outcome.state),
        (ErrorCode::S_OK, JobState::Acknowledged)
    );
    assert_eq!(sha256_file(&chosen), sha256(&bytes));
    assert_eq!(t.read("mydoc"), b"my own document");
    assert_eq!(files_in(&t.path("elsewhere")), ["renamed.doc"]);
    assert_eq!(files_in(t.files.path()), ["elsewhere", "mydoc"]);
}

#[tokio::test]
async fn item_5_a_new_destination_needs_a_new_replace_decision() {
    let (t, _server, id) = transferred_over_my_own_mydoc("item5-new-name", &body(30_000, 54)).await;
    t.engine.set_replace_existing(id, 0, true).unwrap();
    std::fs::write(t.path("other"), b"another file of mine").unwrap();

    t.engine.set_local_path(id, 0, t.path("other")).unwrap();
    let outcome = t.engine.complete(id).unwrap();

    assert_eq!(outcome.code, ErrorCode::ERROR_FILE_EXISTS);
    assert_eq!(t.read("other"), b"another file of mine");
}

#[tokio::test]
async fn item_5_two_files_of_one_job_with_one_destination_are_refused_at_add() {
    let t = TestEngine::start("item5-same-job").await;
    let id = t.engine.create_job("list", JobType::Download).unwrap();
    let files = vec![
        spec("http://127.0.0.1:9/a/2000000", t.path("2000000")),
        spec("http://127.0.0.1:9/b/2000000", t.path("2000000")),
    ];

    let error = t.engine.add_files(id, files).unwrap_err();

    assert_eq!(error.code, ErrorCode::ERROR_FILE_EXISTS);
    assert!(
        error.message.contains("file 0 of this job"),
        "{}",
        error.message
    );
    assert!(t.engine.get(id).unwrap().files.is_empty(), "all or none");
    t.engine
        .add_file(id, spec("http://127.0.0.1:9/a/2000000", t.path("2000000")))
        .unwrap();
    let again = t
        .engine
        .add_file(id, spec("http://127.0.0.1:9/b/2000000", t.path("2000000")));
    assert_eq!(refusal(again), ErrorCode::ERROR_FILE_EXISTS);
}

#[tokio::test]
async fn item_5_two_live_jobs_with_one_destination_are_refused_at_add() {
    let t = TestEngine::start("item5-two-jobs").await;
    let first = t.job(&[("http://127.0.0.1:9/a", "report.pdf")]);
    let second = t.engine.create_job("second", JobType::Download).unwrap();

    let error = t
        .engine
        .add_file(second, spec("http://127.0.0.1:9/b", t.path("report.pdf")))
        .unwrap_err();

    assert_eq!(error.code, ErrorCode::ERROR_FILE_EXISTS);
    assert!(
        error.message.contains(&first.to_string()),
        "names the other job: {}",
        error.message
    );
    t.engine.cancel(first).unwrap();
    t.engine
        .add_file(second, spec("http://127.0.0.1:9/b", t.path("report.pdf")))
        .expect("once the other job is gone the name is free");
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

#[cfg(unix)]
fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

#[tokio::test]
async fn item_7_a_fifo_or_dev_null_destination_is_refused_at_add() {
    let t = TestEngine::start("item7-add").await;
    mkfifo(&t.path("pipe"));
    std::os::unix::fs::symlink("/dev/null", t.path("link-to-null")).unwrap();
    let id = t.engine.create_job("special", JobType::Download).unwrap();

    for path in [
        t.path("pipe"),
        PathBuf::from("/dev/null"),
        t.path("link-to-null"),
    ] {
        let error = t
            .engine
            .add_file(id, spec("http://127.0.0.1:9/f", path.clone()))
            .unwrap_err();
        assert_eq!(
            error.code,
            ErrorCode::FERRY_E_NOT_A_REGULAR_FILE,
            "{}",
            path.display()
        );
    }

    assert!(is_fifo(&t.path("pipe")));
    use std::os::unix::fs::FileTypeExt;
    let null = std::fs::symlink_metadata("/dev/null").unwrap();
    assert!(
        null.file_type().is_char_device(),
        "/dev/null is still a character device"
    );
    assert!(t.engine.get(id).unwrap().files.is_empty());
}

#[tokio::test]
async fn item_7_a_fifo_made_after_add_is_not_replaced_at_complete() {
    let bytes = body(20_000, 7);
    let server = TestServer::start(Behaviour::full(bytes.clone())).await;
    let t = TestEngine::start("item7-complete").await;
    let id = t.start_job(&[(&server.url("/f"), "f.bin")]);
    t.wait_state(id, JobState::Transferred).await;
    mkfifo(&t.path("f.bin"));

    let outcome = t.engine.complete(id).unwrap();

    assert_eq!(outcome.state, JobState::Transferred);
    assert_eq!(outcome.code, ErrorCode::FERRY_E_NOT_A_REGULAR_FILE);
    assert!(is_fifo(&t.path("f.bin")), "the FIFO is left alone");
    std::fs::remove_file(t.path("f.bin")).unwrap();
    let again = t.engine.complete(id).unwrap();
    assert_eq!(again.state, JobState::Acknowledged);
    assert_eq!(sha256(&t.read("f.bin")), sha256(&bytes));
}

#[tokio::test]
async fn item_9_an_inactivity_timeout_at_the_maximum_cancels_nothing() {
    for timeout in [MAX_JOB_INACTIVITY_TIMEOUT_SECS, u64::MAX] {
        let t = TestEngine::start("item9-inactivity").await;
        let id = t.job(&[("http://127.0.0.1:9/f", "f")]);
        let mut policies = t.engine.policies();
        policies.job_inactivity_timeout_secs = timeout;
        t.engine.set_policies(policies);
        let t = t.restart().await;
        assert_eq!(
            t.engine.get(id).map(|j| j.state).ok(),
            Some(JobState::Suspended),
            "a timeout of {timeout} s cancels nothing"
        );
    }
}

#[tokio::test]
async fn item_9_a_huge_retry_after_waits_in_transient_error_and_resume_still_works() {
    let bytes = body(10_000, 9);
    let behaviour = Behaviour::status_then(503, Some(u64::MAX), 1, Behaviour::full(bytes.clone()));
    let server = TestServer::start(behaviour).await;
    let t = TestEngine::start("item9-retry-after").await;
    let id = t.start_job(&[(&server.url("/f"), "f")]);

    let error = t.wait_error(id, JobState::TransientError).await;

    assert_eq!(error.code, ErrorCode::http(503));
    assert_eq!(error.retry_after_secs, Some(u32::MAX));
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    t.engine.complete(id).unwrap();
    assert_eq!(sha256(&t.read("f")), sha256(&bytes));
}

#[tokio::test]
async fn item_10_transient_errors_retry_until_the_no_progress_timeout_has_really_passed() {
    let server = TestServer::start(Behaviour::status(503)).await;
    let t = TestEngine::start("item10").await;
    let id = t.job(&[(&server.url("/f"), "f")]);
    // Attempts at 0 s and 5 s; the third, due at 10 s, is the first after the 7 s deadline.
    t.engine.set_minimum_retry_delay(id, 5).unwrap();
    t.engine.set_no_progress_timeout(id, 7).unwrap();
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine.resume(id).unwrap();

    let job = t.wait_state(id, JobState::Error).await;

    let attempts = server.requests().len();
    assert!(attempts >= 3, "only {attempts} attempts before ERROR");
    assert_eq!(job.error.unwrap().code, ErrorCode::http(503));
}

#[tokio::test]
async fn edge_a_255_byte_file_name_downloads_and_completes() {
    let bytes = body(5_000, 255);
    let server = TestServer::start(Behaviour::full(bytes.clone())).await;
    let t = TestEngine::start("edge-long-name").await;
    let name = format!("{}.bin", "n".repeat(251));
    assert_eq!(name.len(), 255);
    let id = t.start_job(&[(&server.url("/f"), &name)]);

    t.wait_state(id, JobState::Transferred).await;
    let outcome = t.engine.complete(id).unwrap();

    assert_eq!(outcome.code, ErrorCode::S_OK);
    assert_eq!(sha256(&t.read(&name)), sha256(&bytes));
    assert_eq!(files_in(t.files.path()), [name]);
}
