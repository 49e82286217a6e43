//! `[login]` and the retry keys of `[upstream]`: when Share may be called.

use std::time::Duration;

use serde::Deserialize;

use super::{seconds, ConfigError, RawUpstream};
use crate::feed::backoff::{LoginPolicy, RetryPolicy};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLogin {
    backoff_initial_seconds: Option<u64>,
    backoff_max_seconds: Option<u64>,
    lockout_wait_seconds: Option<u64>,
    min_interval_seconds: Option<u64>,
}

pub(super) fn retry(upstream: &RawUpstream) -> Result<RetryPolicy, ConfigError> {
    let defaults = RetryPolicy::default();
    let retry = RetryPolicy {
        initial: seconds(
            upstream.retry_initial_seconds,
            defaults.initial.as_secs(),
            1..=600,
            "upstream.retry_initial_seconds",
        )?,
        max: seconds(
            upstream.retry_max_seconds,
            defaults.max.as_secs(),
            1..=3600,
            "upstream.retry_max_seconds",
        )?,
    };
    ordered(retry.initial, retry.max, "upstream.retry_max_seconds")?;
    Ok(retry)
}

pub(super) fn login(raw: RawLogin) -> Result<LoginPolicy, ConfigError> {
    let defaults = LoginPolicy::default();
    let login = LoginPolicy {
        rejected_initial: seconds(
            raw.backoff_initial_seconds,
            defaults.rejected_initial.as_secs(),
            60..=86_400,
            "login.backoff_initial_seconds",
        )?,
        rejected_max: seconds(
            raw.backoff_max_seconds,
            defaults.rejected_max.as_secs(),
            60..=86_400,
            "login.backoff_max_seconds",
        )?,
        // Share's lockout lasts at least 15–20 min; trying earlier keeps it locked.
        lockout_wait: seconds(
            raw.lockout_wait_seconds,
            defaults.lockout_wait.as_secs(),
            1800..=86_400,
            "login.lockout_wait_seconds",
        )?,
        min_interval: seconds(
            raw.min_interval_seconds,
            defaults.min_interval.as_secs(),
            1..=3600,
            "login.min_interval_seconds",
        )?,
    };
    ordered(
        login.rejected_initial,
        login.rejected_max,
        "login.backoff_max_seconds",
    )?;
    Ok(login)
}

fn ordered(low: Duration, high: Duration, key: &str) -> Result<(), ConfigError> {
    if low <= high {
        Ok(())
    } else {
        Err(ConfigError::Key {
            key: key.to_owned(),
            message: "must not be smaller than the matching initial value".to_owned(),
        })
    }
}
