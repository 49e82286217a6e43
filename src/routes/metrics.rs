//! `/metrics`: the service's Prometheus metrics, for loopback clients and holders of a
//! metrics token (see [`crate::metrics::scrape_access`]).

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{get, web, HttpRequest, HttpResponse};

use super::caller::bearer;
use super::responses::MetricsErrors;
use crate::error::ApiError;
use crate::metrics::{Denied, CONTENT_TYPE};
use crate::state::AppState;

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> ApiError {
        match denied {
            Denied::TokenRequired => ApiError::MetricsTokenRequired,
            Denied::TokenInvalid => ApiError::TokenInvalid("the token is not a metrics token"),
            Denied::Forbidden => ApiError::MetricsForbidden,
        }
    }
}

/// Prometheus metrics, in the Prometheus text format 0.0.4.
///
/// Share calls by endpoint and outcome, logins, each account's circuit, cache answers,
/// HTTP requests by route template and status (with latency histograms), the time of each
/// account's newest reading, and, only with `[metrics] glucose = true`, each account's
/// current glucose and trend (absent when the newest reading is older than 10 minutes).
///
/// Open without a token to clients on the service's own host (loopback), unless
/// `[metrics] require_token = true`; from anywhere else it needs one of the
/// `[metrics] tokens` as `Authorization: Bearer <token>`. Failed token attempts count
/// towards the same per-client limit as account tokens. With glucose gauges on, each scrape
/// counts as a request for every account, so that their feeds keep running.
#[utoipa::path(
    operation_id = "getMetrics",
    tag = "service",
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "The metrics", body = String, content_type = "text/plain; version=0.0.4; charset=utf-8"),
        MetricsErrors,
    )
)]
#[get("/metrics")]
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if !state.metrics.enabled {
        return Err(ApiError::NotFound);
    }
    let token = bearer(&req)?;
    let peer = req.peer_addr().map(|a| a.ip());
    state.metrics.access.decide(peer, token)?;
    if state.metrics.glucose {
        // A Grafana dashboard is a client too: without this, the feeds would stop 15
        // minutes after the last other request, and the gauges with them.
        for account in state.accounts.all() {
            state.feeds.watch(account.index);
        }
    }
    let text = match state.metrics.encode() {
        Ok(text) => text,
        Err(e) => {
            log::error!("/metrics: the metrics could not be encoded: {e}");
            return Ok(HttpResponse::InternalServerError().finish());
        }
    };
    Ok(HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .body(text))
}
