//! The MaxInternetBandwidth policy: a daily window of hours with one cap for background jobs
//! inside it and another outside. FOREGROUND jobs are never limited by it.
//!
//! A cap of 0 blocks background jobs (they wait in TRANSIENT_ERROR with BG_E_BLOCKED_BY_POLICY
//! until the cap changes); a cap below 2 Kbps behaves as 2 Kbps. The window follows the local
//! time of day read once when the engine starts and then advanced on the monotonic clock, so
//! moving the system clock does not move the window until the next start.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

const SECONDS_PER_DAY: u32 = 24 * 60 * 60;

/// Smallest cap that still moves bytes, in Kbps: lower non-zero caps behave as this one.
pub const MINIMUM_KBPS: u32 = 2;

/// The MaxInternetBandwidth policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct BandwidthPolicy {
    /// Whether the policy applies at all (off: background jobs use all the bandwidth).
    pub enabled: bool,
    /// First hour of the window, 0–23 (local time).
    pub start_hour: u8,
    /// Hour the window ends, 0–23 (local time); equal to the start hour, the window is the
    /// whole day; below it, the window runs past midnight.
    pub end_hour: u8,
    /// Cap inside the window in kilobits per second; no value means no cap, 0 blocks.
    pub in_window_kbps: Option<u32>,
    /// Cap outside the window in kilobits per second; no value means no cap, 0 blocks.
    pub outside_kbps: Option<u32>,
}

impl Default for BandwidthPolicy {
    fn default() -> Self {
        BandwidthPolicy {
            enabled: false,
            start_hour: 8,
            end_hour: 17,
            in_window_kbps: Some(1000),
            outside_kbps: None,
        }
    }
}

/// What the policy allows background jobs right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// No cap.
    Unlimited,
    /// No bytes at all: background jobs wait.
    Blocked,
    /// At most this many bytes per second, shared by all background transfers.
    BytesPerSecond(u64),
}

impl BandwidthPolicy {
    /// Whether `second_of_day` (local time) falls inside the window.
    pub fn in_window(&self, second_of_day: u32) -> bool {
        let hour = (second_of_day % SECONDS_PER_DAY) / 3600;
        let (start, end) = (u32::from(self.start_hour), u32::from(self.end_hour));
        match start.cmp(&end) {
            std::cmp::Ordering::Equal => true,
            std::cmp::Ordering::Less => start <= hour && hour < end,
            std::cmp::Ordering::Greater => hour >= start || hour < end,
        }
    }

    /// The limit for background jobs at `second_of_day` (local time).
    pub fn limit_at(&self, second_of_day: u32) -> Limit {
        if !self.enabled {
            return Limit::Unlimited;
        }
        let cap = if self.in_window(second_of_day) {
            self.in_window_kbps
        } else {
            self.outside_kbps
        };
        match cap {
            None => Limit::Unlimited,
            Some(0) => Limit::Blocked,
            Some(kbps) => Limit::BytesPerSecond(u64::from(kbps.max(MINIMUM_KBPS)) * 1000 / 8),
        }
    }

    /// Time from `second_of_day` until the window next opens or closes; `None` when the limit
    /// never changes (policy off, or a window covering the whole day).
    pub fn next_edge(&self, second_of_day: u32) -> Option<Duration> {
        if !self.enabled || self.start_hour == self.end_hour {
            return None;
        }
        let now = second_of_day % SECONDS_PER_DAY;
        [self.start_hour, self.end_hour]
            .into_iter()
            .map(|hour| {
                let edge = u32::from(hour) * 3600;
                (edge + SECONDS_PER_DAY - now - 1) % SECONDS_PER_DAY + 1
            })
            .min()
            .map(|secs| Duration::from_secs(u64::from(secs)))
    }

    /// A description of what is wrong with the policy, if anything.
    pub fn problem(&self) -> Option<&'static str> {
        (self.start_hour > 23 || self.end_hour > 23)
            .then_some("the bandwidth window's hours must be between 0 and 23")
    }
}

/// The local time of day, read from the system clock once and then advanced on the monotonic
/// clock.
#[derive(Clone, Copy, Debug)]
pub struct DayClock {
    anchor: Instant,
    second_of_day_at_anchor: u32,
}

impl DayClock {
    /// A clock reading the local time of day now.
    pub fn local() -> DayClock {
        use chrono::Timelike;
        let now = chrono::Local::now();
        DayClock::starting_at(now.num_seconds_from_midnight())
    }

    /// A clock that reads `second_of_day` now.
    pub fn starting_at(second_of_day: u32) -> DayClock {
        DayClock {
            anchor: Instant::now(),
            second_of_day_at_anchor: second_of_day % SECONDS_PER_DAY,
        }
    }

    /// The local second of the day at `now`.
    pub fn second_of_day(&self, now: Instant) -> u32 {
        let elapsed = now.saturating_duration_since(self.anchor).as_secs();
        ((u64::from(self.second_of_day_at_anchor) + elapsed) % u64::from(SECONDS_PER_DAY)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office_hours(in_window: Option<u32>, outside: Option<u32>) -> BandwidthPolicy {
        BandwidthPolicy {
            enabled: true,
            start_hour: 8,
            end_hour: 17,
            in_window_kbps: in_window,
            outside_kbps: outside,
        }
    }

    const fn at(hour: u32, minute: u32) -> u32 {
        hour * 3600 + minute * 60
    }

    #[test]
    fn a_disabled_policy_never_limits() {
        let policy = BandwidthPolicy {
            enabled: false,
            ..office_hours(Some(0), Some(0))
        };
        assert_eq!(policy.limit_at(at(9, 0)), Limit::Unlimited);
        assert_eq!(policy.next_edge(at(9, 0)), None);
    }

    #[test]
    fn the_window_includes_its_start_hour_and_excludes_its_end_hour() {
        let policy = office_hours(Some(0), None);
        assert_eq!(policy.limit_at(at(7, 59)), Limit::Unlimited);
        assert_eq!(policy.limit_at(at(8, 0)), Limit::Blocked);
        assert_eq!(policy.limit_at(at(16, 59)), Limit::Blocked);
        assert_eq!(policy.limit_at(at(17, 0)), Limit::Unlimited);
    }

    #[test]
    fn a_window_may_run_past_midnight() {
        let policy = BandwidthPolicy {
            start_hour: 22,
            end_hour: 6,
            ..office_hours(Some(0), None)
        };
        assert_eq!(policy.limit_at(at(23, 0)), Limit::Blocked);
        assert_eq!(policy.limit_at(at(3, 0)), Limit::Blocked);
        assert_eq!(policy.limit_at(at(6, 0)), Limit::Unlimited);
        assert_eq!(policy.limit_at(at(21, 59)), Limit::Unlimited);
    }

    #[test]
    fn equal_hours_make_the_window_the_whole_day() {
        let policy = BandwidthPolicy {
            start_hour: 5,
            end_hour: 5,
            ..office_hours(Some(0), None)
        };
        for hour in 0..24 {
            assert_eq!(policy.limit_at(at(hour, 30)), Limit::Blocked, "{hour}:30");
        }
        assert_eq!(policy.next_edge(at(12, 0)), None);
    }

    #[test]
    fn caps_below_two_kbps_behave_as_two_kbps() {
        assert_eq!(
            office_hours(Some(1), None).limit_at(at(9, 0)),
            Limit::BytesPerSecond(250)
        );
        assert_eq!(
            office_hours(Some(2), None).limit_at(at(9, 0)),
            Limit::BytesPerSecond(250)
        );
        assert_eq!(
            office_hours(Some(1000), None).limit_at(at(9, 0)),
            Limit::BytesPerSecond(125_000)
        );
    }

    #[test]
    fn the_outside_cap_applies_outside_the_window() {
        let policy = office_hours(None, Some(64));
        assert_eq!(policy.limit_at(at(9, 0)), Limit::Unlimited);
        assert_eq!(policy.limit_at(at(20, 0)), Limit::BytesPerSecond(8000));
    }

    #[test]
    fn the_next_edge_is_the_nearest_window_boundary() {
        let policy = office_hours(Some(0), None);
        assert_eq!(policy.next_edge(at(16, 59)), Some(Duration::from_secs(60)));
        assert_eq!(policy.next_edge(at(7, 0)), Some(Duration::from_secs(3600)));
        assert_eq!(
            policy.next_edge(at(17, 0)),
            Some(Duration::from_secs(15 * 3600))
        );
        assert_eq!(
            policy.next_edge(at(8, 0)),
            Some(Duration::from_secs(9 * 3600))
        );
    }

    #[test]
    fn hours_past_23_are_a_problem() {
        assert!(office_hours(None, None).problem().is_none());
        let bad = BandwidthPolicy {
            end_hour: 24,
            ..office_hours(None, None)
        };
        assert!(bad.problem().is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn the_day_clock_advances_on_the_monotonic_clock_and_wraps_at_midnight() {
        let clock = DayClock::starting_at(at(23, 59));
        assert_eq!(clock.second_of_day(Instant::now()), at(23, 59));
        tokio::time::advance(Duration::from_secs(120)).await;
        assert_eq!(clock.second_of_day(Instant::now()), at(0, 1));
    }
}
