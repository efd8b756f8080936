//! glibc's allocator, tuned for each of Ferry's long-running programs.
//!
//! The owner ([`OWNER`]):
//! - Freed memory is kept for reuse: receive buffers are allocated on the network threads and
//!   freed on a file's writer thread; with glibc's defaults the memory freed at the top of a
//!   heap goes back to the kernel at once and the next buffers fault their pages in again
//!   (60,000 to 140,000 minor page faults per GiB downloaded here, against curl's 644). Keeping
//!   a bounded amount cuts that to about 8,000 and the owner's CPU time by a fifth or more.
//! - Two arenas (`MALLOC_ARENA_MAX=2`): glibc gives threads that allocate at the same time
//!   arenas of their own (up to eight per core), and memory freed in one arena is never reused
//!   by another, so an owner whose blocking threads come and go ends up holding several arenas,
//!   each mostly free: with a queue of 10,000 jobs about a third of its resident memory.
//!
//! The window and the tray ([`DESKTOP`]): one arena. Their threads (GTK's, WebKit's, tokio's)
//! allocate little and rarely at the same time; an arena each cost the window's process about
//! 2.4 MiB and the tray's 0.4 MiB with 100 jobs (README, "Idle memory").
//!
//! glibc reads these settings from the environment when the process starts, and the project
//! allows no `unsafe` code (which `mallopt` would need), so a program starts itself once more
//! with them set (same process id, same arguments). A user's own settings are kept. The
//! settings a program added are taken out of its environment once it runs with them, so the
//! programs it starts (a job's notify command, the window, WebKit's processes) get the user's
//! environment as it was.

use std::ffi::OsString;

/// The variable that sets the number of arenas.
pub const ARENA_VARIABLE: &str = "MALLOC_ARENA_MAX";

/// Names the settings a program added to its environment before it started itself again
/// (separated by spaces), so it can take them out again.
const ADDED_VARIABLE: &str = "FERRY_ALLOCATOR_ADDED";

/// One allocator setting: (environment variable, value).
pub type Setting = (&'static str, &'static str);

/// The owner's settings.
pub const OWNER: &[Setting] = &[
    // Free memory a heap keeps at its top before giving it back to the kernel (bytes).
    ("MALLOC_TRIM_THRESHOLD_", "16777216"),
    // Allocations from this size are mapped on their own, the rest come from the heaps
    // (bytes). A fixed value: glibc's own moves with what was freed last.
    ("MALLOC_MMAP_THRESHOLD_", "4194304"),
    // One arena for the main thread's start-up, one shared by every other thread.
    (ARENA_VARIABLE, "2"),
];

/// The window's and the tray's settings: every thread shares one arena.
pub const DESKTOP: &[Setting] = &[(ARENA_VARIABLE, "1")];

/// Makes sure this program runs with `settings`: if any is missing from the environment,
/// replaces the process by the same program with the same arguments and the missing settings
/// added, and does not return. Returns when they are all there, when the user tuned the
/// allocator with `GLIBC_TUNABLES`, when the allocator is not glibc's, or when the program
/// cannot be started again (then it runs with glibc's defaults, which only costs memory and
/// time). Call at the very start of the program, before any thread or file is opened.
pub fn tune(settings: &[Setting]) {
    if !cfg!(all(target_os = "linux", target_env = "gnu"))
        || std::env::var_os("GLIBC_TUNABLES").is_some()
    {
        return;
    }
    if let Some(added) = std::env::var_os(ADDED_VARIABLE) {
        forget_added(&added, settings);
        return;
    }
    let missing: Vec<_> = settings
        .iter()
        .filter(|(name, _)| std::env::var_os(name).is_none())
        .collect();
    if missing.is_empty() {
        return;
    }
    let Ok(program) = std::env::current_exe() else {
        return;
    };
    let arguments: Vec<OsString> = std::env::args_os().skip(1).collect();
    let mut command = std::process::Command::new(program);
    command.args(arguments);
    let names: Vec<&str> = missing.iter().map(|(name, _)| *name).collect();
    command.env(ADDED_VARIABLE, names.join(" "));
    for (name, value) in missing {
        command.env(name, value);
    }
    let error = exec(&mut command);
    eprintln!(
        "ferry: running with the allocator's default settings (could not start again with \
         Ferry's own: {error})"
    );
}

/// Takes the settings named in `added` (and the list itself) out of the environment: glibc
/// read them when the process started, and the programs this one starts should not inherit
/// them. Runs before any other thread exists.
fn forget_added(added: &std::ffi::OsStr, settings: &[Setting]) {
    for name in added.to_string_lossy().split_whitespace() {
        if settings.iter().any(|(setting, _)| *setting == name) {
            std::env::remove_var(name);
        }
    }
    std::env::remove_var(ADDED_VARIABLE);
}

#[cfg(unix)]
fn exec(command: &mut std::process::Command) -> std::io::Error {
    use std::os::unix::process::CommandExt;
    command.exec()
}

#[cfg(not(unix))]
fn exec(_command: &mut std::process::Command) -> std::io::Error {
    std::io::Error::other("not supported on this system")
}
