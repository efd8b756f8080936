//! Kill moments for the SIGKILL crash tests of the owner (`tests/processes`, `tests/owner/crash.rs`): deterministic
//! (xorshift) from a seed that is printed, so a failing run can be replayed.

use std::ops::Range;
use std::time::Duration;

/// A deterministic generator of kill moments (xorshift), seeded per run.
pub struct KillMoments(u64);

impl KillMoments {
    /// A generator seeded from `FERRY_KILL_SEED` when it is set (to replay a failing run),
    /// otherwise from the clock; the seed is printed, so a failing run shows it.
    pub fn seeded() -> KillMoments {
        let seed = std::env::var("FERRY_KILL_SEED")
            .ok()
            .and_then(|text| text.parse::<u64>().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("the clock is past 1970")
                    .as_nanos() as u64
            })
            | 1;
        println!("kill offsets seed: {seed} (replay with FERRY_KILL_SEED={seed})");
        KillMoments(seed)
    }

    /// The next moment, in `window` (milliseconds).
    pub fn next(&mut self, window: &Range<u64>) -> Duration {
        Duration::from_millis(self.pick(window))
    }

    /// The next number in `window`.
    pub fn pick(&mut self, window: &Range<u64>) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        window.start + self.0 % (window.end - window.start)
    }
}
