//! Generates the app's context and declares every command the window may call, so each one
//! gets an `allow-<command>` permission for the main window's capability to list.

/// Every `#[tauri::command]` in `src/commands.rs`.
const COMMANDS: &[&str] = &[
    "subscribe_jobs",
    "first_jobs",
    "list_jobs",
    "create_job",
    "probe_urls",
    "resume_job",
    "suspend_job",
    "cancel_job",
    "complete_job",
    "replace_existing_file",
    "keep_both_files",
    "choose_file_name",
    "set_priority",
    "set_remote_name",
    "set_local_folder",
    "set_credentials",
    "set_dynamic_content",
    "set_connections",
    "set_speed_limit",
    "restart_file",
    "allow_web_page",
    "suspend_all",
    "resume_all",
    "complete_all_ready",
    "get_settings",
    "set_settings",
    "history",
    "open_path",
    "open_remote_url",
    "reveal_path",
    "pick_folder",
    "pick_file",
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    if let Err(error) =
        tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
    {
        panic!("tauri build step failed: {error:#}");
    }
}
