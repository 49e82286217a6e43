//! One glucose reading, parsed and checked.

use chrono::{DateTime, FixedOffset};

use super::trend::Trend;

/// Highest value Share reports; Dexcom apps send 401 for "HIGH".
pub const MAX_MG_DL: u16 = 401;

/// pydexcom's `MMOL_L_CONVERSION_FACTOR`.
const MMOL_L_PER_MG_DL: f64 = 0.0555;

/// A glucose reading as Share reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    /// Glucose in mg/dL (Share reports mg/dL for every region).
    pub mg_dl: u16,
    pub trend: Trend,
    /// The reading's instant, in the wearer's UTC offset as Share's `DT` gave it.
    pub time: DateTime<FixedOffset>,
}

impl Reading {
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
}
