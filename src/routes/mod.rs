//! HTTP handlers, one file per resource. Every handler is registered through utoipa so none
//! can be missing from the OpenAPI document.

pub mod accounts;
pub mod answer;
mod answer_headers;
pub mod caller;
pub mod health;
pub mod metrics;
pub mod nightscout_facade;
pub mod query;
pub mod readings;
pub mod ready;
pub mod responses;
pub mod stream;

use std::sync::Arc;

use actix_web::{HttpMessage, HttpRequest};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::accounts::{Account, Accounts};
use crate::error::ApiError;
use caller::Caller;
use query::QueryParams;

/// Marks a response whose data comes from the simulator; see [`SIMULATED_HEADER`].
#[derive(Clone, Copy)]
pub struct SimulatedData;

/// Header on every response about a simulated account: its readings are not real.
pub const SIMULATED_HEADER: &str = "x-simulated-data";

/// The paths this service answers with GET, for telling 405 from 404.
pub const GET_PATHS: &[&str] = &[
    "/readings",
    "/readings/latest",
    "/readings/current",
    "/readings/stream",
    "/accounts",
    "/health",
    "/ready",
    "/metrics",
    "/openapi.json",
    "/docs",
];

pub fn configure(config: &mut ServiceConfig) {
    config
        // Matched in this order: the one pollers ask most comes first.
        .service(readings::current)
        .service(readings::latest)
        .service(readings::list)
        .service(stream::stream)
        .service(accounts::list)
        .service(health::health)
        .service(ready::ready)
        .service(metrics::metrics)
        .service(nightscout_facade::entries_json)
        .service(nightscout_facade::sgv_json)
        .service(nightscout_facade::current_json)
        .service(nightscout_facade::status_json)
        .service(nightscout_facade::pebble_summary)
        .service(nightscout_facade::treatments_json);
}

/// The account a request names with `?account=`, else the account of the token it carries,
/// else the only one configured; and only if the caller may read it. This is the one place
/// a request picks its account, so every account-scoped handler is covered by the token check,
/// which happens before any call to Share. The token is checked before the name, and a name
/// no account has is refused like an account the caller may not read (see
/// [`caller::hides_unknown_names`]), so that a caller cannot learn which names exist.
pub fn resolve_account(
    req: &HttpRequest,
    accounts: &Accounts,
    query: &QueryParams,
) -> Result<Arc<Account>, ApiError> {
    let caller = Caller::of(req, accounts, query)?;
    let name = query
        .single("account")
        .map_err(|_| ApiError::QueryInvalid("account is given more than once".to_owned()))?;
    let account = match (name, &caller) {
        (Some(name), _) => accounts
            .find(name)
            .ok_or_else(|| caller.unknown_account(accounts, name))?,
        (None, Caller::Holder(own)) => own,
        (None, Caller::Anonymous) => accounts.single().ok_or_else(|| {
            // Only the names this caller could read: the others are not its business.
            let names: Vec<&str> = accounts
                .all()
                .iter()
                .filter(|a| caller.may_read(a))
                .map(|a| a.name.as_str())
                .collect();
            ApiError::AccountRequired(if names.is_empty() {
                "each needs a token".to_owned()
            } else {
                names.join(", ")
            })
        })?,
    };
    caller.check_read(account)?;
    if account.simulated {
        req.extensions_mut().insert(SimulatedData);
    }
    Ok(Arc::clone(account))
}

/// Everything no route matched: 405 on a known path, else 404, both as problem+json.
pub async fn fallback(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    let path = req.path();
    let single_account = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .is_some_and(|state| state.accounts.single().is_some());
    let facade_path = match path.strip_prefix("/ns/") {
        Some(rest) => rest.find('/').map(|at| &rest[at..]),
        None => single_account.then_some(path),
    };
    let known = GET_PATHS
        .iter()
        .any(|p| path == *p || (*p == "/docs" && path.starts_with("/docs/")))
        || facade_path.is_some_and(|p| nightscout_facade::PATHS.contains(&p));
    Err(if known {
        ApiError::MethodNotAllowed { allow: "GET" }
    } else {
        ApiError::NotFound
    })
}
