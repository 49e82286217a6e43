//! The in-process [`Host`]: one dedicated arbiter (a thread with its own event loop) owns the
//! Share client (awc's client is not `Send`) and runs every feed as a task on it. A feed task
//! owns its account's session, so a client that hangs up changes nothing upstream.

use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_rt::Arbiter;
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use tokio::sync::mpsc;

use super::interest::{Host, Interest};
use super::refresh::refresh;
use super::schedule::{Poll, Schedule};
use super::session::AccountSession;
use super::snapshot::Board;
use super::status::AccountStatus;
use super::FeedSettings;
use crate::clock::chrono_span;
use crate::clock::{Clock, Tick};
use crate::config::AccountSettings;
use crate::domain::AccountName;
use crate::share::{CallObserver, ShareClient};

/// Starts feeds on the arbiter.
pub struct ArbiterHost {
    commands: mpsc::UnboundedSender<(usize, u64)>,
}

/// The arbiter that runs every feed; stops it (and every feed with it) when dropped, whoever
/// else still holds the [`ArbiterHost`].
pub struct FeedThread {
    arbiter: Arbiter,
}

impl Host for ArbiterHost {
    fn start(&self, account: usize, run: u64) {
        // Fails only once the arbiter has stopped, when nothing is served any more.
        let _ = self.commands.send((account, run));
    }
}

impl Drop for FeedThread {
    fn drop(&mut self) {
        self.arbiter.stop();
    }
}

/// What lives across the runs of one account's feed: the session and its circuit must
/// survive an idle stop, or a restart after idling could replay a rejected login.
pub(super) struct FeedState {
    pub(super) name: AccountName,
    pub(super) session: AccountSession,
    pub(super) schedule: Schedule,
    pub(super) status: AccountStatus,
    pub(super) last_backfill: Option<DateTime<Utc>>,
}

/// Everything the feed tasks share, on the arbiter's thread.
pub(super) struct Context {
    pub(super) client: ShareClient,
    pub(super) board: Arc<dyn Board>,
    pub(super) interest: Arc<Interest>,
    states: Vec<Rc<tokio::sync::Mutex<FeedState>>>,
    pub(super) settings: FeedSettings,
    pub(super) clock: Clock,
}

impl ArbiterHost {
    /// Spawns the arbiter. Must run inside an actix system (the service's `main`, a test).
    pub fn spawn(
        accounts: &[AccountSettings],
        settings: FeedSettings,
        board: Arc<dyn Board>,
        interest: Arc<Interest>,
        clock: Clock,
        observer: Arc<dyn CallObserver>,
    ) -> (ArbiterHost, FeedThread) {
        let (commands, mut received) = mpsc::unbounded_channel::<(usize, u64)>();
        let accounts = accounts.to_vec();
        let arbiter = Arbiter::new();
        // The closure is sent to the arbiter's thread; what it builds there (the awc client,
        // the feed tasks) never leaves it.
        arbiter.spawn_fn(move || {
            let context = Rc::new(Context {
                client: ShareClient::new(settings.deadline).observed_by(observer),
                states: accounts
                    .iter()
                    .map(|a| {
                        Rc::new(tokio::sync::Mutex::new(FeedState {
                            name: a.name.clone(),
                            session: AccountSession::new(
                                a,
                                settings.login.clone(),
                                settings.retry.clone(),
                                clock,
                            ),
                            schedule: Schedule::new(settings.cadence.clone()),
                            status: AccountStatus::default(),
                            last_backfill: None,
                        }))
                    })
                    .collect(),
                board,
                interest,
                settings,
                clock,
            });
            actix_web::rt::spawn(async move {
                while let Some((account, run)) = received.recv().await {
                    actix_web::rt::spawn(run_feed(Rc::clone(&context), account, run));
                }
            });
        });
        (ArbiterHost { commands }, FeedThread { arbiter })
    }
}

async fn run_feed(context: Rc<Context>, account: usize, run: u64) {
    // A bug in one feed must not leave its account marked running with no one to publish.
    let feed = AssertUnwindSafe(feed_loop(Rc::clone(&context), account, run));
    if feed.catch_unwind().await.is_err() {
        log::error!("account number {account}: the feed failed; the next request restarts it");
        context.interest.stopped(account, run);
    }
}

async fn feed_loop(context: Rc<Context>, account: usize, run: u64) {
    let cell = Rc::clone(&context.states[account]);
    let mut state = cell.lock().await;
    log::info!("account {}: watched; feed started", state.name);
    let mut poll = Poll::Unaligned;
    let mut wake = context.clock.tick();
    loop {
        if !wait_for(&context, account, wake).await {
            break;
        }
        let (snapshot, next) = refresh(&context, &mut state, account, run, poll).await;
        poll = next.poll;
        // Waited for on the monotonic scale: a wall clock stepped back (a Raspberry Pi
        // correcting its boot-time clock) must not stall the feed.
        let span = (next.at - context.clock.now())
            .to_std()
            .unwrap_or(Duration::ZERO);
        wake = context.clock.tick() + span;
        context.board.publish(account, Arc::new(snapshot));
    }
    context.interest.stopped(account, run);
    log::info!(
        "account {}: no client asked for {} s; feed stopped (no Share calls while unwatched)",
        state.name,
        context.settings.idle_after.as_secs()
    );
    drop(state);
    // A request that came in while stopping saw the feed running and started nothing.
    if watched(&context, account) {
        if let Some(run) = context.interest.try_start(account) {
            actix_web::rt::spawn(run_feed(Rc::clone(&context), account, run));
        }
    }
}

fn watched(context: &Context, account: usize) -> bool {
    let idle_after = chrono_span(context.settings.idle_after);
    let last = context.interest.last_asked_ms(account);
    context.interest.held(account)
        || context.clock.now().timestamp_millis() - last < idle_after.num_milliseconds()
}

/// Sleeps until the monotonic point `at`; `false` when the account became unwatched first.
async fn wait_for(context: &Context, account: usize, at: Tick) -> bool {
    loop {
        if !watched(context, account) {
            return false;
        }
        let left = at.saturating_sub(context.clock.tick());
        if left.is_zero() {
            return true;
        }
        let now = context.clock.now();
        let last = context.interest.last_asked_ms(account);
        let idle_at = DateTime::from_timestamp_millis(last).unwrap_or(now)
            + chrono_span(context.settings.idle_after);
        let until_idle = if context.interest.held(account) {
            left
        } else {
            (idle_at - now).to_std().unwrap_or(Duration::ZERO)
        };
        // Wake at least every minute: a push subscriber may have let go meanwhile.
        let span = left.min(until_idle).min(Duration::from_secs(60));
        context
            .clock
            .sleep(span.max(Duration::from_millis(1)))
            .await;
    }
}
