//! `ferry-transfer`: Ferry's engine from the command line, without a window.
//!
//! ```text
//! ferry-transfer get      [OPTIONS] URL PATH        download one file, complete, exit
//! ferry-transfer get-list [OPTIONS] LIST FOLDER     one job with every URL of LIST (one per line)
//! ferry-transfer run      OPTIONS                   run the queue until every job is TRANSFERRED
//! ferry-transfer complete OPTIONS                   complete every TRANSFERRED job of the store
//!
//! OPTIONS: --data-dir DIR     where the job store lives (required for `run`)
//!          --policies FILE    BITS policies as JSON, e.g. {"MaxInternetBandwidth": {...}}
//!          --checksum ALGO:HEX (get only) the file must match this sha256/sha512/sha1/md5
//!                             checksum (or SRI form ALGO-BASE64), else nothing is kept
//! ```
//! `get` and `get-list` behave like `bitsadmin /transfer`: the job is completed when it is
//! transferred and cancelled on a fatal error or on Ctrl-C/SIGTERM. Without `--data-dir` they
//! keep their job in a fresh private folder (0700, never reused) that is removed when they end,
//! however they end short of SIGKILL. `run` prints one line per state change:
//! `TIME JOB STATE [ERROR]`, the time in UTC; it ends quietly when its output is closed. Exit
//! status 0 on success, 1 on failure, 2 on wrong usage.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ferry_engine::{
    CompleteOutcome, Config, Engine, EngineEvent, FileSpec, JobId, JobInfo, JobState, JobType,
    Policies, Priority,
};
use tokio::signal::unix::{signal, Signal, SignalKind};

const USAGE: &str =
    "usage: ferry-transfer get [--data-dir DIR] [--policies FILE] [--checksum ALGO:HEX] URL PATH
       ferry-transfer get-list [--data-dir DIR] [--policies FILE] LIST FOLDER
       ferry-transfer run --data-dir DIR [--policies FILE]
       ferry-transfer complete --data-dir DIR";

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match Command::parse(&args) {
        Ok(command) => command,
        Err(Some(problem)) => {
            eprintln!("ferry-transfer: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
        Err(None) => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ferry-transfer: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(command.execute()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ferry-transfer: {message}");
            ExitCode::FAILURE
        }
    }
}

enum Action {
    Get {
        url: String,
        path: PathBuf,
        checksum: Option<String>,
    },
    GetList {
        list: PathBuf,
        folder: PathBuf,
    },
    Run,
    Complete,
}

struct Command {
    data_dir: Option<PathBuf>,
    policies: Option<PathBuf>,
    action: Action,
}

impl Command {
    /// The command `args` ask for; `Err(Some(problem))` for arguments that are wrong in a way
    /// worth a sentence, `Err(None)` for plain wrong usage.
    fn parse(args: &[String]) -> Result<Command, Option<String>> {
        let (verb, rest) = args.split_first().ok_or(None)?;
        let mut data_dir = None;
        let mut policies = None;
        let mut checksum = None;
        let mut positional = Vec::new();
        let mut iter = rest.iter();
        while let Some(arg) = iter.next() {
            if arg == "--data-dir" {
                let dir = iter.next().ok_or(None)?;
                if dir.is_empty() {
                    return Err(Some(
                        "--data-dir is empty; give the folder for the job store (an empty path \
                         would mean the current folder)"
                            .to_owned(),
                    ));
                }
                data_dir = Some(PathBuf::from(dir));
            } else if arg == "--policies" {
                policies = Some(PathBuf::from(iter.next().ok_or(None)?));
            } else if arg == "--checksum" {
                let value = iter.next().ok_or(None)?;
                ferry_engine::integrity::Digest::parse_checksum(value).map_err(Some)?;
                checksum = Some(value.clone());
            } else {
                positional.push(arg.clone());
            }
        }
        let action = match (verb.as_str(), positional.as_slice()) {
            ("get", [url, path]) => Action::Get {
                url: url.clone(),
                path: destination_file(path)?,
                checksum: checksum.take(),
            },
            ("get-list", [list, folder]) => Action::GetList {
                list: PathBuf::from(list),
                folder: absolute(folder),
            },
            ("run", []) if data_dir.is_some() => Action::Run,
            ("complete", []) if data_dir.is_some() => Action::Complete,
            _ => return Err(None),
        };
        if checksum.is_some() {
            return Err(Some("--checksum goes with get only".to_owned()));
        }
        Ok(Command {
            data_dir,
            policies,
            action,
        })
    }

    async fn execute(self) -> Result<(), String> {
        // Registered before anything is created, so a signal always finds the handlers.
        let mut stop = Interrupts::register()?;
        let scratch = match &self.data_dir {
            Some(_) => None,
            None => Some(
                tempfile::Builder::new()
                    .prefix("ferry-transfer-")
                    .permissions(std::fs::Permissions::from_mode(0o700))
                    .tempdir()
                    .map_err(|e| {
                        format!("cannot create a scratch folder for the job store: {e}")
                    })?,
            ),
        };
        let data_dir = match (&self.data_dir, &scratch) {
            (Some(dir), _) => dir.clone(),
            (None, Some(scratch)) => scratch.path().to_owned(),
            (None, None) => return Err("no data folder".to_owned()),
        };
        let mut config = Config::default();
        if let Some(path) = &self.policies {
            config.policies = read_policies(path)?;
        }
        if let Action::GetList { list, .. } = &self.action {
            let count = read_list(list)?.len() as u32;
            config.policies.max_files_per_job = config.policies.max_files_per_job.max(count);
        }
        let engine = Engine::open(config, &data_dir)
            .await
            .map_err(|e| e.to_string())?;
        let outcome = self.action.perform(&engine, &mut stop).await;
        engine.shutdown().await;
        if let Some(scratch) = scratch {
            if let Err(e) = scratch.close() {
                eprintln!("ferry-transfer: cannot remove the scratch folder: {e}");
            }
        }
        outcome
    }
}

/// Ctrl-C (SIGINT) and SIGTERM, caught so that `get` can cancel its job and clean up, and
/// `run` can stop the engine cleanly.
struct Interrupts {
    interrupt: Signal,
    terminate: Signal,
}

impl Interrupts {
    fn register() -> Result<Interrupts, String> {
        let handler = |kind| signal(kind).map_err(|e| format!("cannot handle signals: {e}"));
        Ok(Interrupts {
            interrupt: handler(SignalKind::interrupt())?,
            terminate: handler(SignalKind::terminate())?,
        })
    }

    /// Resolves with the signal's name when one arrives.
    async fn received(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "Ctrl-C",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }
}

impl Action {
    async fn perform(&self, engine: &Engine, stop: &mut Interrupts) -> Result<(), String> {
        match self {
            Action::Get {
                url,
                path,
                checksum,
            } => {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                refuse_existing(std::iter::once(path.as_path()))?;
                let mut events = engine.subscribe();
                engine.run();
                let id = match checksum {
                    None => engine.download(&name, url, path, Priority::Foreground),
                    Some(checksum) => download_checked(engine, &name, url, path, checksum),
                }
                .map_err(|e| e.to_string())?;
                finish(engine, &mut events, id, stop).await
            }
            Action::GetList { list, folder } => {
                let urls = read_list(list)?;
                let mut files = Vec::with_capacity(urls.len());
                for url in urls {
                    files.push(FileSpec {
                        local_path: folder.join(file_name_of(&url)),
                        remote_url: url,
                    });
                }
                refuse_existing(files.iter().map(|f| f.local_path.as_path()))?;
                let mut events = engine.subscribe();
                engine.run();
                let id = engine
                    .create_job("list", JobType::Download)
                    .map_err(|e| e.to_string())?;
                let made = engine
                    .set_priority(id, Priority::Foreground)
                    .and_then(|_| engine.add_files(id, files))
                    .and_then(|_| engine.resume(id));
                if let Err(error) = made {
                    let _ = engine.cancel(id);
                    return Err(error.to_string());
                }
                finish(engine, &mut events, id, stop).await
            }
            Action::Complete => complete_transferred(engine),
            Action::Run => tokio::select! {
                ran = run_queue(engine) => match ran {
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                    Err(e) => Err(format!("cannot write the state lines: {e}")),
                    Ok(outcome) => outcome,
                },
                signal = stop.received() => Err(format!("stopped by {signal}; progress was saved")),
            },
        }
    }
}

/// Like [`Engine::download`], with the checksum the file must match set before it starts.
fn download_checked(
    engine: &Engine,
    name: &str,
    url: &str,
    path: &Path,
    checksum: &str,
) -> ferry_engine::Result<JobId> {
    let id = engine.create_job(name, JobType::Download)?;
    let file = FileSpec {
        remote_url: url.to_owned(),
        local_path: path.to_owned(),
    };
    let made = engine
        .set_priority(id, Priority::Foreground)
        .and_then(|_| engine.add_file(id, file))
        .and_then(|_| engine.set_checksum(id, 0, Some(checksum)))
        .and_then(|_| engine.resume(id));
    if let Err(error) = made {
        let _ = engine.cancel(id);
        return Err(error);
    }
    Ok(id)
}

/// Completes every TRANSFERRED job of the store; the first job whose files cannot all be put
/// in place ends it with an error.
fn complete_transferred(engine: &Engine) -> Result<(), String> {
    let transferred = engine
        .list()
        .into_iter()
        .filter(|j| j.state == JobState::Transferred);
    for job in transferred {
        let outcome = engine.complete(job.id).map_err(|e| e.to_string())?;
        if outcome.state != JobState::Acknowledged {
            return Err(format!("job {}: {}", job.id, rename_failures(&outcome)));
        }
    }
    Ok(())
}

/// Runs the queue until every job is TRANSFERRED (or one fails), printing every state change;
/// an error writing the output (its reader went away) ends it.
async fn run_queue(engine: &Engine) -> std::io::Result<Result<(), String>> {
    let mut events = engine.subscribe();
    for job in engine.list() {
        print_state(&job)?;
    }
    engine.run();
    loop {
        let jobs = engine.list();
        let ended = if jobs.iter().all(|j| j.state == JobState::Transferred) {
            Some(Ok(()))
        } else {
            jobs.iter()
                .find(|j| j.state == JobState::Error)
                .map(|job| Err(format!("job {} failed: {:?}", job.id, job.error)))
        };
        if let Some(outcome) = ended {
            // The changes that led here are printed too, even those not read yet.
            while let Ok(event) = events.try_recv() {
                if let EngineEvent::StateChanged { job, .. } = event {
                    print_state(&job)?;
                }
            }
            return Ok(outcome);
        }
        if let Ok(EngineEvent::StateChanged { job, .. }) = events.recv().await {
            print_state(&job)?;
        }
    }
}

/// Waits for TRANSFERRED (then completes) or ERROR (then cancels, like `bitsadmin /transfer`);
/// on Ctrl-C or SIGTERM cancels the job, so its temporary files go too.
async fn finish(
    engine: &Engine,
    events: &mut tokio::sync::broadcast::Receiver<EngineEvent>,
    id: JobId,
    stop: &mut Interrupts,
) -> Result<(), String> {
    tokio::select! {
        outcome = wait_for_end(engine, events, id) => outcome,
        signal = stop.received() => {
            let cancelled = engine.cancel(id).map_err(|e| e.to_string());
            Err(match cancelled {
                Ok(_) => format!("stopped by {signal}; the download was cancelled"),
                Err(e) => format!("stopped by {signal}; the download could not be cancelled: {e}"),
            })
        }
    }
}

/// Why Complete could not put files in place, one sentence per file.
fn rename_failures(outcome: &CompleteOutcome) -> String {
    let reasons: Vec<&str> = outcome
        .rename_failures
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    reasons.join("; ")
}

/// Refuses, before anything is downloaded, destinations that already exist: the command line
/// never replaces a file (Complete would leave it alone and the download would be wasted).
fn refuse_existing<'a>(mut paths: impl Iterator<Item = &'a Path>) -> Result<(), String> {
    match paths.find(|path| std::fs::symlink_metadata(path).is_ok()) {
        Some(path) => Err(format!(
            "{} already exists; ferry-transfer never replaces a file: move it away or give \
             another path",
            path.display()
        )),
        None => Ok(()),
    }
}

/// Waits for TRANSFERRED (then completes) or ERROR (then cancels).
async fn wait_for_end(
    engine: &Engine,
    events: &mut tokio::sync::broadcast::Receiver<EngineEvent>,
    id: JobId,
) -> Result<(), String> {
    loop {
        let job = engine.get(id).map_err(|e| e.to_string())?;
        match job.state {
            JobState::Transferred => {
                let outcome = engine.complete(id).map_err(|e| e.to_string())?;
                return if outcome.state == JobState::Acknowledged {
                    Ok(())
                } else {
                    let _ = engine.cancel(id);
                    Err(format!(
                        "cannot put the files in place: {}",
                        rename_failures(&outcome)
                    ))
                };
            }
            JobState::Error => {
                let error = job
                    .error
                    .map(|e| format!("{} ({})", e.description, e.code_name))
                    .unwrap_or_default();
                let _ = engine.cancel(id);
                return Err(error);
            }
            _ => {}
        }
        let _ = events.recv().await;
    }
}

/// One line for a job's state: `TIME JOB STATE [ERROR]`.
fn print_state(job: &JobInfo) -> std::io::Result<()> {
    let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let error = match (&job.error, job.state) {
        (Some(error), JobState::Error | JobState::TransientError) => {
            format!(" {}", error.code_name)
        }
        _ => String::new(),
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{time} {} {}{error}", job.id, job.state)?;
    out.flush()
}

fn read_policies(path: &Path) -> Result<Policies, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Policies::from_json(&text)
        .map_err(|e| format!("{} does not hold valid policies: {e}", path.display()))
}

fn read_list(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

/// The file `get` writes: `path` made absolute; refused when it names a folder rather than a
/// file (`/`, `dir/`, `.`, an existing folder).
fn destination_file(path: &str) -> Result<PathBuf, Option<String>> {
    let absolute = absolute(path);
    let folder = path.ends_with('/')
        || absolute.file_name().is_none()
        || path
            .rsplit('/')
            .next()
            .is_some_and(|last| last == "." || last == "..")
        || absolute.is_dir();
    if folder {
        return Err(Some(format!(
            "the destination {path} is a folder, not a file name: give the path of the file \
             to write, such as {}",
            absolute.join("NAME").display()
        )));
    }
    Ok(absolute)
}

/// The name a list entry's file gets: the last segment of the URL's path (never its query or
/// fragment), or `index.html` when the path ends in `/`.
fn file_name_of(url: &str) -> String {
    let segment = match url::Url::parse(url) {
        Ok(parsed) => parsed
            .path_segments()
            .and_then(|mut segments| segments.next_back())
            .map(str::to_owned),
        Err(_) => url.rsplit('/').next().map(str::to_owned),
    };
    segment
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "index.html".to_owned())
}

fn absolute(path: &str) -> PathBuf {
    let path = PathBuf::from(path);
    if path.is_absolute() {
        path
    } else {
        std::env::current_dir()
            .map(|dir| dir.join(&path))
            .unwrap_or(path)
    }
}
