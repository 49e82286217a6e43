//! `dexcom-share-proxy check-config`: what start-up would refuse, without binding or calling
//! Share; a summary without secrets, exit 0, or the message and exit 2.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Output;

use dexcom_share_proxy::simulator::Endpoint;

use crate::helpers::{sim_config, start_simulator, ALICE_PASSWORD, ALICE_TOKEN, ALICE_USER};
use crate::process::proxy;

const MQTT_PASSWORD: &str = "mqtt-password-77c1e0";

fn write(dir: &Path, toml: &str) -> PathBuf {
    let path = dir.join("proxy.toml");
    std::fs::write(&path, toml).expect("write config");
    path
}

fn check(config: &Path, args: &[&str]) -> Output {
    proxy()
        .arg("check-config")
        .arg("--config")
        .arg(config)
        .args(args)
        .env("TEST_MQTT_PASSWORD", MQTT_PASSWORD)
        .output()
        .expect("run check-config")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `alice` at `base_url`, with `tokens` (a TOML list's items) or without the key.
fn alice(base_url: &str, tokens: Option<&str>) -> String {
    let tokens = tokens.map_or(String::new(), |t| format!("tokens = [{t}]\n"));
    format!(
        "[[accounts]]\nname = \"alice\"\nusername = \"{ALICE_USER}\"\n\
         password = \"{ALICE_PASSWORD}\"\nbase_url = \"{base_url}\"\n{tokens}"
    )
}

#[actix_web::test]
async fn a_valid_config_passes_with_a_summary_and_no_secret_without_binding_or_calling_share() {
    let simulator = start_simulator(sim_config());
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let listen = taken.local_addr().expect("address");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write(
        dir.path(),
        &format!(
            "listen = \"{listen}\"\n[mqtt]\nurl = \"mqtt://127.0.0.1:1\"\nusername = \"ha\"\n\
             password_env = \"TEST_MQTT_PASSWORD\"\n{}",
            alice(&simulator.base_url(), Some(&format!("\"{ALICE_TOKEN}\"")))
        ),
    );

    let output = check(&config, &["--demo"]);

    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.starts_with("configuration OK"), "{stdout}");
    assert!(stdout.contains(&format!("listen: {listen}")), "{stdout}");
    assert!(
        stdout.contains("alice: region us, login by username, 1 token(s)"),
        "{stdout}"
    );
    assert!(stdout.contains("demo: region us"), "{stdout}");
    assert!(stdout.contains("mqtt: mqtt://127.0.0.1:1"), "{stdout}");
    for secret in [ALICE_PASSWORD, ALICE_TOKEN, MQTT_PASSWORD, ALICE_USER] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret} shown"
        );
    }
    let calls = [Endpoint::Authenticate, Endpoint::LoginById, Endpoint::Read]
        .map(|e| simulator.control().calls(e));
    assert_eq!(calls, [0, 0, 0], "check-config called Share");
}

#[test]
fn an_invalid_config_fails_with_exit_2_and_says_why() {
    let share = "http://127.0.0.1:9/ShareWebServices/Services/";
    let strong = format!("\"{ALICE_TOKEN}\"");
    let cases: Vec<(String, &[&str], &str)> = vec![
        (alice(share, Some("\"short\"")), &[], "tokens"),
        (
            format!("listen = \"0.0.0.0:8080\"\n{}", alice(share, None)),
            &[],
            "auth.allow_anonymous",
        ),
        (
            alice(share, None),
            &["--listen", "0.0.0.0:8080"],
            "not a loopback address",
        ),
        (
            format!("[log]\nformat = \"xml\"\n{}", alice(share, Some(&strong))),
            &[],
            "log.format",
        ),
        (
            format!(
                "[mqtt]\nurl = \"mqtt://127.0.0.1:1\"\naccounts = [\"nobody\"]\n{}",
                alice(share, None)
            ),
            &[],
            "nobody",
        ),
        (
            alice(share, None).replace("alice", "demo"),
            &["--demo"],
            "--demo adds",
        ),
        (String::new(), &[], "no Dexcom account is configured"),
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    for (toml, args, why) in cases {
        let config = write(dir.path(), &toml);

        let output = check(&config, args);

        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{toml}: {stderr}");
        assert!(stderr.contains(why), "{toml}: {stderr}");
        assert!(output.stdout.is_empty(), "{toml}");
        assert!(!stderr.contains(ALICE_PASSWORD), "{stderr}");
    }
}
