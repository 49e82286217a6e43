//! What every handler reads: built once, outside the worker closure (a cache built inside it
//! would silently become one cache per worker, and a per-worker failure count would let a
//! client spread its token guesses over the workers).

use crate::accounts::Accounts;
use crate::auth::AuthFailures;
use crate::clock::Clock;
use crate::feed::Feeds;
use crate::metrics::Metrics;
use crate::push::{PushSettings, Slots};
use crate::render::RenderCache;
use crate::shutdown::Stopping;

pub struct AppState {
    pub accounts: Accounts,
    pub auth_failures: AuthFailures,
    /// The feeds' snapshots; the only way to readings.
    pub feeds: Feeds,
    /// Answers rendered once and served as shared bytes.
    pub renders: RenderCache,
    pub clock: Clock,
    /// Server-Sent Events streams open now, against their cap.
    pub streams: Slots,
    pub push: PushSettings,
    /// Set when the service stops: event streams end at once rather than hold the stop.
    pub stopping: Stopping,
    /// The service's metrics (`/metrics`), and who may scrape them.
    pub metrics: Metrics,
}
