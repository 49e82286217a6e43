//! What `/accounts` reports about each account's link to Share.

use chrono::{DateTime, Utc};

use super::circuit::CircuitState;
use super::error::UpstreamError;

/// Where the account's Share session stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SessionPhase {
    /// No session yet (never logged in, or the last one ended).
    #[default]
    None,
    /// A session is held and was valid at the last read.
    Active,
    /// Share rejected the last login; no login is tried before the circuit's next attempt.
    LoginBlocked,
}

/// The session layer's state after one refresh.
#[derive(Clone, Copy, Debug)]
pub struct StatusSnapshot {
    pub phase: SessionPhase,
    pub circuit: CircuitState,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
}

/// The latest outcome of the account's upstream calls.
#[derive(Clone, Debug, Default)]
pub struct AccountStatus {
    pub phase: SessionPhase,
    pub circuit: CircuitState,
    /// When the circuit entered its current state (unset until the first refresh).
    pub circuit_since: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<(DateTime<Utc>, UpstreamError)>,
    /// Login attempts since start (each may be one or two Share calls).
    pub logins: u64,
    /// How those that finished ended.
    pub login_outcomes: LoginOutcomes,
    /// Glucose reads sent to Share since start.
    pub reads: u64,
}

/// Login attempts by how they ended, since start. An attempt cut off by the refresh deadline
/// has no outcome here: see [`LoginOutcomes::timed_out`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoginOutcomes {
    pub ok: u64,
    /// Share refused the credentials.
    pub rejected: u64,
    /// Share locked the account.
    pub locked: u64,
    /// Share did not answer within the client's timeout.
    pub timeout: u64,
    /// Any other failure (unreachable, an error page, an unknown code).
    pub failed: u64,
}

impl LoginOutcomes {
    /// Of `attempts` (every login started), those that timed out: the ones Share did not
    /// answer in time, and the ones the refresh deadline cut off, which never ended.
    pub fn timed_out(&self, attempts: u64) -> u64 {
        attempts.saturating_sub(self.ok + self.rejected + self.locked + self.failed)
    }
}

impl AccountStatus {
    pub fn record(
        &mut self,
        now: DateTime<Utc>,
        snapshot: StatusSnapshot,
        error: Option<&UpstreamError>,
    ) {
        if self.circuit_since.is_none() || self.circuit != snapshot.circuit {
            self.circuit_since = Some(now);
        }
        self.phase = snapshot.phase;
        self.circuit = snapshot.circuit;
        self.next_attempt_at = snapshot.next_attempt_at;
        self.consecutive_failures = snapshot.consecutive_failures;
        match error {
            None => self.last_success_at = Some(now),
            Some(e) => self.last_error = Some((now, e.clone())),
        }
    }
}
