//! `[thresholds]` (for every account) and an account's own `thresholds = { … }`: where a value
//! is low or high, in mg/dL.

use serde::Deserialize;

use crate::push::Thresholds;

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub(super) struct RawThresholds {
    urgent_high: Option<u16>,
    high: Option<u16>,
    low: Option<u16>,
    urgent_low: Option<u16>,
}

/// `raw` over `base`, each value within the range a sensor reports, and in order.
pub(super) fn resolve(raw: Option<RawThresholds>, base: Thresholds) -> Result<Thresholds, String> {
    let raw = raw.unwrap_or_default();
    let value = |given: Option<u16>, default: u16, key: &str| match given {
        None => Ok(default),
        Some(v @ 40..=400) => Ok(v),
        Some(v) => Err(format!("{key} = {v} is outside 40..=400 mg/dL")),
    };
    let thresholds = Thresholds {
        urgent_high: value(raw.urgent_high, base.urgent_high, "urgent_high")?,
        high: value(raw.high, base.high, "high")?,
        low: value(raw.low, base.low, "low")?,
        urgent_low: value(raw.urgent_low, base.urgent_low, "urgent_low")?,
    };
    thresholds.check()?;
    Ok(thresholds)
}
