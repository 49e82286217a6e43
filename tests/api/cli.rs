//! The binary itself: start-up failures exit non-zero with a message that says what to fix.

use std::io::Write;

use crate::process::{proxy, Logged};

fn run_with_config(toml: &str) -> (i32, String) {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(toml.as_bytes()).expect("write config");
    let output = proxy()
        .arg("--config")
        .arg(file.path())
        .output()
        .expect("run the proxy");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn without_an_account_it_exits_and_says_how_to_configure_one() {
    let output = proxy().output().expect("run the proxy");

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for hint in ["DEXCOM_USERNAME", "DEXCOM_PASSWORD", "--config", "--demo"] {
        assert!(stderr.contains(hint), "{stderr}");
    }
}

#[test]
fn config_errors_stop_start_up_naming_key_and_account() {
    let cases = [
        ("[[accounts]]\nname = \"alice\"\nusername = \"u\"\npassword = \"p\"\nregion = \"eu\"", &["alice", "region"][..]),
        ("[[accounts]]\nname = \"alice\"\nusername = \"u\"\naccount_id = \"x\"\npassword = \"p\"", &["alice", "not both"]),
        ("[[accounts]]\nname = \"alice\"\naccount_id = \"x\"\npassword = \"p\"", &["alice", "account_id"]),
        ("[[accounts]]\nname = \"alice\"\nusername = \"u\"\npassword_file = \"/nonexistent\"", &["alice", "password_file"]),
        ("[[accounts]]\nname = \"alice\"\nusername = \"u\"\npassword = \"p\"\ntypo = 1", &["alice", "typo"]),
        ("tipo = 1", &["tipo"]),
    ];
    for (toml, wanted) in cases {
        let (code, stderr) = run_with_config(toml);
        assert_eq!(code, 2, "{toml}: {stderr}");
        for want in wanted {
            assert!(stderr.contains(want), "{toml}: {stderr}");
        }
    }
}

#[test]
fn a_missing_config_file_is_an_error() {
    let output = proxy()
        .args(["--config", "/nonexistent/config.toml"])
        .output()
        .expect("run the proxy");

    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/config.toml"));
}

fn http_get(addr: &str, path: &str) -> String {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(addr).expect("connect to the proxy");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("set timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    response
}

/// The README's first command: `--demo` serves a labelled, simulated current reading.
#[test]
fn demo_mode_serves_a_simulated_current_reading() {
    let mut command = proxy();
    command
        .args(["--demo", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info");
    let proxy = Logged::start(command);
    let addr = proxy.addr.clone();

    let current = http_get(&addr, "/readings/current");
    let accounts = http_get(&addr, "/accounts");

    assert!(current.starts_with("HTTP/1.1 200"), "{current}");
    assert!(
        current
            .to_ascii_lowercase()
            .contains("x-simulated-data: true"),
        "{current}"
    );
    assert!(current.contains("\"trend_arrow\""), "{current}");
    assert!(accounts.contains("\"simulated\":true"), "{accounts}");
    proxy.stop();
}

/// Requests are logged one line each only when asked for; the feed's events always are.
#[test]
fn the_access_log_is_off_by_default_and_on_with_its_flag() {
    for (flag, logged) in [(None, false), (Some("--access-log"), true)] {
        let mut command = proxy();
        command
            .args(["--demo", "--listen", "127.0.0.1:0"])
            .args(flag)
            .env("RUST_LOG", "info");
        let proxy = Logged::start(command);
        let current = http_get(&proxy.addr, "/readings/current");
        let health = http_get(&proxy.addr, "/health?token=not-logged-0123456789");

        let log = proxy.stop();
        assert!(current.starts_with("HTTP/1.1 200"), "{current}");
        assert!(health.starts_with("HTTP/1.1 200"), "{health}");
        assert!(log.contains("feed started"), "{log}");
        assert_eq!(
            log.contains("\"GET /health?token=<redacted> HTTP/1.1\""),
            logged,
            "{flag:?}: {log}"
        );
        assert!(!log.contains("not-logged-0123456789"), "{log}");
    }
}

/// `dexcom-share-proxy --print-openapi | head` is a normal use: a reader that stops early
/// must not make the binary panic on the broken pipe.
#[test]
fn a_reader_that_stops_early_is_not_a_panic() {
    let mut child = proxy()
        .arg("--print-openapi")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the proxy");
    // Close the read end at once: the document (over 100 KiB) cannot fit in the pipe.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait for the proxy");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
}
