//! What a feed reports when it has no fresh answer: a Share call that failed, or a call it
//! refused to make.

use chrono::{DateTime, Utc};

use crate::share::ShareError;

#[derive(Clone, Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error(transparent)]
    Share(#[from] ShareError),
    /// Share rejected a recent login; no login is tried before `until`.
    #[error("no login before {until} after: {cause}")]
    LoginBlocked {
        until: DateTime<Utc>,
        cause: ShareError,
    },
    /// Recent transient faults; no Share call before `until`.
    #[error("Share calls paused until {until} after: {cause}")]
    BackingOff {
        until: DateTime<Utc>,
        cause: ShareError,
    },
    /// A new session is needed but the last login was less than `min_interval` ago.
    #[error("a new Share login is needed, and the last one was too recent; next login at {until}")]
    LoginThrottled { until: DateTime<Utc> },
}

impl UpstreamError {
    /// The Share failure behind this error, if there was one.
    pub fn cause(&self) -> Option<&ShareError> {
        match self {
            UpstreamError::Share(cause)
            | UpstreamError::LoginBlocked { cause, .. }
            | UpstreamError::BackingOff { cause, .. } => Some(cause),
            UpstreamError::LoginThrottled { .. } => None,
        }
    }

    /// When the service will call Share again, if it decided not to now.
    pub fn retry_at(&self) -> Option<DateTime<Utc>> {
        match self {
            UpstreamError::Share(_) => None,
            UpstreamError::LoginBlocked { until, .. }
            | UpstreamError::BackingOff { until, .. }
            | UpstreamError::LoginThrottled { until } => Some(*until),
        }
    }
}
