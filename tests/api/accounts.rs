use crate::helpers::{
    account, alice, bob, spawn_app_with, ALICE_PASSWORD, ALICE_USER, BOB_PASSWORD,
};
use dexcom_share_proxy::config::Login;

#[actix_web::test]
async fn accounts_show_state_but_never_secrets() {
    let app = spawn_app_with(|setup| {
        let url = setup.sim_url();
        let mut carol = account(
            "carol",
            Login::Username(ALICE_USER.into()),
            "carols-bad-password",
            &url,
        );
        carol.region = dexcom_share_proxy::domain::Region::Ous;
        setup.settings.accounts = vec![alice(&url), bob(&url), carol];
    })
    .await;
    assert_eq!(app.get("/readings?account=alice").await.status, 200);
    app.get("/readings?account=carol")
        .await
        .assert_problem(502, "upstream_auth_failed");

    let response = app.get("/accounts").await;

    assert_eq!(response.status, 200);
    let text = String::from_utf8_lossy(&response.body).to_string();
    for secret in [
        ALICE_PASSWORD,
        BOB_PASSWORD,
        "carols-bad-password",
        ALICE_USER,
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let accounts = response.json();
    let [alice, bob, carol] = [0, 1, 2].map(|i| accounts[i].clone());
    assert_eq!(alice["name"], "alice");
    assert_eq!(alice["session"], "active");
    assert_eq!(alice["login"], "username");
    assert_eq!(alice["simulated"], false);
    assert!(alice["last_success_at"].is_string());
    assert!(alice["last_error"].is_null());
    assert_eq!(bob["session"], "none");
    assert_eq!(bob["login"], "account_id");
    assert!(bob["last_success_at"].is_null());
    assert_eq!(carol["region"], "ous");
    assert_eq!(carol["session"], "login_blocked");
    assert_eq!(carol["last_error"]["code"], "upstream_auth_failed");
    assert_eq!(carol["circuit"]["state"], "login_blocked");
    assert_eq!(carol["circuit"]["last_code"], "AccountPasswordInvalid");
    assert_eq!(carol["circuit"]["consecutive_failures"], 1);
    assert!(carol["circuit"]["next_attempt_at"].is_string());
    assert!(carol["circuit"]["since"].is_string());
    assert_eq!(alice["circuit"]["state"], "closed");
    assert!(alice["circuit"]["next_attempt_at"].is_null());
    assert!(bob["circuit"]["since"].is_null());
}
