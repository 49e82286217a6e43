//! `[push]`: the limits of Server-Sent Events streams.

use serde::Deserialize;

use super::{bounded, seconds, ConfigError};
use crate::push::PushSettings;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPush {
    max_streams: Option<u64>,
    keep_alive_seconds: Option<u64>,
    buffer_events: Option<u64>,
    slow_client_seconds: Option<u64>,
    retry_seconds: Option<u64>,
}

pub(super) fn push(raw: RawPush) -> Result<PushSettings, ConfigError> {
    let d = PushSettings::default();
    let count = |value, default: usize, range, key| {
        bounded(value, default as u64, range, key).map(|n| usize::try_from(n).unwrap_or(default))
    };
    Ok(PushSettings {
        max_streams: count(
            raw.max_streams,
            d.max_streams,
            1..=100_000,
            "push.max_streams",
        )?,
        keep_alive: seconds(
            raw.keep_alive_seconds,
            d.keep_alive.as_secs(),
            1..=300,
            "push.keep_alive_seconds",
        )?,
        buffer_events: count(
            raw.buffer_events,
            d.buffer_events,
            2..=1024,
            "push.buffer_events",
        )?,
        slow_client: seconds(
            raw.slow_client_seconds,
            d.slow_client.as_secs(),
            1..=300,
            "push.slow_client_seconds",
        )?,
        retry: seconds(
            raw.retry_seconds,
            d.retry.as_secs(),
            1..=300,
            "push.retry_seconds",
        )?,
    })
}
