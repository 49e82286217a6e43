//! MQTT publishing with Home Assistant discovery (`[mqtt]` in the config).
//!
//! Each published account is held watched (its feed runs for as long as the service does)
//! and its snapshots are turned into retained messages at QoS 1:
//! - discovery configs at `<discovery_prefix>/<component>/<node_id>/<object_id>/config`, one
//!   device per account ([`discovery`]);
//! - one JSON state document at `<topic_prefix>/<account>/state` ([`state`]), at each new
//!   reading and each change of the feed's status, including those time makes;
//! - availability: `<topic_prefix>/status` (`online`, and `offline` as the last will) and
//!   `<topic_prefix>/<account>/availability` (`offline` while the newest reading is stale).
//!
//! Like every other reader, the publisher costs Share nothing: it reads the snapshots the
//! feeds publish. [`link`] keeps the broker connection; [`publisher`] decides what to send.

pub mod discovery;
pub mod link;
pub mod publisher;
pub mod state;
pub mod topics;

use std::sync::Arc;

use actix_rt::task::JoinHandle;
use rumqttc::AsyncClient;
use tokio::sync::watch;

use crate::config::{AccountSettings, MqttSettings};
use crate::feed::Feeds;
use publisher::{Outbox, Plan, Published};
use topics::Topics;

/// Publishes must wait when this many are queued for the event loop (a few accounts'
/// discovery configs); the outbox, not this queue, holds what waits for a connection.
const QUEUE: usize = 32;

/// The running publisher: its tasks stop when it is dropped, and the broker then publishes
/// the last will (`offline`) because the connection ends without a goodbye.
pub struct MqttPublisher {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for MqttPublisher {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts publishing the accounts `settings` names (every account when it names none).
/// Must run inside the application's runtime (an actix system).
pub fn start(
    settings: &MqttSettings,
    accounts: &[AccountSettings],
    feeds: &Feeds,
) -> Result<MqttPublisher, String> {
    let chosen: Vec<usize> = match &settings.accounts {
        None => (0..accounts.len()).collect(),
        Some(names) => names
            .iter()
            .map(|name| {
                accounts
                    .iter()
                    .position(|a| &a.name == name)
                    .ok_or_else(|| format!("[mqtt] accounts: no account is named `{name}`"))
            })
            .collect::<Result<_, _>>()?,
    };
    let topics = Topics::new(&settings.topic_prefix, &settings.discovery_prefix);
    let options = link::options(settings, topics.service())?;
    let broker = settings.broker.to_string();
    if !settings.broker.tls && !settings.broker.is_loopback() {
        log::warn!(
            "mqtt: {broker} is plain MQTT: the broker credentials and glucose values cross the \
             network unencrypted; use mqtts:// unless that network is trusted"
        );
    }
    let names: Vec<&str> = chosen.iter().map(|&i| accounts[i].name.as_str()).collect();
    log::info!(
        "mqtt: publishing accounts {} to {broker} under {}/ (discovery under {}/)",
        names.join(", "),
        settings.topic_prefix,
        settings.discovery_prefix
    );

    let (client, events) = AsyncClient::new(options, QUEUE);
    let (link_tx, link_rx) = watch::channel(link::Link::Down);
    let outbox = Arc::new(Outbox::new(chosen.len()));
    let clock = feeds.clock();
    let mut tasks = Vec::with_capacity(chosen.len() + 2);
    for (slot, &index) in chosen.iter().enumerate() {
        let (hold, snapshots) = feeds.subscribe(index);
        tasks.push(actix_rt::spawn(publisher::watch_account(
            slot,
            snapshots,
            hold,
            Arc::clone(&outbox),
            clock,
        )));
    }
    let plan = Plan {
        topics,
        accounts: chosen
            .iter()
            .map(|&i| Published {
                name: accounts[i].name.clone(),
                thresholds: accounts[i].thresholds,
                simulated: accounts[i].simulated,
            })
            .collect(),
    };
    tasks.push(actix_rt::spawn(publisher::send(
        client, link_rx, outbox, plan, clock,
    )));
    tasks.push(actix_rt::spawn(link::drive(events, link_tx, broker)));
    Ok(MqttPublisher { tasks })
}
