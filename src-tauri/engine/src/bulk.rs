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

use crate::core::{Inner, JobEntry};
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
    /// Applies `change` to every job `picked` chooses, as one step; returns how many jobs
    /// changed state. A job that refuses the change is left as it was. If the store cannot
    /// save the changes, none is kept and the store's error is returned.
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
        let mut changed: Vec<(JobId, JobRecord)> = Vec::new();
        for id in ids {
            let turn = table.take_turn();
            let Some(entry) = table.entries.get_mut(&id) else {
                continue;
            };
            let before = entry.record.clone();
            match change(self, entry, turn) {
                Ok(()) if entry.record != before => changed.push((id, before)),
                Ok(()) => {}
                Err(error) => {
                    tracing::warn!(%id, "the job refused a change of the whole queue: {error}");
                    entry.record = before;
                }
            }
        }
        let saved = self.store().save_jobs(
            changed
                .iter()
                .filter_map(|(id, _)| table.entries.get(id))
                .map(|entry| &entry.record),
        );
        let mut events = Vec::new();
        if let Err(error) = saved {
            tracing::error!("cannot commit a change of the whole queue: {error}");
            for (id, before) in changed {
                if let Some(entry) = table.entries.get_mut(&id) {
                    entry.record = before;
                    events.extend(self.hold_unsaved(entry, &error));
                }
            }
            self.announce(events);
            return Err(error);
        }
        let mut moved = 0u32;
        for (id, before) in &changed {
            let Some(entry) = table.entries.get_mut(id) else {
                continue;
            };
            entry.unsaved = false;
            if entry.record.state != before.state {
                moved += 1;
                events.push(EngineEvent::StateChanged {
                    job: entry.info(),
                    from: before.state,
                });
            } else {
                events.push(EngineEvent::JobModified { job: entry.info() });
            }
        }
        self.announce(events);
        Ok(moved)
    }

    fn announce(&self, events: Vec<EngineEvent>) {
        for event in events {
            let _ = self.events.send(event);
        }
        self.wake.notify_one();
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
