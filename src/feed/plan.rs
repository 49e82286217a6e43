//! What a feed asks Share for. The first read takes the whole day; after that only what is
//! new: the minutes since the newest held reading plus a margin, and a small `maxCount`. Share
//! fills in readings late (hours after a signal loss, once the phone catches up), and an
//! incremental read never looks behind the newest held reading, so now and then a read
//! reaches back over the backfill horizon instead: often while the held window has a gap,
//! rarely otherwise. A backfill read replaces an incremental one; it never adds a read.

use chrono::{DateTime, Duration, Utc};

use super::window::Window;
use crate::domain::{MaxCount, Minutes};

/// `[feed]` numbers for incremental and backfill reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reach {
    /// Added to the minutes since the newest held reading, for clock differences with Share.
    pub margin: Duration,
    /// How far back a backfill read looks.
    pub backfill: Duration,
    /// Backfill this often while the held window has a gap within the horizon…
    pub backfill_gap_every: Duration,
    /// …and this often otherwise.
    pub backfill_every: Duration,
}

impl Default for Reach {
    fn default() -> Self {
        Reach {
            margin: Duration::minutes(5),
            backfill: Duration::hours(3),
            backfill_gap_every: Duration::minutes(10),
            backfill_every: Duration::minutes(30),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadKind {
    FullDay,
    Incremental,
    Backfill,
}

impl ReadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReadKind::FullDay => "full day",
            ReadKind::Incremental => "incremental",
            ReadKind::Backfill => "backfill",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadPlan {
    pub kind: ReadKind,
    pub minutes: Minutes,
    pub max_count: MaxCount,
}

impl ReadPlan {
    pub const FULL_DAY: ReadPlan = ReadPlan {
        kind: ReadKind::FullDay,
        minutes: Minutes::FULL_DAY,
        max_count: MaxCount::FULL_DAY,
    };
}

/// The read to make at `now`, holding `window`, when the last read that reached back over the
/// backfill horizon (or the whole day) was at `last_backfill`; `interval` is the sensor's.
pub fn plan(
    window: &Window,
    last_backfill: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    reach: &Reach,
    interval: Duration,
) -> ReadPlan {
    let Some(newest) = window.newest().map(|r| r.instant()) else {
        return ReadPlan::FULL_DAY;
    };
    let since = (now - newest).max(Duration::zero());
    let Some(last_backfill) = last_backfill else {
        return ReadPlan::FULL_DAY;
    };
    let gap = window.has_gap(now - reach.backfill, interval * 3 / 2);
    let every = if gap {
        reach.backfill_gap_every
    } else {
        reach.backfill_every
    };
    let (kind, span) = if now - last_backfill >= every {
        (
            ReadKind::Backfill,
            (since + reach.margin).max(reach.backfill),
        )
    } else {
        (ReadKind::Incremental, since + reach.margin)
    };
    let minutes = ceil_div(span, Duration::minutes(1));
    if minutes >= i64::from(Minutes::MAX) {
        return ReadPlan::FULL_DAY;
    }
    // One reading per interval, plus one for the reading held and one for jitter.
    let count = ceil_div(span, interval.max(Duration::seconds(1))) + 2;
    ReadPlan {
        kind,
        minutes: Minutes::new(clamp_u16(minutes, Minutes::MAX)),
        max_count: MaxCount::new(clamp_u16(count, MaxCount::MAX)),
    }
}

fn ceil_div(a: Duration, b: Duration) -> i64 {
    let (a, b) = (a.num_milliseconds(), b.num_milliseconds().max(1));
    a.div_euclid(b) + i64::from(a.rem_euclid(b) != 0)
}

fn clamp_u16(n: i64, max: u16) -> u16 {
    u16::try_from(n.clamp(1, i64::from(max))).unwrap_or(max)
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
