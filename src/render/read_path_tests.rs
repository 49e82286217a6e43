//! The whole read path under property testing: raw Share bytes → parsing → the plausibility
//! rule → the merged window → every answer body (native, Nightscout JSON and TSV, pebble) and
//! its validators, at clocks near the edges of every representable range. Nothing may panic,
//! and every JSON body must be JSON.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::*;
use crate::domain::{MaxCount, Minutes};
use crate::feed::window::plausible;
use crate::share::wire::parse_readings;

/// The clock most cases run at, with readings around it (a day and a bit before it, and a few
/// minutes after, past the 2-minute tolerance).
const ANCHOR_MS: i64 = 1_780_000_000_000;

/// Epoch milliseconds at the edges: 1970, the last HTTP date (9999-12-31T23:59:59.999Z), the
/// first after it, JavaScript's largest safe integer, the 15 digits the parser allows, and
/// around a present-day clock.
const EDGE_MS: [i64; 10] = [
    0,
    1,
    86_400_000,
    1_780_000_000_000,
    4_294_967_295_000,
    253_402_300_799_999,
    253_402_300_800_000,
    9_007_199_254_740_991,
    999_999_999_999_999,
    8_210_266_876_799_999,
];

fn date_text() -> impl Strategy<Value = String> {
    let ms = prop_oneof![
        prop::sample::select(EDGE_MS.to_vec()),
        (ANCHOR_MS - 90_000_000..ANCHOR_MS + 600_000),
        any::<i64>().prop_map(i64::abs),
    ];
    let offset = prop_oneof![
        Just(String::new()),
        prop::sample::select(vec!["+1400", "-1400", "+0000", "-0000", "+0530", "-1259"])
            .prop_map(str::to_owned),
        (-1500i32..1500).prop_map(|o| format!("{o:+05}")),
    ];
    (ms, offset, any::<bool>()).prop_map(|(ms, offset, slashed)| {
        if slashed {
            format!("/Date({ms}{offset})/")
        } else {
            format!("Date({ms}{offset})")
        }
    })
}

fn record() -> impl Strategy<Value = serde_json::Value> {
    let trend = prop_oneof![
        prop::sample::select(vec![
            "Flat",
            "DoubleUp",
            "SingleDown",
            "NotComputable",
            "RateOutOfRange",
            "None",
            "Sideways"
        ])
        .prop_map(serde_json::Value::from),
        (0i64..11).prop_map(serde_json::Value::from),
    ];
    (date_text(), 0u64..403, trend).prop_map(|(dt, value, trend)| {
        serde_json::json!({"WT": dt, "ST": dt, "DT": dt, "Value": value, "Trend": trend})
    })
}

/// A Share answer: mostly records that parse, sometimes raw bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(record(), 0..40)
            .prop_map(|records| serde_json::Value::Array(records).to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..200),
    ]
}

/// The service's clock: today, or at the edges a host clock can show (from a day after 1970
/// to the last second an HTTP date can name).
fn now() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        4 => Just(DateTime::from_timestamp_millis(ANCHOR_MS).expect("in range")),
        1 => (0i64..3).prop_map(|_| Utc::now()),
        1 => prop::sample::select(vec![
            86_400_000i64,
            1_780_000_000_000,
            253_402_214_400_000,
            253_402_300_799_999,
        ])
        .prop_map(|ms| DateTime::from_timestamp_millis(ms).expect("in chrono's range")),
    ]
}

fn entries_query() -> impl Strategy<Value = EntriesQuery> {
    let value = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        prop::sample::select(vec![
            "0",
            "1",
            "100000",
            "9999-12-31",
            "2026-01-01T00:00:00Z"
        ])
        .prop_map(str::to_owned),
        ".{0,12}",
    ];
    let key = prop::sample::select(vec![
        "count",
        "find[date][$gt]",
        "find[date][$lte]",
        "find[dateString][$gte]",
        "find[dateString][$lt]",
    ]);
    prop::collection::vec((key, value), 0..4).prop_map(|pairs| {
        let pairs: Vec<(String, String)> =
            pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        EntriesQuery::parse(&pairs).unwrap_or_default()
    })
}

fn views() -> impl Strategy<Value = Vec<View>> {
    (
        1u16..=1440,
        1u16..=288,
        entries_query(),
        1u16..=288,
        any::<bool>(),
    )
        .prop_map(|(minutes, max_count, query, count, flag)| {
            vec![
                View::Readings {
                    minutes: Minutes::new(minutes),
                    max_count: MaxCount::new(max_count),
                },
                View::Latest,
                View::Current,
                View::Entries {
                    query: query.clone(),
                    current: false,
                    tsv: flag,
                },
                View::Entries {
                    query,
                    current: true,
                    tsv: !flag,
                },
                View::Pebble {
                    count: MaxCount::new(count),
                    units: if flag {
                        PebbleUnits::Mmol
                    } else {
                        PebbleUnits::Mgdl
                    },
                },
            ]
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn raw_share_bytes_to_every_answer_never_panic(
        first in body(),
        second in body(),
        now in now(),
        later in prop::sample::select(vec![0i64, 1, 599, 601, 86_399, 86_401, 200_000]),
        views in views(),
    ) {
        let tolerance = Duration::minutes(2);
        let mut window = Window::empty(now);
        for answer in [&first, &second] {
            if let Ok(readings) = parse_readings(answer) {
                let (kept, _) = plausible(readings, now, tolerance);
                if let Some(merged) = window.merged(kept, now) {
                    window = merged;
                }
            }
        }
        let at = validators::second_of(now.checked_add_signed(Duration::seconds(later)).unwrap_or(now));
        for view in &views {
            let rendered = render("alice", &window, view, at);
            let _ = http_date(rendered.modified);
            if let (Some(body), "application/json") = (&rendered.body, rendered.content_type) {
                prop_assert!(serde_json::from_slice::<serde_json::Value>(body).is_ok());
            }
        }
    }
}

#[test]
fn readings_at_the_edges_of_the_window_render_everywhere() {
    let now = DateTime::from_timestamp_millis(ANCHOR_MS).expect("in range");
    let edges = [
        -86_400_001i64,
        -86_400_000,
        -86_399_999,
        -600_001,
        -600_000,
        0,
        119_999,
        120_000,
        120_001,
    ];
    let body = serde_json::Value::Array(
        edges
            .iter()
            .map(|offset| {
                let dt = format!("Date({}+1400)", ANCHOR_MS + offset);
                serde_json::json!({"DT": dt, "Value": 401, "Trend": "DoubleDown"})
            })
            .collect(),
    );
    let readings = parse_readings(body.to_string().as_bytes()).expect("valid records");
    let (kept, set_aside) = plausible(readings, now, Duration::minutes(2));
    assert_eq!(set_aside.future, 1, "only the one past the tolerance");
    let window = Window::new(kept, now);
    assert_eq!(window.readings().len(), 7, "exactly a day old still counts");
    let views = [
        View::Current,
        View::Latest,
        View::Readings {
            minutes: Minutes::FULL_DAY,
            max_count: MaxCount::FULL_DAY,
        },
        View::Pebble {
            count: MaxCount::FULL_DAY,
            units: PebbleUnits::Mmol,
        },
    ];
    for view in views {
        let rendered = render("alice", &window, &view, now);
        assert!(rendered.body.is_some(), "{view:?}");
    }
}
