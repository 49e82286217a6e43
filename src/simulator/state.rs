//! Shared simulator state (sessions, lockouts, counters, faults) and the
//! [`SimControl`] handle that tests and the control endpoints use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::config::{SimAccount, SimulatorConfig};
use super::faults::{Endpoint, Fault, FaultKind, FaultQueue};

/// Why a login was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginError {
    /// Unknown account or wrong password (`AccountPasswordInvalid`).
    BadCredentials,
    /// Too many failures (`SSO_AuthenticateMaxAttemptsExceeed`).
    LockedOut,
}

/// Why a session id was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionError {
    /// Never issued (or forgotten by a reset): `SessionIdNotFound`.
    NotFound,
    /// Expired or revoked: `SessionNotValid`.
    NotValid,
}

#[derive(Debug)]
struct Session {
    account: usize,
    created: Instant,
    revoked: bool,
}

#[derive(Debug, Default)]
struct Lock {
    failures: u32,
    until: Option<Instant>,
}

#[derive(Debug, Default)]
struct Inner {
    calls: [u64; 3],
    faults: FaultQueue,
    sessions: HashMap<Uuid, Session>,
    locks: HashMap<usize, Lock>,
    signal_loss_minutes: u32,
}

/// How many issued session IDs [`SimControl::issued_sessions`] remembers.
const ISSUED_KEPT: usize = 10_000;

/// State shared by every worker; built once.
#[derive(Debug)]
pub struct SimState {
    config: SimulatorConfig,
    inner: Mutex<Inner>,
    // Outside `Inner` so that a reset does not forget them: tests look for them in logs.
    issued: Mutex<Vec<Uuid>>,
}

impl SimState {
    /// Fresh state for a config.
    pub fn new(config: SimulatorConfig) -> Self {
        SimState {
            config,
            inner: Mutex::new(Inner::default()),
            issued: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave Inner half-updated in a
        // way that matters for a simulator, so recover from poisoning.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
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
        now: Instant,
    ) -> Result<usize, LoginError> {
        let Some(index) = account else {
            return Err(LoginError::BadCredentials);
        };
        let threshold = self.config.lockout_after_failures;
        let lockout = Duration::from_secs(u64::from(self.config.lockout_minutes) * 60);
        let mut inner = self.lock();
        let lock = inner.locks.entry(index).or_default();
        match lock.until {
            Some(until) if until > now => return Err(LoginError::LockedOut),
            Some(_) => *lock = Lock::default(),
            None => {}
        }
        if self.config.accounts[index].password == password {
            lock.failures = 0;
            return Ok(index);
        }
        lock.failures += 1;
        if threshold > 0 && lock.failures >= threshold {
            lock.until = Some(now + lockout);
        }
        Err(LoginError::BadCredentials)
    }

    /// Issues a fresh random session for an account.
    pub fn create_session(&self, account: usize, now: Instant) -> Uuid {
        let id = Uuid::new_v4();
        let keep_for = self.lifetime() * 2;
        let mut inner = self.lock();
        // Forget long-dead sessions so a long run does not grow without bound.
        inner
            .sessions
            .retain(|_, s| now.saturating_duration_since(s.created) < keep_for);
        inner.sessions.insert(
            id,
            Session {
                account,
                created: now,
                revoked: false,
            },
        );
        drop(inner);
        let mut issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        if issued.len() == ISSUED_KEPT {
            issued.remove(0);
        }
        issued.push(id);
        id
    }

    fn lifetime(&self) -> Duration {
        Duration::from_secs(u64::from(self.config.session_lifetime_minutes) * 60)
    }

    /// The account behind a session id, if the session is alive.
    pub fn session_account(&self, id: &Uuid, now: Instant) -> Result<usize, SessionError> {
        let lifetime = self.lifetime();
        let inner = self.lock();
        let s = inner.sessions.get(id).ok_or(SessionError::NotFound)?;
        if s.revoked || now.saturating_duration_since(s.created) >= lifetime {
            return Err(SessionError::NotValid);
        }
        Ok(s.account)
    }

    /// Minutes of withheld recent readings.
    pub fn signal_loss_minutes(&self) -> u32 {
        self.lock().signal_loss_minutes
    }
}

/// Cheap, cloneable handle to a running simulator's knobs.
#[derive(Clone, Debug)]
pub struct SimControl {
    state: Arc<SimState>,
}

impl SimControl {
    pub(crate) fn new(state: Arc<SimState>) -> Self {
        SimControl { state }
    }

    /// Requests that reached `endpoint` (faulted or not) since start or reset.
    pub fn calls(&self, endpoint: Endpoint) -> u64 {
        self.state.lock().calls[endpoint.index()]
    }

    /// Every session ID issued so far (the latest 10 000), even after a reset: tests check
    /// that none of them shows up where it must not.
    pub fn issued_sessions(&self) -> Vec<Uuid> {
        self.state
            .issued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Clears counters, faults, sessions, lockouts and signal loss.
    pub fn reset(&self) {
        *self.state.lock() = Inner::default();
    }

    /// Marks every current session expired: its next read → `SessionNotValid`.
    pub fn expire_sessions(&self) {
        for s in self.state.lock().sessions.values_mut() {
            s.revoked = true;
        }
    }

    /// Queues a fault (see [`Fault`] for the semantics). Faults that can
    /// never fire ([`Fault::validate`]) are ignored with a warning.
    pub fn inject(&self, fault: Fault) {
        if let Err(e) = fault.validate() {
            log::warn!("share-simulator: ignoring fault {fault:?}: {e}");
            return;
        }
        log::info!("share-simulator: fault injected: {fault:?}");
        self.state.lock().faults.push(fault);
    }

    /// Removes every queued fault.
    pub fn clear_faults(&self) {
        self.state.lock().faults.clear();
    }

    /// Withholds readings newer than `minutes` ago (0 = off).
    pub fn set_signal_loss_minutes(&self, minutes: u32) {
        self.state.lock().signal_loss_minutes = minutes;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn state(lockout_after: u32) -> Arc<SimState> {
        let mut config = SimulatorConfig::demo();
        config.lockout_after_failures = lockout_after;
        config.session_lifetime_minutes = 10;
        Arc::new(SimState::new(config))
    }

    #[test]
    fn sessions_expire_after_their_lifetime() {
        let s = state(5);
        let t0 = Instant::now();
        let id = s.create_session(0, t0);
        assert_eq!(s.session_account(&id, t0 + Duration::from_secs(599)), Ok(0));
        assert_eq!(
            s.session_account(&id, t0 + Duration::from_secs(600)),
            Err(SessionError::NotValid)
        );
        assert_eq!(
            s.session_account(&Uuid::new_v4(), t0),
            Err(SessionError::NotFound)
        );
    }

    #[test]
    fn expire_and_reset() {
        let s = state(5);
        let control = SimControl::new(s.clone());
        let t0 = Instant::now();
        let id = s.create_session(0, t0);
        control.expire_sessions();
        assert_eq!(s.session_account(&id, t0), Err(SessionError::NotValid));
        control.reset();
        assert_eq!(s.session_account(&id, t0), Err(SessionError::NotFound));
        assert_eq!(control.issued_sessions(), [id]);
    }

    #[test]
    fn lockout_after_failures_then_release() {
        let s = state(3);
        let t0 = Instant::now();
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
    }

    #[test]
    fn success_resets_the_failure_count() {
        let s = state(3);
        let t0 = Instant::now();
        for _ in 0..2 {
            let _ = s.check_password(Some(0), "nope", t0);
        }
        assert_eq!(s.check_password(Some(0), "demo-password", t0), Ok(0));
        for _ in 0..2 {
            let _ = s.check_password(Some(0), "nope", t0);
        }
        assert_eq!(s.check_password(Some(0), "demo-password", t0), Ok(0));
        assert_eq!(
            s.check_password(None, "demo-password", t0),
            Err(LoginError::BadCredentials)
        );
    }

    #[test]
    fn arrivals_are_counted_per_endpoint() {
        let s = state(5);
        let control = SimControl::new(s.clone());
        s.arrive(Endpoint::Read);
        s.arrive(Endpoint::Read);
        s.arrive(Endpoint::Authenticate);
        assert_eq!(control.calls(Endpoint::Read), 2);
        assert_eq!(control.calls(Endpoint::Authenticate), 1);
        assert_eq!(control.calls(Endpoint::LoginById), 0);
    }
}
