use super::*;

fn t(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("time")
}

fn s(seconds: i64) -> Duration {
    Duration::seconds(seconds)
}

#[test]
fn the_next_poll_is_the_next_reading_plus_the_lag() {
    let schedule = Schedule::new(Cadence::default());
    let next = schedule.next(t(30), Some(t(0)));
    assert_eq!(next.at, t(320));
    assert_eq!(next.poll, Poll::Due);
    assert_eq!(next.reading_due, Some(t(320)));
}

#[test]
fn a_late_reading_is_retried_every_5_seconds_for_30_seconds() {
    let schedule = Schedule::new(Cadence::default());
    let next = schedule.next(t(321), Some(t(0)));
    assert_eq!((next.at, next.poll), (t(326), Poll::Retry));
    let next = schedule.next(t(349), Some(t(0)));
    assert_eq!((next.at, next.poll), (t(354), Poll::Retry));
}

#[test]
fn a_skipped_reading_moves_on_to_the_next_slot_then_to_the_slow_poll() {
    let schedule = Schedule::new(Cadence::default());
    let next = schedule.next(t(351), Some(t(0)));
    assert_eq!((next.at, next.poll), (t(620), Poll::Due));
    let next = schedule.next(t(930), Some(t(0)));
    assert_eq!((next.at, next.poll), (t(935), Poll::Retry));
    let next = schedule.next(t(951), Some(t(0)));
    assert_eq!((next.at, next.poll), (t(1071), Poll::Unaligned));
    assert_eq!(next.reading_due, None);
}

#[test]
fn without_any_reading_the_poll_is_slow() {
    let schedule = Schedule::new(Cadence::default());
    assert_eq!(schedule.next(t(0), None).at, t(120));
}

#[test]
fn a_reading_found_at_once_probes_earlier_and_one_found_late_sets_the_lag() {
    let mut schedule = Schedule::new(Cadence::default());
    schedule.observe(Poll::Due, t(320), Some(t(0)), Some(t(300)));
    assert_eq!(schedule.lag(), s(18));
    schedule.observe(Poll::Due, t(618), Some(t(300)), Some(t(600)));
    assert_eq!(schedule.lag(), s(16));
    // The next one was not there at 916 s; a retry found it at 921 s.
    schedule.observe(Poll::Retry, t(921), Some(t(600)), Some(t(900)));
    assert_eq!(schedule.lag(), s(21));
}

#[test]
fn unaligned_polls_and_reads_without_a_new_reading_teach_nothing() {
    let mut schedule = Schedule::new(Cadence::default());
    schedule.observe(Poll::Unaligned, t(400), Some(t(0)), Some(t(300)));
    schedule.observe(Poll::Due, t(320), Some(t(300)), Some(t(300)));
    schedule.observe(Poll::Due, t(320), None, Some(t(300)));
    assert_eq!(schedule.lag(), s(20));
}

#[test]
fn the_lag_stays_within_its_bounds_even_with_a_skewed_clock() {
    let mut schedule = Schedule::new(Cadence::default());
    // This host's clock runs 10 minutes behind the phone's.
    schedule.observe(Poll::Retry, t(-300), Some(t(-600)), Some(t(300)));
    assert_eq!(schedule.lag(), -Duration::minutes(2));
    schedule.observe(Poll::Retry, t(3600), Some(t(0)), Some(t(300)));
    assert_eq!(schedule.lag(), Duration::minutes(2));
}
