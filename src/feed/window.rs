//! The day of readings a feed holds for one account: built by merging Share's answers, and
//! queried by requests.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};

use crate::domain::{MaxCount, Minutes, Reading};

/// A reading counts as current while it is at most this old; older ones are `stale`.
pub const CURRENT_MAX_AGE: Duration = Duration::minutes(10);
/// How much history a window keeps.
pub const DAY: Duration = Duration::days(1);
/// More than a day of 5-minute readings, so that jitter at the day's edge loses nothing, while
/// an upstream that sends thousands of distinct instants cannot grow memory.
const MAX_READINGS: usize = 300;

/// Every window content gets a number no other window has had in this process, so that a
/// rendered answer can be keyed by it.
static NEXT_VERSION: AtomicU64 = AtomicU64::new(1);

/// Readings newest first, one per instant, within a day of `changed_at`.
#[derive(Clone, Debug)]
pub struct Window {
    readings: Vec<Reading>,
    changed_at: DateTime<Utc>,
    version: u64,
}

/// Readings Share sent that cannot be true, set aside before merging.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Implausible {
    /// Dated further ahead of this host's clock than the tolerance (a wrong clock on the
    /// wearer's phone, or on this host).
    pub future: usize,
    /// The furthest such date, for the log.
    pub furthest: Option<DateTime<Utc>>,
}

impl Window {
    /// A window that holds nothing yet.
    pub fn empty(now: DateTime<Utc>) -> Window {
        Window::from_sorted(Vec::new(), now)
    }

    /// A window holding `readings` (in any order; duplicates of one instant keep the first).
    pub fn new(readings: Vec<Reading>, now: DateTime<Utc>) -> Window {
        Window::empty(now)
            .merged(readings, now)
            .unwrap_or_else(|| Window::empty(now))
    }

    fn from_sorted(readings: Vec<Reading>, changed_at: DateTime<Utc>) -> Window {
        Window {
            readings,
            changed_at,
            version: NEXT_VERSION.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// This window plus readings fetched at `now`: a fresh reading wins over a held one of the
    /// same instant (Share corrected it), the order stays newest first, and readings older
    /// than a day are dropped. `None` when nothing changed, so callers keep the same window
    /// (and what was rendered from it).
    pub fn merged(&self, fresh: Vec<Reading>, now: DateTime<Utc>) -> Option<Window> {
        let oldest = (now - DAY).timestamp_millis();
        let mut all = fresh;
        all.retain(|r| r.epoch_ms() >= oldest);
        all.extend(self.readings.iter().filter(|r| r.epoch_ms() >= oldest));
        // A stable sort keeps the fresh reading first among equal instants, so dedup keeps it.
        all.sort_by_key(|r| std::cmp::Reverse(r.epoch_ms()));
        all.dedup_by_key(|r| r.epoch_ms());
        all.truncate(MAX_READINGS);
        (all != self.readings).then(|| Window::from_sorted(all, now))
    }

    /// When the readings last changed (a new reading, a late one, a correction, or one that
    /// aged out of the day).
    pub fn changed_at(&self) -> DateTime<Utc> {
        self.changed_at
    }

    /// A number unique to this content in this process.
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn readings(&self) -> &[Reading] {
        &self.readings
    }

    /// The newest reading held, however old.
    pub fn newest(&self) -> Option<&Reading> {
        self.readings.first()
    }

    /// Whether two held readings taken after `since` are further apart than `max_gap`: Share
    /// may still fill such a gap once the wearer's phone uploads its backlog.
    pub fn has_gap(&self, since: DateTime<Utc>, max_gap: Duration) -> bool {
        let since = since.timestamp_millis();
        let max_gap = max_gap.num_milliseconds();
        self.readings
            .windows(2)
            .take_while(|pair| pair[1].epoch_ms() >= since)
            .any(|pair| pair[0].epoch_ms() - pair[1].epoch_ms() > max_gap)
    }

    /// Readings taken within the last `minutes` before `now`, newest first, at most `max_count`.
    pub fn recent(&self, now: DateTime<Utc>, minutes: Minutes, max_count: MaxCount) -> &[Reading] {
        let within = self.within(now, Duration::minutes(i64::from(minutes.get())));
        &self.readings[..within.min(usize::from(max_count.get()))]
    }

    /// How many readings (from the newest) were taken at most `span` before `now`.
    pub fn within(&self, now: DateTime<Utc>, span: Duration) -> usize {
        let oldest = (now - span).timestamp_millis();
        self.readings.partition_point(|r| r.epoch_ms() >= oldest)
    }

    /// The newest reading of the last 24 hours.
    pub fn latest(&self, now: DateTime<Utc>) -> Option<&Reading> {
        self.readings[..self.within(now, DAY)].first()
    }

    /// The newest reading if it is not stale: judged by the reading's own time, not by when
    /// it was fetched.
    pub fn current(&self, now: DateTime<Utc>) -> Option<&Reading> {
        self.latest(now).filter(|r| !is_stale(r, now))
    }
}

/// Whether a reading is more than 10 minutes old at `now`.
pub fn is_stale(reading: &Reading, now: DateTime<Utc>) -> bool {
    now - reading.instant() > CURRENT_MAX_AGE
}

/// Sets aside the readings dated more than `tolerance` after `now`: a reading from the future
/// is a wrong clock, and must never be served as the current one. Everything kept lies
/// between the year 1970 and `now + tolerance`, so it can be written in every format served.
pub fn plausible(
    mut readings: Vec<Reading>,
    now: DateTime<Utc>,
    tolerance: Duration,
) -> (Vec<Reading>, Implausible) {
    let limit = (now + tolerance).timestamp_millis();
    let mut set_aside = Implausible::default();
    readings.retain(|r| {
        let ok = (0..=limit).contains(&r.epoch_ms());
        if !ok && r.epoch_ms() > limit {
            set_aside.future += 1;
            set_aside.furthest = set_aside.furthest.max(Some(r.instant()));
        }
        ok
    });
    (readings, set_aside)
}

#[cfg(test)]
#[path = "window_tests.rs"]
mod tests;
