//! How fast the queue moves, from one look at it to the next: whether any bytes arrived and at
//! what speed, for the tray's icon and the time left in its status line.

use std::collections::HashMap;
use std::time::Instant;

use ferry_engine::{JobGlance, JobId};

/// How much of a new speed reading goes into the smoothed speed (the rest is the old speed).
const NEW_READING_WEIGHT: f64 = 0.5;

/// Bytes of each transferring job at the last look, and the smoothed speed.
#[derive(Debug, Default)]
pub struct Pace {
    last: Option<(Instant, HashMap<JobId, u64>)>,
    bytes_per_second: Option<f64>,
}

impl Pace {
    /// Looks at `jobs` at `now`: whether bytes moved since the last look, and the speed. Only
    /// jobs seen transferring both times count, so a job that finishes or starts does not
    /// look like bytes lost or gained.
    pub fn sample(&mut self, jobs: &[JobGlance], now: Instant) -> (bool, Option<f64>) {
        let bytes: HashMap<JobId, u64> = jobs
            .iter()
            .filter(|job| job.state.is_active())
            .map(|job| (job.id, job.progress.bytes_transferred))
            .collect();
        let moved = self.last.as_ref().map(|(at, before)| {
            let moved: u64 = bytes
                .iter()
                .filter_map(|(id, now)| before.get(id).map(|then| now.saturating_sub(*then)))
                .sum();
            (now.saturating_duration_since(*at).as_secs_f64(), moved)
        });
        self.last = Some((now, bytes));
        let Some((seconds, moved)) = moved else {
            return (false, None);
        };
        if seconds > 0.0 {
            let reading = moved as f64 / seconds;
            self.bytes_per_second = Some(match self.bytes_per_second {
                Some(old) => old + NEW_READING_WEIGHT * (reading - old),
                None => reading,
            });
        }
        (moved > 0, self.bytes_per_second.filter(|rate| *rate > 0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_engine::JobState;
    use std::time::Duration;

    fn transferring(id: JobId, bytes: u64) -> JobGlance {
        let mut job = ferry_owner::fixtures::job_info("job", JobState::Transferring);
        job.id = id;
        job.progress.bytes_transferred = bytes;
        JobGlance::from(&job)
    }

    #[test]
    fn bytes_that_arrive_are_movement_at_their_speed_and_a_standstill_is_not() {
        let id = JobId::new();
        let start = Instant::now();
        let mut pace = Pace::default();
        assert_eq!(pace.sample(&[transferring(id, 0)], start), (false, None));
        let (moving, rate) =
            pace.sample(&[transferring(id, 2_000)], start + Duration::from_secs(2));
        assert!(moving);
        assert_eq!(rate, Some(1_000.0));
        let (moving, _) = pace.sample(&[transferring(id, 2_000)], start + Duration::from_secs(4));
        assert!(!moving, "no byte arrived: the queue stands still");
    }

    #[test]
    fn a_job_that_leaves_or_joins_is_not_counted_as_movement() {
        let (a, b) = (JobId::new(), JobId::new());
        let start = Instant::now();
        let mut pace = Pace::default();
        pace.sample(&[transferring(a, 5_000)], start);
        let (moving, _) = pace.sample(&[transferring(b, 9_000)], start + Duration::from_secs(1));
        assert!(!moving);
    }
}
