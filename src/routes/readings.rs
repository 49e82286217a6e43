//! `/readings`, `/readings/latest`, `/readings/current`: answered from the account's cached
//! day of readings, so any mix of queries costs at most one Share read per account per TTL.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use std::sync::Arc;

use super::query::QueryParams;
use super::resolve_account;
use crate::accounts::Account;
use crate::domain::{MaxCount, Minutes, Reading};
use crate::error::{ApiError, ReadingErrors};
use crate::share::ShareClient;
use crate::startup::AppState;
use crate::window::Window;

/// A glucose reading, with the same fields and meanings as pydexcom's `GlucoseReading`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "value": 85, "mg_dl": 85, "mmol_l": 4.7, "trend": 4, "trend_direction": "Flat",
    "trend_description": "steady", "trend_arrow": "→",
    "datetime": "2025-04-19T12:43:33.817-04:00"
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
}

impl From<&Reading> for ReadingBody {
    fn from(r: &Reading) -> Self {
        ReadingBody {
            value: r.mg_dl,
            mg_dl: r.mg_dl,
            mmol_l: r.mmol_l(),
            trend: r.trend.number(),
            trend_direction: r.trend.share_name().to_owned(),
            trend_description: r.trend.description().to_owned(),
            trend_arrow: r.trend.arrow().to_owned(),
            datetime: r.time.to_rfc3339(),
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
#[utoipa::path(
    tag = "readings",
    params(ReadingsParams),
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "Readings, newest first (may be empty)", body = [ReadingBody]),
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
    let window = window(&account, &client).await?;
    let body: Vec<ReadingBody> = window
        .recent(Utc::now(), minutes, max_count)
        .iter()
        .map(ReadingBody::from)
        .collect();
    Ok(no_store(HttpResponse::Ok()).json(body))
}

/// The newest reading of the last 24 hours, or 204 when there is none.
#[utoipa::path(
    tag = "readings",
    params(AccountParam),
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "The newest reading", body = ReadingBody),
        (status = 204, description = "No reading in the last 24 hours"),
        ReadingErrors,
    )
)]
#[get("/readings/latest")]
pub async fn latest(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: web::Data<ShareClient>,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::parse(req.query_string())?;
    let account = resolve_account(&req, &state.accounts, &query)?;
    let window = window(&account, &client).await?;
    Ok(one(window.latest(Utc::now())))
}

/// The newest reading if it was taken in the last 10 minutes, or 204.
///
/// The age is judged by the reading's own time, so a sensor or phone that stopped uploading
/// turns this into 204 after 10 minutes even while Share still answers.
#[utoipa::path(
    tag = "readings",
    params(AccountParam),
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "The current reading", body = ReadingBody),
        (status = 204, description = "No reading in the last 10 minutes"),
        ReadingErrors,
    )
)]
#[get("/readings/current")]
pub async fn current(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: web::Data<ShareClient>,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::parse(req.query_string())?;
    let account = resolve_account(&req, &state.accounts, &query)?;
    let window = window(&account, &client).await?;
    Ok(one(window.current(Utc::now())))
}

async fn window(account: &Account, client: &ShareClient) -> Result<Arc<Window>, ApiError> {
    account
        .window(client)
        .await
        .map_err(|error| ApiError::Upstream {
            account: account.name.clone(),
            error,
        })
}

fn one(reading: Option<&Reading>) -> HttpResponse {
    match reading {
        Some(r) => no_store(HttpResponse::Ok()).json(ReadingBody::from(r)),
        None => no_store(HttpResponse::NoContent()).finish(),
    }
}

/// Health data: no shared cache may keep it.
fn no_store(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    builder.insert_header((header::CACHE_CONTROL, "no-store"));
    builder
}
