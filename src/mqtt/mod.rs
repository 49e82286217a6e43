//! MQTT publishing with Home Assistant discovery (`[mqtt]` in the config).
//!
//! Each published account is held watched (its feed runs for as long as the service does)
//! and its snapshots are turned into retained messages at QoS 1:
//! - discovery configs at `<discovery_prefix>/<component>/<node_id>/<object_id>/config`, one
//!   device per account ([`discovery`]);
//! - one JSON state document at `<topic_prefix>/<account>/state` ([`state`]), at each new
//!   reading and each change of the feed's status, including those time makes;
//! - availability: `<topic_prefix>/status` (`online`, and `offline` as the last will and on a
//!   clean stop) and `<topic_prefix>/<account>/availability` (`offline` while the newest
//!   reading is stale or there is none).
//!
//! Like every other reader, the publisher costs Share nothing: it reads the snapshots the
//! feeds publish. It runs on a thread of its own, so the broker never costs a request
//! anything. [`link`] keeps the broker connection; [`publisher`] decides what to send; the
//! [`outbox`] between them holds one state per account.

pub mod discovery;
pub mod link;
pub mod outbox;
pub mod publisher;
pub mod state;
pub mod topics;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rumqttc::AsyncClient;
use tokio::sync::{oneshot, watch, Notify};

use crate::config::{AccountSettings, MqttSettings};
use crate::feed::Feeds;
use link::{Link, Stats};
use outbox::Outbox;
use publisher::{Plan, Published};
use topics::Topics;

/// rumqttc's request channel: a publish waits when this many are queued for the event loop.
/// Kept small: the outbox, not this queue, holds what waits for a connection.
pub const QUEUE: usize = 16;

/// How long a stopping service waits to say `offline` before it lets the last will say it.
const GOODBYE: Duration = Duration::from_secs(3);

/// Why MQTT publishing cannot start.
#[derive(Debug, thiserror::Error)]
pub enum MqttError {
    #[error("[mqtt] accounts: no account is named `{0}`")]
    UnknownAccount(String),
    #[error("TLS for MQTT: {0}")]
    Tls(String),
    #[error("cannot start the MQTT thread: {0}")]
    Thread(std::io::Error),
}

/// The running publisher, on its own thread. Dropped, it stops at once and the broker
/// publishes the last will (`offline`), as it does when the process dies;
/// [`stop`](Self::stop) says `offline` itself first.
pub struct MqttPublisher {
    _thread: Thread,
    stop: watch::Sender<bool>,
    finished: Arc<Notify>,
    probe: MqttProbe,
}

/// What a running publisher tells about itself (cheap to clone).
#[derive(Clone)]
pub struct MqttProbe {
    link: watch::Receiver<Link>,
    stats: Arc<Stats>,
    outbox: Arc<Outbox>,
}

impl MqttProbe {
    /// Whether the broker connection is up.
    pub fn connected(&self) -> bool {
        matches!(*self.link.borrow(), Link::Up(_))
    }

    /// Connections made since start (1 after the first, 2 after a reconnection…).
    pub fn connections(&self) -> u64 {
        self.stats.connections.load(Ordering::Relaxed)
    }

    /// Account states not yet sent: at most one per published account.
    pub fn waiting_states(&self) -> usize {
        self.outbox.waiting()
    }

    /// Messages the MQTT client holds for later or awaits acknowledgements of.
    pub fn client_backlog(&self) -> usize {
        self.stats.backlog.load(Ordering::Relaxed)
    }
}

impl MqttPublisher {
    pub fn probe(&self) -> MqttProbe {
        self.probe.clone()
    }

    /// Publishes `offline` on the service's topic and disconnects, waiting at most a few
    /// seconds (a broker that is away gets the last will's `offline` instead).
    pub async fn stop(self) {
        self.stop.send_replace(true);
        let said = tokio::time::timeout(GOODBYE, self.finished.notified()).await;
        if said.is_err() {
            log::warn!(
                "mqtt: no goodbye within {} s; leaving it to the last will",
                GOODBYE.as_secs()
            );
        }
    }
}

/// A task of the publisher's thread.
type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The publisher's thread: a runtime of its own, whose tasks are all dropped (connection
/// closed, holds released) when this is dropped.
///
/// Not an actix arbiter, unlike the feeds' thread: on SIGTERM actix stops every arbiter
/// of the system before `run_until_stopped` gets to say goodbye to the broker.
struct Thread {
    _quit: oneshot::Sender<()>,
}

impl Thread {
    fn spawn(tasks: Vec<Task>) -> std::io::Result<Thread> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (quit, quitting) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("mqtt".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    for task in tasks {
                        tokio::spawn(task);
                    }
                    // Resolves when the sender is dropped.
                    let _ = quitting.await;
                });
                // Dropping the runtime drops every task.
            })?;
        Ok(Thread { _quit: quit })
    }
}

/// Checks what [`start`] would refuse, without connecting (`check-config`).
pub fn check(settings: &MqttSettings, accounts: &[AccountSettings]) -> Result<(), MqttError> {
    chosen(settings, accounts)?;
    let topics = Topics::new(&settings.topic_prefix, &settings.discovery_prefix);
    link::options(settings, topics.service()).map_err(MqttError::Tls)?;
    Ok(())
}

/// The indices of the accounts `settings` names (every account when it names none).
fn chosen(settings: &MqttSettings, accounts: &[AccountSettings]) -> Result<Vec<usize>, MqttError> {
    match &settings.accounts {
        None => Ok((0..accounts.len()).collect()),
        Some(names) => names
            .iter()
            .map(|name| {
                accounts
                    .iter()
                    .position(|a| &a.name == name)
                    .ok_or_else(|| MqttError::UnknownAccount(name.to_string()))
            })
            .collect(),
    }
}

/// Starts publishing the accounts `settings` names (every account when it names none).
pub fn start(
    settings: &MqttSettings,
    accounts: &[AccountSettings],
    feeds: &Feeds,
) -> Result<MqttPublisher, MqttError> {
    let chosen = chosen(settings, accounts)?;
    let topics = Topics::new(&settings.topic_prefix, &settings.discovery_prefix);
    let options = link::options(settings, topics.service()).map_err(MqttError::Tls)?;
    let broker = settings.broker.to_string();
    if !settings.broker.tls && !settings.broker.is_loopback() {
        log::warn!(
            "mqtt: {broker} is plain MQTT: the broker credentials and glucose values cross the \
             network unencrypted; use mqtts:// unless that network is trusted"
        );
    }
    let names: Vec<&str> = chosen.iter().map(|&i| accounts[i].name.as_str()).collect();
    log::info!(
        "mqtt: publishing accounts {} to {broker} as client {} under {}/ (discovery under {}/)",
        names.join(", "),
        settings.client_id,
        settings.topic_prefix,
        settings.discovery_prefix
    );

    let (client, events) = AsyncClient::new(options, QUEUE);
    let (link_tx, link_rx) = watch::channel(Link::Down);
    let (stop_tx, stop_rx) = watch::channel(false);
    let finished = Arc::new(Notify::new());
    let stats = Arc::new(Stats::default());
    let outbox = Arc::new(Outbox::new(chosen.len()));
    let clock = feeds.clock();
    let mut tasks: Vec<Task> = Vec::with_capacity(chosen.len() + 2);
    for (slot, &index) in chosen.iter().enumerate() {
        let (hold, snapshots) = feeds.subscribe(index);
        tasks.push(Box::pin(publisher::watch_account(
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
    let signals = publisher::Signals {
        link: link_rx.clone(),
        stop: stop_rx.clone(),
        finished: Arc::clone(&finished),
    };
    tasks.push(Box::pin(publisher::send(
        client,
        signals,
        Arc::clone(&outbox),
        plan,
        clock,
    )));
    let signals = link::Signals {
        link: link_tx,
        stop: stop_rx,
        finished: Arc::clone(&finished),
        stats: Arc::clone(&stats),
    };
    tasks.push(Box::pin(link::drive(events, signals, broker)));
    Ok(MqttPublisher {
        _thread: Thread::spawn(tasks).map_err(MqttError::Thread)?,
        stop: stop_tx,
        finished,
        probe: MqttProbe {
            link: link_rx,
            stats,
            outbox,
        },
    })
}
