//! The notify command line (SetNotifyCmdLine): when a job reaches TRANSFERRED or ERROR, run the
//! job's program with its arguments (argv, no shell, no variable expansion). While the program
//! exits non-zero and the job has neither been completed nor cancelled nor left that state, it
//! runs again after the job's minimum retry delay.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use crate::core::Inner;
use crate::event::EngineEvent;
use crate::job::{notify_flags, JobId, JobInfo, JobState};

/// Watches the engine's events and runs notify commands.
pub async fn run(inner: Arc<Inner>) {
    let mut events = inner.events.subscribe();
    // Jobs that reached TRANSFERRED or ERROR before a restart still get their program run.
    let pending: Vec<JobInfo> = inner
        .table()
        .entries
        .values()
        .filter(|e| {
            e.record.notify_pending
                && matches!(e.record.state, JobState::Transferred | JobState::Error)
        })
        .map(|e| e.info())
        .collect();
    for job in pending {
        launch(&inner, job);
    }
    loop {
        let event = tokio::select! {
            _ = inner.shutdown.cancelled() => return,
            event = events.recv() => event,
        };
        match event {
            Ok(EngineEvent::StateChanged { job, .. })
                if matches!(job.state, JobState::Transferred | JobState::Error) =>
            {
                launch(&inner, job);
            }
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => return,
        }
    }
}

fn wanted(job: &JobInfo) -> bool {
    let flag = if job.state == JobState::Transferred {
        notify_flags::JOB_TRANSFERRED
    } else {
        notify_flags::JOB_ERROR
    };
    job.settings.notify_command.is_some() && job.settings.wants(flag)
}

fn launch(inner: &Arc<Inner>, job: JobInfo) {
    if !wanted(&job) {
        return;
    }
    let inner2 = inner.clone();
    inner.tasks.spawn(async move {
        let state = job.state;
        loop {
            let Some(current) = still_waiting(&inner2, job.id, state) else { return };
            let Some(command) = current.settings.notify_command.clone() else { return };
            let status = tokio::process::Command::new(&command.program)
                .args(&command.args)
                .kill_on_drop(true)
                .status();
            let succeeded = tokio::select! {
                _ = inner2.shutdown.cancelled() => return,
                status = status => match status {
                    Ok(status) => status.success(),
                    Err(error) => {
                        tracing::warn!(id = %job.id, program = %command.program.display(), "cannot run the notify command: {error}");
                        false
                    }
                },
            };
            if succeeded {
                let _ = inner2.quiet_change(job.id, |entry| {
                    entry.record.notify_pending = false;
                    Ok(())
                });
                return;
            }
            let delay = Duration::from_secs(u64::from(current.settings.minimum_retry_delay_secs));
            tokio::select! {
                _ = inner2.shutdown.cancelled() => return,
                _ = tokio::time::sleep(delay) => {}
            }
        }
    });
}

fn still_waiting(inner: &Inner, id: JobId, state: JobState) -> Option<JobInfo> {
    let table = inner.table();
    let entry = table.entries.get(&id)?;
    (entry.record.state == state).then(|| entry.info())
}
