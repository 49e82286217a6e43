//! Slows down clients that keep presenting missing or wrong tokens, as Nightscout does: the
//! n-th failure of a client within a quiet minute is answered after `(n - 1) × 250 ms`, at
//! most 5 s. Valid requests are never delayed. A client is an IPv4 address or an IPv6 /64
//! (see [`ClientKey`]).

use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::client::ClientKey;

/// Added to the delay for each earlier failure.
pub const FAILURE_DELAY_STEP: Duration = Duration::from_millis(250);
/// The longest delay.
pub const MAX_FAILURE_DELAY: Duration = Duration::from_secs(5);
/// A client's failures are forgotten after this long without a new one.
const FORGET_AFTER: Duration = Duration::from_secs(60);
/// Bounds the memory an attacker with many addresses can make the service use.
const MAX_CLIENTS: u64 = 10_000;

/// Failed token attempts per client (IPv4 address or IPv6 /64).
pub struct AuthFailures {
    // moka evicts idle and surplus entries on its own; the counter is shared by concurrent
    // failures of one client.
    counts: moka::future::Cache<ClientKey, Arc<AtomicU32>>,
    max_delay: Duration,
}

impl Default for AuthFailures {
    fn default() -> Self {
        AuthFailures::new(MAX_FAILURE_DELAY)
    }
}

impl AuthFailures {
    /// `max_delay`: the longest wait (`[auth] failure_delay_max_ms`); zero turns it off.
    pub fn new(max_delay: Duration) -> Self {
        AuthFailures {
            counts: moka::future::Cache::builder()
                .max_capacity(MAX_CLIENTS)
                .time_to_idle(FORGET_AFTER)
                .build(),
            max_delay,
        }
    }
}

impl AuthFailures {
    /// Counts one failure of the client at `peer`; returns how many its key has now and how
    /// long to wait before answering it.
    pub async fn record(&self, peer: IpAddr) -> (u32, Duration) {
        let counter = self
            .counts
            .get_with(ClientKey::of(peer), async { Arc::new(AtomicU32::new(0)) })
            .await;
        let failures = counter.fetch_add(1, Ordering::Relaxed).saturating_add(1);
        (failures, delay_after(failures).min(self.max_delay))
    }
}

/// The delay before answering the `failures`-th failure.
pub fn delay_after(failures: u32) -> Duration {
    FAILURE_DELAY_STEP
        .saturating_mul(failures.saturating_sub(1))
        .min(MAX_FAILURE_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_failure_is_free_then_each_adds_a_step_up_to_the_cap() {
        assert_eq!(delay_after(1), Duration::ZERO);
        assert_eq!(delay_after(2), Duration::from_millis(250));
        assert_eq!(delay_after(6), Duration::from_millis(1250));
        assert_eq!(delay_after(21), MAX_FAILURE_DELAY);
        assert_eq!(delay_after(u32::MAX), MAX_FAILURE_DELAY);
    }

    #[actix_web::test]
    async fn failures_are_counted_per_client() {
        let failures = AuthFailures::default();
        let a: IpAddr = "192.0.2.1".parse().expect("valid address");
        let b: IpAddr = "192.0.2.2".parse().expect("valid address");
        assert_eq!(failures.record(a).await.0, 1);
        assert_eq!(failures.record(a).await.0, 2);
        assert_eq!(failures.record(b).await, (1, Duration::ZERO));
    }

    #[actix_web::test]
    async fn an_ipv6_client_rotating_addresses_inside_its_64_keeps_its_count() {
        let failures = AuthFailures::default();
        let addresses = ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:a:b:c:d"];
        for (n, address) in (1..).zip(addresses) {
            let peer: IpAddr = address.parse().expect("valid address");
            assert_eq!(failures.record(peer).await.0, n, "{address}");
        }
        let neighbour: IpAddr = "2001:db8:1:3::1".parse().expect("valid address");
        assert_eq!(failures.record(neighbour).await.0, 1);
    }
}
