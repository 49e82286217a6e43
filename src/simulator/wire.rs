//! Share JSON shapes of glucose records: `Date(…)` strings and trends.

use serde::Serialize;
use serde_json::Value;

use super::trace::Reading;

/// `+HHMM` / `-HHMM` for an offset in minutes (e.g. -240 → `-0400`, 330 → `+0530`).
pub fn offset_suffix(utc_offset_minutes: i32) -> String {
    let sign = if utc_offset_minutes < 0 { '-' } else { '+' };
    let abs = utc_offset_minutes.unsigned_abs();
    format!("{sign}{:02}{:02}", abs / 60, abs % 60)
}

/// A Share date string: `Date(ms)` or, with an offset, `Date(ms-0400)`;
/// `legacy` gives the pre-2021 `/Date(ms)/` form.
pub fn format_date(epoch_ms: i64, utc_offset_minutes: Option<i32>, legacy: bool) -> String {
    let suffix = utc_offset_minutes.map(offset_suffix).unwrap_or_default();
    if legacy {
        format!("/Date({epoch_ms}{suffix})/")
    } else {
        format!("Date({epoch_ms}{suffix})")
    }
}

/// One record of `ReadPublisherLatestGlucoseValues`, fields in Dexcom's order.
#[derive(Debug, Serialize)]
pub struct GlucoseRecord {
    /// Epoch ms, no offset.
    #[serde(rename = "WT")]
    pub wt: String,
    /// Epoch ms, no offset.
    #[serde(rename = "ST")]
    pub st: String,
    /// Epoch ms with the wearer's offset suffix.
    #[serde(rename = "DT")]
    pub dt: String,
    /// mg/dL.
    #[serde(rename = "Value")]
    pub value: u16,
    /// Trend name (string) or, in legacy format, its integer code.
    #[serde(rename = "Trend")]
    pub trend: Value,
}

impl GlucoseRecord {
    /// The record for a reading; WT, ST and DT carry the same instant, as in
    /// every 2023–2025 recording.
    pub fn new(reading: &Reading, utc_offset_minutes: i32, legacy: bool) -> Self {
        GlucoseRecord {
            wt: format_date(reading.time_ms, None, legacy),
            st: format_date(reading.time_ms, None, legacy),
            dt: format_date(reading.time_ms, Some(utc_offset_minutes), legacy),
            value: reading.value,
            trend: if legacy {
                Value::from(reading.trend.number())
            } else {
                Value::from(reading.trend.share_name())
            },
        }
    }
}

/// The JSON array body for a list of readings (newest first).
pub fn records_json(readings: &[Reading], utc_offset_minutes: i32, legacy: bool) -> String {
    let records: Vec<GlucoseRecord> = readings
        .iter()
        .map(|r| GlucoseRecord::new(r, utc_offset_minutes, legacy))
        .collect();
    serde_json::to_string(&records).unwrap_or_else(|_| "[]".to_owned())
}

/// A quoted UUID string body, as both login endpoints answer.
pub fn uuid_json(id: &uuid::Uuid) -> String {
    format!("\"{id}\"")
}

#[cfg(test)]
mod tests {
    use super::super::trace::Trend;
    use super::*;

    #[test]
    fn offsets_format_with_sign_hours_and_minutes() {
        assert_eq!(offset_suffix(-240), "-0400");
        assert_eq!(offset_suffix(330), "+0530");
        assert_eq!(offset_suffix(0), "+0000");
        assert_eq!(offset_suffix(-570), "-0930");
        assert_eq!(offset_suffix(840), "+1400");
    }

    #[test]
    fn dates_in_current_and_legacy_shapes() {
        let ms = 1_745_081_013_817;
        assert_eq!(format_date(ms, None, false), "Date(1745081013817)");
        assert_eq!(
            format_date(ms, Some(-240), false),
            "Date(1745081013817-0400)"
        );
        assert_eq!(
            format_date(ms, Some(330), false),
            "Date(1745081013817+0530)"
        );
        assert_eq!(format_date(ms, None, true), "/Date(1745081013817)/");
        assert_eq!(
            format_date(ms, Some(-240), true),
            "/Date(1745081013817-0400)/"
        );
    }

    #[test]
    fn record_matches_the_recorded_shape() {
        let r = Reading {
            time_ms: 1_745_081_013_817,
            value: 224,
            trend: Trend::Flat,
        };
        assert_eq!(
            records_json(&[r], -240, false),
            r#"[{"WT":"Date(1745081013817)","ST":"Date(1745081013817)","DT":"Date(1745081013817-0400)","Value":224,"Trend":"Flat"}]"#
        );
        assert_eq!(
            records_json(&[r], -240, true),
            r#"[{"WT":"/Date(1745081013817)/","ST":"/Date(1745081013817)/","DT":"/Date(1745081013817-0400)/","Value":224,"Trend":4}]"#
        );
        assert_eq!(records_json(&[], 0, false), "[]");
    }
}
