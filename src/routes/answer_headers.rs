//! The headers that tell clients and caches how fresh an answer is and how to revalidate it:
//! `ETag`, `Last-Modified`, `Cache-Control`, `Age` and `Cache-Status`. Every answer carries
//! them, so they are written cheaply, and a worker reuses those of its last live answer for the
//! rest of the second.

use std::cell::RefCell;
use std::sync::Arc;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use chrono::{DateTime, Utc};

use super::answer::{Freshness, Served};
use crate::accounts::Account;
use crate::error::ApiError;
use crate::feed::Snapshot;
use crate::render::validators::second_of;
use crate::render::{http_date, Rendered};

/// The `Cache-Status` header (RFC 9211), with this service's name in its values.
const CACHE_STATUS: HeaderName = HeaderName::from_static("cache-status");
const FETCHED: &str = "dexcom-share-proxy; fwd=miss; stored";
const HIT: &str = "dexcom-share-proxy; hit";
const HIT_TTL: &str = "dexcom-share-proxy; hit; ttl=";

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
pub(super) fn header_values(
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
