//! Pause all and Resume all, each one step over the whole queue: the job table stays locked
//! from the first job to the last, so the scheduler cannot start a job the sweep is about to
//! suspend (or run a pass on half a sweep); the changes are committed in one transaction and
//! announced after it, as every other change is (see `core`).
//!
//! - Pause all stops the jobs that are moving or waiting to move: QUEUED, CONNECTING,
//!   TRANSFERRING and TRANSIENT_ERROR. A TRANSFERRED job waits for Complete and a job in ERROR
//!   waits for a fix; neither is touched.
//! - Resume all resumes the SUSPENDED jobs that have run before, which are the ones a person
//!   or Pause all stopped. A job never resumed is still being put together by whoever made it
//!   (files added through the API one by one) and stays SUSPENDED; a job in ERROR still needs
//!   its fix.
//! - Complete all ready completes every TRANSFERRED job (the jobs waiting only for Complete)
//!   and counts those a failed rename kept back; a job in ERROR is left for its fix.

use std::sync::atomic::Ordering;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::core::{Inner, JobEntry, Run};
use crate::error::Result;
use crate::event::EngineEvent;
use crate::job::{JobId, JobState};
use crate::record::JobRecord;

/// Whether Pause all stops this job: it is moving or waiting to move.
pub fn pausable(entry: &JobEntry) -> bool {
    matches!(
        entry.record.state,
        JobState::Queued | JobState::Connecting | JobState::Transferring | JobState::TransientError
    )
}

/// Whether Resume all resumes this job: SUSPENDED, with files, and resumed at least once.
pub fn resumable(entry: &JobEntry) -> bool {
    entry.record.state == JobState::Suspended
        && entry.record.ever_resumed
        && !entry.record.files.is_empty()
}

impl Inner {
    /// Applies `change` to every job `picked` chooses, as one step: the job table stays locked
    /// throughout and the changes are saved in one transaction; returns how many jobs changed
    /// state. A job that refuses the change is left as it was. If the store cannot save the
    /// changes, every job is left exactly as it was (a transfer the change would stop goes on)
    /// and the store's error is returned.
    pub fn change_all(
        &self,
        picked: impl Fn(&JobEntry) -> bool,
        change: impl Fn(&Inner, &mut JobEntry, u64) -> Result<()>,
    ) -> Result<u32> {
        let mut table = self.table();
        let ids: Vec<JobId> = table
            .entries
            .values()
            .filter(|entry| picked(entry))
            .map(|entry| entry.record.id)
            .collect();
        let mut changed: Vec<Undo> = Vec::new();
        for id in ids {
            let turn = table.take_turn();
            let Some(entry) = table.entries.get_mut(&id) else {
                continue;
            };
            let undo = Undo::prepare(entry);
            match change(self, entry, turn) {
                Ok(()) if entry.record != undo.before => changed.push(undo),
                Ok(()) => undo.revert(entry),
                Err(error) => {
                    tracing::warn!(%id, "the job refused a change of the whole queue: {error}");
                    undo.revert(entry);
                }
            }
        }
        let saved = self.store().save_jobs(
            changed
                .iter()
                .filter_map(|undo| table.entries.get(&undo.before.id))
                .map(|entry| &entry.record),
        );
        if let Err(error) = saved {
            tracing::error!("cannot commit a change of the whole queue: {error}");
            for undo in changed {
                if let Some(entry) = table.entries.get_mut(&undo.before.id) {
                    undo.revert(entry);
                }
            }
            return Err(error);
        }
        let mut moved = 0u32;
        let mut events = Vec::with_capacity(changed.len());
        for undo in changed {
            let Some(entry) = table.entries.get_mut(&undo.before.id) else {
                continue;
            };
            let from = undo.before.state;
            undo.keep(entry);
            entry.unsaved = false;
            if entry.record.state != from {
                moved += 1;
                events.push(EngineEvent::StateChanged {
                    job: entry.info(),
                    from,
                });
            } else {
                events.push(EngineEvent::JobModified { job: entry.info() });
            }
        }
        drop(table);
        for event in events {
            let _ = self.events.send(event);
        }
        self.wake.notify_one();
        Ok(moved)
    }
}

/// What a job was before a change of the whole queue, so that the change can be taken back
/// until it is saved. The job's transfer, if it runs, is stopped only once the change is
/// saved: until then the change stops a stand-in.
struct Undo {
    before: JobRecord,
    run: Option<(u64, Instant, CancellationToken)>,
    retry_at: Option<Instant>,
    stalled_since: Option<Instant>,
    turn: u64,
    live_file: u64,
}

impl Undo {
    fn prepare(entry: &mut JobEntry) -> Undo {
        let run = entry.run.as_mut().map(|run| {
            let stand_in = CancellationToken::new();
            (
                run.id,
                run.started,
                std::mem::replace(&mut run.cancel, stand_in),
            )
        });
        Undo {
            before: entry.record.clone(),
            run,
            retry_at: entry.retry_at,
            stalled_since: entry.stalled_since,
            turn: entry.turn,
            live_file: entry.live.file.load(Ordering::Acquire),
        }
    }

    /// Puts the job back as it was, its transfer (if any) still running.
    fn revert(self, entry: &mut JobEntry) {
        if let Some((id, started, cancel)) = self.run {
            entry.run = Some(Run {
                id,
                cancel,
                started,
            });
        }
        entry.record = self.before;
        entry.retry_at = self.retry_at;
        entry.stalled_since = self.stalled_since;
        entry.turn = self.turn;
        entry.live.file.store(self.live_file, Ordering::Release);
    }

    /// The change is saved: the transfer it stopped stops for real.
    fn keep(self, entry: &mut JobEntry) {
        let Some((id, _, cancel)) = self.run else {
            return;
        };
        match entry.run.as_mut() {
            Some(run) if run.id == id => run.cancel = cancel,
            _ => cancel.cancel(),
        }
    }
}

/// Whether Complete all ready completes this job: TRANSFERRED, every file there.
pub fn ready_to_complete(entry: &JobEntry) -> bool {
    entry.record.state == JobState::Transferred
}

/// What Complete all ready did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CompleteAllOutcome {
    /// Jobs completed: their files are in place and they left the queue (ACKNOWLEDGED).
    pub completed: u32,
    /// TRANSFERRED jobs a failed rename kept in the queue (a file that exists is never
    /// replaced); each still needs its own Complete once the cause is fixed.
    pub not_completed: u32,
}
