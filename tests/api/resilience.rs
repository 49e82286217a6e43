//! Stale-but-honest serving and the per-account circuit, over real HTTP.

use std::time::Duration;

use chrono::Utc;
use dexcom_share_proxy::policy::{LoginPolicy, RetryPolicy};
use dexcom_share_proxy::simulator::{Endpoint, Fault, FaultKind};

use crate::helpers::{spawn, Options, TestApp};

fn short_ttl() -> Options {
    Options {
        ttl: Duration::from_secs(1),
        ..Options::default()
    }
}

async fn after_ttl() {
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
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
    assert_eq!(
        response.header("cache-status"),
        Some("dexcom-share-proxy; fwd=miss; stored")
    );
    response.json()
}

#[actix_web::test]
async fn when_share_fails_the_last_good_day_is_served_and_labelled_stale() {
    let app = spawn(short_ttl()).await;
    let before = fresh_readings(&app).await;
    app.sim.inject(outage());
    after_ttl().await;

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
        current.status, 200,
        "the newest reading is still under 10 minutes old"
    );
    assert_eq!(current.json()["stale"], false);
    assert_eq!(
        facade.status, 200,
        "the Nightscout facade serves the same copy"
    );
    let facade_status = facade.header("cache-status").expect("Cache-Status");
    assert!(facade_status.contains("fwd=stale"), "{facade_status}");
    let (_, _, reads) = app.calls();
    assert_eq!(
        reads, 4,
        "every request past the TTL tries Share (no back-off configured)"
    );

    app.sim.clear_faults();
    after_ttl().await;
    fresh_readings(&app).await;
}

#[actix_web::test]
async fn a_stale_copy_still_turns_current_into_204_after_10_minutes() {
    let app = spawn(short_ttl()).await;
    app.sim.set_signal_loss_minutes(11);
    assert_eq!(app.get("/readings/current").await.status, 204);
    app.sim.inject(outage());
    after_ttl().await;

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
    let app = spawn(Options {
        retry: RetryPolicy {
            initial: Duration::from_secs(30),
            max: Duration::from_secs(60),
        },
        ..Options::default()
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
    let accounts = app.get("/accounts").await.json();
    let circuit = &accounts[0]["circuit"];
    assert_eq!(circuit["state"], "backing_off");
    assert_eq!(circuit["last_code"], "HTTP 503");
    assert_eq!(circuit["consecutive_failures"], 1);
    assert!(circuit["next_attempt_at"].is_string());
}

#[actix_web::test]
async fn logins_are_never_closer_than_the_minimum_interval() {
    let app = spawn(Options {
        ttl: Duration::from_secs(1),
        login: LoginPolicy {
            min_interval: Duration::from_secs(60),
            ..LoginPolicy::default()
        },
        ..Options::default()
    })
    .await;
    fresh_readings(&app).await;
    app.sim.expire_sessions();
    after_ttl().await;

    let stale = app.get("/readings").await;
    after_ttl().await;
    let again = app.get("/readings").await;

    for response in [&stale, &again] {
        assert_eq!(response.status, 200);
        let cache_status = response.header("cache-status").expect("Cache-Status");
        assert!(
            cache_status.ends_with("detail=upstream_unavailable"),
            "{cache_status}"
        );
    }
    // One login at start; the expired session is seen once, and no second login happens.
    assert_eq!(app.calls(), (1, 1, 2));
}

#[actix_web::test]
async fn a_throttled_login_with_nothing_cached_is_503_with_retry_after() {
    let app = spawn(Options {
        login: LoginPolicy {
            min_interval: Duration::from_secs(60),
            ..LoginPolicy::default()
        },
        ..Options::default()
    })
    .await;
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
async fn a_session_expiring_mid_burst_costs_one_login() {
    let app = spawn(short_ttl()).await;
    fresh_readings(&app).await;
    app.sim.expire_sessions();
    after_ttl().await;

    let burst = (0..50).map(|_| app.get("/readings/current"));
    let responses = futures_util::future::join_all(burst).await;

    assert!(responses.iter().all(|r| r.status == 200));
    assert_eq!(app.calls(), (1, 2, 3));
}

#[actix_web::test]
async fn a_rejected_login_shows_in_the_circuit_and_is_answered_without_share() {
    let app = spawn(Options::default()).await;
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
    let circuit = app.get("/accounts").await.json()[0]["circuit"].clone();
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
