//! The engine's shared state and the one path every change to a job takes: apply the change to
//! the in-memory record, commit it to the store, then announce it. If the commit fails the
//! change is rolled back, so nothing is announced that a crash could take back; a queued or
//! running job whose change cannot be saved waits in TRANSIENT_ERROR until it can
//! (`Inner::hold_unsaved`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use tokio::sync::{broadcast, Notify};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::error::{Error, ErrorCode, Result};
use crate::event::EngineEvent;
use crate::job::{JobId, JobState};
use crate::policy::Config;
use crate::record::JobRecord;
use crate::secrets::SecretBox;
use crate::state::{self, Trigger};
use crate::store::{HistoryEntry, Store};
use crate::transfer::http::Clients;
use crate::transfer::throttle::JobPace;
use crate::transfer::upload::SessionCleanup;
use crate::transfer::LiveProgress;

/// A transfer task in flight for a job.
pub struct Run {
    /// Identifies the run; reports from older runs are ignored.
    pub id: u64,
    /// Stops the task.
    pub cancel: CancellationToken,
    /// When the run started (for MaxDownloadTime and time slices).
    pub started: Instant,
}

/// A job in memory: its record plus what only lives while the engine runs.
pub struct JobEntry {
    /// The persisted record.
    pub record: JobRecord,
    /// The transfer task, while CONNECTING or TRANSFERRING.
    pub run: Option<Run>,
    /// When a TRANSIENT_ERROR job retries by itself (`None`: it waits for a condition).
    pub retry_at: Option<Instant>,
    /// Since when the job has made no progress while failing (no-progress timer).
    pub stalled_since: Option<Instant>,
    /// Round-robin position among jobs of equal priority: lower goes first.
    pub turn: u64,
    /// Live bytes of the file in flight.
    pub live: Arc<LiveProgress>,
    /// The job's own speed limit as its running transfers read it.
    pub pace: Arc<JobPace>,
    /// Bytes moved since the record was last written to the store.
    pub unsaved: bool,
    /// Files that finished since the last progress batch (their indexes): the next batch
    /// carries their final bytes.
    pub finished_since_batch: Vec<u32>,
    /// A job still being made by `Engine::create_job_with`: not listed, announced or saved
    /// until it is complete.
    pub draft: bool,
}

impl JobEntry {
    /// An entry for a record loaded or created now.
    pub fn new(record: JobRecord, turn: u64) -> Self {
        JobEntry {
            pace: Arc::new(JobPace::new(record.settings.speed_limit)),
            record,
            run: None,
            retry_at: None,
            stalled_since: None,
            turn,
            live: Arc::new(LiveProgress::default()),
            unsaved: false,
            finished_since_batch: Vec::new(),
            draft: false,
        }
    }

    /// Milliseconds until the automatic retry, while in TRANSIENT_ERROR.
    pub fn retry_in_ms(&self) -> Option<u64> {
        let at = self.retry_at?;
        (self.record.state == JobState::TransientError)
            .then(|| at.saturating_duration_since(Instant::now()).as_millis() as u64)
    }

    /// Sets (or, with `None`, clears) the automatic retry `delay` from now: on the monotonic
    /// clock for this run, and in wall-clock time in the record for after a restart.
    pub fn retry_after(&mut self, delay: Option<std::time::Duration>) {
        let now = Instant::now();
        self.retry_at = delay.map(|delay| crate::runs::later_by(now, delay));
        self.record.next_retry_at = delay.map(|delay| {
            let millis = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
            crate::job::now_millis().saturating_add(millis)
        });
    }

    /// Bytes moved (or the job was resumed after a stop): the no-progress clock and the
    /// backoff of automatic retries start again.
    pub fn progressed(&mut self) {
        self.stalled_since = None;
        self.record.failures_without_progress = 0;
    }

    /// The public snapshot of this job.
    pub fn info(&self) -> crate::job::JobInfo {
        self.record.info(self.retry_in_ms())
    }
}

/// Every job in the queue.
#[derive(Default)]
pub struct JobTable {
    /// Jobs by id. Each entry is boxed: the map keeps room for more entries than it holds
    /// (up to twice as many), and a free slot then costs a pointer, not a whole entry (about
    /// 800 bytes), which with 10,000 jobs is several MiB.
    pub entries: HashMap<JobId, Box<JobEntry>>,
    /// Next run id.
    pub next_run: u64,
    /// Next round-robin turn.
    pub next_turn: u64,
    /// Jobs that reached a final state while the engine ran, so calls on them answer
    /// BG_E_INVALID_STATE rather than BG_E_NOT_FOUND.
    pub finished: HashMap<JobId, JobState>,
    /// Reply files of upload-reply jobs completed while the engine ran, so their reply data
    /// stays readable after Complete (bits-spec.md §10.14).
    pub replies: HashMap<JobId, PathBuf>,
}

impl JobTable {
    /// A new turn at the back of the round robin.
    pub fn take_turn(&mut self) -> u64 {
        self.next_turn += 1;
        self.next_turn
    }

    /// The error for a job that is not in the queue.
    pub fn missing(&self, id: JobId) -> Error {
        match self.finished.get(&id) {
            Some(state) => Error::new(
                ErrorCode::BG_E_INVALID_STATE,
                format!("the job is {state}; it can no longer change"),
            ),
            None => not_found(id),
        }
    }
}

/// Whether transfers may run at all (BITS: network present, owner logged on).
#[derive(Clone, Copy, Debug)]
pub struct Conditions {
    /// A network connection exists.
    pub network_up: bool,
    /// The owner's session is active.
    pub owner_active: bool,
}

/// State shared by the engine handle, the scheduler and the transfer tasks.
pub struct Inner {
    /// Tunables and policies (policies can change at run time).
    pub config: RwLock<Config>,
    /// The jobs. A std mutex: it is never held across an await, and the critical sections
    /// are short (plus one small SQLite commit for durable transitions).
    pub jobs: Mutex<JobTable>,
    /// The store. Locked only while `jobs` is held, or alone; never the other way round.
    pub store: Mutex<Store>,
    /// Seals credentials and headers.
    pub secrets: SecretBox,
    /// Event fan-out.
    pub events: broadcast::Sender<EngineEvent>,
    /// Wakes the scheduler after any change that may start, stop or time a job.
    pub wake: Notify,
    /// Wakes the task that cancels the upload sessions of cancelled jobs.
    pub cleanups: Notify,
    /// HTTP clients.
    pub http: Clients,
    /// Fires on shutdown.
    pub shutdown: CancellationToken,
    /// Every task the engine spawned, awaited on shutdown.
    pub tasks: TaskTracker,
    /// Network and session conditions.
    pub conditions: Mutex<Conditions>,
    /// The data directory.
    pub data_dir: PathBuf,
    /// Whether the background tasks were started (see `Engine::run`).
    pub running: std::sync::atomic::AtomicBool,
    /// The local time of day, for the bandwidth window.
    pub day_clock: crate::bandwidth::DayClock,
    /// Holds background transfers to the bandwidth cap.
    pub throttle: crate::transfer::throttle::Throttle,
    /// Connections per host learnt from servers that refused extra ones.
    pub host_caps: crate::transfer::download::HostCaps,
    /// The lock on the data folder, held until shutdown (or until the engine is dropped).
    pub data_lock: Mutex<Option<crate::data_lock::DataDirLock>>,
}

/// What a change wants besides the record edit.
#[derive(Default)]
pub struct ChangeNotes {
    /// Events to send after the derived ones (e.g. FileTransferred before JobTransferred).
    pub events_before: Vec<EngineEvent>,
    /// Events to send after the derived ones.
    pub events_after: Vec<EngineEvent>,
    /// Do not announce a JobModified for this change (progress bookkeeping).
    pub quiet: bool,
    /// Bookkeeping that may wait for the next progress write instead of its own commit (a
    /// crash before then costs a re-download, never a wrong byte), and that does not wake the
    /// scheduler. Ignored for transitions.
    pub deferred: bool,
    /// History entry to write when the job becomes final.
    pub history: Option<HistoryEntry>,
    /// The job leaves no history entry (it never ran: see `Engine::discard`).
    pub no_history: bool,
    /// An upload session the server should drop, stored with the job's final state.
    pub cleanup: Option<SessionCleanup>,
    /// The reply file an upload-reply job handed over on Complete.
    pub reply_file: Option<PathBuf>,
}

impl Inner {
    /// Locks the job table (a poisoned lock is recovered: a change that panicked may have left
    /// its edit half made, but nothing of it was committed or announced).
    pub fn table(&self) -> MutexGuard<'_, JobTable> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Locks the store.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What the bandwidth policy allows background jobs at `now`.
    pub fn background_limit(&self, now: tokio::time::Instant) -> crate::bandwidth::Limit {
        let second_of_day = self.day_clock.second_of_day(now);
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .policies
            .max_internet_bandwidth
            .limit_at(second_of_day)
    }

    /// The current configuration.
    pub fn config(&self) -> Config {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Applies `change` to job `id` under a fresh lock of the table.
    pub fn with_job<R>(
        &self,
        id: JobId,
        change: impl FnOnce(&mut JobEntry, &mut ChangeNotes) -> Result<R>,
    ) -> Result<R> {
        let mut table = self.table();
        self.apply(&mut table, id, change)
    }

    /// Applies `change` to job `id`: the edit is made on the record, committed to the store,
    /// then announced. On any error the record is restored and nothing is announced.
    pub fn apply<R>(
        &self,
        table: &mut JobTable,
        id: JobId,
        change: impl FnOnce(&mut JobEntry, &mut ChangeNotes) -> Result<R>,
    ) -> Result<R> {
        let Some(entry) = table.entries.get_mut(&id) else {
            return Err(table.missing(id));
        };
        // Only the job's header and the files the change writes are kept, compared, saved and
        // rolled back: a change to one file costs the same whatever the job's size.
        let before = entry.record.header();
        entry.record.files.begin_change();
        let mut notes = ChangeNotes::default();
        let result = change(entry, &mut notes);
        if result.is_err() {
            entry.record.restore_header(before);
            entry.record.files.roll_back();
            return result;
        }
        let changed = entry.record.files.changed() || !entry.record.same_header(&before);
        // Bookkeeping (a file started or done, its parts on disk) neither starts, stops nor times
        // a job: it waits for the next progress write and leaves the scheduler asleep.
        let bookkeeping = notes.deferred && entry.record.state == before.state;
        if changed && bookkeeping {
            entry.unsaved = true;
        } else if changed {
            let committed = if entry.record.state.is_final() {
                let history = match notes.history.take() {
                    _ if notes.no_history => None,
                    Some(history) => Some(history),
                    None => Some(history_of(&entry.record, false)),
                };
                self.store()
                    .finish_job(id, history.as_ref(), notes.cleanup.as_ref())
            } else {
                self.store().save_job(&entry.record)
            };
            if let Err(error) = committed {
                tracing::error!(%id, "cannot commit a job change: {error}");
                entry.record.restore_header(before);
                entry.record.files.roll_back();
                if let Some(event) = self.hold_unsaved(entry, &error) {
                    let _ = self.events.send(event);
                    self.wake.notify_one();
                }
                return Err(error);
            }
            entry.record.files.mark_saved();
            entry.unsaved = false;
        }
        entry.record.files.keep_change();
        let after = &entry.record;
        let mut events = std::mem::take(&mut notes.events_before);
        if after.state != before.state {
            let job = entry.info();
            events.push(EngineEvent::StateChanged {
                job: job.clone(),
                from: before.state,
            });
            match after.state {
                JobState::Transferred
                    if after
                        .settings
                        .wants(crate::job::notify_flags::JOB_TRANSFERRED) =>
                {
                    events.push(EngineEvent::JobTransferred { job });
                }
                JobState::Error if after.settings.wants(crate::job::notify_flags::JOB_ERROR) => {
                    if let Some(error) = after.error.as_deref().cloned() {
                        events.push(EngineEvent::JobError { job, error });
                    }
                }
                _ => {}
            }
        } else if changed && !notes.quiet {
            events.push(EngineEvent::JobModified { job: entry.info() });
        }
        if after.state.is_final() {
            events.push(EngineEvent::JobRemoved {
                id,
                state: after.state,
            });
        }
        events.append(&mut notes.events_after);
        if entry.record.state.is_final() {
            if let Some(run) = entry.run.take() {
                run.cancel.cancel();
            }
            table.finished.insert(id, entry.record.state);
            if let Some(reply) = notes.reply_file.take() {
                table.replies.insert(id, reply);
            }
            table.entries.remove(&id);
        }
        if notes.cleanup.is_some() {
            self.cleanups.notify_one();
        }
        for event in events {
            let _ = self.events.send(event);
        }
        if !bookkeeping {
            self.wake.notify_one();
        }
        result
    }

    /// Moves a job through the state machine and keeps its bookkeeping right: stops the transfer
    /// task when the job leaves CONNECTING/TRANSFERRING, counts active time, stamps times.
    pub fn transition(&self, entry: &mut JobEntry, trigger: Trigger) -> Result<JobState> {
        let from = entry.record.state;
        let to = state::next(from, entry.record.job_type, trigger)
            .map_err(|code| Error::new(code, format!("a job in state {from} cannot do that")))?;
        if to == from {
            return Ok(to);
        }
        if from.is_active() && !to.is_active() {
            // The record takes the bytes the transfer left on disk before the change is stored.
            if let Some((index, bytes)) = entry.live.read() {
                if let Some(file) = entry.record.files.get_mut(index).filter(|f| !f.transferred) {
                    file.bytes_transferred = bytes;
                }
            }
            if let Some(run) = entry.run.take() {
                run.cancel.cancel();
                entry.record.active_millis += run.started.elapsed().as_millis() as u64;
            }
            entry
                .live
                .file
                .store(0, std::sync::atomic::Ordering::Release);
        }
        let now = crate::job::now_millis();
        entry.record.state = to;
        entry.record.times.modified = now.max(entry.record.times.modified);
        match to {
            JobState::Transferred => entry.record.times.transfer_completed = Some(now),
            JobState::Transferring => entry.record.error = None,
            _ => {}
        }
        if to != JobState::TransientError {
            entry.retry_after(None);
        }
        if matches!(to, JobState::Transferred | JobState::Error) {
            entry.record.notify_pending = entry.record.settings.notify_command.is_some();
        }
        tracing::info!(id = %entry.record.id, %from, %to, "state changed");
        Ok(to)
    }
}

/// The history entry for a job that just became final.
pub fn history_of(record: &JobRecord, auto_cancelled: bool) -> HistoryEntry {
    let kept: Vec<_> = record.files.iter().filter(|f| f.completed).collect();
    HistoryEntry {
        id: record.id,
        display_name: record.settings.display_name.clone(),
        job_type: record.job_type,
        state: record.state,
        finished_at: crate::job::now_millis(),
        files: kept.iter().map(|f| f.local_path.clone()).collect(),
        bytes: record.progress().bytes_transferred,
        files_total: u32::try_from(record.files.len()).unwrap_or(u32::MAX),
        files_kept: u32::try_from(kept.len()).unwrap_or(u32::MAX),
        bytes_kept: kept.iter().map(|f| f.bytes_transferred).sum(),
        auto_cancelled,
    }
}

/// The error for an unknown job id.
pub fn not_found(id: JobId) -> Error {
    Error::new(ErrorCode::BG_E_NOT_FOUND, format!("there is no job {id}"))
}
