//! The live feed: one task per watched account owns every Share call. Clients that hang up
//! change nothing upstream; reads follow the sensor's cadence and ask only for what is new;
//! late readings are backfilled; an unwatched account costs nothing.

use std::time::Duration;

use chrono::Utc;
use dexcom_share_proxy::clock::Clock;
use dexcom_share_proxy::simulator::{Endpoint, Fault, FaultKind};

use crate::helpers::{
    alice_and_bob, fast_clock, spawn_app, spawn_app_with, wrong_password, TestApp, ALICE_PASSWORD,
    ALICE_USER,
};

/// Eight clients ask for alice's `path` and hang up once the proxy's call to `busy` has
/// reached Share (stalled there by a fault), before the feed has published anything.
async fn eight_clients_hang_up(app: &TestApp, path: &str, busy: Endpoint) {
    let before = app.sim.calls(busy);
    let client = awc::Client::builder().disable_timeout().finish();
    let asks = futures_util::future::join_all(
        (0..8).map(|_| client.get(format!("{}{path}", app.address)).send()),
    );
    let upstream_busy = app.until("the call to reach Share", |app| {
        app.sim.calls(busy) > before
    });
    futures_util::pin_mut!(asks, upstream_busy);
    if let futures_util::future::Either::Left(_) =
        futures_util::future::select(asks, upstream_busy).await
    {
        panic!("the clients were meant to hang up first");
    }
    // Dropping the requests closed their connections, with the call still in flight.
    let view = app.account_view("alice").await;
    assert!(
        view["last_success_at"].is_null() && view["last_error"].is_null(),
        "the call ended before the clients hung up: {view}"
    );
}

/// Holds the next call to `endpoint` for 2 s: time enough, even on a loaded machine, for the
/// clients to hang up and for the helper to see that nothing was published yet.
fn stall(endpoint: Endpoint) -> Fault {
    Fault {
        endpoint: Some(endpoint),
        kind: FaultKind::Stall { millis: 2000 },
        times: Some(1),
    }
}

#[actix_web::test]
async fn clients_hanging_up_during_a_rejected_login_cost_one_login_then_the_back_off() {
    let app = spawn_app_with(wrong_password).await;
    app.sim.inject(stall(Endpoint::Authenticate));

    eight_clients_hang_up(&app, "/readings/current", Endpoint::Authenticate).await;
    app.until_failed_with("alice", "upstream_auth_failed").await;
    let after = app.get("/readings/current").await;

    after.assert_problem(502, "upstream_auth_failed");
    assert!(after.header("retry-after").is_some());
    assert_eq!(app.calls(), (1, 0, 0), "one login, then the back-off");
    let circuit = app.account_view("alice").await["circuit"].clone();
    assert_eq!(circuit["state"], "login_blocked");
}

#[actix_web::test]
async fn clients_hanging_up_during_a_lockout_answer_cost_one_login() {
    let app = spawn_app_with(|setup| setup.sim.lockout_after_failures = 1).await;
    // Someone else's wrong password locked the account before the service started.
    let locker = awc::Client::default()
        .post(format!(
            "{}General/AuthenticatePublisherAccount",
            app.sim_base_url()
        ))
        .send_json(&serde_json::json!({
            "accountName": ALICE_USER, "password": "not-it",
            "applicationId": "d89443d2-327c-4a6f-89e5-496bbb0317db"
        }))
        .await
        .expect("simulator answers");
    assert_eq!(locker.status(), 500);
    app.sim.inject(stall(Endpoint::Authenticate));

    eight_clients_hang_up(&app, "/readings", Endpoint::Authenticate).await;
    app.until_failed_with("alice", "upstream_locked").await;
    let after = app.get("/readings").await;

    after.assert_problem(502, "upstream_locked");
    let retry_after: u64 = after
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!(retry_after >= 29 * 60, "{retry_after}");
    assert_eq!(
        app.calls(),
        (2, 0, 0),
        "the locker's login, and the service's one"
    );
}

#[actix_web::test]
async fn clients_hanging_up_during_a_slow_read_leave_the_read_to_finish_for_everyone() {
    let app = spawn_app().await;
    app.sim.inject(stall(Endpoint::Read));

    eight_clients_hang_up(&app, "/readings?max_count=3", Endpoint::Read).await;
    app.until_published("alice", 1).await;
    let later = app.get("/readings?max_count=3").await;

    assert_eq!(later.status, 200);
    assert!(later
        .header("cache-status")
        .expect("Cache-Status")
        .starts_with("dexcom-share-proxy; hit"));
    assert_eq!(
        app.calls(),
        (1, 1, 1),
        "the one read served the later client"
    );
}

#[actix_web::test]
async fn two_hundred_concurrent_clients_with_any_queries_cost_one_login_and_one_read() {
    let app = spawn_app().await;
    let paths = [
        "/readings",
        "/readings?minutes=30",
        "/readings?max_count=1",
        "/readings/latest",
        "/readings/current",
        "/ns/alice/api/v1/entries.json",
        "/ns/alice/pebble",
    ];

    let requests = (0..200).map(|i| app.get(paths[i % paths.len()]));
    let responses = futures_util::future::join_all(requests).await;

    assert!(responses.iter().all(|r| r.status == 200));
    assert_eq!(app.calls(), (1, 1, 1));
}

/// On a clock 120 times faster, with readings reaching Share 20–30 s after they are taken: each
/// new reading is served within 15 s of appearing upstream, the feed reads what is new (a few
/// minutes, a few records), and it reads about once per reading.
#[actix_web::test]
async fn the_feed_follows_the_sensor_cadence_and_reads_only_what_is_new() {
    let app = spawn_app_with(|setup| {
        setup.sim.upload_lag_seconds = 20;
        setup.sim.upload_lag_jitter_seconds = 10;
        setup.clock = Clock::scaled(120.0);
        setup.settings.feed.cadence.retry_every = chrono::Duration::seconds(5);
    })
    .await;
    let mut served = Vec::new();
    let mut last_seen = String::new();

    // 32 simulated minutes: six new readings.
    let end = app.clock.now() + chrono::Duration::minutes(32);
    while app.clock.now() < end {
        let latest = app.get("/readings/latest").await.json();
        let datetime = latest["datetime"].as_str().expect("datetime").to_owned();
        if datetime != last_seen {
            let seen_at = app.clock.now().timestamp_millis();
            if let Some((time_ms, visible_at_ms)) = app.sim.newest_visible(0) {
                let taken = chrono::DateTime::parse_from_rfc3339(&datetime)
                    .expect("RFC 3339")
                    .timestamp_millis();
                if taken == time_ms && !last_seen.is_empty() {
                    served.push(seen_at - visible_at_ms);
                }
            }
            last_seen = datetime;
        }
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }

    assert!(served.len() >= 5, "new readings seen: {served:?}");
    // Polled every 10 ms of real time (1.2 simulated s): 15 s plus that.
    assert!(
        served.iter().all(|late_ms| *late_ms <= 16_200),
        "served this many ms after appearing upstream: {served:?}"
    );
    let reads = app.sim.reads();
    assert!(
        reads.len() <= 14,
        "{} reads in 32 minutes: {reads:?}",
        reads.len()
    );
    let first = &reads[0];
    assert_eq!((first.minutes, first.max_count), (1440, 288));
    for read in &reads[1..] {
        let incremental = read.minutes <= 15 && read.max_count <= 6;
        let backfill = read.minutes == 180 && read.max_count <= 40;
        assert!(incremental || backfill, "{read:?}");
    }
    let full_day = first.bytes;
    let later: usize = reads[1..].iter().map(|r| r.bytes).sum();
    assert!(
        later / (reads.len() - 1) * 20 <= full_day,
        "incremental reads average {} bytes against {full_day} for the day",
        later / (reads.len() - 1)
    );
    let lag = app.account_view("alice").await["upload_lag_seconds"]
        .as_i64()
        .expect("lag");
    assert!((10..=40).contains(&lag), "learned lag {lag} s");
    assert_eq!(app.calls().1, 1, "one login");
}

/// The wearer's phone uploads two hours late after a signal loss: the feed holds a gap, and a
/// backfill read over the last three hours fills it.
#[actix_web::test]
async fn readings_uploaded_late_are_backfilled() {
    let app = spawn_app_with(fast_clock).await;
    let now = app.clock.now().timestamp_millis();
    app.sim.hide(now - 150 * 60_000, now - 30 * 60_000);
    let before = app.get("/readings?minutes=180").await.json();
    let held = before.as_array().expect("array").len();
    assert!((12..=14).contains(&held), "{held} readings outside the gap");

    app.sim.show_all();
    app.until("the backfill", |app| {
        app.sim.reads().iter().skip(1).any(|r| r.minutes >= 180)
    })
    .await;
    app.until_published("alice", app.sim.reads().len() as u64)
        .await;
    let after = app.get("/readings?minutes=180").await.json();

    assert!(
        after.as_array().expect("array").len() >= 35,
        "{} readings after the backfill",
        after.as_array().expect("array").len()
    );
    let reads = app.sim.reads();
    let backfill = reads
        .iter()
        .skip(1)
        .find(|r| r.minutes >= 180)
        .expect("read");
    assert!(backfill.max_count <= 40, "{backfill:?}");
}

#[actix_web::test]
async fn an_account_nobody_asks_for_costs_nothing_and_an_idle_one_stops() {
    let app = spawn_app_with(|setup| {
        alice_and_bob(setup);
        setup.clock = Clock::scaled(200.0);
        setup.settings.feed.idle_after = Duration::from_secs(10 * 60);
    })
    .await;
    assert_eq!(app.get("/readings?account=alice").await.status, 200);
    let alice_view = app.account_view("alice").await;
    assert_eq!(alice_view["watched"], true);
    assert!(alice_view["next_poll_at"].is_string());

    // 12 simulated minutes: alice goes idle after 10.
    app.sleep(Duration::from_secs(12 * 60)).await;
    let reads_when_idle = app.calls().2;
    app.sleep(Duration::from_secs(20 * 60)).await;

    assert_eq!(app.calls().2, reads_when_idle, "no Share call while idle");
    assert_eq!(app.account_view("alice").await["watched"], false);
    assert!(app.account_view("alice").await["next_poll_at"].is_null());
    let bob_view = app.account_view("bob").await;
    assert_eq!(bob_view["watched"], false);
    assert_eq!(bob_view["reads"], 0);
    assert_eq!(
        app.calls().0,
        1,
        "only alice ever logged in (bob uses his account ID)"
    );
    assert_eq!(app.calls().1, 1);

    // Asked again: the feed starts again, without a new login, from what it held.
    let again = app.get("/readings?account=alice").await;
    assert_eq!(again.status, 200);
    assert_eq!(app.calls().1, 1);
    let last = app.sim.reads().last().cloned().expect("a read");
    assert!(last.minutes <= 180, "not the whole day again: {last:?}");
}

#[actix_web::test]
async fn a_password_never_leaves_the_feed() {
    let app = spawn_app().await;
    let accounts = app.get("/accounts").await;
    assert!(!String::from_utf8_lossy(&accounts.body).contains(ALICE_PASSWORD));
    let at = Utc::now();
    assert!(app.get("/readings").await.status == 200);
    let view = app.account_view("alice").await;
    let newest = chrono::DateTime::parse_from_rfc3339(
        view["newest_reading_at"].as_str().expect("newest reading"),
    )
    .expect("RFC 3339");
    assert!(at - newest.with_timezone(&Utc) < chrono::Duration::minutes(2));
}
