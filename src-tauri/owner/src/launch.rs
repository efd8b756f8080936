//! Finding the owner of a data folder, and starting one in the background when none runs.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ferry_engine::ErrorCode;

use crate::api_error::ApiError;
use crate::client::Client;
use crate::endpoint::socket_path;

/// How long a client waits for an owner it started to listen.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Environment variable naming the `ferry` program that runs the owner (tests and a source
/// build point it at their binary); by default the `ferry` beside the running program, else
/// the one on the PATH.
pub const PROGRAM_VARIABLE: &str = "FERRY_PROGRAM";

/// `ferry service` flag a client adds when it starts the owner on demand: Quit from the tray
/// then stops that owner too (one started by hand keeps running).
pub const ON_DEMAND_FLAG: &str = "--on-demand";

/// Environment variable naming the data folder (tests point it at a temporary folder).
pub const DATA_DIR_VARIABLE: &str = "FERRY_DATA_DIR";

/// Where Ferry keeps its jobs, settings and logs: `$FERRY_DATA_DIR` when set, else `ferry` in
/// the user's data folder (`~/.local/share/ferry` on Linux).
pub fn data_dir() -> PathBuf {
    match std::env::var_os(DATA_DIR_VARIABLE) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => dirs::data_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("ferry"),
    }
}

/// The `ferry` program that runs `ferry service`.
pub fn ferry_program() -> PathBuf {
    sibling_program(PROGRAM_VARIABLE, "ferry")
}

/// One of Ferry's programs (`ferry`, `ferry-desktop`, `ferry-tray`): the path in the
/// environment variable `variable` when it is set (tests and source builds), else the program
/// `name` beside the running one, else `name` to be found on the PATH.
pub fn sibling_program(variable: &str, name: &str) -> PathBuf {
    if let Some(program) = std::env::var_os(variable).filter(|p| !p.is_empty()) {
        return PathBuf::from(program);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join(name)))
        .filter(|beside| beside.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Waits for SIGTERM (the session ends, `kill`) or SIGINT (Ctrl-C), logging which came; returns
/// at once, with a warning, where the signals cannot be listened for.
pub async fn termination_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut terminate), Ok(mut interrupt)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("cannot listen for termination signals");
        std::future::pending::<()>().await;
        return;
    };
    tokio::select! {
        _ = terminate.recv() => tracing::info!("SIGTERM received"),
        _ = interrupt.recv() => tracing::info!("SIGINT received"),
    }
}

/// Connects to the owner of `data_dir` if one runs.
pub async fn connect(data_dir: &Path) -> std::io::Result<Client> {
    Client::connect(&socket_path(data_dir)).await
}

/// Whether [`connect_or_start`] found the owner running or started it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Started {
    /// It was running.
    Already,
    /// This client started it.
    ByThisClient,
}

/// Connects to the owner of `data_dir`, starting `program service` in the background (in its
/// own process group, so a Ctrl-C meant for the client does not reach it) when none runs, and
/// waiting for it to listen.
pub async fn connect_or_start(
    data_dir: &Path,
    program: &Path,
) -> Result<(Client, Started), ApiError> {
    if let Ok(client) = connect(data_dir).await {
        return Ok((client, Started::Already));
    }
    let data_dir = std::path::absolute(data_dir)
        .map_err(|e| ApiError::io(format!("cannot find {}", data_dir.display()), &e))?;
    tracing::info!(program = %program.display(), data_dir = %data_dir.display(), "starting the owner");
    let mut child = spawn_owner(program, &data_dir)?;
    let deadline = Instant::now() + START_TIMEOUT;
    let mut exited: Option<(Instant, String)> = None;
    loop {
        if let Ok(client) = connect(&data_dir).await {
            let started = if exited.is_some() {
                Started::Already
            } else {
                Started::ByThisClient
            };
            reap_in_background(child);
            return Ok((client, started));
        }
        if exited.is_none() {
            if let Ok(Some(status)) = child.try_wait() {
                let mut why = String::new();
                if let Some(mut stderr) = child.stderr.take() {
                    let _ = stderr.read_to_string(&mut why);
                }
                if why.trim().is_empty() {
                    why = format!("it ended with {status}");
                }
                // Another client may have started an owner at the same moment (this one was
                // then refused the data folder): give that one a moment to listen.
                exited = Some((Instant::now() + Duration::from_secs(3), why));
            }
        }
        let now = Instant::now();
        if let Some((until, why)) = &exited {
            if now > *until {
                return Err(ApiError::new(
                    ErrorCode::E_FAIL,
                    format!("the Ferry owner could not start: {}", why.trim()),
                ));
            }
        } else if now > deadline {
            return Err(ApiError::new(
                ErrorCode::E_FAIL,
                format!(
                    "the Ferry owner started but did not listen within {} s; see ferry.log in {}",
                    START_TIMEOUT.as_secs(),
                    data_dir.display()
                ),
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn spawn_owner(program: &Path, data_dir: &Path) -> Result<Child, ApiError> {
    use std::os::unix::process::CommandExt;
    Command::new(program)
        .arg("service")
        .arg(ON_DEMAND_FLAG)
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| {
            ApiError::io(
                format!("cannot start the Ferry owner ({})", program.display()),
                &e,
            )
        })
}

/// Lets the started owner run on; its exit status is collected so it leaves no zombie.
fn reap_in_background(mut child: Child) {
    // Closing our end of its stderr: the owner logs to its file from now on.
    drop(child.stderr.take());
    let spawned = std::thread::Builder::new()
        .name("ferry-owner-reaper".into())
        .spawn(move || {
            let _ = child.wait();
        });
    if let Err(error) = spawned {
        tracing::debug!("cannot watch the started owner: {error}");
    }
}
