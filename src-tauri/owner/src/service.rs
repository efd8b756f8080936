//! The owner process: takes the data folder (its lock, then the store), runs the engine,
//! serves the local API, raises the desktop notifications, and stops cleanly on SIGTERM,
//! SIGINT or a [`crate::protocol::Call::Shutdown`].

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferry_engine::Engine;
use tokio::net::UnixListener;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::api_error::ApiError;
use crate::dispatch::Queue;
use crate::endpoint::{prepare_socket_dir, socket_path};
use crate::notify::{notice_for, Notifier, ShowFerry};
use crate::server::OnQuit;
use crate::settings::SettingsFile;

/// A running owner: its queue, where it listens, and how to stop it.
pub struct Owner {
    queue: Queue,
    listener: Option<UnixListener>,
    socket: PathBuf,
    socket_inode: u64,
    stop: CancellationToken,
    on_quit: OnQuit,
}

impl Owner {
    /// Opens the queue of `data_dir` (refused, naming the holder, when another owner has it)
    /// and binds its socket. Nothing runs until [`Owner::serve`].
    pub async fn open(data_dir: &Path) -> Result<Owner, ApiError> {
        let data_dir = std::path::absolute(data_dir)
            .map_err(|e| ApiError::io(format!("cannot find {}", data_dir.display()), &e))?;
        // Nothing in the folder changes before its lock is held (the engine takes it): an
        // unreadable settings file is set aside only once this owner has the folder.
        let (settings, unreadable) = SettingsFile::read(&data_dir);
        let engine = Engine::open(settings.current().engine_config(), &data_dir).await?;
        if let Some(problem) = unreadable {
            settings.set_aside(&problem);
        }
        let settings = Arc::new(settings);
        let socket = socket_path(&data_dir);
        let (listener, socket_inode) = bind(&socket)?;
        Ok(Owner {
            queue: Queue {
                engine,
                settings,
                data_dir,
            },
            listener: Some(listener),
            socket,
            socket_inode,
            stop: CancellationToken::new(),
            on_quit: OnQuit::KeepRunning,
        })
    }

    /// The engine (for the notifications and for tests).
    pub fn engine(&self) -> &Engine {
        &self.queue.engine
    }

    /// Where the API listens.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// What a Quit from the tray does to this owner ([`OnQuit::KeepRunning`] unless set).
    pub fn on_quit(mut self, on_quit: OnQuit) -> Owner {
        self.on_quit = on_quit;
        self
    }

    /// Cancelling this token stops [`Owner::serve`].
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Runs the engine and serves the API until stopped, completing auto-complete downloads
    /// and raising notifications as the settings allow (`show_ferry` is the notifications' "Show Ferry" action); then shuts the
    /// engine down (transfers flush, progress is saved) and removes the socket.
    pub async fn serve(mut self, show_ferry: ShowFerry) {
        spawn_notifications(&self.queue, show_ferry);
        self.queue.engine.run();
        if let Some(listener) = self.listener.take() {
            crate::server::serve(
                listener,
                self.queue.clone(),
                self.stop.clone(),
                self.on_quit,
            )
            .await;
        }
        self.queue.engine.shutdown().await;
        remove_socket(&self.socket, self.socket_inode);
        tracing::info!("the owner stopped");
    }
}

/// Binds the socket (0600). Any file already at the path is a leftover of an owner that
/// ended without cleaning up: this process holds the data folder's lock, so no other owner
/// of this folder runs.
fn bind(socket: &Path) -> Result<(UnixListener, u64), ApiError> {
    let dir = socket.parent().unwrap_or(Path::new("/"));
    prepare_socket_dir(dir)?;
    match std::fs::remove_file(socket) {
        Ok(()) => tracing::info!(socket = %socket.display(), "removed a stale socket"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(ApiError::io(
                format!("cannot remove {}", socket.display()),
                &e,
            ))
        }
    }
    let listener = UnixListener::bind(socket)
        .map_err(|e| ApiError::io(format!("cannot listen on {}", socket.display()), &e))?;
    let private = std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600));
    let inode = std::fs::metadata(socket).map(|m| m.ino());
    match (private, inode) {
        (Ok(()), Ok(inode)) => Ok((listener, inode)),
        (Err(e), _) | (_, Err(e)) => Err(ApiError::io(
            format!("cannot make {} private", socket.display()),
            &e,
        )),
    }
}

/// Removes the socket if it is still the one this owner made.
fn remove_socket(socket: &Path, inode: u64) {
    if std::fs::metadata(socket).is_ok_and(|m| m.ino() == inode) {
        if let Err(error) = std::fs::remove_file(socket) {
            tracing::warn!(socket = %socket.display(), "cannot remove the socket: {error}");
        }
    }
}

fn spawn_notifications(queue: &Queue, show_ferry: ShowFerry) {
    let mut events = queue.engine.subscribe();
    let settings = Arc::clone(&queue.settings);
    crate::auto_complete::spawn(
        queue.engine.clone(),
        Arc::clone(&queue.settings),
        Notifier::new(Arc::clone(&show_ferry), queue.engine.clone()),
    );
    let notifier = Notifier::new(show_ferry, queue.engine.clone());
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Some(notice) = notice_for(&event, &settings.current()) {
                        notifier.show(notice);
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        "notifications fell behind; some events were skipped"
                    )
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}

/// Runs the owner of `data_dir` in this process until SIGTERM, SIGINT or a Shutdown call
/// (what `ferry service` does), or a Quit when `on_quit` says so. Notifications' "Show Ferry"
/// starts the desktop app.
pub async fn run(data_dir: &Path, on_quit: OnQuit) -> Result<(), ApiError> {
    let owner = Owner::open(data_dir).await?.on_quit(on_quit);
    tracing::info!(socket = %owner.socket().display(), pid = std::process::id(), "the owner listens");
    let stop = owner.stop_token();
    tokio::spawn(stop_on_signals(stop));
    owner.serve(Arc::new(open_window)).await;
    Ok(())
}

async fn stop_on_signals(stop: CancellationToken) {
    crate::launch::termination_signal().await;
    stop.cancel();
}

/// Name of the desktop app's program, looked for beside `ferry` and then on the PATH.
pub const DESKTOP_PROGRAM: &str = "ferry-desktop";

/// Environment variable naming the window's program (tests and a source build point it at
/// their binary).
pub const DESKTOP_PROGRAM_VARIABLE: &str = "FERRY_DESKTOP_PROGRAM";

/// Opens Ferry's window: starts the desktop app, which hands over to a running one.
fn open_window() {
    let program = crate::launch::sibling_program(DESKTOP_PROGRAM_VARIABLE, DESKTOP_PROGRAM);
    match std::process::Command::new(&program)
        .stdin(std::process::Stdio::null())
        .spawn()
    {
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(error) => {
            tracing::warn!(program = %program.display(), "cannot open Ferry's window: {error}")
        }
    }
}
