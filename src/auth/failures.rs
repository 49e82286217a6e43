//! Slows down, then refuses, clients that keep presenting missing or wrong credentials. As in
//! Nightscout, the n-th failure of a client within a quiet minute is answered after
//! `(n - 1) × 250 ms`, at most 5 s. Past [`MAX_WAITING_FAILURES`] failures being delayed at
//! once, or [`MAX_RECENT_FAILURES`] in the last minute, a failure is answered at once with 429
//! instead, so that parallel requests cannot turn the delay into a pile of sleeping requests;
//! and while a client is past a limit, every request of its that carries credentials gets 429
//! before they are checked, so that the fast answers cannot be used to test guesses. Valid
//! requests are never delayed; they are refused only from a client that is past a limit. A
//! client is an IPv4 address or an IPv6 /64 (see [`ClientKey`]).

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::client::ClientKey;

/// Added to the delay for each earlier failure.
pub const FAILURE_DELAY_STEP: Duration = Duration::from_millis(250);
/// The longest delay.
pub const MAX_FAILURE_DELAY: Duration = Duration::from_secs(5);
/// A client's failures are forgotten after this long without a new one; also the span over
/// which [`MAX_RECENT_FAILURES`] counts.
const FORGET_AFTER: Duration = Duration::from_secs(60);
/// Bounds the memory an attacker with many addresses can make the service use.
const MAX_CLIENTS: u64 = 10_000;

/// At most this many failures of one client are delayed at the same time; one more that would
/// have to wait is answered at once with 429. Real clients (a hub, a phone, a watch face, a
/// tablet behind one home address, all still holding a revoked token) each poll about once a
/// minute and wait at most 5 s, so even together they seldom have more than one failure
/// waiting; four leaves room for all of them at once. More than that means parallel requests,
/// which the delay alone would answer with one sleeping request (and open connection) each,
/// and one guess each per delay.
pub const MAX_WAITING_FAILURES: usize = 4;

/// At most this many failures of one client within a minute (refused ones included); the next
/// is answered at once with 429 until the oldest of them is a minute old. The delay alone
/// lets a client that retries at once make about 22 failures a minute (the 21st comes 52.5 s
/// after the first), so a client that waits for each answer never reaches 30: only parallel
/// requests do (or a client of a service whose `[auth] failure_delay_max_ms` is lowered, for
/// which this limit is then the only brake).
pub const MAX_RECENT_FAILURES: usize = 30;

/// Failed credential attempts per client (IPv4 address or IPv6 /64).
pub struct AuthFailures {
    // moka evicts idle and surplus entries on its own; the history is shared by concurrent
    // failures of one client.
    clients: moka::future::Cache<ClientKey, Arc<Mutex<History>>>,
    max_delay: Duration,
}

/// What to do with one failure.
pub struct Recorded {
    /// Who it is counted against.
    pub client: ClientKey,
    /// The client's failures since its last quiet minute, this one included.
    pub failures: u32,
    pub answer: FailureAnswer,
}

pub enum FailureAnswer {
    /// Answer after `delay`; `slot` (held until then) counts the failure as waiting.
    Delay {
        delay: Duration,
        slot: Option<WaitingSlot>,
    },
    /// Answer at once with 429; the client's count will have decayed enough after
    /// `retry_after`.
    Refuse { retry_after: Duration },
}

/// A failure being delayed; dropping it (after the delay, or when the client hangs up and its
/// request is dropped) ends its wait.
pub struct WaitingSlot {
    history: Arc<Mutex<History>>,
    id: u64,
}

impl Drop for WaitingSlot {
    fn drop(&mut self) {
        lock(&self.history).waiting.retain(|(id, _)| *id != self.id);
    }
}

impl Default for AuthFailures {
    fn default() -> Self {
        AuthFailures::new(MAX_FAILURE_DELAY)
    }
}

impl AuthFailures {
    /// `max_delay`: the longest wait (`[auth] failure_delay_max_ms`); zero turns the delay off
    /// (the limit of [`MAX_RECENT_FAILURES`] still holds).
    pub fn new(max_delay: Duration) -> Self {
        AuthFailures {
            clients: moka::future::Cache::builder()
                .max_capacity(MAX_CLIENTS)
                .time_to_idle(FORGET_AFTER)
                .build(),
            max_delay,
        }
    }

    /// How long the client at `peer` is to wait, if it is past a limit now: its credentials
    /// are then not even checked (a 429 after checking would still say which guess was
    /// right, at full speed), whether or not they are valid.
    pub async fn refusing(&self, peer: IpAddr) -> Option<Duration> {
        let history = self.clients.get(&ClientKey::of(peer)).await?;
        let h = lock(&history);
        let now = Instant::now();
        let recent = h
            .recent
            .iter()
            .filter(|t| now.saturating_duration_since(**t) < FORGET_AFTER)
            .count();
        let recent_clears = (recent >= MAX_RECENT_FAILURES)
            .then(|| h.recent.front().map(|oldest| *oldest + FORGET_AFTER))
            .flatten();
        let waiting_clears = (h.waiting.len() >= MAX_WAITING_FAILURES)
            .then(|| h.waiting.iter().map(|(_, until)| *until).min())
            .flatten();
        recent_clears
            .max(waiting_clears)
            .map(|clears| clears.saturating_duration_since(now))
    }

    /// Counts one failure of the client at `peer` and says how to answer it.
    pub async fn record(&self, peer: IpAddr) -> Recorded {
        let client = ClientKey::of(peer);
        let history = self
            .clients
            .get_with(client, async { Arc::new(Mutex::new(History::default())) })
            .await;
        let (failures, answer) = History::record(&history, Instant::now(), self.max_delay);
        Recorded {
            client,
            failures,
            answer,
        }
    }
}

/// One client's recent failures.
#[derive(Default)]
struct History {
    /// Failures since the last minute without one.
    streak: u32,
    /// When the last [`MAX_RECENT_FAILURES`] failures happened, oldest first.
    recent: VecDeque<Instant>,
    /// The failures being delayed now: an id, and when each will be answered.
    waiting: Vec<(u64, Instant)>,
    next_id: u64,
}

impl History {
    fn record(
        history: &Arc<Mutex<History>>,
        now: Instant,
        max_delay: Duration,
    ) -> (u32, FailureAnswer) {
        let mut h = lock(history);
        while h
            .recent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= FORGET_AFTER)
        {
            h.recent.pop_front();
        }
        if h.recent.is_empty() {
            h.streak = 0;
        }
        let too_many_recent = h.recent.len() >= MAX_RECENT_FAILURES;
        h.recent.push_back(now);
        if h.recent.len() > MAX_RECENT_FAILURES {
            h.recent.pop_front();
        }
        h.streak = h.streak.saturating_add(1);
        let delay = delay_after(h.streak).min(max_delay);
        let too_many_waiting = !delay.is_zero() && h.waiting.len() >= MAX_WAITING_FAILURES;

        // When each limit lets the next failure through: once the oldest of the last
        // MAX_RECENT_FAILURES (this one included) is a minute old; once a waiting one is
        // answered.
        let recent_clears = too_many_recent
            .then(|| h.recent.front().map(|oldest| *oldest + FORGET_AFTER))
            .flatten();
        let waiting_clears = too_many_waiting
            .then(|| h.waiting.iter().map(|(_, until)| *until).min())
            .flatten();
        let answer = match recent_clears.max(waiting_clears) {
            Some(clears) => FailureAnswer::Refuse {
                retry_after: clears.saturating_duration_since(now),
            },
            None if delay.is_zero() => FailureAnswer::Delay { delay, slot: None },
            None => {
                let id = h.next_id;
                h.next_id = h.next_id.wrapping_add(1);
                h.waiting.push((id, now + delay));
                FailureAnswer::Delay {
                    delay,
                    slot: Some(WaitingSlot {
                        history: Arc::clone(history),
                        id,
                    }),
                }
            }
        };
        (h.streak, answer)
    }
}

fn lock(history: &Mutex<History>) -> MutexGuard<'_, History> {
    // Nothing panics while holding the lock; were it poisoned, the counts are still usable.
    history.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The delay before answering the `failures`-th failure.
pub fn delay_after(failures: u32) -> Duration {
    FAILURE_DELAY_STEP
        .saturating_mul(failures.saturating_sub(1))
        .min(MAX_FAILURE_DELAY)
}

#[cfg(test)]
#[path = "failures_tests.rs"]
mod tests;
