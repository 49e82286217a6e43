//! The per-account circuit: after Share rejects a login, no login before a long back-off;
//! after a transient fault, no call before a short, jittered one. Open states are kept on the
//! clock's monotonic scale, so a wall clock stepped forward cannot shorten them.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::backoff::{random_unit, LoginPolicy, RetryPolicy};
use super::error::UpstreamError;
use crate::clock::chrono_span;
use crate::clock::{Clock, Tick};
use crate::share::ShareError;

/// Whether the service calls Share for this account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CircuitState {
    /// Calls go through.
    #[default]
    Closed,
    /// Transient faults: no call before the next attempt.
    BackingOff,
    /// Share rejected the credentials or locked the account: no login before the next attempt.
    LoginBlocked,
}

/// Calls are refused until `until`.
struct Open {
    state: CircuitState,
    until: Tick,
    until_utc: DateTime<Utc>,
    cause: ShareError,
}

pub struct Circuit {
    login_policy: LoginPolicy,
    retry_policy: RetryPolicy,
    clock: Clock,
    rejected_logins: u32,
    transient_failures: u32,
    open: Option<Open>,
}

impl Circuit {
    pub fn new(login_policy: LoginPolicy, retry_policy: RetryPolicy, clock: Clock) -> Circuit {
        Circuit {
            login_policy,
            retry_policy,
            clock,
            rejected_logins: 0,
            transient_failures: 0,
            open: None,
        }
    }

    fn current(&self) -> Option<&Open> {
        let now = self.clock.tick();
        self.open.as_ref().filter(|o| o.until > now)
    }

    /// The answer to give without calling Share, while the circuit is open.
    pub fn refusal(&self) -> Option<UpstreamError> {
        let open = self.current()?;
        let (until, cause) = (open.until_utc, open.cause.clone());
        Some(match open.state {
            CircuitState::LoginBlocked => UpstreamError::LoginBlocked { until, cause },
            _ => UpstreamError::BackingOff { until, cause },
        })
    }

    pub fn state(&self) -> CircuitState {
        self.current().map_or(CircuitState::Closed, |o| o.state)
    }

    pub fn open_until(&self) -> Option<Tick> {
        self.current().map(|o| o.until)
    }

    pub fn open_until_utc(&self) -> Option<DateTime<Utc>> {
        self.current().map(|o| o.until_utc)
    }

    /// Failures in a row (rejected logins, or transient faults).
    pub fn consecutive_failures(&self) -> u32 {
        self.transient_failures.max(self.rejected_logins)
    }

    /// A read succeeded.
    pub fn close(&mut self) {
        self.transient_failures = 0;
        self.open = None;
    }

    pub fn login_accepted(&mut self) {
        self.rejected_logins = 0;
    }

    /// Share rejected a login: opens for the login back-off; returns the refusal to report.
    pub fn login_rejected(&mut self, cause: ShareError) -> UpstreamError {
        self.rejected_logins = self.rejected_logins.saturating_add(1);
        let backoff = self
            .login_policy
            .rejected_backoff(self.rejected_logins, &cause);
        let open = self.open_for(CircuitState::LoginBlocked, backoff, cause);
        let refused = UpstreamError::LoginBlocked {
            until: open.until_utc,
            cause: open.cause.clone(),
        };
        self.open = Some(open);
        refused
    }

    /// A transient fault: opens for the retry back-off, which it returns (zero when the
    /// policy has none).
    pub fn transient(&mut self, cause: ShareError) -> Option<Duration> {
        self.transient_failures = self.transient_failures.saturating_add(1);
        let backoff = self
            .retry_policy
            .backoff(self.transient_failures, random_unit());
        self.open = Some(self.open_for(CircuitState::BackingOff, backoff, cause));
        (!backoff.is_zero()).then_some(backoff)
    }

    fn open_for(&self, state: CircuitState, backoff: Duration, cause: ShareError) -> Open {
        Open {
            state,
            until: self.clock.tick() + backoff,
            until_utc: self.clock.now() + chrono_span(backoff),
            cause,
        }
    }
}
