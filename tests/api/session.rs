//! One Share session per account, kept by the account's feed.

use std::time::Duration;

use dexcom_share_proxy::simulator::{Endpoint, Fault, FaultKind};

use crate::helpers::{bob, fast_clock, spawn_app, spawn_app_with, wrong_password};

#[actix_web::test]
async fn an_expired_session_logs_in_again_once_and_retries_once() {
    let app = spawn_app_with(fast_clock).await;
    assert_eq!(app.get("/readings/current").await.status, 200);
    assert_eq!(app.calls(), (1, 1, 1));

    app.sim.expire_sessions();
    app.until_published("alice", 3).await;

    // Step 1 is not repeated: the account ID is kept.
    assert_eq!(app.calls(), (1, 2, 3));
    assert_eq!(app.get("/readings/current").await.status, 200);
}

#[actix_web::test]
async fn the_session_is_reused_across_refreshes() {
    let app = spawn_app_with(fast_clock).await;
    assert_eq!(app.get("/readings").await.status, 200);

    app.until_published("alice", 2).await;

    assert_eq!(app.calls(), (1, 1, 2));
}

#[actix_web::test]
async fn a_session_error_on_the_retry_is_a_bad_response_not_a_loop() {
    let app = spawn_app().await;
    app.sim.inject(Fault {
        endpoint: Some(Endpoint::Read),
        kind: FaultKind::ErrorCode {
            code: "SessionNotValid".into(),
            message: None,
        },
        times: Some(2),
    });

    let response = app.get("/readings").await;

    response.assert_problem(502, "upstream_bad_response");
    assert_eq!(app.calls(), (1, 2, 2));
    app.until_published("alice", 3).await;
    assert_eq!(
        app.get("/readings").await.status,
        200,
        "recovers at the next refresh"
    );
}

#[actix_web::test]
async fn a_wrong_password_is_tried_once_and_never_replayed() {
    let app = spawn_app_with(wrong_password).await;

    let first = app.get("/readings/current").await;
    let body = first.assert_problem(502, "upstream_auth_failed");
    let detail = body["detail"].as_str().expect("detail");
    assert!(
        detail.contains("region")
            && detail.contains("+<country code>")
            && detail.contains("follower"),
        "{detail}"
    );
    assert!(!detail.contains("wrong-password"));
    let retry_after: u64 = first
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((250..=300).contains(&retry_after), "{retry_after}");

    for path in [
        "/readings",
        "/readings/latest",
        "/readings/current",
        "/readings?minutes=5",
    ] {
        app.get(path)
            .await
            .assert_problem(502, "upstream_auth_failed");
    }

    assert_eq!(app.calls(), (1, 0, 0), "one login call, then none");
}

#[actix_web::test]
async fn a_wrong_password_by_account_id_is_tried_once() {
    let app = spawn_app_with(|setup| {
        let mut bob = bob(&setup.sim_url());
        bob.password = dexcom_share_proxy::domain::Secret::new("nope".into());
        setup.settings.accounts = vec![bob];
    })
    .await;

    for _ in 0..5 {
        app.get("/readings")
            .await
            .assert_problem(502, "upstream_auth_failed");
    }

    assert_eq!(app.calls(), (0, 1, 0));
}

#[actix_web::test]
async fn the_lockout_code_is_reported_and_not_replayed() {
    let app = spawn_app().await;
    app.sim.inject(Fault {
        endpoint: Some(Endpoint::Authenticate),
        kind: FaultKind::ErrorCode {
            code: "SSO_AuthenticateMaxAttemptsExceeed".into(),
            message: None,
        },
        times: None,
    });

    let response = app.get("/readings").await;
    response.assert_problem(502, "upstream_locked");
    let retry_after: u64 = response
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!(retry_after >= 29 * 60, "{retry_after}");
    app.get("/readings")
        .await
        .assert_problem(502, "upstream_locked");

    assert_eq!(app.calls(), (1, 0, 0));
}

#[actix_web::test]
async fn an_all_zeros_uuid_from_login_is_a_rejected_login() {
    for endpoint in [Endpoint::Authenticate, Endpoint::LoginById] {
        let app = spawn_app().await;
        app.sim.inject(Fault {
            endpoint: Some(endpoint),
            kind: FaultKind::ZeroUuid,
            times: None,
        });

        app.get("/readings")
            .await
            .assert_problem(502, "upstream_auth_failed");
        app.get("/readings")
            .await
            .assert_problem(502, "upstream_auth_failed");

        let (auth, login, read) = app.calls();
        assert_eq!(auth, 1, "{endpoint:?}");
        assert!(login <= 1 && read == 0, "{endpoint:?}");
    }
}

#[actix_web::test]
async fn a_rejected_login_is_not_retried_when_the_feed_restarts_after_idling() {
    let app = spawn_app_with(|setup| {
        wrong_password(setup);
        fast_clock(setup);
        setup.settings.feed.idle_after = Duration::from_secs(60);
    })
    .await;
    app.get("/readings")
        .await
        .assert_problem(502, "upstream_auth_failed");
    // 2 simulated minutes: the feed stops for want of clients, then a client comes back.
    app.sleep(Duration::from_secs(120)).await;
    assert_eq!(app.account_view("alice").await["watched"], false);

    app.get("/readings")
        .await
        .assert_problem(502, "upstream_auth_failed");

    assert_eq!(app.calls(), (1, 0, 0), "the circuit outlives the feed");
}
