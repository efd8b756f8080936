//! Holds transfers to their caps: the bandwidth policy's, one token bucket shared by every
//! background transfer (FOREGROUND transfers pass it straight through), and a job's own speed
//! limit, one bucket per job shared by all its connections, whatever its priority. Both are
//! consulted before each piece of data moves, so the lower of the two wins.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Stop;
use crate::bandwidth::Limit;
use crate::core::Inner;

/// Longest a blocked transfer sleeps before it looks at the limit again (the scheduler stops
/// blocked jobs itself; this only keeps a transfer from spinning meanwhile).
const BLOCKED_POLL: Duration = Duration::from_millis(250);

/// The shared bucket: bytes that may move now, refilled at the cap's rate up to a quarter of a
/// second's worth. It may go negative by at most one piece; the next piece waits until it is
/// paid back.
#[derive(Debug)]
pub struct Throttle {
    bucket: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle {
            bucket: Mutex::new(Bucket {
                tokens: 0.0,
                updated: Instant::now(),
            }),
        }
    }
}

impl Throttle {
    /// Takes `bytes` at `rate` bytes per second, or says how long to wait before trying again.
    fn take(&self, bytes: u64, rate: u64, now: Instant) -> Result<(), Duration> {
        let mut bucket = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
        let rate = rate.max(1) as f64;
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(rate / 4.0);
        bucket.updated = now;
        if bucket.tokens < 0.0 {
            return Err(Duration::from_secs_f64(-bucket.tokens / rate));
        }
        bucket.tokens -= bytes as f64;
        Ok(())
    }
}

/// A job's own speed limit as its transfers see it: the limit (read before every piece, so a
/// change holds at once without reconnecting) and the bucket all the job's connections share.
#[derive(Debug, Default)]
pub struct JobPace {
    /// Bytes per second; 0 means no limit.
    bytes_per_second: AtomicU64,
    bucket: Throttle,
}

impl JobPace {
    /// A pace holding the job to `limit` bytes per second (`None`: no limit).
    pub fn new(limit: Option<u64>) -> JobPace {
        let pace = JobPace::default();
        pace.set(limit);
        pace
    }

    /// Changes the limit; running transfers follow it from their next piece.
    pub fn set(&self, limit: Option<u64>) {
        self.bytes_per_second
            .store(limit.unwrap_or(0), Ordering::Release);
    }

    /// The limit in bytes per second, if any.
    pub fn limit(&self) -> Option<u64> {
        Some(self.bytes_per_second.load(Ordering::Acquire)).filter(|&rate| rate > 0)
    }
}

/// The throttle as one transfer sees it.
pub struct Pacer<'a> {
    inner: &'a Inner,
    background: bool,
    job: &'a JobPace,
    cancel: &'a CancellationToken,
}

impl<'a> Pacer<'a> {
    /// A pacer for a transfer of a job with or without a background priority, held to the
    /// job's own limit `job` as well.
    pub fn new(
        inner: &'a Inner,
        background: bool,
        job: &'a JobPace,
        cancel: &'a CancellationToken,
    ) -> Pacer<'a> {
        Pacer {
            inner,
            background,
            job,
            cancel,
        }
    }

    /// The engine the transfer belongs to.
    pub fn inner(&self) -> &'a Inner {
        self.inner
    }

    fn limit(&self) -> Limit {
        if self.background {
            self.inner.background_limit(Instant::now())
        } else {
            Limit::Unlimited
        }
    }

    /// The largest piece that should move at once: an eighth of a second's worth under the
    /// lower cap (so progress stays smooth), `None` without one.
    pub fn piece(&self) -> Option<u64> {
        let own = self.job.limit().map(|rate| (rate / 8).max(1));
        let policy = match self.limit() {
            Limit::Unlimited => None,
            Limit::Blocked => Some(1),
            Limit::BytesPerSecond(rate) => Some((rate / 8).max(1)),
        };
        match (own, policy) {
            (Some(own), Some(policy)) => Some(own.min(policy)),
            (own, policy) => own.or(policy),
        }
    }

    /// Waits until `bytes` more bytes may move: first under the job's own limit, then under
    /// the bandwidth policy. Fails with [`Stop::Cancelled`] when the transfer is stopped
    /// meanwhile.
    pub async fn admit(&self, bytes: u64) -> Result<(), Stop> {
        // The job's limit is read again after every wait: a lifted or changed limit holds at
        // once.
        while let Some(rate) = self.job.limit() {
            match self.job.bucket.take(bytes, rate, Instant::now()) {
                Ok(()) => break,
                Err(wait) => self.pause(wait.min(BLOCKED_POLL)).await?,
            }
        }
        loop {
            let wait = match self.limit() {
                Limit::Unlimited => return Ok(()),
                Limit::Blocked => BLOCKED_POLL,
                Limit::BytesPerSecond(rate) => {
                    match self.inner.throttle.take(bytes, rate, Instant::now()) {
                        Ok(()) => return Ok(()),
                        Err(wait) => wait.min(BLOCKED_POLL),
                    }
                }
            };
            self.pause(wait).await?;
        }
    }

    /// Sleeps for `wait`, or fails with [`Stop::Cancelled`] when the transfer is stopped first.
    async fn pause(&self, wait: Duration) -> Result<(), Stop> {
        tokio::select! {
            _ = self.cancel.cancelled() => Err(Stop::Cancelled),
            _ = tokio::time::sleep(wait) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Moves `pieces` pieces of `piece` bytes through a throttle at `rate` bytes per second
    /// on the paused clock; returns the time that took.
    async fn time_to_move(rate: u64, piece: u64, pieces: u64) -> Duration {
        let throttle = Throttle::default();
        let start = Instant::now();
        for _ in 0..pieces {
            loop {
                match throttle.take(piece, rate, Instant::now()) {
                    Ok(()) => break,
                    Err(wait) => tokio::time::sleep(wait).await,
                }
            }
        }
        Instant::now() - start
    }

    #[tokio::test(start_paused = true)]
    async fn the_bucket_holds_transfers_to_its_rate() {
        // 10 s worth of bytes at 250 B/s, in pieces of 31 bytes (an eighth of a second).
        let took = time_to_move(250, 31, 2500 / 31).await;
        let secs = took.as_secs_f64();
        assert!((9.5..=10.5).contains(&secs), "took {secs} s for 10 s worth");
    }

    #[tokio::test(start_paused = true)]
    async fn a_piece_larger_than_the_burst_still_passes_and_is_paid_back() {
        // Pieces of 2 s worth each: the bucket goes into debt and the next piece waits.
        let took = time_to_move(100, 200, 5).await;
        let secs = took.as_secs_f64();
        assert!((7.9..=8.1).contains(&secs), "took {secs} s");
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_bucket_saves_at_most_a_quarter_second() {
        let throttle = Throttle::default();
        tokio::time::advance(Duration::from_secs(60)).await;
        // After a minute idle, only 250 bytes (a quarter second at 1000 B/s) pass without waiting.
        assert!(throttle.take(250, 1000, Instant::now()).is_ok());
        assert!(throttle.take(1, 1000, Instant::now()).is_ok());
        assert!(throttle.take(1, 1000, Instant::now()).is_err());
    }
}
