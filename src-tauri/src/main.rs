//! Ferry, the desktop transfer manager.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    ferry_desktop::run();
}
