use super::*;
use crate::share::error::{classify, ShareError};

const RECORDED: &str = include_str!("../../tests/fixtures/share_recorded_bodies.txt");

/// Every distinct body recorded from the real Share service (SHARE_PROTOCOL.md §10) reads as
/// exactly what it is: readings, a UUID, or a classified fault.
#[test]
fn every_recorded_share_body_parses() {
    let mut seen = (0, 0, 0);
    for body in RECORDED.lines().filter(|l| !l.is_empty()) {
        let bytes = body.as_bytes();
        if body.starts_with('[') {
            let readings = parse_readings(bytes).unwrap_or_else(|e| panic!("{e}: {body}"));
            for r in &readings {
                assert!((40..=400).contains(&r.mg_dl), "{body}");
                assert_eq!(r.time().offset().local_minus_utc(), -4 * 3600);
            }
            seen.0 += 1;
        } else if body.starts_with('"') {
            parse_uuid(bytes).unwrap_or_else(|e| panic!("{e}: {body}"));
            seen.1 += 1;
        } else {
            let error = classify(500, bytes);
            assert!(
                matches!(
                    error,
                    ShareError::CredentialsRejected { .. }
                        | ShareError::SessionExpired { .. }
                        | ShareError::Fault { .. }
                ),
                "{error:?}: {body}"
            );
            seen.2 += 1;
        }
    }
    assert!(seen.0 >= 6 && seen.1 == 3 && seen.2 >= 30, "{seen:?}");
}

#[test]
fn recorded_reading_keeps_pydexcom_semantics() {
    let body = br#"[{"WT":"Date(1745081013817)","ST":"Date(1745081013817)","DT":"Date(1745081013817-0400)","Value":224,"Trend":"Flat"}]"#;
    let readings = parse_readings(body).expect("recorded body");
    assert_eq!(readings.len(), 1);
    let r = &readings[0];
    assert_eq!(r.mg_dl, 224);
    assert_eq!(r.trend, Trend::Flat);
    assert_eq!(r.time().to_rfc3339(), "2025-04-19T12:43:33.817-04:00");
    assert_eq!(r.epoch_ms(), 1_745_081_013_817);
}

#[test]
fn every_date_shape_is_read() {
    let cases = [
        ("Date(1745081013817)", "2025-04-19T16:43:33.817+00:00"),
        ("Date(1745081013817-0400)", "2025-04-19T12:43:33.817-04:00"),
        ("Date(1696877837620+0200)", "2023-10-09T20:57:17.620+02:00"),
        ("Date(1696877837620+0530)", "2023-10-10T00:27:17.620+05:30"),
        ("/Date(1426292039000)/", "2015-03-14T00:13:59+00:00"),
        ("/Date(1426292016000-0700)/", "2015-03-13T17:13:36-07:00"),
    ];
    for (raw, want) in cases {
        let got = parse_share_date(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
        assert_eq!(got.to_rfc3339(), want, "{raw}");
    }
}

#[test]
fn malformed_dates_are_refused() {
    for raw in [
        "",
        "Date()",
        "Date(abc)",
        "Date(-5)",
        "Date(1745081013817",
        "/Date(1745081013817)",
        "Date(1745081013817-04)",
        "Date(1745081013817-9900)",
        "Date(1745081013817+0460)",
        "Date(99999999999999999999)",
        "2025-04-19T12:43:33Z",
    ] {
        assert!(parse_share_date(raw).is_err(), "{raw:?}");
    }
}

#[test]
fn integer_trends_from_before_2021_are_read() {
    let body = br#"[{"DT":"/Date(1426292016000-0700)/","Value":100,"Trend":4},{"DT":"/Date(1426291716000-0700)/","Value":98,"Trend":8}]"#;
    let readings = parse_readings(body).expect("legacy body");
    assert_eq!(readings[0].trend, Trend::Flat);
    assert_eq!(readings[1].trend, Trend::NotComputable);
}

#[test]
fn a_bad_record_fails_the_whole_body() {
    let cases: [&[u8]; 11] = [
        br#"[{"DT":"Date(1)","Value":100}]"#,
        br#"[{"DT":"Date(1)","Trend":"Flat"}]"#,
        br#"[{"Value":100,"Trend":"Flat"}]"#,
        br#"[{"DT":"Date(1)","Value":100,"Trend":"Sideways"}]"#,
        br#"[{"DT":"Date(1)","Value":100,"Trend":12}]"#,
        br#"[{"DT":"Date(1)","Value":"100","Trend":"Flat"}]"#,
        br#"[{"DT":"Date(1)","Value":100.5,"Trend":"Flat"}]"#,
        br#"[{"DT":"Date(1)","Value":-3,"Trend":"Flat"}]"#,
        br#"[{"DT":"Date(1)","Value":402,"Trend":"Flat"}]"#,
        br#"[{"DT":"Date(1)","Value":null,"Trend":"Flat"}]"#,
        br#"[17]"#,
    ];
    for body in cases {
        assert!(
            parse_readings(body).is_err(),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn non_arrays_and_non_json_are_refused() {
    for body in [&b""[..], b"{}", b"\"x\"", b"[{\"WT\":", b"<html>"] {
        assert!(
            parse_readings(body).is_err(),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn uuids_must_be_json_strings() {
    assert!(parse_uuid(br#""55555555-5555-5555-5555-555555555555""#).is_ok());
    for body in [
        &b"55555555-5555-5555-5555-555555555555"[..],
        b"\"\"",
        b"\"1\"",
        b"1",
        b"",
    ] {
        assert!(
            parse_uuid(body).is_err(),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    /// JSON values shaped like Share records, with every field sometimes missing, mistyped or
    /// out of range.
    fn record_like() -> impl Strategy<Value = serde_json::Value> {
        let date = prop_oneof![
            any::<i64>().prop_map(|ms| format!("Date({ms})")),
            (any::<u64>(), -2000i32..2000).prop_map(|(ms, off)| format!("Date({ms}{off:+05})")),
            any::<u32>().prop_map(|ms| format!("/Date({ms})/")),
            ".{0,24}",
        ];
        let value = prop_oneof![
            (-10i64..1000).prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            Just(serde_json::Value::Null),
            ".{0,5}".prop_map(serde_json::Value::from),
        ];
        let trend = prop_oneof![
            (-3i64..14).prop_map(serde_json::Value::from),
            prop::sample::select(vec!["Flat", "DoubleUp", "NOT COMPUTABLE", "None", "?", ""])
                .prop_map(serde_json::Value::from),
            ".{0,12}".prop_map(serde_json::Value::from),
        ];
        (
            prop::option::of(date),
            prop::option::of(value),
            prop::option::of(trend),
        )
            .prop_map(|(dt, value, trend)| {
                let mut record = serde_json::Map::new();
                if let Some(dt) = dt {
                    record.insert("DT".into(), dt.into());
                }
                if let Some(value) = value {
                    record.insert("Value".into(), value);
                }
                if let Some(trend) = trend {
                    record.insert("Trend".into(), trend);
                }
                serde_json::Value::Object(record)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_readings(&bytes);
            let _ = parse_uuid(&bytes);
            let _ = classify(500, &bytes);
        }

        #[test]
        fn arbitrary_date_strings_never_panic(raw in ".{0,40}") {
            let _ = parse_share_date(&raw);
        }

        #[test]
        fn record_like_bodies_parse_only_to_valid_readings(records in prop::collection::vec(record_like(), 0..8)) {
            let body = serde_json::Value::Array(records.clone()).to_string();
            if let Ok(readings) = parse_readings(body.as_bytes()) {
                prop_assert_eq!(readings.len(), records.len());
                for (reading, record) in readings.iter().zip(&records) {
                    prop_assert!(reading.mg_dl <= 401);
                    prop_assert_eq!(Some(u64::from(reading.mg_dl)), record["Value"].as_u64());
                }
            }
        }
    }
}
