//! `[metrics]`: `/metrics`, who may scrape it, and whether it carries glucose.

use std::path::Path;

use serde::Deserialize;

use super::{tokens, AccountSettings, ConfigError};
use crate::metrics::MetricsSettings;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    enabled: Option<bool>,
    glucose: Option<bool>,
    tokens: Option<Vec<String>>,
    tokens_env: Option<String>,
    tokens_file: Option<String>,
    require_token: Option<bool>,
}

/// Reads the `[metrics]` table (`None`: the defaults). Metrics tokens must differ from every
/// account token, so that a token says what it opens.
pub(super) fn parse(
    table: Option<toml::Table>,
    base_dir: &Path,
    var: &dyn Fn(&str) -> Option<String>,
    accounts: &[AccountSettings],
) -> Result<MetricsSettings, ConfigError> {
    let err = |key: &str, message: String| ConfigError::Key {
        key: format!("metrics.{key}"),
        message,
    };
    let Some(table) = table else {
        return Ok(MetricsSettings::default());
    };
    // serde's "invalid type" message would quote the value: here a token.
    match table.get("tokens") {
        None => {}
        Some(toml::Value::Array(items)) if items.iter().all(toml::Value::is_str) => {}
        Some(_) => return Err(err("tokens", "must be an array of strings".to_owned())),
    }
    let raw: RawMetrics = table
        .try_into()
        .map_err(|e: toml::de::Error| err("(table)", e.message().to_owned()))?;
    let tokens = tokens::from_keys(raw.tokens, raw.tokens_env, raw.tokens_file, base_dir, var)
        .map_err(|(key, m)| err(key, m))?;
    let require_token = raw.require_token.unwrap_or(false);
    if require_token && tokens.is_empty() {
        return Err(err(
            "require_token",
            "is true but no `tokens` (or `tokens_env`, `tokens_file`) are given, so every \
             scrape would be refused"
                .to_owned(),
        ));
    }
    if let Some((position, account)) = tokens.iter().enumerate().find_map(|(i, t)| {
        accounts
            .iter()
            .find(|a| a.tokens.contains(t))
            .map(|a| (i + 1, a))
    }) {
        return Err(err(
            "tokens",
            format!(
                "token #{position} is also a token of account `{}`; a metrics token must \
                 open /metrics only",
                account.name
            ),
        ));
    }
    let defaults = MetricsSettings::default();
    Ok(MetricsSettings {
        enabled: raw.enabled.unwrap_or(defaults.enabled),
        glucose: raw.glucose.unwrap_or(defaults.glucose),
        tokens,
        require_token,
    })
}
