//! Time: the simulator's clock, anchored traces, upload lag and its jitter.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use dexcom_share_proxy::clock::Clock;
use dexcom_share_proxy::simulator::{Simulator, DEMO_ACCOUNT_ID, DEMO_PASSWORD};
use serde_json::json;

use crate::helpers::{config, date_ms, spawn_with, TestSim, INDIA_ACCOUNT_ID, LEGACY_ACCOUNT_ID};

#[actix_web::test]
async fn on_a_scaled_clock_a_session_expires_after_its_simulated_lifetime() {
    // One simulated minute at 60× lasts one real second.
    let mut config = config();
    config.clock = Clock::scaled(60.0);
    config.session_lifetime_minutes = 1;
    let t = spawn_with(config).await;
    let started = Instant::now();
    let session = t.session().await;
    assert_eq!(t.read(&session, 10, 1).await.status, StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "too slow to check"
    );
    actix_web::rt::time::sleep(Duration::from_millis(1100).saturating_sub(started.elapsed())).await;
    assert_eq!(t.read(&session, 10, 1).await.code(), "SessionNotValid");
    let fresh = t.session().await;
    assert_eq!(t.read(&fresh, 10, 1).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn on_a_scaled_clock_a_lockout_ends_after_its_simulated_minutes() {
    // 3 failures lock the account for 1 simulated minute: one real second at 60×.
    let mut config = config();
    config.clock = Clock::scaled(60.0);
    config.lockout_minutes = 1;
    let t = spawn_with(config).await;
    for _ in 0..3 {
        t.login(json!(DEMO_ACCOUNT_ID), "wrong").await;
    }
    let locked_at = Instant::now();
    let locked = "SSO_AuthenticateMaxAttemptsExceeed";
    assert_eq!(
        t.login(json!(DEMO_ACCOUNT_ID), DEMO_PASSWORD).await.code(),
        locked
    );
    actix_web::rt::time::sleep(Duration::from_millis(1100).saturating_sub(locked_at.elapsed()))
        .await;
    assert_eq!(
        t.login(json!(DEMO_ACCOUNT_ID), DEMO_PASSWORD).await.status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn read_times_follow_the_clock() {
    let mut config = config();
    config.clock = Clock::scaled(1000.0);
    let clock = config.clock;
    let t = spawn_with(config).await;
    // 400 real ms at 1000× are 400 simulated seconds: the newest reading lies in the
    // system clock's future.
    actix_web::rt::time::sleep(Duration::from_millis(400)).await;
    let session = t.session().await;
    let newest = date_ms(
        t.read(&session, 10, 1).await.json()[0]["WT"]
            .as_str()
            .unwrap(),
    );
    let now = clock.now().timestamp_millis();
    assert!(newest <= now && newest > now - 300_400, "{newest} vs {now}");
    assert!(newest > chrono::Utc::now().timestamp_millis());

    // Error envelopes are dated on the same clock.
    let unknown = "33333333-3333-3333-3333-333333333333";
    let sub_code = t.read(unknown, 10, 1).await.json()["SubCode"].clone();
    let thrown = sub_code
        .as_str()
        .unwrap()
        .split("DateThrown=\"")
        .nth(1)
        .unwrap()
        .split('Z')
        .next()
        .unwrap()
        .to_owned();
    let thrown = chrono::NaiveDateTime::parse_from_str(&thrown, "%Y-%m-%dT%H:%M:%S%.f")
        .unwrap()
        .and_utc()
        .timestamp_millis();
    let after = clock.now().timestamp_millis();
    assert!(thrown >= now && thrown <= after, "{now} {thrown} {after}");
}

#[actix_web::test]
async fn an_anchored_phase_makes_the_newest_reading_that_old_at_start() {
    let mut config = config();
    config.newest_reading_age_seconds = Some(60);
    let t = spawn_with(config).await;
    for (id, password) in [
        (DEMO_ACCOUNT_ID, DEMO_PASSWORD),
        (LEGACY_ACCOUNT_ID, "legacy-pw"),
        (INDIA_ACCOUNT_ID, "india-pw"),
    ] {
        let session = t.login(json!(id), password).await.json();
        let r = t.read(session.as_str().unwrap(), 10, 3).await.json();
        let newest = date_ms(r[0]["WT"].as_str().unwrap().trim_matches('/'));
        let age = chrono::Utc::now().timestamp_millis() - newest;
        assert!((59_500..=60_500).contains(&age), "{id}: {age} ms");
        let previous = date_ms(r[1]["WT"].as_str().unwrap().trim_matches('/'));
        assert!((newest - previous - 300_000).abs() <= 800);
    }
}

#[actix_web::test]
async fn a_newest_reading_age_of_five_minutes_or_more_is_refused() {
    let mut config = config();
    config.newest_reading_age_seconds = Some(300);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let err = Simulator::start(config, listener).err().unwrap();
    assert!(
        err.to_string().contains("newest_reading_age_seconds"),
        "{err}"
    );
}

/// One read of the newest reading: when it was sent and answered (clock ms), and its time.
struct Poll {
    sent: i64,
    received: i64,
    newest: Option<i64>,
}

async fn poll(t: &TestSim, clock: Clock, session: &str) -> Poll {
    let sent = clock.now().timestamp_millis();
    let r = t.read(session, 30, 1).await.json();
    let received = clock.now().timestamp_millis();
    let newest = r[0]["WT"].as_str().map(date_ms);
    Poll {
        sent,
        received,
        newest,
    }
}

#[actix_web::test]
async fn with_an_upload_lag_a_reading_appears_only_that_long_after_its_time() {
    // At 50× the 20 s lag lasts 400 real ms; the newest reading is taken at start.
    let mut config = config();
    config.clock = Clock::scaled(50.0);
    config.upload_lag_seconds = 20;
    config.newest_reading_age_seconds = Some(0);
    let clock = config.clock;
    let before = clock.now().timestamp_millis();
    let t = spawn_with(config).await;
    let after = clock.now().timestamp_millis();
    let session = t.session().await;
    let mut polls = Vec::new();
    while clock.now().timestamp_millis() < after + 40_000 {
        polls.push(poll(&t, clock, &session).await);
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
    let anchor = polls.last().unwrap().newest.unwrap();
    assert!(
        (before..=after).contains(&anchor),
        "{before} {anchor} {after}"
    );
    let first = &polls[0];
    assert!(first.received < anchor + 20_000, "too slow to check");
    let previous = first.newest.unwrap();
    assert!((anchor - previous - 300_000).abs() <= 800);
    for p in &polls {
        let newest = p.newest.unwrap();
        assert!(newest + 20_000 <= p.received, "seen before its upload");
        if p.sent >= anchor + 20_000 {
            assert_eq!(newest, anchor, "not seen once uploaded");
        } else if p.received < anchor + 20_000 {
            assert_eq!(newest, previous);
        }
    }
    assert_eq!(
        t.sim.control().newest_visible(0),
        Some((anchor, anchor + 20_000))
    );
    assert_eq!(t.sim.control().newest_visible(3), None);
}

#[actix_web::test]
async fn upload_jitter_is_per_reading_within_bounds_and_deterministic() {
    // At 1000× a reading falls due every 300 real ms.
    let mut config = config();
    config.clock = Clock::scaled(1000.0);
    config.upload_lag_seconds = 20;
    config.upload_lag_jitter_seconds = 30;
    let clock = config.clock;
    let twin = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        Simulator::start(config.clone(), listener).unwrap()
    };
    let t = spawn_with(config).await;
    let session = t.session().await;
    let control = t.sim.control();
    let end = clock.now().timestamp_millis() + 1_800_000;
    let mut polls: Vec<Poll> = Vec::new();
    let mut uploads: Vec<(i64, i64)> = Vec::new();
    while clock.now().timestamp_millis() < end {
        let p = poll(&t, clock, &session).await;
        let (time, visible_at) = control.newest_visible(0).unwrap();
        if let Some((twin_time, twin_visible_at)) = twin.control().newest_visible(0) {
            if twin_time == time {
                assert_eq!(
                    twin_visible_at, visible_at,
                    "the same slot, the same upload"
                );
            }
        }
        let delay = visible_at - time;
        assert!((20_000..=50_000).contains(&delay), "{delay}");
        if let (Some(last), Some(newest)) = (polls.last(), p.newest) {
            if last.newest != Some(newest) && newest == time {
                // First seen in this poll: uploaded after the last poll was sent (it saw
                // nothing), and by the time this one was answered.
                assert!(visible_at > last.sent && visible_at <= p.received);
                uploads.push((time, visible_at));
            }
        }
        polls.push(p);
        actix_web::rt::time::sleep(Duration::from_millis(3)).await;
    }
    assert!(uploads.len() >= 4, "{uploads:?}");
    let delays: Vec<i64> = uploads.iter().map(|(t, v)| v - t).collect();
    assert!(delays.windows(2).any(|w| w[0] != w[1]), "{delays:?}");
    twin.stop().await;
}
