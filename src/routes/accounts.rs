//! `/accounts`: each account's region and link to Share. Never a credential.

use std::sync::Arc;

use actix_web::{get, web, HttpMessage, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::Caller;
use super::query::{FromQuery, QueryParams, TokenQuery};
use super::responses::AccountsErrors;
use super::SimulatedData;
use crate::accounts::{Account, LoginKind};
use crate::domain::Region;
use crate::error::ApiError;
use crate::feed::circuit::CircuitState;
use crate::feed::status::{AccountStatus, SessionPhase};
use crate::feed::Feeds;
use crate::state::AppState;

/// A configured account and the state of its Share session.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "name": "alice", "region": "us", "login": "username", "simulated": false,
    "watched": true, "next_poll_at": "2026-11-26T08:05:19Z", "upload_lag_seconds": 17,
    "newest_reading_at": "2026-11-26T08:00:01Z",
    "session": "active", "logins": 1, "reads": 14,
    "last_success_at": "2026-11-26T08:00:00Z", "last_error": null,
    "circuit": {"state": "closed", "since": "2026-11-26T07:55:00Z", "next_attempt_at": null,
                "last_code": null, "consecutive_failures": 0}
}))]
pub struct AccountView {
    /// The name to pass as `?account=`.
    pub name: String,
    pub region: Region,
    /// What the account logs in with: `username` (username, e-mail or phone) or `account_id`.
    pub login: String,
    /// True for the built-in simulator's demo account: its readings are synthetic, not real.
    pub simulated: bool,
    /// Whether the account's feed runs: a client asked for it within `feed.idle_after_seconds`
    /// (15 min by default). An unwatched account costs no Share call.
    pub watched: bool,
    /// When the feed reads Share next (null while unwatched).
    pub next_poll_at: Option<DateTime<Utc>>,
    /// The learned time from a reading's instant until it can be read from Share, on this
    /// host's clock (negative when this host's clock runs behind the phone's).
    pub upload_lag_seconds: Option<i64>,
    /// The time of the newest reading held, if any.
    pub newest_reading_at: Option<DateTime<Utc>>,
    /// `none` (no session yet, or it ended), `active`, or `login_blocked` (Share rejected the
    /// last login; no login is tried before `login_blocked_until`).
    pub session: String,
    /// Login attempts since the service started.
    pub logins: u64,
    /// Glucose reads sent to Share since the service started.
    pub reads: u64,
    /// When Share last answered a read successfully.
    pub last_success_at: Option<DateTime<Utc>>,
    /// The last failure talking to Share.
    pub last_error: Option<LastError>,
    /// Whether the service currently calls Share for this account.
    pub circuit: CircuitView,
}

/// The per-account circuit that keeps the service from hammering Share.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CircuitView {
    /// `closed` (calls go through), `backing_off` (transient faults: no call before
    /// `next_attempt_at`), or `login_blocked` (Share rejected the credentials or locked the
    /// account: no login before `next_attempt_at`).
    pub state: String,
    /// When the circuit entered this state (null before the first request).
    pub since: Option<DateTime<Utc>>,
    /// The earliest time Share will be called again, while the circuit is open.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last failure's code: Share's own `Code` (e.g. `AccountPasswordInvalid`), or
    /// `timeout`, `connection_failed`, `unreadable_response`, `HTTP <status>`.
    pub last_code: Option<String>,
    /// Failures in a row (rejected logins, or transient faults).
    pub consecutive_failures: u32,
}

/// A past upstream failure, as the `code` and `detail` a request got then.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LastError {
    pub at: DateTime<Utc>,
    pub code: String,
    pub detail: String,
}

impl AccountView {
    fn of(account: &Account, feeds: &Feeds) -> AccountView {
        let snapshot = feeds.latest(account.index);
        let watched = feeds.is_watched(account.index);
        let status = snapshot
            .as_ref()
            .map_or_else(AccountStatus::default, |s| s.status.clone());
        let last_code = status
            .last_error
            .as_ref()
            .and_then(|(_, e)| e.cause())
            .map(|cause| cause.code());
        let last_error = status.last_error.map(|(at, error)| {
            let api = ApiError::Upstream {
                account: account.name.clone(),
                error: error.into(),
            };
            LastError {
                at,
                code: api.code().to_owned(),
                detail: api.to_string(),
            }
        });
        AccountView {
            name: account.name.to_string(),
            region: account.region,
            login: match account.login_kind {
                LoginKind::Username => "username",
                LoginKind::AccountId => "account_id",
            }
            .to_owned(),
            simulated: account.simulated,
            watched,
            next_poll_at: snapshot
                .as_ref()
                .filter(|_| watched)
                .map(|s| s.next_poll_at),
            upload_lag_seconds: snapshot.as_ref().map(|s| s.lag.num_seconds()),
            newest_reading_at: snapshot
                .as_ref()
                .and_then(|s| s.window.newest().map(|r| r.instant())),
            session: match status.phase {
                SessionPhase::None => "none",
                SessionPhase::Active => "active",
                SessionPhase::LoginBlocked => "login_blocked",
            }
            .to_owned(),
            logins: status.logins,
            reads: status.reads,
            last_success_at: status.last_success_at,
            circuit: CircuitView {
                state: match status.circuit {
                    CircuitState::Closed => "closed",
                    CircuitState::BackingOff => "backing_off",
                    CircuitState::LoginBlocked => "login_blocked",
                }
                .to_owned(),
                since: status.circuit_since,
                next_attempt_at: status.next_attempt_at,
                last_code,
                consecutive_failures: status.consecutive_failures,
            },
            last_error,
        }
    }
}

/// The accounts the caller may read, their regions and the state of their Share sessions.
///
/// Without a token: the accounts that need none. With a token: those plus the token's
/// account. A token that opens no account is refused with 401.
#[utoipa::path(
    operation_id = "listAccounts",
    tag = "service",
    params(TokenQuery),
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "The accounts the caller may read", body = [AccountView]),
        AccountsErrors,
    )
)]
#[get("/accounts")]
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::parse(req.query_string())?;
    let caller = Caller::of(&req, &state.accounts, &TokenQuery::from_query(&query)?)?;
    let readable: Vec<&Arc<Account>> = state
        .accounts
        .all()
        .iter()
        .filter(|a| caller.may_read(a))
        .collect();
    if readable.iter().any(|a| a.simulated) {
        req.extensions_mut().insert(SimulatedData);
    }
    let views: Vec<AccountView> = readable
        .into_iter()
        .map(|a| AccountView::of(a, &state.feeds))
        .collect();
    Ok(HttpResponse::Ok().json(views))
}
