//! `[mqtt]`: the broker the service publishes readings to, for Home Assistant's MQTT
//! discovery and any other MQTT client. Absent: no MQTT at all.

use std::path::Path;

use serde::Deserialize;

use super::account::{read_password, PasswordKeys};
use super::broker::{parse_url, Broker};
use super::{AccountSettings, ConfigError};
use crate::domain::{AccountName, Secret};

/// The start of the `client_id` made when the file gives none.
pub const CLIENT_ID_PREFIX: &str = "dexcom-share-proxy";
/// `topic_prefix` when the file gives none.
pub const DEFAULT_TOPIC_PREFIX: &str = "dexcom-share-proxy";
/// `discovery_prefix` when the file gives none (Home Assistant's default).
pub const DEFAULT_DISCOVERY_PREFIX: &str = "homeassistant";

/// Where and how readings are published over MQTT.
#[derive(Clone, Debug)]
pub struct MqttSettings {
    pub broker: Broker,
    pub username: Option<String>,
    /// Sent only with `username` (MQTT 3.1.1 has no password without a user name).
    pub password: Option<Secret<String>>,
    pub client_id: String,
    /// Topics of states and availability start with it.
    pub topic_prefix: String,
    /// Home Assistant's discovery prefix.
    pub discovery_prefix: String,
    /// The accounts published; `None`: every account, including one added later (`--demo`).
    pub accounts: Option<Vec<AccountName>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMqtt {
    url: String,
    username: Option<String>,
    password: Option<String>,
    password_env: Option<String>,
    password_file: Option<String>,
    client_id: Option<String>,
    topic_prefix: Option<String>,
    discovery_prefix: Option<String>,
    accounts: Option<Vec<String>>,
}

/// Reads the `[mqtt]` table; `accounts` are the configured accounts, which `mqtt.accounts`
/// must name.
pub(super) fn parse(
    table: toml::Table,
    base_dir: &Path,
    var: &dyn Fn(&str) -> Option<String>,
    accounts: &[AccountSettings],
) -> Result<MqttSettings, ConfigError> {
    let err = |key: &str, message: String| ConfigError::Key {
        key: format!("mqtt.{key}"),
        message,
    };
    // serde's type errors quote the value, which for this key would be the password.
    if table.get("password").is_some_and(|p| !p.is_str()) {
        return Err(err("password", "must be a string".to_owned()));
    }
    let raw: RawMqtt = table
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError::Key {
            key: "mqtt".to_owned(),
            message: e.message().to_owned(),
        })?;
    let broker = parse_url(&raw.url).map_err(|m| err("url", m))?;
    let username = raw
        .username
        .map(|u| check_username(&u).map(|()| u))
        .transpose()
        .map_err(|m| err("username", m))?;
    let keys = PasswordKeys {
        password: raw.password,
        env: raw.password_env,
        file: raw.password_file,
    };
    let password = read_password(keys, false, base_dir, var).map_err(|(key, m)| err(key, m))?;
    if password.is_some() && username.is_none() {
        return Err(err(
            "password",
            "needs `username`: MQTT sends no password without a user name".to_owned(),
        ));
    }
    let client_id = raw.client_id.unwrap_or_else(|| default_client_id(var));
    check_client_id(&client_id).map_err(|m| err("client_id", m))?;
    let topic_prefix = raw
        .topic_prefix
        .unwrap_or_else(|| DEFAULT_TOPIC_PREFIX.to_owned());
    check_prefix(&topic_prefix).map_err(|m| err("topic_prefix", m))?;
    let discovery_prefix = raw
        .discovery_prefix
        .unwrap_or_else(|| DEFAULT_DISCOVERY_PREFIX.to_owned());
    check_prefix(&discovery_prefix).map_err(|m| err("discovery_prefix", m))?;
    let accounts = raw
        .accounts
        .map(|names| published(&names, accounts))
        .transpose()
        .map_err(|m| err("accounts", m))?;
    Ok(MqttSettings {
        broker,
        username,
        password,
        client_id,
        topic_prefix,
        discovery_prefix,
        accounts,
    })
}

fn check_username(username: &str) -> Result<(), String> {
    if username.is_empty() {
        Err("is empty".to_owned())
    } else if username.len() > 1024 || username.chars().any(char::is_control) {
        Err("must be at most 1024 bytes without control characters".to_owned())
    } else {
        Ok(())
    }
}

/// `dexcom-share-proxy-<host name>`: two services on two hosts of one broker must not share
/// an ID, or each connection would throw the other off. Without a host name, a random suffix
/// (a new one at each start, which a clean session does not mind).
fn default_client_id(var: &dyn Fn(&str) -> Option<String>) -> String {
    let host = var("HOSTNAME")
        .filter(|h| !h.trim().is_empty())
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .unwrap_or_default();
    let mut suffix: String = host
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(64)
        .collect();
    if suffix.trim_matches('-').is_empty() {
        suffix = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    }
    format!("{CLIENT_ID_PREFIX}-{suffix}")
}

/// Brokers accept printable client IDs; two clients with one ID throw each other off.
fn check_client_id(id: &str) -> Result<(), String> {
    if !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(format!(
            "{id:?} must be 1 to 128 printable ASCII characters without spaces"
        ))
    }
}

/// A prefix is one or more topic levels: no wildcard, no empty level, no leading `$`
/// (reserved for the broker's own topics), no spaces.
fn check_prefix(prefix: &str) -> Result<(), String> {
    let problem = if prefix.is_empty() {
        Some("is empty")
    } else if prefix.len() > 256 {
        Some("is longer than 256 bytes")
    } else if prefix.contains(['+', '#']) {
        Some("must not contain the wildcards + or #")
    } else if prefix.split('/').any(str::is_empty) {
        Some("must not start or end with / or contain //")
    } else if prefix.starts_with('$') {
        Some("must not start with $ (topics reserved for the broker)")
    } else if prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("must not contain spaces or control characters")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(format!("{prefix:?} {problem}")),
        None => Ok(()),
    }
}

/// The named accounts, each configured, each once.
fn published(names: &[String], accounts: &[AccountSettings]) -> Result<Vec<AccountName>, String> {
    if names.is_empty() {
        return Err("is empty: leave it out to publish every account, or remove [mqtt]".to_owned());
    }
    let mut chosen: Vec<AccountName> = Vec::with_capacity(names.len());
    for name in names {
        let account = accounts
            .iter()
            .find(|a| a.name.as_str() == name)
            .ok_or_else(|| format!("no account is named {name:?}"))?;
        if chosen.contains(&account.name) {
            return Err(format!("names {name:?} twice"));
        }
        chosen.push(account.name.clone());
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_whole_topic_levels() {
        for good in ["homeassistant", "dexcom-share-proxy", "home/cgm", "ä/b"] {
            assert!(check_prefix(good).is_ok(), "{good}");
        }
        for bad in ["", "/a", "a/", "a//b", "a/+", "#", "$SYS", "a b", "a\u{0}"] {
            assert!(check_prefix(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_default_client_id_names_the_host() {
        let host = |name: &str| (name == "HOSTNAME").then(|| "cgm.home lan\n".to_owned());
        assert_eq!(default_client_id(&host), "dexcom-share-proxy-cgm-home-lan");
        let blank = |name: &str| (name == "HOSTNAME").then(|| " ".to_owned());
        let id = default_client_id(&|name| blank(name));
        assert!(
            id.starts_with("dexcom-share-proxy-") && id.len() > 19,
            "{id}"
        );
        assert!(check_client_id(&id).is_ok(), "{id}");
    }

    #[test]
    fn client_ids_are_printable_ascii() {
        assert!(check_client_id("dexcom-share-proxy").is_ok());
        assert!(check_client_id("").is_err());
        assert!(check_client_id("a b").is_err());
        assert!(check_client_id(&"x".repeat(129)).is_err());
    }
}
