//! From a feed's snapshot to an HTTP answer: which snapshot may be served, and the headers
//! that tell clients and caches how fresh it is and how to revalidate it.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use actix_web::http::header::{self, HttpDate};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

use crate::accounts::Account;
use crate::error::ApiError;
use crate::feed::{Observed, Snapshot, UpstreamError};
use crate::render::validators::second_of;
use crate::render::{Rendered, View};
use crate::share::ShareError;
use crate::state::AppState;

/// The `Cache-Status` header (RFC 9211) and this service's name in it.
const CACHE_STATUS: &str = "cache-status";
const CACHE_NAME: &str = "dexcom-share-proxy";

/// How the snapshot behind an answer stands.
pub enum Freshness {
    /// The request waited for the feed's first snapshot.
    Fetched,
    /// The feed's latest snapshot, from a good read.
    Live,
    /// The last refresh failed (or none came in time); the window is the last good one.
    Stale(Arc<UpstreamError>),
}

pub struct Served {
    pub snapshot: Arc<Snapshot>,
    pub freshness: Freshness,
}

/// The account's snapshot, marking the account watched. A failure with no usable window (one
/// Share answered within the last day) is the API error.
pub async fn served(state: &AppState, account: &Account) -> Result<Served, ApiError> {
    let upstream = |error| ApiError::Upstream {
        account: account.name.clone(),
        error,
    };
    let observed = state.feeds.observe(account.index).await;
    let now = state.clock.now();
    let (snapshot, failure, waited) = match observed {
        Observed::Published { snapshot, waited } => {
            let failure = snapshot.failure.clone();
            (Some(snapshot), failure, waited)
        }
        Observed::NotYet(leftover) => {
            let timeout = ShareError::Timeout {
                seconds: state.feeds.deadline().as_secs(),
            };
            (leftover, Some(Arc::new(timeout.into())), false)
        }
    };
    match (snapshot, failure) {
        (Some(snapshot), None) => Ok(Served {
            snapshot,
            freshness: if waited {
                Freshness::Fetched
            } else {
                Freshness::Live
            },
        }),
        (Some(snapshot), Some(error)) if snapshot.usable(now) => Ok(Served {
            snapshot,
            freshness: Freshness::Stale(error),
        }),
        (_, Some(error)) => Err(upstream(error)),
        (None, None) => Err(upstream(Arc::new(
            ShareError::Timeout {
                seconds: state.feeds.deadline().as_secs(),
            }
            .into(),
        ))),
    }
}

/// Serves `view` of the account from `served`: rendered once, revalidated with `ETag` /
/// `If-None-Match` or `Last-Modified` / `If-Modified-Since` (304, no body).
pub fn answer(
    req: &HttpRequest,
    state: &AppState,
    account: &Account,
    served: &Served,
    view: &View,
) -> HttpResponse {
    let now = state.clock.now();
    let rendered = state.renders.get(
        account.index,
        account.name.as_str(),
        &served.snapshot.window,
        view,
        now,
    );
    let (mut response, body) = if not_modified(req, &rendered) {
        (HttpResponse::NotModified(), None)
    } else {
        match &rendered.body {
            Some(body) => (HttpResponse::Ok(), Some(body.clone())),
            None => (HttpResponse::NoContent(), None),
        }
    };
    let modified = rendered.modified.min(second_of(now));
    response
        .insert_header((header::ETAG, rendered.etag.as_str()))
        .insert_header((header::LAST_MODIFIED, http_date(modified)))
        .insert_header((
            header::CACHE_CONTROL,
            format!("private, max-age={}", max_age(served, &rendered, now)),
        ));
    freshness_headers(&mut response, account, served, now);
    match body {
        Some(body) => response.content_type(rendered.content_type).body(body),
        None => response.finish(),
    }
}

/// `Age` (seconds since Share last answered) and an RFC 9211 `Cache-Status` that says
/// whether the request waited for the feed's first read, was answered from the feed's latest
/// snapshot, or from the last good copy because Share failed.
fn freshness_headers(
    response: &mut actix_web::HttpResponseBuilder,
    account: &Account,
    served: &Served,
    now: DateTime<Utc>,
) {
    let age = served
        .snapshot
        .fetched_at
        .map_or(0, |at| (now - at).num_seconds().max(0));
    let status = match &served.freshness {
        Freshness::Fetched => format!("{CACHE_NAME}; fwd=miss; stored"),
        Freshness::Live => format!(
            "{CACHE_NAME}; hit; ttl={}",
            seconds_until(served.snapshot.reading_due, now)
        ),
        Freshness::Stale(error) => {
            let code = ApiError::Upstream {
                account: account.name.clone(),
                error: Arc::clone(error),
            }
            .code();
            format!(
                "{CACHE_NAME}; hit; ttl={}; fwd=stale; detail={code}",
                -age.max(1)
            )
        }
    };
    response
        .insert_header((header::AGE, age.to_string()))
        .insert_header((CACHE_STATUS, status));
}

/// Until the next reading is due, and never past the moment the body changes by itself (a
/// reading turning stale): 0 when overdue, unknown, or served stale.
fn max_age(served: &Served, rendered: &Rendered, now: DateTime<Utc>) -> i64 {
    if matches!(served.freshness, Freshness::Stale(_)) {
        return 0;
    }
    let due = served.snapshot.reading_due;
    let until = match (due, rendered.expires) {
        (Some(due), Some(expires)) => Some(due.min(expires)),
        (due, None) => due,
        (None, Some(_)) => None,
    };
    seconds_until(until, now)
}

fn seconds_until(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> i64 {
    at.map_or(0, |at| (at - now).num_seconds().max(0))
}

/// `If-None-Match` decides when present (weak comparison, as RFC 9110 says for GET);
/// otherwise `If-Modified-Since`.
fn not_modified(req: &HttpRequest, rendered: &Rendered) -> bool {
    let mut tags = req.headers().get_all(header::IF_NONE_MATCH).peekable();
    if tags.peek().is_some() {
        return tags
            .filter_map(|value| value.to_str().ok())
            .flat_map(|list| list.split(','))
            .map(|tag| tag.trim())
            .any(|tag| tag == "*" || tag.trim_start_matches("W/") == rendered.etag);
    }
    match req.get_header::<header::IfModifiedSince>() {
        Some(header::IfModifiedSince(since)) => {
            let since: std::time::SystemTime = since.into();
            let since = DateTime::<Utc>::from(since);
            rendered.modified <= since
        }
        None => false,
    }
}

/// HTTP dates end with the year 9999 (and the formatter panics past it).
const LAST_HTTP_DATE_MS: i64 = 253_402_300_799_000;

fn http_date(at: DateTime<Utc>) -> HttpDate {
    let ms = at.timestamp_millis().clamp(0, LAST_HTTP_DATE_MS);
    let ms = u64::try_from(ms).unwrap_or(0);
    HttpDate::from(UNIX_EPOCH + Duration::from_millis(ms))
}
