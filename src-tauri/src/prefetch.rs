//! The queue fetched while the window starts. As soon as the shell is connected it subscribes
//! to the owner's events, so the list of every job (about 10 MiB with 10,000 jobs) travels from
//! the owner while WebKit starts, instead of after the page asks, and the page's first rows are
//! at hand once it is here. The same subscription watches for Quit. The page's first
//! subscription takes it (with the events that came since, so none is lost); later ones (a
//! reloaded page, a new connection to the owner) subscribe afresh.

use std::sync::Arc;

use ferry_engine::JobInfo;
use ferry_owner::{ApiError, OwnerEvent};
use serde::Serialize;
use tokio::sync::broadcast;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// The first jobs of the queue, for the page to paint its first rows before every job arrived.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FirstJobs {
    /// The queue's first jobs, oldest first.
    pub jobs: Vec<JobInfo>,
    /// How many jobs the queue holds.
    pub total: u32,
}

/// A subscription made before anyone asked for it.
pub struct Prefetched {
    /// The connection it was made on (see [`crate::OwnerLink::generations`]).
    pub generation: u64,
    /// Every job when the owner answered, oldest first.
    pub jobs: Vec<JobInfo>,
    /// Every event since the owner answered.
    pub events: broadcast::Receiver<OwnerEvent>,
}

impl Prefetched {
    /// The page's answer: every job as JSON, and the events since.
    pub fn into_answer(self) -> Result<(String, broadcast::Receiver<OwnerEvent>), ApiError> {
        let json = serde_json::to_string(&self.jobs).map_err(ApiError::internal)?;
        Ok((json, self.events))
    }

    /// The first `count` jobs and how many there are.
    pub fn first(&self, count: usize) -> FirstJobs {
        FirstJobs {
            jobs: self.jobs.iter().take(count).cloned().collect(),
            total: u32::try_from(self.jobs.len()).unwrap_or(u32::MAX),
        }
    }
}

/// Where the prefetched subscription waits: empty once taken, or when it could not be made.
/// Readers wait while it is being made.
pub struct PrefetchSlot(Arc<Mutex<Option<Prefetched>>>);

impl PrefetchSlot {
    /// An empty slot, and the guard that fills it: readers wait until the guard is dropped.
    pub fn being_filled() -> (PrefetchSlot, OwnedMutexGuard<Option<Prefetched>>) {
        let slot = Arc::new(Mutex::new(None));
        let guard = Arc::clone(&slot)
            .try_lock_owned()
            .expect("a new mutex is unlocked");
        (PrefetchSlot(slot), guard)
    }

    /// The first `count` jobs, when the prefetched subscription is still there and made on
    /// connection `generation`.
    pub async fn first(&self, count: usize, generation: u64) -> Option<FirstJobs> {
        let slot = self.0.lock().await;
        slot.as_ref()
            .filter(|prefetched| prefetched.generation == generation)
            .map(|prefetched| prefetched.first(count))
    }

    /// Takes the prefetched subscription, when it is still there and made on connection
    /// `generation` (one made on an older connection is dropped).
    pub async fn take(&self, generation: u64) -> Option<Prefetched> {
        self.0
            .lock()
            .await
            .take()
            .filter(|prefetched| prefetched.generation == generation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs(count: usize) -> Vec<JobInfo> {
        (0..count)
            .map(|i| {
                ferry_owner::fixtures::job_info(
                    &format!("job {i}"),
                    ferry_engine::JobState::Suspended,
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn readers_wait_for_the_fill_and_the_subscription_is_taken_once() {
        let (slot, mut guard) = PrefetchSlot::being_filled();
        let (sender, events) = broadcast::channel(4);
        let filled = jobs(3);
        let expected = serde_json::to_string(&filled).unwrap();
        let reader = tokio::spawn(async move {
            let first = slot.first(2, 0).await;
            (slot, first)
        });
        tokio::task::yield_now().await;
        *guard = Some(Prefetched {
            generation: 0,
            jobs: filled.clone(),
            events,
        });
        drop(guard);
        let (slot, first) = reader.await.unwrap();
        assert_eq!(
            first,
            Some(FirstJobs {
                jobs: filled[..2].to_vec(),
                total: 3
            })
        );
        assert!(
            slot.first(2, 1).await.is_none(),
            "made on another connection"
        );

        sender
            .send(OwnerEvent::Owner(ferry_owner::OwnerNotice::Quitting))
            .unwrap();
        let taken = slot.take(0).await.expect("still there");
        let (json, mut events) = taken.into_answer().unwrap();
        assert_eq!(json, expected);
        assert!(matches!(events.recv().await, Ok(OwnerEvent::Owner(_))));
        assert!(slot.take(0).await.is_none(), "taken once");
        assert!(slot.first(2, 0).await.is_none());
    }

    #[tokio::test]
    async fn a_subscription_from_an_older_connection_is_dropped() {
        let (slot, mut guard) = PrefetchSlot::being_filled();
        let (_sender, events) = broadcast::channel(4);
        *guard = Some(Prefetched {
            generation: 0,
            jobs: jobs(1),
            events,
        });
        drop(guard);
        assert!(slot.take(1).await.is_none());
        assert!(slot.take(0).await.is_none());
    }
}
