//! The single `default` account from environment variables (twelve-factor, Docker).

use super::account::{check_base_url, parse_account_id, parse_username, read_password_file};
use super::{tokens, AccountSettings, ConfigError};
use crate::domain::{AccountName, Region, Secret};

const USERNAME: &str = "DEXCOM_USERNAME";
const ACCOUNT_ID: &str = "DEXCOM_ACCOUNT_ID";
const PASSWORD: &str = "DEXCOM_PASSWORD";
const PASSWORD_FILE: &str = "DEXCOM_PASSWORD_FILE";
const REGION: &str = "DEXCOM_REGION";
const BASE_URL: &str = "DEXCOM_BASE_URL";
const ALLOW_PLAIN_HTTP: &str = "DEXCOM_ALLOW_PLAIN_HTTP";
const TOKENS: &str = "DEXCOM_TOKENS";
const TOKENS_FILE: &str = "DEXCOM_TOKENS_FILE";
const ALLOW_ANONYMOUS: &str = "DEXCOM_ALLOW_ANONYMOUS";

/// `DEXCOM_ALLOW_ANONYMOUS` (`true` or `false`), which overrides `[auth] allow_anonymous`.
pub(super) fn allow_anonymous(
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<bool>, ConfigError> {
    match var(ALLOW_ANONYMOUS).as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ConfigError::Env {
            var: ALLOW_ANONYMOUS.to_owned(),
            message: "must be `true` or `false`".to_owned(),
        }),
    }
}

/// `None` when neither `DEXCOM_USERNAME` nor `DEXCOM_ACCOUNT_ID` is set.
pub(super) fn account(
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<AccountSettings>, ConfigError> {
    let get = |name: &str| var(name).filter(|v| !v.is_empty());
    let err = |var: &str, message: &str| ConfigError::Env {
        var: var.to_owned(),
        message: message.to_owned(),
    };
    let login = match (get(USERNAME), get(ACCOUNT_ID)) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(err(
                USERNAME,
                "set DEXCOM_USERNAME or DEXCOM_ACCOUNT_ID, not both",
            ))
        }
        (Some(u), None) => parse_username(&u).map_err(|m| err(USERNAME, &m))?,
        (None, Some(id)) => parse_account_id(&id).map_err(|m| err(ACCOUNT_ID, &m))?,
    };
    let password = match (get(PASSWORD), get(PASSWORD_FILE)) {
        (Some(p), None) => Secret::new(p),
        (None, Some(path)) => {
            read_password_file(path.as_ref()).map_err(|m| err(PASSWORD_FILE, &m))?
        }
        (Some(_), Some(_)) => {
            return Err(err(
                PASSWORD,
                "set DEXCOM_PASSWORD or DEXCOM_PASSWORD_FILE, not both",
            ))
        }
        (None, None) => {
            return Err(err(
                PASSWORD,
                "is not set (or set DEXCOM_PASSWORD_FILE to a file holding it)",
            ))
        }
    };
    let region = match get(REGION) {
        None => Region::default(),
        Some(r) => Region::parse(&r).ok_or_else(|| err(REGION, "must be one of us, ous, jp"))?,
    };
    let tokens = match (get(TOKENS), get(TOKENS_FILE)) {
        (None, None) => Vec::new(),
        (Some(list), None) => {
            tokens::checked(tokens::split_list(&list)).map_err(|m| err(TOKENS, &m))?
        }
        (None, Some(path)) => tokens::read_file(path.as_ref()).map_err(|m| err(TOKENS_FILE, &m))?,
        (Some(_), Some(_)) => {
            return Err(err(
                TOKENS,
                "set DEXCOM_TOKENS or DEXCOM_TOKENS_FILE, not both",
            ))
        }
    };
    let base_url = get(BASE_URL);
    let plain_http_allowed = match get(ALLOW_PLAIN_HTTP).as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(err(ALLOW_PLAIN_HTTP, "must be true or false")),
    };
    if let Some(url) = &base_url {
        check_base_url(url, plain_http_allowed).map_err(|m| err(BASE_URL, &m))?;
    }
    Ok(Some(AccountSettings {
        name: AccountName::parse("default").expect("invariant: `default` is a valid name"),
        login,
        password,
        region,
        base_url,
        tokens,
        simulated: false,
        thresholds: Default::default(),
    }))
}
