use chrono::FixedOffset;

use super::*;
use crate::domain::{Reading, Trend};

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).expect("time")
}

fn window(minutes_ago: &[i64]) -> Window {
    let offset = FixedOffset::east_opt(3600).expect("offset");
    let readings = minutes_ago
        .iter()
        .map(|m| {
            let time = (now() - Duration::minutes(*m)).with_timezone(&offset);
            Reading::new(100, Trend::Flat, time).expect("valid")
        })
        .collect();
    Window::new(readings, now())
}

fn steady(hours: i64) -> Vec<i64> {
    (0..hours * 12).map(|i| i * 5).collect()
}

fn shape(plan: ReadPlan) -> (ReadKind, u16, u16) {
    (plan.kind, plan.minutes.get(), plan.max_count.get())
}

const FIVE: Duration = Duration::minutes(5);

#[test]
fn nothing_held_means_the_whole_day() {
    let plan = plan(&Window::empty(now()), None, now(), &Reach::default(), FIVE);
    assert_eq!(plan, ReadPlan::FULL_DAY);
}

#[test]
fn after_the_first_read_only_what_is_new_is_asked_for() {
    let held = window(&steady(24));
    let at = now() + Duration::seconds(320);
    let plan = plan(&held, Some(now()), at, &Reach::default(), FIVE);
    // 5 min 20 s since the newest + 5 min margin → 11 minutes, 3 intervals + 2.
    assert_eq!(shape(plan), (ReadKind::Incremental, 11, 5));
}

#[test]
fn the_backfill_horizon_is_reread_every_30_minutes_and_every_10_with_a_gap() {
    let reach = Reach::default();
    let held = window(&steady(24));
    let at = now() + Duration::seconds(320);
    let plan_at =
        |last: i64, w: &Window| plan(w, Some(at - Duration::minutes(last)), at, &reach, FIVE);
    assert_eq!(plan_at(29, &held).kind, ReadKind::Incremental);
    assert_eq!(shape(plan_at(30, &held)), (ReadKind::Backfill, 180, 38));

    let mut gappy: Vec<i64> = steady(24);
    gappy.retain(|m| !(60..120).contains(m));
    let gappy = window(&gappy);
    assert_eq!(plan_at(9, &gappy).kind, ReadKind::Incremental);
    assert_eq!(plan_at(10, &gappy).kind, ReadKind::Backfill);
}

#[test]
fn a_gap_older_than_the_horizon_does_not_count() {
    let mut old_gap = steady(24);
    old_gap.retain(|m| !(300..400).contains(m));
    let at = now() + Duration::seconds(320);
    let plan = plan(
        &window(&old_gap),
        Some(at - Duration::minutes(10)),
        at,
        &Reach::default(),
        FIVE,
    );
    assert_eq!(plan.kind, ReadKind::Incremental);
}

#[test]
fn a_long_absence_reaches_back_to_the_newest_held_reading_or_the_whole_day() {
    let held = window(&steady(24));
    let two_hours = now() + Duration::hours(2);
    let plan2 = plan(
        &held,
        Some(two_hours - Duration::minutes(1)),
        two_hours,
        &Reach::default(),
        FIVE,
    );
    assert_eq!(shape(plan2), (ReadKind::Incremental, 125, 27));
    let a_day = now() + Duration::hours(23) + Duration::minutes(58);
    let plan_day = plan(
        &held,
        Some(a_day - Duration::minutes(1)),
        a_day,
        &Reach::default(),
        FIVE,
    );
    assert_eq!(plan_day, ReadPlan::FULL_DAY);
}

#[test]
fn a_newest_reading_ahead_of_this_clock_still_asks_for_the_margin() {
    let held = window(&[-1, 4]);
    let plan = plan(&held, Some(now()), now(), &Reach::default(), FIVE);
    assert_eq!(shape(plan), (ReadKind::Incremental, 5, 3));
}
