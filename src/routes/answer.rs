//! From a feed's snapshot to an HTTP answer: which snapshot may be served, and the headers
//! that tell clients and caches how fresh it is and how to revalidate it.

use std::sync::Arc;

use actix_web::body::BoxBody;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

use super::answer_headers::header_values;
use crate::accounts::Account;
use crate::error::ApiError;
use crate::feed::{Observed, Snapshot, UpstreamError};
use crate::metrics::CacheResult;
use crate::render::{Rendered, View};
use crate::share::ShareError;
use crate::state::AppState;

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
pub async fn snapshot_to_serve(state: &AppState, account: &Account) -> Result<Served, ApiError> {
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
/// `If-None-Match` or `Last-Modified` / `If-Modified-Since` (304, no body). This is the hot
/// path of every poller: headers are put in place as values, without parsing them back.
pub fn answer(
    req: &HttpRequest,
    state: &AppState,
    account: &Account,
    served: &Served,
    view: &View,
) -> HttpResponse {
    let now = state.clock.now();
    state.metrics.cache.record(
        account.index,
        match served.freshness {
            Freshness::Fetched => CacheResult::Miss,
            Freshness::Live => CacheResult::Hit,
            Freshness::Stale(_) => CacheResult::Stale,
        },
    );
    let rendered = state.renders.get(
        account.index,
        account.name.as_str(),
        &served.snapshot.window,
        view,
        now,
    );
    let (status, body) = if not_modified(req, &rendered) {
        (StatusCode::NOT_MODIFIED, None)
    } else {
        match &rendered.body {
            Some(body) => (StatusCode::OK, Some(body.clone())),
            None => (StatusCode::NO_CONTENT, None),
        }
    };
    let mut response = HttpResponse::new(status);
    let headers = response.headers_mut();
    for (name, value) in header_values(account, served, &rendered, now) {
        headers.insert(name, value);
    }
    match body {
        Some(body) => {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(rendered.content_type),
            );
            response.set_body(BoxBody::new(body))
        }
        None => response,
    }
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
            .any(|tag| tag == "*" || tag.trim_start_matches("W/").as_bytes() == rendered.etag);
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
