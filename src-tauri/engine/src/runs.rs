//! How reports from transfer tasks change jobs. Every handler first checks that the report comes
//! from the job's current run; reports of stale runs change nothing.

use std::time::Duration;

use tokio::time::Instant;

use crate::core::{ChangeNotes, Inner, JobEntry};
use crate::error::{Error, ErrorCode, ErrorContext};
use crate::event::EngineEvent;
use crate::job::{JobError, JobId, JobState};
use crate::state::Trigger;
use crate::transfer::download::FileDone;
use crate::transfer::http::Failure;
use crate::transfer::{FileStart, FileTask, NextStep};

/// How soon a job held back by a change the store could not save tries again.
pub const UNSAVED_RETRY_DELAY: Duration = Duration::from_secs(5);

/// How the error of a job held back by a failed save begins.
const UNSAVED: &str = "the job's progress cannot be saved";

fn stale() -> Error {
    Error::new(ErrorCode::BG_E_INVALID_STATE, "the transfer was stopped")
}

fn current(entry: &JobEntry, run_id: u64) -> crate::error::Result<()> {
    match &entry.run {
        Some(run) if run.id == run_id => Ok(()),
        _ => Err(stale()),
    }
}

impl Inner {
    /// The next file for run `run_id` of job `id`, passing over the files in `settling` (written,
    /// waiting for their sync before they count as transferred).
    pub fn next_step(&self, id: JobId, run_id: u64, settling: &[usize]) -> NextStep {
        let table = self.table();
        let Some(entry) = table.entries.get(&id) else {
            return NextStep::Stale;
        };
        if current(entry, run_id).is_err() {
            return NextStep::Stale;
        }
        let Some(index) = entry
            .record
            .current_file_but(settling)
            .or_else(|| crate::transfer::upload::unfinished(&entry.record))
        else {
            return match settling.is_empty() {
                true => NextStep::AllDone,
                false => NextStep::Settle,
            };
        };
        let secrets = match &entry.record.sealed_secrets {
            Some(sealed) => match self.secrets.open_sealed(sealed) {
                Ok(secrets) => secrets,
                Err(error) => {
                    drop(table);
                    self.report_failure(
                        id,
                        run_id,
                        None,
                        Failure::fatal(
                            error.code,
                            ErrorContext::GeneralQueueManager,
                            error.message,
                        ),
                    );
                    return NextStep::Stale;
                }
            },
            None => Default::default(),
        };
        NextStep::File(Box::new(FileTask {
            job_type: entry.record.job_type,
            index,
            file: entry.record.files[index].clone(),
            settings: entry.record.settings.clone(),
            secrets,
            pace: entry.pace.clone(),
        }))
    }

    /// The server answered: CONNECTING → TRANSFERRING. The answers to the job's later files
    /// find it TRANSFERRING and change nothing.
    pub fn report_connected(&self, id: JobId, run_id: u64) {
        let _ = self.with_job(id, |entry, notes| {
            current(entry, run_id)?;
            notes.deferred = true;
            self.transition(entry, Trigger::Connected)
        });
    }

    /// A file's bytes start to flow with this size and version. A start that replaces a known
    /// version is committed before the call returns, so no byte of it reaches the temporary file
    /// while the store still names another version (a crash then would continue the old version
    /// onto the new one's bytes); so is the first start of a large file. Other starts wait for
    /// the next progress write (see [`must_commit_start`]).
    pub fn report_file_started(
        &self,
        id: JobId,
        run_id: u64,
        index: usize,
        start: &FileStart,
    ) -> Result<(), Failure> {
        self.with_job(id, |entry, notes| {
            current(entry, run_id)?;
            notes.quiet = true;
            let file = &mut entry.record.files[index];
            notes.deferred = !must_commit_start(file, start);
            file.bytes_transferred = start.offset;
            file.bytes_total = start.total;
            file.validators = start.validators.clone();
            file.segments = start.segments.clone();
            Ok(())
        })
        .map_err(|e| Failure::fatal(e.code, ErrorContext::GeneralQueueManager, e.message))
    }

    /// The spans of file `index` that are durably on disk (a download over several
    /// connections); saved with the next progress write. A run that was just stopped may still
    /// report its last spans, as long as the file kept its map (a file started again from 0
    /// has none).
    pub fn report_segments(&self, id: JobId, run_id: u64, index: usize, spans: Vec<(u64, u64)>) {
        let _ = self.with_job(id, |entry, notes| {
            let stopped = entry.run.is_none();
            if !stopped {
                current(entry, run_id)?;
            }
            notes.quiet = true;
            notes.deferred = true;
            let file = &mut entry.record.files[index];
            if file.transferred || file.segments.is_none() {
                return Err(stale());
            }
            file.segments = Some(spans);
            Ok(())
        });
    }

    /// The file's remote name changed (redirect reported, or refused).
    pub fn report_remote_name(&self, id: JobId, run_id: u64, index: usize, url: &str) {
        let _ = self.with_job(id, |entry, _| {
            current(entry, run_id)?;
            entry.record.files[index].remote_url = url.to_owned();
            Ok(())
        });
    }

    /// A file finished. Returns false when the run should stop.
    pub fn report_file_done(&self, id: JobId, run_id: u64, index: usize, done: FileDone) -> bool {
        self.with_job(id, |entry, notes| {
            current(entry, run_id)?;
            let file = &mut entry.record.files[index];
            file.transferred = true;
            file.bytes_total = Some(
                file.bytes_total
                    .unwrap_or(file.bytes_transferred)
                    .max(file.bytes_transferred),
            );
            if let Some(total) = file.bytes_total {
                file.bytes_transferred = total;
            }
            if let Some(temp) = &file.temp_path {
                if let Ok(meta) = std::fs::metadata(temp) {
                    file.bytes_transferred = meta.len();
                    file.bytes_total = Some(meta.len());
                }
            }
            file.server_modified = done.server_modified;
            file.sha256 = done.sha256;
            file.verification = done.verification;
            entry.record.last_activity = crate::job::now_millis();
            entry.progressed();
            entry.finished_since_batch.push(index as u32);
            notes.quiet = true;
            // A crash before the next write only makes this file download again.
            notes.deferred = true;
            if entry
                .record
                .settings
                .wants(crate::job::notify_flags::FILE_TRANSFERRED)
            {
                notes.events_after.push(EngineEvent::FileTransferred {
                    id,
                    file_index: index as u32,
                });
            }
            Ok(())
        })
        .is_ok()
    }

    /// Every file arrived: TRANSFERRED.
    pub fn report_all_transferred(&self, id: JobId, run_id: u64) {
        let _ = self.with_job(id, |entry, _| {
            current(entry, run_id)?;
            self.transition(entry, Trigger::AllTransferred)
        });
    }

    /// A transfer failed. Transient failures wait for the retry delay unless the no-progress
    /// timeout is 0, the retry delay exceeds it, or it has really passed: then the job goes to
    /// ERROR, as a fatal failure does.
    pub fn report_failure(&self, id: JobId, run_id: u64, file: Option<usize>, failure: Failure) {
        let _ = self.with_job(id, |entry, _| {
            current(entry, run_id)?;
            self.fail(entry, file, failure);
            Ok(())
        });
    }

    /// Puts a job into TRANSIENT_ERROR or ERROR for `failure`.
    pub fn fail(&self, entry: &mut JobEntry, file: Option<usize>, failure: Failure) {
        let settings = &entry.record.settings;
        let retry_delay = Duration::from_secs(u64::from(settings.minimum_retry_delay_secs));
        let no_progress = Duration::from_secs(u64::from(settings.no_progress_timeout_secs));
        let now = Instant::now();
        // A failure retried once only, again with no progress since it last happened.
        let repeated = failure.retry_once
            && entry.stalled_since.is_some()
            && entry
                .record
                .error
                .as_ref()
                .is_some_and(|e| e.code == failure.code);
        let stalled_since = *entry.stalled_since.get_or_insert(now);
        let delay = crate::retry::retry_delay(
            settings,
            entry.record.failures_without_progress,
            failure.retry_after,
        );
        let custom_method = settings.http_method.is_some();
        // Whether the next retry would land past the deadline is not asked: that retry runs
        // (or the job expires at the deadline when a server's Retry-After put it far beyond,
        // see `expires_at`), and only a failure after the deadline is final.
        let transient = failure.transient
            && !repeated
            && !custom_method
            && !no_progress.is_zero()
            && retry_delay <= no_progress
            && now < later_by(stalled_since, no_progress);
        let protocol = file
            .and_then(|i| entry.record.files.get(i))
            .and_then(|f| url::Url::parse(&f.remote_url).ok())
            .map(|u| u.scheme().to_owned());
        entry.record.error = Some(Box::new(error_of(failure, file, protocol)));
        entry.record.error_count += 1;
        let trigger = if transient {
            Trigger::TransientFailure
        } else {
            Trigger::FatalFailure
        };
        if self.transition(entry, trigger).is_ok() && transient {
            entry.retry_after(Some(delay));
            entry.record.failures_without_progress =
                entry.record.failures_without_progress.saturating_add(1);
        }
    }

    /// A change to a queued or running job could not be saved (the disk of the data folder is
    /// full, or it became read-only). Rather than run on with nothing recorded, the job waits
    /// in TRANSIENT_ERROR with the store's code (ERROR_DISK_FULL when space ran out) in context
    /// GENERAL_QUEUE_MANAGER, and tries again every [`UNSAVED_RETRY_DELAY`]: the first change
    /// that can be saved (its return to QUEUED) lets it go on by itself. Returns the event
    /// announcing the change, if the job changed.
    pub fn hold_unsaved(&self, entry: &mut JobEntry, error: &Error) -> Option<EngineEvent> {
        let from = entry.record.state;
        let waiting = from == JobState::TransientError;
        let held_already = entry
            .record
            .error
            .as_ref()
            .is_some_and(|e| e.description.starts_with(UNSAVED));
        let may_hold = from == JobState::Queued || from.is_active() || waiting && held_already;
        if !may_hold || waiting && entry.retry_at.is_some() {
            return None;
        }
        let failure = Failure::transient(
            error.code,
            ErrorContext::GeneralQueueManager,
            format!(
                "{UNSAVED} ({}); it goes on by itself once it can be saved again",
                error.message
            ),
        );
        entry.record.error = Some(Box::new(error_of(failure, None, None)));
        if !waiting {
            self.transition(entry, Trigger::TransientFailure).ok()?;
            entry.stalled_since.get_or_insert(Instant::now());
        }
        // A start whose commit failed left its run behind (the rollback restores only the
        // record); without this the scheduler would take the job for running for ever.
        if let Some(run) = entry.run.take() {
            run.cancel.cancel();
        }
        entry.retry_after(Some(UNSAVED_RETRY_DELAY));
        entry.unsaved = true;
        Some(if entry.record.state != from {
            EngineEvent::StateChanged {
                job: entry.info(),
                from,
            }
        } else {
            EngineEvent::JobModified { job: entry.info() }
        })
    }

    /// Holds a background job back while the bandwidth policy allows background jobs no bytes:
    /// TRANSIENT_ERROR with BG_E_BLOCKED_BY_POLICY, with neither a retry timer nor a no-progress
    /// clock; the scheduler lets it go when the policy does (T16).
    pub fn block_by_policy(&self, entry: &mut JobEntry) -> crate::error::Result<()> {
        let held = Failure::transient(
            ErrorCode::BG_E_BLOCKED_BY_POLICY,
            ErrorContext::GeneralQueueManager,
            "the bandwidth policy allows background jobs no bytes at this time of day",
        );
        entry.record.error = Some(Box::new(error_of(held, None, None)));
        self.transition(entry, Trigger::TransientFailure)?;
        entry.retry_after(None);
        entry.stalled_since = None;
        Ok(())
    }

    /// Moves TRANSIENT_ERROR jobs whose delay passed back to QUEUED, and those whose no-progress
    /// timeout passed to ERROR; stops jobs over their maximum download time.
    pub fn run_timers(&self, table: &mut crate::core::JobTable, now: Instant) {
        // Only jobs waiting to retry or running can have a timer due.
        let ids: Vec<JobId> = table
            .entries
            .values()
            .filter(|e| e.record.state == JobState::TransientError || e.record.state.is_active())
            .map(|e| e.record.id)
            .collect();
        for id in ids {
            let Some(entry) = table.entries.get(&id) else {
                continue;
            };
            let settings = &entry.record.settings;
            match entry.record.state {
                JobState::TransientError => {
                    let expired = expires_at(entry).is_some_and(|at| now >= at);
                    let due = entry.retry_at.is_some_and(|at| now >= at);
                    if expired {
                        let _ = self.apply(table, id, |entry, _| self.expire(entry));
                    } else if due {
                        let _ = self
                            .apply(table, id, |entry, _| self.transition(entry, Trigger::Retry));
                    }
                }
                state if state.is_active() => {
                    let limit = Duration::from_secs(u64::from(settings.maximum_download_time_secs));
                    if active_time(entry, now) >= limit {
                        let _ = self.apply(table, id, |entry, _| {
                            self.fail(entry, None, Failure::fatal(
                                ErrorCode::BG_E_MAXDOWNLOAD_TIMEOUT,
                                ErrorContext::GeneralTransport,
                                "the job spent longer than its maximum download time connecting and transferring",
                            ));
                            Ok(())
                        });
                    }
                }
                _ => {}
            }
        }
    }

    fn expire(&self, entry: &mut JobEntry) -> crate::error::Result<JobState> {
        if let Some(error) = &mut entry.record.error {
            error.description = format!(
                "{} (no progress for the job's no-progress timeout)",
                error.description
            );
        }
        self.transition(entry, Trigger::FatalFailure)
    }

    /// Applies a change with no announcement beyond what the transition sends.
    pub fn quiet_change(
        &self,
        id: JobId,
        change: impl FnOnce(&mut JobEntry) -> crate::error::Result<()>,
    ) -> crate::error::Result<()> {
        self.with_job(id, |entry, notes: &mut ChangeNotes| {
            notes.quiet = true;
            change(entry)
        })
    }
}

/// Files at least this large (or of unknown size) have their first start committed at once, so
/// that a crash in their first seconds resumes from the bytes on disk; smaller ones would take
/// less time to fetch again than the commit takes, so their start waits for the next write.
const DURABLE_START_BYTES: u64 = 1 << 20;

/// Whether a file's start must be committed before its first byte is written. A start that
/// replaces a known version always must: otherwise a crash could leave the old version's
/// validators beside the new version's bytes, and a resume could mix the two. A first start
/// (no version known yet) is safe to defer, since a resume without validators starts from
/// byte 0; it is committed anyway when the file is large enough to be worth resuming.
fn must_commit_start(file: &crate::record::FileRecord, start: &FileStart) -> bool {
    if file.segments.is_some() != start.segments.is_some() {
        // The temporary file changes its layout (preallocated, or written from 0 again): its
        // length must not be read as the bytes on disk after a crash.
        return true;
    }
    let unchanged = file.validators == start.validators && file.bytes_total == start.total;
    if unchanged {
        return false;
    }
    let replaces_a_version = file.validators.is_some();
    let worth_resuming = start.total.is_none_or(|total| total >= DURABLE_START_BYTES);
    replaces_a_version || worth_resuming
}

/// The job error recorded for `failure` of file `file` (over `protocol`).
fn error_of(failure: Failure, file: Option<usize>, protocol: Option<String>) -> JobError {
    JobError {
        code: failure.code,
        code_name: failure.code.name().into_owned(),
        context: failure.context,
        description: failure.description,
        file_index: file.map(|i| i as u32),
        protocol,
        retry_after_secs: failure
            .retry_after
            .map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX)),
    }
}

/// `at + delay`, or a moment decades away when that cannot be represented (a server's
/// `Retry-After: 18446744073709551615` waits, it does not overflow).
pub fn later_by(at: Instant, delay: Duration) -> Instant {
    at.checked_add(delay)
        .or_else(|| at.checked_add(FAR_FUTURE))
        .unwrap_or(at)
}

/// "Never" for timers: about 30 years.
const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);

/// When a job waiting in TRANSIENT_ERROR turns into ERROR without another attempt: at its
/// no-progress deadline, unless its next retry is due no later than one retry delay after that
/// deadline (then that retry runs, and its failure is final). So a retry scheduled just before
/// the deadline still happens, while a job whose server asked for a retry far beyond the
/// deadline waits in TRANSIENT_ERROR until the deadline and no longer. `None`: not now.
pub fn expires_at(entry: &JobEntry) -> Option<Instant> {
    let settings = &entry.record.settings;
    let no_progress = Duration::from_secs(u64::from(settings.no_progress_timeout_secs));
    let retry_delay = Duration::from_secs(u64::from(settings.minimum_retry_delay_secs));
    let deadline = later_by(entry.stalled_since?, no_progress);
    match entry.retry_at {
        Some(at) if at <= later_by(deadline, retry_delay) => None,
        _ => Some(deadline),
    }
}

/// Time a job has spent CONNECTING or TRANSFERRING since its last Resume.
pub fn active_time(entry: &JobEntry, now: Instant) -> Duration {
    let running = entry.run.as_ref().map_or(Duration::ZERO, |run| {
        now.saturating_duration_since(run.started)
    });
    Duration::from_millis(entry.record.active_millis).saturating_add(running)
}
