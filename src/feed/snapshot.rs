//! What a feed publishes after each refresh, and where it is published. Requests read only
//! this: they never call Share.
//!
//! The [`Board`] is in-process here (one `watch` channel per account). Several replicas sharing
//! one feed per account would publish through a shared store instead (Redis/Valkey: a key per
//! account plus a notification), behind the same interface.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::error::UpstreamError;
use super::status::AccountStatus;
use super::window::{Window, DAY};

/// One account's state as its feed last published it.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The feed run that published it (a feed that stopped while unwatched and started again
    /// counts as a new run, so a request can tell a live snapshot from a leftover one).
    pub run: u64,
    /// The readings held (possibly from before the last failure).
    pub window: Arc<Window>,
    /// When Share last answered a read; `None` until it has.
    pub fetched_at: Option<DateTime<Utc>>,
    /// Why the last refresh brought nothing; `None` after a good read.
    pub failure: Option<Arc<UpstreamError>>,
    /// When the feed reads Share next.
    pub next_poll_at: DateTime<Utc>,
    /// When the next reading should be visible upstream, if one is expected.
    pub reading_due: Option<DateTime<Utc>>,
    /// The learned upload lag.
    pub lag: chrono::Duration,
    pub status: AccountStatus,
}

impl Snapshot {
    /// Whether the window may be served at `now`: Share answered it within the last day.
    pub fn usable(&self, now: DateTime<Utc>) -> bool {
        self.fetched_at.is_some_and(|at| now - at < DAY)
    }
}

/// The receiving end of one account's snapshots.
pub type Subscriber = watch::Receiver<Option<Arc<Snapshot>>>;

/// Where feeds publish their snapshots and requests read them.
pub trait Board: Send + Sync {
    fn publish(&self, account: usize, snapshot: Arc<Snapshot>);
    fn latest(&self, account: usize) -> Option<Arc<Snapshot>>;
    /// Notified at each publish for `account`.
    fn subscribe(&self, account: usize) -> Subscriber;
}

/// The in-process board: one channel per account, in one allocation for all accounts.
pub struct LocalBoard {
    slots: Box<[watch::Sender<Option<Arc<Snapshot>>>]>,
}

impl LocalBoard {
    pub fn new(accounts: usize) -> LocalBoard {
        LocalBoard {
            slots: (0..accounts).map(|_| watch::Sender::new(None)).collect(),
        }
    }

    fn slot(&self, account: usize) -> &watch::Sender<Option<Arc<Snapshot>>> {
        &self.slots[account]
    }
}

impl Board for LocalBoard {
    fn publish(&self, account: usize, snapshot: Arc<Snapshot>) {
        self.slot(account).send_replace(Some(snapshot));
    }

    fn latest(&self, account: usize) -> Option<Arc<Snapshot>> {
        self.slot(account).borrow().clone()
    }

    fn subscribe(&self, account: usize) -> Subscriber {
        self.slot(account).subscribe()
    }
}
