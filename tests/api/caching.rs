//! HTTP caching for pollers: strong ETags, Last-Modified, 304s, and max-age, on the native API
//! and on the Nightscout facade.

use std::time::Duration;

use dexcom_share_proxy::clock::Clock;

use crate::helpers::{alice_and_bob, spawn_app, spawn_app_with, Response, TestApp};

const PATHS: [&str; 8] = [
    "/readings",
    "/readings?minutes=30&max_count=3",
    "/readings/latest",
    "/readings/current",
    "/ns/alice/api/v1/entries.json?count=5",
    "/ns/alice/api/v1/entries",
    "/ns/alice/api/v1/entries/current.json",
    "/ns/alice/pebble?count=2",
];

fn etag(response: &Response) -> String {
    response.header("etag").expect("ETag").to_owned()
}

fn max_age(response: &Response) -> i64 {
    let control = response.header("cache-control").expect("Cache-Control");
    control
        .strip_prefix("private, max-age=")
        .unwrap_or_else(|| panic!("{control}"))
        .parse()
        .expect("seconds")
}

/// A JSON body without what moves with the clock: `age_seconds`, and the pebble's `now`.
/// Other bodies (the tab-separated entries) carry no clock and are kept whole.
fn without_ages(body: &[u8]) -> serde_json::Value {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(fields) => {
                fields.remove("age_seconds");
                fields.remove("now");
                fields.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value = serde_json::from_slice(body)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(body).into_owned()));
    strip(&mut value);
    value
}

async fn get_with(app: &TestApp, path: &str, name: &str, value: &str) -> Response {
    app.send(awc::http::Method::GET, path, &[(name, value)])
        .await
}

#[actix_web::test]
async fn every_readings_answer_carries_strong_validators_and_revalidates_with_304() {
    let app = spawn_app().await;
    assert_eq!(app.get("/readings").await.status, 200);
    // A Last-Modified is never later than the answer's Date: in the second the window
    // changed, it is that second, and a client revalidating with it gets one more 200.
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    for path in PATHS {
        let first = app.get(path).await;
        assert_eq!(first.status, 200, "{path}");
        let tag = etag(&first);
        assert!(tag.starts_with('"') && tag.ends_with('"'), "{path}: {tag}");
        let modified = first
            .header("last-modified")
            .expect("Last-Modified")
            .to_owned();
        // The newest reading is a minute old: the next one is due in about 4 minutes.
        let age = max_age(&first);
        assert!((200..=300).contains(&age), "{path}: max-age {age}");

        let by_tag = get_with(&app, path, "if-none-match", &tag).await;
        let by_date = get_with(&app, path, "if-modified-since", &modified).await;
        let listed = get_with(&app, path, "if-none-match", &format!("\"x\", W/{tag}")).await;
        let other = get_with(&app, path, "if-none-match", "\"something-else\"").await;

        for (label, response) in [("tag", &by_tag), ("date", &by_date), ("list", &listed)] {
            assert_eq!(response.status, 304, "{path} by {label}");
            assert!(response.body.is_empty(), "{path} by {label}");
            assert_eq!(etag(response), tag, "{path} by {label}");
            assert!(response.header("cache-control").is_some());
        }
        assert_eq!(other.status, 200, "{path}");
        assert_eq!(etag(&other), tag, "{path}");
        // The requests may straddle a second, and ages count on with it.
        assert_eq!(
            without_ages(&other.body),
            without_ages(&first.body),
            "{path}: the same answer"
        );
    }
    assert_eq!(app.calls(), (1, 1, 1), "revalidation costs Share nothing");
}

#[actix_web::test]
async fn an_unchanged_answer_keeps_its_tag_as_its_ages_grow() {
    let app = spawn_app().await;
    let first = app.get("/readings?max_count=3").await;
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    let later = app.get("/readings?max_count=3").await;

    assert_ne!(first.body, later.body, "age_seconds counts on");
    assert_eq!(etag(&first), etag(&later));
    assert_eq!(
        get_with(
            &app,
            "/readings?max_count=3",
            "if-none-match",
            &etag(&first)
        )
        .await
        .status,
        304
    );
}

#[actix_web::test]
async fn different_queries_and_accounts_have_different_tags() {
    let app = spawn_app_with(alice_and_bob).await;
    let mut tags = Vec::new();
    for path in [
        "/readings?account=alice",
        "/readings?account=bob",
        "/readings?account=alice&max_count=3",
        "/readings/latest?account=alice",
        "/ns/alice/api/v1/entries.json",
        "/ns/alice/api/v1/entries",
    ] {
        tags.push(etag(&app.get(path).await));
    }
    let mut unique = tags.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), tags.len(), "{tags:?}");
}

/// A reading turns stale 10 minutes after it was taken: an answer that said `stale: false` is
/// never revalidated after that, by tag or by date, and its max-age never reaches past it.
#[actix_web::test]
async fn a_304_never_hides_a_reading_turning_stale() {
    let app = spawn_app_with(|setup| {
        setup.clock = Clock::scaled(50.0);
        setup.settings.feed.cadence.retry_every = chrono::Duration::seconds(5);
    })
    .await;
    // The newest visible reading is 5–10 minutes old, then nothing newer arrives.
    app.sim.set_signal_loss_minutes(5);
    let latest = app.get("/readings/latest").await;
    let current = app.get("/readings/current").await;
    app.sim.set_signal_loss_minutes(120);
    let reading = latest.json();
    assert_eq!(reading["stale"], false);
    let age = reading["age_seconds"].as_i64().expect("age");
    assert!(
        max_age(&latest) <= 600 - age,
        "max-age {} outlives the reading's freshness ({age} s old)",
        max_age(&latest)
    );
    assert!(max_age(&current) <= 600 - age);
    let modified = latest.header("last-modified").expect("LM").to_owned();

    app.sleep(Duration::from_secs(
        u64::try_from(601 - age).expect("positive") + 2,
    ))
    .await;
    let by_tag = get_with(&app, "/readings/latest", "if-none-match", &etag(&latest)).await;
    let by_date = get_with(&app, "/readings/latest", "if-modified-since", &modified).await;
    let current_by_tag =
        get_with(&app, "/readings/current", "if-none-match", &etag(&current)).await;

    assert_eq!(by_tag.status, 200);
    assert_eq!(by_tag.json()["stale"], true);
    assert_eq!(by_tag.json()["datetime"], reading["datetime"]);
    assert_ne!(etag(&by_tag), etag(&latest));
    assert_eq!(by_date.status, 200);
    assert_eq!(
        current_by_tag.status, 204,
        "current is gone, not 'not modified'"
    );
    let again = get_with(&app, "/readings/latest", "if-none-match", &etag(&by_tag)).await;
    assert_eq!(again.status, 304, "the stale answer revalidates in turn");
}
