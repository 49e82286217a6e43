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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use crate::config::Settings;

    const ACCOUNT: &str = r#"
        [[accounts]]
        name = "alice"
        username = "alice@example.com"
        password = "s3cret"
        tokens = ["alice-token-6f1c2e9d4b"]
    "#;

    fn load(metrics: &str, var: &dyn Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        write!(file, "{metrics}\n{ACCOUNT}").expect("write config");
        Settings::load(Some(file.path()), var).map_err(|e| e.to_string())
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn metrics_are_on_for_loopback_without_glucose_by_default() {
        let settings = load("", &no_env).expect("valid").metrics;
        assert!(settings.enabled && !settings.glucose && !settings.require_token);
        assert!(settings.tokens.is_empty());
    }

    #[test]
    fn every_metrics_key_is_read_and_tokens_stay_out_of_debug() {
        let settings = load(
            r#"
            [metrics]
            enabled = true
            glucose = true
            tokens = ["prometheus-7e3a91c4d2b8"]
            require_token = true
            "#,
            &no_env,
        )
        .expect("valid");
        let metrics = &settings.metrics;
        assert!(metrics.enabled && metrics.glucose && metrics.require_token);
        assert_eq!(metrics.tokens.len(), 1);
        assert!(!format!("{settings:?}").contains("7e3a91c4d2b8"));
        let from_env = load("[metrics]\ntokens_env = \"METRICS_TOKENS\"", &|name| {
            (name == "METRICS_TOKENS")
                .then(|| "prometheus-7e3a91c4d2b8, grafana-agent-0f9d2c71b5".to_owned())
        })
        .expect("valid");
        assert_eq!(from_env.metrics.tokens.len(), 2);
    }

    #[test]
    fn metrics_errors_name_the_key_and_never_the_token() {
        let cases = [
            (
                "[metrics]\ntokens = [\"short-0123\"]",
                "metrics.tokens",
                "short-0123",
            ),
            (
                "[metrics]\ntokens = \"prometheus-7e3a91c4d2b8\"",
                "metrics.tokens",
                "7e3a91",
            ),
            (
                "[metrics]\ntokens = [\"alice-token-6f1c2e9d4b\"]",
                "account `alice`",
                "6f1c2e",
            ),
            (
                "[metrics]\nrequire_token = true",
                "metrics.require_token",
                "\u{0}",
            ),
            (
                "[metrics]\ntokens_env = \"UNSET\"",
                "metrics.tokens_env",
                "\u{0}",
            ),
            ("[metrics]\nglucose = \"yes\"", "metrics.(table)", "\u{0}"),
            ("[metrics]\ntoken = \"x\"", "metrics.(table)", "\u{0}"),
        ];
        for (toml, want, secret) in cases {
            let message = load(toml, &no_env).expect_err(toml);
            assert!(message.contains(want), "{toml}: {message}");
            assert!(!message.contains(secret), "{toml}: {message}");
        }
    }
}
