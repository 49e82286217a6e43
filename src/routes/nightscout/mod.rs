//! The Nightscout facade: `/ns/{account}/api/v1/…` and `/ns/{account}/pebble`, plus the same
//! paths at the root when exactly one account is configured. Served from the same cached
//! window as `/readings`, so both always agree.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::http::header::{self, HttpDate};
use actix_web::{get, web, HttpMessage, HttpRequest, HttpResponse};
use chrono::{SecondsFormat, Utc};
use serde_json::json;

use super::query::QueryParams;
use super::readings::{headers as freshness_headers, served};
use crate::error::ApiError;
use crate::nightscout::pebble::{self, Pebble, PebbleUnits};
use crate::nightscout::{entries, EntriesQuery, SgvEntry};
use crate::share::ShareClient;
use crate::startup::AppState;

/// Which entries a path asks for.
#[derive(Clone, Copy)]
enum Which {
    /// `entries`, `entries/sgv`: filtered by `find`, at most `count`.
    Filtered,
    /// `entries/current`: the newest entry only.
    Current,
}

/// `.json` paths always answer JSON; the bare ones follow `Accept` like Nightscout (JSON only
/// when asked for, else tab-separated text).
#[derive(Clone, Copy)]
enum Format {
    Json,
    Negotiated,
}

mod access;
mod aliases;
mod docs;

use access::{named_account, ns_account};
pub use aliases::{configure_aliases, PATHS};
pub use docs::NightscoutUnauthorized;
use docs::{EntriesParams, FacadeErrors, NsAccountPath};

/// Sensor glucose entries, newest first (Nightscout `GET /api/v1/entries.json`).
///
/// `count` defaults to 10. `find[date][$gt|$gte|$lt|$lte]` (epoch ms) and
/// `find[dateString][…]` (ISO 8601) filter by time. Also served at
/// `/ns/{account}/api/v1/entries` (tab-separated text unless `Accept` asks for JSON) and, with
/// exactly one account, at the root (`/api/v1/entries.json`, …). `Last-Modified` is the newest
/// entry's time; `If-Modified-Since` answers 304. Like `/readings`, answers carry `Age` and
/// `Cache-Status` (`fwd=stale` when Share failed and the last good copy is served).
#[utoipa::path(
    tag = "nightscout",
    security(("bearer" = []), ("api_secret" = []), ()),
    params(NsAccountPath, EntriesParams),
    responses(
        (status = 200, description = "Entries, newest first", body = [SgvEntry]),
        (status = 304, description = "No entry newer than `If-Modified-Since`"),
        FacadeErrors,
    )
)]
#[get("/ns/{account}/api/v1/entries.json")]
pub async fn entries_json(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: web::Data<ShareClient>,
) -> Result<HttpResponse, ApiError> {
    entries_response(&req, &state, &client, Which::Filtered, Format::Json).await
}

/// SGV entries, newest first (Nightscout `GET /api/v1/entries/sgv.json`); same as `entries.json`.
#[utoipa::path(
    tag = "nightscout",
    security(("bearer" = []), ("api_secret" = []), ()),
    params(NsAccountPath, EntriesParams),
    responses(
        (status = 200, description = "Entries, newest first", body = [SgvEntry]),
        (status = 304, description = "No entry newer than `If-Modified-Since`"),
        FacadeErrors,
    )
)]
#[get("/ns/{account}/api/v1/entries/sgv.json")]
pub async fn sgv_json(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: web::Data<ShareClient>,
) -> Result<HttpResponse, ApiError> {
    entries_response(&req, &state, &client, Which::Filtered, Format::Json).await
}

/// An array holding the newest entry of the last 24 hours (empty when none).
#[utoipa::path(
    tag = "nightscout",
    security(("bearer" = []), ("api_secret" = []), ()),
    params(NsAccountPath),
    responses(
        (status = 200, description = "The newest entry, in an array", body = [SgvEntry]),
        (status = 304, description = "No entry newer than `If-Modified-Since`"),
        FacadeErrors,
    )
)]
#[get("/ns/{account}/api/v1/entries/current.json")]
pub async fn current_json(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: web::Data<ShareClient>,
) -> Result<HttpResponse, ApiError> {
    entries_response(&req, &state, &client, Which::Current, Format::Json).await
}

async fn entries_response(
    req: &HttpRequest,
    state: &AppState,
    client: &ShareClient,
    which: Which,
    format: Format,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(req.query_string())?;
    let query = EntriesQuery::parse(params.pairs()).map_err(ApiError::QueryInvalid)?;
    let account = ns_account(req, state, &params)?;
    let served = served(&account, client).await?;
    let name = account.name.as_str();
    let readings = served.window.readings();
    let selected: Vec<SgvEntry> = match which {
        Which::Current => match served.window.latest(Utc::now()) {
            Some(newest) => entries(name, readings, |r| r.time == newest.time, 1),
            None => Vec::new(),
        },
        Which::Filtered => entries(
            name,
            readings,
            |r| query.matches(r.time.timestamp_millis()),
            query.limit(),
        ),
    };
    let newest = selected.first().map(|e| e.date);
    if let (Some(newest), Some(since)) = (newest, if_modified_since(req)) {
        if newest.div_euclid(1000) <= since {
            return Ok(HttpResponse::NotModified().finish());
        }
    }
    let mut response = freshness_headers(HttpResponse::Ok(), &account, &served, Utc::now());
    if let Some(newest) = newest {
        let time = UNIX_EPOCH + Duration::from_millis(u64::try_from(newest).unwrap_or(0));
        response.insert_header((header::LAST_MODIFIED, HttpDate::from(time)));
    }
    let json = match format {
        Format::Json => true,
        Format::Negotiated => accepts_json(req),
    };
    Ok(if json {
        response.json(selected)
    } else {
        response
            .content_type("text/plain; charset=utf-8")
            .body(crate::nightscout::tsv::render(&selected))
    })
}

/// Nightscout's status document (no Share call).
#[utoipa::path(
    tag = "nightscout",
    params(NsAccountPath),
    responses(
        (status = 200, description = "Server status", body = Object, example = json!({
            "status": "ok", "name": "dexcom-share-proxy", "version": "0.1.0",
            "serverTime": "2026-11-26T08:00:00.000Z", "serverTimeEpoch": 1_795_680_000_000_i64,
            "apiEnabled": true, "careportalEnabled": false, "boluscalcEnabled": false,
            "settings": {"units": "mg/dl", "authDefaultRoles": "readable"},
            "extendedSettings": {}, "authorized": null, "runtimeState": "loaded"
        })),
        (status = 404, description = "`account_not_found`", body = crate::error::Problem, content_type = "application/problem+json"),
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
    // Public, like Nightscout's: it tells clients whether they will need a secret.
    let account = named_account(&req, &state)?;
    let now = Utc::now();
    Ok(HttpResponse::Ok().json(json!({
        "status": "ok",
        "name": format!("dexcom-share-proxy ({})", account.name),
        "version": env!("CARGO_PKG_VERSION"),
        "serverTime": now.to_rfc3339_opts(SecondsFormat::Millis, true),
        "serverTimeEpoch": now.timestamp_millis(),
        "apiEnabled": true,
        "careportalEnabled": false,
        "boluscalcEnabled": false,
        "settings": {
            "units": "mg/dl",
            "timeFormat": 24,
            "customTitle": format!("dexcom-share-proxy ({})", account.name),
            "authDefaultRoles": if account.access.is_anonymous() { "readable" } else { "denied" },
            "enable": [],
        },
        "extendedSettings": {},
        "authorized": null,
        "runtimeState": "loaded",
    })))
}

/// Watch-face summary (Nightscout `GET /pebble`): `count` readings (default 1) in `units`
/// (`mgdl`, the default, or `mmol`).
#[utoipa::path(
    tag = "nightscout",
    security(("bearer" = []), ("api_secret" = []), ()),
    params(
        NsAccountPath,
        ("count" = Option<u32>, Query, description = "How many readings (default 1)", minimum = 1, maximum = 288),
        ("units" = Option<PebbleUnits>, Query, description = "`mgdl` (default) or `mmol`"),
    ),
    responses(
        (status = 200, description = "The summary", body = Pebble),
        FacadeErrors,
    )
)]
#[get("/ns/{account}/pebble")]
pub async fn pebble_summary(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: web::Data<ShareClient>,
) -> Result<HttpResponse, ApiError> {
    pebble(req, state, client).await
}

async fn pebble(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: web::Data<ShareClient>,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(req.query_string())?;
    let count = match params
        .single("count")
        .map_err(|_| ApiError::QueryInvalid("count is given more than once".into()))?
    {
        None => 1,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|c| (1..=288).contains(c))
            .ok_or_else(|| {
                ApiError::QueryInvalid("count must be a whole number from 1 to 288".into())
            })?,
    };
    let mmol = match params
        .single("units")
        .map_err(|_| ApiError::QueryInvalid("units is given more than once".into()))?
    {
        None | Some("mgdl") | Some("mg/dl") => false,
        Some("mmol") | Some("mmol/l") => true,
        Some(_) => return Err(ApiError::QueryInvalid("units must be mgdl or mmol".into())),
    };
    let account = ns_account(&req, &state, &params)?;
    let served = served(&account, &client).await?;
    let now = Utc::now();
    let recent = entries(
        account.name.as_str(),
        served.window.readings(),
        |r| now - r.time.with_timezone(&Utc) <= chrono::Duration::days(1),
        count,
    );
    Ok(
        freshness_headers(HttpResponse::Ok(), &account, &served, now).json(pebble::render(
            &recent,
            mmol,
            now.timestamp_millis(),
        )),
    )
}

/// Always `[]`: Share has no treatments, device status or profiles. Served for
/// `treatments(.json)`, `devicestatus(.json)` and `profile(.json)`, because clients
/// (xDrip+, py-nightscout) ask for them.
#[utoipa::path(
    tag = "nightscout",
    security(("bearer" = []), ("api_secret" = []), ()),
    params(NsAccountPath),
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

/// `If-Modified-Since` in epoch seconds.
fn if_modified_since(req: &HttpRequest) -> Option<i64> {
    let header::IfModifiedSince(date) = req.get_header::<header::IfModifiedSince>()?;
    let time: SystemTime = date.into();
    let seconds = time.duration_since(UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(seconds).ok()
}
