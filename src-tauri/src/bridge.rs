//! The one adapter from engine events to the outside: a [`Channel`] per window that
//! subscribed, and desktop notifications.
//!
//! The engine already batches progress (one event per tick), so events are forwarded as they
//! come. A subscriber that falls behind the engine's broadcast buffer gets a fresh snapshot of
//! every job instead of the events it missed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use ferry_engine::{Engine, EngineEvent, JobInfo};
use serde::Serialize;
use tauri::async_runtime::JoinHandle;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime};
use tokio::sync::broadcast::error::RecvError;

use crate::notify::{notice_for, Notifier};
use crate::settings::SettingsFile;

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

/// The event streams open to windows: at most one per webview, so a reloaded page that
/// subscribes again replaces its old stream instead of adding a second one.
#[derive(Default)]
pub struct Subscriptions {
    by_webview: Mutex<HashMap<String, JoinHandle<()>>>,
}

impl Subscriptions {
    /// Starts forwarding engine events to `channel` and returns the jobs as they are now.
    /// The stream starts before the snapshot is taken, so no change falls between the two;
    /// an event may repeat what the snapshot already shows, which is harmless because events
    /// carry whole jobs.
    pub fn subscribe(
        &self,
        engine: &Engine,
        webview: &str,
        channel: Channel<UiEvent>,
    ) -> Vec<JobInfo> {
        let events = engine.subscribe();
        let snapshot = engine.list();
        let stream = tauri::async_runtime::spawn(forward(engine.clone(), events, channel));
        let replaced = self
            .by_webview
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(webview.to_owned(), stream);
        if let Some(old) = replaced {
            old.abort();
        }
        snapshot
    }
}

async fn forward(
    engine: Engine,
    mut events: tokio::sync::broadcast::Receiver<EngineEvent>,
    channel: Channel<UiEvent>,
) {
    loop {
        let event = match events.recv().await {
            Ok(event) => UiEvent::Engine(Box::new(event)),
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "the window fell behind the engine; sending a fresh snapshot"
                );
                UiEvent::Shell(ShellEvent::Snapshot {
                    jobs: engine.list(),
                })
            }
            Err(RecvError::Closed) => return,
        };
        if let Err(error) = channel.send(event) {
            tracing::debug!("the window's event channel is gone: {error}");
            return;
        }
    }
}

/// Shows a desktop notification for every engine event that calls for one, as the settings
/// and each job's notify flags allow.
pub fn spawn_notifications<R: Runtime>(
    app: AppHandle<R>,
    engine: Engine,
    settings: Arc<SettingsFile>,
) {
    let mut events = engine.subscribe();
    let notifier = Notifier::new(app, engine);
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Some(notice) = notice_for(&event, &settings.current()) {
                        notifier.show(notice);
                    }
                }
                Err(RecvError::Lagged(missed)) => tracing::warn!(
                    missed,
                    "notifications fell behind; some events were skipped"
                ),
                Err(RecvError::Closed) => return,
            }
        }
    });
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
    }
}
