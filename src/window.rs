//! The cached day of readings of one account, and the queries answered from it.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{MaxCount, Minutes, Reading};

/// A reading counts as current while it is at most this old.
pub const CURRENT_MAX_AGE_MINUTES: i64 = 10;
const DAY_MINUTES: i64 = 1440;

/// Readings newest first, one per instant, as fetched at `fetched_at`.
#[derive(Clone, Debug)]
pub struct Window {
    readings: Vec<Reading>,
    fetched_at: DateTime<Utc>,
}

impl Window {
    /// Orders and de-duplicates what Share sent: it sends newest first, but nothing here
    /// depends on that.
    pub fn new(mut readings: Vec<Reading>, fetched_at: DateTime<Utc>) -> Window {
        readings.sort_by_key(|r| std::cmp::Reverse(r.time));
        readings.dedup_by(|a, b| a.time == b.time);
        Window {
            readings,
            fetched_at,
        }
    }

    /// This window plus readings fetched later (newer ones win on the same instant), trimmed
    /// to one day: the shape for asking Share only for what is new.
    pub fn merged_with(&self, newer: Vec<Reading>, fetched_at: DateTime<Utc>) -> Window {
        let mut all = newer;
        all.extend(self.readings.iter().cloned());
        // A stable sort keeps the newer fetch first among equal instants, so dedup keeps it.
        all.sort_by_key(|r| std::cmp::Reverse(r.time));
        all.dedup_by(|a, b| a.time == b.time);
        let oldest = fetched_at - Duration::minutes(DAY_MINUTES);
        all.retain(|r| r.time >= oldest);
        all.truncate(usize::from(MaxCount::MAX));
        Window {
            readings: all,
            fetched_at,
        }
    }

    pub fn fetched_at(&self) -> DateTime<Utc> {
        self.fetched_at
    }

    pub fn readings(&self) -> &[Reading] {
        &self.readings
    }

    /// Readings taken within the last `minutes` before `now`, newest first, at most `max_count`.
    pub fn recent(&self, now: DateTime<Utc>, minutes: Minutes, max_count: MaxCount) -> &[Reading] {
        let oldest = now - Duration::minutes(i64::from(minutes.get()));
        let within = self.readings.partition_point(|r| r.time >= oldest);
        &self.readings[..within.min(usize::from(max_count.get()))]
    }

    /// The newest reading of the last 24 hours.
    pub fn latest(&self, now: DateTime<Utc>) -> Option<&Reading> {
        self.recent(now, Minutes::FULL_DAY, MaxCount::FULL_DAY)
            .first()
    }

    /// The newest reading if it was taken within the last 10 minutes: judged by the reading's
    /// own time, not by when it was fetched.
    pub fn current(&self, now: DateTime<Utc>) -> Option<&Reading> {
        self.latest(now)
            .filter(|r| r.time >= now - Duration::minutes(CURRENT_MAX_AGE_MINUTES))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Trend;

    fn at(now: DateTime<Utc>, minutes_ago: i64, mg_dl: u16) -> Reading {
        Reading {
            mg_dl,
            trend: Trend::Flat,
            time: (now - Duration::minutes(minutes_ago)).fixed_offset(),
        }
    }

    fn values(readings: &[Reading]) -> Vec<u16> {
        readings.iter().map(|r| r.mg_dl).collect()
    }

    #[test]
    fn out_of_order_and_duplicate_records_are_ordered_and_deduplicated() {
        let now = Utc::now();
        let window = Window::new(
            vec![at(now, 10, 2), at(now, 0, 1), at(now, 10, 2), at(now, 5, 3)],
            now,
        );
        assert_eq!(values(window.readings()), [1, 3, 2]);
    }

    #[test]
    fn recent_filters_by_minutes_then_counts() {
        let now = Utc::now();
        let window = Window::new((0..12).map(|i| at(now, i * 5, i as u16)).collect(), now);
        let m = |n| Minutes::parse(n).expect("valid minutes");
        let c = |n| MaxCount::parse(n).expect("valid count");
        assert_eq!(values(window.recent(now, m("10"), c("288"))), [0, 1, 2]);
        assert_eq!(values(window.recent(now, m("9"), c("288"))), [0, 1]);
        assert_eq!(values(window.recent(now, m("1440"), c("2"))), [0, 1]);
        assert_eq!(window.recent(now, m("1440"), c("288")).len(), 12);
    }

    #[test]
    fn current_turns_empty_once_the_newest_reading_is_older_than_10_minutes() {
        let now = Utc::now();
        let fresh = Window::new(vec![at(now, 10, 1)], now);
        assert_eq!(fresh.current(now).map(|r| r.mg_dl), Some(1));
        let stale = Window::new(vec![at(now, 11, 1)], now);
        assert!(stale.current(now).is_none());
        assert_eq!(stale.latest(now).map(|r| r.mg_dl), Some(1));
    }

    #[test]
    fn latest_ignores_readings_older_than_a_day() {
        let now = Utc::now();
        let window = Window::new(vec![at(now, 1441, 1)], now);
        assert!(window.latest(now).is_none());
        assert!(Window::new(Vec::new(), now).latest(now).is_none());
    }

    #[test]
    fn a_gap_in_the_trace_is_kept_as_a_gap() {
        let now = Utc::now();
        let window = Window::new(vec![at(now, 0, 1), at(now, 60, 2), at(now, 65, 3)], now);
        let m = Minutes::parse("30").expect("valid minutes");
        assert_eq!(values(window.recent(now, m, MaxCount::FULL_DAY)), [1]);
    }

    #[test]
    fn merging_prefers_newer_fetches_and_trims_to_a_day() {
        let now = Utc::now();
        let old = Window::new(vec![at(now, 5, 10), at(now, 1500, 99)], now);
        let merged = old.merged_with(vec![at(now, 0, 1), at(now, 5, 11)], now);
        assert_eq!(values(merged.readings()), [1, 11]);
    }
}
