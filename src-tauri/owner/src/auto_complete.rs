//! Auto-complete: the owner completes a download whose `auto_complete` property is on as soon
//! as it is TRANSFERRED, window or not, then announces where its files are (see
//! [`crate::notify::delivered`]). At start it completes such jobs that were already TRANSFERRED
//! (the owner stopped between the two). A Complete whose renames fail leaves the job
//! TRANSFERRED, as any Complete does, and the job's own notification says it waits.

use std::sync::Arc;

use ferry_engine::{Engine, EngineEvent, JobInfo, JobState};
use tokio::sync::broadcast::error::RecvError;

use crate::notify::{announces_delivery, completes_by_itself, delivered, Notifier};
use crate::settings::SettingsFile;

/// Completes auto-complete downloads as they become TRANSFERRED, until the engine stops.
pub fn spawn(engine: Engine, settings: Arc<SettingsFile>, notifier: Notifier) {
    let mut events = engine.subscribe();
    let notifier = Arc::new(notifier);
    tokio::spawn(async move {
        for job in engine.list() {
            if is_ready(&job) {
                complete(&engine, &settings, &notifier, job).await;
            }
        }
        loop {
            match events.recv().await {
                Ok(EngineEvent::StateChanged { job, .. }) if is_ready(&job) => {
                    complete(&engine, &settings, &notifier, job).await;
                }
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "auto-complete fell behind; looking at every job");
                    for job in engine.list().into_iter().filter(is_ready) {
                        complete(&engine, &settings, &notifier, job).await;
                    }
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}

fn is_ready(job: &JobInfo) -> bool {
    job.state == JobState::Transferred && completes_by_itself(job)
}

/// Completes `job` (renames block: off the async threads) and announces its files.
async fn complete(engine: &Engine, settings: &SettingsFile, notifier: &Notifier, job: JobInfo) {
    let id = job.id;
    let handle = engine.clone();
    let done = tokio::task::spawn_blocking(move || handle.complete(id)).await;
    match done {
        Ok(Ok(outcome)) if outcome.rename_failures.is_empty() => {
            tracing::info!(%id, kept = outcome.kept.len(), "completed by itself");
            let current = settings.current();
            if announces_delivery(&job, &current) {
                if let Some(notice) = delivered(&job, &outcome.kept, current.language.locale()) {
                    notifier.show(notice);
                }
            }
        }
        Ok(Ok(outcome)) => tracing::warn!(
            %id,
            failed = outcome.rename_failures.len(),
            "auto-complete could not put every file in place; the job waits for Complete"
        ),
        Ok(Err(error)) => tracing::info!(%id, "auto-complete did not complete the job: {error}"),
        Err(error) => tracing::warn!(%id, "auto-complete stopped: {error}"),
    }
}
