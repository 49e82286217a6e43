//! A cap on concurrent streams: each holds a connection, a task and a hold on its account.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

/// The streams open now, against a cap.
#[derive(Clone)]
pub struct Slots {
    open: Arc<AtomicUsize>,
    max: usize,
    /// Told when a stream is refused. A client that hung up is only seen at a failed write,
    /// so each open stream writes a keep-alive: the places of the departed free up for the
    /// next attempt instead of after two keep-alive intervals.
    full: Arc<Notify>,
}

/// One open stream; its slot frees when it is dropped.
pub struct Slot {
    open: Arc<AtomicUsize>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Slots {
    pub fn new(max: usize) -> Slots {
        Slots {
            open: Arc::new(AtomicUsize::new(0)),
            max,
            full: Arc::new(Notify::new()),
        }
    }

    /// A slot, unless `max` streams are open.
    pub fn take(&self) -> Option<Slot> {
        let taken = self
            .open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < self.max).then_some(open + 1)
            });
        if taken.is_err() {
            self.full.notify_waiters();
            return None;
        }
        Some(Slot {
            open: Arc::clone(&self.open),
        })
    }

    /// What tells open streams that one was refused.
    pub fn refusals(&self) -> Arc<Notify> {
        Arc::clone(&self.full)
    }

    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_capped_and_freed_on_drop() {
        let slots = Slots::new(2);
        let a = slots.take().expect("first");
        let _b = slots.take().expect("second");
        assert!(slots.take().is_none());
        drop(a);
        assert!(slots.take().is_some());
        assert_eq!(slots.open(), 1);
    }
}
