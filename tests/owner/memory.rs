//! What a headless owner costs: `ferry service` with no jobs and no window, measured from
//! `/proc/<pid>/smaps_rollup` once it has settled.

use std::time::Duration;

use crate::harness::Owned;
use crate::servers::{body, Behaviour, TestServer};

/// The limit for an idle headless owner.
const IDLE_RSS_LIMIT_KIB: u64 = 20 * 1024;

/// A field of `/proc/<pid>/smaps_rollup`, in KiB.
fn rollup(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).expect("smaps_rollup");
    text.lines()
        .find_map(|line| {
            let rest = line.strip_prefix(field)?.strip_prefix(':')?;
            rest.trim().trim_end_matches("kB").trim().parse().ok()
        })
        .unwrap_or_else(|| panic!("{field} in smaps_rollup"))
}

#[test]
fn an_idle_headless_owner_stays_under_20_mib_rss() {
    let owned = Owned::start("memory");
    // One call, as a client would make, then time to settle.
    assert!(owned.ok(&["list"]).contains("Listed 0 job(s)."));
    std::thread::sleep(Duration::from_secs(2));
    let pid = owned.owner.as_ref().expect("the owner runs").id();

    let rss = rollup(pid, "Rss");
    let pss = rollup(pid, "Pss");
    println!("idle headless owner: RSS {rss} KiB, PSS {pss} KiB");

    assert!(
        rss <= IDLE_RSS_LIMIT_KIB,
        "an idle owner uses {rss} KiB RSS; the limit is {IDLE_RSS_LIMIT_KIB} KiB"
    );
}

#[test]
fn the_owner_runs_with_two_malloc_arenas_however_it_was_started() {
    let owned = Owned::new("arenas");
    let mut service = owned.command();
    service
        .arg("service")
        .env_remove(ferry_owner::allocator::ARENA_VARIABLE)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut owner = service.spawn().expect("ferry service starts");
    owned.wait_listening();

    let environ = std::fs::read(format!("/proc/{}/environ", owner.id())).expect("environ");
    let _ = owner.kill();
    let _ = owner.wait();
    let variables: Vec<&[u8]> = environ.split(|b| *b == 0).collect();
    assert!(
        variables.contains(&b"MALLOC_ARENA_MAX=2".as_slice()),
        "the owner set its arenas before starting (same process)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notify_command_gets_the_users_environment_without_the_owners_allocator_settings() {
    let server = TestServer::start(Behaviour::full(body(10_000, 3))).await;
    let owned = Owned::new("notify-environment");
    let mut service = owned.command();
    service
        .arg("service")
        .env_remove("MALLOC_ARENA_MAX")
        .env_remove("MALLOC_MMAP_THRESHOLD_")
        .env("MALLOC_TRIM_THRESHOLD_", "123456")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut owner = service.spawn().expect("ferry service starts");
    owned.wait_listening();

    let id = owned.ok(&["create", "Notified"]).trim().to_owned();
    let local = owned.path("n.bin");
    owned.ok(&[
        "addfile",
        &id,
        &server.url("/n.bin"),
        local.to_str().unwrap(),
    ]);
    let seen = owned.path("environment.txt");
    let script = format!("env > {}.part && mv {0}.part {0}", seen.display());
    owned.ok(&["setnotifycmdline", &id, "/bin/sh", "-c", &script]);
    owned.ok(&["resume", &id]);

    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !seen.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the notify command ran when the job was transferred"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = owner.kill();
    let _ = owner.wait();
    let environment = std::fs::read_to_string(&seen).unwrap();
    let lines: Vec<&str> = environment.lines().collect();
    for added in [
        "MALLOC_ARENA_MAX",
        "MALLOC_MMAP_THRESHOLD_",
        "FERRY_ALLOCATOR_ADDED",
    ] {
        assert!(
            !lines
                .iter()
                .any(|line| line.starts_with(&format!("{added}="))),
            "{added} is not passed on: {environment}"
        );
    }
    assert!(
        lines.contains(&"MALLOC_TRIM_THRESHOLD_=123456"),
        "the user's own setting is passed on: {environment}"
    );
}
