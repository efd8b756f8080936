//! What Ferry guarantees about the store: one owner per data folder, and a store that survives
//! a full or read-only disk. Every case runs the real `ferry service` against a real server on
//! 127.0.0.1; the disk cases put the data folder on a small tmpfs in a private user and mount
//! namespace (`unshare`).

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use bytes::Bytes;
use ferry_engine::{Engine, JobId, JobInfo, JobState, Priority};
use ferry_owner::Call;
use tokio::process::Command;

use crate::harness::{files_in, test_config, PATIENCE};
use crate::network::in_namespaces;
use crate::queue::queue_job;
use crate::servers::{body, Behaviour, TestServer};
use crate::service::{Runtime, Service, FERRY};
use crate::util::{sha256, sha256_file, temp_dir};

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

    let runtime = Runtime::new();
    let mut first = Service::spawn_on(dir.path(), &runtime);
    first.listening().await;
    let mut lines = first.lines().await;
    lines.until(id, JobState::Transferring).await;
    let second = finish(runtime.service(dir.path())).await;
    let message = stderr(&second);
    assert!(!second.status.success(), "the second owner ran: {message}");
    assert!(
        message.contains(&format!("in use by ferry (pid {})", first.pid())),
        "the refusal names the holder: {message}"
    );

    lines.until(id, JobState::Transferred).await;
    assert!(first.stop().await.success());
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
        let runtime = Runtime::new();
        let mut a = Service::spawn_on(dir.path(), &runtime);
        let mut b = Service::spawn_on(dir.path(), &runtime);
        // The one refused the folder ends at once; the other runs until it is asked to stop.
        let (first_to_end, status) = tokio::time::timeout(PATIENCE, async {
            tokio::select! {
                status = a.child.wait() => ('a', status.unwrap()),
                status = b.child.wait() => ('b', status.unwrap()),
            }
        })
        .await
        .expect("one of the two owners ends");
        let (refused, mut ran) = if first_to_end == 'a' { (a, b) } else { (b, a) };
        assert!(
            !status.success(),
            "round {round}: the owner that ended was refused: {}",
            refused.stderr()
        );
        assert!(
            refused.stderr().contains("in use by"),
            "round {round}: {}",
            refused.stderr()
        );
        ran.listening().await;
        ran.until_every_job_ends()
            .await
            .unwrap_or_else(|failed| panic!("round {round}: {failed}"));
        let ran_status = ran.stop().await;
        assert!(
            ran_status.success(),
            "round {round}: exactly one owner runs, and stops cleanly: {ran_status}"
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

/// Runs `script` with `sh` in new user and mount namespaces, with `env` set; `MNT` names an
/// empty folder for the script to mount a tmpfs on, `FERRY` the binary, and `runtime` is the
/// runtime folder of the owners it starts.
fn isolated(script: &str, env: &[(&str, &Path)], mount_point: &Path, runtime: &Runtime) -> Command {
    let mut command = Command::new("unshare");
    command
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", script])
        .env("FERRY", FERRY)
        .env("MNT", mount_point);
    runtime.apply(&mut command);
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
         \"$FERRY\" --data-dir \"$MNT\" service > /dev/null 2> \"$OUT/full.err\"
         echo $? > \"$OUT/full.status\"
         sha256sum \"$MNT/ferry.db\" > \"$OUT/after\"
         ls -a \"$MNT\" > \"$OUT/listing\"
         rm \"$MNT/fill\"
         exec \"$FERRY\" --data-dir \"$MNT\" service"
    );
    let runtime = Runtime::new();
    let command = isolated(
        &script,
        &[("PREP", prep.path()), ("OUT", out.path())],
        mnt.path(),
        &runtime,
    );
    // The owner that starts once space returned.
    let mut owner = Service::spawn(command, mnt.path(), &runtime);
    owner.listening().await;

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

    // Every job was kept, and runs to TRANSFERRED once space returned.
    let kept: Vec<JobInfo> = owner.client().await.call(Call::List).await.unwrap();
    for id in jobs {
        assert!(
            kept.iter().any(|job| job.id == id),
            "job {id} was kept: {kept:?}"
        );
    }
    owner
        .until_every_job_ends()
        .await
        .expect("every job transfers once space returned");
    let status = owner.stop().await;
    assert!(status.success(), "{status}");
}

/// `ferry service` on a copy of the store in `prep` on a small tmpfs (in its own user and mount
/// namespaces); when it ends, the store is copied to `out` for the test to complete its jobs.
/// Filled and freed by the test while it runs.
struct SmallDiskRun {
    owner: Service,
    mnt: tempfile::TempDir,
    out: tempfile::TempDir,
}

impl SmallDiskRun {
    async fn start(prep: &Path) -> SmallDiskRun {
        let out = temp_dir("small-disk-out");
        let mnt = temp_dir("small-disk-mnt");
        // The owner dies with the shell (`--pdeathsig`), so a failing test leaves no process.
        let script = format!(
            "{SMALL_DISK}setpriv --pdeathsig KILL \"$FERRY\" --data-dir \"$MNT\" service
             status=$?
             cp -a \"$MNT/.\" \"$OUT/\"
             exit $status"
        );
        let runtime = Runtime::new();
        let command = isolated(
            &script,
            &[("PREP", prep), ("OUT", out.path())],
            mnt.path(),
            &runtime,
        );
        let mut owner = Service::spawn(command, mnt.path(), &runtime);
        owner.listening().await;
        SmallDiskRun { owner, mnt, out }
    }

    fn in_namespace(&self, script: &str) {
        let done = in_namespaces(
            self.owner.pid(),
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

    /// Stops the owner, which must end with success; returns where its store was copied.
    async fn ends(self) -> tempfile::TempDir {
        let status = self.owner.stop().await;
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
    let disk = SmallDiskRun::start(prep.path()).await;
    let mut lines = disk.owner.lines().await;
    lines.until(id, JobState::Transferring).await;
    disk.fill();
    let held = lines.until(id, JobState::TransientError).await;
    assert_eq!(held.error.as_deref(), Some("ERROR_DISK_FULL"), "{held:?}");
    disk.free();
    lines.until(id, JobState::Transferred).await;
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
    let disk = SmallDiskRun::start(prep.path()).await;
    let mut lines = disk.owner.lines().await;
    lines.until(first, JobState::Transferring).await;
    disk.fill();
    let held = lines.until(second, JobState::TransientError).await;
    assert_eq!(held.error.as_deref(), Some("ERROR_DISK_FULL"), "{held:?}");
    disk.free();
    lines.until(second, JobState::Transferred).await;
    lines.until(first, JobState::Transferred).await;
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
         \"$FERRY\" --data-dir \"$MNT\" service > /dev/null 2> \"$OUT/err\"
         echo $? > \"$OUT/status\"
         sha256sum \"$MNT/ferry.db\" > \"$OUT/after\"
         ls -a \"$MNT\" > \"$OUT/listing\""
    );
    let output = finish(isolated(
        &script,
        &[("PREP", prep.path()), ("OUT", out.path())],
        mnt.path(),
        &Runtime::new(),
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
