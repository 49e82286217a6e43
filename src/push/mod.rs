//! What push subscribers (Server-Sent Events, MQTT) are told, built on the live feed: the
//! state of an account's feed and where a value stands against the thresholds. A subscriber
//! keeps its account watched, and costs Share nothing: it reads the snapshots the feed
//! publishes, like every request.

pub mod events;
pub mod slots;
pub mod status;
pub mod thresholds;

pub use slots::{Slot, Slots};
pub use status::{DataState, FeedStatus};
pub use thresholds::{Range, Thresholds};

use std::time::Duration;

/// `[push]`: the limits of Server-Sent Events streams.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushSettings {
    /// Streams open at once, over all accounts; one more gets 503.
    pub max_streams: usize,
    /// A comment line this often keeps idle connections open through proxies.
    pub keep_alive: Duration,
    /// Events waiting for a client to take them.
    pub buffer_events: usize,
    /// How long an event may wait for room in a full buffer; a client slower than that is
    /// dropped, so that it never grows memory.
    pub slow_client: Duration,
    /// The reconnection delay suggested to clients (`retry:`).
    pub retry: Duration,
}

impl Default for PushSettings {
    fn default() -> Self {
        PushSettings {
            max_streams: 200,
            keep_alive: Duration::from_secs(15),
            buffer_events: 16,
            slow_client: Duration::from_secs(30),
            retry: Duration::from_secs(5),
        }
    }
}
