//! The window's connection to the owner of the queue: found or started at launch, and found
//! or started again if the owner goes away (stopped, crashed or killed), so the window carries
//! on with the same queue, unless the owner said Ferry quits (Quit in the tray): then
//! [`OwnerLink::quitting`] tells the window to close. The first subscription is made at once
//! (see [`crate::prefetch`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use ferry_owner::launch::{self, Started};
use ferry_owner::{ApiError, Call, Client, OwnerEvent, OwnerNotice};
use serde::de::DeserializeOwned;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;

use crate::prefetch::{FirstJobs, PrefetchSlot, Prefetched};

/// Pause between attempts to reach an owner that went away.
const RECONNECT_PAUSE: Duration = Duration::from_millis(500);

/// The connection to the owner, replaced when the owner comes back after going away.
pub struct OwnerLink {
    data_dir: PathBuf,
    program: PathBuf,
    client: RwLock<Client>,
    /// Counts connections; subscribers follow it to subscribe again after a reconnection.
    generation: watch::Sender<u64>,
    /// Becomes true when the owner says Ferry quits: the owner going away is then expected,
    /// not a reason to start another.
    quitting: watch::Sender<bool>,
    /// The subscription made at connect, until the page's first subscription takes it.
    prefetched: PrefetchSlot,
}

impl OwnerLink {
    /// Connects to the owner of `data_dir`, starting `program service` when none runs.
    pub async fn connect(data_dir: &Path, program: &Path) -> Result<Arc<OwnerLink>, ApiError> {
        let (client, _) = launch::connect_or_start(data_dir, program).await?;
        let (prefetched, mut filling) = PrefetchSlot::being_filled();
        let link = Arc::new(OwnerLink {
            data_dir: data_dir.to_owned(),
            program: program.to_owned(),
            client: RwLock::new(client.clone()),
            generation: watch::Sender::new(0),
            quitting: watch::Sender::new(false),
            prefetched,
        });
        let subscriber = Arc::clone(&link);
        tokio::spawn(async move {
            match client.subscribe().await {
                Ok((jobs, events)) => {
                    Arc::clone(&subscriber).watch_for_quit(client, events.resubscribe());
                    *filling = Some(Prefetched {
                        generation: 0,
                        jobs,
                        events,
                    });
                }
                Err(error) => tracing::warn!("cannot follow the owner's events: {error}"),
            }
        });
        tokio::spawn(Arc::clone(&link).keep_connected());
        Ok(link)
    }

    /// The queue's first `count` jobs from the subscription made at connect, while the page
    /// has not taken it yet; None otherwise (the page then waits for its subscription).
    pub async fn first_jobs(&self, count: usize) -> Option<FirstJobs> {
        let generation = *self.generation.borrow();
        self.prefetched.first(count, generation).await
    }

    /// Every job now (as the page's JSON), and from then on every event: the subscription
    /// made at connect the first time, a new one afterwards.
    pub async fn subscribe(&self) -> Result<(String, broadcast::Receiver<OwnerEvent>), ApiError> {
        let generation = *self.generation.borrow();
        if let Some(prefetched) = self.prefetched.take(generation).await {
            return prefetched.into_answer();
        }
        let (jobs, events) = self.client().subscribe().await?;
        Prefetched {
            generation,
            jobs,
            events,
        }
        .into_answer()
    }

    /// Waits until the owner says Ferry quits (Quit in the tray); never returns otherwise.
    pub async fn quitting(&self) {
        let mut quitting = self.quitting.subscribe();
        if quitting.wait_for(|quitting| *quitting).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Subscribes `client` to the owner's events and watches them for
    /// [`OwnerNotice::Quitting`]. (The window's own subscriptions share the connection's events.)
    async fn listen_for_quit(self: Arc<Self>, client: Client) {
        match client.subscribe().await {
            Ok((_, events)) => self.watch_for_quit(client, events),
            Err(error) => tracing::warn!("cannot follow the owner's events: {error}"),
        }
    }

    /// Watches `events` of `client`'s connection for [`OwnerNotice::Quitting`].
    fn watch_for_quit(
        self: Arc<Self>,
        client: Client,
        mut events: broadcast::Receiver<OwnerEvent>,
    ) {
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    biased;
                    event = events.recv() => match event {
                        Ok(OwnerEvent::Owner(OwnerNotice::Quitting)) => {
                            tracing::info!("the owner says Ferry quits");
                            self.quitting.send_replace(true);
                            return;
                        }
                        Ok(_) | Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return,
                    },
                    () = client.closed() => return,
                }
            }
        });
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

    async fn keep_connected(self: Arc<Self>) {
        loop {
            self.client().closed().await;
            // A Quit's `quitting` comes just before the connection closes: give it the time to
            // be read before starting another owner.
            if tokio::time::timeout(RECONNECT_PAUSE, self.quitting())
                .await
                .is_ok()
            {
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
                tracing::info!("started the owner again");
            }
            *self.client.write().unwrap_or_else(PoisonError::into_inner) = client.clone();
            Arc::clone(&self).listen_for_quit(client).await;
            self.generation.send_modify(|generation| *generation += 1);
            tracing::info!("reconnected to the owner");
        }
    }
}
