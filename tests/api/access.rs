//! Tokens per account: who may read what, checked before any call to Share.

use std::time::{Duration, Instant};

use dexcom_share_proxy::config::AuthSettings;

use crate::helpers::{
    alice, bob, spawn_app_with, with_tokens, Setup, ALICE_TOKEN, ALICE_WATCH_TOKEN, BOB_TOKEN,
};

/// alice and bob, each with tokens.
fn both_with_tokens(setup: &mut Setup) {
    let url = setup.sim_url();
    setup.settings.accounts = vec![
        with_tokens(alice(&url), &[ALICE_TOKEN, ALICE_WATCH_TOKEN]),
        with_tokens(bob(&url), &[BOB_TOKEN]),
    ];
}

/// alice with a token, bob without (readable anonymously: the proxy listens on loopback).
fn alice_with_token_bob_open(setup: &mut Setup) {
    let url = setup.sim_url();
    setup.settings.accounts = vec![with_tokens(alice(&url), &[ALICE_TOKEN]), bob(&url)];
}

#[actix_web::test]
async fn missing_wrong_and_misdirected_tokens_are_refused_without_calling_share() {
    let app = spawn_app_with(both_with_tokens).await;

    let missing = app.get("/readings?account=alice").await;
    let wrong = app
        .get_with_token("/readings/latest?account=alice", "not-a-token-of-anyone")
        .await;
    let wrong_in_query = app
        .get("/readings/current?account=alice&token=not-a-token-of-anyone")
        .await;
    let bobs = app
        .get_with_token("/readings?account=alice", BOB_TOKEN)
        .await;
    let not_bearer = app
        .send(
            awc::http::Method::GET,
            "/readings?account=alice",
            &[("authorization", "Basic YWxpY2U6cGFzc3dvcmQ=")],
        )
        .await;
    let disagreeing = app
        .get_with_token(
            &format!("/readings?account=alice&token={BOB_TOKEN}"),
            ALICE_TOKEN,
        )
        .await;

    missing.assert_problem(401, "token_required");
    assert_eq!(
        missing.header("www-authenticate"),
        Some("Bearer realm=\"dexcom-share-proxy\"")
    );
    for refused in [&wrong, &wrong_in_query, &not_bearer, &disagreeing] {
        refused.assert_problem(401, "token_invalid");
        assert_eq!(
            refused.header("www-authenticate"),
            Some("Bearer realm=\"dexcom-share-proxy\", error=\"invalid_token\"")
        );
    }
    let forbidden = bobs.assert_problem(403, "token_forbidden");
    assert!(forbidden["detail"]
        .as_str()
        .is_some_and(|d| d.contains("alice")));
    assert_eq!(
        app.calls(),
        (0, 0, 0),
        "no Share call before the token check"
    );
}

#[actix_web::test]
async fn each_of_the_accounts_tokens_opens_it_by_header_or_query() {
    let app = spawn_app_with(both_with_tokens).await;

    let by_header = app
        .get_with_token("/readings?account=alice", ALICE_TOKEN)
        .await;
    let by_query = app
        .get(&format!(
            "/readings/latest?account=alice&token={ALICE_WATCH_TOKEN}"
        ))
        .await;
    let both_agreeing = app
        .get_with_token(
            &format!("/readings/current?token={ALICE_TOKEN}"),
            ALICE_TOKEN,
        )
        .await;
    let bob_by_lowercase_scheme = app
        .send(
            awc::http::Method::GET,
            "/readings/latest?account=bob",
            &[("authorization", &format!("bearer {BOB_TOKEN}"))],
        )
        .await;

    assert_eq!(by_header.status, 200);
    assert_eq!(by_query.status, 200);
    assert!(matches!(both_agreeing.status.as_u16(), 200 | 204));
    assert_eq!(bob_by_lowercase_scheme.status, 200);
    assert_eq!(
        by_query.json(),
        by_header.json()[0],
        "the same account's data"
    );
}

#[actix_web::test]
async fn a_token_alone_selects_its_account_among_several() {
    let app = spawn_app_with(both_with_tokens).await;

    let alices = app
        .get(&format!("/readings/latest?token={ALICE_TOKEN}"))
        .await;
    let bobs = app.get_with_token("/readings/latest", BOB_TOKEN).await;
    let anonymous = app.get("/readings/latest").await;

    assert_eq!(alices.status, 200);
    assert_eq!(bobs.status, 200);
    // alice's simulated trace is at UTC-4, bob's at UTC+5:30.
    assert!(alices.json()["datetime"]
        .as_str()
        .is_some_and(|d| d.ends_with("-04:00")));
    assert!(bobs.json()["datetime"]
        .as_str()
        .is_some_and(|d| d.ends_with("+05:30")));
    let problem = anonymous.assert_problem(400, "account_required");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        !detail.contains("alice") && !detail.contains("bob"),
        "{detail}"
    );
}

#[actix_web::test]
async fn accounts_lists_only_the_accounts_the_caller_may_read() {
    let app = spawn_app_with(alice_with_token_bob_open).await;

    let anonymous = app.get("/accounts").await;
    let with_token = app.get_with_token("/accounts", ALICE_TOKEN).await;
    let wrong = app
        .get_with_token("/accounts", "not-a-token-of-anyone")
        .await;

    let names = |r: &crate::helpers::Response| -> Vec<String> {
        r.json()
            .as_array()
            .expect("an array")
            .iter()
            .map(|a| a["name"].as_str().expect("name").to_owned())
            .collect()
    };
    assert_eq!(anonymous.status, 200);
    assert_eq!(names(&anonymous), ["bob"]);
    assert_eq!(names(&with_token), ["alice", "bob"]);
    wrong.assert_problem(401, "token_invalid");
}

#[actix_web::test]
async fn an_account_without_tokens_is_open_on_loopback_to_anyone_even_with_anothers_token() {
    let app = spawn_app_with(alice_with_token_bob_open).await;

    let anonymous = app.get("/readings/latest?account=bob").await;
    let with_alices = app
        .get_with_token("/readings/latest?account=bob", ALICE_TOKEN)
        .await;
    let protected = app.get("/readings/latest?account=alice").await;

    assert_eq!(anonymous.status, 200);
    assert_eq!(with_alices.status, 200);
    protected.assert_problem(401, "token_required");
}

#[actix_web::test]
async fn health_openapi_and_docs_stay_public_when_every_account_needs_a_token() {
    let app = spawn_app_with(|setup| {
        setup.settings.accounts = vec![with_tokens(alice(&setup.sim_url()), &[ALICE_TOKEN])];
        setup.settings.auth = AuthSettings {
            allow_anonymous: Some(false),
            ..AuthSettings::default()
        };
    })
    .await;

    for path in ["/health", "/openapi.json", "/docs/"] {
        assert_eq!(app.get(path).await.status, 200, "{path}");
    }
    app.get("/readings")
        .await
        .assert_problem(401, "token_required");
    assert_eq!(
        app.get_with_token("/readings", ALICE_TOKEN).await.status,
        200
    );
}

#[actix_web::test]
async fn repeated_wrong_tokens_are_answered_ever_slower_but_valid_tokens_never_wait() {
    let app = spawn_app_with(both_with_tokens).await;
    // Warm the cache so that the last valid request measures the service, not Share.
    assert_eq!(
        app.get_with_token("/readings/latest", ALICE_TOKEN)
            .await
            .status,
        200
    );
    let guess = "/readings/latest?account=alice&token=guess-0123456789abcdef";

    // Five failures at once: the n-th waits (n-1) x 250 ms, so this takes about 1 s.
    let first_five = futures_util::future::join_all((0..5).map(|_| app.get(guess))).await;
    let started = Instant::now();
    let sixth = app.get(guess).await;
    let sixth_took = started.elapsed();
    let started = Instant::now();
    let valid = app.get_with_token("/readings/latest", ALICE_TOKEN).await;
    let valid_took = started.elapsed();

    for refused in first_five.iter().chain([&sixth]) {
        refused.assert_problem(401, "token_invalid");
    }
    assert!(
        sixth_took >= Duration::from_secs(1),
        "6th failure took {sixth_took:?}"
    );
    assert!(
        sixth_took < Duration::from_secs(5),
        "6th failure took {sixth_took:?}"
    );
    assert_eq!(valid.status, 200);
    assert!(
        valid_took < Duration::from_millis(500),
        "valid request took {valid_took:?}"
    );
}

/// Status, headers (but `Date`) and body of an answer, with `name` replaced by `NAME`.
fn shape(response: &crate::helpers::Response, name: &str) -> (u16, Vec<(String, String)>, String) {
    let mut headers: Vec<(String, String)> = response
        .headers
        .iter()
        .filter(|(k, _)| k.as_str() != "date")
        .map(|(k, v)| {
            (
                k.to_string(),
                v.to_str().unwrap_or("?").replace(name, "NAME"),
            )
        })
        .collect();
    headers.sort();
    let body = String::from_utf8_lossy(&response.body).replace(name, "NAME");
    (response.status.as_u16(), headers, body)
}

#[actix_web::test]
async fn without_a_valid_token_an_unknown_account_looks_exactly_like_a_protected_one() {
    // Without the slow-down, which would make the nine refusals take 9 s.
    let app = spawn_app_with(|setup| {
        alice_with_token_bob_open(setup);
        setup.settings.auth.failure_delay_max = Duration::ZERO;
    })
    .await;

    for path in ["/readings", "/readings/latest", "/readings/current"] {
        let protected = app.get(&format!("{path}?account=alice")).await;
        let unknown = app.get(&format!("{path}?account=carol")).await;
        let unknown_wrong_token = app
            .get_with_token(&format!("{path}?account=carol"), "not-a-token-of-anyone")
            .await;

        protected.assert_problem(401, "token_required");
        assert!(String::from_utf8_lossy(&unknown.body).contains("'carol'"));
        assert_eq!(
            shape(&unknown, "carol"),
            shape(&protected, "alice"),
            "{path}"
        );
        unknown_wrong_token.assert_problem(401, "token_invalid");
    }
    assert_eq!(app.calls(), (0, 0, 0));
}

#[actix_web::test]
async fn another_accounts_token_cannot_tell_unknown_names_from_protected_ones_either() {
    let app = spawn_app_with(both_with_tokens).await;

    let protected = app
        .get_with_token("/readings?account=bob", ALICE_TOKEN)
        .await;
    let unknown = app
        .get_with_token("/readings?account=eve", ALICE_TOKEN)
        .await;
    let own = app
        .get_with_token("/readings?account=alice", ALICE_TOKEN)
        .await;

    protected.assert_problem(403, "token_forbidden");
    assert_eq!(shape(&unknown, "eve"), shape(&protected, "bob"));
    assert_eq!(own.status, 200);
}

#[actix_web::test]
async fn probing_unknown_names_is_slowed_down_like_probing_tokens() {
    let app = spawn_app_with(both_with_tokens).await;

    let mut took = Vec::new();
    for name in ["carol", "dave", "erin"] {
        let started = Instant::now();
        app.get(&format!("/readings/latest?account={name}"))
            .await
            .assert_problem(401, "token_required");
        took.push(started.elapsed());
    }

    assert!(
        took[2] >= Duration::from_millis(500),
        "third probe took {:?}",
        took[2]
    );
}
