//! `/readings`, `/readings/latest`, `/readings/current`: answered from the snapshot the
//! account's feed published, so any mix of queries from any number of clients costs Share
//! nothing beyond the feed's own reads.

use actix_web::{get, web, HttpRequest, HttpResponse};
use utoipa::IntoParams;

use super::answer::{answer, snapshot_to_serve};
use super::query::{AccountQuery, FromQuery, QueryParams, TokenQuery};
use super::resolve_account;
use super::responses::ReadingErrors;
use crate::domain::{MaxCount, Minutes};
use crate::error::ApiError;
use crate::render::{ReadingBody, View};
use crate::state::AppState;

/// The window of `/readings`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WindowQuery {
    /// How far back to look, in minutes.
    #[param(value_type = Option<u16>, minimum = 1, maximum = 1440, default = 1440)]
    pub minutes: Minutes,
    /// The most readings to return.
    #[param(value_type = Option<u16>, minimum = 1, maximum = 288, default = 288)]
    pub max_count: MaxCount,
}

impl FromQuery for WindowQuery {
    fn from_query(query: &QueryParams) -> Result<Self, ApiError> {
        Ok(WindowQuery {
            minutes: query
                .parsed("minutes", Minutes::parse, ApiError::MinutesInvalid)?
                .unwrap_or(Minutes::FULL_DAY),
            max_count: query
                .parsed("max_count", MaxCount::parse, ApiError::MaxCountInvalid)?
                .unwrap_or(MaxCount::FULL_DAY),
        })
    }
}

/// Readings of the last `minutes`, newest first.
///
/// Answered from the account's live feed, which reads Dexcom Share once per new reading (every
/// 5 minutes, shortly after the reading reaches Share). The first request for an account that
/// no client asked for in the last 15 minutes waits for the feed's first read.
///
/// **Caching.** Answers carry a strong `ETag` and `Last-Modified`; `If-None-Match` or
/// `If-Modified-Since` get 304 without a body while the readings and their `stale` flags are
/// unchanged (`age_seconds` counts on: add the seconds since your copy's `Date`).
/// `Cache-Control: private, max-age=<seconds until the next reading is due>`.
///
/// **Stale but honest:** when Share fails and a copy fetched within the last day is held,
/// that copy answers (200, or 204 for `/readings/latest` and `/readings/current`) with
/// `Cache-Status: dexcom-share-proxy; hit; ttl=<negative>; fwd=stale; detail=<error code>`
/// and `Age` (seconds since Share last answered). Windows are always judged against each
/// reading's own time, and every reading carries `age_seconds` and `stale` (true when older
/// than 10 minutes). Only when nothing usable is held does the error status come back.
#[utoipa::path(
    operation_id = "listReadings",
    tag = "readings",
    params(AccountQuery, TokenQuery, WindowQuery),
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "Readings, newest first (may be empty)", body = [ReadingBody], headers(
            ("Cache-Status" = String),
            ("Age" = u64),
            ("ETag" = String, description = "Strong validator of the readings and their `stale` flags"),
        )),
        (status = 304, description = "Not modified since the `If-None-Match` / `If-Modified-Since` given"),
        ReadingErrors,
    )
)]
#[get("/readings")]
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::parse(req.query_string())?;
    // The account first, so that even a rejected query about a simulated account is labelled.
    let account = resolve_account(&req, &state.accounts, &query)?;
    let WindowQuery { minutes, max_count } = WindowQuery::from_query(&query)?;
    let served = snapshot_to_serve(&state, &account).await?;
    let view = View::Readings { minutes, max_count };
    Ok(answer(&req, &state, &account, &served, &view))
}

/// The newest reading of the last 24 hours, or 204 when there is none.
///
/// Served stale, and revalidated, as described for `/readings`.
#[utoipa::path(
    operation_id = "getLatestReading",
    tag = "readings",
    params(AccountQuery, TokenQuery),
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "The newest reading", body = ReadingBody, headers(
            ("Cache-Status" = String),
            ("Age" = u64),
            ("ETag" = String, description = "Strong validator of the reading and its `stale` flag"),
        )),
        (status = 204, description = "No reading in the last 24 hours", headers(
            ("Cache-Status" = String),
            ("Age" = u64),
        )),
        (status = 304, description = "Not modified since the `If-None-Match` / `If-Modified-Since` given"),
        ReadingErrors,
    )
)]
#[get("/readings/latest")]
pub async fn latest(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    single(&req, &state, View::Latest).await
}

/// The newest reading if it was taken in the last 10 minutes, or 204.
///
/// The age is judged by the reading's own time, so a sensor or phone that stopped uploading
/// turns this into 204 after 10 minutes even while Share still answers, and a copy served
/// stale (see `/readings`) turns 204 by the same rule. A reading dated in the future (a wrong
/// clock on the phone) is never served.
#[utoipa::path(
    operation_id = "getCurrentReading",
    tag = "readings",
    params(AccountQuery, TokenQuery),
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "The current reading", body = ReadingBody, headers(
            ("Cache-Status" = String),
            ("Age" = u64),
            ("ETag" = String, description = "Strong validator of the reading"),
        )),
        (status = 204, description = "No reading in the last 10 minutes", headers(
            ("Cache-Status" = String),
            ("Age" = u64),
        )),
        (status = 304, description = "Not modified since the `If-None-Match` / `If-Modified-Since` given"),
        ReadingErrors,
    )
)]
#[get("/readings/current")]
pub async fn current(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    single(&req, &state, View::Current).await
}

/// One reading (200), or 204 when the view finds none.
async fn single(req: &HttpRequest, state: &AppState, view: View) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::parse(req.query_string())?;
    let account = resolve_account(req, &state.accounts, &query)?;
    let served = snapshot_to_serve(state, &account).await?;
    Ok(answer(req, state, &account, &served, &view))
}

#[cfg(test)]
mod tests {
    use super::super::query::documented::{
        assert_documents_what_it_parses, documented_default, documented_maximum,
    };
    use super::*;

    #[test]
    fn the_window_documents_what_it_parses_and_its_bounds() {
        assert_documents_what_it_parses::<WindowQuery>();
        assert_eq!(
            documented_maximum::<WindowQuery>("minutes"),
            Some(f64::from(Minutes::MAX))
        );
        assert_eq!(
            documented_maximum::<WindowQuery>("max_count"),
            Some(f64::from(MaxCount::MAX))
        );
    }

    #[test]
    fn the_window_documents_the_defaults_it_applies() {
        let parsed = WindowQuery::from_query(&QueryParams::parse("").unwrap()).unwrap();
        assert_eq!(
            documented_default::<WindowQuery>("minutes"),
            Some(parsed.minutes.get().into())
        );
        assert_eq!(
            documented_default::<WindowQuery>("max_count"),
            Some(parsed.max_count.get().into())
        );
    }
}
