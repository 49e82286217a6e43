//! `[log] format` and `[server]`: the operational keys.

use std::io::Write;

use super::*;

fn file(toml: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(toml.as_bytes()).expect("write config");
    file
}

fn load(toml: &str) -> Result<Settings, ConfigError> {
    Settings::load(Some(file(toml).path()), &|_| None)
}

#[test]
fn logs_are_text_and_shutdown_waits_five_seconds_by_default() {
    let settings = load("").expect("valid config");

    assert_eq!(settings.log_format, LogFormat::Text);
    assert_eq!(settings.shutdown_timeout, Duration::from_secs(5));
}

#[test]
fn the_log_format_and_shutdown_timeout_are_read() {
    let settings = load("[log]\nformat = \"json\"\n[server]\nshutdown_timeout_seconds = 30\n")
        .expect("valid config");

    assert_eq!(settings.log_format, LogFormat::Json);
    assert_eq!(settings.shutdown_timeout, Duration::from_secs(30));
}

#[test]
fn bad_operational_keys_are_named() {
    let cases = [
        ("[log]\nformat = \"logfmt\"", "log.format"),
        (
            "[server]\nshutdown_timeout_seconds = 0",
            "server.shutdown_timeout_seconds",
        ),
        (
            "[server]\nshutdown_timeout_seconds = 301",
            "server.shutdown_timeout_seconds",
        ),
        ("[server]\nworkers = 2", "workers"),
    ];
    for (toml, key) in cases {
        let message = load(toml).expect_err(toml).to_string();
        assert!(message.contains(key), "{toml}: {message}");
    }
}

#[test]
fn the_log_format_is_peeked_before_the_full_load() {
    let json = file("[log]\nformat = \"json\"\n[[accounts]]\nbroken = true\n");
    let text = file("[log]\nformat = \"text\"\n");
    let invalid = file("[log]\nformat = \"logfmt\"\n");
    let unparsable = file("[log\nformat = \"json\"\n");

    assert_eq!(peek_log_format(json.path()), Some(LogFormat::Json));
    assert_eq!(peek_log_format(text.path()), Some(LogFormat::Text));
    assert_eq!(peek_log_format(invalid.path()), None);
    assert_eq!(peek_log_format(unparsable.path()), None);
    assert_eq!(peek_log_format(Path::new("/nonexistent/config.toml")), None);
}
