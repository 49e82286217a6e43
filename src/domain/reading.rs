//! One glucose reading, parsed and checked, stored compactly.

use chrono::{DateTime, FixedOffset, Utc};

use super::trend::Trend;

/// Highest value Share reports; Dexcom apps send 401 for "HIGH".
pub const MAX_MG_DL: u16 = 401;

/// pydexcom's `MMOL_L_CONVERSION_FACTOR`.
const MMOL_L_PER_MG_DL: f64 = 0.0555;

/// A glucose reading as Share reported it: an instant, the wearer's UTC offset, a value and a
/// trend, in 16 bytes (a day of 288 readings is 4.6 KB), so that a thousand accounts each
/// holding a day stay small. Strings are made only when an answer is rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    /// Epoch milliseconds (UTC) of the reading.
    epoch_ms: i64,
    /// The wearer's UTC offset in minutes, as Share's `DT` gave it (±14 h).
    offset_minutes: i16,
    /// Glucose in mg/dL (Share reports mg/dL for every region).
    pub mg_dl: u16,
    pub trend: Trend,
}

impl Reading {
    /// A reading at `time`, keeping its UTC offset. Offsets are whole minutes within ±14 h
    /// (Share's `±HHMM`); anything else is refused.
    pub fn new(mg_dl: u16, trend: Trend, time: DateTime<FixedOffset>) -> Option<Reading> {
        let seconds = time.offset().local_minus_utc();
        if seconds % 60 != 0 || seconds.abs() > 14 * 3600 {
            return None;
        }
        Some(Reading {
            epoch_ms: time.timestamp_millis(),
            offset_minutes: i16::try_from(seconds / 60).ok()?,
            mg_dl,
            trend,
        })
    }

    /// Epoch milliseconds (UTC).
    pub fn epoch_ms(&self) -> i64 {
        self.epoch_ms
    }

    /// The reading's instant.
    pub fn instant(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.epoch_ms)
            .expect("invariant: a reading's instant came from a DateTime")
    }

    /// The reading's instant in the wearer's UTC offset.
    pub fn time(&self) -> DateTime<FixedOffset> {
        let offset = FixedOffset::east_opt(self.offset_minutes_i32() * 60)
            .expect("invariant: offsets are checked within ±14 h");
        self.instant().with_timezone(&offset)
    }

    /// The wearer's UTC offset in minutes.
    pub fn offset_minutes_i32(&self) -> i32 {
        i32::from(self.offset_minutes)
    }

    /// Glucose in mmol/L, exactly as pydexcom computes it: `round(value * 0.0555, 1)`.
    pub fn mmol_l(&self) -> f64 {
        mmol_l(self.mg_dl)
    }
}

/// Python's `round(x, 1)` rounds the exact binary value of `x` to the nearest decimal; Rust's
/// `{:.1}` formatting is exact in the same way, and parsing the result back gives the same
/// double Python returns.
pub fn mmol_l(mg_dl: u16) -> f64 {
    let exact = f64::from(mg_dl) * MMOL_L_PER_MG_DL;
    format!("{exact:.1}")
        .parse()
        .expect("invariant: a formatted f64 parses back")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mmol_l_equals_pydexcom_for_every_value_0_to_401() {
        let fixture = include_str!("../../tests/fixtures/pydexcom_mmol_l.txt");
        let mut checked = 0;
        for line in fixture.lines() {
            let (value, want) = line
                .split_once(' ')
                .expect("fixture line: '<mg/dL> <mmol/L>'");
            let value: u16 = value.parse().expect("fixture value");
            let want: f64 = want.parse().expect("fixture mmol/L");
            assert_eq!(mmol_l(value), want, "value {value}");
            checked += 1;
        }
        assert_eq!(checked, usize::from(MAX_MG_DL) + 1);
    }

    #[test]
    fn readme_example_85_is_4_7() {
        assert_eq!(mmol_l(85), 4.7);
    }

    #[test]
    fn a_reading_is_16_bytes_and_keeps_instant_and_offset() {
        assert_eq!(std::mem::size_of::<Reading>(), 16);
        let time = DateTime::parse_from_rfc3339("2025-04-19T12:43:33.817-04:00").expect("time");
        let r = Reading::new(224, Trend::Flat, time).expect("valid");
        assert_eq!(r.time().to_rfc3339(), "2025-04-19T12:43:33.817-04:00");
        assert_eq!(r.epoch_ms(), 1_745_081_013_817);
        assert_eq!(r.offset_minutes_i32(), -240);
    }

    #[test]
    fn offsets_beyond_14_hours_or_with_seconds_are_refused() {
        let far = FixedOffset::east_opt(15 * 3600).expect("offset");
        let odd = FixedOffset::east_opt(61).expect("offset");
        let t = DateTime::from_timestamp_millis(0).expect("time");
        assert!(Reading::new(1, Trend::Flat, t.with_timezone(&far)).is_none());
        assert!(Reading::new(1, Trend::Flat, t.with_timezone(&odd)).is_none());
    }
}
