//! One Share session per account, behind a per-account circuit: the account ID is fetched
//! once and kept, the session is reused until Share says it ended, a login Share rejected is
//! never replayed before its back-off, logins are at least `min_interval` apart, and
//! transient faults pause upstream calls for a jittered, doubling back-off.

use std::sync::Mutex;
use std::time::Instant;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::config::{AccountSettings, Login};
use crate::domain::{AccountName, MaxCount, Minutes, Reading, Secret};
use crate::policy::{random_unit, LoginPolicy, RetryPolicy};
use crate::share::{ShareClient, ShareEndpoint, ShareError};
use crate::status::{AccountStatus, CircuitState, SessionPhase};

/// What the session layer reports: a Share call that failed, or a call it refused to make.
#[derive(Clone, Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error(transparent)]
    Share(#[from] ShareError),
    /// Share rejected a recent login; no login is tried before `until`.
    #[error("no login before {until} after: {cause}")]
    LoginBlocked {
        until: DateTime<Utc>,
        cause: ShareError,
    },
    /// Recent transient faults; no Share call before `until`.
    #[error("Share calls paused until {until} after: {cause}")]
    BackingOff {
        until: DateTime<Utc>,
        cause: ShareError,
    },
    /// A new session is needed but the last login was less than `min_interval` ago.
    #[error("a new Share login is needed, and the last one was too recent; next login at {until}")]
    LoginThrottled { until: DateTime<Utc> },
}

impl UpstreamError {
    /// The Share failure behind this error, if there was one.
    pub fn cause(&self) -> Option<&ShareError> {
        match self {
            UpstreamError::Share(cause)
            | UpstreamError::LoginBlocked { cause, .. }
            | UpstreamError::BackingOff { cause, .. } => Some(cause),
            UpstreamError::LoginThrottled { .. } => None,
        }
    }

    /// When the service will call Share again, if it decided not to now.
    pub fn retry_at(&self) -> Option<DateTime<Utc>> {
        match self {
            UpstreamError::Share(_) => None,
            UpstreamError::LoginBlocked { until, .. }
            | UpstreamError::BackingOff { until, .. }
            | UpstreamError::LoginThrottled { until } => Some(*until),
        }
    }
}

/// The circuit is open: calls are refused until `until`.
struct Open {
    state: CircuitState,
    until: Instant,
    until_utc: DateTime<Utc>,
    cause: ShareError,
}

#[derive(Default)]
struct SessionState {
    account_id: Option<Uuid>,
    session_id: Option<Secret<Uuid>>,
    last_login: Option<(Instant, DateTime<Utc>)>,
    // Requests keep arriving while a login is held back; say so once per held-back login,
    // not once per request (a soak logged 100,000 such lines in 20 minutes).
    throttle_reported: bool,
    rejected_logins: u32,
    transient_failures: u32,
    open: Option<Open>,
}

/// The Share session of one account.
pub struct AccountSession {
    name: AccountName,
    endpoint: ShareEndpoint,
    login: Login,
    password: Secret<String>,
    login_policy: LoginPolicy,
    retry_policy: RetryPolicy,
    // A tokio mutex, held across the Share calls: concurrent callers wait for one login.
    state: tokio::sync::Mutex<SessionState>,
    status: Mutex<AccountStatus>,
}

impl AccountSession {
    pub fn new(
        settings: &AccountSettings,
        login_policy: LoginPolicy,
        retry_policy: RetryPolicy,
    ) -> Self {
        AccountSession {
            name: settings.name.clone(),
            endpoint: ShareEndpoint::new(settings.region, settings.base_url.clone()),
            login: settings.login.clone(),
            password: settings.password.clone(),
            login_policy,
            retry_policy,
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
        let result = match refusal(&state) {
            Some(refused) => Err(refused),
            None => {
                self.read_locked(&mut state, client, minutes, max_count)
                    .await
            }
        };
        self.settle(&mut state, &result);
        let snapshot = snapshot(&state);
        drop(state);
        if let Ok(mut status) = self.status.lock() {
            status.record(snapshot, result.as_ref().err());
        }
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

    /// Closes the circuit after a success; opens it for a back-off after a transient fault.
    fn settle(&self, state: &mut SessionState, result: &Result<Vec<Reading>, UpstreamError>) {
        match result {
            Ok(_) => {
                state.transient_failures = 0;
                state.open = None;
            }
            Err(UpstreamError::Share(cause)) if !cause.blocks_login() => {
                state.transient_failures = state.transient_failures.saturating_add(1);
                let backoff = self
                    .retry_policy
                    .backoff(state.transient_failures, random_unit());
                if !backoff.is_zero() {
                    log::warn!(
                        "account {}: {cause}; no Share call for {} s (failure {} in a row)",
                        self.name,
                        backoff.as_secs(),
                        state.transient_failures
                    );
                }
                state.open = Some(open_for(CircuitState::BackingOff, backoff, cause.clone()));
            }
            Err(_) => {}
        }
    }

    async fn login(
        &self,
        state: &mut SessionState,
        client: &ShareClient,
    ) -> Result<Secret<Uuid>, UpstreamError> {
        if let Some((last, last_utc)) = state.last_login {
            let interval = self.login_policy.min_interval;
            if last.elapsed() < interval {
                let until = last_utc
                    + chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::MAX);
                if !state.throttle_reported {
                    state.throttle_reported = true;
                    log::warn!(
                        "account {}: a new login is needed but the last was under {} s ago; \
                         next login at {until}",
                        self.name,
                        interval.as_secs()
                    );
                }
                return Err(UpstreamError::LoginThrottled { until });
            }
        }
        state.last_login = Some((Instant::now(), Utc::now()));
        state.throttle_reported = false;
        if let Ok(mut status) = self.status.lock() {
            status.logins += 1;
        }
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
                Ok(session)
            }
            Err(cause) if cause.blocks_login() => {
                state.rejected_logins = state.rejected_logins.saturating_add(1);
                let backoff = self
                    .login_policy
                    .rejected_backoff(state.rejected_logins, &cause);
                let open = open_for(CircuitState::LoginBlocked, backoff, cause);
                log::warn!(
                    "account {}: Share refused the login ({}); no new login before {}",
                    self.name,
                    open.cause,
                    open.until_utc
                );
                let refused = UpstreamError::LoginBlocked {
                    until: open.until_utc,
                    cause: open.cause.clone(),
                };
                state.open = Some(open);
                Err(refused)
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
}

fn open_for(state: CircuitState, backoff: std::time::Duration, cause: ShareError) -> Open {
    Open {
        state,
        until: Instant::now() + backoff,
        until_utc: Utc::now()
            + chrono::Duration::from_std(backoff).unwrap_or(chrono::Duration::MAX),
        cause,
    }
}

/// The answer to give without calling Share, while the circuit is open.
fn refusal(state: &SessionState) -> Option<UpstreamError> {
    let open = state.open.as_ref().filter(|o| o.until > Instant::now())?;
    let (until, cause) = (open.until_utc, open.cause.clone());
    Some(match open.state {
        CircuitState::LoginBlocked => UpstreamError::LoginBlocked { until, cause },
        _ => UpstreamError::BackingOff { until, cause },
    })
}

/// What `/accounts` shows of the session and circuit.
fn snapshot(state: &SessionState) -> crate::status::Snapshot {
    let open = state.open.as_ref().filter(|o| o.until > Instant::now());
    crate::status::Snapshot {
        phase: match (open, &state.session_id) {
            (Some(o), _) if o.state == CircuitState::LoginBlocked => SessionPhase::LoginBlocked,
            (_, Some(_)) => SessionPhase::Active,
            _ => SessionPhase::None,
        },
        circuit: open.map_or(CircuitState::Closed, |o| o.state),
        next_attempt_at: open.map(|o| o.until_utc),
        consecutive_failures: state.transient_failures.max(state.rejected_logins),
    }
}
