//! Lockouts, call counts, injected faults and signal loss.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use dexcom_share_proxy::simulator::{
    Endpoint, Fault, FaultKind, DEMO_ACCOUNT_ID, DEMO_PASSWORD, DEMO_USERNAME,
};
use serde_json::{json, Value};

use crate::helpers::{date_ms, raw_post, spawn, INDIA_ACCOUNT_ID, ZERO};

#[actix_web::test]
async fn lockout_after_consecutive_failures_even_with_the_right_password() {
    let t = spawn().await;
    assert_eq!(
        t.login(json!(DEMO_ACCOUNT_ID), "wrong").await.code(),
        "AccountPasswordInvalid"
    );
    assert_eq!(
        t.login(json!(DEMO_ACCOUNT_ID), "wrong").await.code(),
        "AccountPasswordInvalid"
    );
    // A success resets the count.
    t.session().await;
    for _ in 0..3 {
        assert_eq!(
            t.authenticate(DEMO_USERNAME, "wrong").await.code(),
            "AccountPasswordInvalid"
        );
    }
    let locked = "SSO_AuthenticateMaxAttemptsExceeed";
    assert_eq!(
        t.authenticate(DEMO_USERNAME, DEMO_PASSWORD).await.code(),
        locked
    );
    assert_eq!(
        t.login(json!(DEMO_ACCOUNT_ID), DEMO_PASSWORD).await.code(),
        locked
    );
    // Other accounts are unaffected; reset lifts the lockout.
    assert_eq!(
        t.login(json!(INDIA_ACCOUNT_ID), "india-pw").await.status,
        StatusCode::OK
    );
    t.sim.control().reset();
    assert_eq!(
        t.login(json!(DEMO_ACCOUNT_ID), DEMO_PASSWORD).await.status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn calls_are_counted_per_endpoint_faulted_or_not() {
    let t = spawn().await;
    let control = t.sim.control();
    t.authenticate(DEMO_USERNAME, DEMO_PASSWORD).await;
    let session = t.session().await;
    control.inject(Fault {
        endpoint: Some(Endpoint::Read),
        kind: FaultKind::ErrorCode {
            code: "SessionNotValid".into(),
            message: None,
        },
        times: Some(1),
    });
    assert_eq!(t.read(&session, 10, 1).await.code(), "SessionNotValid");
    assert_eq!(t.read(&session, 10, 1).await.status, StatusCode::OK);
    assert_eq!(control.calls(Endpoint::Authenticate), 1);
    assert_eq!(control.calls(Endpoint::LoginById), 1);
    assert_eq!(control.calls(Endpoint::Read), 2);
    let calls = t.control("GET", "calls", None).await.json();
    assert_eq!(
        calls,
        json!({"authenticate": 1, "login_by_id": 1, "read": 2})
    );
    assert_eq!(
        t.control("POST", "reset", None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(control.calls(Endpoint::Read), 0);
}

#[actix_web::test]
async fn error_code_and_http_status_faults() {
    let t = spawn().await;
    let control = t.sim.control();
    control.inject(Fault {
        endpoint: None,
        kind: FaultKind::ErrorCode {
            code: "SSO_InternalError".into(),
            message: None,
        },
        times: Some(1),
    });
    let r = t.authenticate(DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(r.code(), "SSO_InternalError");
    assert!(r.json()["Message"].as_str().unwrap().ends_with(&format!(
        "Cannot Authenticate by AccountName='{DEMO_USERNAME}'"
    )));

    let html = "<html><body>503 Service Temporarily Unavailable</body></html>";
    let fault = json!({"endpoint": "login_by_id", "times": 2,
        "kind": {"kind": "http_status", "status": 503, "body": html, "content_type": "text/html"}});
    assert_eq!(
        t.control("POST", "faults", Some(fault)).await.status,
        StatusCode::NO_CONTENT
    );
    for _ in 0..2 {
        let r = t.login(json!(DEMO_ACCOUNT_ID), DEMO_PASSWORD).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.content_type, "text/html");
        assert_eq!(r.body, html);
    }
    assert_eq!(
        t.login(json!(DEMO_ACCOUNT_ID), DEMO_PASSWORD).await.status,
        StatusCode::OK
    );

    let custom =
        json!({"kind": {"kind": "error_code", "code": "ServiceUnavailable", "message": "down"}});
    t.control("POST", "faults", Some(custom)).await;
    for _ in 0..3 {
        let r = t.authenticate(DEMO_USERNAME, DEMO_PASSWORD).await;
        assert_eq!(r.code(), "ServiceUnavailable");
        assert_eq!(r.json()["Message"], "down");
    }
    assert_eq!(
        t.control("DELETE", "faults", None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.authenticate(DEMO_USERNAME, DEMO_PASSWORD).await.status,
        StatusCode::OK
    );

    let bad = json!({"kind": {"kind": "zero_uuid"}, "endpoint": "read"});
    assert_eq!(
        t.control("POST", "faults", Some(bad)).await.status,
        StatusCode::BAD_REQUEST
    );
    let bad = json!({"kind": {"kind": "explode"}});
    assert_eq!(
        t.control("POST", "faults", Some(bad)).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[actix_web::test]
async fn stall_fault_delays_then_answers_normally() {
    let t = spawn().await;
    let session = t.session().await;
    t.sim.control().inject(Fault {
        endpoint: Some(Endpoint::Read),
        kind: FaultKind::Stall { millis: 400 },
        times: Some(1),
    });
    let started = Instant::now();
    let r = t.read(&session, 10, 1).await;
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(r.status, StatusCode::OK);
    let started = Instant::now();
    t.read(&session, 10, 1).await;
    assert!(started.elapsed() < Duration::from_millis(400));
}

#[actix_web::test]
async fn drop_connection_fault_breaks_the_response() {
    let t = spawn().await;
    let session = t.session().await;
    t.sim.control().inject(Fault {
        endpoint: Some(Endpoint::Read),
        kind: FaultKind::DropConnection,
        times: Some(1),
    });
    let url = format!(
        "{}Publisher/ReadPublisherLatestGlucoseValues?sessionId={session}&minutes=10&maxCount=1",
        t.base
    );
    // awc hands back what arrived before the close, so check that it is not
    // a complete JSON body.
    let broke = match t.client.post(&url).send_json(&json!({})).await {
        Err(_) => true,
        Ok(mut resp) => match resp.body().await {
            Err(_) => true,
            Ok(body) => serde_json::from_slice::<Value>(&body).is_err(),
        },
    };
    assert!(broke, "the dropped response must not complete");

    // On the wire: headers, a partial chunk, then EOF without the final chunk.
    t.sim.control().inject(Fault {
        endpoint: Some(Endpoint::Read),
        kind: FaultKind::DropConnection,
        times: Some(1),
    });
    let raw = raw_post(t.sim.addr(), &url);
    assert!(raw.starts_with("HTTP/1.1 200 OK"), "{raw}");
    assert!(!raw.ends_with("0\r\n\r\n"), "{raw}");
    assert_eq!(t.read(&session, 10, 1).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn malformed_json_and_zero_uuid_faults() {
    let t = spawn().await;
    let control = t.sim.control();
    let session = t.session().await;
    control.inject(Fault {
        endpoint: None,
        kind: FaultKind::MalformedJson,
        times: Some(2),
    });
    let r = t.login(json!(DEMO_ACCOUNT_ID), DEMO_PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    let r = t.read(&session, 10, 1).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());

    control.inject(Fault {
        endpoint: None,
        kind: FaultKind::ZeroUuid,
        times: Some(1),
    });
    assert_eq!(
        t.read(&session, 10, 1).await.status,
        StatusCode::OK,
        "reads skip zero_uuid"
    );
    let r = t.authenticate(DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(r.body, format!("\"{ZERO}\""));
    assert_eq!(
        t.authenticate(DEMO_USERNAME, DEMO_PASSWORD).await.body,
        format!("\"{DEMO_ACCOUNT_ID}\"")
    );
}

#[actix_web::test]
async fn signal_loss_withholds_recent_readings() {
    let t = spawn().await;
    let session = t.session().await;
    let r = t
        .control("PUT", "signal-loss", Some(json!({"minutes": 30})))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(t.read(&session, 10, 1).await.body, "[]");
    let latest = t.read(&session, 1440, 1).await.json();
    let wt = date_ms(latest[0]["WT"].as_str().unwrap());
    assert!(wt <= chrono::Utc::now().timestamp_millis() - 30 * 60_000);
    t.sim.control().set_signal_loss_minutes(2000);
    assert_eq!(t.read(&session, 1440, 288).await.body, "[]");
    t.sim.control().set_signal_loss_minutes(0);
    assert_eq!(
        t.read(&session, 10, 1)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
