//! From a feed's snapshot to an HTTP answer: which snapshot may be served, and the headers
//! that tell clients and caches how fresh it is and how to revalidate it.

use std::cell::RefCell;
use std::sync::Arc;

use actix_web::body::BoxBody;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

use crate::accounts::Account;
use crate::error::ApiError;
use crate::feed::{Observed, Snapshot, UpstreamError};
use crate::render::validators::second_of;
use crate::render::{http_date, Rendered, View};
use crate::share::ShareError;
use crate::state::AppState;

/// The `Cache-Status` header (RFC 9211), with this service's name in its values.
const CACHE_STATUS: HeaderName = HeaderName::from_static("cache-status");
const FETCHED: &str = "dexcom-share-proxy; fwd=miss; stored";
const HIT: &str = "dexcom-share-proxy; hit";
const HIT_TTL: &str = "dexcom-share-proxy; hit; ttl=";

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

/// The validators and freshness headers of one answer.
type Headers = [(HeaderName, HeaderValue); 5];

/// The headers of the last live answer each worker thread made: pollers ask the same thing
/// many times a second, and these only change with the second, the render or the snapshot.
struct Made {
    rendered: Arc<Rendered>,
    snapshot: Arc<Snapshot>,
    second: i64,
    headers: Headers,
}

thread_local! {
    static MADE: RefCell<Option<Made>> = const { RefCell::new(None) };
}

/// `ETag`, `Last-Modified`, `Cache-Control`, `Age` and `Cache-Status` for `rendered` served
/// from `served` at `now`.
fn header_values(
    account: &Account,
    served: &Served,
    rendered: &Arc<Rendered>,
    now: DateTime<Utc>,
) -> Headers {
    let live = matches!(served.freshness, Freshness::Live);
    let second = now.timestamp();
    let same = |made: &Made| {
        made.second == second
            && Arc::ptr_eq(&made.rendered, rendered)
            && Arc::ptr_eq(&made.snapshot, &served.snapshot)
    };
    if live {
        let made = MADE.with(|made| {
            made.borrow()
                .as_ref()
                .filter(|m| same(m))
                .map(|m| m.headers.clone())
        });
        if let Some(headers) = made {
            return headers;
        }
    }
    let etag = HeaderValue::from_maybe_shared(rendered.etag.clone());
    let last_modified = match &rendered.last_modified {
        Some(text) => HeaderValue::from_maybe_shared(text.clone()),
        None => HeaderValue::from_str(&http_date(rendered.modified.min(second_of(now)))),
    };
    let age = served
        .snapshot
        .fetched_at
        .map_or(0, |at| (now - at).num_seconds().max(0));
    let headers = [
        (
            header::ETAG,
            etag.unwrap_or_else(|_| HeaderValue::from_static("\"\"")),
        ),
        (
            header::LAST_MODIFIED,
            last_modified.unwrap_or_else(|_| HeaderValue::from_static("")),
        ),
        (
            header::CACHE_CONTROL,
            number_after("private, max-age=", max_age(served, rendered, now)),
        ),
        (header::AGE, HeaderValue::from(age)),
        (CACHE_STATUS, cache_status(account, served, age, now)),
    ];
    if live {
        MADE.with(|made| {
            *made.borrow_mut() = Some(Made {
                rendered: Arc::clone(rendered),
                snapshot: Arc::clone(&served.snapshot),
                second,
                headers: headers.clone(),
            });
        });
    }
    headers
}

/// An RFC 9211 `Cache-Status` that says whether the request waited for the feed's first
/// read, was answered from the feed's latest snapshot, or from the last good copy because
/// Share failed (`age`: seconds since Share last answered).
fn cache_status(account: &Account, served: &Served, age: i64, now: DateTime<Utc>) -> HeaderValue {
    match &served.freshness {
        Freshness::Fetched => HeaderValue::from_static(FETCHED),
        Freshness::Live => number_after(HIT_TTL, seconds_until(served.snapshot.reading_due, now)),
        Freshness::Stale(error) => {
            let code = ApiError::Upstream {
                account: account.name.clone(),
                error: Arc::clone(error),
            }
            .code();
            let text = format!("{HIT_TTL}{}; fwd=stale; detail={code}", -age.max(1));
            HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(HIT))
        }
    }
}

/// `prefix` followed by `n` (at least 0) in decimal, as a header value; written by hand on
/// the stack, because every answer carries two of these.
fn number_after(prefix: &'static str, n: i64) -> HeaderValue {
    let mut buf = [0u8; 64];
    let mut digits = [0u8; 20];
    let mut left = n.max(0).unsigned_abs();
    let mut count = 0;
    loop {
        digits[count] = b'0' + (left % 10) as u8;
        count += 1;
        left /= 10;
        if left == 0 {
            break;
        }
    }
    let head = prefix.len().min(buf.len() - digits.len());
    buf[..head].copy_from_slice(&prefix.as_bytes()[..head]);
    for (slot, digit) in buf[head..].iter_mut().zip(digits[..count].iter().rev()) {
        *slot = *digit;
    }
    HeaderValue::from_bytes(&buf[..head + count])
        .unwrap_or_else(|_| HeaderValue::from_static(prefix))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_after_their_prefix() {
        for (n, want) in [
            (0, "max-age=0"),
            (7, "max-age=7"),
            (86_400, "max-age=86400"),
            (-3, "max-age=0"),
        ] {
            assert_eq!(number_after("max-age=", n), want);
        }
        assert_eq!(
            number_after(HIT_TTL, i64::MAX),
            format!("{HIT_TTL}{}", i64::MAX).as_str()
        );
    }
}
