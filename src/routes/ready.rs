//! `/ready`: whether every account's feed has answered once, with readings or with the
//! reason it has none. Unlike `/health`, it tells an orchestrator when to send traffic.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::hides_unknown_names;
use super::responses::ReadyErrors;
use crate::error::ApiError;
use crate::metrics::scrape_access::is_loopback;
use crate::state::AppState;

/// Every account's feed has answered at least once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"status": "ready", "accounts": 2}))]
pub struct Ready {
    /// Always `ready`.
    pub status: String,
    /// How many accounts are configured (all of them answered).
    pub accounts: usize,
}

/// Readiness check.
///
/// 200 once every configured account's feed has published once: readings, or the reason it
/// has none (Share rejected the login, Share unreachable…), which then shows in `/accounts`
/// and in the errors of the readings endpoints. 503 `not_ready` before that. A feed runs
/// only for accounts that clients ask for, so this asks too: the first call starts the feed
/// of every account that has not answered yet (as a request for it would; it stops again
/// after `feed.idle_after_minutes` without requests). The detail names the waiting accounts
/// to clients on the service's host, or when every account may be read without a token;
/// anyone else gets their number. `/health` stays the liveness check.
#[utoipa::path(
    operation_id = "getReady",
    tag = "service",
    responses(
        (status = 200, description = "Every account's feed has answered once", body = Ready),
        ReadyErrors,
    )
)]
#[get("/ready")]
pub async fn ready(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let accounts = state.accounts.all();
    let waiting: Vec<_> = accounts
        .iter()
        .filter(|a| state.feeds.latest(a.index).is_none())
        .collect();
    if waiting.is_empty() {
        return Ok(HttpResponse::Ok().json(Ready {
            status: "ready".to_owned(),
            accounts: accounts.len(),
        }));
    }
    for account in &waiting {
        state.feeds.watch(account.index);
    }
    let peer = req.peer_addr().map(|a| a.ip());
    // Names are shown where they are no secret: /accounts lists them to anyone when no
    // account needs a token.
    let detail = if is_loopback(peer) || !hides_unknown_names(&state.accounts) {
        let names: Vec<&str> = waiting.iter().map(|a| a.name.as_str()).collect();
        format!(
            "waiting for the first answer from Share for account(s) {}",
            names.join(", ")
        )
    } else {
        format!(
            "waiting for the first answer from Share for {} of {} account(s)",
            waiting.len(),
            accounts.len()
        )
    };
    Err(ApiError::NotReady(detail))
}
