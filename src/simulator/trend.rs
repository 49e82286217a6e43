//! Dexcom trend arrows and how a slope maps onto them.

/// Trend direction of a reading (the seven directional Dexcom values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trend {
    /// > 3 mg/dL/min
    DoubleUp,
    /// 2..3 mg/dL/min
    SingleUp,
    /// 1..2 mg/dL/min
    FortyFiveUp,
    /// -1..=1 mg/dL/min
    Flat,
    /// -2..-1 mg/dL/min
    FortyFiveDown,
    /// -3..-2 mg/dL/min
    SingleDown,
    /// < -3 mg/dL/min
    DoubleDown,
}

impl Trend {
    /// Buckets a slope in mg/dL per minute the way Dexcom's arrows do.
    pub fn from_slope(mg_dl_per_minute: f64) -> Trend {
        let s = mg_dl_per_minute;
        if s > 3.0 {
            Trend::DoubleUp
        } else if s > 2.0 {
            Trend::SingleUp
        } else if s > 1.0 {
            Trend::FortyFiveUp
        } else if s >= -1.0 {
            Trend::Flat
        } else if s >= -2.0 {
            Trend::FortyFiveDown
        } else if s >= -3.0 {
            Trend::SingleDown
        } else {
            Trend::DoubleDown
        }
    }

    /// The wire name used since 2021 (`"Flat"`, `"DoubleUp"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Trend::DoubleUp => "DoubleUp",
            Trend::SingleUp => "SingleUp",
            Trend::FortyFiveUp => "FortyFiveUp",
            Trend::Flat => "Flat",
            Trend::FortyFiveDown => "FortyFiveDown",
            Trend::SingleDown => "SingleDown",
            Trend::DoubleDown => "DoubleDown",
        }
    }

    /// The pre-2021 integer code (1 = DoubleUp … 7 = DoubleDown).
    pub fn code(self) -> u8 {
        match self {
            Trend::DoubleUp => 1,
            Trend::SingleUp => 2,
            Trend::FortyFiveUp => 3,
            Trend::Flat => 4,
            Trend::FortyFiveDown => 5,
            Trend::SingleDown => 6,
            Trend::DoubleDown => 7,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trend_buckets_at_thresholds() {
        let cases = [
            (3.01, Trend::DoubleUp),
            (3.0, Trend::SingleUp),
            (2.01, Trend::SingleUp),
            (2.0, Trend::FortyFiveUp),
            (1.01, Trend::FortyFiveUp),
            (1.0, Trend::Flat),
            (0.0, Trend::Flat),
            (-1.0, Trend::Flat),
            (-1.01, Trend::FortyFiveDown),
            (-2.0, Trend::FortyFiveDown),
            (-2.01, Trend::SingleDown),
            (-3.0, Trend::SingleDown),
            (-3.01, Trend::DoubleDown),
        ];
        for (slope, want) in cases {
            assert_eq!(Trend::from_slope(slope), want, "slope {slope}");
        }
    }

    #[test]
    fn trend_codes_and_names() {
        assert_eq!(Trend::DoubleUp.code(), 1);
        assert_eq!(Trend::Flat.code(), 4);
        assert_eq!(Trend::DoubleDown.code(), 7);
        assert_eq!(Trend::FortyFiveDown.name(), "FortyFiveDown");
    }
}
