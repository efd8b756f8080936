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
//! ```
//! `get` and `get-list` behave like `bitsadmin /transfer`: the job is completed when it is
//! transferred and cancelled on a fatal error. `run` prints one line per state change:
//! `TIME JOB STATE [ERROR]`, the time in UTC. Exit status 0 on success, 1 on failure, 2 on
//! wrong usage.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ferry_engine::{
    Config, Engine, EngineEvent, FileSpec, JobId, JobInfo, JobState, JobType, Policies, Priority,
};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = Command::parse(&args) else {
        eprintln!("usage: ferry-transfer get [--data-dir DIR] [--policies FILE] URL PATH\n       ferry-transfer get-list [--data-dir DIR] [--policies FILE] LIST FOLDER\n       ferry-transfer run --data-dir DIR [--policies FILE]\n       ferry-transfer complete --data-dir DIR");
        return ExitCode::from(2);
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
    Get { url: String, path: PathBuf },
    GetList { list: PathBuf, folder: PathBuf },
    Run,
    Complete,
}

struct Command {
    data_dir: Option<PathBuf>,
    policies: Option<PathBuf>,
    action: Action,
}

impl Command {
    fn parse(args: &[String]) -> Option<Command> {
        let (verb, rest) = args.split_first()?;
        let mut data_dir = None;
        let mut policies = None;
        let mut positional = Vec::new();
        let mut iter = rest.iter();
        while let Some(arg) = iter.next() {
            if arg == "--data-dir" {
                data_dir = Some(PathBuf::from(iter.next()?));
            } else if arg == "--policies" {
                policies = Some(PathBuf::from(iter.next()?));
            } else {
                positional.push(arg.clone());
            }
        }
        let action = match (verb.as_str(), positional.as_slice()) {
            ("get", [url, path]) => Action::Get {
                url: url.clone(),
                path: absolute(path),
            },
            ("get-list", [list, folder]) => Action::GetList {
                list: PathBuf::from(list),
                folder: absolute(folder),
            },
            ("run", []) if data_dir.is_some() => Action::Run,
            ("complete", []) if data_dir.is_some() => Action::Complete,
            _ => return None,
        };
        Some(Command {
            data_dir,
            policies,
            action,
        })
    }

    async fn execute(self) -> Result<(), String> {
        let scratch = match &self.data_dir {
            Some(_) => None,
            None => {
                Some(std::env::temp_dir().join(format!("ferry-transfer-{}", std::process::id())))
            }
        };
        let data_dir = self
            .data_dir
            .clone()
            .or(scratch.clone())
            .unwrap_or_default();
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
        let outcome = self.action.perform(&engine).await;
        engine.shutdown().await;
        if let Some(scratch) = scratch {
            let _ = std::fs::remove_dir_all(scratch);
        }
        outcome
    }
}

impl Action {
    async fn perform(&self, engine: &Engine) -> Result<(), String> {
        match self {
            Action::Get { url, path } => {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let mut events = engine.subscribe();
                engine.run();
                let id = engine
                    .download(&name, url, path, Priority::Foreground)
                    .map_err(|e| e.to_string())?;
                finish(engine, &mut events, id).await
            }
            Action::GetList { list, folder } => {
                let urls = read_list(list)?;
                let mut files = Vec::with_capacity(urls.len());
                for url in urls {
                    let name = url
                        .rsplit('/')
                        .next()
                        .filter(|n| !n.is_empty())
                        .unwrap_or("index.html");
                    files.push(FileSpec {
                        remote_url: url.clone(),
                        local_path: folder.join(name),
                    });
                }
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
                finish(engine, &mut events, id).await
            }
            Action::Complete => {
                let transferred = engine
                    .list()
                    .into_iter()
                    .filter(|j| j.state == JobState::Transferred);
                for job in transferred {
                    let outcome = engine.complete(job.id).map_err(|e| e.to_string())?;
                    if outcome.state != JobState::Acknowledged {
                        return Err(format!("job {}: {:?}", job.id, outcome.rename_failures));
                    }
                }
                Ok(())
            }
            Action::Run => {
                let mut events = engine.subscribe();
                for job in engine.list() {
                    print_state(&job);
                }
                engine.run();
                loop {
                    let jobs = engine.list();
                    if jobs.iter().all(|j| j.state == JobState::Transferred) {
                        return Ok(());
                    }
                    if let Some(job) = jobs.iter().find(|j| j.state == JobState::Error) {
                        return Err(format!("job {} failed: {:?}", job.id, job.error));
                    }
                    if let Ok(EngineEvent::StateChanged { job, .. }) = events.recv().await {
                        print_state(&job);
                    }
                }
            }
        }
    }
}

/// Waits for TRANSFERRED (then completes) or ERROR (then cancels, like `bitsadmin /transfer`).
async fn finish(
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
                        "cannot put the files in place: {:?}",
                        outcome.rename_failures
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
fn print_state(job: &JobInfo) {
    let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let error = match (&job.error, job.state) {
        (Some(error), JobState::Error | JobState::TransientError) => {
            format!(" {}", error.code_name)
        }
        _ => String::new(),
    };
    println!("{time} {} {}{error}", job.id, job.state);
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
