//! Shared simulator state (sessions, lockouts, counters, faults) and the
//! [`SimControl`] handle that tests and the control endpoints use.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use uuid::Uuid;

use super::config::{SimAccount, SimulatorConfig};
use super::faults::{Endpoint, Fault, FaultKind, FaultQueue};
use super::read_log::{ReadLog, ReadRecord};
pub use super::sessions::{LoginError, SessionError};
use super::sessions::{Policy, Sessions};
use super::trace::{Reading, Trace};
use super::upload::{UploadLag, View};
use crate::clock::{Clock, Tick};

#[derive(Debug, Default)]
struct Inner {
    calls: [u64; 3],
    faults: FaultQueue,
    sessions: Sessions,
    signal_loss_minutes: u32,
    /// `[from_ms, to_ms)` ranges of reading times withheld from every read.
    hidden: Vec<(i64, i64)>,
    reads: ReadLog,
}

/// How many issued session IDs [`SimControl::issued_sessions`] remembers.
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

    fn lock(&self) -> MutexGuard<'_, Inner> {
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

    /// The trace of the account at an index.
    pub fn trace(&self, index: usize) -> &Trace {
        &self.traces[index]
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
    fn with_view<R>(&self, index: usize, now_ms: i64, f: impl FnOnce(&View<'_>) -> R) -> Option<R> {
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

    /// Reads answered with readings since start or reset, oldest first (the newest
    /// [`READS_KEPT`](super::READS_KEPT)).
    pub fn reads(&self) -> Vec<ReadRecord> {
        self.state.lock().reads.reads()
    }

    /// Total body bytes of the reads answered with readings since start or reset (also
    /// those [`reads`](Self::reads) no longer keeps).
    pub fn read_bytes(&self) -> u64 {
        self.state.lock().reads.bytes()
    }

    /// Clears counters, faults, sessions, lockouts, signal loss, hidden ranges and the
    /// read log.
    pub fn reset(&self) {
        *self.state.lock() = Inner::default();
    }

    /// Marks every current session expired: its next read → `SessionNotValid`.
    pub fn expire_sessions(&self) {
        self.state.lock().sessions.revoke_all();
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

    /// The newest reading of account `account_index` (config order) that a read sees now:
    /// `(time_ms, visible_at_ms)`, where `visible_at_ms` is the clock time it was uploaded
    /// (time + upload lag + its jitter). `None` for an unknown index, or when every reading
    /// is withheld.
    pub fn newest_visible(&self, account_index: usize) -> Option<(i64, i64)> {
        let now_ms = self.state.clock().now().timestamp_millis();
        self.state
            .with_view(account_index, now_ms, |view| view.newest())
            .flatten()
            .map(|(reading, visible_at)| (reading.time_ms, visible_at))
    }

    /// Hides the readings whose time is in `[from_ms, to_ms)` from every read until
    /// [`show_all`](Self::show_all), as if the phone had not uploaded them yet (a backlog
    /// uploaded hours late). An empty range (`from_ms >= to_ms`) is ignored.
    pub fn hide(&self, from_ms: i64, to_ms: i64) {
        if from_ms >= to_ms {
            log::warn!("share-simulator: ignoring empty hidden range [{from_ms}, {to_ms})");
            return;
        }
        log::info!("share-simulator: hiding readings in [{from_ms}, {to_ms})");
        self.state.lock().hidden.push((from_ms, to_ms));
    }

    /// Shows every hidden reading again.
    pub fn show_all(&self) {
        self.state.lock().hidden.clear();
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
    fn expire_and_reset() {
        let s = state(5);
        let control = SimControl::new(s.clone());
        let t0 = s.clock().tick();
        let id = s.create_session(0, t0);
        control.expire_sessions();
        assert_eq!(s.session_account(&id, t0), Err(SessionError::NotValid));
        control.reset();
        assert_eq!(s.session_account(&id, t0), Err(SessionError::NotFound));
        assert_eq!(control.issued_sessions(), [id]);
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

    #[test]
    fn hidden_ranges_withhold_readings_until_shown_and_empty_ones_are_ignored() {
        let s = state(5);
        let control = SimControl::new(s.clone());
        let now = s.clock().now().timestamp_millis();
        let day = s.visible_readings(0, now, now - 86_400_000, 288);
        control.hide(day[0].time_ms, day[0].time_ms);
        assert_eq!(s.visible_readings(0, now, now - 86_400_000, 288), day);
        control.hide(day[day.len() - 1].time_ms, day[0].time_ms + 1);
        assert!(s.visible_readings(0, now, now - 86_400_000, 288).is_empty());
        control.show_all();
        assert_eq!(s.visible_readings(0, now, now - 86_400_000, 288), day);
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
