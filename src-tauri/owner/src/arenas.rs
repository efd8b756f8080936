//! How many memory arenas the owner's allocator keeps. glibc gives threads that allocate at
//! the same time arenas of their own (up to eight per core), and memory freed in one arena is
//! never reused by another: an owner whose blocking threads come and go (one per API call in
//! flight, one per file being written) ends up holding several arenas, each mostly free. With a
//! queue of 10,000 jobs that was about a third of its resident memory. The owner runs with two
//! arenas (`MALLOC_ARENA_MAX=2`); glibc reads the setting only when a process starts, so
//! `ferry service` started without it replaces itself by itself with it, before doing anything
//! else (same process id, same arguments).

use std::os::unix::process::CommandExt;

/// The variable glibc reads.
pub const ARENA_VARIABLE: &str = "MALLOC_ARENA_MAX";

/// Arenas the owner keeps: one for the main thread's start-up, one shared by every other.
const ARENAS: &str = "2";

/// Starts this program again in place with [`ARENA_VARIABLE`] set, unless it is set already
/// (by the user, or by this function before). Returns only when it does nothing or the restart
/// fails (then the owner runs with the allocator's default, which only costs memory).
pub fn limit_arenas() {
    if std::env::var_os(ARENA_VARIABLE).is_some() {
        return;
    }
    let Ok(program) = std::env::current_exe() else {
        return;
    };
    let error = std::process::Command::new(program)
        .args(std::env::args_os().skip(1))
        .env(ARENA_VARIABLE, ARENAS)
        .exec();
    eprintln!("ferry: running with the allocator's default arenas: {error}");
}
