//! Server-Sent Events over real HTTP: the first events, new readings once each, replay by
//! `Last-Event-ID`, heartbeats, the cap on streams, a slow client dropped, and the token rules.

use std::io::Write;
use std::time::Duration;

use crate::helpers::{
    alice_and_bob_with_tokens, fast_clock, spawn_app, spawn_app_with, TestApp, ALICE_TOKEN,
    BOB_TOKEN,
};

const SOON: Duration = Duration::from_secs(10);

async fn newest_ms(app: &TestApp) -> i64 {
    let latest = app.get("/readings/latest").await.json();
    chrono::DateTime::parse_from_rfc3339(latest["datetime"].as_str().expect("datetime"))
        .expect("RFC 3339")
        .timestamp_millis()
}

#[actix_web::test]
async fn on_connect_a_stream_sends_the_newest_reading_and_the_status() {
    let app = spawn_app().await;
    let newest = newest_ms(&app).await;

    let mut stream = app.stream("/readings/stream", &[]).await;

    assert_eq!(stream.status, 200);
    assert_eq!(
        stream
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let retry = stream.next(SOON).await.expect("retry hint");
    assert_eq!(
        (retry.kind.as_str(), retry.data.as_str()),
        ("retry", "5000")
    );
    let reading = stream.next(SOON).await.expect("a reading");
    assert_eq!(reading.kind, "reading");
    assert_eq!(reading.id, Some(newest.to_string()));
    let data = reading.json();
    assert!(
        data["mg_dl"].is_u64() && data["range"].is_string(),
        "{data}"
    );
    assert_eq!(data["stale"], false);
    let status = stream.next(SOON).await.expect("a status");
    assert_eq!(status.kind, "status");
    assert_eq!(status.json()["state"], "fresh");
    assert!(status.json()["upstream_error"].is_null());
    assert!(status.json()["next_reading_due"].is_string());
}

#[actix_web::test]
async fn a_new_reading_is_pushed_once_as_the_feed_learns_it() {
    let app = spawn_app_with(fast_clock).await;
    let mut stream = app.stream("/readings/stream", &[]).await;
    let first = stream.next_of("reading", SOON).await.expect("the newest");
    let first_id: i64 = first.id.expect("id").parse().expect("ms");

    // A reading is uploaded every 5 simulated minutes: every 3 s here. Watch two arrive.
    let mut pushed = Vec::new();
    while pushed.len() < 2 {
        let event = stream.next(SOON).await.expect("the next reading in time");
        if event.kind == "reading" {
            pushed.push(event.id.expect("id").parse::<i64>().expect("ms"));
        }
    }

    assert!(
        pushed[0] > first_id + 290_000,
        "{pushed:?} after {first_id}"
    );
    assert!(
        (290_000..=310_000).contains(&(pushed[1] - pushed[0])),
        "each reading once, in order: {pushed:?}"
    );
    assert_eq!(app.calls().1, 1, "one login");
}

#[actix_web::test]
async fn last_event_id_replays_exactly_the_readings_after_it() {
    let app = spawn_app().await;
    let five = app.get("/readings?max_count=5").await.json();
    let ms = |r: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc3339(r["datetime"].as_str().expect("datetime"))
            .expect("RFC 3339")
            .timestamp_millis()
    };
    let last_seen = ms(&five[4]);

    let mut stream = app
        .stream(
            "/readings/stream",
            &[("last-event-id", &last_seen.to_string())],
        )
        .await;
    let mut replayed = Vec::new();
    while let Some(event) = stream.next(Duration::from_millis(500)).await {
        if event.kind == "reading" {
            replayed.push(event.id.expect("id").parse::<i64>().expect("ms"));
        }
    }

    let want: Vec<i64> = (0..4).rev().map(|i| ms(&five[i])).collect();
    assert_eq!(replayed, want, "oldest first, nothing twice, nothing older");
}

#[actix_web::test]
async fn an_idle_stream_gets_a_comment_every_keep_alive_interval() {
    let app =
        spawn_app_with(|setup| setup.settings.push.keep_alive = Duration::from_millis(100)).await;
    let mut stream = app.stream("/readings/stream", &[]).await;
    stream.next_of("status", SOON).await.expect("status");

    let mut comments = 0;
    let until = std::time::Instant::now() + Duration::from_millis(1000);
    while let Some(event) = stream
        .next(until.saturating_duration_since(std::time::Instant::now()))
        .await
    {
        if event.kind == "comment" {
            comments += 1;
        }
    }

    assert!(comments >= 3, "{comments} keep-alive comments");
}

#[actix_web::test]
async fn streams_beyond_the_cap_get_503_and_a_closed_one_frees_its_place() {
    let app = spawn_app_with(|setup| {
        setup.settings.push.max_streams = 1;
        setup.settings.push.keep_alive = Duration::from_millis(50);
    })
    .await;
    let mut first = app.stream("/readings/stream", &[]).await;
    first.next_of("status", SOON).await.expect("status");

    let second = app.get("/readings/stream").await;
    second.assert_problem(503, "too_many_streams");
    assert!(second.header("retry-after").is_some());

    drop(first);
    let mut third = None;
    for _ in 0..100 {
        let attempt = app.stream("/readings/stream", &[]).await;
        if attempt.status == 200 {
            third = Some(attempt);
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(third.is_some(), "the place was never freed");
}

#[actix_web::test]
async fn the_place_of_a_client_that_hung_up_is_free_again_after_a_refusal_or_two() {
    // Keep-alives far apart: only the refusals make the open stream write.
    let app = spawn_app_with(|setup| setup.settings.push.max_streams = 1).await;
    let mut first = app.stream("/readings/stream", &[]).await;
    first.next_of("status", SOON).await.expect("status");

    drop(first);
    let mut attempts = 0;
    let mut again = None;
    while attempts < 10 && again.is_none() {
        attempts += 1;
        let attempt = app.stream("/readings/stream", &[]).await;
        if attempt.status == 200 {
            again = Some(attempt);
        } else {
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }

    assert!(again.is_some(), "still refused after {attempts} attempts");
}

#[actix_web::test]
async fn a_client_that_does_not_read_is_dropped_and_frees_its_place() {
    let app = spawn_app_with(|setup| {
        setup.settings.push.max_streams = 1;
        setup.settings.push.buffer_events = 2;
        setup.settings.push.slow_client = Duration::from_millis(300);
        setup.settings.push.keep_alive = Duration::from_millis(1);
    })
    .await;
    // A client with a tiny receive window that asks for the whole day and reads nothing.
    let addr: std::net::SocketAddr = app
        .address
        .trim_start_matches("http://")
        .parse()
        .expect("address");
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    socket.set_recv_buffer_size(1024).expect("small window");
    // Small segments keep the kernel's send buffer for this connection small too: what
    // fills up is the service's own buffer, within seconds.
    socket.set_tcp_mss(536).expect("small segments");
    socket.connect(&addr.into()).expect("connect");
    let mut stalled: std::net::TcpStream = socket.into();
    write!(
        stalled,
        "GET /readings/stream HTTP/1.1\r\nHost: {addr}\r\nLast-Event-ID: 0\r\n\r\n"
    )
    .expect("request");

    let mut freed = false;
    for _ in 0..200 {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        let attempt = app.stream("/readings/stream", &[]).await;
        if attempt.status == 200 {
            freed = true;
            break;
        }
    }

    assert!(
        freed,
        "the stalled client still holds the only place after 20 s"
    );
    drop(stalled);
}

#[actix_web::test]
async fn a_reconnect_from_far_back_gets_the_whole_day_not_a_drop() {
    let app = spawn_app_with(|setup| setup.settings.push.buffer_events = 2).await;
    let day = app.get("/readings?minutes=1440&max_count=288").await.json();
    let held = day.as_array().expect("array").len();

    let mut stream = app
        .stream("/readings/stream", &[("last-event-id", "0")])
        .await;
    let mut replayed = 0;
    while let Some(event) = stream.next(Duration::from_secs(1)).await {
        if event.kind == "reading" {
            replayed += 1;
        }
        if event.kind == "status" {
            break;
        }
    }

    assert_eq!(
        replayed, held,
        "a burst larger than the buffer is not a slow client"
    );
}

#[actix_web::test]
async fn a_last_event_id_from_the_future_does_not_hold_back_new_readings() {
    let app = spawn_app_with(fast_clock).await;
    let mut stream = app
        .stream("/readings/stream", &[("last-event-id", "99999999999999")])
        .await;

    let next = stream.next_of("reading", SOON).await;
    // A reading uploaded after the connect: what a bogus ID would hold back for good.
    let newest_at_connect = newest_ms(&app).await;
    let mut later = None;
    while later.is_none() {
        let event = stream
            .next_of("reading", SOON)
            .await
            .expect("a new reading in time");
        let id: i64 = event.id.expect("id").parse().expect("ms");
        later = (id > newest_at_connect).then_some(id);
    }

    assert!(
        next.is_some(),
        "no reading pushed after a bogus Last-Event-ID"
    );
    assert!(later.is_some());
}

#[actix_web::test]
async fn streams_follow_the_token_rules_and_take_the_token_from_the_query() {
    let app = spawn_app_with(alice_and_bob_with_tokens).await;

    app.get("/readings/stream?account=alice")
        .await
        .assert_problem(401, "token_required");
    app.get("/readings/stream?account=alice&token=not-a-valid-token-9f8e7d")
        .await
        .assert_problem(401, "token_invalid");
    app.get_with_token("/readings/stream?account=alice", BOB_TOKEN)
        .await
        .assert_problem(403, "token_forbidden");
    let by_query = app
        .stream(&format!("/readings/stream?token={ALICE_TOKEN}"), &[])
        .await;
    let bearer = format!("Bearer {ALICE_TOKEN}");
    let by_header = app
        .stream("/readings/stream", &[("authorization", bearer.as_str())])
        .await;

    assert_eq!(by_query.status, 200);
    assert_eq!(by_header.status, 200);
}

#[actix_web::test]
async fn many_subscribers_cost_share_one_login_and_one_read_and_keep_the_account_watched() {
    let app = spawn_app_with(|setup| {
        fast_clock(setup);
        setup.settings.feed.idle_after = Duration::from_secs(60);
    })
    .await;
    let mut streams = Vec::new();
    for _ in 0..50 {
        streams.push(app.stream("/readings/stream", &[]).await);
    }
    for stream in &mut streams {
        stream.next_of("status", SOON).await.expect("status");
    }
    assert_eq!(app.calls(), (1, 1, 1));

    // Two simulated minutes: idle for plain requests, but the subscribers hold the account.
    app.sleep(Duration::from_secs(120)).await;

    assert_eq!(app.account_view("alice").await["watched"], true);
    assert_eq!(app.calls().1, 1);
}

#[actix_web::test]
async fn status_events_follow_an_upstream_fault_and_the_reading_ageing() {
    let mut app = spawn_app_with(fast_clock).await;
    let mut stream = app.stream("/readings/stream", &[]).await;
    let first = stream.next_of("status", SOON).await.expect("status");
    assert_eq!(first.json()["state"], "fresh");

    app.stop_simulator().await;
    // Stale at 10 simulated minutes, no data at 15: 6 and 9 s here.
    let mut seen: Vec<(String, serde_json::Value)> = Vec::new();
    while seen.last().map(|(state, _)| state.as_str()) != Some("no_data_15m") {
        let event = stream.next_of("status", Duration::from_secs(30)).await;
        let data = event.expect("a status change in time").json();
        let state = data["state"].as_str().expect("state").to_owned();
        seen.push((state, data["upstream_error"].clone()));
    }

    let states: Vec<&str> = seen.iter().map(|(s, _)| s.as_str()).collect();
    let stale_at = states.iter().position(|s| *s == "stale").expect("stale");
    assert_eq!(
        states.iter().filter(|s| **s == "stale").count(),
        1,
        "each change once: {seen:?}"
    );
    assert!(stale_at < states.len() - 1, "{seen:?}");
    assert!(
        seen.iter()
            .any(|(_, error)| error == "upstream_unavailable"),
        "the fault is told: {seen:?}"
    );
}
