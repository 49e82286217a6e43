use awc::http::Method;

use crate::helpers::{account, alice_and_bob, bob, spawn_app, spawn_app_with};

#[actix_web::test]
async fn bad_minutes_and_max_count_are_400_problems() {
    let app = spawn_app().await;
    let cases = [
        ("minutes=0", "minutes_invalid"),
        ("minutes=1441", "minutes_invalid"),
        ("minutes=-1", "minutes_invalid"),
        ("minutes=", "minutes_invalid"),
        ("minutes=abc", "minutes_invalid"),
        ("minutes=1.5", "minutes_invalid"),
        ("minutes=%2B5", "minutes_invalid"),
        ("minutes=99999999999999999999999", "minutes_invalid"),
        ("minutes=5&minutes=6", "minutes_invalid"),
        ("max_count=0", "max_count_invalid"),
        ("max_count=289", "max_count_invalid"),
        ("max_count=x", "max_count_invalid"),
        ("max_count=1&max_count=1", "max_count_invalid"),
    ];
    for (query, code) in cases {
        let response = app.get(&format!("/readings?{query}")).await;
        let body = response.assert_problem(400, code);
        assert!(
            body["detail"]
                .as_str()
                .expect("detail")
                .contains("from 1 to"),
            "{query}: {body}"
        );
    }
    assert_eq!(app.calls(), (0, 0, 0), "bad input must not reach Share");
}

#[actix_web::test]
async fn the_edges_of_the_ranges_are_accepted() {
    let app = spawn_app().await;
    for query in [
        "minutes=1",
        "minutes=1440",
        "max_count=1",
        "max_count=288",
        "minutes=0010",
        "unknown=1",
    ] {
        let response = app.get(&format!("/readings?{query}")).await;
        assert_eq!(response.status, 200, "{query}");
    }
}

#[actix_web::test]
async fn account_is_optional_only_with_exactly_one_account() {
    let app = spawn_app_with(alice_and_bob).await;

    for path in ["/readings", "/readings/latest", "/readings/current"] {
        let body = app.get(path).await.assert_problem(400, "account_required");
        assert!(body["detail"]
            .as_str()
            .expect("detail")
            .contains("alice, bob"));
    }
    assert_eq!(app.get("/readings?account=alice").await.status, 200);
    assert_eq!(app.get("/readings/current?account=bob").await.status, 200);
}

#[actix_web::test]
async fn unknown_account_names_are_404() {
    let app = spawn_app().await;
    for name in [
        "carol",
        "Alice",
        "",
        "a%20b",
        "%2F..%2Fetc",
        "%C3%A9",
        &"x".repeat(500),
    ] {
        let response = app.get(&format!("/readings/latest?account={name}")).await;
        response.assert_problem(404, "account_not_found");
    }
    app.get("/readings?account=alice&account=alice")
        .await
        .assert_problem(400, "query_invalid");
}

#[actix_web::test]
async fn an_account_logging_in_by_id_skips_the_first_step() {
    let app = spawn_app_with(|setup| setup.settings.accounts = vec![bob(&setup.sim_url())]).await;

    let current = app.get("/readings/current").await;

    assert_eq!(current.status, 200);
    assert!(current.json()["datetime"]
        .as_str()
        .expect("string")
        .ends_with("+05:30"));
    assert_eq!(app.calls(), (0, 1, 1));
}

#[actix_web::test]
async fn unknown_paths_are_404_and_wrong_methods_405() {
    let app = spawn_app().await;

    app.get("/nope").await.assert_problem(404, "not_found");
    app.get("/readings/nope")
        .await
        .assert_problem(404, "not_found");
    for (method, path) in [
        (Method::POST, "/readings"),
        (Method::DELETE, "/readings/current"),
        (Method::PUT, "/accounts"),
        (Method::POST, "/health"),
        (Method::POST, "/openapi.json"),
        (Method::POST, "/docs"),
        (Method::DELETE, "/docs/index.html"),
    ] {
        let response = app.request(method, path).await;
        response.assert_problem(405, "method_not_allowed");
        assert_eq!(response.header("allow"), Some("GET"));
    }
}

#[actix_web::test]
async fn health_is_ok_without_touching_share() {
    let app = spawn_app().await;

    let health = app.get("/health").await;

    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    assert_eq!(health.json()["accounts"], 1);
    assert_eq!(app.calls(), (0, 0, 0));
}

#[actix_web::test]
async fn simulated_accounts_are_labelled_on_every_response() {
    let app = spawn_app_with(|setup| {
        let url = setup.sim_url();
        let mut demo = account(
            "demo",
            dexcom_share_proxy::config::Login::Username(crate::helpers::ALICE_USER.into()),
            crate::helpers::ALICE_PASSWORD,
            &url,
        );
        demo.simulated = true;
        setup.settings.accounts = vec![demo, bob(&url)];
    })
    .await;

    for path in [
        "/readings?account=demo",
        "/readings/current?account=demo",
        "/readings/latest?account=demo",
        "/readings?account=demo&minutes=0",
        "/accounts",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.header("x-simulated-data"), Some("true"), "{path}");
    }
    let real = app.get("/readings?account=bob").await;
    assert_eq!(real.status, 200);
    assert_eq!(real.header("x-simulated-data"), None);
}
