//! The Nightscout facade: `/ns/{account}/api/v1/…` and `/ns/{account}/pebble`, plus the same
//! paths at the root when exactly one account is configured. Served from the same feed
//! snapshot as `/readings`, so both always agree.

use actix_web::http::header;
use actix_web::{get, web, HttpMessage, HttpRequest, HttpResponse};
use chrono::SecondsFormat;
use serde_json::json;

use super::answer::{answer, snapshot_to_serve};
use super::caller::{Caller, UnauthorizedAnswer};
use super::query::{FromQuery, QueryParams, TokenQuery};
use super::SimulatedData;
use crate::error::ApiError;
use crate::nightscout_format::pebble::Pebble;
use crate::nightscout_format::{EntriesQuery, SgvEntry};
use crate::push::Thresholds;
use crate::render::View;
use crate::state::AppState;

/// Which entries a path answers.
#[derive(Clone, Copy, Debug)]
pub enum EntriesScope {
    /// `entries`, `entries/sgv`: filtered by `find`, at most `count`.
    Filtered,
    /// `entries/current`: the newest entry only.
    NewestOnly,
}

/// `.json` paths always answer JSON; the bare ones follow `Accept` like Nightscout (JSON only
/// when asked for, else tab-separated text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Negotiated,
}

mod aliases;
mod credentials;
mod errors;
mod params;

pub use aliases::{configure_aliases, document_aliases, ACCOUNT_PREFIX};
use credentials::{named_account, ns_account, ns_caller, Named};
use errors::FacadeErrors;
pub use errors::NightscoutUnauthorized;
pub use params::SECRET_PARAM;
use params::{NsAccountPath, PebbleQuery, SecretQuery};

/// Sensor glucose entries, newest first (Nightscout `GET /api/v1/entries.json`).
///
/// `count` defaults to 10. `find[date][$gt|$gte|$lt|$lte]` (epoch ms) and
/// `find[dateString][…]` (ISO 8601) filter by time. Like `/readings`, answers carry a strong
/// `ETag`, `Last-Modified` (when the entries last changed), `Cache-Control`, `Age` and
/// `Cache-Status` (`fwd=stale` when Share failed and the last good copy is served);
/// `If-None-Match` / `If-Modified-Since` answer 304 while nothing changed.
#[utoipa::path(
    operation_id = "nightscoutListEntries",
    tag = "nightscout",
    security(("bearer" = []), ("api_secret" = []), ()),
    params(NsAccountPath, EntriesQuery, TokenQuery, SecretQuery),
    responses(
        (status = 200, description = "Entries, newest first", body = [SgvEntry], headers(("Cache-Status" = String), ("Age" = u64))),
        (status = 304, description = "Not modified since the `If-None-Match` / `If-Modified-Since` given"),
        FacadeErrors,
    )
)]
#[get("/ns/{account}/api/v1/entries.json")]
pub async fn entries_json(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    entries_response(&req, &state, EntriesScope::Filtered, Format::Json).await
}

/// An array holding the newest entry of the last 24 hours (empty when none).
#[utoipa::path(
    operation_id = "nightscoutGetCurrentEntry",
    tag = "nightscout",
    security(("bearer" = []), ("api_secret" = []), ()),
    params(NsAccountPath, TokenQuery, SecretQuery),
    responses(
        (status = 200, description = "The newest entry, in an array", body = [SgvEntry], headers(("Cache-Status" = String), ("Age" = u64))),
        (status = 304, description = "Not modified since the `If-None-Match` / `If-Modified-Since` given"),
        FacadeErrors,
    )
)]
#[get("/ns/{account}/api/v1/entries/current.json")]
pub async fn current_json(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    entries_response(&req, &state, EntriesScope::NewestOnly, Format::Json).await
}

async fn entries_response(
    req: &HttpRequest,
    state: &AppState,
    scope: EntriesScope,
    format: Format,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(req.query_string())?;
    let query = EntriesQuery::from_query(&params)?;
    let account = ns_account(req, state, &params)?;
    let served = snapshot_to_serve(state, &account).await?;
    let tsv = match format {
        Format::Json => false,
        Format::Negotiated => !accepts_json(req),
    };
    let view = View::Entries {
        query,
        current: matches!(scope, EntriesScope::NewestOnly),
        tsv,
    };
    Ok(answer(req, state, &account, &served, &view))
}

/// Nightscout's status document (no Share call).
///
/// Public, like Nightscout's: `settings.authDefaultRoles` tells clients whether they need a
/// secret (`denied`) or not (`readable`). When some account needs a token, a name no account
/// has is answered exactly like an account that needs one, and to a caller without valid
/// credentials for the account the answer counts as a failed attempt (see 429).
#[utoipa::path(
    operation_id = "nightscoutGetStatus",
    tag = "nightscout",
    params(NsAccountPath),
    responses(
        (status = 200, description = "Server status", body = Object, example = json!({
            "status": "ok", "name": "dexcom-share-proxy", "version": "0.1.0",
            "serverTime": "2026-11-26T08:00:00.000Z", "serverTimeEpoch": 1_795_680_000_000_i64,
            "apiEnabled": true, "careportalEnabled": false, "boluscalcEnabled": false,
            "settings": {"units": "mg/dl", "authDefaultRoles": "readable", "thresholds": {"bgHigh": 260, "bgTargetTop": 180, "bgTargetBottom": 80, "bgLow": 55}},
            "extendedSettings": {}, "authorized": null, "runtimeState": "loaded"
        })),
        (status = 404, description = "`account_not_found` (only when no account needs a token)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, response = super::responses::TooManyAuthFailures),
    )
)]
#[get("/ns/{account}/api/v1/status.json")]
pub async fn status_json(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    status(req, state).await
}

async fn status(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    // Credentials are optional here: wrong ones are the same as none.
    let params = QueryParams::parse(req.query_string()).or_else(|_| QueryParams::parse(""))?;
    let caller = ns_caller(&req, &state.accounts, &params).unwrap_or(Caller::Anonymous);
    let (name, account) = match named_account(&req, &state)? {
        Named::Account(account) => (account.name.to_string(), Some(account)),
        Named::Unknown(name) => (name, None),
    };
    let anonymous_role = account.as_ref().is_some_and(|a| a.access.is_anonymous());
    // An account's own thresholds only to those who may read it: to anyone else every name
    // looks the same.
    let thresholds = match account {
        Some(account) if caller.may_read(&account) => {
            if account.simulated {
                req.extensions_mut().insert(SimulatedData);
            }
            account.thresholds
        }
        _ => {
            req.extensions_mut().insert(UnauthorizedAnswer);
            Thresholds::default()
        }
    };
    let now = state.clock.now();
    Ok(HttpResponse::Ok().json(json!({
        "status": "ok",
        "name": format!("dexcom-share-proxy ({name})"),
        "version": env!("CARGO_PKG_VERSION"),
        "serverTime": now.to_rfc3339_opts(SecondsFormat::Millis, true),
        "serverTimeEpoch": now.timestamp_millis(),
        "apiEnabled": true,
        "careportalEnabled": false,
        "boluscalcEnabled": false,
        "settings": {
            "units": "mg/dl",
            "timeFormat": 24,
            "customTitle": format!("dexcom-share-proxy ({name})"),
            "authDefaultRoles": if anonymous_role { "readable" } else { "denied" },
            "enable": [],
            "thresholds": {
                "bgHigh": thresholds.urgent_high,
                "bgTargetTop": thresholds.high,
                "bgTargetBottom": thresholds.low,
                "bgLow": thresholds.urgent_low,
            },
        },
        "extendedSettings": {},
        "authorized": null,
        "runtimeState": "loaded",
    })))
}

/// Watch-face summary (Nightscout `GET /pebble`): `count` readings (default 1) in `units`
/// (`mgdl`, the default, or `mmol`). `status[0].now` is the second the answer was made; the
/// `ETag` covers everything else, so a 304 says the readings are unchanged.
#[utoipa::path(
    operation_id = "nightscoutGetPebble",
    tag = "nightscout",
    security(("bearer" = []), ("api_secret" = []), ()),
    params(NsAccountPath, PebbleQuery, TokenQuery, SecretQuery),
    responses(
        (status = 200, description = "The summary", body = Pebble, headers(("Cache-Status" = String), ("Age" = u64))),
        (status = 304, description = "Not modified since the `If-None-Match` / `If-Modified-Since` given"),
        FacadeErrors,
    )
)]
#[get("/ns/{account}/pebble")]
pub async fn pebble_summary(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    pebble(req, state).await
}

async fn pebble(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(req.query_string())?;
    let PebbleQuery { count, units } = PebbleQuery::from_query(&params)?;
    let account = ns_account(&req, &state, &params)?;
    let served = snapshot_to_serve(&state, &account).await?;
    let view = View::Pebble { count, units };
    Ok(answer(&req, &state, &account, &served, &view))
}

/// Always `[]`: Share has no treatments, device status or profiles. Served because clients
/// (xDrip+, py-nightscout) ask for them.
#[utoipa::path(
    operation_id = "nightscoutListTreatments",
    tag = "nightscout",
    security(("bearer" = []), ("api_secret" = []), ()),
    params(NsAccountPath, TokenQuery, SecretQuery),
    responses(
        (status = 200, description = "An empty array", body = [Object]),
        FacadeErrors,
    )
)]
#[get("/ns/{account}/api/v1/treatments.json")]
pub async fn treatments_json(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    empty(req, state).await
}

async fn empty(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    ns_account(&req, &state, &QueryParams::parse(req.query_string())?)?;
    Ok(HttpResponse::Ok().json(Vec::<serde_json::Value>::new()))
}

fn accepts_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"))
}
