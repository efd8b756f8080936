//! The owner process and its local API against hostile and ordinary clients: one owner per data
//! folder, the socket's folder and modes, the peer's uid, broken, huge, slow and idle clients,
//! many clients at once, and how the owner stops.
//!
//! Most cases speak the wire format by hand ([`Raw`]), as a client written in another language
//! would, so what is checked is what goes over the socket.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant, SystemTime};

use ferry_engine::{
    EngineEvent, ErrorCode, FileSpec, JobGlance, JobId, JobInfo, JobState, JobType, Priority,
};
use ferry_owner::{
    Call, Client, Hello, NewJobRequest, OwnerEvent, OwnerNotice, QuitAnswer, Settings,
};
use serde_json::{json, Value};

use crate::harness::{set_mode, Owned};
use crate::servers::{body, Behaviour, TestServer};
use crate::util::{sha256, sha256_file};

/// How long an answer may take while another client misbehaves.
pub const PROMPT: Duration = Duration::from_secs(2);

/// How long a job gets to reach what a test waits for.
const PATIENCE: Duration = Duration::from_secs(30);

/// A connection that speaks the wire format by hand: bytes out, JSON lines in.
pub struct Raw {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Raw {
    /// Connects to `socket`; every read gives up after 20 s.
    pub fn connect(socket: &Path) -> Raw {
        let stream = UnixStream::connect(socket)
            .unwrap_or_else(|e| panic!("connect to {}: {e}", socket.display()));
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("a read timeout");
        let writer = stream
            .try_clone()
            .expect("a second handle on the connection");
        Raw {
            reader: BufReader::new(stream),
            writer,
        }
    }

    /// Sends `bytes` as they are.
    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("send to the owner");
    }

    /// The next frame from the owner (an answer or an event), which must be one JSON line.
    pub fn frame(&mut self) -> Value {
        let mut line = String::new();
        let read = self
            .reader
            .read_line(&mut line)
            .expect("read a frame from the owner");
        assert!(
            read > 0 && line.ends_with('\n'),
            "the owner sent a whole line, not {line:?}"
        );
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?} is not JSON: {e}"))
    }

    /// The next frame that is not an event.
    pub fn answer(&mut self) -> Value {
        loop {
            let frame = self.frame();
            if frame.get("event").is_none() {
                return frame;
            }
        }
    }

    /// Sends a well-formed request and returns its answer (which must carry its id).
    pub fn call(&mut self, id: u64, call: &str, args: Option<Value>) -> Value {
        let mut request = json!({ "v": 1, "id": id, "call": call });
        if let Some(args) = args {
            request["args"] = args;
        }
        self.send(format!("{request}\n").as_bytes());
        let answer = self.answer();
        assert_eq!(answer["id"], json!(id), "the answer to {request}: {answer}");
        answer
    }

    /// `hello`, answered: the owner's pid.
    pub fn hello(&mut self, id: u64) -> u32 {
        let answer = self.call(id, "hello", None);
        let pid = answer["ok"]["pid"]
            .as_u64()
            .unwrap_or_else(|| panic!("{answer}"));
        u32::try_from(pid).expect("a pid")
    }
}

/// Fails unless `answer` is a version-1 error frame with `id`, the error `code` and a message
/// holding `words`.
fn assert_refused(answer: &Value, id: Value, code: ErrorCode, words: &str) {
    assert_eq!(answer["v"], json!(1), "{answer}");
    assert_eq!(answer["id"], id, "{answer}");
    assert!(answer.get("ok").is_none(), "{answer}");
    let error = &answer["error"];
    assert_eq!(error["code"], json!(code.0), "{answer}");
    assert_eq!(error["name"], json!(code.name()), "{answer}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains(words), "{words:?} in {answer}");
}

/// A FOREGROUND download of `files` (URL, destination), created and resumed through the API.
pub async fn download(client: &Client, name: &str, files: &[(String, PathBuf)]) -> JobId {
    let request = NewJobRequest {
        display_name: name.to_owned(),
        job_type: JobType::Download,
        priority: Priority::Foreground,
        files: files
            .iter()
            .map(|(url, path)| FileSpec {
                remote_url: url.clone(),
                local_path: path.clone(),
            })
            .collect(),
        credentials: None,
        reply_file_name: None,
        checksums: None,
        description: None,
        retry_policy: None,
        custom_headers: None,
        unique_names: None,
        auto_complete: None,
        connections: None,
        speed_limit: None,
    };
    let job: JobInfo = client
        .call(Call::CreateWithFiles(request))
        .await
        .expect("create the job");
    client
        .call_value(Call::Resume { job: job.id })
        .await
        .expect("resume the job");
    job.id
}

/// Polls job `job` until `condition` holds; fails naming `what` after [`PATIENCE`].
pub async fn wait_job(
    client: &Client,
    job: JobId,
    what: &str,
    condition: impl Fn(&JobInfo) -> bool,
) -> JobInfo {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let info: JobInfo = client.call(Call::Get { job }).await.expect("get the job");
        if condition(&info) {
            return info;
        }
        assert!(
            Instant::now() < deadline,
            "gave up waiting for {what}: the job is {} with error {:?}",
            info.state,
            info.error
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits for `child` to exit, at most `patience`; kills it and fails the test if it does not.
fn exit_within(child: &mut Child, patience: Duration, what: &str) -> ExitStatus {
    let deadline = Instant::now() + patience;
    loop {
        if let Some(status) = child.try_wait().expect("poll the process") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not exit within {patience:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `child` to its end (at most `patience`) and collects what it printed.
fn output_within(mut child: Child, patience: Duration, what: &str) -> Output {
    exit_within(&mut child, patience, what);
    child.wait_with_output().expect("collect the output")
}

/// Sends `signal` (e.g. `-TERM`) to `pid`.
fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {signal} {pid}");
}

/// Every file under `dirs` (not recursing into folders) but `skip`: its bytes and its mtime.
fn files_of(dirs: &[&Path], skip: &[&str]) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    let mut files = BTreeMap::new();
    for dir in dirs {
        for entry in std::fs::read_dir(dir).expect("list a folder").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let meta = entry.metadata().expect("a file's metadata");
            if !meta.is_file() || skip.contains(&name.as_str()) {
                continue;
            }
            let bytes = std::fs::read(entry.path()).expect("read a file");
            files.insert(entry.path(), (bytes, meta.modified().expect("an mtime")));
        }
    }
    files
}

// ---------------------------------------------------------------------------------------------
// One owner per data folder.
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_owner_of_a_data_folder_is_refused_naming_the_first_and_touches_nothing() {
    let data = body(4_000_000, 11);
    let drip = Behaviour::slow_drip(data, 16_384, Duration::from_millis(10));
    let server = TestServer::start(drip).await;
    let owned = Owned::start("lock");
    let first_pid = owned.owner.as_ref().expect("an owner").id();
    assert_eq!(
        owned.holder_pid(),
        Some(first_pid),
        "the lock file names the owner"
    );
    let client = owned.client().await;
    let job = download(
        &client,
        "half done",
        &[(server.url("/f"), owned.path("f.bin"))],
    )
    .await;
    wait_job(&client, job, "a part of the file", |j| {
        j.progress.bytes_transferred > 300_000
    })
    .await;
    client
        .call_value(Call::Suspend { job })
        .await
        .expect("suspend");
    let held = wait_job(&client, job, "SUSPENDED", |j| {
        j.state == JobState::Suspended
    })
    .await;
    let temp = held.files[0]
        .temp_path
        .clone()
        .expect("a started file has a temporary");
    let temp_len = std::fs::metadata(&temp)
        .expect("the temporary exists")
        .len();
    assert!(temp_len > 0, "the temporary holds the bytes so far");

    // The folder at rest: the store, its journal, the lock file and the temporary. (The log is
    // left out: a refused `ferry service` logs why it stops.)
    let data_dir = owned.data_dir();
    let temp_dir = temp.parent().expect("a folder").to_owned();
    let at_rest = || files_of(&[&data_dir, &temp_dir], &["ferry.log"]);
    let mut before = at_rest();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = at_rest();
        if now == before {
            break;
        }
        before = now;
    }
    assert!(
        before.keys().any(|p| p.ends_with("ferry.db")),
        "the store is among the files watched: {:?}",
        before.keys().collect::<Vec<_>>()
    );
    assert!(before.contains_key(&temp), "the temporary is watched");

    let second = owned.spawn_service();
    let refused = output_within(second, Duration::from_secs(20), "the second ferry service");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success(),
        "the second owner fails: {stderr}"
    );
    assert!(
        stderr.contains(&format!("ferry (pid {first_pid})")) && stderr.contains("in use"),
        "the refusal names the running owner (ferry, pid {first_pid}): {stderr}"
    );

    // The same refusal for an owner opened inside a program (the window's way).
    let error = match ferry_owner::Owner::open(&owned.data_dir()).await {
        Ok(_) => panic!("a second in-process owner was allowed the data folder"),
        Err(error) => error,
    };
    assert_eq!(error.code, ErrorCode::E_ACCESSDENIED, "{error}");
    assert!(
        error.message.contains(&format!("pid {first_pid}")),
        "{error}"
    );

    let after = at_rest();
    for (path, (bytes, mtime)) in &before {
        let (now_bytes, now_mtime) = after
            .get(path)
            .unwrap_or_else(|| panic!("{} disappeared", path.display()));
        assert!(
            now_bytes == bytes && now_mtime == mtime,
            "{} was changed by the refused owners",
            path.display()
        );
    }
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "no file appeared"
    );

    // The first owner still answers, on its old connection and on a new one, with the job.
    let hello: Hello = client.call(Call::Hello).await.expect("hello");
    assert_eq!(hello.pid, first_pid);
    assert_eq!(Raw::connect(&owned.socket()).hello(1), first_pid);
    let kept: JobInfo = client.call(Call::Get { job }).await.expect("the job");
    assert_eq!(
        kept.files[0].bytes_transferred,
        held.files[0].bytes_transferred
    );
}

#[test]
fn a_refused_second_owner_leaves_even_an_unreadable_settings_file_alone() {
    let mut owned = Owned::start("lock-settings");
    let pid = owned.owner.as_ref().expect("an owner").id();
    // A settings file the running owner does not read again (being edited by hand, or written
    // by a newer version): a refused owner must not set it aside under the running one.
    let settings = owned.data_dir().join("settings.json");
    std::fs::write(&settings, b"{ \"theme\": \"half-written").expect("write the settings");
    let second = owned.spawn_service();
    let refused = output_within(second, Duration::from_secs(20), "the second ferry service");
    assert!(!refused.status.success());
    assert_eq!(
        std::fs::read(&settings).expect("the settings file is still there"),
        b"{ \"theme\": \"half-written",
        "the settings file is unchanged"
    );
    let names: Vec<String> = std::fs::read_dir(owned.data_dir())
        .expect("list the data folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.contains("unreadable")),
        "nothing was set aside: {names:?}"
    );
    assert_eq!(Raw::connect(&owned.socket()).hello(1), pid);

    // The next owner that holds the folder sets the file aside, as it always did.
    owned.ok(&["stop"]);
    let mut first = owned.owner.take().expect("the first owner");
    exit_within(&mut first, Duration::from_secs(20), "the stopped owner");
    owned.owner = Some(owned.spawn_service());
    owned.wait_listening();
    assert!(!settings.exists(), "the unreadable file was moved");
    assert!(owned.data_dir().join("settings.json.unreadable").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_services_started_together_leave_one_owner_and_one_clear_refusal() {
    let mut owned = Owned::new("two-services");
    let a = owned.spawn_service();
    let b = owned.spawn_service();
    owned.wait_listening();
    let pid = Raw::connect(&owned.socket()).hello(1);
    assert_eq!(
        owned.holder_pid(),
        Some(pid),
        "the lock file names who answers"
    );
    let (winner, loser) = if a.id() == pid { (a, b) } else { (b, a) };
    assert_eq!(winner.id(), pid, "one of the two answers");
    owned.owner = Some(winner);
    let refused = output_within(loser, Duration::from_secs(20), "the refused service");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("ferry (pid {pid})")),
        "the refusal names the owner: {stderr}"
    );
    let owner = owned.owner.as_mut().expect("the owner");
    assert!(
        owner.try_wait().expect("poll").is_none(),
        "the owner runs on"
    );
    assert_eq!(Raw::connect(&owned.socket()).hello(2), pid);
}

// ---------------------------------------------------------------------------------------------
// The socket: where it is, its modes, a stale one.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_socket_folder_is_made_private_and_the_socket_is_for_its_user_only() {
    let mut owned = Owned::new("modes");
    // A socket folder left open to everyone (by hand, by an old version) is closed again.
    let folder = owned.runtime_dir().join("ferry");
    std::fs::create_dir(&folder).expect("the socket folder");
    set_mode(&folder, 0o777);
    owned.owner = Some(owned.spawn_service());
    owned.wait_listening();

    let me = std::fs::metadata(owned.root.path())
        .expect("the test folder")
        .uid();
    let folder_meta = std::fs::symlink_metadata(&folder).expect("the socket folder");
    assert!(folder_meta.is_dir());
    assert_eq!(folder_meta.uid(), me, "the folder is this user's");
    assert_eq!(folder_meta.mode() & 0o7777, 0o700, "the folder is 0700");

    let socket = owned.socket();
    assert_eq!(socket.parent(), Some(folder.as_path()));
    let socket_meta = std::fs::symlink_metadata(&socket).expect("the socket");
    assert!(socket_meta.file_type().is_socket(), "a Unix socket");
    assert_eq!(socket_meta.uid(), me);
    assert_eq!(socket_meta.mode() & 0o7777, 0o600, "the socket is 0600");
}

#[test]
fn a_stale_socket_left_by_a_killed_owner_is_replaced_by_the_next_owner() {
    let mut owned = Owned::start("stale");
    let socket = owned.socket();
    let mut first = owned.owner.take().expect("an owner");
    let first_pid = first.id();
    first.kill().expect("SIGKILL the owner");
    first.wait().expect("reap it");
    assert!(
        socket.exists(),
        "a killed owner leaves its socket file behind"
    );
    let refused = UnixStream::connect(&socket).expect_err("nobody listens on a stale socket");
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);

    // A client finds no owner, starts one, and that one listens where the stale socket was.
    assert_eq!(owned.ok(&["list"]).trim(), "Listed 0 job(s).");
    let pid = Raw::connect(&socket).hello(1);
    assert_ne!(pid, first_pid, "a new owner answers");
    assert_eq!(owned.holder_pid(), Some(pid));
    let meta = std::fs::metadata(&socket).expect("the new socket");
    assert_eq!(meta.mode() & 0o7777, 0o600);
    // And an owner started by hand over a stale socket does the same (no client involved).
    signal(pid, "-KILL");
    let deadline = Instant::now() + Duration::from_secs(10);
    while UnixStream::connect(&socket).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the killed owner stops listening"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(socket.exists());
    owned.owner = Some(owned.spawn_service());
    owned.wait_listening();
    let by_hand = owned.owner.as_ref().expect("an owner").id();
    assert_eq!(Raw::connect(&socket).hello(1), by_hand);
}

// ---------------------------------------------------------------------------------------------
// Hostile clients. After each, an ordinary client is answered.
// ---------------------------------------------------------------------------------------------

#[test]
fn garbage_and_lines_that_are_not_json_get_an_error_answer_and_the_connection_stays_usable() {
    let owned = Owned::start("garbage");
    let mut raw = Raw::connect(&owned.socket());
    let garbage: [&[u8]; 6] = [
        b"\x00\x01\x02\xff\xfe garbage\n",
        b"not json\n",
        b"{\"v\":1,\"id\":3,\"call\":\n",
        b"\n",
        b"[1,2,3]\n",
        b"\"hello\"\n",
    ];
    for (n, line) in garbage.iter().enumerate() {
        raw.send(line);
        let answer = raw.answer();
        let words = if n < 4 {
            "not JSON"
        } else {
            "no protocol version"
        };
        assert_refused(&answer, Value::Null, ErrorCode::E_INVALIDARG, words);
        // The same connection is still served.
        assert_eq!(raw.call(100 + n as u64, "list", None)["ok"], json!([]));
    }
    // Several broken lines in one write get one answer each, in order.
    raw.send(b"x\ny\n{\"v\":1,\"id\":7,\"call\":\"hello\"}\n");
    assert_refused(
        &raw.answer(),
        Value::Null,
        ErrorCode::E_INVALIDARG,
        "not JSON",
    );
    assert_refused(
        &raw.answer(),
        Value::Null,
        ErrorCode::E_INVALIDARG,
        "not JSON",
    );
    assert_eq!(raw.answer()["id"], json!(7));
    assert_eq!(
        Raw::connect(&owned.socket()).hello(1),
        owned.owner.as_ref().expect("an owner").id()
    );
}

#[test]
fn creations_sent_at_once_are_answered_in_order_each_on_its_own_and_saved() {
    let mut owned = Owned::start("creations");
    let folder = owned.path("downloads");
    std::fs::create_dir(&folder).expect("the downloads folder");
    let creation = |id: u64, url: &str| {
        let name = format!("job {id}");
        let args = json!({
            "display_name": name, "job_type": "DOWNLOAD", "priority": "NORMAL",
            "files": [{"remote_url": url, "local_path": folder.join(format!("f{id}"))}],
            "credentials": null, "reply_file_name": null,
        });
        format!(
            "{}\n",
            json!({ "v": 1, "id": id, "call": "create_with_files", "args": args })
        )
    };
    // Five creations and a listing in one write: the owner reads them together.
    let mut burst = String::new();
    for id in 1..=5 {
        let url = if id == 3 {
            "ftp://127.0.0.1/refused".to_owned()
        } else {
            format!("http://127.0.0.1:9/f{id}")
        };
        burst += &creation(id, &url);
    }
    burst += "{\"v\":1,\"id\":6,\"call\":\"list\"}\n";
    let mut raw = Raw::connect(&owned.socket());
    raw.send(burst.as_bytes());
    for id in 1..=5u64 {
        let answer = raw.answer();
        if id == 3 {
            assert_refused(
                &answer,
                json!(3),
                ErrorCode::E_INVALIDARG,
                "only http and https",
            );
        } else {
            assert_eq!(answer["id"], json!(id), "{answer}");
            assert_eq!(
                answer["ok"]["settings"]["display_name"],
                json!(format!("job {id}"))
            );
        }
    }
    let names = |listing: &Value| -> Vec<String> {
        let jobs = listing["ok"].as_array().cloned().unwrap_or_default();
        let mut names: Vec<String> = jobs
            .iter()
            .map(|job| {
                job["settings"]["display_name"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned()
            })
            .collect();
        names.sort();
        names
    };
    let listing = raw.answer();
    assert_eq!(
        listing["id"],
        json!(6),
        "the listing is answered after the creations"
    );
    let made = ["job 1", "job 2", "job 4", "job 5"];
    assert_eq!(names(&listing), made, "the refused job left no trace");
    // Each answer meant the job was saved: a new owner finds them.
    raw.call(7, "shutdown", None);
    let mut first = owned.owner.take().expect("an owner");
    assert!(exit_within(&mut first, PATIENCE, "the owner").success());
    owned.owner = Some(owned.spawn_service());
    owned.wait_listening();
    let listing = Raw::connect(&owned.socket()).call(1, "list", None);
    assert_eq!(names(&listing), made);
}

#[test]
fn a_hundred_megabyte_frame_is_answered_too_long_and_the_request_after_it_is_served() {
    const FRAME: usize = 100 << 20;
    let owned = Owned::start("huge");
    let pid = owned.owner.as_ref().expect("an owner").id();
    let mut raw = Raw::connect(&owned.socket());
    let started = Instant::now();
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..FRAME / chunk.len() {
        raw.send(&chunk);
    }
    raw.send(b"\n{\"v\":1,\"id\":42,\"call\":\"hello\"}\n");
    let too_long = raw.answer();
    assert_refused(
        &too_long,
        Value::Null,
        ErrorCode::E_INVALIDARG,
        "longer than",
    );
    let hello = raw.answer();
    assert_eq!(hello["id"], json!(42), "{hello}");
    assert_eq!(hello["ok"]["pid"], json!(pid));
    println!(
        "100 MB frame skipped and the next request answered in {:?}",
        started.elapsed()
    );
    // The owner skipped the frame rather than holding it.
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the owner's status");
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmHWM");
    println!("the owner's peak resident memory: {} MiB", peak_kib / 1024);
    assert!(
        peak_kib < 80 * 1024,
        "the owner's memory peaked at {peak_kib} KiB: it held the frame"
    );
    assert_eq!(Raw::connect(&owned.socket()).hello(1), pid);
}

#[test]
fn unknown_calls_other_versions_and_missing_ids_are_refused_with_invalid_arg_and_run_nothing() {
    let owned = Owned::start("invalid");
    let mut raw = Raw::connect(&owned.socket());
    let create = json!({ "display_name": "must not exist", "job_type": "DOWNLOAD" });
    let cases: [(Value, Value, &str); 7] = [
        (
            json!({ "v": 1, "id": 6, "call": "format_disk" }),
            json!(6),
            "not a call",
        ),
        (
            json!({ "v": 1, "id": 7, "call": "list", "args": 5 }),
            json!(7),
            "not a call",
        ),
        (
            json!({ "v": 1, "id": 8, "call": "get", "args": { "job": "not-a-job-id" } }),
            json!(8),
            "not a call",
        ),
        (
            json!({ "v": 2, "id": 9, "call": "create_job", "args": create }),
            json!(9),
            "version 2",
        ),
        (
            json!({ "id": 10, "call": "create_job", "args": create }),
            json!(10),
            "no protocol version",
        ),
        (
            json!({ "v": 1, "call": "create_job", "args": create }),
            Value::Null,
            "no numeric",
        ),
        (
            json!({ "v": 1, "id": "eleven", "call": "create_job", "args": create }),
            Value::Null,
            "no numeric",
        ),
    ];
    for (request, id, words) in cases {
        raw.send(format!("{request}\n").as_bytes());
        let answer = raw.answer();
        assert_refused(&answer, id, ErrorCode::E_INVALIDARG, words);
    }
    // None of the refused create_job requests made a job; the well-formed one does.
    assert_eq!(raw.call(20, "list", None)["ok"], json!([]));
    let made = raw.call(21, "create_job", Some(create));
    assert!(made["ok"].is_string(), "{made}");
    assert_eq!(
        raw.call(22, "list", None)["ok"].as_array().map(Vec::len),
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_never_reads_does_not_hold_up_other_clients() {
    const CALLS: usize = 1_500;
    let owned = Owned::start("no-reader");
    let client = owned.client().await;
    let job: JobId = client
        .call(Call::CreateJob {
            display_name: "busy".into(),
            job_type: JobType::Download,
        })
        .await
        .expect("a job");
    // Subscribes, then never reads: every event for it piles up in the owner.
    let mut stalled = Raw::connect(&owned.socket());
    stalled.send(b"{\"v\":1,\"id\":1,\"call\":\"subscribe\"}\n");

    // One client changes the job over and over (each change is an event of ~1.5 KB)...
    let writer = {
        let client = client.clone();
        tokio::spawn(async move {
            for n in 0..CALLS {
                let text = format!("{n:05} {}", "d".repeat(1_000));
                client
                    .call_value(Call::SetDescription { job, text })
                    .await
                    .expect("set the description");
            }
        })
    };
    // ...while another one measures how long a list takes.
    let prober = owned.client().await;
    let mut slowest = Duration::ZERO;
    let mut probes = 0;
    while !writer.is_finished() {
        let asked = Instant::now();
        let jobs: Vec<JobInfo> = tokio::time::timeout(PROMPT * 5, prober.call(Call::List))
            .await
            .expect("list is answered at all")
            .expect("list");
        let took = asked.elapsed();
        assert_eq!(jobs.len(), 1);
        assert!(
            took < PROMPT,
            "a list took {took:?} while a subscriber did not read"
        );
        slowest = slowest.max(took);
        probes += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    writer.await.expect("the writer");
    println!("{probes} lists while {CALLS} changes went out; the slowest took {slowest:?}");
    assert!(
        probes >= 5,
        "the lists ran alongside the changes ({probes})"
    );

    // The stalled subscriber, reading at last, gets whole frames and, for what it missed, one
    // snapshot of every job.
    let first = stalled.frame();
    assert_eq!(
        first["id"],
        json!(1),
        "the subscribe answer comes first: {first}"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut events = 0;
    loop {
        let frame = stalled.frame();
        if frame["event"]["kind"] == json!("snapshot") {
            let description = &frame["event"]["jobs"][0]["settings"]["description"];
            assert!(description.is_string(), "{}", frame);
            break;
        }
        events += 1;
        assert!(
            Instant::now() < deadline,
            "no snapshot after {events} events"
        );
    }
    println!("the stalled subscriber got {events} events, then a snapshot");
    assert!(
        events < CALLS,
        "events were dropped for the slow subscriber"
    );
}

#[test]
fn two_hundred_clients_connected_at_once_are_each_answered() {
    const CLIENTS: usize = 200;
    let owned = Owned::start("crowd");
    let pid = owned.owner.as_ref().expect("an owner").id();
    let socket = owned.socket();
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let started = Instant::now();
    let threads: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let socket = socket.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                // Every client is connected before any of them asks.
                let mut raw = Raw::connect(&socket);
                barrier.wait();
                let answered = raw.hello(n as u64 + 1);
                // And each holds its connection until all were answered.
                (raw, answered)
            })
        })
        .collect();
    let mut held = Vec::new();
    for thread in threads {
        let (raw, answered) = thread.join().expect("a client thread");
        assert_eq!(answered, pid);
        held.push(raw);
    }
    println!("{CLIENTS} clients answered in {:?}", started.elapsed());
    let mut late = Raw::connect(&socket);
    assert_eq!(late.hello(1), pid, "one more is still served");
}

#[test]
fn a_client_beyond_the_most_connections_is_told_so_and_ferry_says_why() {
    let owned = Owned::start("full");
    let pid = owned.owner.as_ref().expect("an owner").id();
    // Fill every connection the owner serves (each one answered, so each holds its slot).
    let mut held = Vec::new();
    let limit = loop {
        let mut raw = Raw::connect(&owned.socket());
        // A refused client may find the connection closed when it sends; the refusal is there
        // to read all the same.
        let _ = raw
            .writer
            .write_all(b"{\"v\":1,\"id\":1,\"call\":\"hello\"}\n");
        let answer = raw.answer();
        if answer.get("error").is_some() {
            assert_refused(&answer, Value::Null, ErrorCode::E_FAIL, "already serves");
            break held.len();
        }
        assert_eq!(answer["ok"]["pid"], json!(pid), "{answer}");
        held.push(raw);
        assert!(held.len() <= 4096, "the owner sets a limit");
    };
    println!("the owner serves {limit} connections at once");
    assert!(limit >= 200, "at least 200 clients at once ({limit})");
    // A `ferry` command then fails with the owner's reason, not with a broken connection.
    let full = owned.ferry(&["list"]);
    let stderr = String::from_utf8_lossy(&full.stderr);
    assert_eq!(full.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "ferry: E_FAIL (0x80004005): the owner already serves {limit} connections"
        )),
        "ferry fails with the owner's reason: {stderr}"
    );
    // As soon as one leaves, the next is served.
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut raw = Raw::connect(&owned.socket());
        let _ = raw
            .writer
            .write_all(b"{\"v\":1,\"id\":2,\"call\":\"hello\"}\n");
        if raw.answer().get("ok").is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a freed connection is served again"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts `ferry service` under `prlimit --nofile=LIMITS`, connects 500 clients one after the
/// other, each saying hello, and tells how many were served and how many refused; fails if one
/// is left without an answer.
fn served_under_file_limit(name: &str, limits: &str) -> (usize, usize) {
    let mut owned = Owned::new(name);
    let mut service = Command::new("prlimit");
    service
        .arg(format!("--nofile={limits}"))
        .arg("--")
        .arg(crate::harness::FERRY)
        .arg("service")
        .env("FERRY_DATA_DIR", owned.data_dir())
        .env("XDG_RUNTIME_DIR", owned.runtime_dir())
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    owned.owner = Some(service.spawn().expect("start ferry service under prlimit"));
    owned.wait_listening();
    let (mut served, mut refused) = (Vec::new(), 0);
    for n in 0..500u64 {
        let mut raw = Raw::connect(&owned.socket());
        raw.writer
            .set_read_timeout(Some(PROMPT * 2))
            .expect("a read timeout");
        // A refused client may find the connection already closed when it sends; the refusal
        // is there to read all the same.
        let _ = raw
            .writer
            .write_all(format!("{{\"v\":1,\"id\":{n},\"call\":\"hello\"}}\n").as_bytes());
        let mut line = String::new();
        match raw.reader.read_line(&mut line) {
            Ok(read) if read > 0 => {}
            other => panic!("client {n} got no answer ({other:?}): the owner left it hanging"),
        }
        let answer: Value = serde_json::from_str(&line).expect("JSON");
        if answer.get("ok").is_some() {
            served.push(raw);
        } else {
            assert_refused(&answer, Value::Null, ErrorCode::E_FAIL, "already serves");
            refused += 1;
        }
    }
    println!(
        "open files {limits}: {} served, {refused} refused",
        served.len()
    );
    (served.len(), refused)
}

#[test]
fn with_few_files_allowed_the_owner_refuses_clients_it_cannot_serve_instead_of_leaving_them_hanging(
) {
    // A low limit on open files that cannot be raised: the clients beyond what it allows are
    // told so.
    let (served, refused) = served_under_file_limit("few-files", "400:400");
    assert!(
        refused > 0 && served >= 100,
        "{served} served, {refused} refused"
    );
    // A low soft limit under a higher hard one (1,024 under 524,288 is a common default): the
    // owner raises its own and serves every client.
    let (served, refused) = served_under_file_limit("soft-limit", "400:4096");
    assert_eq!((served, refused), (500, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_longer_than_the_owner_accepts_fails_at_once_in_the_client() {
    let owned = Owned::start("long-request");
    let client = owned.client().await;
    let job: JobId = client
        .call(Call::CreateJob {
            display_name: "long".into(),
            job_type: JobType::Download,
        })
        .await
        .expect("a job");
    let text = "x".repeat(5 << 20);
    let outcome = tokio::time::timeout(
        Duration::from_secs(10),
        client.call_value(Call::SetDescription { job, text }),
    )
    .await
    .expect("the call ends (it does not wait forever for an answer)");
    let error = outcome.expect_err("the call fails");
    assert_eq!(error.code, ErrorCode::E_INVALIDARG, "{error}");
    // The connection is still good.
    let hello: Hello = client.call(Call::Hello).await.expect("hello");
    assert_eq!(hello.pid, owned.owner.as_ref().expect("an owner").id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_longer_than_a_request_may_be_reaches_the_client_whole() {
    let owned = Owned::start("long-listing");
    let client = owned.client().await;
    let mut policies: ferry_engine::Policies = client.call(Call::GetPolicies).await.unwrap();
    policies.max_files_per_job = 4_000;
    let _: ferry_engine::Policies = client
        .call(Call::SetPolicies { policies })
        .await
        .expect("policies");
    let job: JobId = client
        .call(Call::CreateJob {
            display_name: "many long URLs".into(),
            job_type: JobType::Download,
        })
        .await
        .expect("a job");
    // 3,000 files with 1,500-character URLs: each request stays under the request limit, the
    // listing of the job is over 4 MiB (as a queue of 10,000 jobs is).
    let long = "a".repeat(1_500);
    for batch in 0..3 {
        let files = (0..1_000)
            .map(|n| FileSpec {
                remote_url: format!("http://127.0.0.1:9/{long}/{batch}-{n}"),
                local_path: owned.path(&format!("f-{batch}-{n}")),
            })
            .collect();
        let _: Value = client
            .call(Call::AddFiles { job, files })
            .await
            .expect("a batch of files");
    }
    let listed = tokio::time::timeout(
        Duration::from_secs(30),
        client.call::<Vec<JobInfo>>(Call::List),
    )
    .await
    .expect("the listing arrives (it is not skipped for its length)")
    .expect("a listing");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].files.len(), 3_000);
    let bytes = serde_json::to_vec(&listed).expect("JSON").len();
    assert!(
        bytes > ferry_owner::protocol::MAX_FRAME_BYTES,
        "the listing is {bytes} bytes"
    );
}

#[test]
fn clients_that_send_half_a_line_and_go_quiet_do_not_block_others() {
    let owned = Owned::start("half-line");
    let pid = owned.owner.as_ref().expect("an owner").id();
    let mut quiet: Vec<Raw> = (0..20)
        .map(|n| {
            let mut raw = Raw::connect(&owned.socket());
            raw.send(format!("{{\"v\":1,\"id\":{n},\"call\":\"hel").as_bytes());
            raw
        })
        .collect();
    let mut busy = Raw::connect(&owned.socket());
    for round in 0..10 {
        let asked = Instant::now();
        assert_eq!(Raw::connect(&owned.socket()).hello(round), pid);
        assert_eq!(busy.call(100 + round, "list", None)["ok"], json!([]));
        assert!(
            asked.elapsed() < PROMPT,
            "round {round} took {:?}",
            asked.elapsed()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The quiet ones were still being listened to: the rest of their line is answered.
    for (n, raw) in quiet.iter_mut().enumerate() {
        raw.send(b"lo\"}\n");
        let answer = raw.answer();
        assert_eq!(answer["id"], json!(n), "{answer}");
        assert_eq!(answer["ok"]["pid"], json!(pid));
    }
}

// ---------------------------------------------------------------------------------------------
// The peer's uid: another local user is turned away.
// ---------------------------------------------------------------------------------------------

/// The user the other-user cases run as.
const OTHER_USER: &str = "nobody";

/// A client in Python, run as [`OTHER_USER`]: connects to the socket, sends `request`, and
/// prints what came back until the owner closes (or `CONNECT-ERROR <errno>`).
fn as_other_user(socket: &Path, request: &str) -> String {
    const CLIENT: &str = r#"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("CONNECT-ERROR", e.errno)
    sys.exit(0)
s.settimeout(15)
try:
    s.sendall(sys.argv[2].encode())
except OSError as e:
    sys.stderr.write("send: %s\n" % e)
data = b""
end = ""
while True:
    try:
        chunk = s.recv(65536)
    except OSError as e:
        end = "RECV-ERROR %d\n" % e.errno
        break
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode() + end)
"#;
    let output = Command::new("runuser")
        .args(["-u", OTHER_USER, "--", "/usr/bin/python3", "-c", CLIENT])
        .arg(socket)
        .arg(request)
        .output()
        .expect("runuser runs");
    assert!(
        output.status.success(),
        "the other user's client ran: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// The other user's uid.
fn other_uid() -> u32 {
    let output = Command::new("id")
        .args(["-u", OTHER_USER])
        .output()
        .expect("id runs");
    assert!(output.status.success(), "the user {OTHER_USER} exists");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("a uid")
}

#[test]
fn another_user_cannot_even_reach_the_socket_through_its_folder() {
    let owned = Owned::start("peer-folder");
    assert_ne!(
        other_uid(),
        std::fs::metadata(owned.root.path()).expect("meta").uid()
    );
    // Everything above the owner's socket folder is open; the folder itself is what stops them.
    set_mode(owned.root.path(), 0o755);
    set_mode(&owned.runtime_dir(), 0o755);
    let printed = as_other_user(&owned.socket(), "{\"v\":1,\"id\":1,\"call\":\"list\"}\n");
    assert_eq!(
        printed.trim(),
        format!("CONNECT-ERROR {}", 13),
        "EACCES at the owner's 0700 socket folder"
    );
    assert_eq!(
        Raw::connect(&owned.socket()).hello(1),
        owned.owner.as_ref().expect("an owner").id()
    );
}

#[test]
fn another_user_that_reaches_the_socket_is_refused_with_access_denied_and_no_call_runs() {
    let owned = Owned::start("peer-uid");
    // Only in this test: the folders and the socket opened to everyone, so that the owner's
    // own check of the peer's uid is all that stands in the way.
    set_mode(owned.root.path(), 0o755);
    set_mode(&owned.runtime_dir(), 0o755);
    set_mode(&owned.runtime_dir().join("ferry"), 0o755);
    set_mode(&owned.socket(), 0o666);
    let requests = concat!(
        r#"{"v":1,"id":1,"call":"create_job","args":{"display_name":"intruder","job_type":"DOWNLOAD"}}"#,
        "\n",
        r#"{"v":1,"id":2,"call":"shutdown"}"#,
        "\n"
    );
    let printed = as_other_user(&owned.socket(), requests);
    let mut lines = printed.lines();
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("an answer, not {printed:?}"));
    let answer: Value =
        serde_json::from_str(first).unwrap_or_else(|e| panic!("{first:?} is not JSON: {e}"));
    assert_refused(
        &answer,
        Value::Null,
        ErrorCode::E_ACCESSDENIED,
        "only the user",
    );
    for rest in lines {
        // Nothing else is answered; at most the connection was reset after the refusal.
        assert!(rest.starts_with("RECV-ERROR"), "{printed}");
    }
    // No call ran: no job, and the owner did not stop.
    let mut raw = Raw::connect(&owned.socket());
    assert_eq!(
        raw.call(1, "list", None)["ok"],
        json!([]),
        "no job was created"
    );
    assert_eq!(raw.hello(2), owned.owner.as_ref().expect("an owner").id());
}

// ---------------------------------------------------------------------------------------------
// Stopping.
// ---------------------------------------------------------------------------------------------

#[test]
fn ferry_stop_ends_the_owner_with_status_zero_and_removes_its_socket() {
    let mut owned = Owned::start("stop");
    let socket = owned.socket();
    assert!(socket.exists());
    owned.ok(&["stop"]);
    let mut owner = owned.owner.take().expect("an owner");
    let status = exit_within(&mut owner, Duration::from_secs(20), "the stopped owner");
    assert_eq!(status.code(), Some(0), "the owner exits 0 after ferry stop");
    assert!(!socket.exists(), "the socket is removed");
    // Nothing runs now; a second stop says so and succeeds.
    let again = owned.ferry(&["stop"]);
    assert!(again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("no owner runs"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

/// Waits (up to 10 s) for a `quitting` event on `events`, skipping others.
async fn quitting_within(
    events: &mut tokio::sync::broadcast::Receiver<OwnerEvent>,
    who: &str,
) -> OwnerEvent {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match events.recv().await {
                Ok(event @ OwnerEvent::Owner(OwnerNotice::Quitting)) => return event,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(error) => panic!("{who}: the events ended before quitting: {error}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{who} is told that Ferry quits"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quit_tells_every_subscriber_and_stops_an_owner_started_on_demand() {
    let mut owned = Owned::new("quit-on-demand");
    let socket = owned.socket();
    owned.owner = Some(
        owned
            .command()
            .args(["service", "--on-demand"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ferry service starts"),
    );
    owned.wait_listening();
    let window = owned.client().await;
    let tray = owned.client().await;
    let (_, mut window_events) = window.subscribe().await.expect("subscribe");
    let (_, mut tray_events) = tray.subscribe().await.expect("subscribe");

    let answer: QuitAnswer = tray.call(Call::Quit).await.expect("quit");
    assert_eq!(answer, QuitAnswer { stopping: true });
    quitting_within(&mut window_events, "the window").await;
    quitting_within(&mut tray_events, "the tray").await;
    let mut owner = owned.owner.take().expect("an owner");
    let status = exit_within(&mut owner, Duration::from_secs(20), "the owner after Quit");
    assert_eq!(status.code(), Some(0), "Quit is a clean stop");
    assert!(!socket.exists(), "the socket is removed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quit_leaves_an_owner_run_by_hand_running_and_a_later_subscriber_untold() {
    let owned = Owned::start("quit-by-hand");
    let window = owned.client().await;
    let (_, mut events) = window.subscribe().await.expect("subscribe");
    let tray = owned.client().await;
    let answer: QuitAnswer = tray.call(Call::Quit).await.expect("quit");
    assert_eq!(answer, QuitAnswer { stopping: false });
    quitting_within(&mut events, "the window").await;

    // The owner keeps serving, and a window that subscribes after the Quit is not told.
    let later = owned.client().await;
    let (_, mut later_events) = later.subscribe().await.expect("subscribe");
    let _: Vec<JobInfo> = later.call(Call::List).await.expect("still served");
    let none = tokio::time::timeout(Duration::from_millis(500), later_events.recv()).await;
    assert!(none.is_err(), "no event for a later subscriber: {none:?}");
    assert!(!later.is_closed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_the_settings_tells_every_subscriber_so_the_tray_needs_no_polling() {
    let owned = Owned::start("settings-changed");
    let window = owned.client().await;
    let tray = owned.client().await;
    let (_, mut tray_events) = tray.subscribe().await.expect("subscribe");
    let quiet = tokio::time::timeout(Duration::from_millis(300), tray_events.recv()).await;
    assert!(quiet.is_err(), "nothing is told before a save: {quiet:?}");

    let mut settings: Settings = window.call(Call::GetSettings).await.expect("settings");
    settings.clipboard_offer = !settings.clipboard_offer;
    let _: Settings = window
        .call(Call::SetSettings { settings })
        .await
        .expect("saved");
    let told = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match tray_events.recv().await {
                Ok(OwnerEvent::Owner(OwnerNotice::SettingsChanged)) => return,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(error) => panic!("the events ended: {error}"),
            }
        }
    })
    .await;
    assert!(
        told.is_ok(),
        "the subscriber is told that the settings changed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_owner_cleanly_and_the_next_owner_resumes_from_the_saved_progress() {
    let data = body(6_000_000, 12);
    let drip = Behaviour::slow_drip(data.clone(), 32_768, Duration::from_millis(10));
    let server = TestServer::start(drip).await;
    let mut owned = Owned::start("sigterm");
    let socket = owned.socket();
    let client = owned.client().await;
    let target = owned.path("f.bin");
    let job = download(
        &client,
        "interrupted",
        &[(server.url("/f"), target.clone())],
    )
    .await;
    let seen = wait_job(&client, job, "a part of the file", |j| {
        j.progress.bytes_transferred > 500_000
    })
    .await
    .progress
    .bytes_transferred;

    let mut owner = owned.owner.take().expect("an owner");
    signal(owner.id(), "-TERM");
    let status = exit_within(
        &mut owner,
        Duration::from_secs(20),
        "the owner after SIGTERM",
    );
    assert_eq!(status.code(), Some(0), "SIGTERM is a clean stop");
    assert!(!socket.exists(), "the socket is removed");
    client.closed().await;

    owned.owner = Some(owned.spawn_service());
    owned.wait_listening();
    let client = owned.client().await;
    let kept: JobInfo = client
        .call(Call::Get { job })
        .await
        .expect("the job is kept");
    assert!(
        kept.files[0].bytes_transferred >= seen,
        "the progress seen before SIGTERM ({seen}) was saved: {}",
        kept.files[0].bytes_transferred
    );
    wait_job(&client, job, "TRANSFERRED", |j| {
        j.state == JobState::Transferred
    })
    .await;
    client
        .call_value(Call::Complete { job })
        .await
        .expect("complete");
    assert_eq!(sha256_file(&target), sha256(&data));
    let starts: Vec<u64> = server
        .requests()
        .iter()
        .filter_map(|r| r.range_start())
        .collect();
    assert!(
        starts.iter().any(|&s| s >= seen),
        "the next owner asked only for the rest (from {seen} on): {starts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_all_and_resume_all_answer_how_many_jobs_they_touched() {
    let server = TestServer::start(Behaviour::Stall {
        resource: crate::servers::Resource::new(body(100_000, 9)),
        after: 1_000,
    })
    .await;
    let owned = Owned::start("bulk-count");
    let client = owned.client().await;
    let mut jobs = Vec::new();
    for n in 0..3 {
        let path = owned.path(&format!("f{n}"));
        jobs.push(download(&client, "stalled", &[(server.url("/f"), path)]).await);
    }

    let paused: u32 = client.call(Call::SuspendAll).await.unwrap();
    assert_eq!(paused, 3, "Pause all answers how many jobs it paused");
    let again: u32 = client.call(Call::SuspendAll).await.unwrap();
    assert_eq!(again, 0, "a second Pause all finds nothing to pause");
    let resumed: u32 = client.call(Call::ResumeAll).await.unwrap();
    assert_eq!(resumed, 3, "Resume all answers how many jobs it resumed");
}

#[test]
fn a_probe_is_answered_when_ready_and_calls_after_it_do_not_wait() {
    let owned = Owned::start("probe");
    // A server that takes connections and never answers: the probe waits until its time runs out.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a silent server");
    let silent_url = format!(
        "http://{}/slow.iso",
        silent.local_addr().expect("an address")
    );
    let mut raw = Raw::connect(&owned.socket());

    raw.send(
        format!(
            "{}\n",
            json!({"v": 1, "id": 1, "call": "probe", "args": {"urls": [silent_url]}})
        )
        .as_bytes(),
    );
    raw.send(b"{\"v\":1,\"id\":2,\"call\":\"list\"}\n");

    let first = raw.answer();
    assert_eq!(
        first["id"],
        json!(2),
        "list is not held up by the probe: {first}"
    );
    let probe = raw.answer();
    assert_eq!(probe["id"], json!(1), "{probe}");
    let result = &probe["ok"][0];
    assert_eq!(result["status"], json!("FAILED"), "{probe}");
    assert_eq!(result["file_name"], json!("slow.iso"));
    assert_eq!(
        result["error"]["code"],
        json!(ErrorCode::ERROR_WINHTTP_TIMEOUT.0),
        "{probe}"
    );
}

#[tokio::test]
async fn a_probe_through_the_client_gives_the_servers_answer() {
    let server = TestServer::start(Behaviour::full(body(2_048, 3))).await;
    let owned = Owned::start("probe-client");
    let client = owned.client().await;

    let answers: Vec<ferry_engine::ProbeResult> = client
        .call(Call::Probe(ferry_engine::ProbeRequest {
            urls: vec![server.url("/disk.img")],
            credentials: None,
        }))
        .await
        .expect("a probe answer");

    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].status, ferry_engine::ProbeStatus::Found);
    assert_eq!(answers[0].file_name, "disk.img");
    assert_eq!(answers[0].size, Some(2_048));
    assert!(answers[0].can_resume);
}

#[tokio::test]
async fn names_ferry_chose_become_unique_in_the_job_and_in_the_folder() {
    let server = TestServer::start(Behaviour::full(body(1_000, 4))).await;
    let owned = Owned::start("unique-names");
    let client = owned.client().await;
    let folder = owned.path("downloads");
    std::fs::create_dir_all(&folder).expect("a download folder");
    std::fs::write(folder.join("report.pdf"), b"my own report").expect("an existing file");
    let request = |unique_names| NewJobRequest {
        display_name: "Reports".to_owned(),
        job_type: JobType::Download,
        priority: Priority::Normal,
        files: ["/a/report.pdf", "/b/report.pdf", "/c/archive.tar.gz"]
            .iter()
            .map(|path| FileSpec {
                remote_url: server.url(path),
                local_path: folder.join(path.rsplit('/').next().expect("a name")),
            })
            .collect(),
        credentials: None,
        reply_file_name: None,
        checksums: None,
        description: None,
        retry_policy: None,
        custom_headers: None,
        unique_names,
        auto_complete: None,
        connections: None,
        speed_limit: None,
    };

    let job: JobInfo = client
        .call(Call::CreateWithFiles(request(Some(true))))
        .await
        .expect("a job with free names");
    let again: JobInfo = client
        .call(Call::CreateWithFiles(request(Some(true))))
        .await
        .expect("a second job with free names");

    let names = |job: &JobInfo| -> Vec<String> {
        job.files
            .iter()
            .map(|f| {
                f.local_path
                    .file_name()
                    .expect("a name")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    };
    assert_eq!(
        names(&job),
        ["report (2).pdf", "report (3).pdf", "archive.tar.gz"]
    );
    assert_eq!(
        names(&again),
        ["report (4).pdf", "report (5).pdf", "archive (2).tar.gz"],
        "the first job's files are taken too"
    );
    let refused = client
        .call::<JobInfo>(Call::CreateWithFiles(request(None)))
        .await
        .expect_err("names the user typed are never renamed");
    assert_eq!(refused.code, ErrorCode::ERROR_FILE_EXISTS, "{refused:?}");
    assert_eq!(
        std::fs::read(folder.join("report.pdf")).expect("the user's file"),
        b"my own report"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_made_with_its_files_is_announced_once_whole_and_a_refused_one_not_at_all() {
    let owned = Owned::start("create-once");
    let client = owned.client().await;
    let (_, mut events) = client.subscribe().await.expect("subscribe");
    let request = |checksum: &str| NewJobRequest {
        display_name: "Two files".to_owned(),
        job_type: JobType::Download,
        priority: Priority::Low,
        files: ["a.bin", "b.bin"]
            .iter()
            .map(|name| FileSpec {
                remote_url: format!("http://127.0.0.1:1/{name}"),
                local_path: owned.path(name),
            })
            .collect(),
        credentials: None,
        reply_file_name: None,
        checksums: Some(vec![Some(checksum.to_owned())]),
        description: Some("made in one step".to_owned()),
        retry_policy: None,
        custom_headers: Some(vec![(
            "Referer".to_owned(),
            "https://example.org/".to_owned(),
        )]),
        unique_names: None,
        auto_complete: None,
        connections: None,
        speed_limit: None,
    };
    let refused = client
        .call::<JobInfo>(Call::CreateWithFiles(request("sha256:not-hex")))
        .await
        .expect_err("a malformed checksum is refused");
    assert_eq!(refused.code, ErrorCode::E_INVALIDARG, "{refused:?}");

    let job: JobInfo = client
        .call(Call::CreateWithFiles(request(&format!(
            "sha256:{}",
            "ab".repeat(32)
        ))))
        .await
        .expect("create the job");

    // Events come in the order they happened: once the marker job's creation arrives, every
    // event of the two creations before it has too.
    let marker: JobId = client
        .call(Call::CreateJob {
            display_name: "marker".to_owned(),
            job_type: JobType::Download,
        })
        .await
        .expect("create the marker job");
    let seen = tokio::time::timeout(Duration::from_secs(10), async {
        let mut seen = Vec::new();
        loop {
            match events.recv().await {
                Ok(OwnerEvent::Engine(event)) => match *event {
                    EngineEvent::JobCreated { job } if job.id == marker => return seen,
                    event => seen.push(event),
                },
                Ok(other) => panic!("the owner fell behind or quit: {other:?}"),
                Err(error) => panic!("the events ended: {error}"),
            }
        }
    })
    .await
    .expect("the marker job is announced");
    let about_jobs: Vec<String> = seen
        .iter()
        .filter(|e| !matches!(e, EngineEvent::Progress { .. }))
        .map(|e| format!("{e:?}").chars().take(60).collect())
        .collect();
    assert_eq!(
        about_jobs.len(),
        1,
        "one announcement, for the job made (none for the refused one): {about_jobs:#?}"
    );
    let EngineEvent::JobCreated { job: announced } = &seen[0] else {
        panic!("the job is announced as created: {about_jobs:#?}");
    };
    assert_eq!(announced.id, job.id);
    assert_eq!(announced.files.len(), 2, "announced with its files");
    assert_eq!(announced.settings.priority, Priority::Low);
    assert_eq!(announced.settings.description, "made in one step");
    let listed: Vec<JobInfo> = client.call(Call::List).await.expect("list");
    assert_eq!(
        listed.len(),
        2,
        "the refused job left no trace: {listed:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_glances_gives_each_listed_job_its_state_and_progress_and_nothing_of_cancelled_ones() {
    let data = body(300_000, 3);
    let server = TestServer::start(Behaviour::full(data)).await;
    let owned = Owned::start("glances");
    let client = owned.client().await;
    let fetched = download(
        &client,
        "fetched",
        &[(server.url("/f"), owned.path("f.bin"))],
    )
    .await;
    wait_job(&client, fetched, "TRANSFERRED", |j| {
        j.state == JobState::Transferred
    })
    .await;
    let empty: JobId = client
        .call(Call::CreateJob {
            display_name: "empty".to_owned(),
            job_type: JobType::Download,
        })
        .await
        .expect("create an empty job");
    let cancelled: JobId = client
        .call(Call::CreateJob {
            display_name: "cancelled".to_owned(),
            job_type: JobType::Download,
        })
        .await
        .expect("create a job to cancel");
    client
        .call_value(Call::Cancel { job: cancelled })
        .await
        .expect("cancel it");

    let listed: Vec<JobInfo> = client.call(Call::List).await.expect("list");
    let mut expected: Vec<JobGlance> = listed.iter().map(JobGlance::from).collect();
    let mut glances: Vec<JobGlance> = client
        .call(Call::ListGlances)
        .await
        .expect("list the glances");
    expected.sort_by_key(|glance| glance.id.to_string());
    glances.sort_by_key(|glance| glance.id.to_string());
    assert_eq!(glances, expected);
    let of = |job: JobId| glances.iter().find(|glance| glance.id == job);
    let fetched = of(fetched).expect("the transferred job");
    assert_eq!(fetched.state, JobState::Transferred);
    assert_eq!(fetched.progress.bytes_total, Some(300_000));
    assert_eq!(fetched.progress.bytes_transferred, 300_000);
    assert_eq!(
        of(empty).map(|glance| glance.state),
        Some(JobState::Suspended)
    );
    assert!(of(cancelled).is_none(), "a cancelled job is gone");
}
