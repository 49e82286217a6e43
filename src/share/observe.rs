//! What the client tells an observer (the service's metrics) about each Share call: which
//! endpoint, how it ended, and how long it took. The outcome is one of a fixed set, never
//! Share's own `Code`, which is whatever text Share (or anything at its address) sends, so
//! that an observer can use it as a label without unbounded cardinality.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::ShareError;

/// The Share endpoints the client calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `General/AuthenticatePublisherAccount`: username → account ID (first login step).
    Authenticate,
    /// `General/LoginPublisherAccountById`: account ID → session ID.
    LoginById,
    /// `Publisher/ReadPublisherLatestGlucoseValues`.
    Read,
}

impl Endpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Authenticate => "authenticate",
            Endpoint::LoginById => "login_by_id",
            Endpoint::Read => "read",
        }
    }
}

/// How one Share call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Ok,
    /// Share refused the credentials (including the all-zeros ID answer).
    Rejected,
    /// Share locked the account.
    Locked,
    /// Share said the session ended.
    SessionExpired,
    /// Any other Share fault code.
    ShareError,
    /// An HTTP status that carried no Share fault (an error page, a redirect).
    HttpStatus,
    /// A success status with a body that could not be read.
    BadResponse,
    /// No complete answer in time (the client's own timeout, or the refresh deadline cut the
    /// call off).
    Timeout,
    /// Connecting, sending or receiving failed.
    Transport,
}

impl Outcome {
    pub fn of<T>(result: &Result<T, ShareError>) -> Outcome {
        match result {
            Ok(_) => Outcome::Ok,
            Err(ShareError::CredentialsRejected { .. }) => Outcome::Rejected,
            Err(ShareError::Locked { .. }) => Outcome::Locked,
            Err(
                ShareError::SessionExpired { .. } | ShareError::SessionRejectedAfterLogin { .. },
            ) => Outcome::SessionExpired,
            Err(ShareError::Fault { .. }) => Outcome::ShareError,
            Err(ShareError::Status { .. }) => Outcome::HttpStatus,
            Err(ShareError::Decode(_)) => Outcome::BadResponse,
            Err(ShareError::Timeout { .. }) => Outcome::Timeout,
            Err(ShareError::Transport(_)) => Outcome::Transport,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Rejected => "rejected",
            Outcome::Locked => "locked",
            Outcome::SessionExpired => "session_expired",
            Outcome::ShareError => "share_error",
            Outcome::HttpStatus => "http_status",
            Outcome::BadResponse => "bad_response",
            Outcome::Timeout => "timeout",
            Outcome::Transport => "transport",
        }
    }
}

/// Told about every Share call the client makes.
pub trait CallObserver: Send + Sync {
    fn observe(&self, endpoint: Endpoint, outcome: Outcome, took: Duration);
}

/// One call in flight. A call whose future is dropped before it ends (the refresh deadline
/// cut it off) is reported as a timeout when the timer goes, so that no call goes uncounted.
pub(super) struct CallTimer {
    observer: Option<Arc<dyn CallObserver>>,
    endpoint: Endpoint,
    started: Instant,
}

impl CallTimer {
    pub(super) fn start(observer: Option<&Arc<dyn CallObserver>>, endpoint: Endpoint) -> Self {
        CallTimer {
            observer: observer.cloned(),
            endpoint,
            started: Instant::now(),
        }
    }

    pub(super) fn finish<T>(mut self, result: &Result<T, ShareError>) {
        if let Some(observer) = self.observer.take() {
            observer.observe(self.endpoint, Outcome::of(result), self.started.elapsed());
        }
    }
}

impl Drop for CallTimer {
    fn drop(&mut self) {
        if let Some(observer) = self.observer.take() {
            observer.observe(self.endpoint, Outcome::Timeout, self.started.elapsed());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct Seen(Mutex<Vec<(Endpoint, Outcome)>>);

    impl CallObserver for Seen {
        fn observe(&self, endpoint: Endpoint, outcome: Outcome, _took: Duration) {
            self.0
                .lock()
                .expect("not poisoned")
                .push((endpoint, outcome));
        }
    }

    #[test]
    fn a_finished_call_reports_its_outcome_and_a_dropped_one_a_timeout() {
        let seen = Arc::new(Seen::default());
        let observer: Arc<dyn CallObserver> = seen.clone();
        CallTimer::start(Some(&observer), Endpoint::Read).finish(&Ok::<(), ShareError>(()));
        CallTimer::start(Some(&observer), Endpoint::LoginById).finish::<()>(&Err(
            ShareError::CredentialsRejected {
                code: "AccountPasswordInvalid".to_owned(),
            },
        ));
        drop(CallTimer::start(Some(&observer), Endpoint::Authenticate));
        let seen = seen.0.lock().expect("not poisoned").clone();
        assert_eq!(
            seen,
            [
                (Endpoint::Read, Outcome::Ok),
                (Endpoint::LoginById, Outcome::Rejected),
                (Endpoint::Authenticate, Outcome::Timeout),
            ]
        );
    }

    #[test]
    fn every_error_maps_to_a_fixed_outcome_whatever_share_sent() {
        let fault = ShareError::Fault {
            code: "Anything At All <x>".to_owned(),
            message: String::new(),
        };
        assert_eq!(Outcome::of::<()>(&Err(fault)).as_str(), "share_error");
        let status = ShareError::Status {
            status: 503,
            snippet: "down".to_owned(),
        };
        assert_eq!(Outcome::of::<()>(&Err(status)).as_str(), "http_status");
        let timeout = ShareError::Timeout { seconds: 10 };
        assert_eq!(Outcome::of::<()>(&Err(timeout)).as_str(), "timeout");
        let transport = ShareError::Transport("refused".to_owned());
        assert_eq!(Outcome::of::<()>(&Err(transport)).as_str(), "transport");
    }
}
