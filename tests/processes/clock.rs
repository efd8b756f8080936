//! Cases that move the wall clock (62, and 103's window that ends on its own). The owner runs
//! under libfaketime, which shifts only its process's wall clock (CLOCK_REALTIME) and leaves
//! its monotonic clock alone; the times the owner stamps on a job at each change of state come
//! from that shifted clock.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ferry_engine::{Engine, FileSpec, JobInfo, JobState, JobType, Priority};
use ferry_owner::{Call, NewJobRequest};

use crate::harness::test_config;
use crate::queue::{queue_job, write_policies};
use crate::servers::{body, Behaviour, TestServer};
use crate::service::{Runtime, Service};
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

/// `ferry service` on `data` under libfaketime, with the `env` that configures libfaketime,
/// once it listens.
async fn owner_with_fake_time(data: &Path, env: &[(&str, &str)]) -> Service {
    let runtime = Runtime::new();
    let mut command = runtime.service(data);
    command
        .env("LD_PRELOAD", libfaketime())
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .env("TZ", "UTC")
        .envs(env.iter().copied());
    let mut owner = Service::spawn(command, data, &runtime);
    owner.listening().await;
    owner
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
    let owner = owner_with_fake_time(
        data.path(),
        &[
            ("FAKETIME_TIMESTAMP_FILE", offset.to_str().unwrap()),
            ("FAKETIME_NO_CACHE", "1"),
        ],
    )
    .await;
    let mut lines = owner.lines().await;

    let failed = lines.until(id, JobState::TransientError).await;
    // The wall clock of the owner's process jumps a day ahead.
    let moved = files.path().join("clock-offset.new");
    std::fs::write(&moved, "+1d\n").unwrap();
    std::fs::rename(&moved, &offset).unwrap();

    let after = lines.next_of(id).await;
    assert_eq!(
        after.state,
        JobState::Queued,
        "after the jump the job is retried, not expired: {after:?}"
    );
    let shown = after.at - failed.at;
    assert!(
        shown >= chrono::Duration::days(1),
        "the owner's wall clock moved a day ({shown} between the two states)"
    );
    let real = (shown - chrono::Duration::days(1)).to_std().unwrap();
    assert!(
        real >= Duration::from_secs(u64::from(RETRY_DELAY) - 1),
        "the retry came {real:?} after the failure, before the {RETRY_DELAY} s retry delay"
    );
    owner.kill().await;
}

#[tokio::test]
async fn i103_a_held_job_goes_back_to_queued_when_the_window_ends() {
    let data_bytes = body(50_000, 103);
    let server = TestServer::start(Behaviour::full(data_bytes.clone())).await;
    let data = temp_dir("i103-window-data");
    let files = temp_dir("i103-window-files");
    let local = files.path().join("f");
    write_policies(
        data.path(),
        r#"{"MaxInternetBandwidth": {"Enabled": true, "StartHour": 8, "EndHour": 17,
            "InWindowKbps": 0, "OutsideKbps": null}}"#,
    );
    // The owner starts seconds before the window (8:00–17:00 UTC) ends; the job is made
    // through it, so every time on the job is from the owner's clock.
    let owner = owner_with_fake_time(data.path(), &[("FAKETIME", "@2026-11-24 16:59:55")]).await;
    let mut lines = owner.lines().await;
    let client = owner.client().await;
    let job: JobInfo = client
        .call(Call::CreateWithFiles(NewJobRequest {
            display_name: "queued".to_owned(),
            job_type: JobType::Download,
            priority: Priority::Normal,
            files: vec![FileSpec {
                remote_url: server.url("/f"),
                local_path: local.clone(),
            }],
            credentials: None,
            reply_file_name: None,
            checksums: None,
            description: None,
            custom_headers: None,
            unique_names: None,
            retry_policy: None,
            auto_complete: None,
            connections: None,
            speed_limit: None,
        }))
        .await
        .unwrap();
    let id = job.id;
    client.call_value(Call::Resume { job: id }).await.unwrap();

    let held = lines.until(id, JobState::TransientError).await;
    assert_eq!(held.error.as_deref(), Some("BG_E_BLOCKED_BY_POLICY"));
    let end_of_window = "2026-11-24T17:00:00Z".parse::<DateTime<Utc>>().unwrap();
    assert!(held.at < end_of_window, "held inside the window: {held:?}");

    let released = lines.next_of(id).await;
    assert_eq!(released.state, JobState::Queued, "{released:?}");
    assert!(
        released.at >= end_of_window,
        "released when the window ended, not before: {released:?}"
    );
    lines.until(id, JobState::Transferred).await;
    let status = owner.stop().await;
    assert!(status.success(), "the owner stops cleanly: {status}");

    let engine = Engine::start(test_config(), data.path()).await.unwrap();
    assert_eq!(engine.get(id).unwrap().state, JobState::Transferred);
    engine.complete(id).unwrap();
    assert_eq!(sha256_file(&local), sha256(&data_bytes));
    engine.shutdown().await;
}
