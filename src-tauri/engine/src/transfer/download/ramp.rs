//! When to add connections to a file fetched in parts: the rule, apart from the clock, so it can
//! be tested with made-up rates.
//!
//! It starts with one connection and measures. Then it opens [`FIRST_STEP`] times as many,
//! and doubles them while the total rate rises by [`RISE`]; when the new connections turn out as fast as the ones before them —
//! the server holds each connection to a rate, as many servers and CDNs do — it goes straight
//! to the limit. A measurement lower than the one connections were last added at becomes the
//! mark to rise from (the higher one may have been a burst). After [`PATIENCE`] without a rise
//! it stops adding.

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

/// A measured rate with the connections that made it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Measured {
    connections: usize,
    bytes_per_second: f64,
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
}
