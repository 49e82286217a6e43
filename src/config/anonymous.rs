//! The secure default: an account without tokens may be read anonymously only while the
//! service listens on a loopback address, unless `[auth] allow_anonymous` says otherwise.

use std::net::SocketAddr;

use super::{AccountSettings, ConfigError, Settings};

impl Settings {
    /// Whether accounts without tokens may be read anonymously when serving on `listen`.
    pub fn anonymous_allowed(&self, listen: SocketAddr) -> bool {
        match self.auth.allow_anonymous {
            Some(allowed) => allowed,
            // `::ffff:127.0.0.1` is loopback too; `0.0.0.0` and `::` are not.
            None => listen.ip().to_canonical().is_loopback(),
        }
    }

    /// Whether `account` may be read without a token when serving on `listen`.
    pub fn is_anonymous(&self, account: &AccountSettings, listen: SocketAddr) -> bool {
        account.tokens.is_empty() && self.anonymous_allowed(listen)
    }

    /// Refuses to serve an account without tokens where anonymous reads are not allowed;
    /// the message names the accounts and says how to fix it.
    pub fn check_access(&self, listen: SocketAddr) -> Result<(), ConfigError> {
        if self.anonymous_allowed(listen) {
            return Ok(());
        }
        let open: Vec<&str> = self
            .accounts
            .iter()
            .filter(|a| a.tokens.is_empty())
            .map(|a| a.name.as_str())
            .collect();
        if open.is_empty() {
            return Ok(());
        }
        let why = match self.auth.allow_anonymous {
            Some(false) => {
                "`[auth] allow_anonymous = false` requires a token on every account".to_owned()
            }
            _ => format!(
                "{listen} is not a loopback address, so anyone who can reach it could read \
                 accounts without tokens"
            ),
        };
        Err(ConfigError::Key {
            key: "auth.allow_anonymous".to_owned(),
            message: format!(
                "{why}: account(s) {} have no tokens. Add `tokens` (or `tokens_env`, \
                 `tokens_file`; DEXCOM_TOKENS for the environment account) to each, or set \
                 `[auth] allow_anonymous = true` (DEXCOM_ALLOW_ANONYMOUS=true) if every client \
                 that can reach {listen} may read them",
                open.join(", ")
            ),
        })
    }
}
