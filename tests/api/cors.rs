//! CORS: off unless origins are configured; then only those origins, GET, and Authorization.

use dexcom_share_proxy::config::CorsSettings;

use crate::helpers::{alice, spawn_app, spawn_app_with, with_tokens, ALICE_TOKEN};

const DASHBOARD: &str = "https://dashboard.example.org";

fn preflight(origin: &str) -> [(&str, &str); 3] {
    [
        ("origin", origin),
        ("access-control-request-method", "GET"),
        ("access-control-request-headers", "authorization"),
    ]
}

#[actix_web::test]
async fn without_configured_origins_no_response_carries_cors_headers() {
    let app = spawn_app().await;

    let get = app
        .send(awc::http::Method::GET, "/health", &[("origin", DASHBOARD)])
        .await;
    let options = app
        .send(
            awc::http::Method::OPTIONS,
            "/readings",
            &preflight(DASHBOARD),
        )
        .await;

    assert_eq!(get.status, 200);
    assert_eq!(get.header("access-control-allow-origin"), None);
    options.assert_problem(405, "method_not_allowed");
    assert_eq!(options.header("access-control-allow-origin"), None);
}

#[actix_web::test]
async fn configured_origins_may_read_with_a_bearer_token_and_others_may_not() {
    let app = spawn_app_with(|setup| {
        setup.settings.accounts = vec![with_tokens(alice(&setup.sim_url()), &[ALICE_TOKEN])];
        setup.settings.cors = CorsSettings {
            allowed_origins: vec![DASHBOARD.to_owned()],
        };
    })
    .await;
    let bearer = format!("Bearer {ALICE_TOKEN}");

    let allowed_preflight = app
        .send(
            awc::http::Method::OPTIONS,
            "/readings",
            &preflight(DASHBOARD),
        )
        .await;
    let allowed_read = app
        .send(
            awc::http::Method::GET,
            "/readings/latest",
            &[("origin", DASHBOARD), ("authorization", &bearer)],
        )
        .await;
    let refused_token = app
        .send(
            awc::http::Method::GET,
            "/readings/latest",
            &[("origin", DASHBOARD)],
        )
        .await;
    let other_origin = app
        .send(
            awc::http::Method::GET,
            "/readings/latest",
            &[
                ("origin", "https://evil.example"),
                ("authorization", &bearer),
            ],
        )
        .await;

    assert!(
        allowed_preflight.status.is_success(),
        "{}",
        allowed_preflight.status
    );
    assert_eq!(
        allowed_preflight.header("access-control-allow-origin"),
        Some(DASHBOARD)
    );
    let allowed_headers = allowed_preflight
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        allowed_headers.contains("authorization"),
        "{allowed_headers}"
    );
    assert_eq!(
        allowed_preflight.header("access-control-allow-methods"),
        Some("GET")
    );
    assert_eq!(allowed_read.status, 200);
    assert_eq!(
        allowed_read.header("access-control-allow-origin"),
        Some(DASHBOARD)
    );
    // A browser app can read why it was refused.
    refused_token.assert_problem(401, "token_required");
    assert_eq!(
        refused_token.header("access-control-allow-origin"),
        Some(DASHBOARD)
    );
    // Without Access-Control-Allow-Origin the browser keeps the answer from the page.
    assert_eq!(other_origin.header("access-control-allow-origin"), None);
}
