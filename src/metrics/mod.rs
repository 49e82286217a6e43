//! The service's Prometheus metrics (`GET /metrics`), built with `prometheus-client` and
//! written in the Prometheus text format 0.0.4:
//!
//! - [`http`]: requests by route template and status, and their latency, recorded by the
//!   guard layer every request already passes;
//! - [`share`]: Share calls by endpoint and outcome, and their latency, told by the client;
//! - [`CacheAnswers`]: readings answers by how fresh the snapshot behind them was;
//! - [`collector`]: what the feeds' published snapshots say (logins, circuit, newest reading,
//!   and, only when switched on, glucose), read at scrape time, so the feeds carry no
//!   instrumentation for them;
//! - [`scrape_access`]: who may scrape.
//!
//! Every label value comes from a fixed set or from the configured accounts, never from a
//! request or from Share's text, so no client and no upstream can grow the series count.

pub mod collector;
pub mod http;
pub mod scrape_access;
pub mod share;

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

use crate::domain::{AccountName, Secret};
use crate::share::CallObserver;
pub use collector::FeedCollector;
pub use http::HttpMetrics;
pub use scrape_access::{Denied, MetricsAccess};
pub use share::ShareCalls;

/// What every metric name starts with.
pub const PREFIX: &str = "dexcom_share_proxy";

/// The `Content-Type` of `/metrics`: the Prometheus text format the encoder writes.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// `[metrics]` in the config.
#[derive(Clone, Debug)]
pub struct MetricsSettings {
    /// `false`: `/metrics` answers 404 (nothing is served; the counters still count).
    pub enabled: bool,
    /// Whether the glucose gauges are exported (health data: off by default).
    pub glucose: bool,
    /// Bearer tokens that may scrape from anywhere.
    pub tokens: Vec<Secret<String>>,
    /// A token is needed from loopback clients too (for a reverse proxy on the same host,
    /// whose requests all come from loopback).
    pub require_token: bool,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            enabled: true,
            glucose: false,
            tokens: Vec::new(),
            require_token: false,
        }
    }
}

/// Every metric of the service, in one registry, built once at start-up, and who may
/// scrape them.
pub struct Metrics {
    registry: Registry,
    pub http: HttpMetrics,
    pub cache: CacheAnswers,
    share: Arc<ShareCalls>,
    pub access: MetricsAccess,
    /// Whether `/metrics` is served.
    pub enabled: bool,
    /// Whether the glucose gauges are exported.
    pub glucose: bool,
}

impl Metrics {
    /// The metrics of a service serving `accounts` (in config order).
    pub fn new(settings: &MetricsSettings, accounts: &[AccountName]) -> Metrics {
        let mut registry = Registry::with_prefix(PREFIX);
        let http = HttpMetrics::register(&mut registry);
        let share = Arc::new(ShareCalls::register(&mut registry));
        let cache = CacheAnswers::register(&mut registry, accounts);
        Metrics {
            registry,
            http,
            cache,
            share,
            access: MetricsAccess::new(settings),
            enabled: settings.enabled,
            glucose: settings.glucose,
        }
    }

    /// What the Share client tells about its calls.
    pub fn share_observer(&self) -> Arc<dyn CallObserver> {
        self.share.clone()
    }

    /// Adds what the feeds publish, read at each scrape.
    pub fn collect_feeds(&mut self, collector: FeedCollector) {
        self.registry.register_collector(Box::new(collector));
    }

    /// The exposition text.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::with_capacity(16 * 1024);
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// How fresh the snapshot behind a readings answer was (`Cache-Status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheResult {
    /// The feed's latest snapshot, from a good read.
    Hit,
    /// The request waited for the feed's first read.
    Miss,
    /// Share failed; the last good copy answered.
    Stale,
}

impl CacheResult {
    const ALL: [CacheResult; 3] = [CacheResult::Hit, CacheResult::Miss, CacheResult::Stale];

    fn as_str(self) -> &'static str {
        match self {
            CacheResult::Hit => "hit",
            CacheResult::Miss => "miss",
            CacheResult::Stale => "stale",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    account: String,
    result: &'static str,
}

/// Readings answers by account and [`CacheResult`]. Every series is made at start-up, so
/// recording one is an atomic increment, with no lookup.
pub struct CacheAnswers {
    by_account: Vec<[Counter; 3]>,
}

impl CacheAnswers {
    fn register(registry: &mut Registry, accounts: &[AccountName]) -> CacheAnswers {
        let family = Family::<CacheLabels, Counter>::default();
        registry.register(
            "cache_answers",
            "Readings answers by how fresh the snapshot behind them was: hit (the feed's \
             latest), miss (waited for the feed's first read), stale (Share failed; the last \
             good copy)",
            family.clone(),
        );
        let by_account = accounts
            .iter()
            .map(|name| {
                CacheResult::ALL.map(|result| {
                    family.get_or_create_owned(&CacheLabels {
                        account: name.to_string(),
                        result: result.as_str(),
                    })
                })
            })
            .collect();
        CacheAnswers { by_account }
    }

    /// One answer about account number `account`.
    pub fn record(&self, account: usize, result: CacheResult) {
        if let Some(counters) = self.by_account.get(account) {
            counters[result as usize].inc();
        }
    }
}
