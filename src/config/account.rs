//! One `[[accounts]]` entry of the config file.

use std::path::Path;

use serde::Deserialize;
use uuid::Uuid;

use super::{tokens, AccountSettings, ConfigError, Login};
use crate::domain::{AccountName, Region, Secret};
use crate::push::Thresholds;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    name: String,
    username: Option<String>,
    account_id: Option<String>,
    password: Option<String>,
    password_env: Option<String>,
    password_file: Option<String>,
    region: Option<String>,
    base_url: Option<String>,
    allow_plain_http: Option<bool>,
    tokens: Option<Vec<String>>,
    tokens_env: Option<String>,
    tokens_file: Option<String>,
    thresholds: Option<super::thresholds::RawThresholds>,
}

/// Parses entry `index`; errors name the account by its `name` when it has one, else by
/// position, so the user can find it.
pub(super) fn parse(
    index: usize,
    table: toml::Table,
    base_dir: &Path,
    var: &dyn Fn(&str) -> Option<String>,
    thresholds: Thresholds,
) -> Result<AccountSettings, ConfigError> {
    let label = match table.get("name") {
        Some(toml::Value::String(name)) => name.clone(),
        _ => format!("accounts[{index}]"),
    };
    let err = |key: &str, message: String| ConfigError::Account {
        account: label.clone(),
        key: key.to_owned(),
        message,
    };
    check_secret_types(&table).map_err(|(key, message)| err(key, message.to_owned()))?;
    let raw: RawAccount = table.try_into().map_err(|e: toml::de::Error| {
        let message = e.message().to_owned();
        let key = if message.contains("missing field `name`") {
            "name"
        } else {
            "(entry)"
        };
        err(key, message)
    })?;
    let name = AccountName::parse(&raw.name).ok_or_else(|| {
        err(
            "name",
            format!("{:?} must match [a-z0-9_-]{{1,64}}", raw.name),
        )
    })?;
    let login = match (raw.username, raw.account_id) {
        (Some(_), Some(_)) => {
            return Err(err(
                "username",
                "give either `username` or `account_id`, not both".to_owned(),
            ))
        }
        (None, None) => {
            return Err(err(
                "username",
                "give `username` (username, e-mail or +phone) or `account_id`".to_owned(),
            ))
        }
        (Some(username), None) => parse_username(&username).map_err(|m| err("username", m))?,
        (None, Some(id)) => parse_account_id(&id).map_err(|m| err("account_id", m))?,
    };
    let keys = PasswordKeys {
        password: raw.password,
        env: raw.password_env,
        file: raw.password_file,
    };
    let password = read_password(keys, true, base_dir, var)
        .map_err(|(key, m)| err(key, m))?
        .ok_or_else(|| err("password", ONE_PASSWORD.to_owned()))?;
    let region = match raw.region {
        None => Region::default(),
        Some(r) => Region::parse(&r)
            .ok_or_else(|| err("region", format!("{r:?} is not one of us, ous, jp")))?,
    };
    let base_url = raw
        .base_url
        .map(|u| check_base_url(&u, raw.allow_plain_http.unwrap_or(false)).map(|()| u))
        .transpose()
        .map_err(|m| err("base_url", m))?;
    let tokens = tokens::from_keys(raw.tokens, raw.tokens_env, raw.tokens_file, base_dir, var)
        .map_err(|(key, m)| err(key, m))?;
    let thresholds =
        super::thresholds::resolve(raw.thresholds, thresholds).map_err(|m| err("thresholds", m))?;
    Ok(AccountSettings {
        name,
        login,
        password,
        region,
        base_url,
        tokens,
        simulated: false,
        thresholds,
    })
}

/// serde's "invalid type" messages quote the value they got, which for these keys would be
/// a secret; so their types are checked first with messages of our own.
fn check_secret_types(table: &toml::Table) -> Result<(), (&'static str, &'static str)> {
    match table.get("password") {
        None | Some(toml::Value::String(_)) => {}
        Some(_) => return Err(("password", "must be a string")),
    }
    match table.get("tokens") {
        None => Ok(()),
        Some(toml::Value::Array(items)) if items.iter().all(toml::Value::is_str) => Ok(()),
        Some(_) => Err(("tokens", "must be an array of strings")),
    }
}

pub(super) fn parse_username(raw: &str) -> Result<Login, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        Err("is empty".to_owned())
    } else {
        Ok(Login::Username(trimmed.to_owned()))
    }
}

pub(super) fn parse_account_id(raw: &str) -> Result<Login, String> {
    match Uuid::try_parse(raw.trim()) {
        Ok(id) if id.is_nil() => Err("the all-zeros UUID is not an account ID".to_owned()),
        Ok(id) => Ok(Login::AccountId(id)),
        Err(_) => Err(format!(
            "{raw:?} is not a UUID like 5b1e3c55-7d2a-4f0e-9a61-2c4f8d9e0a17"
        )),
    }
}

/// The three keys that can give a password: in the file, by an environment variable's name,
/// or by a file (relative to the config file). Dexcom accounts and `[mqtt]` take theirs alike.
pub(super) struct PasswordKeys {
    pub(super) password: Option<String>,
    pub(super) env: Option<String>,
    pub(super) file: Option<String>,
}

const ONE_PASSWORD: &str = "give exactly one of `password`, `password_env`, `password_file`";

/// The password the keys give (`None` when they give none); `required` only changes the
/// words of the error for keys that give several. Errors are (key at fault, message), and
/// never quote the password.
pub(super) fn read_password(
    keys: PasswordKeys,
    required: bool,
    base_dir: &Path,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Secret<String>>, (&'static str, String)> {
    match (keys.password, keys.env, keys.file) {
        (None, None, None) => Ok(None),
        (Some(p), None, None) => non_empty(p)
            .map(Some)
            .ok_or(("password", "is empty".to_owned())),
        (None, Some(name), None) => {
            let value = var(&name).ok_or_else(|| {
                (
                    "password_env",
                    format!("environment variable {name} is not set"),
                )
            })?;
            non_empty(value).map(Some).ok_or_else(|| {
                (
                    "password_env",
                    format!("environment variable {name} is empty"),
                )
            })
        }
        (None, None, Some(file)) => read_password_file(&base_dir.join(file))
            .map(Some)
            .map_err(|m| ("password_file", m)),
        _ if required => Err(("password", ONE_PASSWORD.to_owned())),
        _ => Err((
            "password",
            "give at most one of `password`, `password_env`, `password_file`".to_owned(),
        )),
    }
}

pub(super) fn read_password_file(path: &Path) -> Result<Secret<String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    // Files written by `echo` or editors end in a newline that is not part of the password.
    let password = text.trim_end_matches(['\n', '\r']).to_owned();
    non_empty(password).ok_or_else(|| format!("{} is empty", path.display()))
}

fn non_empty(password: String) -> Option<Secret<String>> {
    (!password.is_empty()).then(|| Secret::new(password))
}

/// `https://`, or `http://` to this machine (a local simulator or proxy); plain HTTP to any
/// other host sends the Dexcom password unencrypted, so it needs `plain_http_allowed`. No
/// user name or password in the URL.
pub(super) fn check_base_url(url: &str, plain_http_allowed: bool) -> Result<(), String> {
    let (plain, rest) = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(rest), _) => (false, rest),
        (None, Some(rest)) => (true, rest),
        (None, None) => return Err("must start with https:// or http://".to_owned()),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err("must not carry a user name or password".to_owned());
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    if host.is_empty() {
        return Err("names no host".to_owned());
    }
    if plain && !plain_http_allowed && !is_loopback(host) {
        return Err(format!(
            "is plain http:// to {host}, which would send the Dexcom password unencrypted; use \
             https://, or set `allow_plain_http = true` (DEXCOM_ALLOW_PLAIN_HTTP=true) if that \
             is on purpose"
        ));
    }
    Ok(())
}

fn is_loopback(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
