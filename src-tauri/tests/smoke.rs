//! The shell on tauri's mock runtime, connected to a real owner (in this process, on its Unix
//! socket) of a temporary data directory, with the app's real context (configuration and
//! capability): commands answer through the same permission checks as in the window and the
//! same local API as every client, and errors cross as `{ code, name, message }`.

use std::path::Path;
use std::sync::Arc;

use ferry_desktop::Shell;
use ferry_owner::Owner;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

const E_INVALIDARG: u64 = 0x8007_0057;
const E_ACCESSDENIED: u64 = 0x8007_0005;
const BG_E_USERNAME_TOO_LARGE: u64 = 0x8020_0025;

/// A running shell on the mock runtime; the owner stops when it is dropped.
struct TestApp {
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    data_dir: TempDir,
    stop: CancellationToken,
    owner: Option<tauri::async_runtime::JoinHandle<()>>,
}

impl TestApp {
    fn start() -> TestApp {
        let data_dir = tempfile::tempdir().expect("a temporary data directory");
        let owner = tauri::async_runtime::block_on(Owner::open(data_dir.path()))
            .expect("the owner starts on an empty data directory");
        let stop = owner.stop_token();
        let owner = tauri::async_runtime::spawn(owner.serve(Arc::new(|| {})));
        // No program to start: the owner above must be the one the shell finds.
        let shell = Shell::connect(data_dir.path(), Path::new("/nonexistent/ferry"))
            .expect("the shell reaches the owner");
        let app = ferry_desktop::builder(mock_builder())
            .build(ferry_desktop::context())
            .expect("the app builds");
        shell.manage(&app);
        let window = ferry_desktop::main_window::builder(&app, &Default::default())
            .build()
            .expect("the main window opens");
        TestApp {
            _app: app,
            window,
            data_dir,
            stop,
            owner: Some(owner),
        }
    }

    /// Invokes `command` as the window's script would, from the app's own origin.
    fn invoke(&self, command: &str, args: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: command.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("a valid URL"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.window, request)
            .map(|body| body.deserialize::<Value>().expect("a JSON answer"))
    }

    fn jobs(&self) -> Vec<Value> {
        match self
            .invoke("list_jobs", json!({}))
            .expect("list_jobs answers")
        {
            Value::Array(jobs) => jobs,
            other => panic!("list_jobs answered {other}"),
        }
    }

    fn destination(&self, name: &str) -> String {
        self.data_dir
            .path()
            .join(name)
            .to_string_lossy()
            .into_owned()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(owner) = self.owner.take() {
            let _ = tauri::async_runtime::block_on(owner);
        }
    }
}

fn download_request(name: &str, url: &str, path: &str) -> Value {
    json!({
        "request": {
            "display_name": name,
            "job_type": "DOWNLOAD",
            "priority": "FOREGROUND",
            "files": [{ "remote_url": url, "local_path": path }],
            "credentials": null,
            "reply_file_name": null,
        }
    })
}

#[test]
fn create_job_with_a_bad_url_fails_with_invalidarg_and_leaves_no_job() {
    let app = TestApp::start();
    let path = app.destination("file.bin");

    let error = app
        .invoke(
            "create_job",
            download_request("Bad", "ftp://127.0.0.1/file.bin", &path),
        )
        .unwrap_err();

    assert_eq!(error["code"], E_INVALIDARG, "{error}");
    assert_eq!(error["name"], "E_INVALIDARG");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "a message for people: {error}"
    );
    assert!(app.jobs().is_empty(), "the half-made job was cancelled");
}

#[test]
fn create_job_is_all_or_nothing_when_the_credentials_are_refused() {
    let app = TestApp::start();
    let mut request = download_request(
        "Locked",
        "http://127.0.0.1:9/file.bin",
        &app.destination("file.bin"),
    );
    request["request"]["credentials"] = json!({ "target": "SERVER", "scheme": "BASIC", "user_name": "u".repeat(301), "password": "secret" });

    let error = app.invoke("create_job", request).unwrap_err();

    assert_eq!(error["code"], BG_E_USERNAME_TOO_LARGE, "{error}");
    assert_eq!(error["name"], "BG_E_USERNAME_TOO_LARGE");
    assert!(
        app.jobs().is_empty(),
        "files were added before the credentials failed, yet no job is left"
    );
    let history = app.invoke("history", json!({ "limit": 10 })).unwrap();
    assert_eq!(
        history,
        json!([]),
        "nor does the half-made job appear in the history"
    );
}

#[test]
fn a_created_job_is_suspended_listed_and_in_the_subscription_snapshot() {
    let app = TestApp::start();
    let path = app.destination("report.pdf");
    // Made at connect, the first subscription holds the queue as it was then (empty) and the
    // events since; until the page takes it, it gives the first rows.
    assert_eq!(
        app.invoke("first_jobs", json!({ "count": 10 })).unwrap(),
        json!({ "jobs": [], "total": 0 })
    );
    let first = app
        .invoke("subscribe_jobs", json!({ "channel": "__CHANNEL__:7" }))
        .unwrap();
    assert_eq!(first, json!([]));
    assert_eq!(
        app.invoke("first_jobs", json!({ "count": 10 })).unwrap(),
        Value::Null,
        "taken"
    );

    let job = app
        .invoke(
            "create_job",
            download_request("Report", "http://127.0.0.1:9/report.pdf", &path),
        )
        .unwrap();

    assert_eq!(job["state"], "SUSPENDED");
    assert_eq!(job["settings"]["display_name"], "Report");
    assert_eq!(job["settings"]["priority"], "FOREGROUND");
    assert_eq!(job["files"][0]["local_path"], path.as_str());
    let listed = app.jobs();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], job["id"]);

    // A later subscription (a reloaded page) is made afresh.
    let snapshot = app
        .invoke("subscribe_jobs", json!({ "channel": "__CHANNEL__:8" }))
        .unwrap();
    assert_eq!(
        snapshot,
        Value::Array(listed),
        "the snapshot is the queue as it is"
    );

    let code = app
        .invoke("cancel_job", json!({ "id": job["id"] }))
        .unwrap();
    assert_eq!(code, 0, "S_OK");
    assert!(app.jobs().is_empty());
}

#[test]
fn verbs_the_state_machine_refuses_cross_with_their_bits_code() {
    let app = TestApp::start();
    let job = app
        .invoke(
            "create_job",
            download_request(
                "Twice",
                "http://127.0.0.1:9/a.bin",
                &app.destination("a.bin"),
            ),
        )
        .unwrap();
    app.invoke("cancel_job", json!({ "id": job["id"] }))
        .unwrap();

    let error = app
        .invoke("resume_job", json!({ "id": job["id"] }))
        .unwrap_err();

    assert!(
        error["name"] == "BG_E_NOT_FOUND" || error["name"] == "BG_E_INVALID_STATE",
        "a cancelled job cannot be resumed: {error}"
    );
}

#[test]
fn settings_round_trip_and_invalid_values_are_refused() {
    let app = TestApp::start();
    let mut settings = app.invoke("get_settings", json!({})).unwrap();
    settings["foreground_concurrency"] = json!(2);
    settings["theme"] = json!("dark");

    let saved = app
        .invoke("set_settings", json!({ "settings": settings }))
        .unwrap();
    assert_eq!(saved, settings);
    assert_eq!(app.invoke("get_settings", json!({})).unwrap(), settings);
    let on_disk: Value =
        serde_json::from_slice(&std::fs::read(app.data_dir.path().join("settings.json")).unwrap())
            .unwrap();
    assert_eq!(
        on_disk, settings,
        "the file beside the store holds what was saved"
    );

    settings["foreground_concurrency"] = json!(0);
    let error = app
        .invoke("set_settings", json!({ "settings": settings }))
        .unwrap_err();
    assert_eq!(error["code"], E_INVALIDARG, "{error}");
    assert_eq!(
        app.invoke("get_settings", json!({})).unwrap(),
        saved,
        "a refused change changes nothing"
    );
}

#[test]
fn paths_ferry_did_not_transfer_are_not_opened() {
    let app = TestApp::start();

    let error = app
        .invoke("open_path", json!({ "path": "/bin/sh" }))
        .unwrap_err();

    assert_eq!(error["code"], E_ACCESSDENIED, "{error}");
}

#[test]
fn the_window_cannot_call_plugin_commands() {
    let app = TestApp::start();

    let refused = app.invoke("plugin:app|version", json!({}));

    let error = refused.expect_err("the capability grants only Ferry's own commands");
    assert!(
        error.to_string().contains("not allowed"),
        "refused by the permission check: {error}"
    );
}

#[test]
fn saved_policies_reach_the_engine() {
    let app = TestApp::start();
    let mut settings = app.invoke("get_settings", json!({})).unwrap();
    settings["policies"]["MaxJobsPerUser"] = json!(1);
    app.invoke("set_settings", json!({ "settings": settings }))
        .unwrap();
    app.invoke(
        "create_job",
        download_request(
            "First",
            "http://127.0.0.1:9/1.bin",
            &app.destination("1.bin"),
        ),
    )
    .unwrap();

    let error = app
        .invoke(
            "create_job",
            download_request(
                "Second",
                "http://127.0.0.1:9/2.bin",
                &app.destination("2.bin"),
            ),
        )
        .unwrap_err();

    assert_eq!(error["name"], "BG_E_TOO_MANY_JOBS_PER_USER", "{error}");
    assert_eq!(app.jobs().len(), 1);
}

#[test]
fn set_local_folder_moves_every_file_not_yet_transferred() {
    let app = TestApp::start();
    let mut request = download_request(
        "Two files",
        "http://127.0.0.1:9/a.bin",
        &app.destination("a.bin"),
    );
    request["request"]["files"].as_array_mut().unwrap().push(
        json!({ "remote_url": "http://127.0.0.1:9/b.bin", "local_path": app.destination("b.bin") }),
    );
    let job = app.invoke("create_job", request).unwrap();
    let elsewhere = app.data_dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();

    app.invoke(
        "set_local_folder",
        json!({ "id": job["id"], "folder": elsewhere }),
    )
    .unwrap();

    let moved = &app.jobs()[0]["files"];
    assert_eq!(
        moved[0]["local_path"],
        elsewhere.join("a.bin").to_string_lossy().as_ref()
    );
    assert_eq!(
        moved[1]["local_path"],
        elsewhere.join("b.bin").to_string_lossy().as_ref()
    );
}

#[test]
fn create_job_sets_each_file_s_checksum_normalised() {
    let app = TestApp::start();
    let mut request = download_request(
        "Checked",
        "http://127.0.0.1:9/file.bin",
        &app.destination("file.bin"),
    );
    let hex = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";
    request["request"]["checksums"] = json!([format!("SHA256:{hex}")]);

    let job = app.invoke("create_job", request).unwrap();

    assert_eq!(
        job["files"][0]["checksum"],
        format!("sha256:{}", hex.to_lowercase()),
        "{job}"
    );
    assert_eq!(job["files"][0]["verification"], "NOT_VERIFIED");
}

#[test]
fn create_job_is_all_or_nothing_when_a_checksum_is_refused() {
    let app = TestApp::start();
    let mut request = download_request(
        "Bad sum",
        "http://127.0.0.1:9/file.bin",
        &app.destination("file.bin"),
    );
    request["request"]["checksums"] = json!(["sha256:abcd"]);

    let error = app.invoke("create_job", request).unwrap_err();

    assert_eq!(error["code"], E_INVALIDARG, "{error}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("checksum")),
        "the message names the checksum: {error}"
    );
    assert!(app.jobs().is_empty(), "the half-made job was discarded");
}

#[test]
fn a_rebuilt_window_opens_where_and_on_the_view_the_closed_one_left() {
    use ferry_desktop::main_window::{builder, Geometry, Remembered, Size};
    let app = mock_builder()
        .build(ferry_desktop::context())
        .expect("the app builds");
    let remembered = Remembered {
        geometry: Some(Geometry {
            x: 200.0,
            y: 90.0,
            size: Size {
                width: 900.0,
                height: 600.0,
            },
            maximized: false,
        }),
        view: Some("page=history".into()),
    };
    let window = builder(&app, &remembered)
        .build()
        .expect("the window is rebuilt");
    assert_eq!(
        window.label(),
        ferry_desktop::MAIN_WINDOW,
        "the capability's label"
    );
    let url = window.url().expect("the window has a URL");
    assert_eq!(url.fragment(), Some("page=history"), "{url}");
    assert!(
        app.config().app.windows.is_empty(),
        "no window is declared in tauri.conf.json: --hidden builds none"
    );
}
