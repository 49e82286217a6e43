use super::*;

fn history() -> Arc<Mutex<History>> {
    Arc::new(Mutex::new(History::default()))
}

/// The delay, or `Err(retry_after)` for a refusal; the slot is kept in `slots`.
fn record(
    history: &Arc<Mutex<History>>,
    at: Instant,
    max_delay: Duration,
    slots: &mut Vec<WaitingSlot>,
) -> Result<Duration, Duration> {
    match History::record(history, at, max_delay).1 {
        FailureAnswer::Delay { delay, slot } => {
            slots.extend(slot);
            Ok(delay)
        }
        FailureAnswer::Refuse { retry_after } => Err(retry_after),
    }
}

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
    assert_eq!(failures.record(a).await.failures, 1);
    assert_eq!(failures.record(a).await.failures, 2);
    let first_of_b = failures.record(b).await;
    assert_eq!(first_of_b.failures, 1);
    assert!(matches!(
        first_of_b.answer,
        FailureAnswer::Delay {
            delay: Duration::ZERO,
            slot: None
        }
    ));
}

#[actix_web::test]
async fn an_ipv6_client_rotating_addresses_inside_its_64_keeps_its_count() {
    let failures = AuthFailures::default();
    let addresses = ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:a:b:c:d"];
    for (n, address) in (1..).zip(addresses) {
        let peer: IpAddr = address.parse().expect("valid address");
        assert_eq!(failures.record(peer).await.failures, n, "{address}");
    }
    let neighbour: IpAddr = "2001:db8:1:3::1".parse().expect("valid address");
    assert_eq!(failures.record(neighbour).await.failures, 1);
}

#[test]
fn a_quiet_minute_starts_the_count_again() {
    let h = history();
    let t0 = Instant::now();
    let mut slots = Vec::new();
    let mut delays = Vec::new();
    for (i, seconds) in [0, 10, 69, 129, 130].into_iter().enumerate() {
        delays.push(record(
            &h,
            t0 + Duration::from_secs(seconds),
            MAX_FAILURE_DELAY,
            &mut slots,
        ));
        slots.clear();
        assert!(delays[i].is_ok(), "failure {i}");
    }
    let ms = |m| Ok(Duration::from_millis(m));
    assert_eq!(delays, [ms(0), ms(250), ms(500), ms(0), ms(250)]);
}

#[test]
fn a_failure_beyond_four_waiting_at_once_is_refused_until_one_is_answered() {
    let h = history();
    let t0 = Instant::now();
    let mut slots = Vec::new();

    // The first failure is answered at once; the next four wait 250 ms to 1 s.
    let waits: Vec<_> = (0..5)
        .map(|_| record(&h, t0, MAX_FAILURE_DELAY, &mut slots))
        .collect();
    let sixth = record(&h, t0, MAX_FAILURE_DELAY, &mut slots);
    let earliest = slots.remove(0);
    drop(earliest);
    let seventh = record(&h, t0, MAX_FAILURE_DELAY, &mut slots);

    let ms = |m| Ok(Duration::from_millis(m));
    assert_eq!(waits, [ms(0), ms(250), ms(500), ms(750), ms(1000)]);
    assert_eq!(
        sixth,
        Err(Duration::from_millis(250)),
        "the first waiting one ends then"
    );
    assert_eq!(seventh, ms(1500), "a slot came free");
    assert_eq!(slots.len(), MAX_WAITING_FAILURES);
}

#[test]
fn more_than_thirty_failures_in_a_minute_are_refused_until_the_oldest_is_a_minute_old() {
    let h = history();
    let t0 = Instant::now();
    let at = |s: u64| t0 + Duration::from_secs(s);
    let mut slots = Vec::new();
    // No delay, so nothing ever waits: only the count per minute applies.
    let no_delay = Duration::ZERO;

    let first_thirty: Vec<_> = (0..30)
        .map(|s| record(&h, at(s), no_delay, &mut slots))
        .collect();
    let thirty_first = record(&h, at(30), no_delay, &mut slots);
    let while_refused = record(&h, at(45), no_delay, &mut slots);
    let after_waiting = record(&h, at(45 + 60), no_delay, &mut slots);

    assert!(first_thirty.iter().all(Result::is_ok), "{first_thirty:?}");
    // Refusals count: at 30 s the last thirty are those from 1 s to 30 s.
    assert_eq!(thirty_first, Err(Duration::from_secs(31)));
    assert_eq!(while_refused, Err(Duration::from_secs(17)));
    assert_eq!(after_waiting, Ok(Duration::ZERO));
}

#[test]
fn a_client_that_waits_for_each_answer_never_reaches_the_limits() {
    let h = history();
    let mut now = Instant::now();
    let mut slots = Vec::new();
    for i in 0..200 {
        let delay = record(&h, now, MAX_FAILURE_DELAY, &mut slots)
            .unwrap_or_else(|retry| panic!("failure {i} refused ({retry:?})"));
        now += delay;
        slots.clear();
    }
}
