//! Dexcom trend arrows and how a slope maps onto them.

pub use crate::domain::Trend;

/// Buckets a slope in mg/dL per minute the way Dexcom's arrows do; only the seven
/// directional trends come out of it.
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
            assert_eq!(from_slope(slope), want, "slope {slope}");
        }
    }
}
