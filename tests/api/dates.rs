//! Dates that cannot be true: a reading from the future (a wrong clock on the wearer's phone)
//! is never served, and a date no answer format can write crashes nothing.

use chrono::Utc;
use dexcom_share_proxy::simulator::{Endpoint, Fault, FaultKind};

use crate::helpers::{spawn_app, TestApp};

fn share_record(ms: i64, value: i64) -> serde_json::Value {
    serde_json::json!({
        "WT": format!("Date({ms})"),
        "ST": format!("Date({ms})"),
        "DT": format!("Date({ms}+0100)"),
        "Value": value,
        "Trend": "Flat",
    })
}

fn minutes_from_now(minutes: i64) -> i64 {
    (Utc::now() + chrono::Duration::minutes(minutes)).timestamp_millis()
}

async fn answered_once_with(app: &TestApp, records: serde_json::Value) {
    app.sim.inject(Fault {
        endpoint: Some(Endpoint::Read),
        kind: FaultKind::HttpStatus {
            status: 200,
            body: records.to_string(),
            content_type: "application/json".into(),
        },
        times: Some(1),
    });
}

const ROUTES: [&str; 10] = [
    "/readings",
    "/readings/latest",
    "/readings/current",
    "/ns/alice/api/v1/entries.json?count=0",
    "/ns/alice/api/v1/entries?count=0",
    "/ns/alice/api/v1/entries/sgv.json",
    "/ns/alice/api/v1/entries/current.json",
    "/ns/alice/pebble?count=288",
    "/ns/alice/pebble?units=mmol",
    "/accounts",
];

#[actix_web::test]
async fn a_reading_from_the_future_is_never_served() {
    let app = spawn_app().await;
    answered_once_with(
        &app,
        serde_json::json!([
            share_record(minutes_from_now(60), 333),
            share_record(minutes_from_now(4), 222),
            share_record(minutes_from_now(-2), 111),
        ]),
    )
    .await;

    let current = app.get("/readings/current").await;
    let latest = app.get("/readings/latest").await;
    let list = app.get("/readings").await.json();
    let entries = app.get("/ns/alice/api/v1/entries.json").await.json();

    assert_eq!(current.json()["value"], 111);
    assert_eq!(latest.json()["value"], 111);
    let values: Vec<&serde_json::Value> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|r| &r["value"])
        .collect();
    assert_eq!(values, [111]);
    assert_eq!(entries[0]["sgv"], 111);
}

#[actix_web::test]
async fn a_reading_a_little_ahead_of_this_clock_is_served() {
    let app = spawn_app().await;
    answered_once_with(
        &app,
        serde_json::json!([share_record(minutes_from_now(1), 120)]),
    )
    .await;

    let current = app.get("/readings/current").await.json();

    assert_eq!(current["value"], 120);
    assert_eq!(current["age_seconds"], 0);
    assert_eq!(current["stale"], false);
}

#[actix_web::test]
async fn dates_past_the_year_9999_or_before_1970_crash_no_route() {
    let app = spawn_app().await;
    answered_once_with(
        &app,
        serde_json::json!([
            share_record(999_999_999_999_999, 400),
            share_record(253_402_300_800_000, 399),
            share_record(minutes_from_now(-1), 120),
            share_record(0, 398),
        ]),
    )
    .await;

    for path in ROUTES {
        let response = app.get(path).await;
        assert_eq!(response.status, 200, "{path}");
        let body = String::from_utf8_lossy(&response.body).to_string();
        for v in ["400", "399", "398"] {
            for shown in [format!(":{v},"), format!("\t{v}\t"), format!("\"{v}\"")] {
                assert!(!body.contains(&shown), "{path} shows {shown}: {body}");
            }
        }
    }
    assert_eq!(app.get("/readings/current").await.json()["value"], 120);
    assert_eq!(app.get("/health").await.status, 200);
}
