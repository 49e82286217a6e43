//! `--log-format json`: one JSON object per line, encoded by serde_json (a message with quotes,
//! newlines or control characters stays one valid line).

use std::borrow::Cow;
use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use log::{Level, Record};
use serde::Serialize;

use super::access_log::{self, AccessFields};

/// One log line.
#[derive(Serialize)]
struct Line<'a> {
    /// RFC 3339, UTC, milliseconds.
    ts: String,
    level: &'static str,
    target: &'a str,
    message: Cow<'a, str>,
    /// On access log lines: the request's fields, beside the message.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    access: Option<AccessFields<'a>>,
}

/// env_logger's format function.
pub(super) fn write(buf: &mut env_logger::fmt::Formatter, record: &Record) -> std::io::Result<()> {
    let message = record.args().to_string();
    writeln!(
        buf,
        "{}",
        line(Utc::now(), record.level(), record.target(), &message)
    )
}

/// The JSON text of one record, without the newline.
pub(super) fn line(ts: DateTime<Utc>, level: Level, target: &str, message: &str) -> String {
    let access = access_log::parse(target, message);
    let line = Line {
        ts: ts.to_rfc3339_opts(SecondsFormat::Millis, true),
        level: level_name(level),
        target,
        message: match &access {
            Some(fields) => Cow::Owned(fields.text()),
            None => Cow::Borrowed(message),
        },
        access,
    };
    // Strings and numbers only: serialising cannot fail.
    serde_json::to_string(&line).unwrap_or_default()
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warn => "warn",
        Level::Info => "info",
        Level::Debug => "debug",
        Level::Trace => "trace",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-26T08:31:08.230+00:00")
            .expect("valid time")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_record_is_one_line_of_json_with_the_four_keys() {
        let text = line(
            at(),
            Level::Warn,
            "dexcom_share_proxy::feed",
            "account \"alice\":\nline two\t\u{1}",
        );

        assert!(!text.contains('\n'), "{text}");
        let value: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(value["ts"], "2026-11-26T08:31:08.230Z");
        assert_eq!(value["level"], "warn");
        assert_eq!(value["target"], "dexcom_share_proxy::feed");
        assert_eq!(value["message"], "account \"alice\":\nline two\t\u{1}");
        assert_eq!(value.as_object().map(|o| o.len()), Some(4));
    }

    #[test]
    fn an_access_record_carries_the_request_fields() {
        let message = "127.0.0.1\tGET\t/health?token=<redacted>\tHTTP/1.1\t200\t57\t0.251000";

        let text = line(at(), Level::Info, access_log::TARGET, message);

        let value: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(
            value["message"],
            "127.0.0.1 \"GET /health?token=<redacted> HTTP/1.1\" 200 57 0.251000ms"
        );
        assert_eq!(value["peer"], "127.0.0.1");
        assert_eq!(value["method"], "GET");
        assert_eq!(value["path"], "/health?token=<redacted>");
        assert_eq!(value["version"], "HTTP/1.1");
        assert_eq!(value["status"], 200);
        assert_eq!(value["bytes"], 57);
        assert_eq!(value["duration_ms"], 0.251);
    }
}
