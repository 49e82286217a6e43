//! The simulator's TOML config file: `listen`, the policies, the upload lag and the
//! `[[accounts]]`.

use serde::Deserialize;
use uuid::Uuid;

use super::config::{
    seed_from_username, SimAccount, SimulatorConfig, DEFAULT_LOCKOUT_AFTER_FAILURES,
    DEFAULT_LOCKOUT_MINUTES, DEFAULT_SESSION_LIFETIME_MINUTES,
};
use crate::clock::Clock;

/// A parsed simulator config file: the simulator config plus the optional
/// `listen` address used by the `share-simulator` binary.
#[derive(Clone, Debug)]
pub struct ConfigFile {
    /// Top-level `listen` (e.g. `"127.0.0.1:9000"`), if present.
    pub listen: Option<String>,
    /// The simulator configuration.
    pub simulator: SimulatorConfig,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    listen: Option<String>,
    session_lifetime_minutes: Option<u32>,
    lockout_after_failures: Option<u32>,
    lockout_minutes: Option<u32>,
    upload_lag_seconds: Option<u32>,
    upload_lag_jitter_seconds: Option<u32>,
    #[serde(default)]
    accounts: Vec<RawAccount>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    username: String,
    account_id: String,
    password: String,
    #[serde(default)]
    utc_offset_minutes: i32,
    seed: Option<u64>,
    #[serde(default)]
    legacy_format: bool,
}

/// Parses the TOML config file: top-level `listen`, `session_lifetime_minutes`,
/// `lockout_after_failures`, `lockout_minutes`, `upload_lag_seconds`,
/// `upload_lag_jitter_seconds` (both default 0) and `[[accounts]]` tables with
/// `username`, `account_id`, `password`, `utc_offset_minutes` (default 0),
/// `seed` (default derived from the username) and `legacy_format` (default
/// false). Unknown keys are rejected with a message naming the key.
pub fn parse_config_file(s: &str) -> Result<ConfigFile, String> {
    let raw: RawFile = toml::from_str(s).map_err(|e| format!("invalid simulator config: {e}"))?;
    let mut accounts = Vec::with_capacity(raw.accounts.len());
    for (i, a) in raw.accounts.into_iter().enumerate() {
        let account_id = parse_account_id(&a.account_id)
            .map_err(|e| format!("accounts[{i}].account_id: {e}"))?;
        accounts.push(SimAccount {
            seed: a.seed.unwrap_or_else(|| seed_from_username(&a.username)),
            username: a.username,
            account_id,
            password: a.password,
            utc_offset_minutes: a.utc_offset_minutes,
            legacy_format: a.legacy_format,
        });
    }
    let simulator = SimulatorConfig {
        accounts,
        session_lifetime_minutes: raw
            .session_lifetime_minutes
            .unwrap_or(DEFAULT_SESSION_LIFETIME_MINUTES),
        lockout_after_failures: raw
            .lockout_after_failures
            .unwrap_or(DEFAULT_LOCKOUT_AFTER_FAILURES),
        lockout_minutes: raw.lockout_minutes.unwrap_or(DEFAULT_LOCKOUT_MINUTES),
        clock: Clock::system(),
        newest_reading_age_seconds: None,
        upload_lag_seconds: raw.upload_lag_seconds.unwrap_or(0),
        upload_lag_jitter_seconds: raw.upload_lag_jitter_seconds.unwrap_or(0),
    };
    simulator.validate()?;
    Ok(ConfigFile {
        listen: raw.listen,
        simulator,
    })
}

/// Strict 36-character UUID, as Dexcom's Java backend requires.
fn parse_account_id(s: &str) -> Result<Uuid, String> {
    if s.len() != 36 {
        return Err(format!("{s:?} is not a 36-character UUID"));
    }
    Uuid::parse_str(s).map_err(|e| format!("{s:?} is not a UUID: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"
listen = "127.0.0.1:0"
lockout_after_failures = 3
[[accounts]]
username = "a@example.com"
account_id = "11111111-2222-4333-8444-555555555555"
password = "pw"
utc_offset_minutes = 330
"#;

    #[test]
    fn parses_defaults_and_listen() {
        let file = parse_config_file(ONE).unwrap();
        assert_eq!(file.listen.as_deref(), Some("127.0.0.1:0"));
        let c = file.simulator;
        assert_eq!(c.session_lifetime_minutes, 1440);
        assert_eq!(c.lockout_after_failures, 3);
        assert_eq!(c.lockout_minutes, 15);
        assert_eq!(c.accounts[0].utc_offset_minutes, 330);
        assert_eq!(c.accounts[0].seed, seed_from_username("A@example.com"));
        assert!(!c.accounts[0].legacy_format);
        assert_eq!((c.upload_lag_seconds, c.upload_lag_jitter_seconds), (0, 0));
    }

    #[test]
    fn parses_the_upload_lag() {
        let text = format!("upload_lag_seconds = 20\nupload_lag_jitter_seconds = 45\n{ONE}");
        let c = SimulatorConfig::from_toml_str(&text).unwrap();
        assert_eq!(
            (c.upload_lag_seconds, c.upload_lag_jitter_seconds),
            (20, 45)
        );
        let negative = format!("upload_lag_seconds = -1\n{ONE}");
        assert!(SimulatorConfig::from_toml_str(&negative).is_err());
    }

    #[test]
    fn unknown_keys_are_rejected_by_name() {
        let err = SimulatorConfig::from_toml_str("sesion_lifetime_minutes = 3").unwrap_err();
        assert!(err.contains("sesion_lifetime_minutes"), "{err}");
        let bad = ONE.replace("password = \"pw\"", "password = \"pw\"\ncolour = 1");
        let err = SimulatorConfig::from_toml_str(&bad).unwrap_err();
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn rejects_bad_accounts() {
        let bad_id = ONE.replace("11111111-2222-4333-8444-555555555555", "1");
        assert!(SimulatorConfig::from_toml_str(&bad_id).is_err());
        let zero = ONE.replace(
            "11111111-2222-4333-8444-555555555555",
            "00000000-0000-0000-0000-000000000000",
        );
        assert!(SimulatorConfig::from_toml_str(&zero).is_err());
        assert!(SimulatorConfig::from_toml_str("").is_err());
    }
}
