//! What the `ferry` command line guarantees: `ferry transfer` never replaces a file, refuses a
//! destination that is a folder, and cancels its job on Ctrl-C or SIGTERM; and the rough edges
//! of `ferry`'s arguments and output. Every case runs the real `ferry` binary against a real
//! owner and a real server on 127.0.0.1.

use std::process::{Output, Stdio};
use std::time::Duration;

use bytes::Bytes;
use ferry_engine::Priority;
use tokio::process::Command;

use crate::harness::{files_in, PATIENCE};
use crate::owned::Owned;
use crate::queue::queue_job;
use crate::servers::{body, Behaviour, TestServer};
use crate::service::{Runtime, Service, FERRY};
use crate::util::{temp_dir, wait_until};

/// Runs `command` to its end (within [`PATIENCE`]) and returns what it printed.
async fn finish(mut command: Command) -> Output {
    tokio::time::timeout(PATIENCE, command.output())
        .await
        .expect("the command ends in time")
        .expect("run the command")
}

/// A body that takes a second or two to drip out (so a command meets a transfer under way).
fn slow(data: &Bytes) -> Behaviour {
    Behaviour::slow_drip(data.clone(), 16_384, Duration::from_millis(10))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_8_sigterm_or_ctrl_c_during_transfer_cancels_the_job_and_removes_the_temporary_file() {
    let data = body(3_000_000, 81);
    let server = TestServer::start(slow(&data)).await;
    let owned = Owned::start("interrupted");
    for signal in ["-TERM", "-INT"] {
        let files = temp_dir("interrupted-files");
        let local = files.path().join("f");
        let mut command = Command::from(owned.command());
        command
            .args(["transfer", &server.url("/f"), local.to_str().unwrap()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let mut child = command.spawn().unwrap();
        wait_until("bytes in the temporary file", || async {
            std::fs::read_dir(files.path())
                .unwrap()
                .filter_map(|e| e.ok())
                .any(|e| e.metadata().is_ok_and(|m| m.len() > 0))
        })
        .await;
        let pid = child.id().unwrap().to_string();
        let killed = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = tokio::time::timeout(PATIENCE, child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(
            status.code().is_some_and(|code| code != 0),
            "{signal}: ends by itself with a failure: {status}"
        );
        assert!(
            files_in(files.path()).is_empty(),
            "{signal}: no temporary file left: {:?}",
            files_in(files.path())
        );
        assert_eq!(
            owned.ok(&["list"]).trim(),
            "Listed 0 job(s).",
            "{signal}: the job was cancelled"
        );
    }
}

#[test]
fn edge_transfer_to_a_folder_says_the_destination_has_no_file_name() {
    let owned = Owned::start("edge-folder");
    for destination in ["/", "./", ".", "..", owned.root.path().to_str().unwrap()] {
        let output = owned.ferry(&["transfer", "http://127.0.0.1:9/f", destination]);
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{destination}: {message}");
        assert!(
            message.contains("destination") && message.contains("file name"),
            "{destination}: a precise message about the destination: {message}"
        );
        assert!(!message.contains("display name"), "{message}");
    }
    assert_eq!(
        owned.ok(&["list"]).trim(),
        "Listed 0 job(s).",
        "no job was made"
    );
}

#[test]
fn edge_an_empty_data_dir_is_refused() {
    let cwd = temp_dir("edge-empty-dir");
    let runtime = Runtime::new();
    for verb in ["service", "list"] {
        let output = std::process::Command::new(FERRY)
            .args(["--data-dir", "", verb])
            .current_dir(cwd.path())
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env("FERRY_PROGRAM", FERRY)
            .env_remove("FERRY_DATA_DIR")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{verb}: {message}");
        assert!(
            message.contains("--data-dir") && message.contains("empty"),
            "{verb}: {message}"
        );
        assert!(
            files_in(cwd.path()).is_empty(),
            "{verb}: nothing written in the current folder"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_monitor_into_a_closed_pipe_ends_quietly() {
    let data = body(1_500_000, 91);
    let server = TestServer::start(slow(&data)).await;
    let dir = temp_dir("edge-pipe");
    let files = temp_dir("edge-pipe-files");
    queue_job(
        dir.path(),
        &server.url("/f"),
        &files.path().join("f"),
        |engine, id| {
            engine.set_priority(id, Priority::Foreground).unwrap();
        },
    )
    .await;
    let owner = Service::start(dir.path()).await;
    let err = files.path().join("stderr");
    let script = "\"$FERRY\" --data-dir \"$DATA\" monitor --json 2> \"$ERR\" | head -1; \
                  exit \"${PIPESTATUS[0]}\"";
    let mut command = Command::new("bash");
    command.args(["-c", script]);
    owner.runtime().apply(&mut command);
    command
        .env("FERRY", FERRY)
        .env("DATA", dir.path())
        .env("ERR", &err);
    let output = finish(command).await;
    let message = std::fs::read_to_string(&err).unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 1);
    assert!(!message.contains("panicked"), "{message}");
    assert!(
        matches!(output.status.code(), Some(0 | 141)),
        "{:?}: {message}",
        output.status
    );
    assert!(owner.stop().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_5_transfer_refuses_a_destination_that_exists_before_downloading() {
    let server = TestServer::start(Behaviour::full(body(20_000, 92))).await;
    let owned = Owned::start("transfer-exists");
    let mine = owned.path("mydoc");
    std::fs::write(&mine, b"the user's own document").unwrap();
    let output = owned.ferry(&["transfer", &server.url("/f"), mine.to_str().unwrap()]);
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{message}");
    assert!(message.contains("already exists"), "{message}");
    assert_eq!(std::fs::read(&mine).unwrap(), b"the user's own document");
    assert!(
        server.requests().is_empty(),
        "nothing was downloaded for nothing"
    );
    assert_eq!(
        owned.ok(&["list"]).trim(),
        "Listed 0 job(s).",
        "no job was made"
    );
}
