//! What push subscribers (Server-Sent Events, MQTT) are told, built on the live feed: the
//! state of an account's feed and where a value stands against the thresholds. A subscriber
//! keeps its account watched, and costs Share nothing: it reads the snapshots the feed
//! publishes, like every request.

pub mod status;
pub mod thresholds;

pub use status::{DataState, FeedStatus};
pub use thresholds::{Range, Thresholds};
