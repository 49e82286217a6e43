//! [`SimControl`]: the cheap handle to a running simulator's knobs and counters that tests
//! and the control endpoints use.

use std::sync::Arc;

use uuid::Uuid;

use super::faults::{Endpoint, Fault};
use super::read_log::ReadRecord;
use super::state::{Inner, SimState};

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
        self.state.issued()
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
mod tests {
    use super::*;
    use crate::simulator::config::SimulatorConfig;
    use crate::simulator::state::SessionError;

    fn state() -> Arc<SimState> {
        Arc::new(SimState::new(SimulatorConfig::demo()))
    }

    #[test]
    fn expire_and_reset() {
        let s = state();
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
    fn hidden_ranges_withhold_readings_until_shown_and_empty_ones_are_ignored() {
        let s = state();
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
        let s = state();
        let control = SimControl::new(s.clone());
        s.arrive(Endpoint::Read);
        s.arrive(Endpoint::Read);
        s.arrive(Endpoint::Authenticate);
        assert_eq!(control.calls(Endpoint::Read), 2);
        assert_eq!(control.calls(Endpoint::Authenticate), 1);
        assert_eq!(control.calls(Endpoint::LoginById), 0);
    }
}
