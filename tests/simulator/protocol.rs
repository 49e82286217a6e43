//! The Share protocol as the simulator speaks it: logins, reads, sessions and their errors.

use actix_web::http::StatusCode;
use dexcom_share_proxy::simulator::{DEMO_ACCOUNT_ID, DEMO_PASSWORD, DEMO_USERNAME};
use serde_json::json;

use crate::helpers::{date_ms, spawn, INDIA_ACCOUNT_ID, LEGACY_ACCOUNT_ID, ZERO};

#[actix_web::test]
async fn authenticate_login_and_read_the_last_day() {
    let t = spawn().await;
    let auth = t.authenticate(DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(auth.status, StatusCode::OK);
    assert_eq!(auth.content_type, "application/json");
    assert_eq!(auth.body, format!("\"{DEMO_ACCOUNT_ID}\""));
    let first = t.session().await;
    let second = t.session().await;
    assert_ne!(first, second, "every login issues a fresh session");

    let r = t.read(&first, 1440, 288).await;
    assert_eq!(r.status, StatusCode::OK);
    let records = r.json();
    let records = records.as_array().unwrap();
    assert!((287..=288).contains(&records.len()), "{}", records.len());
    let now = chrono::Utc::now().timestamp_millis();
    let mut previous = i64::MAX;
    for rec in records {
        let keys: Vec<&str> = rec
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 5);
        let wt = date_ms(rec["WT"].as_str().unwrap());
        assert_eq!(wt, date_ms(rec["ST"].as_str().unwrap()));
        assert_eq!(rec["DT"].as_str().unwrap(), format!("Date({wt}-0400)"));
        assert!(wt <= now && wt > now - 86_400_000);
        assert!(previous == i64::MAX || (previous - wt - 300_000).abs() <= 800);
        previous = wt;
        assert!((40..=400).contains(&rec["Value"].as_i64().unwrap()));
        assert!(rec["Trend"].is_string());
    }

    let one = t.read(&first, 10, 1).await.json();
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(
        one[0], records[0],
        "the same slot always gives the same reading"
    );
    assert_eq!(t.read(&first, 0, 10).await.body, "[]");
    assert_eq!(t.read(&first, 10, 0).await.body, "[]");
}

#[actix_web::test]
async fn session_id_query_name_is_accepted_in_either_case_and_body_may_be_empty() {
    let t = spawn().await;
    let session = t.session().await;
    let url = format!(
        "{}Publisher/ReadPublisherLatestGlucoseValues?sessionID={session}&minutes=30&maxCount=3",
        t.base
    );
    let r = t.send(t.client.post(url), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json().as_array().unwrap().len(), 3);
}

#[actix_web::test]
async fn offsets_and_legacy_format_are_per_account() {
    let t = spawn().await;
    let india = t.login(json!(INDIA_ACCOUNT_ID), "india-pw").await.json();
    let r = t.read(india.as_str().unwrap(), 10, 1).await.json();
    assert!(r[0]["DT"].as_str().unwrap().ends_with("+0530)"), "{r}");

    let legacy = t.login(json!(LEGACY_ACCOUNT_ID), "legacy-pw").await.json();
    let r = t.read(legacy.as_str().unwrap(), 10, 1).await.json();
    let dt = r[0]["DT"].as_str().unwrap();
    assert!(dt.starts_with("/Date(") && dt.ends_with("-0400)/"), "{dt}");
    assert!(r[0]["WT"].as_str().unwrap().ends_with(")/"));
    assert!((1..=7).contains(&r[0]["Trend"].as_i64().unwrap()));
}

#[actix_web::test]
async fn wrong_credentials_give_account_password_invalid() {
    let t = spawn().await;
    for r in [
        t.authenticate(DEMO_USERNAME, "wrong").await,
        t.authenticate("nobody@example.com", DEMO_PASSWORD).await,
        t.login(json!(DEMO_ACCOUNT_ID), "wrong").await,
        t.login(json!("77777777-7777-7777-7777-777777777777"), DEMO_PASSWORD)
            .await,
    ] {
        assert_eq!(r.code(), "AccountPasswordInvalid");
        assert_eq!(r.content_type, "application/json");
        let env = r.json();
        assert_eq!(env["Message"], "Publisher account password failed");
        assert_eq!(env["TypeName"], "FaultException");
        let sub = env["SubCode"].as_str().unwrap();
        assert!(sub.contains("ErrorCode=\"AccountPasswordInvalid\" Type=\"13\" Category=\"4\""));
    }
}

#[actix_web::test]
async fn bad_arguments_give_invalid_argument_naming_the_field() {
    let t = spawn().await;
    let r = t
        .post(
            "General/AuthenticatePublisherAccount",
            json!({"password": "x"}),
        )
        .await;
    assert_eq!(r.code(), "InvalidArgument");
    assert!(r.json()["Message"]
        .as_str()
        .unwrap()
        .contains("accountName"));
    let r = t
        .post(
            "General/AuthenticatePublisherAccount",
            json!({"accountName": "a", "password": 5}),
        )
        .await;
    assert!(r.json()["Message"].as_str().unwrap().contains("password"));

    let r = t.login(json!(1), "password").await;
    assert_eq!(r.code(), "InvalidArgument");
    assert_eq!(
        r.json()["Message"],
        "Missing required field(s): JSON parse error: Cannot deserialize value of type `java.util.UUID` from String \"1\": UUID has to be represented by standard 36-char representation"
    );
    assert_eq!(
        t.login(json!("not-a-uuid"), "x").await.code(),
        "InvalidArgument"
    );
}

#[actix_web::test]
async fn empty_or_zero_account_id_logs_in_to_the_zero_uuid() {
    let t = spawn().await;
    for id in ["", ZERO] {
        let r = t.login(json!(id), "anything").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, format!("\"{ZERO}\""));
    }
}

#[actix_web::test]
async fn read_session_errors() {
    let t = spawn().await;
    let unknown = "33333333-3333-3333-3333-333333333333";
    let r = t.read(unknown, 10, 1).await;
    assert_eq!(r.code(), "SessionIdNotFound");
    assert_eq!(
        r.json()["Message"],
        format!("Failed to find session object. [SessionId = {unknown}]")
    );

    let r = t.read("bad-session-id", 10, 1).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        "The server encountered an error processing the request. See server logs for more details."
    );

    let r = t.read(ZERO, 10, 1).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.is_empty());
}

#[actix_web::test]
async fn expired_sessions_answer_session_not_valid_until_a_new_login() {
    let t = spawn().await;
    let session = t.session().await;
    t.sim.control().expire_sessions();
    let r = t.read(&session, 10, 1).await;
    assert_eq!(r.code(), "SessionNotValid");
    assert_eq!(
        r.json()["Message"],
        format!("Session not active or timed out. [SessionId = {session}]")
    );
    let fresh = t.session().await;
    assert_eq!(t.read(&fresh, 10, 1).await.status, StatusCode::OK);

    // The same over the control endpoint.
    assert_eq!(
        t.control("POST", "expire-sessions", None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(t.read(&fresh, 10, 1).await.code(), "SessionNotValid");
}
