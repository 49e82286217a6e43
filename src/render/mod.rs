//! Answers rendered once and served as shared bytes. A body is rendered once per window
//! change, or once per second when it carries ages; the renders of every account share one
//! cache, bounded in bytes. Each render carries its validators: a strong `ETag` made from
//! what the answer says (never from when it was made) and the time its content last changed.

pub mod native;
pub mod nightscout;
pub mod validators;

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::domain::{MaxCount, Minutes};
use crate::feed::window::Window;
use crate::nightscout_format::pebble::PebbleUnits;
use crate::nightscout_format::EntriesQuery;
use validators::{ceil_second, second_of, Changes, Fingerprint};

pub use native::ReadingBody;

/// What an answer shows, with its parameters already parsed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum View {
    Readings {
        minutes: Minutes,
        max_count: MaxCount,
    },
    Latest,
    Current,
    /// Nightscout entries; `current` for `entries/current`, `tsv` for tab-separated text.
    Entries {
        query: EntriesQuery,
        current: bool,
        tsv: bool,
    },
    Pebble {
        count: MaxCount,
        units: PebbleUnits,
    },
}

impl View {
    /// Whether the answer depends on the time it is made, not only on the window.
    fn timed(&self) -> bool {
        !matches!(self, View::Entries { current: false, .. })
    }

    fn content_type(&self) -> &'static str {
        match self {
            View::Entries { tsv: true, .. } => "text/plain; charset=utf-8",
            _ => "application/json",
        }
    }
}

/// A render in progress: the body (`None`: nothing to show, 204), what it says, and when
/// time changes it.
pub struct Draft {
    pub body: Option<Vec<u8>>,
    pub fingerprint: Fingerprint,
    pub changes: Changes,
}

/// An answer ready to serve, with its validators already written out for the headers.
#[derive(Debug)]
pub struct Rendered {
    /// `None`: nothing to show (204).
    pub body: Option<Bytes>,
    pub content_type: &'static str,
    /// A strong entity tag, quoted.
    pub etag: Bytes,
    /// When the content last changed, on a whole second (possibly the current one).
    pub modified: DateTime<Utc>,
    /// `modified` as an HTTP date, once the second it names has begun (a `Last-Modified`
    /// must not be later than the answer's `Date`); `None` within that second.
    pub last_modified: Option<Bytes>,
    /// The next time the content changes by itself (a reading turning stale or leaving the
    /// window), if it does; a cache must not keep the answer past it.
    pub expires: Option<DateTime<Utc>>,
}

/// Which render a request may share.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    account: usize,
    window: u64,
    view: View,
    /// The second rendered for; 0 for answers that do not depend on time.
    second: i64,
}

/// Renders shared by every request, of every account, within a byte budget.
pub struct RenderCache {
    renders: moka::sync::Cache<Key, Arc<Rendered>>,
}

thread_local! {
    // The last render each worker thread served: pollers repeat themselves, and a look here
    // costs a comparison where the shared cache costs a hash and its bookkeeping.
    static LAST: RefCell<Option<(Key, Arc<Rendered>)>> = const { RefCell::new(None) };
}

/// What an entry costs besides its body (key, bookkeeping).
const ENTRY_OVERHEAD: usize = 256;

struct Lifetime;

impl moka::Expiry<Key, Arc<Rendered>> for Lifetime {
    fn expire_after_create(
        &self,
        key: &Key,
        _value: &Arc<Rendered>,
        _created_at: Instant,
    ) -> Option<Duration> {
        // A per-second render is useless two seconds later; others live until their window
        // is replaced (then no key names them) or the budget needs their room.
        Some(if key.second != 0 {
            Duration::from_secs(2)
        } else {
            Duration::from_secs(600)
        })
    }
}

impl RenderCache {
    pub fn new(max_bytes: u64) -> RenderCache {
        RenderCache {
            renders: moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_key: &Key, value: &Arc<Rendered>| {
                    let bytes = value.body.as_ref().map_or(0, Bytes::len) + ENTRY_OVERHEAD;
                    u32::try_from(bytes).unwrap_or(u32::MAX)
                })
                .expire_after(Lifetime)
                .build(),
        }
    }

    /// The answer `view` of account number `account` (named `name`) from `window` at `now`,
    /// rendered by the first request that needs it.
    pub fn get(
        &self,
        account: usize,
        name: &str,
        window: &Window,
        view: &View,
        now: DateTime<Utc>,
    ) -> Arc<Rendered> {
        let at = second_of(now);
        let second = if view.timed() { at.timestamp() } else { 0 };
        let window_version = window.version();
        let same = |key: &Key| {
            key.account == account
                && key.window == window_version
                && key.second == second
                && key.view == *view
        };
        let last = LAST.with(|last| {
            last.borrow()
                .as_ref()
                .filter(|(key, _)| same(key))
                .map(|(_, rendered)| Arc::clone(rendered))
        });
        if let Some(rendered) = last {
            return rendered;
        }
        let key = Key {
            account,
            window: window_version,
            view: view.clone(),
            second,
        };
        let rendered = self
            .renders
            .get_with(key.clone(), || Arc::new(render(name, window, view, at)));
        LAST.with(|last| *last.borrow_mut() = Some((key, Arc::clone(&rendered))));
        rendered
    }
}

/// Renders one answer at the whole second `at`.
pub fn render(account: &str, window: &Window, view: &View, at: DateTime<Utc>) -> Rendered {
    let draft = match view {
        View::Readings { minutes, max_count } => {
            native::readings(account, window, at, *minutes, *max_count)
        }
        View::Latest => native::single_reading(account, window, at, false),
        View::Current => native::single_reading(account, window, at, true),
        View::Entries {
            query,
            current,
            tsv,
        } => nightscout::entries_view(account, window, at, query, *current, *tsv),
        View::Pebble { count, units } => {
            nightscout::pebble_view(account, window, at, *count, *units)
        }
    };
    let changed = ceil_second(window.changed_at());
    let modified = draft.changes.last.map_or(changed, |last| last.max(changed));
    Rendered {
        body: draft.body.map(Bytes::from),
        content_type: view.content_type(),
        etag: Bytes::from(draft.fingerprint.etag()),
        modified,
        last_modified: (modified <= at).then(|| Bytes::from(http_date(modified))),
        expires: draft.changes.next,
    }
}

/// RFC 9110's IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. Every date an answer
/// carries lies within a day of its reading or of now, so before the year 10000.
pub fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[cfg(test)]
#[path = "read_path_tests.rs"]
mod read_path_tests;
