//! Ferry's window: a client of the owner of the transfer queue.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    use_shared_memory_rendering();
    ferry_desktop::run();
}

/// WebKitGTK's DMA-BUF renderer keeps a GPU (or, without one, a software GL) context in the web
/// process; for a window of lists and buttons it costs more than it gives: measured under Xvfb
/// with no jobs, the web process took 179 to 181 MiB PSS with it and 108 to 109 MiB without
/// (the whole tree 308 to 311 against 233 to 235). It is turned off here before any thread
/// starts, unless the user chose otherwise in the environment.
fn use_shared_memory_rendering() {
    const VARIABLE: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";
    if std::env::var_os(VARIABLE).is_none() {
        std::env::set_var(VARIABLE, "1");
    }
}
