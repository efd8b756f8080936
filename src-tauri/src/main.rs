//! Ferry's window: a client of the owner of the transfer queue.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    ferry_owner::allocator::tune(ferry_owner::allocator::DESKTOP);
    for (variable, value) in WEBKIT_SETTINGS {
        if std::env::var_os(variable).is_none() {
            std::env::set_var(variable, value);
        }
    }
    ferry_desktop::run();
}

/// WebKit's settings that only the environment sets, for a window of lists and buttons: set
/// here before any thread starts (the web process inherits them), unless the user chose
/// otherwise in the environment. Measured under Xvfb (README, "Idle memory"):
/// - The DMA-BUF renderer keeps a GPU (or, without one, a software GL) context in the web
///   process: with no jobs, the web process took 179 to 181 MiB PSS with it and 108 to 109 MiB
///   without (the whole tree 308 to 311 against 233 to 235).
/// - JavaScriptCore's optimising JITs (DFG, and FTL above it) compile hot code at a cost in
///   memory (the web process about 7 MiB PSS less without them, with 100 jobs) for speed the
///   window does not need: its scripts run in the interpreter and the baseline JIT, and the
///   10,000-job figures (`tests/bench/window_bench.py`) stay within their spread.
const WEBKIT_SETTINGS: [(&str, &str); 2] = [
    ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
    ("JSC_useDFGJIT", "0"),
];
