//! Cases that move the wall clock (62, and 103's window that ends on its own). The engine runs
//! in its own process (`ferry-transfer run`) under libfaketime, which shifts only that process's
//! wall clock (CLOCK_REALTIME) and leaves its monotonic clock alone; the lines `run` prints carry
//! that shifted clock.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ferry_engine::{Engine, JobState, Priority};
use tokio::process::Command;

use crate::cli::{queue_job, RunProcess, FERRY_TRANSFER};
use crate::harness::{test_config, PATIENCE};
use crate::servers::{body, Behaviour, TestServer};
use crate::util::{sha256, sha256_file, temp_dir};

/// The libfaketime library for multi-threaded programs, from Debian's `faketime` package.
fn libfaketime() -> PathBuf {
    let found = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path().join("faketime/libfaketimeMT.so.1"))
        .find(|path| path.exists());
    found.expect("libfaketimeMT.so.1 is missing: install the Debian package faketime (make deps)")
}

/// `ferry-transfer run` on `data` under libfaketime, with `extra_args` and the `env` that
/// configures libfaketime.
fn run_with_fake_time(data: &Path, extra_args: &[&str], env: &[(&str, &str)]) -> RunProcess {
    let mut command = Command::new(FERRY_TRANSFER);
    command
        .args(["run", "--data-dir"])
        .arg(data)
        .args(extra_args)
        .env("LD_PRELOAD", libfaketime())
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .env("TZ", "UTC")
        .envs(env.iter().copied());
    RunProcess::spawn(command)
}

#[tokio::test]
async fn f62_moving_the_wall_clock_a_day_forward_neither_retries_early_nor_expires_no_progress() {
    const RETRY_DELAY: u32 = 6;
    let server = TestServer::start(Behaviour::Status {
        code: 503,
        retry_after: None,
        times: None,
        then: Box::new(Behaviour::full(body(10, 0))),
    })
    .await;
    let data = temp_dir("f62-data");
    let files = temp_dir("f62-files");
    let id = queue_job(
        data.path(),
        &server.url("/f"),
        &files.path().join("f"),
        |e, id| {
            e.set_priority(id, Priority::Foreground).unwrap();
            e.set_minimum_retry_delay(id, RETRY_DELAY).unwrap();
            e.set_no_progress_timeout(id, 60).unwrap();
        },
    )
    .await;
    let offset = files.path().join("clock-offset");
    std::fs::write(&offset, "+0\n").unwrap();
    let mut run = run_with_fake_time(
        data.path(),
        &[],
        &[
            ("FAKETIME_TIMESTAMP_FILE", offset.to_str().unwrap()),
            ("FAKETIME_NO_CACHE", "1"),
        ],
    );

    let failed = run.until(id, "TRANSIENT_ERROR").await;
    // The wall clock of the engine's process jumps a day ahead.
    let moved = files.path().join("clock-offset.new");
    std::fs::write(&moved, "+1d\n").unwrap();
    std::fs::rename(&moved, &offset).unwrap();

    let after = run.next_of(id).await;
    assert_eq!(
        after.state, "QUEUED",
        "after the jump the job is retried, not expired: {after:?}"
    );
    let shown = after.at - failed.at;
    assert!(
        shown >= chrono::Duration::days(1),
        "the process's wall clock moved a day ({shown} between the lines)"
    );
    let real = (shown - chrono::Duration::days(1)).to_std().unwrap();
    assert!(
        real >= Duration::from_secs(u64::from(RETRY_DELAY) - 1),
        "the retry came {real:?} after the failure, before the {RETRY_DELAY} s retry delay"
    );
    run.child.kill().await.unwrap();
}

#[tokio::test]
async fn i103_a_held_job_goes_back_to_queued_when_the_window_ends() {
    let data_bytes = body(50_000, 103);
    let server = TestServer::start(Behaviour::full(data_bytes.clone())).await;
    let data = temp_dir("i103-window-data");
    let files = temp_dir("i103-window-files");
    let local = files.path().join("f");
    let id = queue_job(data.path(), &server.url("/f"), &local, |_, _| {}).await;
    let policies = data.path().join("policies.json");
    std::fs::write(
        &policies,
        r#"{"MaxInternetBandwidth": {"Enabled": true, "StartHour": 8, "EndHour": 17,
            "InWindowKbps": 0, "OutsideKbps": null}}"#,
    )
    .unwrap();
    // The process starts seconds before the window (8:00–17:00 UTC) ends.
    let mut run = run_with_fake_time(
        data.path(),
        &["--policies", policies.to_str().unwrap()],
        &[("FAKETIME", "@2026-11-24 16:59:55")],
    );

    let held = run.until(id, "TRANSIENT_ERROR").await;
    assert_eq!(held.error.as_deref(), Some("BG_E_BLOCKED_BY_POLICY"));
    let end_of_window = "2026-11-24T17:00:00Z".parse::<DateTime<Utc>>().unwrap();
    assert!(held.at < end_of_window, "held inside the window: {held:?}");

    let released = run.next_of(id).await;
    assert_eq!(released.state, "QUEUED", "{released:?}");
    assert!(
        released.at >= end_of_window,
        "released when the window ended, not before: {released:?}"
    );
    let status = tokio::time::timeout(PATIENCE, run.child.wait())
        .await
        .expect("the run finishes")
        .unwrap();
    assert!(status.success(), "every job transferred: {status}");

    let engine = Engine::start(test_config(), data.path()).await.unwrap();
    assert_eq!(engine.get(id).unwrap().state, JobState::Transferred);
    engine.complete(id).unwrap();
    assert_eq!(sha256_file(&local), sha256(&data_bytes));
    engine.shutdown().await;
}
