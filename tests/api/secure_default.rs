//! The secure default, tried on the real binary: accounts without tokens are served only on
//! loopback unless the operator says `[auth] allow_anonymous = true`.

use std::io::Write;

use crate::helpers::{ALICE_PASSWORD, ALICE_TOKEN};
use crate::process::{proxy, Logged};

const OPEN_ACCOUNT: &str = "[[accounts]]\nname = \"alice\"\nusername = \"u\"\n\
    password = \"alice-password-0451\"\nbase_url = \"http://127.0.0.1:9/\"\n";

fn config_file(toml: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(toml.as_bytes()).expect("write config");
    file
}

/// Runs the binary until it exits (start-up refused); returns its exit code and stderr.
fn refused(args: &[&str], toml: &str) -> (Option<i32>, String) {
    let file = config_file(toml);
    let output = proxy()
        .arg("--config")
        .arg(file.path())
        .args(args)
        .output()
        .expect("run the proxy");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn an_account_without_tokens_on_a_non_loopback_address_refuses_to_start_and_says_why() {
    let (code, stderr) = refused(&["--listen", "0.0.0.0:0"], OPEN_ACCOUNT);

    assert_eq!(code, Some(2), "{stderr}");
    for hint in ["alice", "loopback", "tokens", "allow_anonymous = true"] {
        assert!(stderr.contains(hint), "missing {hint:?}: {stderr}");
    }
    assert!(!stderr.contains(ALICE_PASSWORD), "{stderr}");
}

#[test]
fn allow_anonymous_false_requires_tokens_even_on_loopback() {
    let toml = format!("[auth]\nallow_anonymous = false\n{OPEN_ACCOUNT}");

    let (code, stderr) = refused(&["--listen", "127.0.0.1:0"], &toml);

    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("alice") && stderr.contains("allow_anonymous = false"),
        "{stderr}"
    );
}

#[test]
fn demo_on_a_non_loopback_address_follows_the_same_rule() {
    let output = proxy()
        .args(["--demo", "--listen", "0.0.0.0:0"])
        .output()
        .expect("run the proxy");

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("demo"), "{stderr}");
}

#[test]
fn tokens_or_allow_anonymous_true_let_it_serve_a_non_loopback_address() {
    let with_tokens = config_file(&format!("{OPEN_ACCOUNT}tokens = [\"{ALICE_TOKEN}\"]\n"));
    let allowed = config_file(&format!("[auth]\nallow_anonymous = true\n{OPEN_ACCOUNT}"));

    for file in [&with_tokens, &allowed] {
        let mut command = proxy();
        command
            .arg("--config")
            .arg(file.path())
            .args(["--listen", "0.0.0.0:0"])
            .env("RUST_LOG", "info");
        let proxy = Logged::start(command);
        assert!(proxy.addr.starts_with("0.0.0.0:"), "{}", proxy.addr);
        proxy.stop();
    }
}

#[test]
fn token_mistakes_stop_start_up_without_printing_the_token() {
    let cases = [
        ("tokens = [\"short-token\"]", "shorter than 16"),
        ("tokens = [\"has a space in the middle\"]", "whitespace"),
        ("tokens = []", "no token"),
        ("tokens = \"not-in-an-array-0123\"", "array of strings"),
        ("tokens_env = \"UNSET_TOKENS_VAR\"", "UNSET_TOKENS_VAR"),
        ("tokens_file = \"/nonexistent/tokens\"", "tokens_file"),
    ];
    for (line, want) in cases {
        let (code, stderr) = refused(&[], &format!("{OPEN_ACCOUNT}{line}\n"));
        assert_eq!(code, Some(2), "{line}: {stderr}");
        assert!(
            stderr.contains(want) && stderr.contains("alice"),
            "{line}: {stderr}"
        );
        let value = line.split('"').nth(1).unwrap_or_default();
        if !value.starts_with('/') && !value.starts_with("UNSET") && !value.is_empty() {
            assert!(!stderr.contains(value), "{line}: token printed: {stderr}");
        }
    }
    let shared = format!(
        "{OPEN_ACCOUNT}tokens = [\"{ALICE_TOKEN}\"]\n{}tokens = [\"{ALICE_TOKEN}\"]\n",
        OPEN_ACCOUNT.replace("alice", "bob")
    );
    let (code, stderr) = refused(&[], &shared);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("bob") && stderr.contains("alice"),
        "{stderr}"
    );
    assert!(!stderr.contains(ALICE_TOKEN), "{stderr}");
}
