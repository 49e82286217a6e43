//! What `check-config` prints: what the service would serve, and how, without a secret.
//! Passwords, tokens and the MQTT password are counted or named as present, never shown;
//! usernames and Share URLs stay out too (a username is personal data, and a log collector
//! may keep this output).

use std::fmt;

use super::{Login, Settings};

/// A printable summary of checked settings.
pub struct Summary<'a>(pub &'a Settings);

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let anonymous = if s.anonymous_allowed(s.listen) {
            "allowed for accounts without tokens"
        } else {
            "not allowed"
        };
        writeln!(f, "listen: {} (anonymous reads: {anonymous})", s.listen)?;
        writeln!(f, "accounts ({}):", s.accounts.len())?;
        for account in &s.accounts {
            let login = match account.login {
                Login::Username(_) => "username",
                Login::AccountId(_) => "account ID",
            };
            let upstream = match (account.simulated, &account.base_url) {
                (true, _) => "the built-in simulator (synthetic data)",
                (false, Some(_)) => "a custom base_url",
                (false, None) => "Dexcom Share",
            };
            let t = &account.thresholds;
            writeln!(
                f,
                "  {}: region {}, login by {login}, {} token(s), served from {upstream}, \
                 thresholds {}/{}/{}/{} mg/dL",
                account.name,
                account.region,
                account.tokens.len(),
                t.urgent_low,
                t.low,
                t.high,
                t.urgent_high
            )?;
        }
        match &s.mqtt {
            None => writeln!(f, "mqtt: off")?,
            Some(mqtt) => {
                let accounts = match &mqtt.accounts {
                    None => "every account".to_owned(),
                    Some(names) => names
                        .iter()
                        .map(|n| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                let user = match (&mqtt.username, &mqtt.password) {
                    (None, _) => "no user name",
                    (Some(_), None) => "a user name, no password",
                    (Some(_), Some(_)) => "a user name and a password",
                };
                writeln!(
                    f,
                    "mqtt: {} as client {} with {user}, publishing {accounts} under {}/",
                    mqtt.broker, mqtt.client_id, mqtt.topic_prefix
                )?;
            }
        }
        let origins = &s.cors.allowed_origins;
        if origins.is_empty() {
            writeln!(f, "cors: off")?;
        } else {
            writeln!(f, "cors: {}", origins.join(", "))?;
        }
        writeln!(
            f,
            "log: {}, access log {}",
            s.log_format.as_str(),
            if s.access_log { "on" } else { "off" }
        )?;
        writeln!(
            f,
            "upstream timeout: {} s; shutdown timeout: {} s; event streams: at most {}",
            s.feed.deadline.as_secs(),
            s.shutdown_timeout.as_secs(),
            s.push.max_streams
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_secrets_and_never_shows_them() {
        let var = |name: &str| match name {
            "DEXCOM_USERNAME" => Some("someone@example.com".to_owned()),
            "DEXCOM_PASSWORD" => Some("password-5d1c0e".to_owned()),
            "DEXCOM_TOKENS" => Some("3f9c0d5e1b7a4c2d8e6f,b71e04a9c3d25f8e6a0c5d".to_owned()),
            _ => None,
        };
        let settings = Settings::load(None, &var).expect("valid settings");

        let text = Summary(&settings).to_string();

        assert!(
            text.contains("default: region us, login by username, 2 token(s)"),
            "{text}"
        );
        assert!(text.contains("listen: 127.0.0.1:8080"), "{text}");
        for secret in [
            "someone@example.com",
            "password-5d1c0e",
            "3f9c0d5e1b7a4c2d8e6f",
            "b71e04a9c3d25f8e6a0c5d",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}
