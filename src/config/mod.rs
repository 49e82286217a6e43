//! Typed settings: a TOML file plus one optional account from the environment. Every value is
//! checked here, so a mistake stops start-up with a message naming the key and the account.

mod account;
mod anonymous;
mod broker;
mod env;
mod error;
mod feed;
mod login_retry;
mod metrics;
mod mqtt;
mod permissions;
mod push;
mod summary;
mod thresholds;
mod tokens;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use uuid::Uuid;

pub use self::broker::Broker;
pub use self::error::ConfigError;
pub use self::mqtt::MqttSettings;
pub use self::summary::Summary;
pub use self::tokens::MIN_TOKEN_LENGTH;
use crate::domain::{AccountName, Region, Secret};
use crate::feed::FeedSettings;
use crate::logging::LogFormat;
use crate::metrics::MetricsSettings;
use crate::push::{PushSettings, Thresholds};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_TIMEOUT_SECONDS: u64 = 10;
/// In-flight requests get this long to finish after SIGTERM, by default: within Docker's
/// 10-second grace before SIGKILL, with room for the MQTT goodbye.
pub const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS: u64 = 5;
/// Rendered answers may use this much memory in all, by default.
pub const DEFAULT_RENDER_CACHE_BYTES: u64 = 4096 * 1024;

/// Everything the service needs to start.
#[derive(Clone, Debug)]
pub struct Settings {
    pub listen: SocketAddr,
    /// The feeds: cadence, reads, back-offs, and the deadline of a refresh.
    pub feed: FeedSettings,
    /// The most memory rendered answers may use, in bytes.
    pub render_cache_bytes: u64,
    pub accounts: Vec<AccountSettings>,
    pub auth: AuthSettings,
    pub cors: CorsSettings,
    /// Whether every request is logged (`[log] access`; `--access-log`).
    pub access_log: bool,
    /// Text or JSON lines (`[log] format`; `--log-format`).
    pub log_format: LogFormat,
    /// How long in-flight requests may take to finish once a stop is asked for
    /// (`[server] shutdown_timeout_seconds`).
    pub shutdown_timeout: Duration,
    /// Server-Sent Events streams.
    pub push: PushSettings,
    /// `[mqtt]`: publishing to an MQTT broker (Home Assistant); `None`: no MQTT.
    pub mqtt: Option<MqttSettings>,
    /// `[metrics]`: `/metrics` and who may scrape it.
    pub metrics: MetricsSettings,
}

/// `[auth]`: who may read accounts that have no tokens.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// `None`: anonymous reads only while listening on a loopback address. `Some(true)`:
    /// anywhere. `Some(false)`: never, so every account must have tokens.
    pub allow_anonymous: Option<bool>,
    /// Longest delay before answering a client that keeps presenting wrong tokens (0 turns
    /// the slow-down off, e.g. for an API fuzzer run).
    pub failure_delay_max: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            allow_anonymous: None,
            failure_delay_max: crate::auth::MAX_FAILURE_DELAY,
        }
    }
}

/// `[cors]`: browser origins that may call the API from their pages.
#[derive(Clone, Debug, Default)]
pub struct CorsSettings {
    /// Exact origins such as `https://dashboard.example.org`; empty means no CORS at all.
    pub allowed_origins: Vec<String>,
}

/// One Dexcom account to serve.
#[derive(Clone, Debug)]
pub struct AccountSettings {
    pub name: AccountName,
    pub login: Login,
    pub password: Secret<String>,
    pub region: Region,
    pub base_url: Option<String>,
    /// Bearer tokens that may read this account. Empty: anonymous reads, where allowed.
    pub tokens: Vec<Secret<String>>,
    /// Served by the built-in simulator: its data is not real and is labelled as such.
    pub simulated: bool,
    /// Where its values are low or high.
    pub thresholds: Thresholds,
}

/// How the account identifies itself to Share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Login {
    /// Username, e-mail address or phone number (`+<country code><number>`).
    Username(String),
    /// The account's UUID, which skips Share's first login step.
    AccountId(Uuid),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    listen: Option<String>,
    cache: Option<feed::RawCache>,
    upstream: Option<RawUpstream>,
    login: Option<login_retry::RawLogin>,
    feed: Option<feed::RawFeed>,
    auth: Option<RawAuth>,
    cors: Option<RawCors>,
    log: Option<RawLog>,
    server: Option<RawServer>,
    thresholds: Option<thresholds::RawThresholds>,
    push: Option<push::RawPush>,
    // A table, so that its password's type is checked before serde could quote it.
    mqtt: Option<toml::Table>,
    // A table, so that its tokens' type is checked before serde could quote them.
    metrics: Option<toml::Table>,
    #[serde(default)]
    accounts: Vec<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    access: Option<bool>,
    format: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    shutdown_timeout_seconds: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    allow_anonymous: Option<bool>,
    failure_delay_max_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCors {
    #[serde(default)]
    allowed_origins: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUpstream {
    timeout_seconds: Option<u64>,
    pub(super) retry_initial_seconds: Option<u64>,
    pub(super) retry_max_seconds: Option<u64>,
}

impl Settings {
    /// Reads the file (if any), then adds the `default` account the environment describes.
    /// `var` looks up environment variables; tests pass their own.
    pub fn load(
        file: Option<&Path>,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let raw = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?;
                let raw = toml::from_str::<RawFile>(&text).map_err(|e| ConfigError::Parse {
                    path: path.display().to_string(),
                    message: e.message().to_owned(),
                })?;
                if let Some(warning) = permissions::warning(path, holds_secrets(&raw)) {
                    log::warn!("{warning}");
                }
                raw
            }
            None => RawFile {
                listen: None,
                cache: None,
                upstream: None,
                login: None,
                feed: None,
                auth: None,
                cors: None,
                log: None,
                server: None,
                thresholds: None,
                push: None,
                mqtt: None,
                metrics: None,
                accounts: Vec::new(),
            },
        };
        let base_dir = file.and_then(Path::parent).unwrap_or(Path::new("."));
        let thresholds =
            thresholds::resolve(raw.thresholds, Thresholds::default()).map_err(|message| {
                ConfigError::Key {
                    key: "thresholds".to_owned(),
                    message,
                }
            })?;
        let mut accounts = raw
            .accounts
            .into_iter()
            .enumerate()
            .map(|(index, table)| account::parse(index, table, base_dir, var, thresholds))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(mut from_env) = env::account(var)? {
            from_env.thresholds = thresholds;
            accounts.push(from_env);
        }
        check_unique(&accounts)?;
        let mqtt = raw
            .mqtt
            .map(|table| mqtt::parse(table, base_dir, var, &accounts))
            .transpose()?;
        let metrics = metrics::parse(raw.metrics, base_dir, var, &accounts)?;
        let upstream = raw.upstream.unwrap_or_default();
        let retry = login_retry::retry(&upstream)?;
        let login = login_retry::login(raw.login.unwrap_or_default())?;
        let allow_anonymous = match env::allow_anonymous(var)? {
            Some(from_env) => Some(from_env),
            None => raw.auth.as_ref().and_then(|a| a.allow_anonymous),
        };
        let allowed_origins = raw.cors.map(|c| c.allowed_origins).unwrap_or_default();
        for origin in &allowed_origins {
            check_origin(origin)?;
        }
        let feed = feed::feed(raw.feed.unwrap_or_default())?;
        let log_format = match raw.log.as_ref().and_then(|l| l.format.as_deref()) {
            None => LogFormat::default(),
            Some(raw) => LogFormat::parse(raw).ok_or_else(|| ConfigError::Key {
                key: "log.format".to_owned(),
                message: format!("{raw:?} is not `text` or `json`"),
            })?,
        };
        let shutdown_timeout = seconds(
            raw.server.and_then(|s| s.shutdown_timeout_seconds),
            DEFAULT_SHUTDOWN_TIMEOUT_SECONDS,
            1..=300,
            "server.shutdown_timeout_seconds",
        )?;
        Ok(Settings {
            listen: parse_listen(raw.listen.as_deref().unwrap_or(DEFAULT_LISTEN), "listen")?,
            feed: FeedSettings {
                cadence: feed.cadence,
                reach: feed.reach,
                idle_after: feed.idle_after,
                future_tolerance: feed.future_tolerance,
                deadline: seconds(
                    upstream.timeout_seconds,
                    DEFAULT_TIMEOUT_SECONDS,
                    1..=120,
                    "upstream.timeout_seconds",
                )?,
                login,
                retry,
            },
            render_cache_bytes: feed::render_cache_bytes(raw.cache.unwrap_or_default())?,
            accounts,
            auth: AuthSettings {
                allow_anonymous,
                failure_delay_max: match raw.auth.and_then(|a| a.failure_delay_max_ms) {
                    None => crate::auth::MAX_FAILURE_DELAY,
                    Some(ms) if ms <= 60_000 => Duration::from_millis(ms),
                    Some(ms) => {
                        return Err(ConfigError::Key {
                            key: "auth.failure_delay_max_ms".to_owned(),
                            message: format!("{ms} is out of range 0..=60000"),
                        })
                    }
                },
            },
            cors: CorsSettings { allowed_origins },
            access_log: raw.log.and_then(|l| l.access).unwrap_or(false),
            log_format,
            shutdown_timeout,
            push: push::push(raw.push.unwrap_or_default())?,
            mqtt,
            metrics,
        })
    }
}

/// `[log] format` of the file at `path`, read before the logger starts (so that the warnings
/// [`Settings::load`] logs are in that format already). Anything unreadable or invalid is
/// `None` here: the full load reports it.
pub fn peek_log_format(path: &Path) -> Option<LogFormat> {
    let text = std::fs::read_to_string(path).ok()?;
    let table = toml::from_str::<toml::Table>(&text).ok()?;
    let format = table.get("log")?.get("format")?.as_str()?;
    LogFormat::parse(format)
}

/// Inline `password` or `tokens` in the file make its permissions matter.
fn holds_secrets(raw: &RawFile) -> bool {
    raw.accounts
        .iter()
        .any(|a| a.contains_key("password") || a.contains_key("tokens"))
        || raw
            .mqtt
            .as_ref()
            .is_some_and(|m| m.contains_key("password"))
        || raw
            .metrics
            .as_ref()
            .is_some_and(|m| m.contains_key("tokens"))
}

/// An origin is what a browser sends in `Origin`: scheme, host and optional port, no path.
fn check_origin(origin: &str) -> Result<(), ConfigError> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    let valid = rest.is_some_and(|host| {
        !host.is_empty()
            && !host.contains(['/', '?', '#', '*', '@'])
            && host.bytes().all(|b| b.is_ascii_graphic())
    });
    if valid {
        Ok(())
    } else {
        Err(ConfigError::Key {
            key: "cors.allowed_origins".to_owned(),
            message: format!(
                "{origin:?} is not an origin like https://dashboard.example.org (scheme, host, \
                 optional port; no path, no wildcard)"
            ),
        })
    }
}

/// Parses a `host:port` listen address; also used for `--listen`.
pub fn parse_listen(raw: &str, key: &str) -> Result<SocketAddr, ConfigError> {
    raw.parse().map_err(|_| ConfigError::Key {
        key: key.to_owned(),
        message: format!("{raw:?} is not an address like 127.0.0.1:8080"),
    })
}

pub(super) fn seconds(
    value: Option<u64>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
    key: &str,
) -> Result<Duration, ConfigError> {
    bounded(value, default, range, key).map(Duration::from_secs)
}

pub(super) fn bounded(
    value: Option<u64>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
    key: &str,
) -> Result<u64, ConfigError> {
    let value = value.unwrap_or(default);
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError::Key {
            key: key.to_owned(),
            message: format!(
                "{value} is out of range {}..={}",
                range.start(),
                range.end()
            ),
        })
    }
}

/// Names must be unique, and so must tokens: a token must say which account it opens, or a
/// wrong account could not be told from a wrong token.
fn check_unique(accounts: &[AccountSettings]) -> Result<(), ConfigError> {
    for (i, a) in accounts.iter().enumerate() {
        if accounts[..i].iter().any(|b| b.name == a.name) {
            return Err(ConfigError::Account {
                account: a.name.to_string(),
                key: "name".to_owned(),
                message: "two accounts have this name; names must be unique".to_owned(),
            });
        }
        let shared = accounts[..i]
            .iter()
            .find(|b| b.tokens.iter().any(|t| a.tokens.contains(t)));
        if let Some(b) = shared {
            return Err(ConfigError::Account {
                account: a.name.to_string(),
                key: "tokens".to_owned(),
                message: format!(
                    "a token of this account is also a token of account `{}`; each token must \
                     belong to one account",
                    b.name
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

#[cfg(test)]
#[path = "auth_tests.rs"]
mod auth_tests;

#[cfg(test)]
#[path = "ops_tests.rs"]
mod ops_tests;
