//! When a reading reaches Share, and which readings a read can see at a moment.
//!
//! A sensor reading is taken at its slot time, but the phone uploads it some seconds
//! later: a reading of slot `s` at time `t` is visible from `t + lag + jitter(s)`, where
//! `jitter(s)` is a deterministic per-slot value in `[0, jitter]`. Signal loss withholds the
//! most recent readings, and hidden ranges model a backlog that is uploaded hours late.

use super::trace::{Reading, Trace};

/// Nothing is older than the Unix epoch; bounds every walk back through the trace.
const EARLIEST_MS: i64 = 0;

/// Upload delay of every reading: a fixed lag plus a per-slot jitter, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct UploadLag {
    pub lag_ms: i64,
    pub jitter_ms: i64,
}

impl UploadLag {
    /// The lag of a config's `upload_lag_seconds` and `upload_lag_jitter_seconds`.
    pub fn from_seconds(lag: u32, jitter: u32) -> Self {
        UploadLag {
            lag_ms: i64::from(lag) * 1000,
            jitter_ms: i64::from(jitter) * 1000,
        }
    }

    /// When the reading of `slot` reaches Share.
    pub fn visible_at(&self, trace: &Trace, slot: i64) -> i64 {
        trace.slot_time_ms(slot) + self.lag_ms + trace.upload_jitter_ms(slot, self.jitter_ms)
    }
}

/// What a read of one account can see at `now_ms`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct View<'a> {
    pub trace: &'a Trace,
    pub upload: UploadLag,
    pub now_ms: i64,
    /// Readings newer than `now_ms - signal_loss_ms` are withheld.
    pub signal_loss_ms: i64,
    /// Readings whose time is in one of these `[from, to)` ranges are withheld.
    pub hidden: &'a [(i64, i64)],
}

impl View<'_> {
    /// Visible readings newest first with `oldest_exclusive_ms < time`, at most `max_count`
    /// of them, each with the time it became visible.
    pub fn readings(&self, oldest_exclusive_ms: i64, max_count: usize) -> Vec<(Reading, i64)> {
        let oldest_exclusive_ms = oldest_exclusive_ms.max(EARLIEST_MS);
        // A reading newer than this cannot have been uploaded yet, or is lost.
        let newest_ms = self.now_ms - self.signal_loss_ms.max(self.upload.lag_ms);
        let mut out = Vec::new();
        let mut slot = self.trace.latest_slot_at(newest_ms);
        while out.len() < max_count {
            let time = self.trace.slot_time_ms(slot);
            if time <= oldest_exclusive_ms {
                break;
            }
            if let Some(from) = self.hidden_from(time) {
                // Jump over the whole range rather than walking it slot by slot.
                if from <= oldest_exclusive_ms {
                    break;
                }
                slot = self.trace.latest_slot_at(from - 1);
                continue;
            }
            let visible_at = self.upload.visible_at(self.trace, slot);
            if visible_at <= self.now_ms {
                out.push((self.trace.reading(slot), visible_at));
            }
            slot -= 1;
        }
        out
    }

    /// The newest visible reading and the time it became visible (its upload time; a
    /// reading revealed later by `show_all` or the end of signal loss reports the same).
    pub fn newest(&self) -> Option<(Reading, i64)> {
        self.readings(EARLIEST_MS, 1).into_iter().next()
    }

    /// The start of a hidden range containing `time`, if any.
    fn hidden_from(&self, time: i64) -> Option<i64> {
        self.hidden
            .iter()
            .filter(|(from, to)| (*from..*to).contains(&time))
            .map(|(from, _)| *from)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::trace::SLOT_MS;

    const T0: i64 = 1_745_081_013_817;
    const HOUR_MS: i64 = 3_600_000;

    fn view<'a>(trace: &'a Trace, upload: UploadLag, now_ms: i64) -> View<'a> {
        View {
            trace,
            upload,
            now_ms,
            signal_loss_ms: 0,
            hidden: &[],
        }
    }

    fn times(v: &View<'_>, oldest: i64, count: usize) -> Vec<i64> {
        v.readings(oldest, count)
            .iter()
            .map(|(r, _)| r.time_ms)
            .collect()
    }

    #[test]
    fn a_reading_appears_exactly_lag_after_its_time_without_jitter() {
        let trace = Trace::anchored(1, 0, T0);
        let lag = UploadLag::from_seconds(20, 0);
        let before = view(&trace, lag, T0 + 19_999);
        assert!(times(&before, T0 - HOUR_MS, 1)[0] < T0 - SLOT_MS + 800);
        let at = view(&trace, lag, T0 + 20_000);
        assert_eq!(
            at.readings(T0 - HOUR_MS, 1),
            [(trace.reading(trace.latest_slot_at(T0)), T0 + 20_000)]
        );
        assert_eq!(at.newest().unwrap().1, T0 + 20_000);
        let no_lag = view(&trace, UploadLag::default(), T0);
        assert_eq!(times(&no_lag, T0 - HOUR_MS, 1), [T0]);
    }

    #[test]
    fn jitter_is_per_slot_within_bounds_and_deterministic() {
        let a = Trace::new(7, 0);
        let b = Trace::new(7, 0);
        let lag = UploadLag::from_seconds(20, 30);
        let first = a.latest_slot_at(T0);
        let delays: Vec<i64> = (first..first + 500)
            .map(|s| lag.visible_at(&a, s) - a.slot_time_ms(s))
            .collect();
        assert!(
            delays.iter().all(|d| (20_000..=50_000).contains(d)),
            "{delays:?}"
        );
        let again: Vec<i64> = (first..first + 500)
            .map(|s| lag.visible_at(&b, s) - b.slot_time_ms(s))
            .collect();
        assert_eq!(delays, again);
        assert!(delays.iter().any(|d| *d < 30_000) && delays.iter().any(|d| *d > 40_000));
        let other_seed = Trace::new(8, 0);
        assert_ne!(
            lag.visible_at(&other_seed, first) - other_seed.slot_time_ms(first),
            delays[0]
        );
    }

    #[test]
    fn signal_loss_still_applies_on_top_of_the_lag() {
        let trace = Trace::new(3, 0);
        let mut v = view(&trace, UploadLag::from_seconds(20, 10), T0);
        v.signal_loss_ms = 30 * 60_000;
        let got = times(&v, T0 - HOUR_MS, 100);
        assert!(got[0] <= T0 - 30 * 60_000 && got[0] > T0 - 35 * 60_000 - 400);
        assert_eq!(got.len(), 6);
    }

    #[test]
    fn hidden_readings_do_not_count_toward_max_count() {
        let trace = Trace::anchored(4, 0, T0);
        let all = times(
            &view(&trace, UploadLag::default(), T0),
            T0 - 3 * HOUR_MS,
            36,
        );
        let hidden = [(all[10], all[2] + 1), (all[5], all[3])];
        let mut v = view(&trace, UploadLag::default(), T0);
        v.hidden = &hidden;
        let got = times(&v, T0 - 3 * HOUR_MS, 5);
        assert_eq!(got, [all[0], all[1], all[11], all[12], all[13]]);
        // The window still bounds the answer.
        assert_eq!(times(&v, all[12], 100), [all[0], all[1], all[11]]);
        assert_eq!(times(&v, all[3], 100), [all[0], all[1]]);
        assert_eq!(v.newest().unwrap().0.time_ms, all[0]);
    }

    #[test]
    fn everything_hidden_answers_nothing_without_overflow() {
        let trace = Trace::new(5, 0);
        let hidden = [(i64::MIN, i64::MAX)];
        let mut v = view(&trace, UploadLag::from_seconds(u32::MAX, u32::MAX), T0);
        assert!(v.readings(i64::MIN, 10).is_empty());
        v.upload = UploadLag::default();
        v.hidden = &hidden;
        assert!(v.readings(i64::MIN, 10).is_empty());
        assert!(v.newest().is_none());
        v.hidden = &[];
        let last_hour = v.readings(T0 - HOUR_MS - 1, 100);
        let partly = [(i64::MIN + 5, T0 - HOUR_MS)];
        v.hidden = &partly;
        assert_eq!(v.readings(i64::MIN, 100), last_hour);
    }
}
