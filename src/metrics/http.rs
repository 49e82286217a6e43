//! HTTP requests by route template and status, with their latency. Recorded by the guard
//! layer that wraps every request already (a layer of its own would cost every request an
//! allocation), so the hot path pays two clock reads and three atomic increments: each worker
//! thread keeps the series of the paths it served last, and finds them again by comparing
//! the path, without asking the router or hashing labels.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// The route of every request no resource matched: one value, whatever the path, so that a
/// client cannot grow the series count by asking for made-up paths.
pub const UNMATCHED: &str = "unmatched";

/// Upper bounds of the request latency buckets, in seconds: a cached answer takes tens of
/// microseconds; a cold one waits for Share (up to `upstream.timeout_seconds`); a failed
/// token attempt is answered after a delay of up to 10 s.
const BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// How many (path, status) pairs each worker remembers: pollers ask a handful of paths.
const REMEMBERED: usize = 8;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: String,
}

/// `http_requests_total{route,status}` and `http_request_duration_seconds{route}`.
pub struct HttpMetrics {
    /// Tells this service's remembered series from another's (tests run several services in
    /// one process, and a thread may outlive one).
    id: usize,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabel, Histogram, fn() -> Histogram>,
}

/// The series one (path, status) pair was counted in, on one worker thread.
struct Remembered {
    /// The [`HttpMetrics::id`] they belong to.
    owner: usize,
    path: String,
    status: u16,
    requests: Counter,
    latency: Histogram,
}

static IDS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static RECENT: RefCell<Vec<Remembered>> = const { RefCell::new(Vec::new()) };
}

impl HttpMetrics {
    pub(super) fn register(registry: &mut Registry) -> HttpMetrics {
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Family<RouteLabel, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(BUCKETS));
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template (\"unmatched\" for paths no route \
             has) and status",
            requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time from receiving a request to having its response head ready, by route \
             template (an event stream counts until its head is sent)",
            Unit::Seconds,
            latency.clone(),
        );
        HttpMetrics {
            id: IDS.fetch_add(1, Ordering::Relaxed),
            requests,
            latency,
        }
    }

    /// Counts one request for `path`, answered with `status` after `took`. `route` names the
    /// route template that matched the path (asked only the first time a worker sees the path).
    pub fn record(
        &self,
        path: &str,
        route: impl FnOnce() -> Option<String>,
        status: u16,
        took: Duration,
    ) {
        let owner = self.id;
        let seconds = took.as_secs_f64();
        let known = RECENT.with(|recent| {
            let recent = recent.borrow();
            let hit = recent
                .iter()
                .find(|r| r.owner == owner && r.status == status && r.path == path);
            if let Some(r) = hit {
                r.requests.inc();
                r.latency.observe(seconds);
            }
            hit.is_some()
        });
        if known {
            return;
        }
        let route = route().unwrap_or_else(|| UNMATCHED.to_owned());
        let requests = self.requests.get_or_create_owned(&RequestLabels {
            route: route.clone(),
            status,
        });
        let latency = self.latency.get_or_create_owned(&RouteLabel {
            route: route.clone(),
        });
        requests.inc();
        latency.observe(seconds);
        if route == UNMATCHED {
            // Made-up paths would only push the real ones out.
            return;
        }
        RECENT.with(|recent| {
            let mut recent = recent.borrow_mut();
            if recent.len() == REMEMBERED {
                recent.remove(0);
            }
            recent.push(Remembered {
                owner,
                path: path.to_owned(),
                status,
                requests,
                latency,
            });
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(registry: &Registry) -> String {
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, registry).expect("encodes");
        text
    }

    #[test]
    fn requests_are_counted_by_route_template_and_unknown_paths_share_one_value() {
        let mut registry = Registry::default();
        let http = HttpMetrics::register(&mut registry);
        let template = || Some("/ns/{account}/pebble".to_owned());
        http.record("/ns/alice/pebble", template, 200, Duration::from_micros(50));
        http.record("/ns/alice/pebble", template, 200, Duration::from_micros(50));
        http.record("/ns/bob/pebble", template, 200, Duration::from_micros(50));
        http.record("/ns/bob/pebble", template, 401, Duration::from_millis(2));
        for n in 0..20 {
            http.record(&format!("/nope/{n}"), || None, 404, Duration::ZERO);
        }
        let text = text(&registry);
        assert!(
            text.contains(r#"http_requests_total{route="/ns/{account}/pebble",status="200"} 3"#),
            "{text}"
        );
        assert!(
            text.contains(r#"http_requests_total{route="/ns/{account}/pebble",status="401"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"http_requests_total{route="unmatched",status="404"} 20"#),
            "{text}"
        );
        assert!(!text.contains("alice") && !text.contains("/nope"), "{text}");
        assert!(
            text.contains(r#"http_request_duration_seconds_count{route="/ns/{account}/pebble"} 4"#),
            "{text}"
        );
    }

    #[test]
    fn two_services_on_one_thread_count_apart() {
        let (mut first, mut second) = (Registry::default(), Registry::default());
        let (a, b) = (
            HttpMetrics::register(&mut first),
            HttpMetrics::register(&mut second),
        );
        let route = || Some("/health".to_owned());
        a.record("/health", route, 200, Duration::ZERO);
        b.record("/health", route, 200, Duration::ZERO);
        b.record("/health", route, 200, Duration::ZERO);
        assert!(text(&first).contains(r#"{route="/health",status="200"} 1"#));
        assert!(text(&second).contains(r#"{route="/health",status="200"} 2"#));
    }
}
