//! What the state topic of an account says: its newest reading and the feed's status, as one
//! JSON document that every discovered entity reads a field of.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::Reading;
use crate::feed::Snapshot;
use crate::push::{DataState, FeedStatus, Thresholds};

/// An account as the publisher last saw it. Two equal states publish the same document
/// (but for its age), so a state is published only when it changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountState {
    /// The newest reading of the last 24 hours.
    pub reading: Option<Reading>,
    pub data: DataState,
    /// The stable code of the last refresh's failure; `None` while Share answers.
    pub upstream_error: Option<&'static str>,
}

/// The JSON state document. Without a reading in 24 hours every value is null, which Home
/// Assistant shows as unknown, rather than an old number.
#[derive(Debug, Serialize)]
pub struct StateDocument {
    /// Glucose in mg/dL; 401 means "HIGH".
    pub mg_dl: Option<u16>,
    /// Glucose in mmol/L, as pydexcom computes it.
    pub mmol_l: Option<f64>,
    /// Share's trend name, e.g. `FortyFiveUp`.
    pub trend: Option<&'static str>,
    /// The trend number 0–9.
    pub trend_number: Option<u8>,
    /// pydexcom's arrow, e.g. `↗` (empty for trend `None`).
    pub arrow: Option<&'static str>,
    /// pydexcom's description, e.g. `rising slightly`.
    pub description: Option<&'static str>,
    /// When the reading was taken (RFC 3339), in the wearer's UTC offset.
    pub reading_time: Option<String>,
    /// Whole seconds since the reading was taken, when this document was published.
    pub age_seconds: Option<u64>,
    /// The newest reading is more than 10 minutes old, or there is none.
    pub stale: bool,
    /// `urgent_low`, `low`, `in_range`, `high` or `urgent_high`, by the account's thresholds.
    pub range: Option<&'static str>,
    /// `fresh`, `stale`, `no_data_15m`, `no_data_30m` or `no_data`.
    pub status: &'static str,
    /// Why Share's last answer was not a good one (`upstream_unavailable`…), or null.
    pub upstream_error: Option<&'static str>,
}

impl AccountState {
    /// The state of `snapshot` at `now`, and when it next changes by time alone.
    pub fn of(snapshot: &Snapshot, now: DateTime<Utc>) -> (AccountState, Option<DateTime<Utc>>) {
        let upstream_error = snapshot.failure.as_deref().map(crate::error::upstream_code);
        let status = FeedStatus::of(snapshot, upstream_error.map(str::to_owned), now);
        let state = AccountState {
            reading: snapshot.window.latest(now).copied(),
            data: status.state,
            upstream_error,
        };
        (state, status.next_change(now))
    }

    /// Whether the account's entities are available: its newest reading is fresh.
    pub fn available(&self) -> bool {
        self.data == DataState::Fresh && self.reading.is_some()
    }

    /// The document published at `now`.
    pub fn document(&self, thresholds: &Thresholds, now: DateTime<Utc>) -> StateDocument {
        let r = self.reading.as_ref();
        StateDocument {
            mg_dl: r.map(|r| r.mg_dl),
            mmol_l: r.map(Reading::mmol_l),
            trend: r.map(|r| r.trend.share_name()),
            trend_number: r.map(|r| r.trend.number()),
            arrow: r.map(|r| r.trend.arrow()),
            description: r.map(|r| r.trend.description()),
            reading_time: r.map(|r| r.time().to_rfc3339()),
            age_seconds: r.map(|r| (now - r.instant()).num_seconds().max(0).unsigned_abs()),
            stale: !self.available(),
            range: r.map(|r| thresholds.range(r.mg_dl).as_str()),
            status: self.data.as_str(),
            upstream_error: self.upstream_error,
        }
    }
}

impl StateDocument {
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("invariant: a state document serialises")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{Duration, FixedOffset};
    use serde_json::json;

    use super::*;
    use crate::domain::Trend;
    use crate::feed::status::AccountStatus;
    use crate::feed::window::Window;
    use crate::feed::UpstreamError;

    fn t(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + minutes * 60, 0).expect("time")
    }

    fn reading(mg_dl: u16, trend: Trend, at: DateTime<Utc>) -> Reading {
        let offset = FixedOffset::west_opt(4 * 3600).expect("offset");
        Reading::new(mg_dl, trend, at.with_timezone(&offset)).expect("valid reading")
    }

    fn snapshot(readings: Vec<Reading>, failure: Option<UpstreamError>) -> Snapshot {
        Snapshot {
            run: 1,
            window: Arc::new(Window::new(readings, t(0))),
            fetched_at: Some(t(0)),
            failure: failure.map(Arc::new),
            next_poll_at: t(5),
            reading_due: None,
            lag: Duration::zero(),
            status: AccountStatus::default(),
        }
    }

    fn value(state: &AccountState, now: DateTime<Utc>) -> serde_json::Value {
        let bytes = state.document(&Thresholds::default(), now).to_bytes();
        serde_json::from_slice(&bytes).expect("JSON")
    }

    #[test]
    fn a_fresh_reading_gives_every_field() {
        let snap = snapshot(vec![reading(185, Trend::FortyFiveUp, t(-3))], None);
        let (state, next) = AccountState::of(&snap, t(0));
        assert!(state.available());
        assert_eq!(
            next,
            Some(t(7)),
            "it turns stale 10 minutes after it was taken"
        );
        assert_eq!(
            value(&state, t(0)),
            json!({
                "mg_dl": 185, "mmol_l": 10.3, "trend": "FortyFiveUp", "trend_number": 3,
                "arrow": "↗", "description": "rising slightly",
                "reading_time": "2027-01-15T03:57:00-04:00", "age_seconds": 180,
                "stale": false, "range": "high", "status": "fresh", "upstream_error": null
            })
        );
    }

    #[test]
    fn a_stale_reading_is_unavailable_and_says_so() {
        let snap = snapshot(vec![reading(60, Trend::SingleDown, t(-12))], None);
        let (state, next) = AccountState::of(&snap, t(0));
        assert!(!state.available());
        assert_eq!(next, Some(t(3)), "no data for 15 minutes next");
        let doc = value(&state, t(0));
        assert_eq!(doc["stale"], true);
        assert_eq!(doc["status"], "stale");
        assert_eq!(doc["range"], "low");
        assert_eq!(doc["mg_dl"], 60, "the value stays: Home Assistant hides it");
    }

    #[test]
    fn no_reading_in_a_day_gives_nulls_not_old_numbers() {
        let old = reading(120, Trend::Flat, t(-24 * 60 - 1));
        let snap = snapshot(
            vec![old],
            Some(UpstreamError::LoginThrottled { until: t(5) }),
        );
        let (state, next) = AccountState::of(&snap, t(0));
        assert_eq!(next, None);
        assert!(!state.available());
        assert_eq!(
            value(&state, t(0)),
            json!({
                "mg_dl": null, "mmol_l": null, "trend": null, "trend_number": null,
                "arrow": null, "description": null, "reading_time": null,
                "age_seconds": null, "stale": true, "range": null, "status": "no_data",
                "upstream_error": "upstream_unavailable"
            })
        );
    }

    #[test]
    fn mmol_l_has_one_decimal_as_pydexcom_rounds_it() {
        // Python: round(mg_dl * 0.0555, 1).
        let cases = [
            (39, "2.2"),
            (55, "3.1"),
            (70, "3.9"),
            (100, "5.5"),
            (180, "10.0"),
            (181, "10.0"),
            (250, "13.9"),
            (401, "22.3"),
        ];
        for (mg_dl, want) in cases {
            let state = AccountState {
                reading: Some(reading(mg_dl, Trend::Flat, t(0))),
                data: DataState::Fresh,
                upstream_error: None,
            };
            // As the JSON text says it: one decimal, no binary noise.
            assert_eq!(
                value(&state, t(0))["mmol_l"].to_string(),
                want,
                "{mg_dl} mg/dL"
            );
        }
    }

    #[test]
    fn ranges_follow_the_accounts_thresholds() {
        let state = AccountState {
            reading: Some(reading(150, Trend::Flat, t(0))),
            data: DataState::Fresh,
            upstream_error: None,
        };
        let strict = Thresholds {
            high: 140,
            ..Thresholds::default()
        };
        assert_eq!(
            state.document(&Thresholds::default(), t(1)).range,
            Some("in_range")
        );
        assert_eq!(state.document(&strict, t(1)).range, Some("high"));
    }
}
