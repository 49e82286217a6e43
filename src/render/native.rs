//! The service's own answers: `/readings`, `/readings/latest`, `/readings/current`.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::validators::{Changes, Fingerprint};
use super::Draft;
use crate::domain::{MaxCount, Minutes, Reading};
use crate::feed::window::{is_stale, Window, CURRENT_MAX_AGE, DAY};

/// A glucose reading, with the same fields and meanings as pydexcom's `GlucoseReading`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "value": 85, "mg_dl": 85, "mmol_l": 4.7, "trend": 4, "trend_direction": "Flat",
    "trend_description": "steady", "trend_arrow": "→",
    "datetime": "2025-04-19T12:43:33.817-04:00", "age_seconds": 134, "stale": false
}))]
pub struct ReadingBody {
    /// Glucose in mg/dL (same as `mg_dl`).
    pub value: u16,
    /// Glucose in mg/dL; 401 means "HIGH".
    pub mg_dl: u16,
    /// Glucose in mmol/L, `round(value * 0.0555, 1)` exactly as pydexcom computes it.
    pub mmol_l: f64,
    /// Trend number 0–9: 0 none, 1 DoubleUp … 4 Flat … 7 DoubleDown, 8 NotComputable,
    /// 9 RateOutOfRange.
    #[schema(minimum = 0, maximum = 9)]
    pub trend: u8,
    /// Share's name of the trend, e.g. `FortyFiveUp`.
    pub trend_direction: String,
    /// pydexcom's description, e.g. `rising slightly` (empty for trend 0).
    pub trend_description: String,
    /// pydexcom's arrow, e.g. `↗`.
    pub trend_arrow: String,
    /// When the reading was taken (RFC 3339), in the UTC offset Share reported for it.
    pub datetime: String,
    /// Whole seconds since the reading was taken, at the second the answer was made (the
    /// `Date` header). A copy revalidated with a 304 is that much older still.
    pub age_seconds: u64,
    /// True when the reading is more than 10 minutes old: the same rule that makes
    /// `/readings/current` answer 204.
    pub stale: bool,
}

impl ReadingBody {
    pub fn new(r: &Reading, at: DateTime<Utc>) -> Self {
        let age = (at - r.instant()).num_seconds().max(0);
        ReadingBody {
            value: r.mg_dl,
            mg_dl: r.mg_dl,
            mmol_l: r.mmol_l(),
            trend: r.trend.number(),
            trend_direction: r.trend.share_name().to_owned(),
            trend_description: r.trend.description().to_owned(),
            trend_arrow: r.trend.arrow().to_owned(),
            datetime: r.time().to_rfc3339(),
            age_seconds: age.unsigned_abs(),
            stale: is_stale(r, at),
        }
    }
}

fn json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("invariant: answer types serialise")
}

/// `/readings`: readings of the last `minutes` at `at`, newest first, at most `max_count`.
pub fn readings(
    account: &str,
    window: &Window,
    at: DateTime<Utc>,
    minutes: Minutes,
    max_count: MaxCount,
) -> Draft {
    let span = Duration::minutes(i64::from(minutes.get()));
    let shown = window.recent(at, minutes, max_count);
    let mut fingerprint = Fingerprint::new("readings", account);
    let mut changes = Changes::default();
    for r in shown {
        let stale = is_stale(r, at);
        fingerprint.reading(r, stale);
        changes.crossing(r, CURRENT_MAX_AGE, at);
        changes.crossing(r, span, at);
    }
    // The newest reading that already left `minutes`.
    if let Some(left) = window.readings().get(window.within(at, span)) {
        changes.crossing(left, span, at);
    }
    let bodies: Vec<ReadingBody> = shown.iter().map(|r| ReadingBody::new(r, at)).collect();
    Draft {
        body: Some(json(&bodies)),
        fingerprint,
        changes,
    }
}

/// `/readings/latest`, or `/readings/current` when `current`: one reading, or none (204).
pub fn single_reading(account: &str, window: &Window, at: DateTime<Utc>, current: bool) -> Draft {
    let kind = if current { "current" } else { "latest" };
    let mut fingerprint = Fingerprint::new(kind, account);
    let mut changes = Changes::default();
    let latest = window.latest(at);
    match latest {
        Some(r) => changes.crossing(r, CURRENT_MAX_AGE, at),
        None => {
            if let Some(gone) = window.newest() {
                changes.crossing(gone, DAY, at);
            }
        }
    }
    let shown = latest.filter(|r| !current || !is_stale(r, at));
    if let Some(r) = shown {
        fingerprint.reading(r, is_stale(r, at));
        changes.crossing(r, DAY, at);
    }
    Draft {
        body: shown.map(|r| json(&ReadingBody::new(r, at))),
        fingerprint,
        changes,
    }
}
