//! Cases 14 and 15 with a real network that comes and goes: `ferry service` in a private
//! network namespace (`unshare`), where only loopback exists until the test adds a veth pair,
//! and where it later takes the pair down. A Python web server inside the namespace serves the
//! files on 127.0.0.1, which keeps working whatever happens to the pair: only the engine's own
//! check of the network decides. The test reaches the owner through its socket, a file that
//! the namespace does not hide.

use std::path::Path;
use std::process::Command as StdCommand;
use std::time::Duration;

use ferry_engine::{Engine, JobState, Priority};
use tokio::process::Command;

use crate::harness::{test_config, PATIENCE};
use crate::queue::{queue_job, write_policies};
use crate::servers::body;
use crate::service::{Runtime, Service, FERRY};
use crate::util::{sha256, sha256_file, temp_dir};

/// Port of the web server inside the namespace (nothing else listens there).
const PORT: u16 = 8000;

/// Runs `script` with `sh` inside the user, network and mount namespaces of process `pid`.
fn in_namespace(pid: u32, script: &str) -> std::process::Output {
    in_namespaces(pid, &["-U", "-n", "-m"], script)
}

/// Runs `script` with `sh` inside the namespaces of process `pid` that `which` names (nsenter's
/// flags, such as `-U` and `-m`).
pub fn in_namespaces(pid: u32, which: &[&str], script: &str) -> std::process::Output {
    StdCommand::new("nsenter")
        .args(["-t", &pid.to_string()])
        .args(which)
        .arg("--preserve-credentials")
        .args(["sh", "-c", script])
        .output()
        .expect("run nsenter (util-linux)")
}

fn must(pid: u32, script: &str) {
    let output = in_namespace(pid, script);
    assert!(
        output.status.success(),
        "`{script}` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `ferry service` on `data` in new user, network and mount namespaces, with sysfs mounted
/// afresh (so /sys/class/net shows the namespace's interfaces) and a web server on 127.0.0.1
/// serving `web` (which dies with the owner, its parent once the shell execs); once it
/// listens.
async fn owner_isolated(data: &Path, web: &Path) -> Service {
    let script = format!(
        "mount -t sysfs sysfs /sys && ip link set lo up && \
         {{ setpriv --pdeathsig KILL python3 -m http.server {PORT} --bind 127.0.0.1 \
            --directory '{}' >/dev/null 2>&1 & }} && \
         exec '{FERRY}' --data-dir '{}' service",
        web.display(),
        data.display(),
    );
    let runtime = Runtime::new();
    let mut command = Command::new("unshare");
    command.args([
        "--user",
        "--map-root-user",
        "--net",
        "--mount",
        "sh",
        "-c",
        &script,
    ]);
    runtime.apply(&mut command);
    let mut owner = Service::spawn(command, data, &runtime);
    owner.listening().await;
    owner
}

/// Waits until the web server inside the namespace answers.
async fn wait_for_web_server(pid: u32) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let probe = format!("curl -sf -o /dev/null http://127.0.0.1:{PORT}/");
    while !in_namespace(pid, &probe).status.success() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the web server never answered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a14_a15_jobs_wait_for_a_network_and_stop_when_it_goes_away() {
    let data = temp_dir("net-data");
    let web = temp_dir("net-web");
    let files = temp_dir("net-files");
    let small = body(20_000, 14);
    let large = body(2_000_000, 15);
    std::fs::write(web.path().join("small"), &small).unwrap();
    std::fs::write(web.path().join("large"), &large).unwrap();
    let url = |name: &str| format!("http://127.0.0.1:{PORT}/{name}");
    let quick = queue_job(
        data.path(),
        &url("small"),
        &files.path().join("small"),
        |e, id| {
            e.set_priority(id, Priority::Foreground).unwrap();
        },
    )
    .await;
    // A background job held to 2 Kbps is still transferring when the network goes away.
    let slow = queue_job(
        data.path(),
        &url("large"),
        &files.path().join("large"),
        |e, id| {
            e.set_priority(id, Priority::Normal).unwrap();
        },
    )
    .await;
    write_policies(
        data.path(),
        r#"{"MaxInternetBandwidth": {"Enabled": true, "StartHour": 0, "EndHour": 0,
            "InWindowKbps": 2, "OutsideKbps": 2}}"#,
    );

    let owner = owner_isolated(data.path(), web.path()).await;
    let pid = owner.pid();
    let mut lines = owner.lines().await;
    // Only loopback: both jobs wait, and neither is retried by the default 600 s timer.
    for id in [quick, slow] {
        let waiting = lines.until(id, JobState::TransientError).await;
        assert_eq!(
            waiting.error.as_deref(),
            Some("BG_E_NETWORK_DISCONNECTED"),
            "{waiting:?}"
        );
    }
    wait_for_web_server(pid).await;

    // A network appears: both jobs queue at once; the quick one finishes.
    must(
        pid,
        "ip link add v0 type veth peer name v1 && \
         ip addr add 10.9.0.1/24 dev v0 && ip addr add 10.9.0.2/24 dev v1 && \
         ip link set v0 up && ip link set v1 up",
    );
    lines.until(quick, JobState::Transferred).await;
    lines.until(slow, JobState::Transferring).await;

    // The network goes away while the slow one transfers.
    must(pid, "ip link set v1 down");
    let stopped = lines.until(slow, JobState::TransientError).await;
    assert_eq!(
        stopped.error.as_deref(),
        Some("BG_E_NETWORK_DISCONNECTED"),
        "{stopped:?}"
    );
    owner.kill().await;

    let engine = Engine::start(test_config(), data.path()).await.unwrap();
    assert_eq!(engine.get(quick).unwrap().state, JobState::Transferred);
    engine.complete(quick).unwrap();
    assert_eq!(sha256_file(&files.path().join("small")), sha256(&small));
    let slow_job = engine.get(slow).unwrap();
    assert!(
        slow_job.progress.bytes_transferred < large.len() as u64,
        "the slow job had not finished: {:?}",
        slow_job.progress
    );
    engine.shutdown().await;
}
