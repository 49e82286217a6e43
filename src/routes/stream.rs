//! `GET /readings/stream`: Server-Sent Events of one account. The stream keeps the account
//! watched, and reads the snapshots its feed publishes like every request: a thousand
//! subscribers cost Share nothing more than one.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{get, web, HttpRequest, HttpResponse};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::SendTimeoutError;

use super::query::{AccountQuery, QueryParams, TokenQuery};
use super::resolve_account;
use super::responses::StreamErrors;
use crate::accounts::Account;
use crate::clock::Clock;
use crate::error::{upstream_code, ApiError};
use crate::feed::snapshot::Subscriber;
use crate::feed::window::DAY;
use crate::feed::{Hold, Snapshot};
use crate::push::events;
use crate::push::{FeedStatus, Slot};
use crate::shutdown::Stopping;
use crate::state::AppState;

/// Server-Sent Events (`text/event-stream`) of one account: each new reading the moment the
/// service learns it, and the feed's state whenever it changes.
///
/// - On connect: `retry: 5000`, then a `reading` event with the newest reading of the last
///   24 hours (none when there is none), and a `status` event.
/// - Then one `reading` event per new reading, with `id` set to the reading's epoch
///   milliseconds, and a `status` event whenever the state changes: a reading turning stale,
///   no data for 15 or 30 minutes, an upstream fault, recovery.
/// - On reconnect, `Last-Event-ID` (which `EventSource` sends by itself) replays, oldest first,
///   the readings held that are newer than that ID.
/// - A comment (`: keep-alive`) every 15 s keeps proxies from closing an idle stream.
///
/// A `reading` event's data is a reading as `/readings` shows it plus `range`; a `status`
/// event's data is `{"state", "upstream_error", "newest_reading_at", "next_reading_due"}`.
/// Readings that Share fills in late, older than one already sent, are not pushed (`/readings`
/// has them). At most `push.max_streams` streams are open at once (503 `too_many_streams`
/// beyond); a client that does not read its events is dropped.
#[utoipa::path(
    operation_id = "streamReadings",
    tag = "readings",
    params(AccountQuery, TokenQuery, ("Last-Event-ID" = Option<String>, Header, description = "The `id` of the last event received: the readings after it are replayed")),
    security(("bearer" = []), ()),
    responses(
        (status = 200, description = "The event stream (`event: reading` with a `ReadingEvent`, `event: status` with a `FeedStatus`)", content_type = "text/event-stream", body = String),
        StreamErrors,
    )
)]
#[get("/readings/stream")]
pub async fn stream(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::parse(req.query_string())?;
    let account = resolve_account(&req, &state.accounts, &query)?;
    let retry_after_seconds = state.push.retry.as_secs().max(1);
    let slot = state.streams.take().ok_or(ApiError::TooManyStreams {
        max: state.push.max_streams,
        retry_after_seconds,
    })?;
    let last_event_id = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(events::last_event_id);
    let (hold, updates) = state.feeds.subscribe(account.index);
    let (sender, receiver) = mpsc::channel::<Bytes>(state.push.buffer_events);
    let subscriber = Subscription {
        account: Arc::clone(&account),
        updates,
        run: state.feeds.running_run(account.index),
        clock: state.clock,
        first_wait: state.feeds.deadline() + Duration::from_millis(500),
        stopping: state.stopping.clone(),
        _hold: hold,
        _slot: slot,
        refusals: state.streams.refusals(),
    };
    let outbox = Outbox {
        sender,
        patience: state.push.slow_client,
    };
    let pace = Pace {
        keep_alive: state.push.keep_alive,
        retry: state.push.retry,
    };
    actix_web::rt::spawn(subscriber.run(outbox, pace, last_event_id));
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let frame = receiver.recv().await?;
        Some((Ok::<_, std::convert::Infallible>(frame), receiver))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // nginx would otherwise hold the events back in its buffer.
        .insert_header(("x-accel-buffering", HeaderValue::from_static("no")))
        .streaming(body))
}

/// The timing of a stream.
#[derive(Clone, Copy)]
struct Pace {
    keep_alive: Duration,
    retry: Duration,
}

/// One subscriber: what it needs to follow its account, and the hold and the slot it keeps
/// while it runs.
struct Subscription {
    account: Arc<Account>,
    updates: Subscriber,
    run: Option<u64>,
    clock: Clock,
    first_wait: Duration,
    stopping: Stopping,
    _hold: Hold,
    _slot: Slot,
    /// Told when a stream is refused for want of a place.
    refusals: Arc<tokio::sync::Notify>,
}

/// Where a subscriber's events wait for its connection to take them.
struct Outbox {
    sender: mpsc::Sender<Bytes>,
    /// How long an event may wait for room; a client slower than that is dropped.
    patience: Duration,
}

impl Outbox {
    async fn send(&self, frame: Bytes) -> Result<(), End> {
        match self.sender.send_timeout(frame, self.patience).await {
            Ok(()) => Ok(()),
            Err(SendTimeoutError::Timeout(_)) => Err(End::TooSlow),
            Err(SendTimeoutError::Closed(_)) => Err(End::Gone),
        }
    }
}

/// Why a stream ends.
enum End {
    /// The client hung up.
    Gone,
    /// The client does not read its events: dropped before they pile up.
    TooSlow,
}

impl Subscription {
    /// Produces the subscriber's events into `sender` until the client hangs up or falls
    /// behind, or the service stops; the hold and the slot go with it. Ending the stream
    /// ends its response, so that a stopping server is not held by it (clients reconnect
    /// after `retry`, to whatever serves next).
    async fn run(mut self, outbox: Outbox, pace: Pace, last_event_id: Option<i64>) {
        let stopping = self.stopping.clone();
        let ended = tokio::select! {
            ended = self.follow(&outbox, pace, last_event_id) => ended,
            () = stopping.wait() => Ok(()),
        };
        if let Err(End::TooSlow) = ended {
            log::info!(
                "account {}: an event stream client was dropped for not reading its events",
                self.account.name
            );
        }
    }

    async fn follow(
        &mut self,
        out: &Outbox,
        pace: Pace,
        last_event_id: Option<i64>,
    ) -> Result<(), End> {
        out.send(events::retry(pace.retry.as_millis() as u64))
            .await?;
        let first = self.first_snapshot().await;
        let now = self.clock.now();
        // An ID from the future is no reading of ours; it would hold back every new one.
        let last_event_id = last_event_id.filter(|id| *id <= now.timestamp_millis() + 120_000);
        // The newest reading sent (or known to the client); later ones are new.
        let mut sent = match (&first, last_event_id) {
            (Some(snapshot), Some(id)) => self.send_after(out, snapshot, id, now).await?,
            (Some(snapshot), None) => self.send_newest(out, snapshot, now).await?,
            (None, id) => id,
        };
        let mut status = self.status(first.as_deref(), now);
        out.send(events::status(&status)).await?;
        let mut keep_alive = tokio::time::interval(pace.keep_alive);
        keep_alive.tick().await;
        let refusals = Arc::clone(&self.refusals);
        loop {
            let changes_at = status.next_change(self.clock.now());
            tokio::select! {
                changed = self.updates.changed() => {
                    changed.map_err(|_| End::Gone)?;
                    let snapshot = self.updates.borrow_and_update().clone();
                    let now = self.clock.now();
                    if let Some(snapshot) = snapshot.as_deref() {
                        sent = match sent {
                            Some(id) => self.send_after(out, snapshot, id, now).await?,
                            None => self.send_newest(out, snapshot, now).await?,
                        };
                    }
                    let fresh = self.status(snapshot.as_deref(), now);
                    if fresh.differs_from(&status) {
                        out.send(events::status(&fresh)).await?;
                    }
                    status = fresh;
                }
                () = sleep_until(self.clock, changes_at) => {
                    let snapshot = self.updates.borrow().clone();
                    let fresh = self.status(snapshot.as_deref(), self.clock.now());
                    if fresh.differs_from(&status) {
                        out.send(events::status(&fresh)).await?;
                    }
                    status = fresh;
                }
                _ = keep_alive.tick() => out.send(events::keep_alive()).await?,
                // A write finds out whether the client is still there (see `Slots`).
                () = refusals.notified() => out.send(events::keep_alive()).await?,
                // The hold and the slot go as soon as actix drops the connection's body (at
                // shutdown, or when a write to a closed socket fails), not at the next event.
                // A client's hang-up alone is only seen at a write: up to two keep-alives, or
                // two refused streams.
                () = out.sender.closed() => return Err(End::Gone),
            }
        }
    }

    /// The first snapshot of the running feed, waiting for it on a cold start.
    async fn first_snapshot(&mut self) -> Option<Arc<Snapshot>> {
        let run = self.run.unwrap_or(0);
        let updates = &mut self.updates;
        let wait = async {
            let published = updates
                .wait_for(|s| s.as_ref().is_some_and(|s| s.run >= run))
                .await;
            published.ok().and_then(|s| s.clone())
        };
        match tokio::time::timeout(self.first_wait, wait).await {
            Ok(Some(snapshot)) => Some(snapshot),
            _ => self.updates.borrow().clone(),
        }
    }

    /// Sends the newest reading of the last day; returns the newest reading held.
    async fn send_newest(
        &self,
        out: &Outbox,
        snapshot: &Snapshot,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, End> {
        if let Some(reading) = snapshot.window.latest(now) {
            out.send(events::reading(reading, &self.account.thresholds, now))
                .await?;
        }
        Ok(snapshot.window.newest().map(|r| r.epoch_ms()))
    }

    /// Sends every reading of the last day newer than `after`, oldest first; returns the
    /// newest reading sent (or `after`).
    async fn send_after(
        &self,
        out: &Outbox,
        snapshot: &Snapshot,
        after: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, End> {
        let readings = snapshot.window.readings();
        let day = snapshot.window.within(now, DAY);
        let newer = readings[..day].partition_point(|r| r.epoch_ms() > after);
        for reading in readings[..newer].iter().rev() {
            out.send(events::reading(reading, &self.account.thresholds, now))
                .await?;
        }
        // The newest held, even when `after` is newer: a reading the feed has since set aside
        // must not hold back the ones that follow.
        Ok(Some(readings.first().map_or(after, |r| r.epoch_ms())))
    }

    fn status(&self, snapshot: Option<&Snapshot>, now: DateTime<Utc>) -> FeedStatus {
        match snapshot {
            Some(snapshot) => {
                let code = snapshot
                    .failure
                    .as_deref()
                    .map(|error| upstream_code(error).to_owned());
                FeedStatus::of(snapshot, code, now)
            }
            None => FeedStatus::not_yet(),
        }
    }
}

/// Sleeps until `at` on `clock`, or forever when there is no `at`.
async fn sleep_until(clock: Clock, at: Option<DateTime<Utc>>) {
    match at {
        Some(at) => clock.sleep_until(at).await,
        None => std::future::pending().await,
    }
}
