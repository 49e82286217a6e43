//! The Nightscout facade's answers: entries (JSON or tab-separated), the current entry, and
//! the `/pebble` summary.

use chrono::{DateTime, Utc};

use super::validators::{Changes, Fingerprint};
use super::Draft;
use crate::domain::MaxCount;
use crate::feed::window::{Window, DAY};
use crate::nightscout_format::pebble::PebbleUnits;
use crate::nightscout_format::{entries, pebble, tsv, EntriesQuery};

/// `entries`, `entries/sgv` (filtered by `query`) or, when `current`, `entries/current`: as
/// JSON, or as Nightscout's tab-separated text when `tsv`.
pub fn entries_view(
    account: &str,
    window: &Window,
    at: DateTime<Utc>,
    query: &EntriesQuery,
    current: bool,
    tsv: bool,
) -> Draft {
    let readings = window.readings();
    let mut changes = Changes::default();
    let selected = if current {
        match window.latest(at) {
            Some(newest) => {
                changes.crossing(newest, DAY, at);
                entries(account, readings, |r| r.epoch_ms() == newest.epoch_ms(), 1)
            }
            None => {
                if let Some(gone) = window.newest() {
                    changes.crossing(gone, DAY, at);
                }
                Vec::new()
            }
        }
    } else {
        entries(
            account,
            readings,
            |r| query.matches(r.epoch_ms()),
            query.limit(),
        )
    };
    let body = if tsv {
        tsv::render(&selected).into_bytes()
    } else {
        serde_json::to_vec(&selected).expect("invariant: entries serialise")
    };
    // The body holds nothing time-dependent: it is its own fingerprint.
    let mut fingerprint = Fingerprint::new(if tsv { "entries.tsv" } else { "entries" }, account);
    fingerprint.bytes(&body);
    Draft {
        body: Some(body),
        fingerprint,
        changes,
    }
}

/// `/pebble`: the newest `count` readings of the last day. `status[0].now` is the second the
/// answer was made; the entity tag covers everything else.
pub fn pebble_view(
    account: &str,
    window: &Window,
    at: DateTime<Utc>,
    count: MaxCount,
    units: PebbleUnits,
) -> Draft {
    let count = usize::from(count.get());
    let within = window.within(at, DAY);
    let mut changes = Changes::default();
    if let Some(left) = window.readings().get(within) {
        changes.crossing(left, DAY, at);
    }
    if let Some(oldest_shown) = window.readings()[..within.min(count)].last() {
        changes.crossing(oldest_shown, DAY, at);
    }
    let oldest = (at - DAY).timestamp_millis();
    let recent = entries(
        account,
        window.readings(),
        |r| r.epoch_ms() >= oldest,
        count,
    );
    let document = pebble::render(&recent, units, at.timestamp_millis());
    let kind = match units {
        PebbleUnits::Mgdl => "pebble",
        PebbleUnits::Mmol => "pebble.mmol",
    };
    let mut fingerprint = Fingerprint::new(kind, account);
    fingerprint.bytes(&serde_json::to_vec(&document.bgs).expect("invariant: bgs serialise"));
    Draft {
        body: Some(serde_json::to_vec(&document).expect("invariant: pebble serialises")),
        fingerprint,
        changes,
    }
}
