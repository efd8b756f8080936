//! The one adapter from the owner's event stream to the window: a [`Channel`] per webview
//! that subscribed.
//!
//! The owner already batches progress (one event per tick), so events are forwarded as they
//! come. When the window falls behind, or the connection to the owner is replaced after the
//! owner went away and came back, the window gets a fresh snapshot of every job instead of the
//! events it missed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use ferry_engine::{EngineEvent, JobInfo};
use ferry_owner::{Call, OwnerEvent};
use serde::Serialize;
use tauri::async_runtime::JoinHandle;
use tauri::ipc::Channel;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::owner_link::OwnerLink;
use crate::IpcError;

/// What the window receives on its channel: every engine event, plus the shell's own.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(untagged)]
pub enum UiEvent {
    /// An event from the engine, as it was published.
    Engine(Box<EngineEvent>),
    /// An event the shell adds.
    Shell(ShellEvent),
}

/// Events that come from the shell rather than the engine.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ShellEvent {
    /// The stream skipped events because the window fell behind: these are all the jobs now,
    /// and they replace whatever the window held.
    Snapshot {
        /// Every job in the queue.
        jobs: Vec<JobInfo>,
    },
}

impl UiEvent {
    /// What the page receives for `event`: nothing for news about Ferry as a whole (Quit
    /// closes the window by itself).
    pub fn from_owner(event: OwnerEvent) -> Option<UiEvent> {
        match event {
            OwnerEvent::Engine(event) => Some(UiEvent::Engine(event)),
            OwnerEvent::Snapshot(snapshot) => Some(UiEvent::Shell(ShellEvent::Snapshot {
                jobs: snapshot.jobs,
            })),
            OwnerEvent::Owner(_) => None,
        }
    }
}

/// The event streams open to windows: at most one per webview, so a reloaded page that
/// subscribes again replaces its old stream instead of adding a second one.
#[derive(Default)]
pub struct Subscriptions {
    by_webview: Mutex<HashMap<String, JoinHandle<()>>>,
}

impl Subscriptions {
    /// Starts forwarding the owner's events to `channel` and returns the jobs as they are now,
    /// as JSON. Events that happen while the snapshot is on its way wait in the stream, so none
    /// falls between the two; an event may repeat what the snapshot already shows, which is
    /// harmless because events carry whole jobs.
    pub async fn subscribe(
        &self,
        link: Arc<OwnerLink>,
        webview: &str,
        channel: Channel<UiEvent>,
    ) -> Result<String, IpcError> {
        let generations = link.generations();
        let (snapshot, events) = link.subscribe().await?;
        let stream = tauri::async_runtime::spawn(forward(link, generations, events, channel));
        let replaced = self
            .by_webview
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(webview.to_owned(), stream);
        if let Some(old) = replaced {
            old.abort();
        }
        Ok(snapshot)
    }

    /// Stops the stream of a webview that is gone.
    pub fn forget(&self, webview: &str) {
        let removed = self
            .by_webview
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(webview);
        if let Some(stream) = removed {
            stream.abort();
        }
    }
}

async fn forward(
    link: Arc<OwnerLink>,
    mut generations: tokio::sync::watch::Receiver<u64>,
    mut events: broadcast::Receiver<OwnerEvent>,
    channel: Channel<UiEvent>,
) {
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            changed = generations.changed() => {
                if changed.is_err() {
                    return;
                }
                // A new connection: subscribe on it and replace what the window holds.
                match link.client().subscribe().await {
                    Ok((jobs, fresh)) => {
                        events = fresh;
                        Ok(OwnerEvent::Snapshot(ferry_owner::protocol::Snapshot { jobs }))
                    }
                    Err(error) => {
                        tracing::warn!("cannot follow the owner's events again: {error}");
                        continue;
                    }
                }
            }
        };
        let event = match event {
            Ok(event) => match UiEvent::from_owner(event) {
                Some(event) => event,
                None => continue,
            },
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "the window fell behind the owner; sending a fresh snapshot"
                );
                match link.call(Call::List).await {
                    Ok(jobs) => UiEvent::Shell(ShellEvent::Snapshot { jobs }),
                    Err(error) => {
                        tracing::warn!("cannot list the jobs: {error}");
                        continue;
                    }
                }
            }
            // The connection is gone; the next generation brings a new stream.
            Err(RecvError::Closed) => {
                if generations.changed().await.is_err() {
                    return;
                }
                generations.mark_changed();
                continue;
            }
        };
        if let Err(error) = channel.send(event) {
            tracing::debug!("the window's event channel is gone: {error}");
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_events_keep_their_shape_and_the_snapshot_is_tagged_like_them() {
        let removed = UiEvent::Engine(Box::new(EngineEvent::JobRemoved {
            id: ferry_engine::JobId::new(),
            state: ferry_engine::JobState::Cancelled,
        }));
        let json = serde_json::to_value(&removed).unwrap();
        assert_eq!(json["kind"], "job_removed");
        assert_eq!(json["state"], "CANCELLED");

        let snapshot =
            serde_json::to_value(UiEvent::Shell(ShellEvent::Snapshot { jobs: Vec::new() }))
                .unwrap();
        assert_eq!(
            snapshot,
            serde_json::json!({ "kind": "snapshot", "jobs": [] })
        );
        let from_owner =
            UiEvent::from_owner(OwnerEvent::Snapshot(ferry_owner::protocol::Snapshot {
                jobs: Vec::new(),
            }));
        assert_eq!(serde_json::to_value(from_owner).unwrap(), snapshot);
        let quitting = OwnerEvent::Owner(ferry_owner::OwnerNotice::Quitting);
        assert!(UiEvent::from_owner(quitting).is_none());
    }
}
