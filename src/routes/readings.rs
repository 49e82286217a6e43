//! `/readings`, `/readings/latest`, `/readings/current`: answered from the account's cached
//! day of readings, so any mix of queries costs at most one Share read per account per TTL.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse, HttpResponseBuilder};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use std::sync::Arc;

use super::query::QueryParams;
use super::resolve_account;
use super::responses::ReadingErrors;
use crate::accounts::{Account, Freshness, Served};
use crate::domain::{MaxCount, Minutes, Reading};
use crate::error::ApiError;
use crate::share::ShareClient;
use crate::startup::AppState;
use crate::window::{Window, CURRENT_MAX_AGE_MINUTES};

/// The `Cache-Status` header (RFC 9211) and this service's name in it.
const CACHE_STATUS: &str = "cache-status";
const CACHE_NAME: &str = "dexcom-share-proxy";

/// A glucose reading, with the same fields and meanings as pydexcom's `GlucoseReading`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "value": 85, "mg_dl": 85, "mmol_l": 4.7, "trend": 4, "trend_direction": "Flat",
    "trend_description": "steady", "trend_arrow": "→",
    "datetime": "2025-04-19T12:43:33.817-04:00", "age_seconds": 134, "stale": false
}))]
pub struct ReadingBody {
    /// Glucose in mg/dL (same as `mg_dl`).
    pub value: u16,
    /// Glucose in mg/dL; 401 means "HIGH".
    pub mg_dl: u16,
    /// Glucose in mmol/L, `round(value * 0.0555, 1)` exactly as pydexcom computes it.
    pub mmol_l: f64,
    /// Trend number 0–9: 0 none, 1 DoubleUp … 4 Flat … 7 DoubleDown, 8 NotComputable,
    /// 9 RateOutOfRange.
    #[schema(minimum = 0, maximum = 9)]
    pub trend: u8,
    /// Share's name of the trend, e.g. `FortyFiveUp`.
    pub trend_direction: String,
    /// pydexcom's description, e.g. `rising slightly` (empty for trend 0).
    pub trend_description: String,
    /// pydexcom's arrow, e.g. `↗`.
    pub trend_arrow: String,
    /// When the reading was taken (RFC 3339), in the UTC offset Share reported for it.
    pub datetime: String,
    /// Seconds since the reading was taken, when this response was made.
    pub age_seconds: u64,
    /// True when the reading is more than 10 minutes old (`age_seconds` > 600): the same rule
    /// that makes `/readings/current` answer 204.
    pub stale: bool,
}

impl ReadingBody {
    pub fn new(r: &Reading, now: DateTime<Utc>) -> Self {
        let age = (now - r.time.with_timezone(&Utc)).num_seconds().max(0);
        ReadingBody {
            value: r.mg_dl,
            mg_dl: r.mg_dl,
            mmol_l: r.mmol_l(),
            trend: r.trend.number(),
            trend_direction: r.trend.share_name().to_owned(),
            trend_description: r.trend.description().to_owned(),
            trend_arrow: r.trend.arrow().to_owned(),
            datetime: r.time.to_rfc3339(),
            age_seconds: age.unsigned_abs(),
            stale: age > CURRENT_MAX_AGE_MINUTES * 60,
        }
    }
}

/// Parameters of `/readings`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the parameters; the handler parses them itself
pub struct ReadingsParams {
    /// Account name; may be left out when exactly one account is configured or a token is
    /// given (the token's account is meant).
    account: Option<String>,
    /// How far back to look, in minutes.
    #[param(minimum = 1, maximum = 1440, default = 1440)]
    minutes: Option<u16>,
    /// The most readings to return.
    #[param(minimum = 1, maximum = 288, default = 288)]
    max_count: Option<u16>,
    /// An access token, for clients that cannot send `Authorization: Bearer <token>`.
    token: Option<String>,
}

/// Parameters of `/readings/latest` and `/readings/current`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the parameters; the handler parses them itself
pub struct AccountParam {
    /// Account name; may be left out when exactly one account is configured or a token is
    /// given (the token's account is meant).
    account: Option<String>,
    /// An access token, for clients that cannot send `Authorization: Bearer <token>`.
    token: Option<String>,
}

/// Readings of the last `minutes`, newest first.
///
/// Answered from a cached copy of the last 24 hours that is refreshed from Dexcom Share at
/// most once per `cache.ttl_seconds`; readings arrive every 5 minutes.
///
/// **Stale but honest:** when Share fails and a copy fetched within the last day is held,
/// that copy answers (200, or 204 for `/readings/latest` and `/readings/current`) with
/// `Cache-Status: dexcom-share-proxy; hit; ttl=<negative>; fwd=stale; detail=<error code>`
/// and `Age` (seconds since the copy was fetched). Windows are always judged against each
/// reading's own time, and every reading carries `age_seconds` and `stale` (true when older
/// than 10 minutes). Only when nothing usable is held does the error status come back.
#[utoipa::path(
    tag = "readings",
    params(ReadingsParams),
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "Readings, newest first (may be empty)", body = [ReadingBody], headers(
            ("Cache-Status" = String, description = "RFC 9211: `dexcom-share-proxy; fwd=miss; stored` (fetched now), `dexcom-share-proxy; hit; ttl=<seconds left>` (cached), or `dexcom-share-proxy; hit; ttl=<negative>; fwd=stale; detail=<error code>` (Share failed; last good copy)"),
            ("Age" = u64, description = "Seconds since the data was fetched from Share"),
        )),
        ReadingErrors,
    )
)]
#[get("/readings")]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: web::Data<ShareClient>,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::parse(req.query_string())?;
    // The account first, so that even a rejected query about a simulated account is labelled.
    let account = resolve_account(&req, &state.accounts, &query)?;
    let minutes = query
        .parsed("minutes", Minutes::parse, ApiError::MinutesInvalid)?
        .unwrap_or(Minutes::FULL_DAY);
    let max_count = query
        .parsed("max_count", MaxCount::parse, ApiError::MaxCountInvalid)?
        .unwrap_or(MaxCount::FULL_DAY);
    let served = served(&account, &client).await?;
    let now = Utc::now();
    let body: Vec<ReadingBody> = served
        .window
        .recent(now, minutes, max_count)
        .iter()
        .map(|r| ReadingBody::new(r, now))
        .collect();
    Ok(headers(HttpResponse::Ok(), &account, &served, now).json(body))
}

/// The newest reading of the last 24 hours, or 204 when there is none.
///
/// Served stale, as described for `/readings`, when Share fails.
#[utoipa::path(
    tag = "readings",
    params(AccountParam),
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "The newest reading", body = ReadingBody, headers(
            ("Cache-Status" = String, description = "RFC 9211: `dexcom-share-proxy; fwd=miss; stored` (fetched now), `dexcom-share-proxy; hit; ttl=<seconds left>` (cached), or `dexcom-share-proxy; hit; ttl=<negative>; fwd=stale; detail=<error code>` (Share failed; last good copy)"),
            ("Age" = u64, description = "Seconds since the data was fetched from Share"),
        )),
        (status = 204, description = "No reading in the last 24 hours", headers(
            ("Cache-Status" = String, description = "RFC 9211: `dexcom-share-proxy; fwd=miss; stored` (fetched now), `dexcom-share-proxy; hit; ttl=<seconds left>` (cached), or `dexcom-share-proxy; hit; ttl=<negative>; fwd=stale; detail=<error code>` (Share failed; last good copy)"),
            ("Age" = u64, description = "Seconds since the data was fetched from Share"),
        )),
        ReadingErrors,
    )
)]
#[get("/readings/latest")]
pub async fn latest(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: web::Data<ShareClient>,
) -> Result<HttpResponse, ApiError> {
    one(&req, &state, &client, Window::latest).await
}

/// The newest reading if it was taken in the last 10 minutes, or 204.
///
/// The age is judged by the reading's own time, so a sensor or phone that stopped uploading
/// turns this into 204 after 10 minutes even while Share still answers, and a copy served
/// stale (see `/readings`) turns 204 by the same rule.
#[utoipa::path(
    tag = "readings",
    params(AccountParam),
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "The current reading", body = ReadingBody, headers(
            ("Cache-Status" = String, description = "RFC 9211: `dexcom-share-proxy; fwd=miss; stored` (fetched now), `dexcom-share-proxy; hit; ttl=<seconds left>` (cached), or `dexcom-share-proxy; hit; ttl=<negative>; fwd=stale; detail=<error code>` (Share failed; last good copy)"),
            ("Age" = u64, description = "Seconds since the data was fetched from Share"),
        )),
        (status = 204, description = "No reading in the last 10 minutes", headers(
            ("Cache-Status" = String, description = "RFC 9211: `dexcom-share-proxy; fwd=miss; stored` (fetched now), `dexcom-share-proxy; hit; ttl=<seconds left>` (cached), or `dexcom-share-proxy; hit; ttl=<negative>; fwd=stale; detail=<error code>` (Share failed; last good copy)"),
            ("Age" = u64, description = "Seconds since the data was fetched from Share"),
        )),
        ReadingErrors,
    )
)]
#[get("/readings/current")]
pub async fn current(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: web::Data<ShareClient>,
) -> Result<HttpResponse, ApiError> {
    one(&req, &state, &client, Window::current).await
}

/// The account's window, with a Share failure (and no usable stale copy) as the API error.
pub(super) async fn served(account: &Account, client: &ShareClient) -> Result<Served, ApiError> {
    account
        .window(client)
        .await
        .map_err(|error| ApiError::Upstream {
            account: account.name.clone(),
            error,
        })
}

/// One reading picked from the window (200), or 204 when `pick` finds none.
async fn one(
    req: &HttpRequest,
    state: &AppState,
    client: &ShareClient,
    pick: for<'w> fn(&'w Window, DateTime<Utc>) -> Option<&'w Reading>,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::parse(req.query_string())?;
    let account = resolve_account(req, &state.accounts, &query)?;
    let served = served(&account, client).await?;
    let now = Utc::now();
    Ok(match pick(&served.window, now) {
        Some(r) => {
            headers(HttpResponse::Ok(), &account, &served, now).json(ReadingBody::new(r, now))
        }
        None => headers(HttpResponse::NoContent(), &account, &served, now).finish(),
    })
}

/// `Cache-Control: no-store` (health data: no shared cache may keep it), `Age` (seconds since
/// the data was fetched from Share) and an RFC 9211 `Cache-Status` that says whether it was
/// fetched now, served from the cache, or served stale because Share failed.
pub(super) fn headers(
    mut builder: HttpResponseBuilder,
    account: &Account,
    served: &Served,
    now: DateTime<Utc>,
) -> HttpResponseBuilder {
    let age = (now - served.window.fetched_at()).num_seconds().max(0);
    let ttl_left = i64::try_from(account.ttl().as_secs()).unwrap_or(i64::MAX) - age;
    let status = match &served.freshness {
        Freshness::Fetched => format!("{CACHE_NAME}; fwd=miss; stored"),
        Freshness::Cached => format!("{CACHE_NAME}; hit; ttl={ttl_left}"),
        Freshness::Stale(error) => {
            let code = ApiError::Upstream {
                account: account.name.clone(),
                error: Arc::clone(error),
            }
            .code();
            format!(
                "{CACHE_NAME}; hit; ttl={}; fwd=stale; detail={code}",
                ttl_left.min(-1)
            )
        }
    };
    builder
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::AGE, age.to_string()))
        .insert_header((CACHE_STATUS, status));
    builder
}
