use std::time::Duration;

use dexcom_share_proxy::simulator::{Endpoint, Fault, FaultKind};

use crate::helpers::{account, fast_clock, spawn_app, spawn_app_with, ALICE_PASSWORD, ALICE_USER};
use dexcom_share_proxy::config::Login;

fn read_fault(kind: FaultKind) -> Fault {
    Fault {
        endpoint: Some(Endpoint::Read),
        kind,
        times: Some(1),
    }
}

/// Each fault maps to its 5xx, costs one read, and the service serves normally afterwards.
#[actix_web::test]
async fn upstream_faults_map_to_the_right_5xx_and_the_service_recovers() {
    let cases = [
        (FaultKind::Stall { millis: 3000 }, 504, "upstream_timeout"),
        (FaultKind::MalformedJson, 502, "upstream_bad_response"),
        // awc hands over a chunked body cut short without an error; the truncated JSON is
        // then refused as unreadable, never served.
        (FaultKind::DropConnection, 502, "upstream_bad_response"),
        (
            FaultKind::HttpStatus {
                status: 503,
                body: "<html><body>Cloudflare: service unavailable</body></html>".into(),
                content_type: "text/html".into(),
            },
            503,
            "upstream_unavailable",
        ),
        (
            FaultKind::ErrorCode {
                code: "SomethingNew".into(),
                message: Some("new failure".into()),
            },
            502,
            "upstream_bad_response",
        ),
    ];
    for (kind, status, code) in cases {
        let app =
            spawn_app_with(|setup| setup.settings.feed.deadline = Duration::from_secs(1)).await;
        let label = format!("{kind:?}");
        app.sim.inject(read_fault(kind));

        let response = app.get("/readings/current").await;

        let body = response.assert_problem(status, code);
        assert!(
            !body["detail"]
                .as_str()
                .expect("detail")
                .contains(ALICE_PASSWORD),
            "{label}"
        );
        assert_eq!(app.calls().2, 1, "{label}");
        app.until_published("alice", 2).await;
        assert_eq!(
            app.get("/readings/current").await.status,
            200,
            "{label}: recovers at the next refresh"
        );
    }
}

#[actix_web::test]
async fn a_refused_connection_is_503() {
    let app = spawn_app_with(|setup| {
        // A port that was just free: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let url = format!("http://127.0.0.1:{port}/ShareWebServices/Services/");
        setup.settings.accounts = vec![account(
            "alice",
            Login::Username(ALICE_USER.into()),
            ALICE_PASSWORD,
            &url,
        )];
    })
    .await;

    app.get("/readings")
        .await
        .assert_problem(503, "upstream_unavailable");
    assert_eq!(app.get("/health").await.status, 200);
}

#[actix_web::test]
async fn legacy_share_formats_are_read() {
    let app = spawn_app_with(|setup| setup.sim.accounts[0].legacy_format = true).await;

    let response = app.get("/readings?max_count=12").await;

    assert_eq!(response.status, 200);
    let list = response.json();
    assert_eq!(list.as_array().expect("array").len(), 12);
    assert!(list[0]["trend_direction"].is_string());
}

/// A Share record `minutes_ago` old, in the current wire format.
fn record(minutes_ago: i64, value: i64, trend: &str) -> serde_json::Value {
    record_before(chrono::Utc::now(), minutes_ago, value, trend)
}

/// A record `minutes_ago` before `now`: records meant to be duplicates must share one `now`,
/// or the clock ticking between them makes them different readings.
fn record_before(
    now: chrono::DateTime<chrono::Utc>,
    minutes_ago: i64,
    value: i64,
    trend: &str,
) -> serde_json::Value {
    let ms = (now - chrono::Duration::minutes(minutes_ago)).timestamp_millis();
    serde_json::json!({
        "WT": format!("Date({ms})"),
        "ST": format!("Date({ms})"),
        "DT": format!("Date({ms}-0400)"),
        "Value": value,
        "Trend": trend,
    })
}

fn share_answers(status: u16, body: String, content_type: &str) -> Fault {
    Fault {
        endpoint: Some(Endpoint::Read),
        kind: FaultKind::HttpStatus {
            status,
            body,
            content_type: content_type.into(),
        },
        times: Some(1),
    }
}

/// Bodies that are not what Share promises fail the read: nothing is guessed or skipped, so
/// no wrong value can be served. Each costs one read, and the next request is served.
#[actix_web::test]
async fn unreadable_bodies_fail_the_read_and_are_never_served() {
    let ok = record(1, 120, "Flat");
    let cases = [
        (
            "500 HTML page",
            500,
            "<html><body>Internal error</body></html>".to_owned(),
            "text/html",
            503,
            "upstream_unavailable",
        ),
        (
            "JSON object",
            200,
            r#"{"readings":[]}"#.to_owned(),
            "application/json",
            502,
            "upstream_bad_response",
        ),
        (
            "JSON string",
            200,
            r#""hello""#.to_owned(),
            "application/json",
            502,
            "upstream_bad_response",
        ),
        (
            "missing Value",
            200,
            serde_json::json!([ok, {"DT": "Date(1-0400)", "Trend": "Flat"}]).to_string(),
            "application/json",
            502,
            "upstream_bad_response",
        ),
        (
            "missing DT",
            200,
            serde_json::json!([{"Value": 100, "Trend": "Flat"}]).to_string(),
            "application/json",
            502,
            "upstream_bad_response",
        ),
        (
            "bad date",
            200,
            serde_json::json!([{"DT": "2026-11-26T10:00:00Z", "Value": 100, "Trend": "Flat"}])
                .to_string(),
            "application/json",
            502,
            "upstream_bad_response",
        ),
        (
            "unknown trend",
            200,
            serde_json::json!([record(1, 100, "Sideways")]).to_string(),
            "application/json",
            502,
            "upstream_bad_response",
        ),
        (
            "value out of range",
            200,
            serde_json::json!([record(1, 900, "Flat")]).to_string(),
            "application/json",
            502,
            "upstream_bad_response",
        ),
        (
            "null value",
            200,
            serde_json::json!([{"DT": "Date(1-0400)", "Value": null, "Trend": "Flat"}]).to_string(),
            "application/json",
            502,
            "upstream_bad_response",
        ),
        (
            "empty body",
            200,
            String::new(),
            "application/json",
            502,
            "upstream_bad_response",
        ),
    ];
    for (label, status, body, content_type, want_status, want_code) in cases {
        let app = spawn_app().await;
        app.sim.inject(share_answers(status, body, content_type));

        app.get("/readings")
            .await
            .assert_problem(want_status, want_code);

        assert_eq!(app.calls().2, 1, "{label}");
        app.until_published("alice", 2).await;
        let after = app.get("/readings/current").await;
        assert_eq!(after.status, 200, "{label}: serves after the next refresh");
    }
}

#[actix_web::test]
async fn out_of_order_and_duplicate_records_are_served_in_order_once() {
    let app = spawn_app().await;
    let now = chrono::Utc::now();
    let body = serde_json::json!([
        record_before(now, 10, 110, "Flat"),
        record_before(now, 0, 100, "FortyFiveUp"),
        record_before(now, 10, 110, "Flat"),
        record_before(now, 5, 105, "Flat"),
        record_before(now, 0, 100, "FortyFiveUp"),
    ]);
    app.sim
        .inject(share_answers(200, body.to_string(), "application/json"));

    let list = app.get("/readings").await.json();

    let values: Vec<u64> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["value"].as_u64().expect("value"))
        .collect();
    assert_eq!(values, [100, 105, 110]);
    assert_eq!(list[0]["trend_direction"], "FortyFiveUp");
    assert_eq!(app.calls().2, 1);
}

#[actix_web::test]
async fn a_gap_in_the_trace_stays_a_gap_and_current_follows_the_newest_reading() {
    let app = spawn_app().await;
    let body = serde_json::json!([
        record(45, 150, "Flat"),
        record(50, 148, "Flat"),
        record(55, 146, "Flat")
    ]);
    app.sim.inject(Fault {
        times: None,
        ..share_answers(200, body.to_string(), "application/json")
    });

    let last_hour = app.get("/readings?minutes=60").await.json();
    let last_half_hour = app.get("/readings?minutes=30").await.json();
    let current = app.get("/readings/current").await;
    let latest = app.get("/readings/latest").await.json();

    assert_eq!(last_hour.as_array().expect("array").len(), 3);
    assert!(last_half_hour.as_array().expect("array").is_empty());
    assert_eq!(current.status, 204);
    assert_eq!(latest["value"], 150);
    assert_eq!(latest["stale"], true);
    assert_eq!(app.calls().2, 1);
}

#[actix_web::test]
async fn when_share_goes_away_the_last_good_day_is_served_stale() {
    let mut app = spawn_app_with(fast_clock).await;
    assert_eq!(app.get("/readings/current").await.status, 200);
    app.stop_simulator().await;
    app.until_published("alice", 2).await;

    let current = app.get("/readings/current").await;

    assert_eq!(current.status, 200);
    let cache_status = current.header("cache-status").expect("Cache-Status");
    assert!(
        cache_status.ends_with("fwd=stale; detail=upstream_unavailable"),
        "{cache_status}"
    );
    assert_eq!(app.get("/health").await.status, 200);
}

/// Share's own words (a fault message, an error page, a piece of an unreadable answer) can
/// carry the account's e-mail address, phone number or IDs, or anything a hostile upstream
/// puts there: clients get the code and a fixed text, in answers and in `/accounts`.
#[actix_web::test]
async fn shares_own_words_never_reach_clients() {
    let secret_words = [
        "alice@example.com",
        "+15551234567",
        "7f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b",
        "<script>",
    ];
    let message = format!(
        "Msg=Cannot find AccountName='{}' phone {} id {} {}",
        secret_words[0], secret_words[1], secret_words[2], secret_words[3]
    );
    let faults = [
        FaultKind::ErrorCode {
            code: "SomethingNew".into(),
            message: Some(message.clone()),
        },
        FaultKind::ErrorCode {
            code: format!("Code {}", secret_words[3]),
            message: Some(message.clone()),
        },
        FaultKind::HttpStatus {
            status: 503,
            body: format!("<html><body>{message}</body></html>"),
            content_type: "text/html".into(),
        },
        FaultKind::HttpStatus {
            status: 200,
            body: serde_json::json!([{"DT": message, "Value": 100, "Trend": "Flat"}]).to_string(),
            content_type: "application/json".into(),
        },
        FaultKind::HttpStatus {
            status: 200,
            body: serde_json::json!([record(1, 100, &message)]).to_string(),
            content_type: "application/json".into(),
        },
    ];
    for kind in faults {
        let label = format!("{kind:?}");
        let app = spawn_app().await;
        app.sim.inject(read_fault(kind));

        let answer = app.get("/readings").await;
        let accounts = app.get("/accounts").await;

        assert!(answer.status.is_server_error(), "{label}");
        for shown in [&answer, &accounts] {
            let text = String::from_utf8_lossy(&shown.body).to_string();
            for word in secret_words {
                assert!(!text.contains(word), "{label}: {word} in {text}");
            }
        }
        let detail = answer.json()["detail"].as_str().expect("detail").to_owned();
        assert!(detail.starts_with("account 'alice': Share "), "{detail}");
    }
}
