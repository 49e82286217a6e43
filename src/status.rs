//! What `/accounts` reports about each account's link to Share.

use chrono::{DateTime, Utc};

use crate::session::UpstreamError;

/// Where the account's Share session stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SessionPhase {
    /// No session yet (never logged in, or the last one ended).
    #[default]
    None,
    /// A session is held and was valid at the last read.
    Active,
    /// Share rejected the last login; no login is tried before `login_blocked_until`.
    LoginBlocked,
}

/// The latest outcome of the account's upstream calls.
#[derive(Clone, Debug, Default)]
pub struct AccountStatus {
    pub phase: SessionPhase,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<(DateTime<Utc>, UpstreamError)>,
    pub login_blocked_until: Option<DateTime<Utc>>,
    /// Login attempts since start (each may be one or two Share calls).
    pub logins: u64,
}

impl AccountStatus {
    pub fn record(
        &mut self,
        phase: SessionPhase,
        blocked_until: Option<DateTime<Utc>>,
        error: Option<&UpstreamError>,
    ) {
        let now = Utc::now();
        self.phase = phase;
        self.login_blocked_until = blocked_until.filter(|until| *until > now);
        match error {
            None => self.last_success_at = Some(now),
            Some(e) => self.last_error = Some((now, e.clone())),
        }
    }
}
