//! What is published when: one watcher task per account turns snapshots (and the passing of
//! time) into account states in the [`Outbox`]; one sender task publishes them while the
//! broker is connected, and says goodbye when the service stops.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rumqttc::{AsyncClient, ClientError, QoS};
use tokio::sync::{watch, Notify};

use super::discovery;
use super::link::Link;
use super::outbox::Outbox;
use super::state::AccountState;
use super::topics::{Topics, OFFLINE, ONLINE};
use crate::clock::Clock;
use crate::domain::AccountName;
use crate::feed::snapshot::Subscriber;
use crate::push::Thresholds;

/// One published account.
pub struct Published {
    pub name: AccountName,
    pub thresholds: Thresholds,
    pub simulated: bool,
}

/// Watches one account: puts its state into the outbox at each change, whether a snapshot
/// brought it or time did (a reading turning stale with no new one). `hold` keeps the
/// account watched for as long as this runs.
pub async fn watch_account<H>(
    slot: usize,
    mut snapshots: Subscriber,
    hold: H,
    outbox: Arc<Outbox>,
    clock: Clock,
) {
    let _hold = hold;
    let mut last: Option<AccountState> = None;
    loop {
        let snapshot = snapshots.borrow_and_update().clone();
        let mut wake_at = None;
        if let Some(snapshot) = snapshot {
            let (state, next_change) = AccountState::of(&snapshot, clock.now());
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

/// The sender's channels besides the client.
pub struct Signals {
    pub link: watch::Receiver<Link>,
    /// Becomes `true` when the service stops.
    pub stop: watch::Receiver<bool>,
    /// Notified when the goodbye is done, or cannot be said (no connection).
    pub finished: Arc<Notify>,
}

/// Publishes while connected: on each new connection the service's `online`, every
/// discovery config, and each account's availability and state; then each change. While
/// the link is down it sends nothing, and the outbox keeps only the newest states. When the
/// service stops, publishes `offline` and disconnects.
pub async fn send(
    client: AsyncClient,
    signals: Signals,
    outbox: Arc<Outbox>,
    plan: Plan,
    clock: Clock,
) {
    let Signals {
        mut link,
        mut stop,
        finished,
    } = signals;
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
                    let said = &mut available[slot];
                    publish_account(&sender, &plan.topics, account, state, said, clock.now())
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
            () = outbox.changed() => {}
            changed = link.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            () = stopping(&mut stop) => {
                if goodbye(&client, &link, &plan.topics).await.is_err() {
                    // No connection to say it on: the broker publishes the will, or already
                    // did when the connection was lost.
                    finished.notify_one();
                }
                return;
            }
        }
    }
}

/// Resolves once the service stops cleanly; never when the publisher was dropped instead
/// (its thread is stopping, and the last will says `offline`). A guard of the channel must
/// not live across the goodbye's awaits: it would make the task not `Send`.
async fn stopping(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|stopping| *stopping).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The service's `offline` (retained, as the will would say it), then DISCONNECT, which
/// tells the broker to drop the will. The link task reports when DISCONNECT is out.
async fn goodbye(
    client: &AsyncClient,
    link: &watch::Receiver<Link>,
    topics: &Topics,
) -> Result<(), Stop> {
    let Link::Up(connection) = *link.borrow() else {
        return Err(Stop::LinkDown);
    };
    let sender = Sender {
        client,
        link,
        connection,
    };
    sender
        .publish(topics.service(), OFFLINE.as_bytes().to_vec())
        .await?;
    client.disconnect().await.map_err(|_| Stop::ClientGone)
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
    let availability = || {
        let payload = if available { ONLINE } else { OFFLINE };
        (
            topics.availability(&account.name),
            payload.as_bytes().to_vec(),
        )
    };
    let changes = *said != Some(available);
    if changes && !available {
        let (topic, payload) = availability();
        sender.publish(topic, payload).await?;
        *said = Some(available);
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
    if changes && available {
        let (topic, payload) = availability();
        sender.publish(topic, payload).await?;
        *said = Some(available);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::domain::{Reading, Trend};
    use crate::feed::status::AccountStatus;
    use crate::feed::window::Window;
    use crate::feed::{Board, LocalBoard, Snapshot};
    use crate::push::DataState;

    /// One snapshot, then none: the state still turns stale when its reading does, woken by
    /// the time the status says it changes, not by a snapshot.
    #[actix_rt::test]
    async fn a_reading_turns_stale_with_no_new_snapshot() {
        let clock = Clock::scaled(600.0);
        let now = clock.now();
        let taken = now - chrono::Duration::seconds(9 * 60 + 30);
        let reading = Reading::new(120, Trend::Flat, taken.fixed_offset()).expect("reading");
        let board = LocalBoard::new(1);
        board.publish(
            0,
            Arc::new(Snapshot {
                run: 1,
                window: Arc::new(Window::new(vec![reading], now)),
                fetched_at: Some(now),
                failure: None,
                next_poll_at: now + chrono::Duration::hours(1),
                reading_due: None,
                lag: chrono::Duration::zero(),
                status: AccountStatus::default(),
            }),
        );
        let outbox = Arc::new(Outbox::new(1));
        let watcher = actix_rt::spawn(watch_account(
            0,
            board.subscribe(0),
            (),
            Arc::clone(&outbox),
            clock,
        ));

        let mut seen = Vec::new();
        // 30 simulated seconds to staleness are 50 ms of real time; allow 10 s.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !seen.contains(&DataState::Stale) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let changed = tokio::time::timeout(left, outbox.changed()).await;
            assert!(changed.is_ok(), "saw only {seen:?}");
            for (_, state) in outbox.take_changed() {
                let state = state.expect("a state");
                assert_eq!(state.reading, Some(reading), "no new reading");
                seen.push(state.data);
            }
        }
        watcher.abort();
        assert_eq!(seen, [DataState::Fresh, DataState::Stale]);
    }
}
