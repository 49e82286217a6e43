//! When a feed reads Share next. A sensor makes a reading every 5 minutes and the wearer's
//! phone uploads it after a lag, so after a read whose newest reading is T, the next one is
//! visible at about T + 5 min + lag. The feed polls then, retries every few seconds for a
//! short while if it is late, expects the slot after that if one is skipped, and after a few
//! empty slots (sensor warm-up, signal loss, the phone off) falls back to a slow poll. The lag
//! is learned from what the polls see. Pure arithmetic: unit-tested apart from any clock.

use chrono::{DateTime, Duration, Utc};

/// The numbers behind the schedule (`[feed]` in the config).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cadence {
    /// Time between two readings of the sensor.
    pub interval: Duration,
    /// The upload lag assumed before one is learned.
    pub initial_lag: Duration,
    /// How much earlier the next poll probes after a poll that found its reading at once.
    pub lag_step: Duration,
    /// Learned lags stay within ±this (a negative lag is this host's clock running behind
    /// the phone's).
    pub max_lag: Duration,
    /// Poll this often while an expected reading is late…
    pub retry_every: Duration,
    /// …for this long after it was expected.
    pub retry_for: Duration,
    /// Expected readings that may be missing before the slow poll.
    pub missed_slots: u32,
    /// Poll this often when no reading is expected soon.
    pub slow_every: Duration,
}

impl Default for Cadence {
    fn default() -> Self {
        Cadence {
            interval: Duration::minutes(5),
            initial_lag: Duration::seconds(20),
            lag_step: Duration::seconds(2),
            max_lag: Duration::minutes(2),
            retry_every: Duration::seconds(5),
            retry_for: Duration::seconds(30),
            missed_slots: 3,
            slow_every: Duration::minutes(2),
        }
    }
}

/// Why a poll happens; what it can teach about the lag depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Poll {
    /// The feed's first read, or one after the slow poll: says nothing about the lag.
    Unaligned,
    /// At the time the next reading was expected.
    Due,
    /// A retry for an expected reading that was late.
    Retry,
}

/// The next poll and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Next {
    pub at: DateTime<Utc>,
    pub poll: Poll,
    /// When the next reading should be visible upstream, if one is expected.
    pub reading_due: Option<DateTime<Utc>>,
}

/// The learned lag of one account.
#[derive(Clone, Debug)]
pub struct Schedule {
    cadence: Cadence,
    lag: Duration,
}

impl Schedule {
    pub fn new(cadence: Cadence) -> Schedule {
        let lag = cadence.initial_lag;
        Schedule { cadence, lag }
    }

    /// The learned upload lag (time from a reading's instant to its being visible upstream,
    /// on this host's clock).
    pub fn lag(&self) -> Duration {
        self.lag
    }

    /// Learns from a successful read made at `polled_at` as a `poll`, which found `newest`
    /// as its newest reading where the one before was `previous`.
    pub fn observe(
        &mut self,
        poll: Poll,
        polled_at: DateTime<Utc>,
        previous: Option<DateTime<Utc>>,
        newest: Option<DateTime<Utc>>,
    ) {
        let (Some(previous), Some(newest)) = (previous, newest) else {
            return;
        };
        if newest <= previous {
            return;
        }
        // The reading was visible by `polled_at`: an upper bound on its lag.
        let seen_after = polled_at - newest;
        let learned = match poll {
            Poll::Unaligned => return,
            // Found at once: the lag may be shorter; probe a little earlier next time.
            Poll::Due => seen_after.min(self.lag) - self.cadence.lag_step,
            // Found on a retry: within `retry_every` of the true lag.
            Poll::Retry => seen_after,
        };
        self.lag = learned.clamp(-self.cadence.max_lag, self.cadence.max_lag);
    }

    /// When to read next, at `now`, when the newest reading held was taken at `newest`.
    pub fn next(&self, now: DateTime<Utc>, newest: Option<DateTime<Utc>>) -> Next {
        let c = &self.cadence;
        let slow = Next {
            at: now + c.slow_every,
            poll: Poll::Unaligned,
            reading_due: None,
        };
        let Some(newest) = newest else {
            return slow;
        };
        for slot in 1..=c.missed_slots.max(1) {
            let due = newest + c.interval * i32::try_from(slot).unwrap_or(i32::MAX) + self.lag;
            if now < due {
                return Next {
                    at: due,
                    poll: Poll::Due,
                    reading_due: Some(due),
                };
            }
            if now < due + c.retry_for {
                return Next {
                    at: now + c.retry_every,
                    poll: Poll::Retry,
                    reading_due: Some(due),
                };
            }
        }
        slow
    }
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
