//! The app's connection to the owner of the queue: found or started at launch, and found or
//! started again if the owner goes away (stopped, crashed or killed), so the window and the
//! tray carry on with the same queue.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use ferry_owner::launch::{self, Started};
use ferry_owner::{ApiError, Call, Client};
use serde::de::DeserializeOwned;
use tokio::sync::watch;

/// Pause between attempts to reach an owner that went away.
const RECONNECT_PAUSE: Duration = Duration::from_millis(500);

/// The connection to the owner, replaced when the owner comes back after going away.
pub struct OwnerLink {
    data_dir: PathBuf,
    program: PathBuf,
    client: RwLock<Client>,
    /// Counts connections; subscribers follow it to subscribe again after a reconnection.
    generation: watch::Sender<u64>,
    /// True when this app started the owner it is connected to (Quit then stops it).
    started_owner: AtomicBool,
    /// Set by Quit: the owner going away is then expected, not a reason to start another.
    quitting: AtomicBool,
}

impl OwnerLink {
    /// Connects to the owner of `data_dir`, starting `program service` when none runs.
    pub async fn connect(data_dir: &Path, program: &Path) -> Result<Arc<OwnerLink>, ApiError> {
        let (client, started) = launch::connect_or_start(data_dir, program).await?;
        let link = Arc::new(OwnerLink {
            data_dir: data_dir.to_owned(),
            program: program.to_owned(),
            client: RwLock::new(client),
            generation: watch::Sender::new(0),
            started_owner: AtomicBool::new(started == Started::ByThisClient),
            quitting: AtomicBool::new(false),
        });
        tokio::spawn(Arc::clone(&link).keep_connected());
        Ok(link)
    }

    /// The current connection.
    pub fn client(&self) -> Client {
        self.client
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Makes `call` and reads its answer as `T`.
    pub async fn call<T: DeserializeOwned>(&self, call: Call) -> Result<T, ApiError> {
        self.client().call(call).await
    }

    /// Makes `call`, whose answer carries nothing.
    pub async fn run(&self, call: Call) -> Result<(), ApiError> {
        self.client().call_value(call).await.map(drop)
    }

    /// Follows reconnections: the value changes each time a new connection replaces the old.
    pub fn generations(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// Stops the owner if this app started it (Quit); an owner started otherwise (`ferry
    /// service`, a systemd unit, the command line) keeps running.
    pub async fn stop_started_owner(&self) {
        self.quitting.store(true, Ordering::Relaxed);
        if !self.started_owner.load(Ordering::Relaxed) {
            return;
        }
        let client = self.client();
        match client.call_value(Call::Shutdown).await {
            Ok(_) => {
                let _ = tokio::time::timeout(Duration::from_secs(10), client.closed()).await;
            }
            Err(error) => tracing::warn!("cannot stop the owner: {error}"),
        }
    }

    async fn keep_connected(self: Arc<Self>) {
        loop {
            self.client().closed().await;
            if self.quitting.load(Ordering::Relaxed) {
                return;
            }
            tracing::warn!("the connection to the owner is gone; reconnecting");
            let (client, started) = loop {
                match launch::connect_or_start(&self.data_dir, &self.program).await {
                    Ok(connected) => break connected,
                    Err(error) => {
                        tracing::warn!("cannot reach the owner: {error}");
                        tokio::time::sleep(RECONNECT_PAUSE).await;
                    }
                }
            };
            if started == Started::ByThisClient {
                self.started_owner.store(true, Ordering::Relaxed);
            }
            *self.client.write().unwrap_or_else(PoisonError::into_inner) = client;
            self.generation.send_modify(|generation| *generation += 1);
            tracing::info!("reconnected to the owner");
        }
    }
}
