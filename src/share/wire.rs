//! Share's JSON: glucose records, `Date(…)` strings, quoted UUIDs and fault envelopes.

use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::scrub::shown;
use crate::domain::reading::MAX_MG_DL;
use crate::domain::{Reading, Trend};

/// Why a Share body could not be read. Holds no secrets: Share bodies carry none we keep.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

/// A piece of Share's answer quoted in a message (which goes to the log only): scrubbed and
/// short, whatever Share sent.
fn piece(value: &Value) -> String {
    shown(&value.to_string(), 40)
}

fn fail<T>(msg: impl Into<String>) -> Result<T, DecodeError> {
    Err(DecodeError(msg.into()))
}

/// The `{Code, Message, SubCode, TypeName}` body Share sends with HTTP 500.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Fault {
    #[serde(rename = "Code")]
    pub code: String,
    #[serde(rename = "Message", default)]
    pub message: String,
}

/// Reads a fault envelope; `None` when the body is not one (HTML pages, empty bodies…).
pub fn parse_fault(body: &[u8]) -> Option<Fault> {
    serde_json::from_slice::<Fault>(body)
        .ok()
        .filter(|f| !f.code.is_empty())
}

/// Reads the JSON string UUID both login calls return.
pub fn parse_uuid(body: &[u8]) -> Result<Uuid, DecodeError> {
    let text: String = serde_json::from_slice(body)
        .map_err(|e| DecodeError(format!("expected a JSON string UUID: {e}")))?;
    Uuid::parse_str(&text).map_err(|_| DecodeError("expected a JSON string UUID".to_owned()))
}

/// Reads a `ReadPublisherLatestGlucoseValues` body. One record that cannot be read fails the
/// whole body: serving the others would hide that Share changed its format.
pub fn parse_readings(body: &[u8]) -> Result<Vec<Reading>, DecodeError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| DecodeError(format!("glucose values are not JSON: {e}")))?;
    let Value::Array(records) = value else {
        return fail("glucose values are not a JSON array");
    };
    records
        .iter()
        .enumerate()
        .map(|(i, record)| {
            parse_record(record).map_err(|e| DecodeError(format!("record {i}: {e}")))
        })
        .collect()
}

fn parse_record(record: &Value) -> Result<Reading, DecodeError> {
    let Value::Object(fields) = record else {
        return fail("not a JSON object");
    };
    let mg_dl = match fields.get("Value") {
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|v| *v <= u64::from(MAX_MG_DL))
            .and_then(|v| u16::try_from(v).ok())
            .ok_or_else(|| DecodeError(format!("Value {n} is not a whole mg/dL in 0..=401")))?,
        Some(other) => return fail(format!("Value is not a number: {}", piece(other))),
        None => return fail("Value is missing"),
    };
    let trend = match fields.get("Trend") {
        Some(Value::String(name)) => Trend::from_name(name)
            .ok_or_else(|| DecodeError(format!("unknown Trend {:?}", shown(name, 40))))?,
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(Trend::from_number)
            .ok_or_else(|| DecodeError(format!("unknown Trend {n}")))?,
        Some(other) => {
            return fail(format!(
                "Trend is neither a name nor a number: {}",
                piece(other)
            ))
        }
        None => return fail("Trend is missing"),
    };
    let time = match fields.get("DT") {
        Some(Value::String(dt)) => parse_share_date(dt)?,
        Some(other) => return fail(format!("DT is not a string: {}", piece(other))),
        None => return fail("DT is missing"),
    };
    Reading::new(mg_dl, trend, time).ok_or_else(|| DecodeError("DT offset out of range".to_owned()))
}

/// Reads `Date(<ms>)`, `Date(<ms>±HHMM)` and the legacy slashed `/Date(…)/` forms. The
/// milliseconds are UTC; the suffix only says the wearer's offset, so the instant keeps that
/// offset and a missing suffix means UTC.
pub fn parse_share_date(raw: &str) -> Result<DateTime<FixedOffset>, DecodeError> {
    let bad = || DecodeError(format!("unreadable date {:?}", shown(raw, 40)));
    let unslashed = match raw.strip_prefix('/') {
        Some(rest) => rest.strip_suffix('/').ok_or_else(bad)?,
        None => raw,
    };
    let inner = unslashed
        .strip_prefix("Date(")
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(bad)?;
    let (millis, offset) = match inner.find(['+', '-']) {
        Some(at) => (&inner[..at], parse_offset(&inner[at..]).ok_or_else(bad)?),
        None => (inner, FixedOffset::east_opt(0).ok_or_else(bad)?),
    };
    if millis.is_empty() || millis.len() > 15 || !millis.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let millis: i64 = millis.parse().map_err(|_| bad())?;
    let utc: DateTime<Utc> = DateTime::from_timestamp_millis(millis).ok_or_else(bad)?;
    Ok(utc.with_timezone(&offset))
}

fn parse_offset(raw: &str) -> Option<FixedOffset> {
    let (sign, digits) = match raw.as_bytes().first()? {
        b'+' => (1, &raw[1..]),
        b'-' => (-1, &raw[1..]),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    if hours > 14 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
