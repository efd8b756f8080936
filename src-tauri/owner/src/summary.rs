//! The whole queue in one line, for the tray icon: "3 active, 45%", "Idle".

use ferry_engine::{JobInfo, JobState};

/// Aggregate state of the queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueSummary {
    /// Jobs waiting for their turn, connecting, transferring or about to retry.
    pub active: usize,
    /// Bytes done over bytes known, across the active jobs whose sizes are known.
    pub percent: Option<u8>,
    /// TRANSFERRED jobs waiting for Complete.
    pub ready: usize,
    /// Jobs stopped in ERROR.
    pub failed: usize,
}

impl QueueSummary {
    /// Summarises `jobs`.
    pub fn of(jobs: &[JobInfo]) -> QueueSummary {
        let mut summary = QueueSummary::default();
        let (mut done, mut total) = (0u128, 0u128);
        for job in jobs {
            match job.state {
                JobState::Queued
                | JobState::Connecting
                | JobState::Transferring
                | JobState::TransientError => {
                    summary.active += 1;
                    if let Some(size) = job.progress.bytes_total {
                        done += u128::from(job.progress.bytes_transferred.min(size));
                        total += u128::from(size);
                    }
                }
                JobState::Transferred => summary.ready += 1,
                JobState::Error => summary.failed += 1,
                JobState::Suspended | JobState::Acknowledged | JobState::Cancelled => {}
            }
        }
        summary.percent = (done * 100)
            .checked_div(total)
            .and_then(|percent| u8::try_from(percent).ok());
        summary
    }

    /// True while something is moving (the tray shows its busy icon).
    pub fn busy(&self) -> bool {
        self.active > 0
    }

    /// The tray tooltip.
    pub fn tooltip(&self) -> String {
        let mut parts = vec![match (self.active, self.percent) {
            (0, _) => "Idle".to_owned(),
            (active, Some(percent)) => format!("{active} active, {percent}%"),
            (active, None) => format!("{active} active"),
        }];
        if self.ready > 0 {
            parts.push(format!("{} ready to complete", self.ready));
        }
        if self.failed > 0 {
            parts.push(format!(
                "{} {} attention",
                self.failed,
                if self.failed == 1 { "needs" } else { "need" }
            ));
        }
        format!("Ferry: {}", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_engine::Progress;

    fn job(state: JobState, transferred: u64, total: Option<u64>) -> JobInfo {
        let mut job = crate::fixtures::job_info("job", state);
        job.progress = Progress {
            bytes_total: total,
            bytes_transferred: transferred,
            files_total: 1,
            files_transferred: 0,
        };
        job
    }

    #[test]
    fn an_empty_or_paused_queue_is_idle() {
        assert_eq!(QueueSummary::of(&[]).tooltip(), "Ferry: Idle");
        let paused = QueueSummary::of(&[job(JobState::Suspended, 5, Some(10))]);
        assert_eq!(paused.tooltip(), "Ferry: Idle");
        assert!(!paused.busy());
    }

    #[test]
    fn active_jobs_show_their_count_and_combined_percentage() {
        let jobs = [
            job(JobState::Transferring, 30, Some(100)),
            job(JobState::Queued, 0, Some(50)),
            job(JobState::TransientError, 37, Some(50)),
            job(JobState::Suspended, 1_000, Some(1_000)),
        ];
        let summary = QueueSummary::of(&jobs);
        assert_eq!(summary.tooltip(), "Ferry: 3 active, 33%");
        assert!(summary.busy());
    }

    #[test]
    fn unknown_sizes_leave_the_percentage_out() {
        assert_eq!(
            QueueSummary::of(&[job(JobState::Connecting, 0, None)]).tooltip(),
            "Ferry: 1 active"
        );
    }

    #[test]
    fn jobs_waiting_for_the_user_are_counted() {
        let jobs = [
            job(JobState::Transferred, 10, Some(10)),
            job(JobState::Error, 0, Some(10)),
            job(JobState::Error, 0, None),
        ];
        assert_eq!(
            QueueSummary::of(&jobs).tooltip(),
            "Ferry: Idle, 1 ready to complete, 2 need attention"
        );
    }

    #[test]
    fn huge_sizes_do_not_overflow() {
        let jobs = [
            job(JobState::Transferring, u64::MAX / 2, Some(u64::MAX)),
            job(JobState::Transferring, u64::MAX, Some(u64::MAX)),
        ];
        assert_eq!(QueueSummary::of(&jobs).percent, Some(74));
    }
}
