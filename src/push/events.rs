//! Server-Sent Events as this service writes them: `reading` events (one per new reading, its
//! epoch milliseconds as the event ID), `status` events, comments for keep-alive, and the
//! reconnection hint.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::status::FeedStatus;
use super::thresholds::{Range, Thresholds};
use crate::domain::Reading;
use crate::render::ReadingBody;

/// The data of a `reading` event: the reading as `/readings` shows it, and its range.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingEvent {
    #[serde(flatten)]
    pub reading: ReadingBody,
    /// Where the value stands against the account's thresholds.
    pub range: Range,
}

/// `event: reading` with `id: <epoch ms>`.
pub fn reading(reading: &Reading, thresholds: &Thresholds, now: DateTime<Utc>) -> Bytes {
    let event = ReadingEvent {
        reading: ReadingBody::new(reading, now),
        range: thresholds.range(reading.mg_dl),
    };
    frame("reading", Some(reading.epoch_ms()), &to_json(&event))
}

/// `event: status`.
pub fn status(status: &FeedStatus) -> Bytes {
    frame("status", None, &to_json(status))
}

/// A comment line: clients ignore it; it keeps proxies and load balancers from closing an
/// idle connection.
pub fn keep_alive() -> Bytes {
    Bytes::from_static(b": keep-alive\n\n")
}

/// How long a client waits before reconnecting after losing the stream.
pub fn retry(milliseconds: u64) -> Bytes {
    Bytes::from(format!("retry: {milliseconds}\n\n"))
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("invariant: event data serialises")
}

/// One event. JSON never holds a raw line break, so `data` is one line.
fn frame(event: &str, id: Option<i64>, data: &str) -> Bytes {
    let mut text = String::with_capacity(data.len() + 48);
    text.push_str("event: ");
    text.push_str(event);
    text.push('\n');
    if let Some(id) = id {
        text.push_str(&format!("id: {id}\n"));
    }
    text.push_str("data: ");
    text.push_str(data);
    text.push_str("\n\n");
    Bytes::from(text)
}

/// The `Last-Event-ID` a reconnecting client sends: the epoch milliseconds of the last reading
/// it got.
pub fn last_event_id(header: &str) -> Option<i64> {
    let id = header.trim();
    (!id.is_empty() && id.len() <= 16 && id.bytes().all(|b| b.is_ascii_digit()))
        .then(|| id.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use chrono::FixedOffset;

    use super::*;
    use crate::domain::Trend;

    #[test]
    fn a_reading_event_carries_its_instant_as_id_and_one_line_of_json() {
        let time = DateTime::from_timestamp_millis(1_800_000_000_123)
            .expect("time")
            .with_timezone(&FixedOffset::east_opt(3600).expect("offset"));
        let r = Reading::new(190, Trend::SingleUp, time).expect("valid");
        let now = r.instant() + chrono::Duration::seconds(30);
        let text =
            String::from_utf8(reading(&r, &Thresholds::default(), now).to_vec()).expect("UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "event: reading");
        assert_eq!(lines[1], "id: 1800000000123");
        let data: serde_json::Value =
            serde_json::from_str(lines[2].strip_prefix("data: ").expect("data")).expect("JSON");
        assert_eq!(data["mg_dl"], 190);
        assert_eq!(data["range"], "high");
        assert_eq!(data["age_seconds"], 30);
        assert!(text.ends_with("\n\n"));
    }

    #[test]
    fn last_event_ids_are_epoch_milliseconds_or_nothing() {
        assert_eq!(last_event_id(" 1800000000123 "), Some(1_800_000_000_123));
        for bad in ["", "-1", "12a", "99999999999999999999", "1.5"] {
            assert_eq!(last_event_id(bad), None, "{bad:?}");
        }
    }
}
