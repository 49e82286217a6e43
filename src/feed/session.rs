//! One Share session per account, behind a per-account circuit: the account ID is fetched
//! once and kept, the session is reused until Share says it ended, a login Share rejected is
//! never replayed before its back-off, logins are at least `min_interval` apart, and
//! transient faults pause upstream calls for a jittered, doubling back-off. Only the
//! account's feed task calls it, so no client can cancel a login halfway.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::backoff::{LoginPolicy, RetryPolicy};
use super::circuit::{Circuit, CircuitState};
use super::error::UpstreamError;
use super::status::{LoginOutcomes, SessionPhase, StatusSnapshot};
use crate::clock::{chrono_span, Clock, Tick};
use crate::config::{AccountSettings, Login};
use crate::domain::{AccountName, MaxCount, Minutes, Reading, Secret};
use crate::share::{ShareClient, ShareEndpoint, ShareError};

/// The Share session of one account, and what is needed to open one.
pub struct AccountSession {
    name: AccountName,
    endpoint: ShareEndpoint,
    login: Login,
    password: Secret<String>,
    login_policy: LoginPolicy,
    clock: Clock,
    account_id: Option<Uuid>,
    session_id: Option<Secret<Uuid>>,
    last_login: Option<(Tick, DateTime<Utc>)>,
    // The feed asks again while a login is held back; say so once per held-back login.
    throttle_reported: bool,
    circuit: Circuit,
    /// Login attempts since start (each may be one or two Share calls).
    pub logins: u64,
    /// How the finished ones ended.
    pub login_outcomes: LoginOutcomes,
    /// Glucose reads sent to Share since start (retries included).
    pub reads: u64,
}

impl AccountSession {
    pub fn new(
        settings: &AccountSettings,
        login_policy: LoginPolicy,
        retry_policy: RetryPolicy,
        clock: Clock,
    ) -> Self {
        AccountSession {
            name: settings.name.clone(),
            endpoint: ShareEndpoint::new(settings.region, settings.base_url.clone()),
            login: settings.login.clone(),
            password: settings.password.clone(),
            login_policy: login_policy.clone(),
            clock,
            account_id: None,
            session_id: None,
            last_login: None,
            throttle_reported: false,
            circuit: Circuit::new(login_policy, retry_policy, clock),
            logins: 0,
            login_outcomes: LoginOutcomes::default(),
            reads: 0,
        }
    }

    /// The answer to give without calling Share, while the circuit is open.
    pub fn refusal(&self) -> Option<UpstreamError> {
        self.circuit.refusal()
    }

    /// The earliest moment a call may be made: after an open circuit, and after the minimum
    /// interval since the last login when the next call needs a login.
    pub fn earliest_call(&self) -> Option<Tick> {
        let login_gate = match (&self.session_id, self.last_login) {
            (None, Some((at, _))) => Some(at + self.login_policy.min_interval),
            _ => None,
        };
        self.circuit.open_until().max(login_gate)
    }

    /// Reads glucose values, logging in first if needed. When Share says the session ended,
    /// logs in again (step 2 only) and retries once. The caller settles the outcome with
    /// [`AccountSession::settle`], also when it gave up waiting.
    pub async fn read(
        &mut self,
        client: &ShareClient,
        minutes: Minutes,
        max_count: MaxCount,
    ) -> Result<Vec<Reading>, UpstreamError> {
        if let Some(refused) = self.refusal() {
            return Err(refused);
        }
        let session = match &self.session_id {
            Some(session) => session.clone(),
            None => self.login(client).await?,
        };
        self.reads += 1;
        match client
            .read_glucose(&self.endpoint, &session, minutes, max_count)
            .await
        {
            Err(ShareError::SessionExpired { code }) => {
                log::info!(
                    "account {}: Share session ended ({code}), logging in again",
                    self.name
                );
                self.session_id = None;
                let session = self.login(client).await?;
                self.reads += 1;
                let retried = client
                    .read_glucose(&self.endpoint, &session, minutes, max_count)
                    .await;
                if let Err(ShareError::SessionExpired { code }) = retried {
                    self.session_id = None;
                    return Err(ShareError::SessionRejectedAfterLogin { code }.into());
                }
                Ok(retried?)
            }
            other => Ok(other?),
        }
    }

    /// Closes the circuit after a success; opens it for a back-off after a transient fault.
    pub fn settle<T>(&mut self, result: &Result<T, UpstreamError>) {
        match result {
            Ok(_) => self.circuit.close(),
            Err(UpstreamError::Share(cause)) if !cause.blocks_login() => {
                if let Some(backoff) = self.circuit.transient(cause.clone()) {
                    log::warn!(
                        "account {}: {cause}; no Share call for {} s (failure {} in a row)",
                        self.name,
                        backoff.as_secs(),
                        self.circuit.consecutive_failures()
                    );
                }
            }
            Err(_) => {}
        }
    }

    async fn login(&mut self, client: &ShareClient) -> Result<Secret<Uuid>, UpstreamError> {
        if let Some((last, last_utc)) = self.last_login {
            let interval = self.login_policy.min_interval;
            if self.clock.tick().saturating_sub(last) < interval {
                let until = last_utc + chrono_span(interval);
                if !self.throttle_reported {
                    self.throttle_reported = true;
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
        // Recorded before the call: a login cut off by the refresh deadline may still have
        // reached Dexcom, so it counts towards the minimum interval.
        self.last_login = Some((self.clock.tick(), self.clock.now()));
        self.throttle_reported = false;
        self.logins += 1;
        let result = match self.account_id(client).await {
            Ok(account_id) => {
                client
                    .login_by_id(&self.endpoint, account_id, &self.password)
                    .await
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(session) => {
                self.login_outcomes.ok += 1;
                log::info!("account {}: logged in to Share", self.name);
                self.session_id = Some(session.clone());
                self.circuit.login_accepted();
                Ok(session)
            }
            Err(cause) if cause.blocks_login() => {
                match cause {
                    ShareError::Locked { .. } => self.login_outcomes.locked += 1,
                    _ => self.login_outcomes.rejected += 1,
                }
                let refused = self.circuit.login_rejected(cause);
                if let UpstreamError::LoginBlocked { until, cause } = &refused {
                    log::warn!(
                        "account {}: Share refused the login ({cause}); no new login before \
                         {until}",
                        self.name
                    );
                }
                Err(refused)
            }
            Err(other) => {
                match other {
                    ShareError::Timeout { .. } => self.login_outcomes.timeout += 1,
                    _ => self.login_outcomes.failed += 1,
                }
                log::warn!("account {}: login failed: {other}", self.name);
                Err(other.into())
            }
        }
    }

    /// The account ID, from the config or from Share's first step, which runs only once.
    async fn account_id(&mut self, client: &ShareClient) -> Result<Uuid, ShareError> {
        if let Some(id) = self.account_id {
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
        self.account_id = Some(id);
        Ok(id)
    }

    /// What `/accounts` shows of the session and circuit.
    pub fn status(&self) -> StatusSnapshot {
        let circuit = self.circuit.state();
        StatusSnapshot {
            phase: match (circuit, &self.session_id) {
                (CircuitState::LoginBlocked, _) => SessionPhase::LoginBlocked,
                (_, Some(_)) => SessionPhase::Active,
                _ => SessionPhase::None,
            },
            circuit,
            next_attempt_at: self.circuit.open_until_utc(),
            consecutive_failures: self.circuit.consecutive_failures(),
        }
    }
}
