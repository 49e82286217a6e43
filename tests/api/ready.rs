//! `/ready`: 503 until every account's feed has answered once (with readings or with the
//! reason it has none), then 200; `/health` stays the liveness check.

use std::time::{Duration, Instant};

use crate::helpers::{alice_and_bob, spawn_app, spawn_app_with, wrong_password, Response, TestApp};
use crate::metrics::scrape;

/// Asks `/ready` until it answers 200 (at most 20 s); every other answer must be `not_ready`.
async fn until_ready(app: &TestApp) -> Response {
    let start = Instant::now();
    loop {
        let response = app.get("/ready").await;
        if response.status == 200 {
            return response;
        }
        response.assert_problem(503, "not_ready");
        assert!(start.elapsed() < Duration::from_secs(20), "never ready");
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
}

#[actix_web::test]
async fn ready_is_503_naming_the_waiting_account_until_its_feed_has_answered_then_200() {
    let app = spawn_app().await;
    let health = app.get("/health").await;
    assert_eq!(app.calls(), (0, 0, 0), "no Share call before /ready");

    let first = app.get("/ready").await;
    let ready = until_ready(&app).await;

    assert_eq!(health.status, 200);
    let problem = first.assert_problem(503, "not_ready");
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("alice"),
        "{problem}"
    );
    assert_eq!(ready.json()["status"], "ready");
    assert_eq!(ready.json()["accounts"], 1);
    assert_eq!(
        app.calls(),
        (1, 1, 1),
        "one login and one read, started by /ready"
    );
}

#[actix_web::test]
async fn ready_waits_for_the_account_no_client_asked_for() {
    let app = spawn_app_with(alice_and_bob).await;

    assert_eq!(app.get("/readings/current?account=alice").await.status, 200);
    let waiting = app.get("/ready").await;
    until_ready(&app).await;

    let problem = waiting.assert_problem(503, "not_ready");
    let detail = problem["detail"].as_str().expect("detail");
    assert!(
        detail.contains("bob") && !detail.contains("alice"),
        "{detail}"
    );
}

#[actix_web::test]
async fn ready_is_200_when_share_rejects_the_login_since_the_failure_is_recorded() {
    let app = spawn_app_with(wrong_password).await;

    until_ready(&app).await;
    let account = app.account_view("alice").await;
    let metrics = scrape(&app).await;

    assert_eq!(account["last_error"]["code"], "upstream_auth_failed");
    assert_eq!(
        metrics.value(
            "dexcom_share_proxy_logins_total",
            &[("account", "alice"), ("outcome", "rejected")]
        ),
        Some(1.0)
    );
    assert_eq!(app.get("/readings/current").await.status, 502);
}
