//! Control endpoints: hidden ranges, the read log, the newest visible reading, methods.

use actix_web::http::StatusCode;
use dexcom_share_proxy::simulator::{Endpoint, Fault, FaultKind, ReadRecord};
use serde_json::json;

use crate::helpers::{config, date_ms, spawn, spawn_with, Reply, ZERO};

fn times(reply: &Reply) -> Vec<i64> {
    let records = reply.json();
    records
        .as_array()
        .unwrap_or_else(|| panic!("{records}"))
        .iter()
        .map(|r| date_ms(r["WT"].as_str().unwrap()))
        .collect()
}

#[actix_web::test]
async fn hidden_readings_are_absent_and_do_not_count_toward_max_count() {
    // The newest reading is a minute old, so none falls due during the test.
    let mut config = config();
    config.newest_reading_age_seconds = Some(60);
    let t = spawn_with(config).await;
    let session = t.session().await;
    let all = times(&t.read(&session, 120, 288).await);
    assert_eq!(all.len(), 24);

    let range = json!({"from_ms": all[5], "to_ms": all[2] + 1});
    let r = t.control("PUT", "hidden", Some(range)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        times(&t.read(&session, 120, 5).await),
        [all[0], all[1], all[6], all[7], all[8]]
    );
    t.sim.control().hide(all[23], all[20]);
    let mut expected: Vec<i64> = all.clone();
    expected.retain(|time| !(all[5]..=all[2]).contains(time) && !(all[23]..all[20]).contains(time));
    assert_eq!(times(&t.read(&session, 120, 288).await), expected);
    assert_eq!(
        t.read(&session, 120, 288)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        17
    );

    let r = t.control("DELETE", "hidden", None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(times(&t.read(&session, 120, 288).await), all);

    t.sim.control().hide(all[3], all[0] + 1);
    assert_eq!(times(&t.read(&session, 10, 1).await), [] as [i64; 0]);
    t.sim.control().show_all();
    assert_eq!(times(&t.read(&session, 10, 1).await), [all[0]]);
    t.sim.control().hide(all[3], all[0] + 1);
    t.sim.control().reset();
    let session = t.session().await;
    assert_eq!(
        times(&t.read(&session, 10, 1).await),
        [all[0]],
        "reset shows all"
    );
}

#[actix_web::test]
async fn the_hidden_endpoint_validates_its_body() {
    let t = spawn().await;
    for body in [
        json!({"from_ms": 10, "to_ms": 10}),
        json!({"from_ms": 11, "to_ms": 10}),
        json!({"from_ms": 1}),
        json!({"from_ms": "1", "to_ms": 2}),
        json!({"from_ms": 1, "to_ms": 2, "colour": 3}),
        json!([1, 2]),
    ] {
        let r = t.control("PUT", "hidden", Some(body.clone())).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(r.json()["error"].is_string(), "{body}");
    }
    let r = t.control("POST", "hidden", None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = t.control("GET", "hidden", None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[actix_web::test]
async fn answered_reads_are_logged_with_what_was_asked_and_sent() {
    let mut config = config();
    config.newest_reading_age_seconds = Some(60);
    let clock = config.clock;
    let t = spawn_with(config).await;
    let control = t.sim.control();
    let session = t.session().await;
    let before = clock.now().timestamp_millis();
    let mut sent = Vec::new();
    for (minutes, max_count, records) in [(1440, 288, 288), (10, 1, 1), (30, 3, 3), (0, 10, 0)] {
        let r = t.read(&session, minutes, max_count).await;
        assert_eq!(r.json().as_array().unwrap().len(), records);
        sent.push((
            i64::from(minutes),
            i64::from(max_count),
            records,
            r.body.len(),
        ));
    }
    // Not answered with readings: a fault, a malformed request, the zero session.
    control.inject(Fault {
        endpoint: Some(Endpoint::Read),
        kind: FaultKind::MalformedJson,
        times: Some(1),
    });
    t.read(&session, 10, 1).await;
    t.read("bad-session", 10, 1).await;
    t.read(ZERO, 10, 1).await;
    let after = clock.now().timestamp_millis();

    let reads = control.reads();
    let logged: Vec<(i64, i64, usize, usize)> = reads
        .iter()
        .map(|r| (r.minutes, r.max_count, r.records, r.bytes))
        .collect();
    assert_eq!(logged, sent);
    assert_eq!(sent[3].3, 2, "[] is two bytes");
    assert!(reads.iter().all(|r| (before..=after).contains(&r.at_ms)));
    assert!(reads.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    let total: usize = sent.iter().map(|s| s.3).sum();
    assert_eq!(control.read_bytes(), total as u64);

    let r = t.control("GET", "reads", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json();
    assert_eq!(body["read_bytes"], json!(total));
    let over_http: Vec<ReadRecord> = body["reads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| ReadRecord {
            at_ms: r["at_ms"].as_i64().unwrap(),
            minutes: r["minutes"].as_i64().unwrap(),
            max_count: r["max_count"].as_i64().unwrap(),
            records: r["records"].as_u64().unwrap() as usize,
            bytes: r["bytes"].as_u64().unwrap() as usize,
        })
        .collect();
    assert_eq!(over_http, reads);
    assert_eq!(body["reads"][0].as_object().unwrap().len(), 5);

    t.control("POST", "reset", None).await;
    assert!(control.reads().is_empty());
    assert_eq!(control.read_bytes(), 0);
    assert_eq!(
        t.control("GET", "reads", None).await.json(),
        json!({"reads": [], "read_bytes": 0})
    );
}

#[actix_web::test]
async fn newest_visible_names_the_newest_reading_a_read_sees() {
    let mut config = config();
    config.newest_reading_age_seconds = Some(60);
    config.upload_lag_seconds = 10;
    let t = spawn_with(config).await;
    let session = t.session().await;
    let newest = times(&t.read(&session, 10, 1).await)[0];
    assert_eq!(
        t.sim.control().newest_visible(0),
        Some((newest, newest + 10_000))
    );
    let r = t.control("GET", "newest-visible", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"time_ms": newest, "visible_at_ms": newest + 10_000})
    );
    let india = t.control("GET", "newest-visible?account=2", None).await;
    assert_eq!(india.status, StatusCode::OK);
    let r = t.control("GET", "newest-visible?account=3", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.json()["error"].is_string());
    let r = t.control("GET", "newest-visible?account=x", None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn non_post_methods_are_405_and_the_server_stops() {
    let t = spawn().await;
    let url = format!("{}General/AuthenticatePublisherAccount", t.base);
    let r = t.send(t.client.get(url), None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = t.control("POST", "calls", None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let addr = t.sim.addr();
    t.sim.stop().await;
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "listener closed after stop"
    );
}
