//! Typed simulator configuration: accounts, session lifetime and lockout policy, the clock
//! and the upload model. The TOML file is parsed in `config_file.rs`.

use uuid::Uuid;

pub use super::config_file::{parse_config_file, ConfigFile};
use crate::clock::Clock;

/// Username of the built-in demo account.
pub const DEMO_USERNAME: &str = "demo@example.com";
/// Password of the built-in demo account.
pub const DEMO_PASSWORD: &str = "demo-password";
/// Account id (UUID) of the built-in demo account.
pub const DEMO_ACCOUNT_ID: &str = "5b1e3c55-7d2a-4f0e-9a61-2c4f8d9e0a17";

pub(super) const DEFAULT_SESSION_LIFETIME_MINUTES: u32 = 1440;
pub(super) const DEFAULT_LOCKOUT_AFTER_FAILURES: u32 = 5;
pub(super) const DEFAULT_LOCKOUT_MINUTES: u32 = 15;

/// Everything the simulator needs to serve: the publisher accounts, the
/// server-side policies (session lifetime, lockout), the clock and when readings appear.
#[derive(Clone, Debug)]
pub struct SimulatorConfig {
    /// Publisher accounts the simulator knows.
    pub accounts: Vec<SimAccount>,
    /// Sessions answer `SessionNotValid` this many minutes after their login.
    pub session_lifetime_minutes: u32,
    /// Consecutive failed logins of one account before it is locked out (0 = never).
    pub lockout_after_failures: u32,
    /// How long a lockout lasts.
    pub lockout_minutes: u32,
    /// Where "now" comes from: reading times, session lifetimes and lockouts all follow it
    /// (durations are simulated minutes). Give the proxy under test the same value.
    /// Not in the TOML file (the `share-simulator` binary has `--speed`).
    pub clock: Clock,
    /// When set (0..=299), each account's trace is placed so that at start (`clock.now()`)
    /// its newest reading time is exactly this many seconds old; the next reading is then
    /// 300 − age seconds away. `None`: a fixed per-account phase derived from the seed.
    /// Not in the TOML file.
    pub newest_reading_age_seconds: Option<u32>,
    /// Seconds between a reading's time and its upload: a read sees a reading only this long
    /// after it was taken (plus the jitter below). TOML `upload_lag_seconds`, default 0.
    pub upload_lag_seconds: u32,
    /// Up to this many more seconds of upload delay, a fixed pseudo-random amount per
    /// reading (from the seed and the slot). TOML `upload_lag_jitter_seconds`, default 0.
    pub upload_lag_jitter_seconds: u32,
}

/// One simulated Dexcom publisher account (its `Debug` output hides the password).
#[derive(Clone)]
pub struct SimAccount {
    /// Username (matched case-insensitively, like an e-mail address).
    pub username: String,
    /// The stable account id returned by `AuthenticatePublisherAccount`.
    pub account_id: Uuid,
    /// The account's password.
    pub password: String,
    /// The wearer's UTC offset carried in `DT` (e.g. -240 → `-0400`).
    pub utc_offset_minutes: i32,
    /// Seed of the synthetic glucose trace.
    pub seed: u64,
    /// Pre-2021 record shapes: `/Date(ms)/` strings and integer trends.
    pub legacy_format: bool,
}

impl SimulatorConfig {
    /// One demo account (`DEMO_USERNAME` / `DEMO_ACCOUNT_ID` / `DEMO_PASSWORD`,
    /// UTC offset -240) and the default policies.
    pub fn demo() -> Self {
        SimulatorConfig {
            accounts: vec![SimAccount::new(
                DEMO_USERNAME,
                parse_uuid_invariant(DEMO_ACCOUNT_ID),
                DEMO_PASSWORD,
                -240,
            )],
            session_lifetime_minutes: DEFAULT_SESSION_LIFETIME_MINUTES,
            lockout_after_failures: DEFAULT_LOCKOUT_AFTER_FAILURES,
            lockout_minutes: DEFAULT_LOCKOUT_MINUTES,
            clock: Clock::system(),
            newest_reading_age_seconds: None,
            upload_lag_seconds: 0,
            upload_lag_jitter_seconds: 0,
        }
    }

    /// Parses a TOML config (see [`parse_config_file`]); a top-level `listen`
    /// key is accepted and ignored here.
    pub fn from_toml_str(s: &str) -> Result<Self, String> {
        parse_config_file(s).map(|file| file.simulator)
    }

    /// Checks cross-field rules: at least one account, unique usernames and
    /// ids, no all-zeros id, non-empty passwords, offsets within ±14 h, a newest
    /// reading age below 5 minutes.
    pub fn validate(&self) -> Result<(), String> {
        if self.accounts.is_empty() {
            return Err("at least one [[accounts]] entry is required".into());
        }
        if self.session_lifetime_minutes == 0 {
            return Err("session_lifetime_minutes must be at least 1".into());
        }
        if self.newest_reading_age_seconds.is_some_and(|a| a >= 300) {
            return Err(
                "newest_reading_age_seconds must be below 300 (one reading per 5 minutes)".into(),
            );
        }
        for (i, a) in self.accounts.iter().enumerate() {
            if a.username.is_empty() || a.password.is_empty() {
                return Err(format!(
                    "accounts[{i}]: username and password must be non-empty"
                ));
            }
            if a.account_id.is_nil() {
                return Err(format!("accounts[{i}]: account_id must not be all zeros"));
            }
            if !(-720..=840).contains(&a.utc_offset_minutes) {
                return Err(format!(
                    "accounts[{i}]: utc_offset_minutes must be within -720..=840"
                ));
            }
            for b in &self.accounts[..i] {
                if b.username.eq_ignore_ascii_case(&a.username) {
                    return Err(format!("accounts[{i}]: duplicate username {}", a.username));
                }
                if b.account_id == a.account_id {
                    return Err(format!(
                        "accounts[{i}]: duplicate account_id {}",
                        a.account_id
                    ));
                }
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for SimAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimAccount")
            .field("username", &self.username)
            .field("account_id", &self.account_id)
            .field("password", &"<redacted>")
            .field("utc_offset_minutes", &self.utc_offset_minutes)
            .field("seed", &self.seed)
            .field("legacy_format", &self.legacy_format)
            .finish()
    }
}

impl SimAccount {
    /// An account in the current (2021+) format with the seed derived from the username.
    pub fn new(username: &str, account_id: Uuid, password: &str, utc_offset_minutes: i32) -> Self {
        SimAccount {
            username: username.to_owned(),
            account_id,
            password: password.to_owned(),
            utc_offset_minutes,
            seed: seed_from_username(username),
            legacy_format: false,
        }
    }
}

fn parse_uuid_invariant(s: &str) -> Uuid {
    Uuid::parse_str(s).expect("invariant: built-in demo account id is a valid UUID")
}

/// FNV-1a over the lower-cased username: a stable default seed.
pub(crate) fn seed_from_username(username: &str) -> u64 {
    username
        .to_lowercase()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_valid() {
        let demo = SimulatorConfig::demo();
        demo.validate().unwrap();
        assert_eq!(demo.accounts[0].account_id.to_string(), DEMO_ACCOUNT_ID);
        assert_eq!(demo.accounts[0].utc_offset_minutes, -240);
        assert_eq!(demo.newest_reading_age_seconds, None);
    }

    #[test]
    fn newest_reading_age_is_below_five_minutes() {
        let mut c = SimulatorConfig::demo();
        c.newest_reading_age_seconds = Some(299);
        c.validate().unwrap();
        c.newest_reading_age_seconds = Some(300);
        assert!(c
            .validate()
            .unwrap_err()
            .contains("newest_reading_age_seconds"));
    }
}
