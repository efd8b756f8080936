//! What Ferry guarantees about the store and the command line: one engine per data folder, a
//! store that survives a full or read-only disk, a private scratch store for `get`,
//! and the rough edges of `ferry-transfer`'s arguments and output. Every case runs the real
//! `ferry-transfer` binary against a real server on 127.0.0.1; the disk cases put the data
//! folder on a small tmpfs in a private user and mount namespace (`unshare`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use bytes::Bytes;
use ferry_engine::{Engine, JobId, JobState, Priority};
use tokio::process::Command;

use crate::cli::{queue_job, RunProcess, FERRY_TRANSFER};
use crate::harness::{files_in, test_config, PATIENCE};
use crate::network::in_namespaces;
use crate::servers::{body, Behaviour, TestServer};
use crate::util::{sha256, sha256_file, temp_dir, wait_until};

/// `ferry-transfer` with `args`, its output captured, killed if the test gives up on it.
fn ferry(args: &[&str]) -> Command {
    let mut command = Command::new(FERRY_TRANSFER);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Runs `command` to its end (within [`PATIENCE`]) and returns what it printed.
async fn finish(mut command: Command) -> Output {
    tokio::time::timeout(PATIENCE, command.output())
        .await
        .expect("the command ends in time")
        .expect("run the command")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A body that takes about two seconds to drip out (so a second process meets a live one).
fn slow(data: &Bytes) -> Behaviour {
    Behaviour::slow_drip(data.clone(), 16_384, Duration::from_millis(10))
}

/// Names in `dir` that say a store was moved aside.
fn moved_aside(dir: &Path) -> Vec<String> {
    files_in(dir)
        .into_iter()
        .filter(|name| name.contains("unreadable"))
        .collect()
}

/// Queues a FOREGROUND download of `url` to `local` in the store in `data`.
async fn queue(data: &Path, url: &str, local: &Path) -> JobId {
    queue_job(data, url, local, |engine, id| {
        engine.set_priority(id, Priority::Foreground).unwrap();
    })
    .await
}

/// Completes job `id` in the store in `data` and returns the SHA-256 of `local`.
async fn complete_and_hash(data: &Path, id: JobId, local: &Path) -> String {
    let engine = Engine::start(test_config(), data).await.unwrap();
    assert_eq!(engine.get(id).unwrap().state, JobState::Transferred);
    engine.complete(id).unwrap();
    engine.shutdown().await;
    sha256_file(local)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_4_a_second_engine_on_a_data_dir_in_use_is_refused_and_names_the_holder() {
    let data = body(3_000_000, 40);
    let server = TestServer::start(slow(&data)).await;
    let dir = temp_dir("lock-data");
    let files = temp_dir("lock-files");
    let local = files.path().join("f");
    let id = queue(dir.path(), &server.url("/f"), &local).await;
    let dir_arg = dir.path().to_str().unwrap();

    let mut first = RunProcess::spawn({
        let mut command = Command::new(FERRY_TRANSFER);
        command.args(["run", "--data-dir", dir_arg]);
        command
    });
    first.until(id, "TRANSFERRING").await;
    let second = finish(ferry(&["run", "--data-dir", dir_arg])).await;
    let message = stderr(&second);
    assert!(!second.status.success(), "the second engine ran: {message}");
    assert!(
        message.contains("in use by ferry-transfer")
            && message.contains(&format!("pid {}", first.pid())),
        "the refusal names the holder: {message}"
    );

    first.until(id, "TRANSFERRED").await;
    assert!(first.child.wait().await.unwrap().success());
    assert!(
        moved_aside(dir.path()).is_empty(),
        "the store stays in place"
    );
    assert_eq!(
        complete_and_hash(dir.path(), id, &local).await,
        sha256(&data)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_4_two_engines_starting_together_run_one_and_move_no_store_aside() {
    let data = body(2_000_000, 41);
    let server = TestServer::start(slow(&data)).await;
    for round in 0..4 {
        let dir = temp_dir("lock-together");
        let files = temp_dir("lock-together-files");
        let local = files.path().join("f");
        let id = queue(dir.path(), &server.url("/f"), &local).await;
        let dir_arg = dir.path().to_str().unwrap();
        let (a, b) = tokio::join!(
            finish(ferry(&["run", "--data-dir", dir_arg])),
            finish(ferry(&["run", "--data-dir", dir_arg]))
        );
        let ran: Vec<&Output> = [&a, &b]
            .into_iter()
            .filter(|o| o.status.success())
            .collect();
        let refused: Vec<&Output> = [&a, &b]
            .into_iter()
            .filter(|o| !o.status.success())
            .collect();
        assert_eq!(
            (ran.len(), refused.len()),
            (1, 1),
            "round {round}: exactly one engine runs: {} / {}",
            stderr(&a),
            stderr(&b)
        );
        assert!(
            stderr(refused[0]).contains("in use by"),
            "round {round}: {}",
            stderr(refused[0])
        );
        assert!(
            moved_aside(dir.path()).is_empty(),
            "round {round}: no store moved aside"
        );
        assert_eq!(
            complete_and_hash(dir.path(), id, &local).await,
            sha256(&data)
        );
    }
}

#[tokio::test]
async fn item_4_engine_open_twice_on_one_data_dir_refuses_the_second() {
    let dir = temp_dir("lock-inprocess");
    let first = Engine::open(test_config(), dir.path()).await.unwrap();
    let second = Engine::open(test_config(), dir.path()).await;
    let error = second
        .err()
        .expect("a second engine on the same folder is refused");
    assert!(error.message.contains("in use by"), "{}", error.message);
    first.shutdown().await;
    let again = Engine::open(test_config(), dir.path())
        .await
        .expect("the folder is free once the first engine stopped");
    again.shutdown().await;
}

/// Runs `script` with `sh` in new user and mount namespaces, with `env` set; `MNT` names an
/// empty folder for the script to mount a tmpfs on, `FT` the binary.
fn isolated(script: &str, env: &[(&str, &Path)], mount_point: &Path) -> Command {
    let mut command = Command::new("unshare");
    command
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", script])
        .env("FT", FERRY_TRANSFER)
        .env("MNT", mount_point)
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// Mounts a tmpfs of 768 KiB on `$MNT` and copies the prepared store from `$PREP` onto it.
const SMALL_DISK: &str =
    "mount -t tmpfs -o size=768k tmpfs \"$MNT\" && cp -a \"$PREP/.\" \"$MNT/\" || exit 90\n";
/// Fills `$MNT` to the last byte.
const FILL: &str = "dd if=/dev/zero of=\"$MNT/fill\" bs=4k 2>/dev/null";

fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
        .trim()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_6_a_full_disk_at_start_is_refused_and_the_store_is_left_as_it_was() {
    let data = body(50_000, 60);
    let server = TestServer::start(Behaviour::full(data.clone())).await;
    let prep = temp_dir("full-start-prep");
    let out = temp_dir("full-start-out");
    let mnt = temp_dir("full-start-mnt");
    let files = temp_dir("full-start-files");
    let jobs = [
        queue(prep.path(), &server.url("/a"), &files.path().join("a")).await,
        queue(prep.path(), &server.url("/b"), &files.path().join("b")).await,
    ];
    let script = format!(
        "{SMALL_DISK}{FILL}
         sha256sum \"$MNT/ferry.db\" > \"$OUT/before\"
         \"$FT\" run --data-dir \"$MNT\" > /dev/null 2> \"$OUT/full.err\"
         echo $? > \"$OUT/full.status\"
         sha256sum \"$MNT/ferry.db\" > \"$OUT/after\"
         ls -a \"$MNT\" > \"$OUT/listing\"
         rm \"$MNT/fill\"
         exec \"$FT\" run --data-dir \"$MNT\""
    );
    let mut command = isolated(
        &script,
        &[("PREP", prep.path()), ("OUT", out.path())],
        mnt.path(),
    );
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let output = finish(command).await;

    let refusal = read_text(&out.path().join("full.err"));
    assert_ne!(read_text(&out.path().join("full.status")), "0", "{refusal}");
    assert!(
        refusal.contains("nothing was changed")
            && !refusal.contains("moved")
            && !refusal.contains("unreadable"),
        "a clear I/O refusal: {refusal}"
    );
    assert_eq!(
        read_text(&out.path().join("before")),
        read_text(&out.path().join("after")),
        "the store's bytes are untouched"
    );
    let listing = read_text(&out.path().join("listing"));
    assert!(!listing.contains("unreadable"), "{listing}");

    // `run` ends with success once every job it holds is TRANSFERRED.
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", stderr(&output));
    for id in jobs {
        assert!(
            printed.contains(&format!("{id} QUEUED")),
            "job {id} was kept and ran once space returned: {printed}"
        );
    }
}

/// `ferry-transfer run` on a copy of the store in `prep` on a small tmpfs (in its own user and
/// mount namespaces); when it ends, the store is copied to `out` for the test to complete its
/// jobs. Filled and freed by the test while it runs.
struct SmallDiskRun {
    run: RunProcess,
    mnt: tempfile::TempDir,
    out: tempfile::TempDir,
}

impl SmallDiskRun {
    fn start(prep: &Path) -> SmallDiskRun {
        let out = temp_dir("small-disk-out");
        let mnt = temp_dir("small-disk-mnt");
        // The engine dies with the shell (`--pdeathsig`), so a failing test leaves no process.
        let script = format!(
            "{SMALL_DISK}setpriv --pdeathsig KILL \"$FT\" run --data-dir \"$MNT\"
             status=$?
             cp -a \"$MNT/.\" \"$OUT/\"
             exit $status"
        );
        let run = RunProcess::spawn(isolated(
            &script,
            &[("PREP", prep), ("OUT", out.path())],
            mnt.path(),
        ));
        SmallDiskRun { run, mnt, out }
    }

    fn in_namespace(&self, script: &str) {
        let done = in_namespaces(
            self.run.pid(),
            &["-U", "-m"],
            &format!("MNT='{}'; {script}", self.mnt.path().display()),
        );
        assert!(
            done.status.success(),
            "`{script}`: {}",
            String::from_utf8_lossy(&done.stderr)
        );
    }

    fn fill(&self) {
        self.in_namespace(&format!("{FILL}; true"));
    }

    fn free(&self) {
        self.in_namespace("rm \"$MNT/fill\"");
    }

    /// Waits for the run to end by itself, with success; returns where its store was copied.
    async fn ends(mut self) -> tempfile::TempDir {
        let status = tokio::time::timeout(PATIENCE, self.run.child.wait())
            .await
            .expect("the run ends")
            .unwrap();
        assert!(status.success(), "{status}");
        self.out
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_6_a_full_disk_while_running_holds_the_job_until_space_returns() {
    let data = body(3_000_000, 61);
    let server = TestServer::start(slow(&data)).await;
    let prep = temp_dir("full-run-prep");
    let files = temp_dir("full-run-files");
    let local = files.path().join("f");
    let id = queue(prep.path(), &server.url("/f"), &local).await;
    let mut disk = SmallDiskRun::start(prep.path());
    disk.run.until(id, "TRANSFERRING").await;
    disk.fill();
    let held = disk.run.until(id, "TRANSIENT_ERROR").await;
    assert_eq!(held.error.as_deref(), Some("ERROR_DISK_FULL"), "{held:?}");
    disk.free();
    disk.run.until(id, "TRANSFERRED").await;
    let out = disk.ends().await;
    assert_eq!(
        complete_and_hash(out.path(), id, &local).await,
        sha256(&data)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_6_a_job_that_cannot_be_started_on_a_full_disk_starts_once_space_returns() {
    // Background jobs take turns: the second waits in QUEUED while the first transfers, and
    // is started (a change the full disk refuses) once the first is held back.
    let first_data = body(3_000_000, 62);
    let second_data = body(200_000, 63);
    let server = TestServer::builder()
        .route("/first", slow(&first_data))
        .route("/second", Behaviour::full(second_data.clone()))
        .start()
        .await;
    let prep = temp_dir("full-start-job-prep");
    let files = temp_dir("full-start-job-files");
    let background = |engine: &Engine, id: JobId| {
        engine.set_priority(id, Priority::Normal).unwrap();
    };
    let first_file = files.path().join("first");
    let second_file = files.path().join("second");
    let first = queue_job(prep.path(), &server.url("/first"), &first_file, background).await;
    let second = queue_job(
        prep.path(),
        &server.url("/second"),
        &second_file,
        background,
    )
    .await;
    let mut disk = SmallDiskRun::start(prep.path());
    disk.run.until(first, "TRANSFERRING").await;
    disk.fill();
    let held = disk.run.until(second, "TRANSIENT_ERROR").await;
    assert_eq!(held.error.as_deref(), Some("ERROR_DISK_FULL"), "{held:?}");
    disk.free();
    disk.run.until(second, "TRANSFERRED").await;
    let out = disk.ends().await;
    assert_eq!(
        complete_and_hash(out.path(), first, &first_file).await,
        sha256(&first_data)
    );
    assert_eq!(
        complete_and_hash(out.path(), second, &second_file).await,
        sha256(&second_data)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_6_a_read_only_data_dir_is_refused_without_claiming_the_store_was_moved() {
    let prep = temp_dir("ro-prep");
    let out = temp_dir("ro-out");
    let mnt = temp_dir("ro-mnt");
    let files = temp_dir("ro-files");
    let port = crate::util::closed_port();
    queue(
        prep.path(),
        &format!("http://127.0.0.1:{port}/f"),
        &files.path().join("f"),
    )
    .await;
    let script = format!(
        "{SMALL_DISK}mount -o remount,ro \"$MNT\" || exit 92
         sha256sum \"$MNT/ferry.db\" > \"$OUT/before\"
         \"$FT\" run --data-dir \"$MNT\" > /dev/null 2> \"$OUT/err\"
         echo $? > \"$OUT/status\"
         sha256sum \"$MNT/ferry.db\" > \"$OUT/after\"
         ls -a \"$MNT\" > \"$OUT/listing\""
    );
    let output = finish(isolated(
        &script,
        &[("PREP", prep.path()), ("OUT", out.path())],
        mnt.path(),
    ))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let refusal = read_text(&out.path().join("err"));
    assert_ne!(read_text(&out.path().join("status")), "0", "{refusal}");
    assert!(
        refusal.contains("nothing was changed")
            && !refusal.contains("moved")
            && !refusal.contains("unreadable"),
        "{refusal}"
    );
    assert_eq!(
        read_text(&out.path().join("before")),
        read_text(&out.path().join("after"))
    );
}

/// The folders `get` made in `tmp` (its `TMPDIR`).
fn scratch_folders(tmp: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(tmp)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect()
}

/// `ferry-transfer get URL PATH` with no data folder, its temporary folder in `tmp`.
fn get(url: &str, path: &Path, tmp: &Path) -> Command {
    let mut command = ferry(&["get", url, path.to_str().unwrap()]);
    command.env("TMPDIR", tmp);
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_8_get_uses_a_fresh_private_scratch_folder_and_removes_it() {
    let data = body(1_500_000, 80);
    let server = TestServer::start(slow(&data)).await;
    let tmp = temp_dir("scratch-tmp");
    let files = temp_dir("scratch-files");
    let mut seen = Vec::new();
    for round in 0..2 {
        let local = files.path().join(format!("f{round}"));
        let child = get(&server.url("/f"), &local, tmp.path()).spawn().unwrap();
        wait_until("the scratch folder", || async {
            !scratch_folders(tmp.path()).is_empty()
        })
        .await;
        let folder = scratch_folders(tmp.path()).remove(0);
        let mode = std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{} is private", folder.display());
        let output = tokio::time::timeout(PATIENCE, child.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(
            scratch_folders(tmp.path()).is_empty(),
            "the scratch folder is removed"
        );
        assert_eq!(sha256_file(&local), sha256(&data));
        seen.push(folder);
    }
    assert_ne!(seen[0], seen[1], "a scratch folder is never reused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_8_sigterm_during_get_removes_the_scratch_folder_and_the_temporary_file() {
    let data = body(3_000_000, 81);
    let server = TestServer::start(slow(&data)).await;
    let tmp = temp_dir("sigterm-tmp");
    let files = temp_dir("sigterm-files");
    let mut child = get(&server.url("/f"), &files.path().join("f"), tmp.path())
        .spawn()
        .unwrap();
    wait_until("bytes in the temporary file", || async {
        std::fs::read_dir(files.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .any(|e| e.metadata().is_ok_and(|m| m.len() > 0))
    })
    .await;
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(PATIENCE, child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(
        status.code().is_some_and(|code| code != 0),
        "ends by itself with a failure: {status}"
    );
    assert!(
        scratch_folders(tmp.path()).is_empty(),
        "no scratch folder left"
    );
    assert!(
        files_in(files.path()).is_empty(),
        "no temporary file left: {:?}",
        files_in(files.path())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_8_a_planted_scratch_folder_is_never_used() {
    let data = body(40_000, 82);
    let server = TestServer::builder()
        .route("/f", Behaviour::full(data.clone()))
        .route("/victim", Behaviour::full(body(1_000, 83)))
        .start()
        .await;
    let tmp = temp_dir("planted-tmp");
    let plant = temp_dir("planted-store");
    let files = temp_dir("planted-files");
    queue(
        plant.path(),
        &server.url("/victim"),
        &files.path().join("victim"),
    )
    .await;
    let planted_db = sha256_file(&plant.path().join("ferry.db"));
    let local = files.path().join("f");
    // `$$` is the pid `ferry-transfer` gets once the shell execs it.
    let script =
        "dir=\"$TMPDIR/ferry-transfer-$$\" && mkdir \"$dir\" && cp -a \"$PLANT/.\" \"$dir/\" \
                  && echo \"$dir\" > \"$TMPDIR/planted\" && exec \"$FT\" get \"$URL\" \"$LOCAL\"";
    let mut command = Command::new("sh");
    command
        .args(["-c", script])
        .env("TMPDIR", tmp.path())
        .env("PLANT", plant.path())
        .env("FT", FERRY_TRANSFER)
        .env("URL", server.url("/f"))
        .env("LOCAL", &local)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = finish(command).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(sha256_file(&local), sha256(&data));
    let planted = PathBuf::from(read_text(&tmp.path().join("planted")));
    assert_eq!(
        sha256_file(&planted.join("ferry.db")),
        planted_db,
        "the planted store is neither used nor removed"
    );
    assert!(
        !server.requests().iter().any(|r| r.path == "/victim"),
        "the planted job never ran"
    );
}

#[tokio::test]
async fn edge_get_to_a_folder_says_the_destination_has_no_file_name() {
    let dir = temp_dir("edge-folder");
    let output = finish(ferry(&[
        "get",
        "http://127.0.0.1:9/f",
        "/",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]))
    .await;
    let message = stderr(&output);
    assert!(!output.status.success());
    assert!(
        message.contains("destination") && message.contains("file name"),
        "a precise message about the destination: {message}"
    );
    assert!(!message.contains("display name"), "{message}");
}

#[tokio::test]
async fn edge_a_list_url_with_a_query_is_named_after_its_path() {
    let data = body(30_000, 90);
    let server = TestServer::builder()
        .route("/file.bin", Behaviour::full(data.clone()))
        .start()
        .await;
    let dir = temp_dir("edge-query");
    let folder = temp_dir("edge-query-files");
    let list = dir.path().join("list.txt");
    std::fs::write(&list, format!("{}?a=b\n", server.url("/file.bin"))).unwrap();
    let output = finish(ferry(&[
        "get-list",
        list.to_str().unwrap(),
        folder.path().to_str().unwrap(),
        "--data-dir",
        dir.path().join("data").to_str().unwrap(),
    ]))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(sha256_file(&folder.path().join("file.bin")), sha256(&data));
}

#[tokio::test]
async fn edge_an_empty_data_dir_is_refused() {
    let cwd = temp_dir("edge-empty-dir");
    let mut command = ferry(&["run", "--data-dir", ""]);
    command.current_dir(cwd.path());
    let output = finish(command).await;
    let message = stderr(&output);
    assert!(!output.status.success(), "{message}");
    assert!(
        message.contains("--data-dir") && message.contains("empty"),
        "{message}"
    );
    assert!(
        files_in(cwd.path()).is_empty(),
        "nothing written in the current folder"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_run_into_a_closed_pipe_ends_quietly() {
    let data = body(1_500_000, 91);
    let server = TestServer::start(slow(&data)).await;
    let dir = temp_dir("edge-pipe");
    let files = temp_dir("edge-pipe-files");
    queue(dir.path(), &server.url("/f"), &files.path().join("f")).await;
    let err = dir.path().join("stderr");
    let script =
        "\"$FT\" run --data-dir \"$DATA\" 2> \"$ERR\" | head -1; exit \"${PIPESTATUS[0]}\"";
    let mut command = Command::new("bash");
    command
        .args(["-c", script])
        .env("FT", FERRY_TRANSFER)
        .env("DATA", dir.path())
        .env("ERR", &err)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = finish(command).await;
    let message = std::fs::read_to_string(&err).unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 1);
    assert!(!message.contains("panicked"), "{message}");
    assert!(
        matches!(output.status.code(), Some(0 | 141)),
        "{:?}: {message}",
        output.status
    );
}

#[tokio::test]
async fn item_5_get_refuses_a_destination_that_exists_before_downloading() {
    let server = TestServer::start(Behaviour::full(body(20_000, 92))).await;
    let dir = temp_dir("get-exists");
    let mine = dir.path().join("mydoc");
    std::fs::write(&mine, b"the user's own document").unwrap();
    let output = finish(ferry(&[
        "get",
        &server.url("/f"),
        mine.to_str().unwrap(),
        "--data-dir",
        dir.path().join("data").to_str().unwrap(),
    ]))
    .await;
    let message = stderr(&output);
    assert!(!output.status.success(), "{message}");
    assert!(message.contains("already exists"), "{message}");
    assert_eq!(std::fs::read(&mine).unwrap(), b"the user's own document");
    assert!(
        server.requests().is_empty(),
        "nothing was downloaded for nothing"
    );
}
