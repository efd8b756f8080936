//! The owner runs with glibc keeping freed memory for reuse (fewer page faults per GiB; see
//! `src-tauri/owner/src/allocator.rs`): it starts itself once more, as the same process, with
//! the allocator's settings in its environment, and keeps settings a user gave.

use crate::service::{Runtime, Service};
use crate::util::temp_dir;

/// The environment of process `pid`, as `NAME=value` entries.
fn environment_of(pid: u32) -> Vec<String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).expect("read the owner's environment");
    raw.split(|byte| *byte == 0)
        .map(|entry| String::from_utf8_lossy(entry).into_owned())
        .collect()
}

#[tokio::test]
async fn the_owner_runs_with_the_allocator_keeping_freed_memory() {
    let data = temp_dir("allocator");
    let service = Service::start(data.path()).await;
    let environment = environment_of(service.pid());
    for setting in [
        "MALLOC_TRIM_THRESHOLD_=16777216",
        "MALLOC_MMAP_THRESHOLD_=4194304",
    ] {
        assert!(
            environment.iter().any(|entry| entry == setting),
            "the owner (the process started, listening) runs with {setting}: {environment:?}"
        );
    }
    assert!(service.stop().await.success());
}

#[tokio::test]
async fn allocator_settings_a_user_gave_are_kept() {
    let data = temp_dir("allocator-own");
    let runtime = Runtime::new();
    let mut command = runtime.service(data.path());
    command.env("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1048576");
    let mut service = Service::spawn(command, data.path(), &runtime);
    service.listening().await;
    let environment = environment_of(service.pid());
    assert!(
        environment
            .iter()
            .any(|entry| entry == "GLIBC_TUNABLES=glibc.malloc.trim_threshold=1048576"),
        "{environment:?}"
    );
    assert!(
        !environment.iter().any(|entry| entry.starts_with("MALLOC_")),
        "the user's own settings are not overridden: {environment:?}"
    );
    assert!(service.stop().await.success());
}
