use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::helpers::{spawn_app, Response};

fn readings(response: &Response) -> Vec<Value> {
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    response.json().as_array().expect("an array").clone()
}

fn time_of(reading: &Value) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(reading["datetime"].as_str().expect("datetime string"))
        .expect("RFC 3339 datetime")
}

#[actix_web::test]
async fn readings_default_to_a_full_day_newest_first_every_5_minutes() {
    let app = spawn_app().await;

    let list = readings(&app.get("/readings").await);

    assert!((287..=288).contains(&list.len()), "{} readings", list.len());
    let times: Vec<_> = list.iter().map(time_of).collect();
    for pair in times.windows(2) {
        let gap = pair[0] - pair[1];
        assert!(
            (Duration::seconds(295)..=Duration::seconds(305)).contains(&gap),
            "{gap}"
        );
    }
    let newest = times[0].with_timezone(&Utc);
    assert!(Utc::now() - newest <= Duration::minutes(5) + Duration::seconds(5));
    assert!(Utc::now() - times[times.len() - 1].with_timezone(&Utc) <= Duration::minutes(1440));
}

#[actix_web::test]
async fn a_reading_has_pydexcom_fields_and_meanings() {
    let app = spawn_app().await;

    let list = readings(&app.get("/readings?max_count=288").await);

    for r in &list {
        let value = r["value"].as_u64().expect("integer value");
        assert_eq!(r["mg_dl"], r["value"]);
        assert!((40..=400).contains(&value));
        let expected_mmol: f64 = format!("{:.1}", value as f64 * 0.0555)
            .parse()
            .expect("number");
        assert_eq!(r["mmol_l"].as_f64(), Some(expected_mmol), "{r}");
        let trend = r["trend"].as_u64().expect("integer trend");
        assert!((1..=7).contains(&trend), "{r}");
        assert!(r["trend_direction"].is_string() && r["trend_description"].is_string());
        assert!(r["trend_arrow"].is_string());
        assert!(
            r["datetime"].as_str().expect("string").ends_with("-04:00"),
            "{r}"
        );
    }
    // Every reading's texts match its number, by pydexcom's tables.
    let tables = [
        (1, "DoubleUp", "rising quickly", "↑↑"),
        (2, "SingleUp", "rising", "↑"),
        (3, "FortyFiveUp", "rising slightly", "↗"),
        (4, "Flat", "steady", "→"),
        (5, "FortyFiveDown", "falling slightly", "↘"),
        (6, "SingleDown", "falling", "↓"),
        (7, "DoubleDown", "falling quickly", "↓↓"),
    ];
    for r in &list {
        let (_, direction, description, arrow) = tables
            .iter()
            .find(|(n, ..)| r["trend"] == *n)
            .unwrap_or_else(|| panic!("trend outside 1..=7: {r}"));
        assert_eq!(r["trend_direction"], *direction, "{r}");
        assert_eq!(r["trend_description"], *description, "{r}");
        assert_eq!(r["trend_arrow"], *arrow, "{r}");
    }
    assert!(
        list.iter().any(|r| r["trend"] == 4),
        "a day of readings has a steady stretch"
    );
}

#[actix_web::test]
async fn minutes_and_max_count_filter_the_window() {
    let app = spawn_app().await;
    let now = Utc::now();

    let last_half_hour = readings(&app.get("/readings?minutes=30").await);
    let three = readings(&app.get("/readings?max_count=3").await);
    let one_minute = readings(&app.get("/readings?minutes=1&max_count=1").await);
    let full = readings(&app.get("/readings?minutes=1440&max_count=288").await);

    assert!(
        (5..=7).contains(&last_half_hour.len()),
        "{}",
        last_half_hour.len()
    );
    for r in &last_half_hour {
        assert!(
            now - time_of(r).with_timezone(&Utc) <= Duration::minutes(30) + Duration::seconds(2)
        );
    }
    assert_eq!(three.len(), 3);
    assert_eq!(three[..], full[..3]);
    assert!(one_minute.len() <= 1);
    assert_eq!(last_half_hour[..], full[..last_half_hour.len()]);
}

#[actix_web::test]
async fn latest_and_current_are_the_newest_reading() {
    let app = spawn_app().await;

    let newest = readings(&app.get("/readings?max_count=1").await).remove(0);
    let latest = app.get("/readings/latest").await;
    let current = app.get("/readings/current").await;

    assert_eq!(latest.status, 200);
    assert_eq!(latest.json(), newest);
    assert_eq!(current.status, 200);
    assert_eq!(current.json(), newest);
    let control = current.header("cache-control").expect("Cache-Control");
    assert!(control.starts_with("private, max-age="), "{control}");
}

#[actix_web::test]
async fn current_is_204_when_the_newest_reading_is_older_than_10_minutes() {
    let app = spawn_app().await;
    app.sim.set_signal_loss_minutes(15);

    let current = app.get("/readings/current").await;
    let latest = app.get("/readings/latest").await;

    assert_eq!(current.status, 204);
    assert!(current.body.is_empty());
    assert_eq!(latest.status, 200);
    let age = Utc::now() - time_of(&latest.json()).with_timezone(&Utc);
    assert!(age >= Duration::minutes(15), "{age}");
}

#[actix_web::test]
async fn latest_is_204_and_readings_empty_when_nothing_in_24_hours() {
    let app = spawn_app().await;
    app.sim.set_signal_loss_minutes(2000);

    let latest = app.get("/readings/latest").await;
    let current = app.get("/readings/current").await;
    let list = readings(&app.get("/readings").await);

    assert_eq!(latest.status, 204);
    assert_eq!(current.status, 204);
    assert!(list.is_empty());
}

#[actix_web::test]
async fn any_mix_of_queries_costs_one_upstream_read() {
    let app = spawn_app().await;

    for path in [
        "/readings",
        "/readings?minutes=5",
        "/readings?max_count=1",
        "/readings/latest",
        "/readings/current",
        "/readings?minutes=1440&max_count=288",
    ] {
        assert!(app.get(path).await.status.is_success(), "{path}");
    }

    assert_eq!(app.calls(), (1, 1, 1));
}

#[actix_web::test]
async fn fifty_concurrent_requests_share_one_login_and_one_read() {
    let app = spawn_app().await;

    let requests = (0..50).map(|i| {
        let path = ["/readings", "/readings/current", "/readings/latest"][i % 3];
        app.get(path)
    });
    let responses = futures_util::future::join_all(requests).await;

    assert!(responses.iter().all(|r| r.status == 200));
    assert_eq!(app.calls(), (1, 1, 1));
}
