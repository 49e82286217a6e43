//! The state of an account's feed as push subscribers see it, and when it changes by time
//! alone: fresh, stale (the newest reading is over 10 minutes old), no data for 15 or 30
//! minutes, no data at all in the day; and whether Share is failing.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::feed::window::{CURRENT_MAX_AGE, DAY};
use crate::feed::Snapshot;

/// How old the newest reading is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DataState {
    /// The newest reading is at most 10 minutes old.
    Fresh,
    /// 10 to 15 minutes old: a reading or two are missing.
    Stale,
    /// No reading for 15 minutes.
    #[serde(rename = "no_data_15m")]
    NoData15m,
    /// No reading for 30 minutes (sensor warm-up, signal loss, the phone off).
    #[serde(rename = "no_data_30m")]
    NoData30m,
    /// No reading in the last 24 hours.
    NoData,
}

impl DataState {
    pub fn as_str(self) -> &'static str {
        match self {
            DataState::Fresh => "fresh",
            DataState::Stale => "stale",
            DataState::NoData15m => "no_data_15m",
            DataState::NoData30m => "no_data_30m",
            DataState::NoData => "no_data",
        }
    }
}

/// What a `status` event says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FeedStatus {
    pub state: DataState,
    /// The stable code of the last refresh's failure (`upstream_unavailable`,
    /// `upstream_auth_failed`…); null while Share answers.
    pub upstream_error: Option<String>,
    /// The time of the newest reading held.
    pub newest_reading_at: Option<DateTime<Utc>>,
    /// When the next reading should be visible upstream, if one is expected.
    pub next_reading_due: Option<DateTime<Utc>>,
}

/// The steps a newest reading goes through as it ages.
const STEPS: [(Duration, DataState); 4] = [
    (CURRENT_MAX_AGE, DataState::Stale),
    (Duration::minutes(15), DataState::NoData15m),
    (Duration::minutes(30), DataState::NoData30m),
    (DAY, DataState::NoData),
];

impl FeedStatus {
    /// The status of `snapshot` at `now`; `upstream_error` is the code of its failure.
    pub fn of(snapshot: &Snapshot, upstream_error: Option<String>, now: DateTime<Utc>) -> Self {
        let newest = snapshot.window.newest().map(|r| r.instant());
        FeedStatus {
            state: state_at(newest, now),
            upstream_error,
            newest_reading_at: newest,
            next_reading_due: snapshot.reading_due,
        }
    }

    /// Before the account's feed published anything (a cold start slower than the deadline).
    pub fn not_yet() -> Self {
        FeedStatus {
            state: DataState::NoData,
            upstream_error: Some("upstream_timeout".to_owned()),
            newest_reading_at: None,
            next_reading_due: None,
        }
    }

    /// Whether a subscriber must be told: the state or the failure changed (not merely the
    /// next due time).
    pub fn differs_from(&self, other: &FeedStatus) -> bool {
        self.state != other.state || self.upstream_error != other.upstream_error
    }

    /// When the state changes next by time alone.
    pub fn next_change(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let newest = self.newest_reading_at?;
        STEPS
            .iter()
            .map(|(age, _)| newest + *age)
            .find(|at| *at > now)
    }
}

fn state_at(newest: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DataState {
    let Some(newest) = newest else {
        return DataState::NoData;
    };
    let age = now - newest;
    STEPS
        .iter()
        .rev()
        .find(|(at_least, _)| age > *at_least)
        .map_or(DataState::Fresh, |(_, state)| *state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + minutes * 60, 0).expect("time")
    }

    #[test]
    fn states_are_written_as_they_are_named() {
        for state in [
            DataState::Fresh,
            DataState::Stale,
            DataState::NoData15m,
            DataState::NoData30m,
            DataState::NoData,
        ] {
            let json = serde_json::to_value(state).expect("serialises");
            assert_eq!(json, state.as_str());
        }
    }

    #[test]
    fn a_newest_reading_ages_through_every_state() {
        let newest = Some(t(0));
        let cases = [
            (t(10), DataState::Fresh),
            (t(11), DataState::Stale),
            (t(16), DataState::NoData15m),
            (t(31), DataState::NoData30m),
            (t(24 * 60 + 1), DataState::NoData),
        ];
        for (now, want) in cases {
            assert_eq!(state_at(newest, now), want, "{now}");
        }
        assert_eq!(state_at(None, t(0)), DataState::NoData);
    }

    #[test]
    fn the_next_change_is_the_next_step() {
        let status = FeedStatus {
            state: DataState::Fresh,
            upstream_error: None,
            newest_reading_at: Some(t(0)),
            next_reading_due: None,
        };
        assert_eq!(status.next_change(t(3)), Some(t(10)));
        assert_eq!(status.next_change(t(12)), Some(t(15)));
        assert_eq!(status.next_change(t(24 * 60 + 5)), None);
    }
}
