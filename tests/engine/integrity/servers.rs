//! The resume and validator cases against servers nobody here wrote: nginx, lighttpd and
//! apache2 from Debian, each started on a free port of 127.0.0.1 with its own configuration.
//! The same cases run on each (one module per server), so a failure names the server:
//! - an unchanged file continues with a range and If-Range, and ends byte-identical;
//! - a changed file of the same size restarts from 0 and ends as the new version;
//! - a changed file of another size restarts from 0 and ends as the new version;
//! - a server with ranges turned off cannot resume: BG_E_INSUFFICIENT_RANGE_SUPPORT;
//! - a file dated in the future (apache2 then answers every If-Range with the whole file) ends
//!   as the server's file.
//!
//! Served files were last changed an hour before the test, as files on a server usually are:
//! apache2 makes the ETag of a file changed within the last second weak, and a resume of it
//! starts over from 0 instead of continuing with a range.
//!
//! A download is interrupted for real: a NORMAL job under a bandwidth cap is suspended once
//! some bytes have arrived, the cap is lifted, and the job is resumed.

use std::path::Path;
use std::time::{Duration, SystemTime};

use ferry_engine::{BandwidthPolicy, ErrorCode, JobId, JobState, Priority};

use crate::harness::TestEngine;
use crate::servers::body;
use crate::third_party::{LoggedRequest, Ranges, Software, ThirdPartyServer};
use crate::util::sha256;

/// Size of the served file: about 4 s at [`CAP_KBPS`].
const SIZE: usize = 1_000_000;
/// The bandwidth cap that keeps the first request running long enough to be interrupted.
const CAP_KBPS: u32 = 2_000;
/// Bytes in the temporary file before the download is suspended.
const INTERRUPT_AFTER: u64 = 100_000;
/// How many times the access log is read, 20 ms apart, before a missing line fails the test.
const LOG_POLLS: usize = 500;
/// The served file's name.
const NAME: &str = "file.bin";

/// An engine whose background jobs run under [`CAP_KBPS`] all day.
async fn capped_engine(test: &str) -> TestEngine {
    TestEngine::start_with(test, |config| {
        config.policies.max_internet_bandwidth = BandwidthPolicy {
            enabled: true,
            start_hour: 0,
            end_hour: 0,
            in_window_kbps: Some(CAP_KBPS),
            outside_kbps: None,
        };
    })
    .await
}

/// Starts a NORMAL download of [`NAME`] from `server`, suspends it once its temporary file
/// holds [`INTERRUPT_AFTER`] bytes, and lifts the cap, so that the next Resume runs at full speed.
async fn interrupted_download(server: &ThirdPartyServer, test: &str) -> (TestEngine, JobId) {
    let t = capped_engine(&format!("{test}-{}", server.software())).await;
    let id = t.job(&[(&server.url(&format!("/{NAME}")), NAME)]);
    t.engine.set_priority(id, Priority::Normal).unwrap();
    t.engine.resume(id).unwrap();
    let on_disk = |job: &ferry_engine::JobInfo| {
        job.files[0]
            .temp_path
            .as_ref()
            .and_then(|path| std::fs::metadata(path).ok())
            .is_some_and(|meta| meta.len() >= INTERRUPT_AFTER)
    };
    let job = t
        .wait(id, "the first bytes on disk, under the cap", |job| {
            on_disk(job) || job.state == JobState::Error
        })
        .await;
    assert_ne!(
        job.state,
        JobState::Error,
        "{}: the first download failed: {:?}",
        server.software(),
        job.error
    );
    t.engine.suspend(id).unwrap();
    let job = t.wait_state(id, JobState::Suspended).await;
    assert!(
        job.progress.bytes_transferred < SIZE as u64,
        "{}: the download finished before it could be interrupted",
        server.software()
    );
    let mut policies = t.engine.policies();
    policies.max_internet_bandwidth.enabled = false;
    t.engine.set_policies(policies);
    (t, id)
}

/// Sets the served file's modification time to `age` ago.
fn set_age(root: &Path, age: Duration) {
    std::fs::File::options()
        .write(true)
        .open(root.join(NAME))
        .unwrap()
        .set_modified(SystemTime::now() - age)
        .unwrap();
}

/// `software` serving a new folder holding [`NAME`] with `bytes`, last changed an hour ago (see
/// the module's note).
fn serving(
    software: Software,
    test: &str,
    bytes: &[u8],
    ranges: Ranges,
) -> (tempfile::TempDir, ThirdPartyServer) {
    let (root, server) = ThirdPartyServer::serving_one_file(software, test, NAME, bytes, ranges);
    set_age(root.path(), Duration::from_secs(3600));
    (root, server)
}

/// Replaces the served file with `bytes`, last changed half an hour ago, so that every server
/// derives new validators (ETag, Last-Modified) from it.
fn change_served_file(root: &Path, bytes: &[u8]) {
    std::fs::write(root.join(NAME), bytes).unwrap();
    set_age(root, Duration::from_secs(1800));
}

/// The GET requests the server has logged once it has logged the one that `done` picks out
/// (servers write a line when a request ends, which may be a moment after the client saw it).
async fn gets_once_logged(
    server: &ThirdPartyServer,
    what: &str,
    done: impl Fn(&LoggedRequest) -> bool,
) -> Vec<LoggedRequest> {
    let gets = || -> Vec<LoggedRequest> {
        server
            .access_log()
            .into_iter()
            .filter(|request| request.method == "GET")
            .collect()
    };
    for _ in 0..LOG_POLLS {
        let logged = gets();
        if logged.iter().any(&done) {
            return logged;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "{}: no {what} in the access log: {:?}",
        server.software(),
        server.access_log()
    );
}

/// Resumes the interrupted job and returns the final file's bytes after Complete.
async fn resume_to_the_end(t: &TestEngine, id: JobId) -> Vec<u8> {
    t.engine.resume(id).unwrap();
    let job = t
        .wait(id, "the end of the download", |job| {
            matches!(job.state, JobState::Transferred | JobState::Error)
        })
        .await;
    assert_eq!(job.state, JobState::Transferred, "{:?}", job.error);
    t.engine.complete(id).unwrap();
    t.read(NAME)
}

async fn an_unchanged_file_resumes_with_a_range_and_if_range(software: Software) {
    let data = body(SIZE, 111);
    let (_root, server) = serving(software, "resume", &data, Ranges::Served);
    let (t, id) = interrupted_download(&server, "resume").await;
    let got = resume_to_the_end(&t, id).await;
    assert_eq!(
        sha256(&got),
        sha256(&data),
        "{software}: the resumed file is the server's file"
    );
    let gets = gets_once_logged(&server, "a 206 answer", |r| r.status == 206).await;
    let whole: Vec<_> = gets.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        whole.len(),
        1,
        "{software}: the file was asked for whole once, then continued: {gets:?}"
    );
    let resumed = gets
        .iter()
        .find(|r| r.status == 206)
        .expect("a 206 answer is logged");
    let start = resumed
        .range_start()
        .unwrap_or_else(|| panic!("{software}: the 206 answered no Range: {resumed:?}"));
    assert!(
        start > 0,
        "{software}: the resume asked for the missing part: {resumed:?}"
    );
    assert!(
        resumed.if_range.is_some(),
        "{software}: the resume sent If-Range with the validator it had: {resumed:?}"
    );
    assert_eq!(
        resumed.bytes,
        SIZE as u64 - start,
        "{software}: the second answer carried exactly the missing bytes: {gets:?}"
    );
}

/// Interrupts a download, replaces the file with `new`, resumes, and checks that the file ends
/// as `new` with the new version fetched whole from byte 0.
async fn a_changed_file_restarts_from_zero(software: Software, test: &str, new: &[u8]) {
    let old = body(SIZE, 222);
    let (root, server) = serving(software, test, &old, Ranges::Served);
    let (t, id) = interrupted_download(&server, test).await;
    change_served_file(root.path(), new);
    let got = resume_to_the_end(&t, id).await;
    assert_eq!(
        got.len(),
        new.len(),
        "{software}: the file has the new size"
    );
    assert_eq!(
        sha256(&got),
        sha256(new),
        "{software}: no byte of the old version remains"
    );
    let full_new = |r: &LoggedRequest| r.status == 200 && r.bytes == new.len() as u64;
    let gets = gets_once_logged(&server, "the new version sent whole", |r| {
        full_new(r) && r.range.is_some()
    })
    .await;
    assert!(
        !gets.iter().any(|r| r.status == 206),
        "{software}: no part of any version was appended: {gets:?}"
    );
}

async fn a_changed_file_of_the_same_size_restarts_from_zero(software: Software) {
    let new = body(SIZE, 333);
    a_changed_file_restarts_from_zero(software, "same-size", &new).await;
}

async fn a_changed_file_of_another_size_restarts_from_zero(software: Software) {
    let new = body(SIZE * 3 / 2, 444);
    a_changed_file_restarts_from_zero(software, "other-size", &new).await;
}

async fn ranges_turned_off_cannot_resume(software: Software) {
    let data = body(SIZE, 555);
    let (_root, server) = serving(software, "no-ranges", &data, Ranges::Ignored);
    let (t, id) = interrupted_download(&server, "no-ranges").await;
    t.engine.resume(id).unwrap();
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(
        error.code,
        ErrorCode::BG_E_INSUFFICIENT_RANGE_SUPPORT,
        "{software}: {error:?}"
    );
    let gets = gets_once_logged(&server, "the refused resume", |r| r.range.is_some()).await;
    assert!(
        gets.iter().all(|r| r.status == 200),
        "{software} ignored every Range: {gets:?}"
    );
}

/// A file whose modification time lies ahead of the server's clock (copied from a machine whose
/// clock runs fast): apache2 then has only weak validators for it and answers every If-Range
/// with the whole file. Whatever the server does, the download ends with the server's bytes.
async fn a_file_dated_in_the_future_ends_identical_after_a_resume(software: Software) {
    let data = body(SIZE, 666);
    let (root, server) = serving(software, "future", &data, Ranges::Served);
    std::fs::File::options()
        .write(true)
        .open(root.path().join(NAME))
        .unwrap()
        .set_modified(SystemTime::now() + Duration::from_secs(3600))
        .unwrap();
    let (t, id) = interrupted_download(&server, "future").await;
    let got = resume_to_the_end(&t, id).await;
    assert_eq!(
        sha256(&got),
        sha256(&data),
        "{software}: the file is the server's file"
    );
}

/// One module per server, each running every case, so a failing test names its server.
macro_rules! cases_against {
    ($($module:ident => $software:expr),* $(,)?) => {$(
        mod $module {
            use super::*;

            #[tokio::test]
            async fn an_unchanged_file_resumes_with_a_range_and_if_range_to_the_same_sha256() {
                super::an_unchanged_file_resumes_with_a_range_and_if_range($software).await;
            }

            #[tokio::test]
            async fn a_changed_file_of_the_same_size_restarts_from_zero() {
                super::a_changed_file_of_the_same_size_restarts_from_zero($software).await;
            }

            #[tokio::test]
            async fn a_changed_file_of_another_size_restarts_from_zero() {
                super::a_changed_file_of_another_size_restarts_from_zero($software).await;
            }

            #[tokio::test]
            async fn a_file_dated_in_the_future_ends_identical_after_a_resume() {
                super::a_file_dated_in_the_future_ends_identical_after_a_resume($software).await;
            }

            #[tokio::test]
            async fn ranges_turned_off_end_in_bg_e_insufficient_range_support() {
                super::ranges_turned_off_cannot_resume($software).await;
            }
        }
    )*};
}

cases_against! {
    nginx => Software::Nginx,
    lighttpd => Software::Lighttpd,
    apache2 => Software::Apache2,
}
