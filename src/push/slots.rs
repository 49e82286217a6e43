//! A cap on concurrent streams: each holds a connection, a task and a hold on its account.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The streams open now, against a cap.
#[derive(Clone)]
pub struct Slots {
    open: Arc<AtomicUsize>,
    max: usize,
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
        }
    }

    /// A slot, unless `max` streams are open.
    pub fn take(&self) -> Option<Slot> {
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < self.max).then_some(open + 1)
            })
            .ok()?;
        Some(Slot {
            open: Arc::clone(&self.open),
        })
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
