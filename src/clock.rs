//! The service's idea of "now", and of waiting until a moment.
//!
//! Production uses the system clock. Tests and the benchmark share one *scaled* clock between
//! the proxy and the Share simulator, so that a simulated day of 5-minute readings, upload
//! lags, back-offs and session lifetimes runs in minutes while every rule keeps its real
//! numbers. Network timeouts are not scaled: they bound real sockets.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// A clock: wall-clock time for reading times and display, and a monotonic count for
/// back-offs, so that a wall clock stepped back or forward cannot shorten a login back-off.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    origin: Instant,
    origin_ms: i64,
    /// Simulated seconds per real second; 1 for the system clock.
    speed: f64,
    system: bool,
}

/// A point on a clock's monotonic scale (time since the clock was made, scaled).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tick(Duration);

impl Tick {
    pub fn saturating_sub(self, earlier: Tick) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

impl std::ops::Add<Duration> for Tick {
    type Output = Tick;
    fn add(self, rhs: Duration) -> Tick {
        Tick(self.0.saturating_add(rhs))
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl Clock {
    /// The host's clock.
    pub fn system() -> Clock {
        Clock {
            origin: Instant::now(),
            origin_ms: Utc::now().timestamp_millis(),
            speed: 1.0,
            system: true,
        }
    }

    /// A clock that starts at the current wall-clock time and runs `speed` times faster.
    /// Give the same value to every part that must agree on time (it is `Copy`).
    pub fn scaled(speed: f64) -> Clock {
        assert!(
            speed.is_finite() && speed >= 1.0,
            "invariant: a scaled clock runs at least as fast as real time"
        );
        Clock {
            speed,
            system: false,
            ..Clock::system()
        }
    }

    /// Simulated seconds per real second.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn now(&self) -> DateTime<Utc> {
        if self.system {
            return Utc::now();
        }
        let elapsed = self.tick().0;
        let ms = i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX);
        DateTime::from_timestamp_millis(self.origin_ms.saturating_add(ms)).unwrap_or_else(Utc::now)
    }

    /// Monotonic time since the clock was made, scaled.
    pub fn tick(&self) -> Tick {
        Tick(self.origin.elapsed().mul_f64(self.speed))
    }

    /// The real time a span of this clock's time takes.
    pub fn real(&self, span: Duration) -> Duration {
        span.div_f64(self.speed)
    }

    /// Waits for a span of this clock's time.
    pub async fn sleep(&self, span: Duration) {
        tokio::time::sleep(self.real(span)).await;
    }

    /// Waits until `at` on this clock (at once when it has passed).
    pub async fn sleep_until(&self, at: DateTime<Utc>) {
        let span = (at - self.now()).to_std().unwrap_or(Duration::ZERO);
        self.sleep(span).await;
    }

    /// Waits until the monotonic point `at`.
    pub async fn sleep_until_tick(&self, at: Tick) {
        self.sleep(at.saturating_sub(self.tick())).await;
    }
}

/// A wait as a span of wall-clock time; a wait too long for chrono is forever.
pub fn chrono_span(span: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(span).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scaled_clock_runs_faster_and_agrees_with_its_copies() {
        let clock = Clock::scaled(1000.0);
        let copy = clock;
        let start = clock.now();
        std::thread::sleep(Duration::from_millis(20));
        let later = copy.now();
        let simulated = (later - start).num_milliseconds();
        assert!(simulated >= 19_000, "{simulated} ms");
        assert_eq!(
            clock.real(Duration::from_secs(300)),
            Duration::from_millis(300)
        );
    }

    #[test]
    fn the_system_clock_is_wall_time() {
        let clock = Clock::system();
        let drift = (clock.now() - Utc::now()).num_milliseconds().abs();
        assert!(drift < 1000, "{drift}");
        assert_eq!(clock.real(Duration::from_secs(3)), Duration::from_secs(3));
        assert!(clock.tick() >= Tick(Duration::ZERO));
    }
}
