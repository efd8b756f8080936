//! When to add connections to a file fetched in parts: the rule, apart from the clock, so it can
//! be tested with made-up rates.
//!
//! It starts with one connection and measures. Then it opens [`FIRST_STEP`] times as many,
//! and doubles them while the total rate rises by [`RISE`]; when the new connections turn out as fast as the ones before them —
//! the server holds each connection to a rate, as many servers and CDNs do — it goes straight
//! to the limit. A measurement lower than the one connections were last added at becomes the
//! mark to rise from (the higher one may have been a burst). After [`PATIENCE`] without a rise
//! it stops adding.
//!
//! It also goes back: each count's rate is also measured over all its samples together, and
//! once connections added have run for [`JUDGE`] without beating the best count measured so far
//! by [`RISE`] (a server as fast over one connection as over several, such as one on the same
//! machine, where more connections only cost CPU), it keeps that best count and closes the
//! others ([`Ramp::keep`]). One sample is a tenth of a second, which a loaded machine makes
//! noise; [`JUDGE`] spans several.

use std::time::Duration;

/// The connections after the first measurement, per connection measured: a server that holds
/// each connection to a rate is common enough that a bigger first step pays.
pub const FIRST_STEP: usize = 4;
/// The rise in total rate that makes more connections worth trying.
pub const RISE: f64 = 1.15;
/// New connections that bring at least this share of the old connections' rate each mean the
/// server caps each connection: every connection allowed is worth opening.
pub const LINEAR: f64 = 0.8;
/// How long without a rise before no more connections are added (new connections may take a
/// round trip or two to get going on a distant server).
pub const PATIENCE: Duration = Duration::from_secs(1);
/// How long a count of connections is measured before it is judged against the best one.
pub const JUDGE: Duration = Duration::from_millis(400);

/// A measured rate with the connections that made it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Measured {
    connections: usize,
    bytes_per_second: f64,
}

/// The bytes a count of connections brought over the time it ran.
#[derive(Clone, Copy, Debug, Default)]
struct Run {
    connections: usize,
    bytes: f64,
    time: Duration,
}

impl Run {
    fn rate(&self) -> Measured {
        Measured {
            connections: self.connections,
            bytes_per_second: self.bytes / self.time.as_secs_f64().max(f64::EPSILON),
        }
    }
}

/// The ramp's memory between measurements.
#[derive(Debug, Default)]
pub struct Ramp {
    /// The rate when connections were last added.
    before: Option<Measured>,
    /// Time since that last rise.
    without_rise: Duration,
    /// No more connections will be added.
    stopped: bool,
    /// The count running now, measured over every sample since it started.
    current: Run,
    /// The count to beat: the first measured, or one with more connections that beat it by
    /// [`RISE`] over all its samples (at least [`JUDGE`]).
    best: Option<Measured>,
    /// The connections to keep: added ones proved no faster.
    keep: Option<usize>,
}

impl Ramp {
    /// How many connections to add, given `connections` running, a `limit`, the
    /// `bytes_per_second` they made over the last measurement and its length `measured_for`.
    pub fn decide(
        &mut self,
        connections: usize,
        limit: usize,
        bytes_per_second: f64,
        measured_for: Duration,
    ) -> usize {
        self.judge(connections, bytes_per_second, measured_for);
        if self.stopped || connections >= limit {
            return 0;
        }
        let now = Measured {
            connections,
            bytes_per_second,
        };
        let add = match self.before {
            None => connections * (FIRST_STEP - 1),
            Some(before) if bytes_per_second > before.bytes_per_second * RISE => {
                let each_before = before.bytes_per_second / before.connections.max(1) as f64;
                let added = connections.saturating_sub(before.connections);
                let gained = bytes_per_second - before.bytes_per_second;
                if added > 0 && gained >= each_before * added as f64 * LINEAR {
                    limit - connections
                } else {
                    connections
                }
            }
            Some(before) => {
                // The rate the connections were added at may have been a burst (a server's
                // allowance, socket buffers filling): the next rise is measured from the lower.
                if bytes_per_second < before.bytes_per_second {
                    self.before = Some(Measured {
                        connections: before.connections,
                        bytes_per_second,
                    });
                }
                self.without_rise += measured_for;
                self.stopped = self.without_rise >= PATIENCE;
                return 0;
            }
        };
        self.before = Some(now);
        self.without_rise = Duration::ZERO;
        add.min(limit - connections)
    }

    /// Stops adding connections (a server refused one).
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    /// The connections to keep when the ones added proved no faster than fewer (the others
    /// are to be closed); from then on no more are added.
    pub fn keep(&self) -> Option<usize> {
        self.keep
    }

    /// Adds a sample to the running count's measurement and, once it ran for [`JUDGE`],
    /// compares it with the best count at every sample: more connections that do not beat it
    /// by [`RISE`] over all their samples go back to it.
    fn judge(&mut self, connections: usize, bytes_per_second: f64, measured_for: Duration) {
        if self.keep.is_some() {
            return;
        }
        if self.current.connections != connections {
            // The count that ran until now beat the best over its samples: the one to beat.
            let last = self.current.rate();
            if self.current.time >= JUDGE
                && self
                    .best
                    .is_some_and(|best| last.bytes_per_second > best.bytes_per_second * RISE)
            {
                self.best = Some(last);
            }
            self.current = Run {
                connections,
                ..Run::default()
            };
        }
        self.current.bytes += bytes_per_second * measured_for.as_secs_f64();
        self.current.time += measured_for;
        let now = self.current.rate();
        match self.best {
            Some(best) if best.connections < connections => {
                // Judged again at every sample: page-cache writes make bursts, then stalls.
                if self.current.time >= JUDGE
                    && now.bytes_per_second <= best.bytes_per_second * RISE
                {
                    self.keep = Some(best.connections);
                    self.stopped = true;
                }
            }
            // The best count (or fewer, after a refusal) measured again: over more samples.
            _ => self.best = Some(now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICK: Duration = Duration::from_millis(100);

    #[test]
    fn the_first_measurement_opens_three_more_connections() {
        assert_eq!(Ramp::default().decide(1, 8, 20e6, TICK), 3);
        assert_eq!(
            Ramp::default().decide(1, 2, 20e6, TICK),
            1,
            "within the limit"
        );
    }

    #[test]
    fn connections_each_as_fast_as_the_first_open_every_allowed_one() {
        let mut ramp = Ramp::default();
        assert_eq!(ramp.decide(1, 16, 20e6, TICK), 3);
        assert_eq!(
            ramp.decide(4, 16, 78e6, TICK),
            12,
            "capped per connection: to the limit"
        );
    }

    #[test]
    fn a_rise_smaller_than_linear_doubles() {
        let mut ramp = Ramp::default();
        ramp.decide(1, 16, 100e6, TICK);
        assert_eq!(ramp.decide(4, 16, 130e6, TICK), 4);
        assert_eq!(ramp.decide(8, 16, 160e6, TICK), 8);
    }

    #[test]
    fn without_a_rise_it_waits_then_stops_after_its_patience() {
        let mut ramp = Ramp::default();
        ramp.decide(1, 8, 100e6, TICK);
        let mut waited = Duration::ZERO;
        while waited < PATIENCE {
            assert_eq!(ramp.decide(4, 8, 105e6, TICK), 0);
            waited += TICK;
        }
        assert_eq!(
            ramp.decide(4, 8, 300e6, TICK),
            0,
            "stopped, even if the rate rises later"
        );
    }

    #[test]
    fn late_connections_that_get_going_count_against_the_rate_they_joined() {
        let mut ramp = Ramp::default();
        ramp.decide(1, 8, 20e6, TICK);
        assert_eq!(
            ramp.decide(2, 8, 21e6, TICK),
            0,
            "the new one is still connecting"
        );
        assert_eq!(ramp.decide(2, 8, 40e6, TICK), 6);
    }

    #[test]
    fn a_burst_at_the_start_does_not_hold_back_the_next_rise() {
        let mut ramp = Ramp::default();
        ramp.decide(1, 8, 42e6, TICK);
        assert_eq!(ramp.decide(2, 8, 30e6, TICK), 0);
        assert_eq!(
            ramp.decide(2, 8, 40e6, TICK),
            2,
            "a rise from 30, not from 42"
        );
    }

    #[test]
    fn it_never_goes_past_the_limit_nor_adds_after_a_refusal() {
        let mut ramp = Ramp::default();
        assert_eq!(ramp.decide(1, 1, 20e6, TICK), 0);
        assert_eq!(ramp.decide(3, 4, 20e6, TICK), 1);
        let mut refused = Ramp::default();
        refused.stop();
        assert_eq!(refused.decide(1, 8, 20e6, TICK), 0);
    }

    /// Feeds `rates` (one per [`TICK`]) with `connections` of at most `limit` running;
    /// returns the connections added.
    fn run(ramp: &mut Ramp, connections: usize, limit: usize, rates: &[f64]) -> usize {
        rates
            .iter()
            .map(|&rate| ramp.decide(connections, limit, rate, TICK))
            .sum()
    }

    #[test]
    fn added_connections_no_faster_than_one_close_after_several_samples() {
        let mut ramp = Ramp::default();
        assert_eq!(ramp.decide(1, 8, 500e6, TICK), 3);
        assert_eq!(run(&mut ramp, 4, 8, &[450e6, 480e6, 470e6]), 0);
        assert_eq!(ramp.keep(), None, "three samples are not enough to judge");
        assert_eq!(ramp.decide(4, 8, 500e6, TICK), 0);
        assert_eq!(ramp.keep(), Some(1));
        assert_eq!(ramp.decide(1, 8, 900e6, TICK), 0, "no more are added");
    }

    #[test]
    fn one_fast_sample_does_not_keep_connections_that_are_no_faster() {
        let mut ramp = Ramp::default();
        ramp.decide(1, 8, 500e6, TICK);
        // A dip, then a recovery that looks like a rise from it: doubled.
        assert_eq!(run(&mut ramp, 4, 8, &[400e6, 700e6]), 4);
        assert_eq!(run(&mut ramp, 8, 8, &[420e6, 520e6, 450e6, 480e6]), 0);
        assert_eq!(ramp.keep(), Some(1), "the eight made 468 MB/s, the one 500");
    }

    #[test]
    fn added_connections_are_judged_over_all_their_samples() {
        let mut ramp = Ramp::default();
        assert_eq!(ramp.decide(1, 4, 500e6, TICK), 3);
        run(&mut ramp, 4, 4, &[900e6, 1000e6, 950e6, 900e6]);
        assert_eq!(ramp.keep(), None, "a burst into the page cache");
        run(&mut ramp, 4, 4, &[200e6, 200e6, 100e6]);
        assert_eq!(ramp.keep(), None, "607 MB/s over seven samples");
        run(&mut ramp, 4, 4, &[100e6]);
        assert_eq!(
            ramp.keep(),
            Some(1),
            "544 MB/s over eight: not 15 % above 500"
        );
    }

    #[test]
    fn connections_that_beat_the_best_by_the_rise_stay() {
        let mut capped = Ramp::default();
        capped.decide(1, 16, 20e6, TICK);
        assert_eq!(capped.decide(4, 16, 78e6, TICK), 12);
        assert_eq!(run(&mut capped, 16, 16, &[300e6; 12]), 0);
        assert_eq!(capped.keep(), None, "held per connection: every one stays");

        let mut ramp = Ramp::default();
        ramp.decide(1, 16, 100e6, TICK);
        assert_eq!(ramp.decide(4, 16, 130e6, TICK), 4);
        assert_eq!(run(&mut ramp, 8, 16, &[125e6, 118e6, 122e6, 120e6]), 0);
        assert_eq!(ramp.keep(), None, "eight made 121 MB/s against one's 100");
    }
}
