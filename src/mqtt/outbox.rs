//! Between the account watchers and the sender: the newest state of each published account
//! and whether it was sent, nothing else. An outage of any length costs the same memory, and
//! a watcher never waits for the broker.

use std::sync::{Mutex, MutexGuard};

use tokio::sync::Notify;

use super::state::AccountState;

/// The newest state of each published account, and which changed since they were taken.
pub struct Outbox {
    slots: Mutex<Vec<Slot>>,
    changed: Notify,
}

#[derive(Clone, Copy, Default)]
struct Slot {
    latest: Option<AccountState>,
    dirty: bool,
}

impl Outbox {
    pub fn new(accounts: usize) -> Outbox {
        Outbox {
            slots: Mutex::new(vec![Slot::default(); accounts]),
            changed: Notify::new(),
        }
    }

    fn slots(&self) -> MutexGuard<'_, Vec<Slot>> {
        // A panic elsewhere cannot leave a slot half-written: each is replaced whole.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the account's state (an older unsent one is simply forgotten).
    pub fn put(&self, account: usize, state: AccountState) {
        self.slots()[account] = Slot {
            latest: Some(state),
            dirty: true,
        };
        self.changed.notify_one();
    }

    /// Marks every account to be sent again (a new connection).
    pub fn mark_all(&self) {
        self.slots().iter_mut().for_each(|slot| slot.dirty = true);
    }

    /// The accounts changed since last taken, with their states (`None`: none yet).
    pub fn take_changed(&self) -> Vec<(usize, Option<AccountState>)> {
        self.slots()
            .iter_mut()
            .enumerate()
            .filter(|(_, slot)| slot.dirty)
            .map(|(i, slot)| {
                slot.dirty = false;
                (i, slot.latest)
            })
            .collect()
    }

    /// States put and not yet taken: at most one per account, however long the broker is
    /// away.
    pub fn waiting(&self) -> usize {
        self.slots()
            .iter()
            .filter(|slot| slot.dirty && slot.latest.is_some())
            .count()
    }

    /// Resolves after the next [`put`](Self::put) (or at once if one came since the last
    /// wait).
    pub async fn changed(&self) {
        self.changed.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::push::DataState;

    fn state(data: DataState) -> AccountState {
        AccountState {
            reading: None,
            data,
            upstream_error: None,
        }
    }

    #[test]
    fn only_the_newest_state_of_each_account_waits() {
        let outbox = Outbox::new(2);
        for _ in 0..1000 {
            outbox.put(0, state(DataState::Stale));
        }
        outbox.put(0, state(DataState::Fresh));
        assert_eq!(outbox.waiting(), 1);
        assert_eq!(outbox.take_changed(), [(0, Some(state(DataState::Fresh)))]);
        assert_eq!(outbox.waiting(), 0);
        assert!(outbox.take_changed().is_empty());

        outbox.mark_all();
        assert_eq!(
            outbox.take_changed(),
            [(0, Some(state(DataState::Fresh))), (1, None)],
            "a new connection sends every account again, even one without a state yet"
        );
    }
}
