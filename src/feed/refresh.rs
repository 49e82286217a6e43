//! One refresh of a feed: a Share read (unless the circuit refuses it) within one deadline,
//! the merge into the held day, what the answer teaches about the upload lag, and when to
//! read next.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::error::UpstreamError;
use super::plan::{plan, ReadKind};
use super::runner::{Context, FeedState};
use super::schedule::{Next, Poll};
use super::snapshot::Snapshot;
use super::window::{plausible, Window};
use crate::clock::chrono_span;
use crate::share::ShareError;

/// One refresh: a Share read unless the circuit refuses it, the merge, the lag learned, and
/// the next poll. All of it inside one deadline.
pub(super) async fn refresh(
    context: &Context,
    state: &mut FeedState,
    account: usize,
    run: u64,
    poll: Poll,
) -> (Snapshot, Next) {
    let clock = context.clock;
    let settings = &context.settings;
    let previous = context.board.latest(account);
    let now = clock.now();
    let window = previous
        .as_ref()
        .map_or_else(|| Arc::new(Window::empty(now)), |s| Arc::clone(&s.window));
    let mut fetched_at = previous.as_ref().and_then(|s| s.fetched_at);
    let plan = plan(
        &window,
        state.last_backfill,
        now,
        &settings.reach,
        settings.cadence.interval,
    );
    let read = state
        .session
        .read(&context.client, plan.minutes, plan.max_count);
    let result = match tokio::time::timeout(settings.deadline, read).await {
        Ok(result) => result,
        Err(_) => Err(UpstreamError::Share(ShareError::Timeout {
            seconds: settings.deadline.as_secs(),
        })),
    };
    state.session.settle(&result);
    let polled_at = clock.now();
    let (window, failure) = match result {
        Ok(readings) => {
            let received = readings.len();
            let (kept, set_aside) = plausible(readings, polled_at, settings.future_tolerance);
            if let Some(furthest) = set_aside.furthest {
                log::warn!(
                    "account {}: set aside {} reading(s) dated up to {furthest}, more than {} s \
                     ahead of this host's clock: a wrong clock on the wearer's phone or on \
                     this host",
                    state.name,
                    set_aside.future,
                    settings.future_tolerance.num_seconds()
                );
            }
            let before = window.newest().map(|r| r.instant());
            let merged = window.merged(kept, polled_at).map(Arc::new);
            let window = merged.unwrap_or(window);
            let after = window.newest().map(|r| r.instant());
            state.schedule.observe(poll, polled_at, before, after);
            if plan.kind != ReadKind::Incremental {
                state.last_backfill = Some(polled_at);
            }
            fetched_at = Some(polled_at);
            log::debug!(
                "account {}: {} read ({} min, max {}): {received} record(s), newest {}",
                state.name,
                plan.kind.as_str(),
                plan.minutes.get(),
                plan.max_count.get(),
                after.map_or_else(|| "none".to_owned(), |t| t.to_rfc3339())
            );
            (window, None)
        }
        // A transient fault opened the circuit: say until when, as the next request's
        // answer would have said without calling Share.
        Err(error @ UpstreamError::Share(_)) => {
            let reported = state.session.refusal().unwrap_or(error);
            (window, Some(Arc::new(reported)))
        }
        Err(error) => (window, Some(Arc::new(error))),
    };
    state
        .status
        .record(polled_at, state.session.status(), failure.as_deref());
    state.status.logins = state.session.logins;
    state.status.login_outcomes = state.session.login_outcomes;
    state.status.reads = state.session.reads;
    let next = next_poll(context, state, polled_at, &window, failure.is_some());
    let snapshot = Snapshot {
        run,
        window,
        fetched_at,
        failure,
        next_poll_at: next.at,
        reading_due: next.reading_due,
        lag: state.schedule.lag(),
        status: state.status.clone(),
    };
    (snapshot, next)
}

/// The schedule's next poll (after a failure, a retry soon: what is held may be behind), not
/// before the circuit or the login interval allow a call.
fn next_poll(
    context: &Context,
    state: &FeedState,
    now: DateTime<Utc>,
    window: &Window,
    failed: bool,
) -> Next {
    let mut next = state
        .schedule
        .next(now, window.newest().map(|r| r.instant()));
    if failed {
        next.at = now + context.settings.cadence.retry_every;
        next.poll = Poll::Unaligned;
    }
    if let Some(earliest) = state.session.earliest_call() {
        let wait = earliest.saturating_sub(context.clock.tick());
        let allowed = now + chrono_span(wait);
        if allowed > next.at {
            // A poll pushed back by the circuit teaches nothing about the lag.
            next.at = allowed;
            next.poll = Poll::Unaligned;
        }
    }
    next
}
