//! The live feed: one long-lived task per watched account owns the account's Share session,
//! its circuit and every Share call, polls on the sensor's cadence, reads incrementally, and
//! publishes a [`Snapshot`] after each refresh. Requests only read snapshots: on a cold start
//! they wait for the first one, within the upstream timeout; nothing a client does (hanging up
//! included) reaches Share.
//!
//! - [`session`] and [`circuit`]: logins, reads and the back-offs that protect the account;
//! - [`schedule`] and [`plan`]: when to read and what to ask for;
//! - [`window`]: the day of readings held, and how answers merge into it;
//! - [`snapshot`]: where feeds publish ([`Board`]); [`interest`]: which accounts are watched
//!   and which feeds run ([`Host`]); [`runner`]: the in-process host.

pub mod backoff;
pub mod circuit;
pub mod error;
pub mod interest;
pub mod plan;
mod refresh;
pub mod runner;
pub mod schedule;
pub mod session;
pub mod snapshot;
pub mod status;
pub mod window;

use std::sync::Arc;
use std::time::Duration;

pub use error::UpstreamError;
pub use interest::{Host, Interest};
pub use snapshot::{Board, LocalBoard, Snapshot};

use crate::clock::Clock;
use crate::config::AccountSettings;
use crate::share::CallObserver;
use backoff::{LoginPolicy, RetryPolicy};
use runner::ArbiterHost;
pub use runner::FeedThread;

/// How feeds behave (`[feed]`, `[login]` and `[upstream]` in the config).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedSettings {
    pub cadence: schedule::Cadence,
    pub reach: plan::Reach,
    /// An account stays watched this long after a client last asked for it.
    pub idle_after: Duration,
    /// Readings dated further ahead of this host's clock are set aside.
    pub future_tolerance: chrono::Duration,
    /// Bounds a whole refresh (login, read and the one retry) and a cold request's wait.
    pub deadline: Duration,
    pub login: LoginPolicy,
    pub retry: RetryPolicy,
}

impl Default for FeedSettings {
    fn default() -> Self {
        FeedSettings {
            cadence: schedule::Cadence::default(),
            reach: plan::Reach::default(),
            idle_after: Duration::from_secs(15 * 60),
            future_tolerance: chrono::Duration::minutes(2),
            deadline: Duration::from_secs(10),
            login: LoginPolicy::default(),
            retry: RetryPolicy::default(),
        }
    }
}

/// What a request found.
pub enum Observed {
    /// A snapshot of the running feed; `waited` when the request waited for its first one.
    Published {
        snapshot: Arc<Snapshot>,
        waited: bool,
    },
    /// The running feed published nothing within the deadline; what an earlier run left.
    NotYet(Option<Arc<Snapshot>>),
}

/// The request side of the feeds: marks accounts watched and reads their snapshots.
pub struct Feeds {
    interest: Arc<Interest>,
    board: Arc<dyn Board>,
    host: Arc<dyn Host>,
    clock: Clock,
    deadline: Duration,
    first_wait: Duration,
}

/// A cold request waits this much longer than a refresh may take, so that even a refresh cut
/// off by its deadline is published before the request gives up.
const PUBLISH_SLACK: Duration = Duration::from_millis(500);

impl Feeds {
    /// The in-process feeds: a board, and an arbiter that runs the feed tasks until the
    /// returned [`FeedThread`] is dropped. `observer` hears of every Share call.
    pub fn start(
        accounts: &[AccountSettings],
        settings: FeedSettings,
        clock: Clock,
        observer: Arc<dyn CallObserver>,
    ) -> (Feeds, FeedThread) {
        let board: Arc<dyn Board> = Arc::new(LocalBoard::new(accounts.len()));
        let interest = Arc::new(Interest::new(accounts.len()));
        let deadline = settings.deadline;
        let first_wait = deadline + PUBLISH_SLACK;
        let (host, thread) = ArbiterHost::spawn(
            accounts,
            settings,
            Arc::clone(&board),
            Arc::clone(&interest),
            clock,
            observer,
        );
        let feeds = Feeds {
            interest,
            board,
            host: Arc::new(host),
            clock,
            deadline,
            first_wait,
        };
        (feeds, thread)
    }

    /// The latest snapshot of the account's running feed, starting the feed when it is not
    /// running and waiting (within the deadline) for its first snapshot.
    pub async fn observe(&self, account: usize) -> Observed {
        let run = self.watch(account);
        let latest = self.board.latest(account);
        if let Some(snapshot) = latest.as_ref().filter(|s| s.run >= run) {
            return Observed::Published {
                snapshot: Arc::clone(snapshot),
                waited: false,
            };
        }
        let mut updates = self.board.subscribe(account);
        let first = async {
            let published = updates
                .wait_for(|s| s.as_ref().is_some_and(|s| s.run >= run))
                .await;
            published.ok().and_then(|s| s.clone())
        };
        match tokio::time::timeout(self.first_wait, first).await {
            Ok(Some(snapshot)) => Observed::Published {
                snapshot,
                waited: true,
            },
            _ => Observed::NotYet(self.board.latest(account)),
        }
    }

    /// Marks the account asked for now, as a request does, and starts its feed when it is
    /// not running; returns the run number. Does not wait for a snapshot (`/ready`, and
    /// `/metrics` with glucose gauges, ask this way).
    pub fn watch(&self, account: usize) -> u64 {
        self.interest
            .asked(account, self.clock.now().timestamp_millis());
        match self.interest.running(account) {
            Some(run) => run,
            None => match self.interest.try_start(account) {
                Some(run) => {
                    self.host.start(account, run);
                    run
                }
                // Another request started it a moment ago.
                None => self.interest.running(account).unwrap_or(0),
            },
        }
    }

    /// Where the feeds publish, for readers that look at every account at once (metrics).
    pub fn board(&self) -> Arc<dyn Board> {
        Arc::clone(&self.board)
    }

    /// The latest snapshot, whether or not the feed runs (for `/accounts`).
    pub fn latest(&self, account: usize) -> Option<Arc<Snapshot>> {
        self.board.latest(account)
    }

    /// Whether the account's feed runs (a client asked for it within `idle_after`, or a push
    /// subscriber holds it).
    pub fn is_watched(&self, account: usize) -> bool {
        self.interest.running(account).is_some()
    }

    /// For a push subscriber: keeps the account watched while the [`Hold`] lives, and the
    /// receiving end of every snapshot the account's feed publishes (the latest one at once).
    pub fn subscribe(&self, account: usize) -> (Hold, snapshot::Subscriber) {
        let hold = self.hold(account);
        (hold, self.board.subscribe(account))
    }

    /// The run number of the account's feed, if it runs: a snapshot of an earlier run is a
    /// leftover from before the account went idle.
    pub fn running_run(&self, account: usize) -> Option<u64> {
        self.interest.running(account)
    }

    /// Keeps the account watched until the guard is dropped (push subscribers).
    pub fn hold(&self, account: usize) -> Hold {
        self.interest.hold(account);
        if let Some(run) = self.interest.try_start(account) {
            self.host.start(account, run);
        }
        Hold {
            interest: Arc::clone(&self.interest),
            account,
        }
    }

    /// What bounds one refresh.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// The clock feeds and answers agree on.
    pub fn clock(&self) -> Clock {
        self.clock
    }
}

/// Keeps an account watched while it lives.
pub struct Hold {
    interest: Arc<Interest>,
    account: usize,
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.interest.release(self.account);
    }
}
