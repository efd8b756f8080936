//! What Ferry guarantees about destinations and numbers when the owner is involved: a kill of
//! the owner during Complete's renames never loses a file, and policies out of range, unknown
//! or zero are refused by name (`ferry setpolicy`) and change nothing.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use ferry_engine::{Engine, FileSpec, JobInfo, JobState, JobType, Policies};
use ferry_owner::Call;

use crate::harness::{files_in, is_temporary, test_config, TestEngine};
use crate::kill_moments::KillMoments;
use crate::owned::Owned;
use crate::servers::{body, Behaviour, TestServer};
use crate::service::{Runtime, Service};
use crate::util::{sha256, sha256_file, temp_dir};

/// The destination of file `index` of the crash test.
fn crash_file(folder: &Path, index: usize) -> PathBuf {
    folder.join(format!("file-{index:04}.bin"))
}

/// Checks what a restart finds after a kill during Complete: every file completed in place with
/// its bytes, or still pending with its whole temporary file and nothing under its final name.
/// Returns how many are completed.
async fn every_file_completed_or_pending(data: &Path, bodies: &[bytes::Bytes]) -> usize {
    let engine = Engine::open(test_config(), data).await.unwrap();
    let jobs = engine.list();
    let completed = match jobs.as_slice() {
        [] => bodies.len(), // Complete finished before the kill.
        [job] => {
            assert_eq!(job.state, JobState::Transferred);
            for (index, file) in job.files.iter().enumerate() {
                let want = sha256(&bodies[index]);
                let temp = file.temp_path.as_deref().unwrap();
                if file.completed {
                    assert_eq!(sha256_file(&file.local_path), want, "file {index} in place");
                    assert!(!temp.exists(), "file {index}: no temporary left");
                } else {
                    assert!(
                        file.transferred,
                        "file {index} must not be downloaded again"
                    );
                    assert_eq!(sha256_file(temp), want, "file {index}: temporary intact");
                    assert!(
                        !file.local_path.exists(),
                        "file {index} is not in place yet"
                    );
                }
            }
            job.files.iter().filter(|f| f.completed).count()
        }
        more => panic!("one job expected, found {}", more.len()),
    };
    engine.shutdown().await;
    completed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_5_kills_during_completes_renames_never_lose_a_file() {
    const FILES: usize = 1000;
    const ROUNDS: usize = 8;
    let bodies: Vec<bytes::Bytes> = (0..FILES).map(|i| body(500 + i * 7, i as u64)).collect();
    let mut server = TestServer::builder();
    for (index, bytes) in bodies.iter().enumerate() {
        server = server.route(&format!("/{index}"), Behaviour::full(bytes.clone()));
    }
    let server = server.start().await;
    let t = TestEngine::start_with("item5-kills", |config| {
        config.policies.max_files_per_job = FILES as u32;
    })
    .await;
    let urls: Vec<String> = (0..FILES).map(|i| server.url(&format!("/{i}"))).collect();
    let names: Vec<String> = (0..FILES)
        .map(|i| crash_file(Path::new(""), i).to_string_lossy().into_owned())
        .collect();
    let files: Vec<(&str, &str)> = urls
        .iter()
        .map(String::as_str)
        .zip(names.iter().map(String::as_str))
        .collect();
    let id = t.start_job(&files);
    // Each file is made durable (fsync) and its start committed: long on a loaded machine.
    t.wait_within(
        id,
        "all files transferred",
        Duration::from_secs(300),
        |job| job.state == JobState::Transferred,
    )
    .await;
    t.engine.shutdown().await;
    let (data, folder) = (t.data.path(), t.files.path());

    let runtime = Runtime::new();
    let complete = |runtime: &Runtime| {
        let mut command = runtime.ferry(data);
        command
            .args(["complete", &id.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    };
    let mut moments = KillMoments::seeded();
    let mut completed = 0;
    let mut mid_rename_kills = 0;
    for round in 0..ROUNDS {
        if completed == FILES {
            break;
        }
        // The owner is killed as soon as a file picked at random among the first three
        // quarters of those still pending is in place, so that the kill lands before the last
        // rename.
        let last = completed + (FILES - completed).div_ceil(4) * 3;
        let target = crash_file(
            folder,
            moments.pick(&(completed as u64..last as u64)) as usize,
        );
        let mut owner = Service::spawn_on(data, &runtime);
        owner.listening().await;
        let mut client = complete(&runtime).spawn().unwrap();
        while !target.exists() {
            if let Some(status) = client.try_wait().unwrap() {
                assert!(
                    status.success(),
                    "ferry complete failed by itself: {status}"
                );
                break;
            }
            // Polls as fast as it can without taking the processor from the process under test.
            std::thread::yield_now();
        }
        owner.kill().await;
        // The client ends once its owner is gone.
        client.wait().await.unwrap();
        let now = every_file_completed_or_pending(data, &bodies).await;
        println!("round {round}: {now} of {FILES} files completed");
        mid_rename_kills += usize::from(now > completed && now < FILES);
        completed = now;
    }
    assert!(mid_rename_kills >= 1, "no kill landed during the renames");

    // The job is still there unless a Complete ended before its kill (a kill after the last
    // rename leaves it TRANSFERRED).
    let mut owner = Service::spawn_on(data, &runtime);
    owner.listening().await;
    let left: Vec<JobInfo> = owner.client().await.call(Call::List).await.unwrap();
    if left.iter().any(|job| job.id == id) {
        let output = complete(&runtime)
            .stderr(Stdio::piped())
            .output()
            .await
            .unwrap();
        assert!(
            output.status.success(),
            "the final Complete hands over the rest: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert!(owner.stop().await.success(), "the owner stops cleanly");
    let engine = Engine::open(test_config(), data).await.unwrap();
    assert!(engine.list().is_empty(), "the job is acknowledged");
    engine.shutdown().await;
    for (index, bytes) in bodies.iter().enumerate() {
        assert_eq!(
            sha256_file(&crash_file(folder, index)),
            sha256(bytes),
            "file {index}"
        );
    }
    assert!(
        !files_in(folder).iter().any(|n| is_temporary(n)),
        "no temporary left"
    );
    let downloads = server
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .count();
    assert_eq!(downloads, FILES, "no file was downloaded twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_9_policies_out_of_range_unknown_or_zero_are_refused_by_name() {
    let mut owned = Owned::new("item9-policies");
    let files = temp_dir("item9-policies-files");
    // A job in the store before the owner starts, left SUSPENDED so that only a policy could
    // change it.
    let id = {
        let engine = Engine::open(test_config(), &owned.data_dir())
            .await
            .unwrap();
        let id = engine.create_job("kept", JobType::Download).unwrap();
        engine
            .add_file(
                id,
                FileSpec {
                    remote_url: "http://127.0.0.1:9/f".to_owned(),
                    local_path: files.path().join("f"),
                },
            )
            .unwrap();
        engine.shutdown().await;
        id.to_string()
    };
    owned.owner = Some(owned.spawn_service());
    owned.wait_listening();
    let cases = [
        (
            "JobInactivityTimeoutSecs",
            "18446744073709551615",
            "JobInactivityTimeout",
        ),
        (
            "JobInactivityTimeoutSecs",
            "10000000000000000",
            "JobInactivityTimeout",
        ),
        ("JobInactivityTimeoutSecs", "1e16", "JobInactivityTimeout"),
        ("JobInactivityTimeoutSecs", "0", "JobInactivityTimeout"),
        ("MaxFilesPerJob", "0", "MaxFilesPerJob"),
        ("MaxJobsPerUsers", "5", "MaxJobsPerUsers"),
        (
            "MaxInternetBandwidth",
            r#"{"Enabled": true, "Start": 8}"#,
            "Start",
        ),
    ];

    for (name, value, key) in cases {
        let output = owned.ferry(&["setpolicy", name, value]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{name} {value} is refused");
        assert!(
            stderr.contains(key),
            "the error for {name} {value} names {key}: {stderr}"
        );
    }

    let policies: Policies = serde_json::from_str(&owned.ok(&["getpolicy"])).unwrap();
    assert_eq!(policies, Policies::default(), "no policy was changed");
    assert_eq!(
        owned.ok(&["getstate", &id]).trim(),
        "SUSPENDED",
        "no job was cancelled"
    );
}
