//! What is published when: one watcher task per account turns snapshots (and the passing of
//! time) into account states; one sender task publishes them while the broker is connected.
//! Between the two is the [`Outbox`], which holds the latest state of each account and
//! nothing else, so an outage of any length costs the same memory.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rumqttc::{AsyncClient, ClientError, QoS};
use tokio::sync::{watch, Notify};

use super::discovery;
use super::link::Link;
use super::state::AccountState;
use super::topics::{Topics, OFFLINE, ONLINE};
use crate::clock::Clock;
use crate::domain::AccountName;
use crate::feed::snapshot::Subscriber;
use crate::feed::Hold;
use crate::push::Thresholds;

/// One published account.
pub struct Published {
    pub name: AccountName,
    pub thresholds: Thresholds,
    pub simulated: bool,
}

/// The latest state of each published account, and which changed since they were sent.
#[derive(Default)]
pub struct Outbox {
    slots: Mutex<Vec<Slot>>,
    changed: Notify,
}

#[derive(Clone, Copy, Default)]
struct Slot {
    latest: Option<AccountState>,
    dirty: bool,
}

impl Outbox {
    pub fn new(accounts: usize) -> Outbox {
        Outbox {
            slots: Mutex::new(vec![Slot::default(); accounts]),
            changed: Notify::new(),
        }
    }

    fn slots(&self) -> MutexGuard<'_, Vec<Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the account's state (an older unsent one is simply forgotten).
    pub fn put(&self, account: usize, state: AccountState) {
        self.slots()[account] = Slot {
            latest: Some(state),
            dirty: true,
        };
        self.changed.notify_one();
    }

    fn mark_all(&self) {
        self.slots().iter_mut().for_each(|slot| slot.dirty = true);
    }

    /// The accounts changed since last taken, with their states (`None`: none yet).
    fn take_changed(&self) -> Vec<(usize, Option<AccountState>)> {
        self.slots()
            .iter_mut()
            .enumerate()
            .filter(|(_, slot)| slot.dirty)
            .map(|(i, slot)| {
                slot.dirty = false;
                (i, slot.latest)
            })
            .collect()
    }
}

/// Watches one account: publishes its state into the outbox at each change, whether a
/// snapshot brought it or time did (a reading turning stale). Holds the account watched.
pub async fn watch_account(
    slot: usize,
    mut snapshots: Subscriber,
    _hold: Hold,
    outbox: Arc<Outbox>,
    clock: Clock,
) {
    let mut last: Option<AccountState> = None;
    loop {
        let snapshot = snapshots.borrow_and_update().clone();
        let mut wake_at = None;
        if let Some(snapshot) = snapshot {
            let now = clock.now();
            let (state, next_change) = AccountState::of(&snapshot, now);
            if last != Some(state) {
                outbox.put(slot, state);
                last = Some(state);
            }
            wake_at = next_change;
        }
        tokio::select! {
            changed = snapshots.changed() => {
                if changed.is_err() {
                    return; // the feeds are gone: the application is stopping
                }
            }
            () = sleep_past(clock, wake_at) => {}
        }
    }
}

/// Waits until just after `at` (for ever when `None`): a state changes once its age is
/// strictly past a step, so waking at the step itself would see no change.
async fn sleep_past(clock: Clock, at: Option<DateTime<Utc>>) {
    match at {
        Some(at) => {
            clock
                .sleep_until(at + chrono::Duration::milliseconds(1))
                .await
        }
        None => std::future::pending().await,
    }
}

/// What the sender publishes from.
pub struct Plan {
    pub topics: Topics,
    pub accounts: Vec<Published>,
}

/// Publishes while connected: on each new connection the service's `online`, every
/// discovery config, and each account's availability and state; then each change. While
/// the link is down it sends nothing, and the outbox keeps only the latest states.
pub async fn send(
    client: AsyncClient,
    mut link: watch::Receiver<Link>,
    outbox: Arc<Outbox>,
    plan: Plan,
    clock: Clock,
) {
    let mut introduced: Option<u64> = None;
    // What each account's availability topic says on this connection.
    let mut available: Vec<Option<bool>> = vec![None; plan.accounts.len()];
    loop {
        let current = *link.borrow_and_update();
        if let Link::Up(connection) = current {
            let sender = Sender {
                client: &client,
                link: &link,
                connection,
            };
            let sent = async {
                if introduced != Some(connection) {
                    available.fill(None);
                    outbox.mark_all();
                    introduce(&sender, &plan).await?;
                    introduced = Some(connection);
                }
                for (slot, state) in outbox.take_changed() {
                    let account = &plan.accounts[slot];
                    publish_account(
                        &sender,
                        &plan.topics,
                        account,
                        state,
                        &mut available[slot],
                        clock.now(),
                    )
                    .await?;
                }
                Ok::<(), Stop>(())
            };
            match sent.await {
                Ok(()) | Err(Stop::LinkDown) => {}
                Err(Stop::ClientGone) => return,
            }
        }
        tokio::select! {
            () = outbox.changed.notified() => {}
            changed = link.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}

enum Stop {
    /// The connection went down mid-way: the next one starts over.
    LinkDown,
    /// The event loop is gone: the application is stopping.
    ClientGone,
}

struct Sender<'a> {
    client: &'a AsyncClient,
    link: &'a watch::Receiver<Link>,
    connection: u64,
}

impl Sender<'_> {
    /// Publishes retained at QoS 1, unless the connection it was meant for is gone.
    async fn publish(&self, topic: String, payload: Vec<u8>) -> Result<(), Stop> {
        if *self.link.borrow() != Link::Up(self.connection) {
            return Err(Stop::LinkDown);
        }
        match self
            .client
            .publish(topic, QoS::AtLeastOnce, true, payload)
            .await
        {
            Ok(()) => Ok(()),
            Err(ClientError::Request(_) | ClientError::TryRequest(_)) => Err(Stop::ClientGone),
        }
    }
}

/// The service's `online`, then every account's discovery configs.
async fn introduce(sender: &Sender<'_>, plan: &Plan) -> Result<(), Stop> {
    sender
        .publish(plan.topics.service(), ONLINE.as_bytes().to_vec())
        .await?;
    for account in &plan.accounts {
        for (topic, payload) in discovery::configs(&plan.topics, &account.name, account.simulated) {
            sender.publish(topic, payload).await?;
        }
    }
    Ok(())
}

/// The account's availability when it changed, and its state. A state turning available is
/// published before `online`, and `offline` before a state turning unavailable, so Home
/// Assistant never shows an old value as current.
async fn publish_account(
    sender: &Sender<'_>,
    topics: &Topics,
    account: &Published,
    state: Option<AccountState>,
    said: &mut Option<bool>,
    now: DateTime<Utc>,
) -> Result<(), Stop> {
    let available = state.is_some_and(|s| s.available());
    let availability = (*said != Some(available)).then(|| {
        let payload = if available { ONLINE } else { OFFLINE };
        (
            topics.availability(&account.name),
            payload.as_bytes().to_vec(),
        )
    });
    if !available {
        if let Some((topic, payload)) = availability.clone() {
            sender.publish(topic, payload).await?;
            *said = Some(available);
        }
    }
    if let Some(state) = state {
        let document = state.document(&account.thresholds, now);
        log::debug!(
            "mqtt: account {}: state {} published",
            account.name,
            document.status
        );
        sender
            .publish(topics.state(&account.name), document.to_bytes())
            .await?;
    }
    if available {
        if let Some((topic, payload)) = availability {
            sender.publish(topic, payload).await?;
            *said = Some(available);
        }
    }
    Ok(())
}
