//! Where a glucose value stands: urgent low, low, in range, high, urgent high, by the
//! thresholds Nightscout uses (its `bgLow`, `bgTargetBottom`, `bgTargetTop`, `bgHigh`).

use serde::Serialize;
use utoipa::ToSchema;

/// Thresholds in mg/dL (`[thresholds]`, globally or per account).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// At or above: urgent high (Nightscout's `bgHigh`).
    pub urgent_high: u16,
    /// Above: high (`bgTargetTop`).
    pub high: u16,
    /// Below: low (`bgTargetBottom`).
    pub low: u16,
    /// At or below: urgent low (`bgLow`).
    pub urgent_low: u16,
}

impl Default for Thresholds {
    /// Nightscout's defaults.
    fn default() -> Self {
        Thresholds {
            urgent_high: 260,
            high: 180,
            low: 80,
            urgent_low: 55,
        }
    }
}

/// Where a value stands against the thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Range {
    UrgentLow,
    Low,
    InRange,
    High,
    UrgentHigh,
}

impl Range {
    pub fn as_str(self) -> &'static str {
        match self {
            Range::UrgentLow => "urgent_low",
            Range::Low => "low",
            Range::InRange => "in_range",
            Range::High => "high",
            Range::UrgentHigh => "urgent_high",
        }
    }
}

impl Thresholds {
    /// The thresholds must be in order: `urgent_low < low <= high < urgent_high`.
    pub fn check(&self) -> Result<(), String> {
        let ordered =
            self.urgent_low < self.low && self.low <= self.high && self.high < self.urgent_high;
        if ordered {
            Ok(())
        } else {
            Err(format!(
                "must be in order urgent_low < low <= high < urgent_high, got {} / {} / {} / {}",
                self.urgent_low, self.low, self.high, self.urgent_high
            ))
        }
    }

    pub fn range(&self, mg_dl: u16) -> Range {
        if mg_dl >= self.urgent_high {
            Range::UrgentHigh
        } else if mg_dl > self.high {
            Range::High
        } else if mg_dl <= self.urgent_low {
            Range::UrgentLow
        } else if mg_dl < self.low {
            Range::Low
        } else {
            Range::InRange
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_fall_in_nightscouts_ranges_at_the_default_thresholds() {
        let t = Thresholds::default();
        let cases = [
            (39, Range::UrgentLow),
            (55, Range::UrgentLow),
            (56, Range::Low),
            (79, Range::Low),
            (80, Range::InRange),
            (180, Range::InRange),
            (181, Range::High),
            (259, Range::High),
            (260, Range::UrgentHigh),
            (401, Range::UrgentHigh),
        ];
        for (value, want) in cases {
            assert_eq!(t.range(value), want, "{value}");
        }
    }

    #[test]
    fn thresholds_out_of_order_are_refused() {
        assert!(Thresholds::default().check().is_ok());
        let wrong = Thresholds {
            low: 200,
            ..Thresholds::default()
        };
        assert!(wrong.check().is_err());
    }
}
