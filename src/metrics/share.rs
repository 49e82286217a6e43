//! Share calls by endpoint and outcome, with their latency: what the Share client tells
//! through [`CallObserver`].

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::share::{CallObserver, Endpoint, Outcome};

/// Upper bounds of the Share latency buckets, in seconds: Share answers in 0.1–1 s; the
/// client gives up at `upstream.timeout_seconds` (at most 120).
const BUCKETS: [f64; 11] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    endpoint: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabel {
    endpoint: &'static str,
}

/// `share_requests_total{endpoint,outcome}` and `share_request_duration_seconds{endpoint}`.
#[derive(Debug)]
pub struct ShareCalls {
    calls: Family<CallLabels, Counter>,
    latency: Family<EndpointLabel, Histogram, fn() -> Histogram>,
}

impl ShareCalls {
    pub(super) fn register(registry: &mut Registry) -> ShareCalls {
        let calls = Family::<CallLabels, Counter>::default();
        let latency: Family<EndpointLabel, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(BUCKETS));
        registry.register(
            "share_requests",
            "Calls to Dexcom Share by endpoint (authenticate, login_by_id, read) and outcome \
             (ok, rejected, locked, session_expired, share_error, http_status, bad_response, \
             timeout, transport)",
            calls.clone(),
        );
        registry.register_with_unit(
            "share_request_duration",
            "Time from sending a Share call to having its whole answer (or giving up)",
            Unit::Seconds,
            latency.clone(),
        );
        ShareCalls { calls, latency }
    }
}

impl CallObserver for ShareCalls {
    fn observe(&self, endpoint: Endpoint, outcome: Outcome, took: Duration) {
        // A few calls a minute per account: the family's lookup costs nothing here.
        self.calls
            .get_or_create(&CallLabels {
                endpoint: endpoint.as_str(),
                outcome: outcome.as_str(),
            })
            .inc();
        self.latency
            .get_or_create(&EndpointLabel {
                endpoint: endpoint.as_str(),
            })
            .observe(took.as_secs_f64());
    }
}
