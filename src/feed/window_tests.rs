use chrono::FixedOffset;

use super::*;
use crate::domain::Trend;

fn at(now: DateTime<Utc>, minutes_ago: i64, mg_dl: u16) -> Reading {
    let offset = FixedOffset::west_opt(4 * 3600).expect("offset");
    let time = (now - Duration::minutes(minutes_ago)).with_timezone(&offset);
    Reading::new(mg_dl, Trend::Flat, time).expect("valid reading")
}

fn values(readings: &[Reading]) -> Vec<u16> {
    readings.iter().map(|r| r.mg_dl).collect()
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).expect("time")
}

#[test]
fn out_of_order_and_duplicate_records_are_ordered_and_deduplicated() {
    let now = now();
    let window = Window::new(
        vec![at(now, 10, 2), at(now, 0, 1), at(now, 10, 2), at(now, 5, 3)],
        now,
    );
    assert_eq!(values(window.readings()), [1, 3, 2]);
}

#[test]
fn recent_filters_by_minutes_then_counts() {
    let now = now();
    let window = Window::new((0..12).map(|i| at(now, i * 5, i as u16)).collect(), now);
    let m = |n| Minutes::parse(n).expect("valid minutes");
    let c = |n| MaxCount::parse(n).expect("valid count");
    assert_eq!(values(window.recent(now, m("10"), c("288"))), [0, 1, 2]);
    assert_eq!(values(window.recent(now, m("9"), c("288"))), [0, 1]);
    assert_eq!(values(window.recent(now, m("1440"), c("2"))), [0, 1]);
    assert_eq!(window.recent(now, m("1440"), c("288")).len(), 12);
}

#[test]
fn current_turns_empty_once_the_newest_reading_is_older_than_10_minutes() {
    let now = now();
    let fresh = Window::new(vec![at(now, 10, 1)], now);
    assert_eq!(fresh.current(now).map(|r| r.mg_dl), Some(1));
    let stale = Window::new(vec![at(now, 11, 1)], now);
    assert!(stale.current(now).is_none());
    assert_eq!(stale.latest(now).map(|r| r.mg_dl), Some(1));
}

#[test]
fn latest_ignores_readings_older_than_a_day() {
    let now = now();
    let window = Window::new(vec![at(now, 60, 1)], now);
    assert!(window.latest(now + Duration::hours(24)).is_none());
    assert!(Window::empty(now).latest(now).is_none());
}

#[test]
fn a_gap_in_the_trace_is_kept_as_a_gap_and_detected() {
    let now = now();
    let window = Window::new(vec![at(now, 0, 1), at(now, 60, 2), at(now, 65, 3)], now);
    let m = Minutes::parse("30").expect("valid minutes");
    assert_eq!(values(window.recent(now, m, MaxCount::FULL_DAY)), [1]);
    let gap = Duration::seconds(450);
    assert!(window.has_gap(now - Duration::hours(3), gap));
    assert!(!window.has_gap(now - Duration::minutes(30), gap));
    let steady = Window::new((0..36).map(|i| at(now, i * 5, 100)).collect(), now);
    assert!(!steady.has_gap(now - Duration::hours(3), gap));
}

#[test]
fn merging_adds_new_readings_lets_fresh_values_win_and_trims_to_a_day() {
    let now = now();
    let old = Window::new(vec![at(now, 5, 10), at(now, 10, 20)], now);
    let later = now + Duration::minutes(5);
    let merged = old
        .merged(vec![at(later, 0, 1), at(now, 5, 11)], later)
        .expect("changed");
    assert_eq!(values(merged.readings()), [1, 11, 20]);
    assert!(merged.version() > old.version());
    assert_eq!(merged.changed_at(), later);

    let a_day_later = now + Duration::hours(24) + Duration::minutes(4);
    let trimmed = merged.merged(Vec::new(), a_day_later).expect("aged out");
    assert_eq!(values(trimmed.readings()), [1]);
}

#[test]
fn merging_what_is_already_held_changes_nothing() {
    let now = now();
    let window = Window::new(vec![at(now, 0, 1), at(now, 5, 2)], now);
    assert!(window
        .merged(vec![at(now, 0, 1)], now + Duration::seconds(30))
        .is_none());
}

#[test]
fn a_flood_of_distinct_instants_is_capped() {
    let now = now();
    let flood: Vec<Reading> = (0..5000)
        .map(|i| {
            let time = (now - Duration::seconds(i)).fixed_offset();
            Reading::new(100, Trend::Flat, time).expect("valid")
        })
        .collect();
    assert_eq!(Window::new(flood, now).readings().len(), MAX_READINGS);
}

#[test]
fn readings_from_the_future_or_before_1970_are_set_aside() {
    let now = now();
    let tolerance = Duration::minutes(2);
    let ahead = |minutes: i64| at(now, -minutes, 7);
    let ancient = Reading::new(
        1,
        Trend::Flat,
        DateTime::from_timestamp(-86_400, 0)
            .expect("1969")
            .fixed_offset(),
    )
    .expect("valid");
    let year_20000 = Reading::new(
        1,
        Trend::Flat,
        DateTime::from_timestamp(568_000_000_000, 0)
            .expect("year 19969")
            .fixed_offset(),
    )
    .expect("valid");
    let (kept, set_aside) = plausible(
        vec![ahead(1), ahead(60), at(now, 0, 1), ancient, year_20000],
        now,
        tolerance,
    );
    assert_eq!(values(&kept), [7, 1]);
    assert_eq!(set_aside.future, 2);
    assert_eq!(set_aside.furthest, Some(year_20000.instant()));
}
