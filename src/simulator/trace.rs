//! Deterministic synthetic CGM trace: one reading every 5 minutes per account.
//!
//! The curve is a function of (seed, wall-clock time) only: a slow daily drift,
//! a night-time dip and three meal excursions per local day (lunch and dinner
//! as raised-cosine bumps; breakfast with a trapezoidal slope profile that is
//! steep enough for every day to show all seven directional trends), plus
//! ±3 mg/dL of noise hashed from the slot index. The trend comes from the
//! smooth curve's slope over the last 15 minutes.

use std::f64::consts::PI;

use super::curve::{bump, excursion, splitmix64, unit};
pub use super::trend::Trend;

/// A [low, high] range that per-day parameters are drawn from.
type Range = [f64; 2];

/// Milliseconds between two readings.
pub const SLOT_MS: i64 = 300_000;
const MINUTE_MS: f64 = 60_000.0;
/// Look-back of the trend slope, as Dexcom's trend arrow uses (~15 min).
const TREND_WINDOW_MINUTES: f64 = 15.0;

/// One synthetic reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    /// Unix epoch milliseconds (UTC).
    pub time_ms: i64,
    /// Glucose in mg/dL, 40..=400.
    pub value: u16,
    /// Trend arrow.
    pub trend: Trend,
}

/// The trace of one account.
#[derive(Clone, Copy, Debug)]
pub struct Trace {
    seed: u64,
    utc_offset_minutes: i32,
    phase_ms: i64,
}

impl Trace {
    /// The trace for a seed; `utc_offset_minutes` places meals at local times.
    pub fn new(seed: u64, utc_offset_minutes: i32) -> Trace {
        // Per-account phase within the 5-minute cadence, with real milliseconds.
        let phase_ms = (splitmix64(seed ^ 0x5eed) % SLOT_MS as u64) as i64;
        Trace::with_phase(seed, utc_offset_minutes, phase_ms)
    }

    /// The trace for a seed with slot 0 at `phase_ms` (any value; slots are numbered from it).
    /// Values and trends depend on the reading times only, not on the phase.
    pub fn with_phase(seed: u64, utc_offset_minutes: i32, phase_ms: i64) -> Trace {
        Trace {
            seed,
            utc_offset_minutes,
            phase_ms,
        }
    }

    /// The trace for a seed whose phase puts a reading at exactly `reading_ms`: the slot
    /// jitter is folded into the phase.
    pub fn anchored(seed: u64, utc_offset_minutes: i32, reading_ms: i64) -> Trace {
        let slot = reading_ms.div_euclid(SLOT_MS);
        let unphased = Trace::with_phase(seed, utc_offset_minutes, 0);
        let phase_ms = reading_ms.rem_euclid(SLOT_MS) - unphased.jitter_ms(slot);
        Trace::with_phase(seed, utc_offset_minutes, phase_ms)
    }

    fn hash(&self, salt: u64, n: i64) -> u64 {
        splitmix64(self.seed ^ splitmix64(salt ^ (n as u64).wrapping_mul(0x9e37_79b9)))
    }

    /// The ±400 ms jitter of a slot; it depends on the seed and the slot only.
    fn jitter_ms(&self, slot: i64) -> i64 {
        (self.hash(1, slot) % 801) as i64 - 400
    }

    /// Epoch ms of slot `slot`: 5-minute cadence plus up to ±400 ms of jitter.
    pub fn slot_time_ms(&self, slot: i64) -> i64 {
        slot * SLOT_MS + self.phase_ms + self.jitter_ms(slot)
    }

    /// A deterministic per-slot delay in `[0, max_ms]` (from the seed and the slot only): the
    /// jitter of the slot's upload.
    pub fn upload_jitter_ms(&self, slot: i64, max_ms: i64) -> i64 {
        if max_ms <= 0 {
            return 0;
        }
        (self.hash(3, slot) % (max_ms as u64 + 1)) as i64
    }

    /// The newest slot whose reading time is at or before `now_ms`.
    pub fn latest_slot_at(&self, now_ms: i64) -> i64 {
        let mut slot = (now_ms - self.phase_ms).div_euclid(SLOT_MS) + 1;
        while self.slot_time_ms(slot) > now_ms {
            slot -= 1;
        }
        slot
    }

    /// The smooth (noise-free) glucose curve at an instant, in mg/dL.
    pub fn smooth_mg_dl(&self, time_ms: i64) -> f64 {
        let local_min = time_ms as f64 / MINUTE_MS + f64::from(self.utc_offset_minutes);
        let day = (local_min / 1440.0).floor();
        let minute_of_day = local_min - day * 1440.0;
        let day = day as i64;
        let base = 105.0 + (self.seed % 20) as f64;
        let phi = unit(self.seed) * 2.0 * PI;
        let drift = 18.0 * (2.0 * PI * local_min / 1440.0 + phi).sin()
            + 8.0 * (2.0 * PI * local_min / (1440.0 * 3.7) + 2.0 * phi).sin();
        let mut g = base + drift;
        let pick = |salt: u64, r: Range, k: u64| {
            let h = self.hash(salt, day);
            r[0] + (r[1] - r[0]) * unit(splitmix64(h ^ k))
        };
        // Breakfast: always steep (rise > 3.6, fall > 3.6 mg/dL/min), so every
        // day shows all seven trends. Starts 6:30–8:00, over by ~11:00.
        g += excursion(
            minute_of_day - pick(11, [390.0, 480.0], 1),
            pick(11, [3.6, 4.4], 2),
            pick(11, [5.0, 20.0], 3),
            pick(11, [3.6, 4.0], 4),
            pick(11, [10.0, 15.0], 5),
        );
        // (salt, start, amplitude, rise, fall): night dip, lunch, dinner; all
        // over before local midnight, so only this day's events matter.
        let events: [(u64, Range, Range, Range, Range); 3] = [
            (
                10,
                [60.0, 330.0],
                [-45.0, -25.0],
                [60.0, 90.0],
                [60.0, 90.0],
            ),
            (
                12,
                [690.0, 780.0],
                [50.0, 110.0],
                [30.0, 50.0],
                [70.0, 130.0],
            ),
            (
                13,
                [1050.0, 1170.0],
                [70.0, 130.0],
                [30.0, 50.0],
                [80.0, 140.0],
            ),
        ];
        for (salt, start, amp, rise, fall) in events {
            g += bump(
                minute_of_day - pick(salt, start, 1),
                pick(salt, amp, 2),
                pick(salt, rise, 3),
                pick(salt, fall, 4),
            );
        }
        g
    }

    /// The reading of one slot; the same slot always gives the same reading.
    pub fn reading(&self, slot: i64) -> Reading {
        let time_ms = self.slot_time_ms(slot);
        let smooth = self.smooth_mg_dl(time_ms);
        let noise = (self.hash(2, slot) % 7) as f64 - 3.0;
        let value = (smooth + noise).round().clamp(40.0, 400.0) as u16;
        let earlier = self.smooth_mg_dl(time_ms - (TREND_WINDOW_MINUTES * MINUTE_MS) as i64);
        let trend = super::trend::from_slope((smooth - earlier) / TREND_WINDOW_MINUTES);
        Reading {
            time_ms,
            value,
            trend,
        }
    }

    /// Readings newest first with `oldest_exclusive_ms < time <= newest_ms`,
    /// at most `max_count` of them.
    #[cfg(test)]
    pub fn readings(
        &self,
        newest_ms: i64,
        oldest_exclusive_ms: i64,
        max_count: usize,
    ) -> Vec<Reading> {
        let mut out = Vec::new();
        let mut slot = self.latest_slot_at(newest_ms);
        while out.len() < max_count {
            let r = self.reading(slot);
            if r.time_ms <= oldest_exclusive_ms {
                break;
            }
            out.push(r);
            slot -= 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const DAY_MS: i64 = 86_400_000;
    const T0: i64 = 1_745_081_013_817;

    #[test]
    fn same_slot_gives_same_reading() {
        let a = Trace::new(42, -240);
        let b = Trace::new(42, -240);
        for slot in 5_000_000..5_000_300 {
            assert_eq!(a.reading(slot), b.reading(slot));
        }
        assert_ne!(
            Trace::new(43, -240).reading(5_000_000),
            a.reading(5_000_000)
        );
    }

    #[test]
    fn readings_are_five_minutes_apart_with_real_milliseconds() {
        let t = Trace::new(7, 0);
        let rs = t.readings(T0, T0 - DAY_MS, 288);
        assert!(rs.len() >= 287, "{}", rs.len());
        for w in rs.windows(2) {
            let gap = w[0].time_ms - w[1].time_ms;
            assert!((SLOT_MS - 800..=SLOT_MS + 800).contains(&gap), "gap {gap}");
        }
        assert!(rs.iter().any(|r| r.time_ms % 1000 != 0));
        assert!(rs[0].time_ms <= T0 && T0 - rs[0].time_ms < SLOT_MS + 400);
    }

    #[test]
    fn an_anchored_trace_has_a_reading_at_the_anchor() {
        for (seed, anchor) in [(1, T0), (2, T0 + 17), (3, T0 - 299_999), (4, -5)] {
            let t = Trace::anchored(seed, -240, anchor);
            let newest = t.readings(anchor, anchor - DAY_MS, 2);
            assert_eq!(newest[0].time_ms, anchor, "seed {seed}");
            let gap = newest[0].time_ms - newest[1].time_ms;
            assert!((SLOT_MS - 800..=SLOT_MS + 800).contains(&gap), "gap {gap}");
            let next = t.slot_time_ms(t.latest_slot_at(anchor) + 1);
            assert!(next - anchor >= SLOT_MS - 800, "seed {seed}");
        }
        let anchored = Trace::anchored(5, 0, T0);
        let same_time = anchored.reading(anchored.latest_slot_at(T0));
        assert_eq!(same_time.time_ms, T0);
        assert_eq!(
            Trace::with_phase(5, 0, 0).smooth_mg_dl(T0),
            anchored.smooth_mg_dl(T0)
        );
    }

    #[test]
    fn window_and_count_are_respected() {
        let t = Trace::new(9, 60);
        assert!(t.readings(T0, T0, 10).is_empty());
        assert!(t.readings(T0, T0 - DAY_MS, 0).is_empty());
        let rs = t.readings(T0, T0 - 30 * 60_000, 288);
        assert!((5..=7).contains(&rs.len()), "{}", rs.len());
        assert_eq!(t.readings(T0, T0 - DAY_MS, 3).len(), 3);
        assert!(rs
            .iter()
            .all(|r| r.time_ms > T0 - 30 * 60_000 && r.time_ms <= T0));
    }

    #[test]
    fn values_stay_within_40_and_400() {
        for seed in 0..20 {
            let t = Trace::new(seed, (seed as i32 % 5) * 60);
            for r in t.readings(T0, T0 - 3 * DAY_MS, 3 * 288) {
                assert!((40..=400).contains(&r.value), "{r:?}");
            }
        }
        assert_eq!(400.0_f64.clamp(40.0, 400.0), 400.0);
    }

    #[test]
    fn every_local_day_reaches_all_seven_trends() {
        for seed in 0..200u64 {
            let offset = [-240, 0, 330, 600][seed as usize % 4];
            let t = Trace::new(seed, offset);
            for day in 0..4 {
                // A local calendar day: [local midnight, next local midnight).
                let end = (T0 / DAY_MS + day) * DAY_MS - i64::from(offset) * 60_000;
                let seen: HashSet<Trend> = t
                    .readings(end, end - DAY_MS, 288)
                    .iter()
                    .map(|r| r.trend)
                    .collect();
                assert_eq!(seen.len(), 7, "seed {seed} day {day}: {seen:?}");
            }
        }
    }
}
