//! An owner's state changes as lines, one per job and change, read through its local API: the
//! way a test follows what the process under test does.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use ferry_engine::{EngineEvent, JobId, JobInfo, JobState};
use ferry_owner::{Call, Client, OwnerEvent};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use tokio::time::Instant;

use crate::harness::PATIENCE;

/// One state of a job as the owner announced it.
#[derive(Debug)]
pub struct StateLine {
    /// When: the job's modification time, which the owner stamps from its own wall clock at
    /// every change of state.
    pub at: DateTime<Utc>,
    /// The job.
    pub job: JobId,
    /// The state.
    pub state: JobState,
    /// The error's code name, in ERROR and TRANSIENT_ERROR.
    pub error: Option<String>,
}

impl StateLine {
    fn of(job: &JobInfo) -> StateLine {
        let error = match (&job.error, job.state) {
            (Some(error), JobState::Error | JobState::TransientError) => {
                Some(error.code_name.clone())
            }
            _ => None,
        };
        StateLine {
            at: DateTime::from_timestamp_millis(job.times.modified)
                .expect("a modification time in range"),
            job: job.id,
            state: job.state,
            error,
        }
    }
}

/// An owner's state changes, one line per job and change: first every job as it was when the
/// subscription began, then each change as the owner announces it.
pub struct StateLines {
    client: Client,
    events: Receiver<OwnerEvent>,
    /// Lines read while looking for another job's, not yet asked for.
    unread: VecDeque<StateLine>,
    /// The last state read of each job (to tell a change in a snapshot after a lag).
    known: HashMap<JobId, JobState>,
}

impl StateLines {
    /// Subscribes `client` to its owner's events.
    pub async fn subscribe(client: Client) -> StateLines {
        let (jobs, events) = client.subscribe().await.expect("subscribe to the owner");
        let mut lines = StateLines {
            client,
            events,
            unread: VecDeque::new(),
            known: HashMap::new(),
        };
        for job in &jobs {
            lines.push(job);
        }
        lines
    }

    fn push(&mut self, job: &JobInfo) {
        self.known.insert(job.id, job.state);
        self.unread.push_back(StateLine::of(job));
    }

    /// A job as a list shows it: a line only if its state is not the last one read.
    fn push_if_changed(&mut self, job: &JobInfo) {
        if self.known.get(&job.id) != Some(&job.state) {
            self.push(job);
        }
    }

    /// The next state line of `job` (lines of other jobs read meanwhile are kept for later).
    pub async fn next_of(&mut self, job: JobId) -> StateLine {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(at) = self.unread.iter().position(|line| line.job == job) {
                return self.unread.remove(at).expect("the line just found");
            }
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("a state line of job {job} within {PATIENCE:?}"));
            match event {
                Ok(OwnerEvent::Engine(event)) => {
                    // The first list may already show a change whose event was on its way.
                    if let EngineEvent::StateChanged { job, .. } = *event {
                        self.push_if_changed(&job);
                    }
                }
                Ok(OwnerEvent::Snapshot(snapshot)) => {
                    for job in &snapshot.jobs {
                        self.push_if_changed(job);
                    }
                }
                Ok(OwnerEvent::Owner(_)) => {}
                Err(RecvError::Lagged(_)) => {
                    let jobs: Vec<JobInfo> = self.client.call(Call::List).await.expect("list");
                    for job in &jobs {
                        self.push_if_changed(job);
                    }
                }
                Err(RecvError::Closed) => panic!("the owner ended early"),
            }
        }
    }

    /// The first state line of `job` saying `state`; lines of other states before it are
    /// skipped, but an ERROR line fails the test.
    pub async fn until(&mut self, job: JobId, state: JobState) -> StateLine {
        loop {
            let line = self.next_of(job).await;
            if line.state == state {
                return line;
            }
            assert_ne!(line.state, JobState::Error, "the job failed: {line:?}");
        }
    }
}
