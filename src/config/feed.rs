//! `[feed]`: when feeds read Share, what they ask for, and when an account stops being watched.
//! Also `[cache]`, whose `ttl_seconds` no longer decides anything.

use std::time::Duration;

use serde::Deserialize;

use super::{bounded, seconds, ConfigError, DEFAULT_RENDER_CACHE_BYTES};
use crate::feed::plan::Reach;
use crate::feed::schedule::Cadence;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeed {
    idle_after_seconds: Option<u64>,
    interval_seconds: Option<u64>,
    initial_lag_seconds: Option<u64>,
    lag_step_seconds: Option<u64>,
    max_lag_seconds: Option<u64>,
    retry_every_seconds: Option<u64>,
    retry_for_seconds: Option<u64>,
    missed_slots: Option<u32>,
    slow_poll_seconds: Option<u64>,
    margin_minutes: Option<u64>,
    backfill_minutes: Option<u64>,
    backfill_every_minutes: Option<u64>,
    backfill_gap_every_minutes: Option<u64>,
    future_tolerance_seconds: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCache {
    ttl_seconds: Option<u64>,
    render_max_kib: Option<u64>,
}

/// The feed's numbers, each checked against a range that keeps Share safe and answers fresh.
pub(super) struct Feed {
    pub cadence: Cadence,
    pub reach: Reach,
    pub idle_after: Duration,
    pub future_tolerance: chrono::Duration,
}

fn span(
    value: Option<u64>,
    default: chrono::Duration,
    range: std::ops::RangeInclusive<u64>,
    key: &str,
) -> Result<chrono::Duration, ConfigError> {
    let default = u64::try_from(default.num_seconds()).unwrap_or(0);
    let std = seconds(value, default, range, key)?;
    Ok(chrono::Duration::from_std(std).unwrap_or(chrono::Duration::MAX))
}

fn minutes(
    value: Option<u64>,
    default: chrono::Duration,
    range: std::ops::RangeInclusive<u64>,
    key: &str,
) -> Result<chrono::Duration, ConfigError> {
    let default = u64::try_from(default.num_minutes()).unwrap_or(0);
    let minutes = bounded(value, default, range, key)?;
    Ok(chrono::Duration::minutes(
        i64::try_from(minutes).unwrap_or(0),
    ))
}

pub(super) fn feed(raw: RawFeed) -> Result<Feed, ConfigError> {
    let c = Cadence::default();
    let r = Reach::default();
    let cadence = Cadence {
        interval: span(
            raw.interval_seconds,
            c.interval,
            60..=900,
            "feed.interval_seconds",
        )?,
        initial_lag: span(
            raw.initial_lag_seconds,
            c.initial_lag,
            0..=120,
            "feed.initial_lag_seconds",
        )?,
        lag_step: span(
            raw.lag_step_seconds,
            c.lag_step,
            0..=30,
            "feed.lag_step_seconds",
        )?,
        max_lag: span(
            raw.max_lag_seconds,
            c.max_lag,
            10..=600,
            "feed.max_lag_seconds",
        )?,
        // Share must not be polled faster than every 2 s, whatever the config says.
        retry_every: span(
            raw.retry_every_seconds,
            c.retry_every,
            2..=300,
            "feed.retry_every_seconds",
        )?,
        retry_for: span(
            raw.retry_for_seconds,
            c.retry_for,
            0..=300,
            "feed.retry_for_seconds",
        )?,
        missed_slots: match raw.missed_slots {
            None => c.missed_slots,
            Some(n @ 1..=12) => n,
            Some(n) => {
                return Err(ConfigError::Key {
                    key: "feed.missed_slots".to_owned(),
                    message: format!("{n} is out of range 1..=12"),
                })
            }
        },
        slow_every: span(
            raw.slow_poll_seconds,
            c.slow_every,
            30..=1800,
            "feed.slow_poll_seconds",
        )?,
    };
    let reach = Reach {
        margin: minutes(raw.margin_minutes, r.margin, 1..=60, "feed.margin_minutes")?,
        backfill: minutes(
            raw.backfill_minutes,
            r.backfill,
            10..=1440,
            "feed.backfill_minutes",
        )?,
        backfill_every: minutes(
            raw.backfill_every_minutes,
            r.backfill_every,
            5..=1440,
            "feed.backfill_every_minutes",
        )?,
        backfill_gap_every: minutes(
            raw.backfill_gap_every_minutes,
            r.backfill_gap_every,
            5..=1440,
            "feed.backfill_gap_every_minutes",
        )?,
    };
    Ok(Feed {
        cadence,
        reach,
        idle_after: seconds(
            raw.idle_after_seconds,
            900,
            60..=86_400,
            "feed.idle_after_seconds",
        )?,
        future_tolerance: span(
            raw.future_tolerance_seconds,
            chrono::Duration::minutes(2),
            0..=3600,
            "feed.future_tolerance_seconds",
        )?,
    })
}

/// The bytes rendered answers may use in all; `cache.ttl_seconds` is accepted and ignored,
/// with a warning, so that configs written for earlier versions still start.
pub(super) fn render_cache_bytes(raw: RawCache) -> Result<u64, ConfigError> {
    if let Some(ttl) = raw.ttl_seconds {
        log::warn!(
            "cache.ttl_seconds = {ttl} no longer applies and is ignored: readings now follow the \
             sensor's 5-minute cadence ([feed] in the README); remove the key"
        );
    }
    let kib = bounded(
        raw.render_max_kib,
        DEFAULT_RENDER_CACHE_BYTES / 1024,
        256..=1_048_576,
        "cache.render_max_kib",
    )?;
    Ok(kib * 1024)
}
