//! `--log-format json` on the real binary: every line it writes is one JSON object with the
//! keys collectors index, and no secret appears, even at `RUST_LOG=trace`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dexcom_share_proxy::simulator::Endpoint;
use serde_json::Value;

use crate::helpers::{sim_config, start_simulator, ALICE_PASSWORD, ALICE_TOKEN, ALICE_USER};
use crate::process::{proxy, Logged};
use crate::raw_http;

/// A config for `alice` at `base_url` with a password and a token inline, readable by others
/// (so that loading it logs a warning).
fn config(dir: &Path, base_url: &str, extra: &str) -> PathBuf {
    let path = dir.join("proxy.toml");
    std::fs::write(
        &path,
        format!(
            "listen = \"127.0.0.1:0\"\n{extra}\n[[accounts]]\nname = \"alice\"\n\
             username = \"{ALICE_USER}\"\npassword = \"{ALICE_PASSWORD}\"\n\
             tokens = [\"{ALICE_TOKEN}\"]\nbase_url = \"{base_url}\"\n"
        ),
    )
    .expect("write config");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    path
}

/// Every line of `log` as a JSON object with `ts` (RFC 3339, UTC), `level`, `target` and
/// `message`.
fn parse_lines(log: &str) -> Vec<Value> {
    log.lines()
        .map(|line| {
            let value: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            let ts = value["ts"].as_str().unwrap_or_else(|| panic!("ts: {line}"));
            assert!(ts.ends_with('Z'), "{line}");
            chrono::DateTime::parse_from_rfc3339(ts).unwrap_or_else(|e| panic!("ts {e}: {line}"));
            let level = value["level"].as_str().unwrap_or_default();
            assert!(
                ["error", "warn", "info", "debug", "trace"].contains(&level),
                "{line}"
            );
            assert!(value["target"].is_string(), "{line}");
            assert!(value["message"].is_string(), "{line}");
            value
        })
        .collect()
}

#[actix_web::test]
async fn json_lines_carry_the_keys_and_no_secret_even_at_trace() {
    let simulator = start_simulator(sim_config());
    let sim = simulator.control();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = proxy();
    command
        .args(["--demo", "--log-format", "json", "--access-log", "--config"])
        .arg(config(dir.path(), &simulator.base_url(), ""))
        .env("RUST_LOG", "trace");
    let mut binary = Logged::start(command);
    let addr = binary.addr.clone();

    // Each request on its own thread: the simulator runs on this test's runtime.
    let requests = std::thread::spawn(move || {
        [
            format!("/readings/current?account=alice&token={ALICE_TOKEN}"),
            "/readings/current?account=alice&token=wrong-token-0123456789".to_owned(),
            "/readings/current?account=demo".to_owned(),
            "/health".to_owned(),
        ]
        .map(|path| raw_http::get(&addr, &path))
    });
    let start = Instant::now();
    while !requests.is_finished() {
        assert!(start.elapsed() < Duration::from_secs(30), "requests hang");
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    let answers = requests.join().expect("requests");
    binary.signal("TERM");
    while binary.exited().is_none() {
        assert!(start.elapsed() < Duration::from_secs(30), "no exit");
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    let log = binary.stop();

    assert!(answers[0].starts_with("HTTP/1.1 200"), "{}", answers[0]);
    assert!(answers[2].starts_with("HTTP/1.1 200"), "{}", answers[2]);
    let lines = parse_lines(&log);
    let messages = |needle: &str| {
        lines
            .iter()
            .filter(|l| l["message"].as_str().unwrap_or_default().contains(needle))
            .count()
    };
    assert!(messages("chmod 600") == 1, "the permission warning: {log}");
    assert!(messages("listening on http://") == 1, "{log}");
    assert!(messages("feed started") >= 1, "{log}");
    assert!(messages("SIGTERM: shutting down") == 1, "{log}");
    let access: Vec<&Value> = lines.iter().filter(|l| l["status"].is_u64()).collect();
    assert_eq!(access.len(), 4, "{log}");
    assert!(access
        .iter()
        .all(|l| l["method"] == "GET" && l["duration_ms"].is_f64()));
    assert!(
        access
            .iter()
            .any(|l| l["path"] == "/readings/current?account=alice&token=<redacted>"),
        "{log}"
    );
    let mut secrets = vec![
        ALICE_PASSWORD.to_owned(),
        ALICE_TOKEN.to_owned(),
        "wrong-token-0123456789".to_owned(),
        dexcom_share_proxy::simulator::DEMO_PASSWORD.to_owned(),
    ];
    secrets.extend(sim.issued_sessions().iter().map(|s| s.to_string()));
    assert!(sim.calls(Endpoint::Read) >= 1, "alice was read");
    for secret in secrets {
        assert!(!log.contains(&secret), "{secret} is in the log");
    }
}

/// `[log] format = "json"` in the file: even what loading the file logs is JSON.
#[test]
fn the_file_can_ask_for_json_and_the_flag_wins() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config(
        dir.path(),
        "http://127.0.0.1:9/ShareWebServices/Services/",
        "[log]\nformat = \"json\"",
    );

    for (flag, json) in [(None, true), (Some("text"), false)] {
        let mut command = proxy();
        command.arg("--config").arg(&config).env("RUST_LOG", "info");
        if let Some(format) = flag {
            command.args(["--log-format", format]);
        }
        let log = Logged::start(command).stop();

        let warning = log
            .lines()
            .find(|l| l.contains("chmod 600"))
            .unwrap_or_else(|| panic!("no permission warning: {log}"));
        assert_eq!(
            serde_json::from_str::<Value>(warning).is_ok(),
            json,
            "{warning}"
        );
        assert!(!log.contains(ALICE_PASSWORD));
    }
}
