//! Shared simulator state: sessions, lockouts, counters, faults, the traces and what a
//! read can see. [`SimControl`] (in `handle.rs`) is the handle tests and the control
//! endpoints use.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use uuid::Uuid;

use super::config::{SimAccount, SimulatorConfig};
use super::faults::{Endpoint, FaultKind, FaultQueue};
pub use super::handle::SimControl;
use super::read_log::{ReadLog, ReadRecord};
pub use super::sessions::{LoginError, SessionError};
use super::sessions::{Policy, Sessions};
use super::trace::{Reading, Trace};
use super::upload::{UploadLag, View};
use crate::clock::{Clock, Tick};

/// Everything a reset clears.
#[derive(Debug, Default)]
pub(super) struct Inner {
    pub calls: [u64; 3],
    pub faults: FaultQueue,
    pub sessions: Sessions,
    pub signal_loss_minutes: u32,
    /// `[from_ms, to_ms)` ranges of reading times withheld from every read.
    pub hidden: Vec<(i64, i64)>,
    pub reads: ReadLog,
}

/// How many issued session IDs [`SimControl::issued_sessions`](super::SimControl::issued_sessions) remembers.
const ISSUED_KEPT: usize = 10_000;

/// State shared by every worker; built once.
#[derive(Debug)]
pub struct SimState {
    config: SimulatorConfig,
    policy: Policy,
    /// One per account, phases decided at start.
    traces: Vec<Trace>,
    upload: UploadLag,
    inner: Mutex<Inner>,
    // Outside `Inner` so that a reset does not forget them: tests look for them in logs.
    issued: Mutex<Vec<Uuid>>,
}

impl SimState {
    /// Fresh state for a config; anchored traces are placed at `config.clock.now()`.
    pub fn new(config: SimulatorConfig) -> Self {
        let minutes = |m: u32| Duration::from_secs(u64::from(m) * 60);
        let policy = Policy {
            lifetime: minutes(config.session_lifetime_minutes),
            lockout_after: config.lockout_after_failures,
            lockout: minutes(config.lockout_minutes),
        };
        let start_ms = config.clock.now().timestamp_millis();
        let traces = config
            .accounts
            .iter()
            .map(|a| match config.newest_reading_age_seconds {
                Some(age) => Trace::anchored(
                    a.seed,
                    a.utc_offset_minutes,
                    start_ms - i64::from(age) * 1000,
                ),
                None => Trace::new(a.seed, a.utc_offset_minutes),
            })
            .collect();
        let upload =
            UploadLag::from_seconds(config.upload_lag_seconds, config.upload_lag_jitter_seconds);
        SimState {
            config,
            policy,
            traces,
            upload,
            inner: Mutex::new(Inner::default()),
            issued: Mutex::new(Vec::new()),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave Inner half-updated in a
        // way that matters for a simulator, so recover from poisoning.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The clock every simulated time comes from.
    pub fn clock(&self) -> Clock {
        self.config.clock
    }

    /// The account at an index returned by the login/session methods.
    pub fn account(&self, index: usize) -> &SimAccount {
        &self.config.accounts[index]
    }

    /// Index of the account with this username (case-insensitive).
    pub fn find_by_name(&self, name: &str) -> Option<usize> {
        self.config
            .accounts
            .iter()
            .position(|a| a.username.eq_ignore_ascii_case(name))
    }

    /// Index of the account with this id.
    pub fn find_by_id(&self, id: &Uuid) -> Option<usize> {
        self.config
            .accounts
            .iter()
            .position(|a| a.account_id == *id)
    }

    /// Counts one request that reached `endpoint` and takes a matching fault.
    pub fn arrive(&self, endpoint: Endpoint) -> Option<FaultKind> {
        let mut inner = self.lock();
        inner.calls[endpoint.index()] += 1;
        inner.faults.take(endpoint)
    }

    /// Checks a password against an account, applying the lockout policy.
    pub fn check_password(
        &self,
        account: Option<usize>,
        password: &str,
        now: Tick,
    ) -> Result<usize, LoginError> {
        let Some(index) = account else {
            return Err(LoginError::BadCredentials);
        };
        let password_ok = self.config.accounts[index].password == password;
        self.lock()
            .sessions
            .check_password(index, password_ok, now, &self.policy)
    }

    /// Every session ID issued so far (the latest 10 000).
    pub(super) fn issued(&self) -> Vec<Uuid> {
        self.issued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Issues a fresh random session for an account.
    pub fn create_session(&self, account: usize, now: Tick) -> Uuid {
        let id = Uuid::new_v4();
        self.lock().sessions.create(id, account, now, &self.policy);
        let mut issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        if issued.len() == ISSUED_KEPT {
            issued.remove(0);
        }
        issued.push(id);
        id
    }

    /// The account behind a session id, if the session is alive.
    pub fn session_account(&self, id: &Uuid, now: Tick) -> Result<usize, SessionError> {
        self.lock().sessions.account(id, now, &self.policy)
    }

    /// Records a read answered with readings.
    pub fn record_read(&self, read: ReadRecord) {
        self.lock().reads.push(read);
    }

    /// What a read of account `index` at `now_ms` can see (`None`: no such account).
    pub(super) fn with_view<R>(
        &self,
        index: usize,
        now_ms: i64,
        f: impl FnOnce(&View<'_>) -> R,
    ) -> Option<R> {
        let trace = self.traces.get(index)?;
        let (signal_loss_minutes, hidden) = {
            let inner = self.lock();
            (inner.signal_loss_minutes, inner.hidden.clone())
        };
        let view = View {
            trace,
            upload: self.upload,
            now_ms,
            signal_loss_ms: i64::from(signal_loss_minutes) * 60_000,
            hidden: &hidden,
        };
        Some(f(&view))
    }

    /// The readings of account `index` that a read at `now_ms` sees, newest first, with
    /// `oldest_exclusive_ms < time`, at most `max_count`: uploaded by now, not withheld by
    /// signal loss, not in a hidden range.
    pub fn visible_readings(
        &self,
        index: usize,
        now_ms: i64,
        oldest_exclusive_ms: i64,
        max_count: usize,
    ) -> Vec<Reading> {
        self.with_view(index, now_ms, |view| {
            view.readings(oldest_exclusive_ms, max_count)
                .into_iter()
                .map(|(reading, _)| reading)
                .collect()
        })
        .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn state(lockout_after: u32) -> Arc<SimState> {
        let mut config = SimulatorConfig::demo();
        config.lockout_after_failures = lockout_after;
        config.session_lifetime_minutes = 10;
        Arc::new(SimState::new(config))
    }

    #[test]
    fn sessions_follow_the_configured_lifetime() {
        let s = state(5);
        let t0 = s.clock().tick();
        let id = s.create_session(0, t0);
        assert_eq!(s.session_account(&id, t0 + Duration::from_secs(599)), Ok(0));
        assert_eq!(
            s.session_account(&id, t0 + Duration::from_secs(600)),
            Err(SessionError::NotValid)
        );
    }

    #[test]
    fn lockout_follows_the_configured_policy() {
        let s = state(3);
        let t0 = s.clock().tick();
        for _ in 0..3 {
            assert_eq!(
                s.check_password(Some(0), "nope", t0),
                Err(LoginError::BadCredentials)
            );
        }
        assert_eq!(
            s.check_password(Some(0), "demo-password", t0),
            Err(LoginError::LockedOut)
        );
        let later = t0 + Duration::from_secs(15 * 60);
        assert_eq!(s.check_password(Some(0), "demo-password", later), Ok(0));
        assert_eq!(
            s.check_password(None, "demo-password", t0),
            Err(LoginError::BadCredentials)
        );
    }
}
