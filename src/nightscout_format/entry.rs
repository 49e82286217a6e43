//! A reading as a Nightscout SGV entry, the shape every Nightscout client reads.

use chrono::SecondsFormat;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{Reading, Trend};

/// What this service writes as the entry's `device`.
pub const DEVICE: &str = "dexcom-share-proxy";

/// A delta is only computed against a reading 4–6 minutes older; anything else (a gap, a
/// duplicate upload) says nothing about the last five minutes.
const DELTA_MIN_MS: i64 = 4 * 60 * 1000;
const DELTA_MAX_MS: i64 = 6 * 60 * 1000;

/// A sensor glucose value entry, as Nightscout's `/api/v1/entries` serves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "_id": "6553f2a0c1e3b4a5d6e7f809", "type": "sgv", "sgv": 142, "delta": -3,
    "date": 1700000000000_i64, "dateString": "2023-11-14T22:13:20.000Z",
    "sysTime": "2023-11-14T22:13:20.000Z", "utcOffset": -240, "mills": 1700000000000_i64,
    "trend": 5, "direction": "FortyFiveDown", "device": "dexcom-share-proxy"
}))]
pub struct SgvEntry {
    /// Stable identifier of the reading (24 hex digits, like a MongoDB ObjectId).
    #[serde(rename = "_id")]
    pub id: String,
    /// Always `sgv`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Glucose in mg/dL.
    pub sgv: u16,
    /// Change in mg/dL from the previous reading when that one is 4–6 minutes older, else 0.
    pub delta: i32,
    /// Epoch milliseconds of the reading.
    pub date: i64,
    /// The reading's time, ISO 8601 in UTC.
    #[serde(rename = "dateString")]
    pub date_string: String,
    /// Same as `dateString`.
    #[serde(rename = "sysTime")]
    pub sys_time: String,
    /// The wearer's UTC offset in minutes, as Share reported it.
    #[serde(rename = "utcOffset")]
    pub utc_offset: i32,
    /// Same as `date`.
    pub mills: i64,
    /// Trend number 0–9.
    pub trend: u8,
    /// Nightscout's direction name, e.g. `FortyFiveDown`, `NOT COMPUTABLE`.
    pub direction: String,
    /// `dexcom-share-proxy`.
    pub device: String,
}

impl SgvEntry {
    /// `older` is the next older reading, if any, for the delta.
    pub fn new(account: &str, reading: &Reading, older: Option<&Reading>) -> SgvEntry {
        let date = reading.epoch_ms();
        let delta = older
            .filter(|o| (DELTA_MIN_MS..=DELTA_MAX_MS).contains(&(date - o.epoch_ms())))
            .map_or(0, |o| i32::from(reading.mg_dl) - i32::from(o.mg_dl));
        let iso = reading
            .instant()
            .to_rfc3339_opts(SecondsFormat::Millis, true);
        SgvEntry {
            id: entry_id(account, date),
            kind: "sgv".to_owned(),
            sgv: reading.mg_dl,
            delta,
            date,
            date_string: iso.clone(),
            sys_time: iso,
            utc_offset: reading.offset_minutes_i32(),
            mills: date,
            trend: reading.trend.number(),
            direction: direction(reading.trend).to_owned(),
            device: DEVICE.to_owned(),
        }
    }
}

/// Nightscout's direction names (the Share bridge's table).
pub fn direction(trend: Trend) -> &'static str {
    match trend {
        Trend::None => "NONE",
        Trend::NotComputable => "NOT COMPUTABLE",
        Trend::RateOutOfRange => "RATE OUT OF RANGE",
        other => other.share_name(),
    }
}

/// An ObjectId-like identifier: 8 hex digits of the reading's epoch seconds (so identifiers
/// sort by time like Mongo's), then 16 of a hash of account and milliseconds, so it is the
/// same for the same reading on every request and differs between accounts.
fn entry_id(account: &str, date_ms: i64) -> String {
    // FNV-1a: stable across runs and platforms, unlike std's randomly keyed hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in account.bytes().chain(date_ms.to_be_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let seconds = u32::try_from(date_ms.div_euclid(1000)).unwrap_or(u32::MAX);
    format!("{seconds:08x}{hash:016x}")
}

/// Entries for the first `limit` readings (ordered newest first) that `keep` accepts, each with
/// its delta to the next older reading. Only the entries returned are built.
pub fn entries(
    account: &str,
    readings: &[Reading],
    keep: impl Fn(&Reading) -> bool,
    limit: usize,
) -> Vec<SgvEntry> {
    readings
        .iter()
        .enumerate()
        .filter(|(_, r)| keep(r))
        .take(limit)
        .map(|(i, r)| SgvEntry::new(account, r, readings.get(i + 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, FixedOffset, TimeZone};

    use super::*;

    fn reading(ms: i64, mg_dl: u16, trend: Trend) -> Reading {
        let offset = FixedOffset::west_opt(4 * 3600).expect("valid offset");
        let time = offset
            .timestamp_millis_opt(ms)
            .single()
            .expect("valid time");
        Reading::new(mg_dl, trend, time).expect("valid reading")
    }

    #[test]
    fn an_entry_has_every_field_nightscout_clients_read() {
        let newer = reading(1_700_000_000_000, 142, Trend::FortyFiveDown);
        let older = reading(1_700_000_000_000 - 300_000, 145, Trend::Flat);

        let entry = SgvEntry::new("alice", &newer, Some(&older));

        assert_eq!(entry.kind, "sgv");
        assert_eq!(entry.sgv, 142);
        assert_eq!(entry.delta, -3);
        assert_eq!(entry.date, 1_700_000_000_000);
        assert_eq!(entry.date_string, "2023-11-14T22:13:20.000Z");
        assert_eq!(entry.sys_time, entry.date_string);
        assert_eq!(entry.utc_offset, -240);
        assert_eq!(entry.trend, 5);
        assert_eq!(entry.direction, "FortyFiveDown");
        assert_eq!(entry.device, DEVICE);
        assert_eq!(entry.id.len(), 24);
        assert!(entry.id.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn delta_needs_a_reading_4_to_6_minutes_older() {
        let base = 1_700_000_000_000;
        let now = reading(base, 100, Trend::Flat);
        for (gap_minutes, want) in [(4, 10), (5, 10), (6, 10), (3, 0), (7, 0), (15, 0)] {
            let older = reading(
                base - Duration::minutes(gap_minutes).num_milliseconds(),
                90,
                Trend::Flat,
            );
            assert_eq!(
                SgvEntry::new("a", &now, Some(&older)).delta,
                want,
                "{gap_minutes} min"
            );
        }
        assert_eq!(SgvEntry::new("a", &now, None).delta, 0);
    }

    #[test]
    fn ids_are_stable_per_reading_and_differ_between_accounts_and_readings() {
        let r = reading(1_700_000_000_000, 100, Trend::Flat);
        let other = reading(1_700_000_300_000, 100, Trend::Flat);
        assert_eq!(
            SgvEntry::new("a", &r, None).id,
            SgvEntry::new("a", &r, None).id
        );
        assert_ne!(
            SgvEntry::new("a", &r, None).id,
            SgvEntry::new("b", &r, None).id
        );
        assert_ne!(
            SgvEntry::new("a", &r, None).id,
            SgvEntry::new("a", &other, None).id
        );
        assert!(SgvEntry::new("a", &r, None).id < SgvEntry::new("a", &other, None).id);
    }

    #[test]
    fn directions_use_nightscout_names() {
        assert_eq!(direction(Trend::None), "NONE");
        assert_eq!(direction(Trend::NotComputable), "NOT COMPUTABLE");
        assert_eq!(direction(Trend::RateOutOfRange), "RATE OUT OF RANGE");
        assert_eq!(direction(Trend::DoubleUp), "DoubleUp");
    }
}
