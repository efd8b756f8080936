//! Who transfers when. FOREGROUND jobs run side by side up to a configurable cap; background
//! jobs share one slot: the highest priority waiting wins, a higher priority pre-empts a lower
//! one, and equal priorities take turns by time slice. Retry, no-progress and maximum-download
//! timers run on tokio's monotonic clock, so wall-clock changes do not move them.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::bandwidth::Limit;
use crate::core::{history_of, Inner, JobEntry, JobTable, Run};
use crate::event::{EngineEvent, FileBytes, ProgressEntry};
use crate::job::{JobId, JobState, Priority, UnixMillis};
use crate::runs::active_time;
use crate::state::Trigger;

/// After a pass that took `d`, a pass asked for by a change waits until this many times `d` has
/// passed: see [`run`].
const REST_PER_PASS: u32 = 4;

/// The scheduler task: one pass after every change and at the next timer. A pass looks at every
/// job, so on a long queue it is not free (about a millisecond with 10,000 jobs): after a pass
/// that took `d`, the next one asked for by a change first waits [`REST_PER_PASS`] × `d`. A
/// stream of changes (thousands of jobs made or resumed through the API one after another) then
/// gets one pass per batch of changes rather than one per change, the scheduler takes at most a
/// fifth of a core, and a change costs the same on a long queue as on a short one. On a short
/// queue a pass takes microseconds, and so does the wait.
pub async fn run(inner: Arc<Inner>) {
    loop {
        let began = Instant::now();
        let wake_at = pass(&inner);
        let rested = began + began.elapsed() * (REST_PER_PASS + 1);
        let sleep = async {
            match wake_at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = inner.shutdown.cancelled() => return,
            _ = inner.wake.notified() => {
                tokio::select! {
                    _ = inner.shutdown.cancelled() => return,
                    _ = tokio::time::sleep_until(rested) => {}
                }
            }
            _ = sleep => {}
        }
    }
}

/// One scheduling pass; returns when the next timer is due.
pub fn pass(inner: &Arc<Inner>) -> Option<Instant> {
    let now = Instant::now();
    let config = inner.config();
    let conditions = *inner.conditions.lock().unwrap_or_else(|e| e.into_inner());
    let mut table = inner.table();
    inner.run_timers(&mut table, now);
    if !conditions.network_up {
        network_down(inner, &mut table);
    }
    if !conditions.owner_active || !conditions.network_up {
        stop_all(inner, &mut table);
        return next_timer(&table, &config, now);
    }
    apply_bandwidth_policy(inner, &mut table, now);
    schedule_foreground(inner, &mut table, config.foreground_concurrency);
    schedule_background(inner, &mut table, config.time_slice, now);
    let window_edge = config
        .policies
        .max_internet_bandwidth
        .next_edge(inner.day_clock.second_of_day(now))
        .map(|wait| now + wait);
    [next_timer(&table, &config, now), window_edge]
        .into_iter()
        .flatten()
        .min()
}

/// The bandwidth policy: while it allows background jobs no bytes, those waiting or running
/// wait in TRANSIENT_ERROR with BG_E_BLOCKED_BY_POLICY; once it allows bytes again, or a job
/// becomes FOREGROUND, they go back to QUEUED (T16).
fn apply_bandwidth_policy(inner: &Arc<Inner>, table: &mut JobTable, now: Instant) {
    let blocked = inner.background_limit(now) == Limit::Blocked;
    let changes: Vec<(JobId, bool)> = table
        .entries
        .values()
        .filter_map(|e| {
            let record = &e.record;
            let held = blocked && record.settings.priority != Priority::Foreground;
            let may_run = record.state == JobState::Queued || record.state.is_active();
            let waiting = record.state == JobState::TransientError && record.blocked_by_policy();
            if held && may_run {
                Some((record.id, true))
            } else if waiting && !held {
                Some((record.id, false))
            } else {
                None
            }
        })
        .collect();
    for (id, block) in changes {
        let _ = inner.apply(table, id, |entry, _| {
            if block {
                inner.block_by_policy(entry)
            } else {
                inner.transition(entry, Trigger::Retry).map(|_| ())
            }
        });
    }
}

/// Whether `entry` takes part in scheduling in the lane of FOREGROUND jobs (`foreground`) or
/// of background jobs: QUEUED, CONNECTING or TRANSFERRING.
fn in_lane(entry: &JobEntry, foreground: bool) -> bool {
    let record = &entry.record;
    (record.state == JobState::Queued || record.state.is_active())
        && (record.settings.priority == Priority::Foreground) == foreground
}

/// The order jobs wait in: higher priority first, then the earlier turn.
fn rank(entry: &JobEntry) -> (Priority, u64) {
    (entry.record.settings.priority, entry.turn)
}

/// Up to `count` jobs of the lane that wait to run, best first; one look at each job, and
/// only the chosen ones are sorted.
fn best_waiting(table: &JobTable, foreground: bool, count: usize) -> Vec<JobId> {
    let mut best: std::collections::BinaryHeap<((Priority, u64), JobId)> =
        std::collections::BinaryHeap::with_capacity(count + 1);
    if count == 0 {
        return Vec::new();
    }
    for entry in table.entries.values() {
        if entry.run.is_some() || !in_lane(entry, foreground) {
            continue;
        }
        let candidate = (rank(entry), entry.record.id);
        if best.len() < count {
            best.push(candidate);
        } else if best.peek().is_some_and(|worst| candidate < *worst) {
            best.pop();
            best.push(candidate);
        }
    }
    best.into_sorted_vec()
        .into_iter()
        .map(|(_, id)| id)
        .collect()
}

fn schedule_foreground(inner: &Arc<Inner>, table: &mut JobTable, cap: usize) {
    let running = table
        .entries
        .values()
        .filter(|e| e.run.is_some() && in_lane(e, true))
        .count();
    let free = cap.max(1).saturating_sub(running);
    for id in best_waiting(table, true, free) {
        start(inner, table, id);
    }
}

/// A background job that runs, as the background lane sees it.
struct Running {
    id: JobId,
    rank: (Priority, u64),
    slice_over: bool,
}

fn schedule_background(inner: &Arc<Inner>, table: &mut JobTable, slice: Duration, now: Instant) {
    let mut best: Option<Priority> = None;
    let mut waiting: std::collections::BTreeMap<Priority, usize> = Default::default();
    let mut running: Vec<Running> = Vec::new();
    for entry in table.entries.values().filter(|e| in_lane(e, false)) {
        let priority = entry.record.settings.priority;
        best = Some(best.map_or(priority, |b| b.min(priority)));
        match &entry.run {
            Some(run) => running.push(Running {
                id: entry.record.id,
                rank: rank(entry),
                slice_over: now >= run.started + slice,
            }),
            None => *waiting.entry(priority).or_default() += 1,
        }
    }
    let Some(best) = best else {
        return;
    };
    running.sort_unstable_by_key(|r| r.rank);
    let mut kept = false;
    for job in running {
        let (priority, _) = job.rank;
        let rival_waiting = waiting.get(&priority).is_some_and(|n| *n > 0);
        if priority > best || kept || (job.slice_over && rival_waiting) {
            deschedule(inner, table, job.id);
        } else {
            kept = true;
        }
    }
    if !kept {
        if let Some(id) = best_waiting(table, false, 1).into_iter().next() {
            start(inner, table, id);
        }
    }
}

fn start(inner: &Arc<Inner>, table: &mut JobTable, id: JobId) {
    table.next_run += 1;
    let run_id = table.next_run;
    let cancel = inner.shutdown.child_token();
    let mut live = None;
    let started = inner.apply(table, id, |entry, _| {
        inner.transition(entry, Trigger::Scheduled)?;
        entry.run = Some(Run {
            id: run_id,
            cancel: cancel.clone(),
            started: Instant::now(),
        });
        live = Some(entry.live.clone());
        Ok(())
    });
    if let (Ok(()), Some(live)) = (started, live) {
        inner.tasks.spawn(crate::transfer::run_job(
            inner.clone(),
            id,
            run_id,
            cancel,
            live,
        ));
    }
}

fn deschedule(inner: &Arc<Inner>, table: &mut JobTable, id: JobId) {
    let turn = table.take_turn();
    let _ = inner.apply(table, id, |entry, notes| {
        notes.quiet = true;
        entry.turn = turn;
        inner.transition(entry, Trigger::Descheduled).map(|_| ())
    });
}

fn stop_all(inner: &Arc<Inner>, table: &mut JobTable) {
    let active: Vec<JobId> = table
        .entries
        .values()
        .filter(|e| e.record.state.is_active())
        .map(|e| e.record.id)
        .collect();
    for id in active {
        deschedule(inner, table, id);
    }
}

/// With the network gone, every QUEUED or running job waits in TRANSIENT_ERROR with
/// BG_E_NETWORK_DISCONNECTED, without a retry timer: it comes back when the network does.
fn network_down(inner: &Arc<Inner>, table: &mut JobTable) {
    let affected: Vec<JobId> = table
        .entries
        .values()
        .filter(|e| e.record.state == JobState::Queued || e.record.state.is_active())
        .map(|e| e.record.id)
        .collect();
    for id in affected {
        let _ = inner.apply(table, id, |entry, _| {
            inner.fail(
                entry,
                None,
                crate::transfer::http::Failure::transient(
                    crate::ErrorCode::BG_E_NETWORK_DISCONNECTED,
                    crate::ErrorContext::GeneralTransport,
                    "there is no network connection",
                ),
            );
            entry.retry_after(None);
            Ok(())
        });
    }
}

fn next_timer(table: &JobTable, config: &crate::policy::Config, now: Instant) -> Option<Instant> {
    let mut next: Option<Instant> = None;
    let mut consider = |at: Instant| next = Some(next.map_or(at, |n: Instant| n.min(at)));
    for entry in table.entries.values() {
        let settings = &entry.record.settings;
        match entry.record.state {
            JobState::TransientError => {
                if let Some(at) = entry.retry_at {
                    consider(at);
                }
                if let Some(at) = crate::runs::expires_at(entry) {
                    consider(at);
                }
            }
            state if state.is_active() => {
                let limit = Duration::from_secs(u64::from(settings.maximum_download_time_secs));
                consider(crate::runs::later_by(
                    now,
                    limit.saturating_sub(active_time(entry, now)),
                ));
                if settings.priority != Priority::Foreground {
                    if let Some(run) = &entry.run {
                        consider(crate::runs::later_by(run.started, config.time_slice));
                    }
                }
            }
            _ => {}
        }
    }
    next
}

/// The progress sampler: one batched event per tick with the jobs whose bytes moved, and a
/// durable write of their progress every persist interval.
pub async fn sample_progress(inner: Arc<Inner>) {
    let config = inner.config();
    let mut tick = tokio::time::interval(config.progress_tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_persist = Instant::now();
    loop {
        tokio::select! {
            _ = inner.shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        publish_progress(&inner);
        if last_persist.elapsed() >= config.progress_persist_interval {
            persist_progress(&inner);
            last_persist = Instant::now();
        }
    }
    publish_progress(&inner);
    persist_progress(&inner);
}

/// Copies live byte counts into the records and sends one batch with the jobs that moved.
pub fn publish_progress(inner: &Inner) {
    let mut table = inner.table();
    let now = crate::job::now_millis();
    let mut batch = Vec::new();
    for entry in table.entries.values_mut() {
        let reply_moved = crate::transfer::upload::sample_reply(entry, now);
        let current_file = sample_file(entry, now);
        let finished_files = finished_files(entry);
        if current_file.is_none() && !reply_moved && finished_files.is_empty() {
            continue;
        }
        entry.unsaved = true;
        batch.push(ProgressEntry {
            id: entry.record.id,
            progress: entry.record.progress(),
            current_file,
            finished_files,
            reply_progress: entry.record.reply_progress,
        });
    }
    drop(table);
    if !batch.is_empty() {
        let _ = inner.events.send(EngineEvent::Progress { jobs: batch });
    }
}

/// The files of `entry` that finished since its last batch, with their final bytes.
fn finished_files(entry: &mut JobEntry) -> Vec<(u32, FileBytes)> {
    let indexes = std::mem::take(&mut entry.finished_since_batch);
    indexes
        .into_iter()
        .filter_map(|index| {
            let file = entry.record.files.get(index as usize)?;
            Some((
                index,
                FileBytes {
                    transferred: file.bytes_transferred,
                    total: file.bytes_total,
                },
            ))
        })
        .collect()
}

/// Copies the live byte count of the file in flight into the record; the file and its bytes
/// when they changed.
fn sample_file(entry: &mut JobEntry, now: UnixMillis) -> Option<(u32, FileBytes)> {
    let (index, bytes) = entry.live.read()?;
    let file = entry.record.files.get_mut(index)?;
    if file.transferred || file.bytes_transferred == bytes {
        return None;
    }
    let moved_forward = bytes > file.bytes_transferred;
    file.bytes_transferred = bytes;
    let file_bytes = FileBytes {
        transferred: bytes,
        total: file.bytes_total,
    };
    if moved_forward {
        entry.record.last_activity = now;
        entry.record.times.modified = now;
        entry.progressed();
    }
    Some((index as u32, file_bytes))
}

/// Writes the records whose bytes moved since their last write, in one transaction. If that
/// fails (a full disk), the running jobs among them wait until they can be saved
/// (`Inner::hold_unsaved`).
pub fn persist_progress(inner: &Inner) {
    let mut table = inner.table();
    if !table.entries.values().any(|e| e.unsaved && !e.draft) {
        return;
    }
    let dirty = table.entries.values().filter(|e| e.unsaved && !e.draft);
    let saved = inner.store().save_jobs(dirty.map(|e| &e.record));
    match saved {
        Ok(()) => table
            .entries
            .values_mut()
            .filter(|e| e.unsaved && !e.draft)
            .for_each(|e| {
                e.unsaved = false;
                e.record.files.mark_saved();
            }),
        Err(error) => {
            tracing::warn!("cannot save progress: {error}");
            let held: Vec<EngineEvent> = table
                .entries
                .values_mut()
                .filter(|e| e.unsaved && !e.draft)
                .filter_map(|e| inner.hold_unsaved(e, &error))
                .collect();
            for event in held {
                let _ = inner.events.send(event);
            }
            inner.wake.notify_one();
        }
    }
}

/// The inactivity sweep: at start, then every sweep interval.
pub async fn sweep_inactive_jobs(inner: Arc<Inner>) {
    loop {
        sweep_once(&inner);
        let interval = inner.config().inactivity_sweep_interval;
        tokio::select! {
            _ = inner.shutdown.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}

/// Cancels every job untouched for longer than JobInactivityTimeout (judged on the persisted
/// wall-clock last activity, so it holds across restarts).
pub fn sweep_once(inner: &Inner) {
    let timeout_ms = i64::try_from(
        inner
            .config()
            .policies
            .job_inactivity_timeout_secs
            .saturating_mul(1000),
    )
    .unwrap_or(i64::MAX);
    let now = crate::job::now_millis();
    let mut table = inner.table();
    let idle: Vec<(JobId, i64)> = table
        .entries
        .values()
        .filter(|e| now.saturating_sub(e.record.last_activity) > timeout_ms)
        .map(|e| (e.record.id, now.saturating_sub(e.record.last_activity)))
        .collect();
    for (id, idle_ms) in idle {
        let cancelled = inner.apply(&mut table, id, |entry, notes| {
            let outcome = crate::engine::cancel_files(entry, notes);
            inner.transition(entry, Trigger::Cancel)?;
            notes.history = Some(history_of(&entry.record, true));
            notes.events_after.push(EngineEvent::JobAutoCancelled {
                id,
                display_name: entry.record.settings.display_name.clone(),
                idle_days: (idle_ms / 86_400_000) as u64,
            });
            Ok(outcome)
        });
        match cancelled {
            Ok(_) => tracing::info!(%id, idle_ms, "cancelled for inactivity"),
            Err(error) => tracing::warn!(%id, "cannot cancel an inactive job: {error}"),
        }
    }
}
