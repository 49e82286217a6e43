//! One Share session per account: the account ID is fetched once and kept, the session is
//! reused until Share says it ended, and a login Share rejected is never replayed before its
//! back-off has passed.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::config::{AccountSettings, Login};
use crate::domain::{AccountName, MaxCount, Minutes, Reading, Secret};
use crate::share::{ShareClient, ShareEndpoint, ShareError};
use crate::status::{AccountStatus, SessionPhase};

/// What the session layer reports: a Share failure, or a refusal to call Share at all.
#[derive(Clone, Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error(transparent)]
    Share(#[from] ShareError),
    /// A recent login was rejected; no login is tried before `until`.
    #[error("login paused until {until} after: {cause}")]
    LoginBlocked {
        until: DateTime<Utc>,
        cause: ShareError,
    },
}

const FIRST_LOGIN_BACKOFF: Duration = Duration::from_secs(5 * 60);
const MAX_LOGIN_BACKOFF: Duration = Duration::from_secs(60 * 60);
const LOCKOUT_BACKOFF: Duration = Duration::from_secs(30 * 60);

/// How long to wait before the next login after `rejections` rejected logins in a row:
/// doubling from 5 min to 1 h, and at least 30 min once Share has locked the account.
pub fn login_backoff(rejections: u32, cause: &ShareError) -> Duration {
    let doublings = rejections.saturating_sub(1).min(10);
    let backoff = FIRST_LOGIN_BACKOFF
        .saturating_mul(1 << doublings)
        .min(MAX_LOGIN_BACKOFF);
    if matches!(cause, ShareError::Locked { .. }) {
        backoff.max(LOCKOUT_BACKOFF)
    } else {
        backoff
    }
}

struct LoginBlock {
    until: Instant,
    until_utc: DateTime<Utc>,
    cause: ShareError,
}

#[derive(Default)]
struct SessionState {
    account_id: Option<Uuid>,
    session_id: Option<Secret<Uuid>>,
    rejected_logins: u32,
    block: Option<LoginBlock>,
}

/// The Share session of one account.
pub struct AccountSession {
    name: AccountName,
    endpoint: ShareEndpoint,
    login: Login,
    password: Secret<String>,
    // A tokio mutex, held across the Share calls: concurrent callers wait for one login.
    state: tokio::sync::Mutex<SessionState>,
    status: Mutex<AccountStatus>,
}

impl AccountSession {
    pub fn new(settings: &AccountSettings) -> Self {
        AccountSession {
            name: settings.name.clone(),
            endpoint: ShareEndpoint::new(settings.region, settings.base_url.clone()),
            login: settings.login.clone(),
            password: settings.password.clone(),
            state: tokio::sync::Mutex::new(SessionState::default()),
            status: Mutex::new(AccountStatus::default()),
        }
    }

    /// A snapshot for `/accounts`.
    pub fn status(&self) -> AccountStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Reads glucose values, logging in first if needed. When Share says the session ended,
    /// logs in again (step 2 only) and retries once.
    pub async fn read(
        &self,
        client: &ShareClient,
        minutes: Minutes,
        max_count: MaxCount,
    ) -> Result<Vec<Reading>, UpstreamError> {
        let mut state = self.state.lock().await;
        let result = self
            .read_locked(&mut state, client, minutes, max_count)
            .await;
        let phase = match (&state.block, &state.session_id) {
            (Some(block), _) if block.until > Instant::now() => SessionPhase::LoginBlocked,
            (_, Some(_)) => SessionPhase::Active,
            _ => SessionPhase::None,
        };
        let blocked_until = state.block.as_ref().map(|b| b.until_utc);
        drop(state);
        self.update_status(|s| s.record(phase, blocked_until, result.as_ref().err()));
        result
    }

    async fn read_locked(
        &self,
        state: &mut SessionState,
        client: &ShareClient,
        minutes: Minutes,
        max_count: MaxCount,
    ) -> Result<Vec<Reading>, UpstreamError> {
        let session = match &state.session_id {
            Some(session) => session.clone(),
            None => self.login(state, client).await?,
        };
        match client
            .read_glucose(&self.endpoint, &session, minutes, max_count)
            .await
        {
            Err(ShareError::SessionExpired { code }) => {
                log::info!(
                    "account {}: Share session ended ({code}), logging in again",
                    self.name
                );
                state.session_id = None;
                let session = self.login(state, client).await?;
                let retried = client
                    .read_glucose(&self.endpoint, &session, minutes, max_count)
                    .await;
                if let Err(ShareError::SessionExpired { code }) = retried {
                    state.session_id = None;
                    return Err(ShareError::SessionRejectedAfterLogin { code }.into());
                }
                Ok(retried?)
            }
            other => Ok(other?),
        }
    }

    async fn login(
        &self,
        state: &mut SessionState,
        client: &ShareClient,
    ) -> Result<Secret<Uuid>, UpstreamError> {
        if let Some(block) = &state.block {
            if Instant::now() < block.until {
                return Err(UpstreamError::LoginBlocked {
                    until: block.until_utc,
                    cause: block.cause.clone(),
                });
            }
        }
        self.update_status(|s| s.logins += 1);
        let result = match self.account_id(state, client).await {
            Ok(account_id) => {
                client
                    .login_by_id(&self.endpoint, account_id, &self.password)
                    .await
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(session) => {
                log::info!("account {}: logged in to Share", self.name);
                state.session_id = Some(session.clone());
                state.rejected_logins = 0;
                state.block = None;
                Ok(session)
            }
            Err(cause) if cause.blocks_login() => {
                state.rejected_logins += 1;
                let backoff = login_backoff(state.rejected_logins, &cause);
                let until_utc = Utc::now()
                    + chrono::Duration::from_std(backoff).unwrap_or(chrono::Duration::MAX);
                log::warn!(
                    "account {}: Share refused the login ({cause}); no new login before {until_utc}",
                    self.name
                );
                state.block = Some(LoginBlock {
                    until: Instant::now() + backoff,
                    until_utc,
                    cause: cause.clone(),
                });
                Err(UpstreamError::LoginBlocked {
                    until: until_utc,
                    cause,
                })
            }
            Err(other) => {
                log::warn!("account {}: login failed: {other}", self.name);
                Err(other.into())
            }
        }
    }

    /// The account ID, from the config or from Share's first step, which runs only once.
    async fn account_id(
        &self,
        state: &mut SessionState,
        client: &ShareClient,
    ) -> Result<Uuid, ShareError> {
        if let Some(id) = state.account_id {
            return Ok(id);
        }
        let id = match &self.login {
            Login::AccountId(id) => *id,
            Login::Username(username) => {
                client
                    .authenticate(&self.endpoint, username, &self.password)
                    .await?
            }
        };
        state.account_id = Some(id);
        Ok(id)
    }

    fn update_status(&self, change: impl FnOnce(&mut AccountStatus)) {
        if let Ok(mut status) = self.status.lock() {
            change(&mut status);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected() -> ShareError {
        ShareError::CredentialsRejected {
            code: "AccountPasswordInvalid".into(),
        }
    }

    #[test]
    fn login_backoff_doubles_from_5_minutes_to_an_hour() {
        let minutes: Vec<u64> = (1..=6)
            .map(|n| login_backoff(n, &rejected()).as_secs() / 60)
            .collect();
        assert_eq!(minutes, [5, 10, 20, 40, 60, 60]);
        assert_eq!(login_backoff(u32::MAX, &rejected()).as_secs(), 3600);
    }

    #[test]
    fn a_lockout_waits_at_least_30_minutes() {
        let locked = ShareError::Locked {
            code: "SSO_AuthenticateMaxAttemptsExceeed".into(),
        };
        assert_eq!(login_backoff(1, &locked).as_secs(), 30 * 60);
        assert_eq!(login_backoff(5, &locked).as_secs(), 60 * 60);
    }
}
