//! Stale-but-honest serving and the per-account circuit, over real HTTP.

use std::time::Duration;

use chrono::Utc;
use dexcom_share_proxy::clock::Clock;
use dexcom_share_proxy::feed::backoff::{LoginPolicy, RetryPolicy};
use dexcom_share_proxy::simulator::{Endpoint, Fault, FaultKind};

use crate::helpers::{fast_clock, spawn_app, spawn_app_with, Setup, TestApp};

/// At most one login a minute.
fn logins_a_minute_apart(setup: &mut Setup) {
    setup.settings.feed.login = LoginPolicy {
        min_interval: Duration::from_secs(60),
        ..LoginPolicy::default()
    };
}

fn outage() -> Fault {
    Fault {
        endpoint: Some(Endpoint::Read),
        kind: FaultKind::HttpStatus {
            status: 503,
            body: "<html><body>Cloudflare: origin unreachable</body></html>".into(),
            content_type: "text/html".into(),
        },
        times: None,
    }
}

async fn fresh_readings(app: &TestApp) -> serde_json::Value {
    let response = app.get("/readings?max_count=12").await;
    assert_eq!(response.status, 200);
    let cache_status = response.header("cache-status").expect("Cache-Status");
    assert!(
        cache_status == "dexcom-share-proxy; fwd=miss; stored"
            || cache_status.starts_with("dexcom-share-proxy; hit; ttl="),
        "{cache_status}"
    );
    assert!(!cache_status.contains("stale"), "{cache_status}");
    response.json()
}

#[actix_web::test]
async fn when_share_fails_the_last_good_day_is_served_and_labelled_stale() {
    let app = spawn_app_with(fast_clock).await;
    let before = fresh_readings(&app).await;
    app.sim.inject(outage());
    // Not "read 2": that read may have reached Share before the fault.
    app.until_failed_with("alice", "upstream_unavailable").await;

    let stale = app.get("/readings?max_count=12").await;
    let current = app.get("/readings/current").await;
    let facade = app.get("/ns/alice/api/v1/entries.json").await;

    assert_eq!(stale.status, 200);
    let cache_status = stale.header("cache-status").expect("Cache-Status");
    assert!(
        cache_status.starts_with("dexcom-share-proxy; hit; ttl=-"),
        "{cache_status}"
    );
    assert!(
        cache_status.ends_with("fwd=stale; detail=upstream_unavailable"),
        "{cache_status}"
    );
    assert_eq!(stale.header("cache-control"), Some("private, max-age=0"));
    let age: u64 = stale.header("age").expect("Age").parse().expect("seconds");
    assert!(age >= 1, "{age}");
    let times = |v: &serde_json::Value| -> Vec<serde_json::Value> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|r| r["datetime"].clone())
            .collect()
    };
    assert_eq!(times(&stale.json()), times(&before));
    assert!(stale.json()[0]["age_seconds"].as_u64().is_some());
    assert_eq!(
        facade.status, 200,
        "the Nightscout facade serves the same copy"
    );
    let facade_status = facade.header("cache-status").expect("Cache-Status");
    assert!(facade_status.contains("fwd=stale"), "{facade_status}");
    assert!(current.status == 200 || current.status == 204);

    app.sim.clear_faults();
    app.until_read_well("alice").await;
    fresh_readings(&app).await;
}

#[actix_web::test]
async fn a_stale_copy_still_turns_current_into_204_after_10_minutes() {
    let app = spawn_app_with(fast_clock).await;
    app.sim.set_signal_loss_minutes(11);
    assert_eq!(app.get("/readings/current").await.status, 204);
    app.sim.inject(outage());
    app.until_failed_with("alice", "upstream_unavailable").await;

    let current = app.get("/readings/current").await;
    let latest = app.get("/readings/latest").await;

    assert_eq!(current.status, 204);
    assert!(current
        .header("cache-status")
        .expect("Cache-Status")
        .contains("fwd=stale"));
    assert_eq!(latest.status, 200);
    let reading = latest.json();
    assert_eq!(reading["stale"], true);
    assert!(reading["age_seconds"].as_u64().expect("age") >= 11 * 60);
}

#[actix_web::test]
async fn transient_faults_pause_share_calls_for_the_back_off() {
    let app = spawn_app_with(|setup| {
        setup.settings.feed.retry = RetryPolicy {
            initial: Duration::from_secs(30),
            max: Duration::from_secs(60),
        };
    })
    .await;
    app.sim.inject(outage());

    let first = app.get("/readings").await;
    first.assert_problem(503, "upstream_unavailable");
    for _ in 0..5 {
        let again = app.get("/readings/current").await;
        again.assert_problem(503, "upstream_unavailable");
        let retry_after: u64 = again
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .expect("seconds");
        assert!((1..=38).contains(&retry_after), "{retry_after}");
    }

    assert_eq!(app.calls(), (1, 1, 1), "no Share call during the back-off");
    let account = app.account_view("alice").await;
    let circuit = &account["circuit"];
    assert_eq!(circuit["state"], "backing_off");
    assert_eq!(circuit["last_code"], "HTTP 503");
    assert_eq!(circuit["consecutive_failures"], 1);
    assert!(circuit["next_attempt_at"].is_string());
    let time = |v: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("time")).expect("RFC 3339")
    };
    let gap = time(&account["next_poll_at"]) - time(&circuit["next_attempt_at"]);
    assert!(
        gap.num_milliseconds().abs() < 100,
        "the next poll waits for the circuit"
    );
}

#[actix_web::test]
async fn logins_are_never_closer_than_the_minimum_interval() {
    let app = spawn_app_with(|setup| {
        // The next reading is due 30 simulated seconds after start.
        setup.sim.newest_reading_age_seconds = Some(290);
        setup.clock = Clock::scaled(20.0);
        logins_a_minute_apart(setup);
    })
    .await;
    fresh_readings(&app).await;
    app.sim.expire_sessions();
    app.until_published("alice", 2).await;

    let stale = app.get("/readings").await;

    assert_eq!(stale.status, 200);
    let cache_status = stale.header("cache-status").expect("Cache-Status");
    assert!(
        cache_status.ends_with("detail=upstream_unavailable"),
        "{cache_status}"
    );
    // One login at start; the expired session is seen once, and no second login happens
    // before the minute is over.
    assert_eq!(app.calls(), (1, 1, 2));
    let login_at = Utc::now();
    app.until_published("alice", 3).await;
    let waited = app.clock.speed() * (Utc::now() - login_at).num_milliseconds() as f64 / 1000.0;
    assert!(
        waited >= 20.0,
        "the next login came {waited} simulated s later"
    );
    assert_eq!(app.calls(), (1, 2, 3));
    fresh_readings(&app).await;
}

#[actix_web::test]
async fn a_throttled_login_with_nothing_cached_is_503_with_retry_after() {
    let app = spawn_app_with(logins_a_minute_apart).await;
    app.sim.inject(Fault {
        endpoint: Some(Endpoint::Read),
        kind: FaultKind::ErrorCode {
            code: "SessionIdNotFound".into(),
            message: None,
        },
        times: Some(1),
    });

    let response = app.get("/readings/latest").await;

    response.assert_problem(503, "upstream_unavailable");
    let retry_after: u64 = response
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((50..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(app.calls(), (1, 1, 1));
}

#[actix_web::test]
async fn a_session_expiring_before_a_burst_costs_one_login() {
    let app = spawn_app_with(fast_clock).await;
    fresh_readings(&app).await;
    app.sim.expire_sessions();
    app.until_published("alice", 3).await;

    let burst = (0..50).map(|_| app.get("/readings/current"));
    let responses = futures_util::future::join_all(burst).await;

    assert!(responses.iter().all(|r| r.status == 200));
    assert_eq!(app.calls(), (1, 2, 3));
}

#[actix_web::test]
async fn a_rejected_login_shows_in_the_circuit_and_is_answered_without_share() {
    let app = spawn_app().await;
    app.sim.inject(Fault {
        endpoint: Some(Endpoint::LoginById),
        kind: FaultKind::ErrorCode {
            code: "AccountPasswordInvalid".into(),
            message: None,
        },
        times: None,
    });

    app.get("/readings")
        .await
        .assert_problem(502, "upstream_auth_failed");
    app.sim.clear_faults();
    app.get("/readings")
        .await
        .assert_problem(502, "upstream_auth_failed");

    assert_eq!(
        app.calls(),
        (1, 1, 0),
        "the fixed password is not tried before the back-off"
    );
    let circuit = app.account_view("alice").await["circuit"].clone();
    assert_eq!(circuit["state"], "login_blocked");
    let next =
        chrono::DateTime::parse_from_rfc3339(circuit["next_attempt_at"].as_str().expect("time"))
            .expect("RFC 3339");
    let wait = next.with_timezone(&Utc) - Utc::now();
    assert!(
        wait > chrono::Duration::minutes(4) && wait <= chrono::Duration::minutes(5),
        "{wait}"
    );
}
