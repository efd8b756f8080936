//! How long a job waits in TRANSIENT_ERROR before its next automatic retry.
//!
//! A FIXED job waits its MinimumRetryDelay every time, as BITS does. A BACKOFF job (made by a
//! person, who is watching) retries after [`FIRST_BACKOFF_DELAY`], and each further failure
//! without progress doubles the wait, up to the job's MinimumRetryDelay. Either way the wait is
//! never shorter than the server's `Retry-After`.

use std::time::Duration;

use crate::job::{JobSettings, RetryPolicy, UnixMillis};
use crate::record::JobRecord;

/// The wait before a BACKOFF job's first retry.
pub const FIRST_BACKOFF_DELAY: Duration = Duration::from_secs(2);

/// The wait before the next retry of a job with `settings` that has failed
/// `earlier_failures` times without progress before this failure, whose server asked for
/// `retry_after` (if it did).
pub fn retry_delay(
    settings: &JobSettings,
    earlier_failures: u32,
    retry_after: Option<Duration>,
) -> Duration {
    let minimum = Duration::from_secs(u64::from(settings.minimum_retry_delay_secs));
    let own = match settings.retry_policy {
        RetryPolicy::Fixed => minimum,
        RetryPolicy::Backoff => {
            let doubled = FIRST_BACKOFF_DELAY
                .checked_mul(1u32.checked_shl(earlier_failures).unwrap_or(u32::MAX))
                .unwrap_or(Duration::MAX);
            doubled.min(minimum)
        }
    };
    retry_after.map_or(own, |hint| hint.max(own))
}

/// How much longer a job found in TRANSIENT_ERROR at start still waits: the rest of the wait
/// its record names in wall-clock time, never more than the longest wait it can have been
/// given (its MinimumRetryDelay, or the server's `Retry-After` if longer), so a clock set back
/// cannot hold it for longer; a record without a time (from an older Ferry) waits a whole
/// MinimumRetryDelay.
pub fn wait_after_restart(record: &JobRecord, now: UnixMillis) -> Duration {
    let minimum = Duration::from_secs(u64::from(record.settings.minimum_retry_delay_secs));
    let Some(at) = record.next_retry_at else {
        return minimum;
    };
    let asked = record
        .error
        .as_ref()
        .and_then(|e| e.retry_after_secs)
        .map_or(Duration::ZERO, |secs| Duration::from_secs(u64::from(secs)));
    let longest = minimum.max(asked);
    let rest = u64::try_from(at.saturating_sub(now)).unwrap_or(0);
    Duration::from_millis(rest).min(longest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(policy: RetryPolicy, minimum_secs: u32) -> JobSettings {
        JobSettings {
            retry_policy: policy,
            minimum_retry_delay_secs: minimum_secs,
            ..JobSettings::new("x")
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn a_fixed_job_always_waits_its_minimum_retry_delay() {
        let fixed = settings(RetryPolicy::Fixed, 600);
        for failures in [0, 1, 5, 40] {
            assert_eq!(retry_delay(&fixed, failures, None), secs(600));
        }
    }

    #[test]
    fn a_backoff_job_doubles_from_two_seconds_up_to_its_minimum_retry_delay() {
        let backoff = settings(RetryPolicy::Backoff, 600);
        let waits: Vec<u64> = (0..12)
            .map(|n| retry_delay(&backoff, n, None).as_secs())
            .collect();
        assert_eq!(
            waits,
            [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600, 600],
            "the waits double and stop at MinimumRetryDelay"
        );
        assert_eq!(retry_delay(&backoff, u32::MAX, None), secs(600));
    }

    #[test]
    fn retry_after_is_a_lower_bound_whatever_the_policy() {
        let backoff = settings(RetryPolicy::Backoff, 600);
        assert_eq!(retry_delay(&backoff, 0, Some(secs(30))), secs(30));
        assert_eq!(retry_delay(&backoff, 3, Some(secs(1))), secs(16));
        let fixed = settings(RetryPolicy::Fixed, 60);
        assert_eq!(retry_delay(&fixed, 0, Some(secs(3600))), secs(3600));
    }

    fn waiting(minimum_secs: u32, next_retry_at: Option<UnixMillis>) -> JobRecord {
        let mut record = JobRecord::new(
            crate::job::JobId::new(),
            crate::job::JobType::Download,
            "me".into(),
            settings(RetryPolicy::Fixed, minimum_secs),
        );
        record.next_retry_at = next_retry_at;
        record
    }

    #[test]
    fn a_restart_waits_only_the_rest_of_the_wait() {
        let now = 1_000_000;
        assert_eq!(
            wait_after_restart(&waiting(600, Some(now + 12_000)), now),
            Duration::from_secs(12)
        );
        assert_eq!(
            wait_after_restart(&waiting(600, Some(now - 5_000)), now),
            Duration::ZERO,
            "a retry that came due while Ferry was stopped runs at once"
        );
        assert_eq!(
            wait_after_restart(&waiting(600, Some(now + 86_400_000)), now),
            Duration::from_secs(600),
            "a clock set back never makes the wait longer than the job's longest"
        );
        assert_eq!(
            wait_after_restart(&waiting(600, None), now),
            Duration::from_secs(600),
            "a record without a retry time waits a whole MinimumRetryDelay"
        );
    }
}
