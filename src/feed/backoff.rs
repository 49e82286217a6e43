//! How long to wait before calling Share again. Pure arithmetic, so the rules are unit-tested
//! apart from any clock or network.

use std::time::Duration;

use crate::share::ShareError;

/// When logins may happen. Share answers a wrong password with HTTP 500 like an outage, and
/// repeated failed logins lock the account (which also breaks the official Follow app), so
/// a rejected login waits for a long back-off and no pattern of requests or faults may
/// produce more than one login per `min_interval`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginPolicy {
    /// Wait after the first rejected login; doubles with each further rejection.
    pub rejected_initial: Duration,
    /// Longest wait after rejected logins.
    pub rejected_max: Duration,
    /// Shortest wait after Share reported the account locked.
    pub lockout_wait: Duration,
    /// Shortest time between two logins of one account, whatever the reason.
    pub min_interval: Duration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            rejected_initial: Duration::from_secs(5 * 60),
            rejected_max: Duration::from_secs(60 * 60),
            lockout_wait: Duration::from_secs(30 * 60),
            min_interval: Duration::from_secs(60),
        }
    }
}

impl LoginPolicy {
    /// The wait after `rejections` rejected logins in a row, the last one failing with `cause`.
    pub fn rejected_backoff(&self, rejections: u32, cause: &ShareError) -> Duration {
        let backoff = doubling(self.rejected_initial, self.rejected_max, rejections);
        if matches!(cause, ShareError::Locked { .. }) {
            backoff.max(self.lockout_wait)
        } else {
            backoff
        }
    }
}

/// Back-off after transient faults (timeouts, connection errors, HTTP error pages, unknown
/// fault codes, unreadable answers): doubling, with jitter so that many proxies recovering
/// from one Share outage do not return in step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial: Duration::from_secs(5),
            max: Duration::from_secs(5 * 60),
        }
    }
}

impl RetryPolicy {
    /// The wait after `failures` transient failures in a row; `unit` in [0, 1) picks the
    /// jitter, which spreads the wait over 75–125 % of the doubling value.
    pub fn backoff(&self, failures: u32, unit: f64) -> Duration {
        let base = doubling(self.initial, self.max, failures);
        base.mul_f64(0.75 + 0.5 * unit.clamp(0.0, 1.0))
    }
}

/// `initial × 2^(n−1)`, at most `max`; zero for n = 0.
fn doubling(initial: Duration, max: Duration, n: u32) -> Duration {
    if n == 0 {
        return Duration::ZERO;
    }
    initial.saturating_mul(1 << (n - 1).min(20)).min(max)
}

/// A number in [0, 1) from the OS random source (through a v4 UUID, which the service
/// already depends on), for jitter.
pub fn random_unit() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u64 >> 11;
    bits as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected() -> ShareError {
        ShareError::CredentialsRejected {
            code: "AccountPasswordInvalid".into(),
        }
    }

    #[test]
    fn rejected_logins_wait_5_minutes_doubling_to_an_hour() {
        let policy = LoginPolicy::default();
        let minutes: Vec<u64> = (1..=7)
            .map(|n| policy.rejected_backoff(n, &rejected()).as_secs() / 60)
            .collect();
        assert_eq!(minutes, [5, 10, 20, 40, 60, 60, 60]);
        assert_eq!(
            policy.rejected_backoff(u32::MAX, &rejected()).as_secs(),
            3600
        );
    }

    #[test]
    fn a_lockout_waits_at_least_30_minutes() {
        let policy = LoginPolicy::default();
        let locked = ShareError::Locked {
            code: "SSO_AuthenticateMaxAttemptsExceeed".into(),
        };
        assert_eq!(policy.rejected_backoff(1, &locked).as_secs(), 30 * 60);
        assert_eq!(policy.rejected_backoff(5, &locked).as_secs(), 60 * 60);
    }

    #[test]
    fn transient_backoff_doubles_with_jitter_within_a_quarter() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff(0, 0.5), Duration::ZERO);
        assert_eq!(policy.backoff(1, 0.5), Duration::from_secs(5));
        assert_eq!(policy.backoff(3, 0.5), Duration::from_secs(20));
        assert_eq!(policy.backoff(30, 0.5), Duration::from_secs(300));
        assert_eq!(policy.backoff(1, 0.0), Duration::from_millis(3750));
        assert!(policy.backoff(1, 0.999_999) < Duration::from_millis(6250));
    }

    #[test]
    fn random_units_are_in_range_and_vary() {
        let draws: Vec<f64> = (0..100).map(|_| random_unit()).collect();
        assert!(draws.iter().all(|u| (0.0..1.0).contains(u)));
        assert!(draws.windows(2).any(|w| w[0] != w[1]));
    }
}
