use std::collections::HashMap;
use std::io::Write;

use super::*;

const ACCOUNT: &str = "[[accounts]]\nname = \"a\"\nusername = \"u\"\npassword = \"pw\"\n";
const TOKEN: &str = "0123456789abcdef-token";
/// Long enough, but a single character repeated.
const WEAK_TOKEN: &str = "aaaaaaaaaaaaaaaa";

fn load(toml: &str, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(toml.as_bytes()).expect("write config");
    let env: HashMap<&str, &str> = env.iter().copied().collect();
    Settings::load(Some(file.path()), &|k: &str| {
        env.get(k).map(|v| v.to_string())
    })
}

fn tokens(settings: &Settings, account: usize) -> Vec<&str> {
    settings.accounts[account]
        .tokens
        .iter()
        .map(|t| t.expose().as_str())
        .collect()
}

#[test]
fn tokens_come_from_the_file_an_env_var_or_the_environment_account() {
    let inline = load(&format!("{ACCOUNT}tokens = [\"{TOKEN}\"]"), &[]).expect("valid");
    let from_var = load(
        &format!("{ACCOUNT}tokens_env = \"A_TOKENS\""),
        &[("A_TOKENS", "first-token-4c1e9a, second-token-7b2f5d")],
    )
    .expect("valid");
    let env_account = load(
        "",
        &[
            ("DEXCOM_USERNAME", "u"),
            ("DEXCOM_PASSWORD", "pw"),
            ("DEXCOM_TOKENS", TOKEN),
        ],
    )
    .expect("valid");

    assert_eq!(tokens(&inline, 0), [TOKEN]);
    assert_eq!(
        tokens(&from_var, 0),
        ["first-token-4c1e9a", "second-token-7b2f5d"]
    );
    assert_eq!(tokens(&env_account, 0), [TOKEN]);
    assert!(
        !format!("{inline:?}").contains(TOKEN),
        "Debug shows a token"
    );
}

#[test]
fn token_and_auth_mistakes_name_the_key_and_never_the_secret() {
    let cases = [
        (
            format!("{ACCOUNT}tokens = [\"{TOKEN}\"]\ntokens_env = \"X\""),
            "at most one",
        ),
        (
            format!("{ACCOUNT}tokens = 12345678901234567"),
            "array of strings",
        ),
        (
            format!("{ACCOUNT}tokens = [\"{TOKEN}\", 5]"),
            "array of strings",
        ),
        (
            "[[accounts]]\nname = \"a\"\nusername = \"u\"\npassword = 1234567".to_owned(),
            "`password`: must be a string",
        ),
        (
            format!(
                "{ACCOUNT}tokens = [\"{TOKEN}\"]\n{}tokens = [\"{TOKEN}\"]",
                ACCOUNT.replace("\"a\"", "\"b\"")
            ),
            "also a token of account `a`",
        ),
        (
            format!("{ACCOUNT}tokens = [\"{TOKEN}\", \"{WEAK_TOKEN}\"]"),
            "`tokens`: token #2 is too easy to guess",
        ),
        (
            "[auth]\nallow_anonymous = \"yes\"".to_owned(),
            "expected a boolean",
        ),
        (
            "[cors]\nallowed_origins = [\"*\"]".to_owned(),
            "cors.allowed_origins",
        ),
        (
            "[cors]\nallowed_origins = [\"https://x.example/path\"]".to_owned(),
            "cors.allowed_origins",
        ),
    ];
    for (toml, want) in cases {
        let message = load(&toml, &[]).expect_err("must be refused").to_string();
        assert!(message.contains(want), "{toml:?} gave {message:?}");
        for secret in [TOKEN, WEAK_TOKEN, "1234567", "12345678901234567"] {
            assert!(!message.contains(secret), "secret leaked: {message}");
        }
    }
    let message = load("", &[("DEXCOM_ALLOW_ANONYMOUS", "yes")])
        .expect_err("must be refused")
        .to_string();
    assert!(message.contains("DEXCOM_ALLOW_ANONYMOUS"), "{message}");
}

#[test]
fn anonymous_reads_follow_the_listen_address_unless_configured() {
    let listen = |a: &str| -> SocketAddr { a.parse().expect("address") };
    let open = load(ACCOUNT, &[]).expect("valid");
    let allowed = load(&format!("[auth]\nallow_anonymous = true\n{ACCOUNT}"), &[]).expect("valid");
    let denied = load(&format!("[auth]\nallow_anonymous = false\n{ACCOUNT}"), &[]).expect("valid");
    let env_allowed = load(ACCOUNT, &[("DEXCOM_ALLOW_ANONYMOUS", "true")]).expect("valid");
    let protected = load(&format!("{ACCOUNT}tokens = [\"{TOKEN}\"]"), &[]).expect("valid");

    for loopback in ["127.0.0.1:8080", "[::1]:8080", "[::ffff:127.0.0.1]:8080"] {
        assert!(open.check_access(listen(loopback)).is_ok(), "{loopback}");
        assert!(open.is_anonymous(&open.accounts[0], listen(loopback)));
    }
    for public in ["0.0.0.0:8080", "[::]:8080", "192.168.1.10:8080"] {
        let message = open
            .check_access(listen(public))
            .expect_err("refused")
            .to_string();
        assert!(
            message.contains("`a`") || message.contains(" a "),
            "{message}"
        );
        assert!(allowed.check_access(listen(public)).is_ok());
        assert!(env_allowed.check_access(listen(public)).is_ok());
        assert!(protected.check_access(listen(public)).is_ok());
        assert!(!protected.is_anonymous(&protected.accounts[0], listen(public)));
    }
    assert!(denied.check_access(listen("127.0.0.1:8080")).is_err());
    let origins = load(
        "[cors]\nallowed_origins = [\"https://dash.example.org\", \"http://localhost:3000\"]",
        &[],
    )
    .expect("valid");
    assert_eq!(origins.cors.allowed_origins.len(), 2);
}
