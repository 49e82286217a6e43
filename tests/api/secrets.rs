//! No secret leaves the service by its logs, even at `RUST_LOG=trace`: the real binary runs
//! through logins, reads, a session expiry, a rejected password and rejected tokens, and
//! everything it wrote (and every answer it gave) is searched for every password, token and
//! Share session ID.

use std::io::Write;
use std::time::Duration;

use dexcom_share_proxy::simulator::Endpoint;

use crate::helpers::{
    sim_config, start_simulator, TestApp, ALICE_PASSWORD, ALICE_TOKEN, ALICE_USER,
    ALICE_WATCH_TOKEN, BOB_ID, BOB_PASSWORD, BOB_TOKEN,
};
use crate::process::{proxy, Logged};

const CAROL_WRONG_PASSWORD: &str = "carol-wrong-password-5150";
const CAROL_TOKEN: &str = "carol-token-77aa19c3e0";
const ENV_TOKENS: [&str; 2] = ["env-token-one-5d2f8a1b", "env-token-two-c94e07d3"];
const GUESSES: [&str; 2] = ["guessed-token-0000001", "guessed-token-0000002"];

fn config(sim_url: &str) -> String {
    format!(
        r#"
listen = "127.0.0.1:0"
[log]
access = true
[feed]
# The simulator's next reading is due 5 s after it starts: the feeds read it then.
initial_lag_seconds = 0
[login]
# The expiry below comes seconds after the first login; the default 60 s would (rightly) delay
# the new login.
min_interval_seconds = 1

[[accounts]]
name = "alice"
username = "{ALICE_USER}"
password = "{ALICE_PASSWORD}"
base_url = "{sim_url}"
tokens = ["{ALICE_TOKEN}", "{ALICE_WATCH_TOKEN}"]

[[accounts]]
name = "bob"
account_id = "{BOB_ID}"
password_env = "TEST_BOB_PASSWORD"
base_url = "{sim_url}"
tokens_file = "bob-tokens.txt"

[[accounts]]
name = "carol"
username = "{ALICE_USER}"
password = "{CAROL_WRONG_PASSWORD}"
base_url = "{sim_url}"
tokens_env = "TEST_CAROL_TOKENS"
"#
    )
}

#[actix_web::test]
async fn nothing_secret_is_logged_at_trace_level_through_logins_expiry_and_rejections() {
    // Arrange: a simulator here, the real binary at trace level in front of it.
    let mut sim = sim_config();
    sim.newest_reading_age_seconds = Some(295);
    let simulator = start_simulator(sim);
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = dir.path().join("proxy.toml");
    std::fs::write(&config_path, config(&simulator.base_url())).expect("write config");
    let mut tokens_file = std::fs::File::create(dir.path().join("bob-tokens.txt")).expect("file");
    writeln!(tokens_file, "# bob's kitchen tablet\n{BOB_TOKEN}").expect("write tokens");
    let mut command = proxy();
    command
        .arg("--config")
        .arg(&config_path)
        .env("RUST_LOG", "trace")
        .env("TEST_BOB_PASSWORD", BOB_PASSWORD)
        .env("TEST_CAROL_TOKENS", CAROL_TOKEN)
        .env("DEXCOM_USERNAME", "bob")
        .env("DEXCOM_PASSWORD", BOB_PASSWORD)
        .env("DEXCOM_BASE_URL", simulator.base_url())
        .env("DEXCOM_TOKENS", ENV_TOKENS.join(","));
    let proxy = Logged::start(command);
    let app = TestApp::attach(format!("http://{}", proxy.addr), simulator);

    // Act: logins and reads with every kind of token.
    let ok = [
        app.get_with_token("/readings?account=alice", ALICE_TOKEN)
            .await,
        app.get(&format!("/readings/latest?token={ALICE_WATCH_TOKEN}"))
            .await,
        app.get_with_token("/readings/latest?account=bob", BOB_TOKEN)
            .await,
        app.get(&format!(
            "/readings/latest?account=default&token={}",
            ENV_TOKENS[1]
        ))
        .await,
        app.get_with_token("/accounts", ENV_TOKENS[0]).await,
    ];
    // A session expiry: the feeds' next reads (at the next reading) log in again.
    let logins_before = app.sim.calls(Endpoint::LoginById);
    app.sim.expire_sessions();
    app.until("a new login after the expiry", |app| {
        app.sim.calls(Endpoint::LoginById) > logins_before
    })
    .await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let after_expiry = app.get_with_token("/readings/latest", ALICE_TOKEN).await;
    let relogins = app.sim.calls(Endpoint::LoginById) - logins_before;
    // A password Share rejects.
    let rejected_password = app.get_with_token("/readings", CAROL_TOKEN).await;
    // Tokens the service rejects.
    let rejected_tokens = [
        app.get_with_token("/readings?account=alice", GUESSES[0])
            .await,
        app.get(&format!("/readings?account=alice&token={}", GUESSES[1]))
            .await,
        app.get_with_token("/readings?account=alice", BOB_TOKEN)
            .await,
        app.get(&format!("/readings?account=carol&token={ALICE_TOKEN}"))
            .await,
        app.get_with_token(&format!("/readings?token={BOB_TOKEN}"), ALICE_TOKEN)
            .await,
        app.get_with_token("/accounts", GUESSES[0]).await,
    ];
    let sessions = app.sim.issued_sessions();
    let log = proxy.stop();

    // Assert: the run did what it claims, at trace level, and leaked nothing.
    for response in &ok {
        assert!(response.status.is_success(), "{}", response.status);
    }
    assert_eq!(after_expiry.status, 200);
    // alice, bob and the environment's account are watched: one login each.
    assert!(
        (1..=3).contains(&relogins),
        "{relogins} logins after the expiry"
    );
    rejected_password.assert_problem(502, "upstream_auth_failed");
    let statuses: Vec<u16> = rejected_tokens.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses, [401, 401, 403, 403, 401, 401]);
    assert!(sessions.len() >= 4, "sessions issued: {}", sessions.len());
    assert!(log.contains(" TRACE "), "the log is at trace level");
    assert!(
        log.contains("token=<redacted>"),
        "query tokens are logged redacted"
    );
    assert!(log.contains("logged in to Share"), "logins are logged");

    let mut secrets: Vec<String> = [
        ALICE_PASSWORD,
        BOB_PASSWORD,
        CAROL_WRONG_PASSWORD,
        ALICE_TOKEN,
        ALICE_WATCH_TOKEN,
        BOB_TOKEN,
        CAROL_TOKEN,
    ]
    .iter()
    .chain(&ENV_TOKENS)
    .chain(&GUESSES)
    .map(|s| s.to_string())
    .collect();
    for id in &sessions {
        secrets.push(id.hyphenated().to_string());
        secrets.push(id.simple().to_string());
    }
    let answers: String = ok
        .iter()
        .chain([&after_expiry, &rejected_password])
        .chain(&rejected_tokens)
        .map(|r| format!("{:?} {}\n", r.headers, String::from_utf8_lossy(&r.body)))
        .collect();
    for (what, text) in [("the log", &log), ("an answer", &answers)] {
        let haystack = text.to_ascii_lowercase();
        for secret in &secrets {
            assert!(
                !haystack.contains(&secret.to_ascii_lowercase()),
                "{secret} appears in {what}"
            );
        }
    }
}

#[actix_web::test]
async fn a_config_file_with_passwords_that_others_can_read_is_warned_about_at_start_up() {
    use std::os::unix::fs::PermissionsExt;
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    write!(
        file,
        "listen = \"127.0.0.1:0\"\n[[accounts]]\nname = \"alice\"\nusername = \"u\"\n\
         password = \"{ALICE_PASSWORD}\"\nbase_url = \"http://127.0.0.1:9/\"\n"
    )
    .expect("write config");
    std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let mut command = proxy();
    command
        .arg("--config")
        .arg(file.path())
        .env("RUST_LOG", "info");

    let log = Logged::start(command).stop();

    let warning = log
        .lines()
        .find(|l| l.contains("chmod 600"))
        .unwrap_or_else(|| panic!("no permission warning in: {log}"));
    assert!(warning.contains("WARN"), "{warning}");
    assert!(
        warning.contains(&file.path().display().to_string()),
        "{warning}"
    );
    assert!(!log.contains(ALICE_PASSWORD), "{log}");
}
