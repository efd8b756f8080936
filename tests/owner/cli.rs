//! Every verb of the `ferry` command line against a real owner and real servers on 127.0.0.1,
//! with bitsadmin's meaning: what each prints, what it changes in the queue (read back with
//! `info --json`), and its exit status (0 done, 1 failed with the code on stderr, 2 usage).

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::bits_server::{BitsServer, BitsServerConfig, Misbehaviour};
use crate::harness::Owned;
use crate::servers::{body, Behaviour, TestServer};
use crate::util::{sha256, sha256_file};

/// How long a job gets to reach a state.
const PATIENCE: Duration = Duration::from_secs(30);

/// A job as `ferry info --json` shows it.
fn info(owned: &Owned, job: &str) -> Value {
    serde_json::from_str(&owned.ok(&["info", job, "--json"])).expect("info --json is JSON")
}

/// Polls `ferry getstate` until the job is in `state`.
fn wait_state(owned: &Owned, job: &str, state: &str) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let now = owned.ok(&["getstate", job]);
        if now.trim() == state {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{job} reaches {state}; it is {now}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_downloads_every_file_completes_the_job_and_prints_where_the_files_are() {
    let (a, b) = (body(300_000, 1), body(1_200_000, 2));
    let server = TestServer::builder()
        .route("/a.bin", Behaviour::full(a.clone()))
        .route("/b.bin", Behaviour::full(b.clone()))
        .start()
        .await;
    let owned = Owned::start("transfer");
    let (pa, pb) = (owned.path("a.bin"), owned.path("b.bin"));

    let out = owned.ok(&[
        "transfer",
        "--name",
        "Both",
        &server.url("/a.bin"),
        pa.to_str().unwrap(),
        &server.url("/b.bin"),
        pb.to_str().unwrap(),
    ]);

    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [pa.to_str().unwrap(), pb.to_str().unwrap()],
        "transfer prints each kept file"
    );
    assert_eq!(sha256_file(&pa), sha256(&a));
    assert_eq!(sha256_file(&pb), sha256(&b));
    assert_eq!(
        owned.ok(&["list"]).trim(),
        "Listed 0 job(s).",
        "the completed job left the queue"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_with_a_list_downloads_the_pairs_then_the_list_in_order() {
    let bodies: Vec<_> = (0..3u64).map(|n| body(50_000 + n as usize, n)).collect();
    let mut builder = TestServer::builder();
    for (n, content) in bodies.iter().enumerate() {
        builder = builder.route(&format!("/{n}.bin"), Behaviour::full(content.clone()));
    }
    let server = builder.start().await;
    let owned = Owned::start("transfer-list");
    let paths: Vec<_> = (0..3).map(|n| owned.path(&format!("{n}.bin"))).collect();
    let list = owned.path("list.txt");
    std::fs::write(
        &list,
        format!(
            "# the rest\n{} {}\n\n{} {}\n",
            server.url("/1.bin"),
            paths[1].display(),
            server.url("/2.bin"),
            paths[2].display()
        ),
    )
    .unwrap();

    let out = owned.ok(&[
        "transfer",
        &server.url("/0.bin"),
        paths[0].to_str().unwrap(),
        "--list",
        list.to_str().unwrap(),
    ]);

    let printed: Vec<_> = out.lines().collect();
    let expected: Vec<_> = paths.iter().map(|p| p.to_str().unwrap()).collect();
    assert_eq!(printed, expected, "the pairs first, then the list's files");
    for (path, content) in paths.iter().zip(&bodies) {
        assert_eq!(sha256_file(path), sha256(content));
    }

    std::fs::write(&list, "http://127.0.0.1:1/x.bin\n").unwrap();
    let refused = owned.ferry(&["transfer", "--list", list.to_str().unwrap()]);
    assert_eq!(
        refused.status.code(),
        Some(1),
        "a line without a local file"
    );
    assert!(stderr(&refused).contains("line 1"), "{}", stderr(&refused));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_with_a_wrong_checksum_fails_cancels_and_keeps_nothing() {
    let file = body(100_000, 3);
    let server = TestServer::start(Behaviour::full(file)).await;
    let owned = Owned::start("transfer-checksum");
    let path = owned.path("f.bin");
    let wrong = format!("sha256:{}", "0".repeat(64));

    let output = owned.ferry(&[
        "transfer",
        "--checksum",
        &wrong,
        &server.url("/f.bin"),
        path.to_str().unwrap(),
    ]);

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("FERRY_E_CHECKSUM_MISMATCH (0xA0FE0004)")
            && stderr(&output).contains("cancelled"),
        "{}",
        stderr(&output)
    );
    assert!(!path.exists(), "nothing is kept");
    assert!(owned.ok(&["list"]).contains("Listed 0 job(s)."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_of_a_missing_file_exits_1_naming_the_http_code_and_cancels_the_job() {
    let server = TestServer::start(Behaviour::status(404)).await;
    let owned = Owned::start("transfer-404");
    let path = owned.path("gone.bin");

    let output = owned.ferry(&["transfer", &server.url("/gone.bin"), path.to_str().unwrap()]);

    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.contains("(0x80190194)"), "the code on stderr: {text}");
    assert!(!path.exists());
    assert!(owned.ok(&["list"]).contains("Listed 0 job(s)."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_shows_a_transient_error_and_when_it_retries_then_finishes() {
    let file = body(50_000, 4);
    let server = TestServer::start(Behaviour::status_then(
        503,
        None,
        1,
        Behaviour::full(file.clone()),
    ))
    .await;
    let owned = Owned::start("transfer-retry");
    let path = owned.path("later.bin");

    let output = owned.ferry(&[
        "transfer",
        "--retry-delay",
        "5",
        &server.url("/later.bin"),
        path.to_str().unwrap(),
    ]);

    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("TRANSIENT_ERROR") && text.contains("next retry at"),
        "the wait says what failed and when it retries: {text}"
    );
    assert_eq!(sha256_file(&path), sha256(&file));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_addfile_addfileset_resume_and_complete_work_like_bitsadmin() {
    let files: Vec<_> = (0..3)
        .map(|i| body(64_000 + i * 1000, 10 + i as u64))
        .collect();
    let mut builder = TestServer::builder();
    for (i, file) in files.iter().enumerate() {
        builder = builder.route(&format!("/{i}.bin"), Behaviour::full(file.clone()));
    }
    let server = builder.start().await;
    let owned = Owned::start("bitsadmin");

    let id = owned.ok(&["create", "Nightly"]);
    let id = id.trim();
    assert!(
        id.starts_with('{') && id.ends_with('}'),
        "create prints the id: {id}"
    );
    owned.ok(&[
        "addfile",
        "Nightly",
        &server.url("/0.bin"),
        owned.path("0.bin").to_str().unwrap(),
    ]);
    let list = owned.path("list.txt");
    std::fs::write(
        &list,
        format!(
            "# two more\n{} {}\n{} {}\n",
            server.url("/1.bin"),
            owned.path("1.bin").display(),
            server.url("/2.bin"),
            owned.path("2.bin").display()
        ),
    )
    .unwrap();
    owned.ok(&["addfileset", id, list.to_str().unwrap()]);
    let files_listed = owned.ok(&["listfiles", "Nightly"]);
    assert_eq!(files_listed.lines().count(), 3, "{files_listed}");
    assert_eq!(owned.ok(&["getstate", "Nightly"]).trim(), "SUSPENDED");
    assert_eq!(owned.ok(&["getbytestotal", "Nightly"]).trim(), "UNKNOWN");

    owned.ok(&["resume", "Nightly"]);
    wait_state(&owned, "Nightly", "TRANSFERRED");
    let total: u64 = files.iter().map(|f| f.len() as u64).sum();
    assert_eq!(owned.ok(&["getbytestotal", id]).trim(), total.to_string());
    assert_eq!(
        owned.ok(&["getbytestransferred", id]).trim(),
        total.to_string()
    );
    let line = owned.ok(&["list"]);
    assert!(
        line.contains(&format!("{id} Nightly TRANSFERRED 3 / 3 {total} / {total}")),
        "{line}"
    );

    let kept = owned.ok(&["complete", "Nightly"]);
    assert_eq!(kept.lines().count(), 3, "{kept}");
    for (i, file) in files.iter().enumerate() {
        assert_eq!(sha256_file(&owned.path(&format!("{i}.bin"))), sha256(file));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addfilewithranges_downloads_only_the_ranges_back_to_back() {
    let file = body(10_000, 20);
    let server = TestServer::start(Behaviour::full(file.clone())).await;
    let owned = Owned::start("ranges");
    let id = owned.ok(&["create", "Parts"]);
    let path = owned.path("parts.bin");

    owned.ok(&[
        "addfilewithranges",
        id.trim(),
        &server.url("/f.bin"),
        path.to_str().unwrap(),
        "0:100,9000:eof",
    ]);
    owned.ok(&["resume", "Parts"]);
    wait_state(&owned, "Parts", "TRANSFERRED");
    owned.ok(&["complete", "Parts"]);

    let mut expected = file[..100].to_vec();
    expected.extend_from_slice(&file[9000..]);
    assert_eq!(std::fs::read(&path).unwrap(), expected);
}

#[test]
fn every_setter_changes_what_info_shows_and_no_secret_is_ever_printed() {
    let owned = Owned::start("setters");
    let id = owned.ok(&["create", "Props"]).trim().to_owned();
    let set = |args: &[&str]| {
        let mut all = vec![args[0], id.as_str()];
        all.extend_from_slice(&args[1..]);
        owned.ok(&all);
    };
    set(&["setpriority", "high"]);
    set(&["setminretrydelay", "90"]);
    set(&["setnoprogresstimeout", "3600"]);
    set(&["setmaxdownloadtime", "7200"]);
    set(&["setnotifyflags", "2"]);
    set(&["setnotifycmdline", "/bin/echo", "done", "--flag"]);
    set(&["setdescription", "from the command line"]);
    set(&["sethttpmethod", "POST"]);
    set(&["setcustomheaders", "X-Token: s3cr3t-value", "X-Other: 1"]);
    set(&[
        "setproxysettings",
        "override",
        "http://127.0.0.1:3128",
        "localhost",
    ]);
    let mut with_password = owned.command();
    with_password
        .args([
            "setcredentials",
            &id,
            "server",
            "basic",
            "alice",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = with_password.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"hunter2-password\n")
        .unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    set(&["setdisplayname", "Renamed"]);

    let job = info(&owned, "Renamed");
    let s = &job["settings"];
    assert_eq!(
        s["priority"], "FOREGROUND",
        "a custom HTTP method forces FOREGROUND"
    );
    assert_eq!(s["minimum_retry_delay_secs"], 90);
    assert_eq!(s["no_progress_timeout_secs"], 3600);
    assert_eq!(s["maximum_download_time_secs"], 7200);
    assert_eq!(s["notify_flags"], 2);
    assert_eq!(s["notify_command"]["program"], "/bin/echo");
    assert_eq!(
        s["notify_command"]["args"],
        serde_json::json!(["done", "--flag"])
    );
    assert_eq!(s["description"], "from the command line");
    assert_eq!(s["http_method"], "POST");
    assert_eq!(s["proxy"]["usage"], "OVERRIDE");
    assert_eq!(s["proxy"]["proxy"], "http://127.0.0.1:3128");
    assert_eq!(
        job["credentials_set"],
        serde_json::json!([["SERVER", "BASIC"]])
    );
    assert_eq!(
        owned.ok(&["getcustomheaders", "Renamed"]),
        "X-Token: (value hidden)\nX-Other: (value hidden)\n"
    );

    let verbose = owned.ok(&["info", "Renamed", "--verbose"]);
    let listed = owned.ok(&["list", "--json"]);
    for text in [&verbose, &listed, &job.to_string()] {
        assert!(!text.contains("hunter2"), "no password in {text}");
        assert!(!text.contains("s3cr3t"), "no header value in {text}");
    }
    assert!(verbose.contains("SERVER BASIC"), "{verbose}");

    set(&["removecredentials", "server", "basic"]);
    set(&["setnotifycmdline", "NULL"]);
    set(&["setcustomheaders", "NULL"]);
    let job = info(&owned, "Renamed");
    assert_eq!(job["credentials_set"], serde_json::json!([]));
    assert_eq!(job["settings"]["notify_command"], Value::Null);
    assert_eq!(job["custom_header_names"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaceremoteprefix_points_every_file_at_another_server() {
    let file = body(20_000, 30);
    let server = TestServer::start(Behaviour::full(file.clone())).await;
    let owned = Owned::start("prefix");
    let id = owned.ok(&["create", "Moved"]).trim().to_owned();
    let path = owned.path("m.bin");
    owned.ok(&[
        "addfile",
        &id,
        "http://127.0.0.1:9/old/m.bin",
        path.to_str().unwrap(),
    ]);

    owned.ok(&[
        "replaceremoteprefix",
        &id,
        "http://127.0.0.1:9/old",
        &server.url("/new"),
    ]);

    assert_eq!(
        info(&owned, &id)["files"][0]["remote_url"],
        server.url("/new/m.bin")
    );
    owned.ok(&["resume", &id]);
    wait_state(&owned, &id, "TRANSFERRED");
    owned.ok(&["complete", &id]);
    assert_eq!(sha256_file(&path), sha256(&file));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn geterror_names_the_code_and_context_and_cancel_removes_the_job_and_its_temporaries() {
    let server = TestServer::start(Behaviour::status(404)).await;
    let owned = Owned::start("geterror");
    let id = owned.ok(&["create", "Broken"]).trim().to_owned();
    owned.ok(&[
        "addfile",
        &id,
        &server.url("/missing.bin"),
        owned.path("missing.bin").to_str().unwrap(),
    ]);
    let none = owned.ferry(&["geterror", &id]);
    assert_eq!(none.status.code(), Some(1), "no error yet");

    owned.ok(&["resume", &id]);
    wait_state(&owned, &id, "ERROR");
    let text = owned.ok(&["geterror", &id]);
    assert!(
        text.contains("(0x80190194)") && text.contains("RemoteFile"),
        "{text}"
    );
    let json: Value = serde_json::from_str(&owned.ok(&["geterror", &id, "--json"])).unwrap();
    assert_eq!(json["code"], 0x8019_0194u32);

    owned.ok(&["cancel", &id]);
    assert!(owned.ok(&["list"]).contains("Listed 0 job(s)."));
    let leftovers: Vec<_> = std::fs::read_dir(owned.root.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary file is left: {leftovers:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspend_stops_a_job_and_resume_finishes_it() {
    let file = body(400_000, 40);
    let server = TestServer::start(Behaviour::slow_drip(
        file.clone(),
        50_000,
        Duration::from_millis(50),
    ))
    .await;
    let owned = Owned::start("suspend");
    let path = owned.path("slow.bin");
    let id = owned.ok(&[
        "transfer",
        "--no-wait",
        &server.url("/slow.bin"),
        path.to_str().unwrap(),
    ]);
    let id = id.trim();

    owned.ok(&["suspend", id]);
    assert_eq!(owned.ok(&["getstate", id]).trim(), "SUSPENDED");
    owned.ok(&["resume", id]);
    wait_state(&owned, id, "TRANSFERRED");
    owned.ok(&["complete", id]);
    assert_eq!(sha256_file(&path), sha256(&file));
}

#[test]
fn a_name_two_jobs_share_is_refused_and_their_ids_still_work() {
    let owned = Owned::start("names");
    let first = owned.ok(&["create", "Twin"]).trim().to_owned();
    let second = owned.ok(&["create", "Twin"]).trim().to_owned();

    let output = owned.ferry(&["getstate", "Twin"]);

    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.contains("2 jobs are named") && text.contains(&first[1..37]),
        "{text}"
    );
    assert_eq!(owned.ok(&["getstate", &second]).trim(), "SUSPENDED");
    let bare = first.trim_start_matches('{').trim_end_matches('}');
    assert_eq!(owned.ok(&["getstate", bare]).trim(), "SUSPENDED");
}

#[test]
fn a_failed_verb_prints_the_code_name_number_and_a_sentence_and_exits_1() {
    let owned = Owned::start("errors");

    let output = owned.ferry(&["resume", "{00000000-0000-4000-8000-000000000000}"]);

    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.starts_with("ferry: BG_E_NOT_FOUND (0x80200001): "),
        "{text}"
    );
}

#[test]
fn wrong_usage_exits_2_and_help_completions_and_the_manual_describe_every_verb() {
    let owned = Owned::new("usage");
    let bad = owned.ferry(&["setpriority", "x", "urgent"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert_eq!(owned.ferry(&["no-such-verb"]).status.code(), Some(2));

    let help = owned.ok(&["--help"]);
    let verbs = [
        "service",
        "create",
        "addfile",
        "addfileset",
        "addfilewithranges",
        "transfer",
        "list",
        "listfiles",
        "info",
        "monitor",
        "getstate",
        "getbytestotal",
        "getbytestransferred",
        "geterror",
        "resume",
        "suspend",
        "complete",
        "cancel",
        "setpriority",
        "setminretrydelay",
        "setnoprogresstimeout",
        "setmaxdownloadtime",
        "setnotifycmdline",
        "setnotifyflags",
        "setcredentials",
        "removecredentials",
        "setcustomheaders",
        "getcustomheaders",
        "setproxysettings",
        "replaceremoteprefix",
        "sethttpmethod",
        "setdisplayname",
        "setdescription",
        "setreplyfilename",
        "getreplydata",
        "setpolicy",
        "getpolicy",
    ];
    for verb in verbs {
        assert!(
            help.contains(&format!("  {verb} ")),
            "{verb} in --help:\n{help}"
        );
        let own = owned.ok(&[verb, "--help"]);
        assert!(own.contains("Usage: ferry"), "{verb} --help: {own}");
    }
    for shell in ["bash", "zsh", "fish"] {
        let script = owned.ok(&["completions", shell]);
        assert!(script.contains("addfilewithranges"), "{shell} completions");
    }
    let man = owned.ok(&["man"]);
    assert!(
        man.contains(".TH ferry") && man.contains("setcredentials"),
        "roff manual"
    );
    assert!(
        owned.holder_pid().is_none(),
        "help, completions and the manual start no owner"
    );
}

#[test]
fn a_command_starts_the_owner_when_none_runs_and_stop_ends_it() {
    let owned = Owned::new("autostart");
    assert!(owned.holder_pid().is_none());

    assert!(owned.ok(&["list"]).contains("Listed 0 job(s)."));
    let pid = owned.holder_pid().expect("an owner holds the data folder");
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    assert!(owned.socket().exists());

    owned.ok(&["stop"]);
    assert!(
        !owned.socket().exists(),
        "a stopped owner removes its socket"
    );
    let deadline = Instant::now() + PATIENCE;
    while std::path::Path::new(&format!("/proc/{pid}/status")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_default()
            .contains("State:\tZ")
    {
        assert!(Instant::now() < deadline, "the owner {pid} exits");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn policies_read_and_set_one_by_one_and_an_unknown_policy_is_refused() {
    let owned = Owned::start("policies");
    let all: Value = serde_json::from_str(&owned.ok(&["getpolicy"])).unwrap();
    assert!(all.get("MaxJobsPerUser").is_some(), "{all}");

    owned.ok(&["setpolicy", "MaxJobsPerUser", "1"]);
    assert_eq!(owned.ok(&["getpolicy", "MaxJobsPerUser"]).trim(), "1");
    owned.ok(&["create", "Only"]);
    let refused = owned.ferry(&["create", "Second"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("BG_E_TOO_MANY_JOBS_PER_USER"));

    let unknown = owned.ferry(&["setpolicy", "MaxEverything", "3"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("there is no policy MaxEverything"));
    let zero = owned.ferry(&["setpolicy", "MaxJobsPerUser", "0"]);
    assert_eq!(zero.status.code(), Some(1), "{}", stderr(&zero));
    assert_eq!(owned.ok(&["getpolicy", "MaxJobsPerUser"]).trim(), "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_json_prints_a_snapshot_then_each_event_of_a_job_one_per_line() {
    let file = body(200_000, 50);
    let server = TestServer::start(Behaviour::full(file)).await;
    let owned = Owned::start("monitor");
    let mut monitor = owned
        .command()
        .args(["monitor", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(monitor.stdout.take().unwrap()).lines();
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["kind"], "snapshot");

    let id = owned.ok(&[
        "transfer",
        "--no-wait",
        &server.url("/m.bin"),
        owned.path("m.bin").to_str().unwrap(),
    ]);
    let bare = id
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .to_owned();

    let mut kinds = Vec::new();
    for line in lines.by_ref() {
        let event: Value = serde_json::from_str(&line.unwrap()).expect("one JSON object per line");
        let about = event["job"]["id"].as_str().or(event["id"].as_str());
        if about == Some(bare.as_str()) || event["kind"] == "progress" {
            kinds.push(event["kind"].as_str().unwrap_or("?").to_owned());
        }
        if event["kind"] == "job_transferred" {
            break;
        }
    }
    let _ = monitor.kill();
    let _ = monitor.wait();
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("job_created"),
        "{kinds:?}"
    );
    // The job is announced once, whole (its file, priority and settings in `job_created`),
    // then as it moves.
    for kind in ["state_changed", "job_transferred"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_reply_job_uploads_its_file_and_getreplydata_and_complete_give_the_reply() {
    let reply = body(3_000, 60);
    let server = BitsServer::start(BitsServerConfig::misbehaving(Misbehaviour {
        reply: Some(reply.clone()),
        ..Misbehaviour::default()
    }))
    .await;
    let owned = Owned::start("upload-reply");
    let local = owned.path("up.bin");
    let upload = body(50_000, 61);
    std::fs::write(&local, &upload).unwrap();
    let reply_path = owned.path("reply.bin");

    let id = owned.ok(&["create", "--type", "upload-reply", "Up"]);
    let id = id.trim();
    owned.ok(&[
        "addfile",
        id,
        &server.url("up.bin"),
        local.to_str().unwrap(),
    ]);
    owned.ok(&["setreplyfilename", id, reply_path.to_str().unwrap()]);
    owned.ok(&["resume", id]);
    wait_state(&owned, id, "TRANSFERRED");

    let data: Value = serde_json::from_str(&owned.ok(&["getreplydata", id, "--json"])).unwrap();
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(data["base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        decoded,
        reply.to_vec(),
        "getreplydata gives the server's reply"
    );
    owned.ok(&["complete", id]);
    assert_eq!(std::fs::read(&reply_path).unwrap(), reply.to_vec());
    let uploaded = server
        .uploaded_file("up.bin")
        .expect("the upload is in place");
    assert_eq!(sha256_file(&uploaded), sha256(&upload));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_makes_a_backoff_job_unless_quick_retries_is_off_and_api_jobs_stay_fixed() {
    let server = TestServer::start(Behaviour::status_then(
        503,
        None,
        usize::MAX,
        Behaviour::full(body(10, 1)),
    ))
    .await;
    let owned = Owned::start("transfer-backoff");
    let path = owned.path("a.bin");
    let url = server.url("/a.bin");

    let quick = owned.ok(&["transfer", "--no-wait", &url, path.to_str().unwrap()]);
    let verbose = owned.ok(&["info", quick.trim(), "--verbose"]);
    assert!(
        verbose
            .lines()
            .any(|l| l.starts_with("retry policy") && l.ends_with("BACKOFF")),
        "ferry transfer makes a job a person waits for: {verbose}"
    );

    let client = owned.client().await;
    let mut settings: ferry_owner::Settings =
        client.call(ferry_owner::Call::GetSettings).await.unwrap();
    assert!(settings.quick_retries, "quick retries are on by default");
    settings.quick_retries = false;
    client
        .call_value(ferry_owner::Call::SetSettings { settings })
        .await
        .unwrap();
    let slow = owned.ok(&[
        "transfer",
        "--no-wait",
        &url,
        owned.path("b.bin").to_str().unwrap(),
    ]);
    assert_eq!(
        info(&owned, slow.trim())["settings"]["retry_policy"],
        "FIXED",
        "with quick retries off, ferry transfer keeps BITS' fixed delay"
    );

    let api = owned.ok(&["create", "Scripted"]);
    assert_eq!(
        info(&owned, api.trim())["settings"]["retry_policy"],
        "FIXED",
        "a job made through the API keeps BITS' fixed delay"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setconnections_and_transfer_connections_set_the_connections_per_file() {
    let data = body(3 * 1024 * 1024, 77);
    let server = TestServer::start(Behaviour::full(data.clone())).await;
    let owned = Owned::start("connections");
    let id = owned.ok(&["create", "Parts"]).trim().to_owned();
    assert_eq!(
        info(&owned, &id)["settings"]["connections"],
        ferry_owner::settings::DEFAULT_CONNECTIONS_FOR_NEW_DOWNLOADS,
        "the setting's default"
    );
    owned.ok(&["setconnections", &id, "6"]);
    assert_eq!(info(&owned, &id)["settings"]["connections"], 6);
    let refused = owned
        .command()
        .args(["setconnections", &id, "0"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("E_INVALIDARG"),
        "{}",
        stderr(&refused)
    );

    let path = owned.path("parts.bin");
    let url = server.url("/parts.bin");
    let wrong = owned
        .command()
        .args([
            "transfer",
            "--connections",
            "17",
            &url,
            path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        wrong.status.code(),
        Some(2),
        "wrong usage: {}",
        stderr(&wrong)
    );
    let job = owned.ok(&[
        "transfer",
        "--connections",
        "4",
        "--no-wait",
        &url,
        path.to_str().unwrap(),
    ]);
    assert_eq!(info(&owned, job.trim())["settings"]["connections"], 4);
    wait_state(&owned, job.trim(), "TRANSFERRED");
    owned.ok(&["complete", job.trim()]);
    assert_eq!(std::fs::read(&path).unwrap(), data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completeall_completes_every_transferred_job_and_says_how_many() {
    let server = TestServer::builder()
        .route("/a.bin", Behaviour::full(body(1_000, 31)))
        .route("/b.bin", Behaviour::full(body(2_000, 32)))
        .route("/missing", Behaviour::status(404))
        .start()
        .await;
    let owned = Owned::start("completeall");
    for name in ["a", "b"] {
        let id = owned.ok(&["create", name]);
        owned.ok(&[
            "addfile",
            id.trim(),
            &server.url(&format!("/{name}.bin")),
            owned.path(&format!("{name}.bin")).to_str().unwrap(),
        ]);
        owned.ok(&["resume", name]);
        wait_state(&owned, name, "TRANSFERRED");
    }
    let broken = owned.ok(&["create", "broken"]);
    owned.ok(&[
        "addfile",
        broken.trim(),
        &server.url("/missing"),
        owned.path("missing.bin").to_str().unwrap(),
    ]);
    owned.ok(&["resume", "broken"]);
    wait_state(&owned, "broken", "ERROR");

    let said = owned.ok(&["completeall"]);

    assert_eq!(said.trim(), "Completed 2 jobs.");
    assert_eq!(std::fs::read(owned.path("a.bin")).unwrap(), body(1_000, 31));
    assert_eq!(std::fs::read(owned.path("b.bin")).unwrap(), body(2_000, 32));
    assert_eq!(
        owned.ok(&["getstate", "broken"]).trim(),
        "ERROR",
        "a job in ERROR is left for its fix"
    );
    let json: Value = serde_json::from_str(&owned.ok(&["completeall", "--json"])).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"completed": 0, "not_completed": 0})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auto_complete_job_ends_acknowledged_with_its_file_in_place() {
    let server = TestServer::start(Behaviour::full(body(3_000, 41))).await;
    let owned = Owned::start("auto-complete");
    let id = owned.ok(&["create", "--auto-complete", "Report"]);
    let id = id.trim();
    let path = owned.path("report.pdf");
    owned.ok(&[
        "addfile",
        id,
        &server.url("/report.pdf"),
        path.to_str().unwrap(),
    ]);
    let verbose = owned.ok(&["info", id, "--verbose"]);
    assert!(
        verbose
            .lines()
            .any(|line| line.contains("auto complete") && line.ends_with("yes")),
        "{verbose}"
    );

    owned.ok(&["resume", id]);

    let deadline = Instant::now() + PATIENCE;
    while owned.ferry(&["getstate", id]).status.success() {
        assert!(
            Instant::now() < deadline,
            "the job never left the queue: {}",
            owned.ok(&["getstate", id])
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        body(3_000, 41),
        "the file is in place under its name without a Complete"
    );
    let client = owned.client().await;
    let history: Vec<ferry_engine::HistoryEntry> = client
        .call(ferry_owner::Call::History { limit: 10 })
        .await
        .unwrap();
    let entry = history
        .iter()
        .find(|entry| entry.display_name == "Report")
        .expect("the job is in the history");
    assert_eq!(entry.state, ferry_engine::JobState::Acknowledged);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setspeedlimit_sets_and_lifts_a_jobs_limit_and_refuses_what_is_not_a_speed() {
    let data = body(64 * 1024, 78);
    let server = TestServer::start(Behaviour::full(data)).await;
    let owned = Owned::start("speed-limit");
    let id = owned.ok(&["create", "Limited"]).trim().to_owned();
    let speed_line = |owned: &Owned| {
        owned
            .ok(&["info", &id, "--verbose"])
            .lines()
            .find(|l| l.starts_with("speed limit"))
            .map(str::to_owned)
            .expect("info --verbose has a speed limit line")
    };
    assert!(
        speed_line(&owned).ends_with(" none"),
        "{}",
        speed_line(&owned)
    );
    assert_eq!(info(&owned, &id)["settings"]["speed_limit"], Value::Null);

    owned.ok(&["setspeedlimit", &id, "1.5MB/s"]);
    assert_eq!(info(&owned, &id)["settings"]["speed_limit"], 1_500_000);
    assert!(
        speed_line(&owned).ends_with(" 1.5 MB/s"),
        "{}",
        speed_line(&owned)
    );
    owned.ok(&["setspeedlimit", &id, "500K"]);
    assert_eq!(info(&owned, &id)["settings"]["speed_limit"], 500_000);
    owned.ok(&["setspeedlimit", &id, "none"]);
    assert_eq!(info(&owned, &id)["settings"]["speed_limit"], Value::Null);

    let nonsense = owned.ferry(&["setspeedlimit", &id, "5 parsecs"]);
    assert_eq!(nonsense.status.code(), Some(2), "{}", stderr(&nonsense));
    assert!(
        stderr(&nonsense).contains("'5 parsecs' is not a speed")
            && stderr(&nonsense).contains("500K")
            && stderr(&nonsense).contains("none"),
        "the error says what to write: {}",
        stderr(&nonsense)
    );
    let too_low = owned.ferry(&["setspeedlimit", &id, "500"]);
    assert_eq!(too_low.status.code(), Some(1), "{}", stderr(&too_low));
    assert!(
        stderr(&too_low).contains("E_INVALIDARG") && stderr(&too_low).contains("at least 1000"),
        "{}",
        stderr(&too_low)
    );

    let url = server.url("/limited.bin");
    let path = owned.path("limited.bin");
    let wrong = owned.ferry(&[
        "transfer",
        "--speed-limit",
        "fast",
        &url,
        path.to_str().unwrap(),
    ]);
    assert_eq!(wrong.status.code(), Some(2), "{}", stderr(&wrong));
    let job = owned.ok(&[
        "transfer",
        "--speed-limit",
        "2M",
        "--no-wait",
        &url,
        path.to_str().unwrap(),
    ]);
    assert_eq!(
        info(&owned, job.trim())["settings"]["speed_limit"],
        2_000_000
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_downloads_take_the_connections_setting_unless_told_otherwise() {
    let server = TestServer::start(Behaviour::full(body(1024, 79))).await;
    let owned = Owned::start("connections-setting");
    let client = owned.client().await;
    let mut settings: ferry_owner::Settings =
        client.call(ferry_owner::Call::GetSettings).await.unwrap();
    assert_eq!(
        settings.connections,
        ferry_owner::settings::DEFAULT_CONNECTIONS_FOR_NEW_DOWNLOADS,
        "the setting's default"
    );
    settings.connections = 5;
    settings.default_folder = owned.root.path().to_owned();
    client
        .call_value(ferry_owner::Call::SetSettings { settings })
        .await
        .unwrap();

    let connections = |job: &str| info(&owned, job.trim())["settings"]["connections"].clone();
    assert_eq!(connections(&owned.ok(&["create", "A"])), 5);
    assert_eq!(
        connections(&owned.ok(&["create", "--connections", "2", "B"])),
        2
    );
    assert_eq!(
        connections(&owned.ok(&["create", "--type", "upload", "C"])),
        1,
        "an upload keeps one connection"
    );
    let url = server.url("/d.bin");
    let transfer = owned.ok(&[
        "transfer",
        "--no-wait",
        &url,
        owned.path("d.bin").to_str().unwrap(),
    ]);
    assert_eq!(connections(&transfer), 5);

    // The browser hand-off: `ferry` started as Chromium starts its native host.
    let mut host = owned
        .command()
        .arg("chrome-extension://gniimlejbnjekiladepgmfmalmjfpbjh/")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let message = serde_json::json!({ "v": 1, "kind": "download", "url": server.url("/e.bin") });
    let bytes = serde_json::to_vec(&message).unwrap();
    {
        use std::io::Write;
        let mut input = host.stdin.take().unwrap();
        input
            .write_all(&(bytes.len() as u32).to_ne_bytes())
            .unwrap();
        input.write_all(&bytes).unwrap();
    }
    let output = host.wait_with_output().unwrap();
    let reply: Value = serde_json::from_slice(&output.stdout[4..]).unwrap();
    let job = reply["job"]
        .as_str()
        .unwrap_or_else(|| panic!("added: {reply}"));
    assert_eq!(connections(job), 5);
}
