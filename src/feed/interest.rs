//! Which accounts are watched, and which feeds run. An account is watched while a client has
//! asked for it within `idle_after`, or while a push subscriber holds it; its feed runs exactly
//! then, and an unwatched account costs no Share call.
//!
//! The [`Host`] that runs feeds is in-process here (one arbiter for all feeds). Several
//! replicas would take a lease per account from a shared store instead, so that N replicas
//! still cost one login and one read.

use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};

/// Runs an account's feed when asked.
pub trait Host: Send + Sync {
    /// Starts the feed of `account` as run number `run`. Called at most once per run.
    fn start(&self, account: usize, run: u64);
}

#[derive(Default)]
struct Slot {
    /// Epoch ms (on the service's clock) of the last request for the account.
    last_asked_ms: AtomicI64,
    subscribers: AtomicUsize,
    /// `run << 1 | running`: one word, so that a request never sees "running" with the
    /// number of the previous run.
    runs: AtomicU64,
}

/// The watch state of every account.
pub struct Interest {
    slots: Box<[Slot]>,
}

impl Interest {
    pub fn new(accounts: usize) -> Interest {
        Interest {
            slots: (0..accounts).map(|_| Slot::default()).collect(),
        }
    }

    fn slot(&self, account: usize) -> &Slot {
        &self.slots[account]
    }

    /// A client asked for `account` at `now_ms`.
    pub fn asked(&self, account: usize, now_ms: i64) {
        self.slot(account)
            .last_asked_ms
            .fetch_max(now_ms, Ordering::Relaxed);
    }

    pub fn last_asked_ms(&self, account: usize) -> i64 {
        self.slot(account).last_asked_ms.load(Ordering::Relaxed)
    }

    /// A push subscriber keeps `account` watched until [`Interest::release`].
    pub fn hold(&self, account: usize) {
        self.slot(account)
            .subscribers
            .fetch_add(1, Ordering::Relaxed);
    }

    pub fn release(&self, account: usize) {
        self.slot(account)
            .subscribers
            .fetch_sub(1, Ordering::Relaxed);
    }

    pub fn held(&self, account: usize) -> bool {
        self.slot(account).subscribers.load(Ordering::Relaxed) > 0
    }

    /// The running run's number, if the feed runs.
    pub fn running(&self, account: usize) -> Option<u64> {
        let word = self.slot(account).runs.load(Ordering::Acquire);
        (word & 1 == 1).then_some(word >> 1)
    }

    /// Marks the feed running as a new run, unless it already runs; returns the new run's
    /// number for the one caller that must start it.
    pub fn try_start(&self, account: usize) -> Option<u64> {
        let runs = &self.slot(account).runs;
        let mut word = runs.load(Ordering::Acquire);
        loop {
            if word & 1 == 1 {
                return None;
            }
            let next = ((word >> 1) + 1) << 1 | 1;
            match runs.compare_exchange(word, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Some(next >> 1),
                Err(seen) => word = seen,
            }
        }
    }

    /// Marks run `run` stopped.
    pub fn stopped(&self, account: usize, run: u64) {
        let _ = self.slot(account).runs.compare_exchange(
            run << 1 | 1,
            run << 1,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_starts_once_per_run_and_can_start_again_after_stopping() {
        let interest = Interest::new(2);
        assert_eq!(interest.running(0), None);
        assert_eq!(interest.try_start(0), Some(1));
        assert_eq!(interest.try_start(0), None);
        assert_eq!(interest.running(0), Some(1));
        interest.stopped(0, 1);
        assert_eq!(interest.running(0), None);
        assert_eq!(interest.try_start(0), Some(2));
        assert_eq!(interest.running(1), None);
    }

    #[test]
    fn the_last_request_time_only_moves_forward_and_holds_count() {
        let interest = Interest::new(1);
        interest.asked(0, 2000);
        interest.asked(0, 1000);
        assert_eq!(interest.last_asked_ms(0), 2000);
        interest.hold(0);
        interest.hold(0);
        interest.release(0);
        assert!(interest.held(0));
        interest.release(0);
        assert!(!interest.held(0));
    }
}
