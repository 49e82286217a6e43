//! The Share simulator over real HTTP (awc against `Simulator::start` on port 0).

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use dexcom_share_proxy::clock::Clock;
use dexcom_share_proxy::simulator::{
    Endpoint, Fault, FaultKind, ReadRecord, SimAccount, Simulator, SimulatorConfig,
    DEMO_ACCOUNT_ID, DEMO_PASSWORD, DEMO_USERNAME,
};
use serde_json::{json, Value};

const LEGACY_USERNAME: &str = "legacy@example.com";
const LEGACY_ACCOUNT_ID: &str = "0f6b1c1e-2d3a-4b5c-8d7e-9f0a1b2c3d4e";
const INDIA_USERNAME: &str = "india@example.com";
const INDIA_ACCOUNT_ID: &str = "7a3c9e21-5b4d-4e6f-8a0b-1c2d3e4f5a6b";
const APP_ID: &str = "d89443d2-327c-4a6f-89e5-496bbb0317db";
const ZERO: &str = "00000000-0000-0000-0000-000000000000";

struct TestSim {
    sim: Simulator,
    client: awc::Client,
    base: String,
    root: String,
}

struct Reply {
    status: StatusCode,
    content_type: String,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("test: body is JSON")
    }
    fn code(&self) -> String {
        assert_eq!(
            self.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{:?}",
            self.body
        );
        self.json()["Code"].as_str().unwrap_or_default().to_owned()
    }
}

fn config() -> SimulatorConfig {
    let mut config = SimulatorConfig::demo();
    config.lockout_after_failures = 3;
    let mut legacy = SimAccount::new(
        LEGACY_USERNAME,
        LEGACY_ACCOUNT_ID.parse().unwrap(),
        "legacy-pw",
        -240,
    );
    legacy.legacy_format = true;
    config.accounts.push(legacy);
    config.accounts.push(SimAccount::new(
        INDIA_USERNAME,
        INDIA_ACCOUNT_ID.parse().unwrap(),
        "india-pw",
        330,
    ));
    config
}

async fn spawn() -> TestSim {
    spawn_with(config()).await
}

async fn spawn_with(config: SimulatorConfig) -> TestSim {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let sim = Simulator::start(config, listener).unwrap();
    let base = sim.base_url();
    let root = format!("http://{}", sim.addr());
    assert_eq!(base, format!("{root}/ShareWebServices/Services/"));
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish();
    TestSim {
        sim,
        client,
        base,
        root,
    }
}

impl TestSim {
    async fn send(&self, req: awc::ClientRequest, body: Option<Value>) -> Reply {
        let sent = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        };
        let mut resp = sent.expect("test: request sent");
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = resp.body().await.expect("test: body read");
        Reply {
            status: resp.status(),
            content_type,
            body,
        }
    }

    async fn post(&self, path: &str, body: Value) -> Reply {
        let url = format!("{}{path}", self.base);
        self.send(self.client.post(url), Some(body)).await
    }

    async fn authenticate(&self, name: &str, password: &str) -> Reply {
        let body = json!({"accountName": name, "password": password, "applicationId": APP_ID});
        self.post("General/AuthenticatePublisherAccount", body)
            .await
    }

    async fn login(&self, account_id: Value, password: &str) -> Reply {
        let body = json!({"accountId": account_id, "password": password, "applicationId": APP_ID});
        self.post("General/LoginPublisherAccountById", body).await
    }

    async fn session(&self) -> String {
        let r = self.login(json!(DEMO_ACCOUNT_ID), DEMO_PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK);
        r.json().as_str().unwrap().to_owned()
    }

    async fn read(&self, session: &str, minutes: u32, max_count: u32) -> Reply {
        let path = format!(
            "Publisher/ReadPublisherLatestGlucoseValues?sessionId={session}&minutes={minutes}&maxCount={max_count}"
        );
        self.post(&path, json!({})).await
    }

    async fn control(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let url = format!("{}/simulator/{path}", self.root);
        let req = match method {
            "GET" => self.client.get(url),
            "PUT" => self.client.put(url),
            "DELETE" => self.client.delete(url),
            _ => self.client.post(url),
        };
        self.send(req, body).await
    }
}

/// A blocking HTTP/1.1 POST that reads until the server closes the socket.
fn raw_post(addr: std::net::SocketAddr, url: &str) -> String {
    use std::io::{Read, Write};
    let path = url.split_once(&addr.to_string()).unwrap().1;
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}"
    )
    .unwrap();
    let mut out = Vec::new();
    stream
        .read_to_end(&mut out)
        .expect("test: server closes the connection");
    String::from_utf8_lossy(&out).into_owned()
}

fn date_ms(s: &str) -> i64 {
    let inner = s.strip_prefix("Date(").unwrap().strip_suffix(')').unwrap();
    inner[..13].parse().unwrap()
}

#[actix_web::test]
async fn authenticate_login_and_read_the_last_day() {
    let t = spawn().await;
    let auth = t.authenticate(DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(auth.status, StatusCode::OK);
    assert_eq!(auth.content_type, "application/json");
    assert_eq!(auth.body, format!("\"{DEMO_ACCOUNT_ID}\""));
    let first = t.session().await;
    let second = t.session().await;
    assert_ne!(first, second, "every login issues a fresh session");

    let r = t.read(&first, 1440, 288).await;
    assert_eq!(r.status, StatusCode::OK);
    let records = r.json();
    let records = records.as_array().unwrap();
    assert!((287..=288).contains(&records.len()), "{}", records.len());
    let now = chrono::Utc::now().timestamp_millis();
    let mut previous = i64::MAX;
    for rec in records {
        let keys: Vec<&str> = rec
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 5);
        let wt = date_ms(rec["WT"].as_str().unwrap());
        assert_eq!(wt, date_ms(rec["ST"].as_str().unwrap()));
        assert_eq!(rec["DT"].as_str().unwrap(), format!("Date({wt}-0400)"));
        assert!(wt <= now && wt > now - 86_400_000);
        assert!(previous == i64::MAX || (previous - wt - 300_000).abs() <= 800);
        previous = wt;
        assert!((40..=400).contains(&rec["Value"].as_i64().unwrap()));
        assert!(rec["Trend"].is_string());
    }

    let one = t.read(&first, 10, 1).await.json();
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(
        one[0], records[0],
        "the same slot always gives the same reading"
    );
    assert_eq!(t.read(&first, 0, 10).await.body, "[]");
    assert_eq!(t.read(&first, 10, 0).await.body, "[]");
}

#[actix_web::test]
async fn session_id_query_name_is_accepted_in_either_case_and_body_may_be_empty() {
    let t = spawn().await;
    let session = t.session().await;
    let url = format!(
        "{}Publisher/ReadPublisherLatestGlucoseValues?sessionID={session}&minutes=30&maxCount=3",
        t.base
    );
    let r = t.send(t.client.post(url), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json().as_array().unwrap().len(), 3);
}

#[actix_web::test]
async fn offsets_and_legacy_format_are_per_account() {
    let t = spawn().await;
    let india = t.login(json!(INDIA_ACCOUNT_ID), "india-pw").await.json();
    let r = t.read(india.as_str().unwrap(), 10, 1).await.json();
    assert!(r[0]["DT"].as_str().unwrap().ends_with("+0530)"), "{r}");

    let legacy = t.login(json!(LEGACY_ACCOUNT_ID), "legacy-pw").await.json();
    let r = t.read(legacy.as_str().unwrap(), 10, 1).await.json();
    let dt = r[0]["DT"].as_str().unwrap();
    assert!(dt.starts_with("/Date(") && dt.ends_with("-0400)/"), "{dt}");
    assert!(r[0]["WT"].as_str().unwrap().ends_with(")/"));
    assert!((1..=7).contains(&r[0]["Trend"].as_i64().unwrap()));
}

#[actix_web::test]
async fn wrong_credentials_give_account_password_invalid() {
    let t = spawn().await;
    for r in [
        t.authenticate(DEMO_USERNAME, "wrong").await,
        t.authenticate("nobody@example.com", DEMO_PASSWORD).await,
        t.login(json!(DEMO_ACCOUNT_ID), "wrong").await,
        t.login(json!("77777777-7777-7777-7777-777777777777"), DEMO_PASSWORD)
            .await,
    ] {
        assert_eq!(r.code(), "AccountPasswordInvalid");
        assert_eq!(r.content_type, "application/json");
        let env = r.json();
        assert_eq!(env["Message"], "Publisher account password failed");
        assert_eq!(env["TypeName"], "FaultException");
        let sub = env["SubCode"].as_str().unwrap();
        assert!(sub.contains("ErrorCode=\"AccountPasswordInvalid\" Type=\"13\" Category=\"4\""));
    }
}

#[actix_web::test]
async fn bad_arguments_give_invalid_argument_naming_the_field() {
    let t = spawn().await;
    let r = t
        .post(
            "General/AuthenticatePublisherAccount",
            json!({"password": "x"}),
        )
        .await;
    assert_eq!(r.code(), "InvalidArgument");
    assert!(r.json()["Message"]
        .as_str()
        .unwrap()
        .contains("accountName"));
    let r = t
        .post(
            "General/AuthenticatePublisherAccount",
            json!({"accountName": "a", "password": 5}),
        )
        .await;
    assert!(r.json()["Message"].as_str().unwrap().contains("password"));

    let r = t.login(json!(1), "password").await;
    assert_eq!(r.code(), "InvalidArgument");
    assert_eq!(
        r.json()["Message"],
        "Missing required field(s): JSON parse error: Cannot deserialize value of type `java.util.UUID` from String \"1\": UUID has to be represented by standard 36-char representation"
    );
    assert_eq!(
        t.login(json!("not-a-uuid"), "x").await.code(),
        "InvalidArgument"
    );
}

#[actix_web::test]
async fn empty_or_zero_account_id_logs_in_to_the_zero_uuid() {
    let t = spawn().await;
    for id in ["", ZERO] {
        let r = t.login(json!(id), "anything").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, format!("\"{ZERO}\""));
    }
}

#[actix_web::test]
async fn read_session_errors() {
    let t = spawn().await;
    let unknown = "33333333-3333-3333-3333-333333333333";
    let r = t.read(unknown, 10, 1).await;
    assert_eq!(r.code(), "SessionIdNotFound");
    assert_eq!(
        r.json()["Message"],
        format!("Failed to find session object. [SessionId = {unknown}]")
    );

    let r = t.read("bad-session-id", 10, 1).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        "The server encountered an error processing the request. See server logs for more details."
    );

    let r = t.read(ZERO, 10, 1).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.is_empty());
}

#[actix_web::test]
async fn expired_sessions_answer_session_not_valid_until_a_new_login() {
    let t = spawn().await;
    let session = t.session().await;
    t.sim.control().expire_sessions();
    let r = t.read(&session, 10, 1).await;
    assert_eq!(r.code(), "SessionNotValid");
    assert_eq!(
        r.json()["Message"],
        format!("Session not active or timed out. [SessionId = {session}]")
    );
    let fresh = t.session().await;
    assert_eq!(t.read(&fresh, 10, 1).await.status, StatusCode::OK);

    // The same over the control endpoint.
    assert_eq!(
        t.control("POST", "expire-sessions", None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(t.read(&fresh, 10, 1).await.code(), "SessionNotValid");
}

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

#[actix_web::test]
async fn lockout_after_consecutive_failures_even_with_the_right_password() {
    let t = spawn().await;
    assert_eq!(
        t.login(json!(DEMO_ACCOUNT_ID), "wrong").await.code(),
        "AccountPasswordInvalid"
    );
    assert_eq!(
        t.login(json!(DEMO_ACCOUNT_ID), "wrong").await.code(),
        "AccountPasswordInvalid"
    );
    // A success resets the count.
    t.session().await;
    for _ in 0..3 {
        assert_eq!(
            t.authenticate(DEMO_USERNAME, "wrong").await.code(),
            "AccountPasswordInvalid"
        );
    }
    let locked = "SSO_AuthenticateMaxAttemptsExceeed";
    assert_eq!(
        t.authenticate(DEMO_USERNAME, DEMO_PASSWORD).await.code(),
        locked
    );
    assert_eq!(
        t.login(json!(DEMO_ACCOUNT_ID), DEMO_PASSWORD).await.code(),
        locked
    );
    // Other accounts are unaffected; reset lifts the lockout.
    assert_eq!(
        t.login(json!(INDIA_ACCOUNT_ID), "india-pw").await.status,
        StatusCode::OK
    );
    t.sim.control().reset();
    assert_eq!(
        t.login(json!(DEMO_ACCOUNT_ID), DEMO_PASSWORD).await.status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn calls_are_counted_per_endpoint_faulted_or_not() {
    let t = spawn().await;
    let control = t.sim.control();
    t.authenticate(DEMO_USERNAME, DEMO_PASSWORD).await;
    let session = t.session().await;
    control.inject(Fault {
        endpoint: Some(Endpoint::Read),
        kind: FaultKind::ErrorCode {
            code: "SessionNotValid".into(),
            message: None,
        },
        times: Some(1),
    });
    assert_eq!(t.read(&session, 10, 1).await.code(), "SessionNotValid");
    assert_eq!(t.read(&session, 10, 1).await.status, StatusCode::OK);
    assert_eq!(control.calls(Endpoint::Authenticate), 1);
    assert_eq!(control.calls(Endpoint::LoginById), 1);
    assert_eq!(control.calls(Endpoint::Read), 2);
    let calls = t.control("GET", "calls", None).await.json();
    assert_eq!(
        calls,
        json!({"authenticate": 1, "login_by_id": 1, "read": 2})
    );
    assert_eq!(
        t.control("POST", "reset", None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(control.calls(Endpoint::Read), 0);
}

#[actix_web::test]
async fn error_code_and_http_status_faults() {
    let t = spawn().await;
    let control = t.sim.control();
    control.inject(Fault {
        endpoint: None,
        kind: FaultKind::ErrorCode {
            code: "SSO_InternalError".into(),
            message: None,
        },
        times: Some(1),
    });
    let r = t.authenticate(DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(r.code(), "SSO_InternalError");
    assert!(r.json()["Message"].as_str().unwrap().ends_with(&format!(
        "Cannot Authenticate by AccountName='{DEMO_USERNAME}'"
    )));

    let html = "<html><body>503 Service Temporarily Unavailable</body></html>";
    let fault = json!({"endpoint": "login_by_id", "times": 2,
        "kind": {"kind": "http_status", "status": 503, "body": html, "content_type": "text/html"}});
    assert_eq!(
        t.control("POST", "faults", Some(fault)).await.status,
        StatusCode::NO_CONTENT
    );
    for _ in 0..2 {
        let r = t.login(json!(DEMO_ACCOUNT_ID), DEMO_PASSWORD).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.content_type, "text/html");
        assert_eq!(r.body, html);
    }
    assert_eq!(
        t.login(json!(DEMO_ACCOUNT_ID), DEMO_PASSWORD).await.status,
        StatusCode::OK
    );

    let custom =
        json!({"kind": {"kind": "error_code", "code": "ServiceUnavailable", "message": "down"}});
    t.control("POST", "faults", Some(custom)).await;
    for _ in 0..3 {
        let r = t.authenticate(DEMO_USERNAME, DEMO_PASSWORD).await;
        assert_eq!(r.code(), "ServiceUnavailable");
        assert_eq!(r.json()["Message"], "down");
    }
    assert_eq!(
        t.control("DELETE", "faults", None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.authenticate(DEMO_USERNAME, DEMO_PASSWORD).await.status,
        StatusCode::OK
    );

    let bad = json!({"kind": {"kind": "zero_uuid"}, "endpoint": "read"});
    assert_eq!(
        t.control("POST", "faults", Some(bad)).await.status,
        StatusCode::BAD_REQUEST
    );
    let bad = json!({"kind": {"kind": "explode"}});
    assert_eq!(
        t.control("POST", "faults", Some(bad)).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[actix_web::test]
async fn stall_fault_delays_then_answers_normally() {
    let t = spawn().await;
    let session = t.session().await;
    t.sim.control().inject(Fault {
        endpoint: Some(Endpoint::Read),
        kind: FaultKind::Stall { millis: 400 },
        times: Some(1),
    });
    let started = Instant::now();
    let r = t.read(&session, 10, 1).await;
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(r.status, StatusCode::OK);
    let started = Instant::now();
    t.read(&session, 10, 1).await;
    assert!(started.elapsed() < Duration::from_millis(400));
}

#[actix_web::test]
async fn drop_connection_fault_breaks_the_response() {
    let t = spawn().await;
    let session = t.session().await;
    t.sim.control().inject(Fault {
        endpoint: Some(Endpoint::Read),
        kind: FaultKind::DropConnection,
        times: Some(1),
    });
    let url = format!(
        "{}Publisher/ReadPublisherLatestGlucoseValues?sessionId={session}&minutes=10&maxCount=1",
        t.base
    );
    // awc hands back what arrived before the close, so check that it is not
    // a complete JSON body.
    let broke = match t.client.post(&url).send_json(&json!({})).await {
        Err(_) => true,
        Ok(mut resp) => match resp.body().await {
            Err(_) => true,
            Ok(body) => serde_json::from_slice::<Value>(&body).is_err(),
        },
    };
    assert!(broke, "the dropped response must not complete");

    // On the wire: headers, a partial chunk, then EOF without the final chunk.
    t.sim.control().inject(Fault {
        endpoint: Some(Endpoint::Read),
        kind: FaultKind::DropConnection,
        times: Some(1),
    });
    let raw = raw_post(t.sim.addr(), &url);
    assert!(raw.starts_with("HTTP/1.1 200 OK"), "{raw}");
    assert!(!raw.ends_with("0\r\n\r\n"), "{raw}");
    assert_eq!(t.read(&session, 10, 1).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn malformed_json_and_zero_uuid_faults() {
    let t = spawn().await;
    let control = t.sim.control();
    let session = t.session().await;
    control.inject(Fault {
        endpoint: None,
        kind: FaultKind::MalformedJson,
        times: Some(2),
    });
    let r = t.login(json!(DEMO_ACCOUNT_ID), DEMO_PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    let r = t.read(&session, 10, 1).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());

    control.inject(Fault {
        endpoint: None,
        kind: FaultKind::ZeroUuid,
        times: Some(1),
    });
    assert_eq!(
        t.read(&session, 10, 1).await.status,
        StatusCode::OK,
        "reads skip zero_uuid"
    );
    let r = t.authenticate(DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(r.body, format!("\"{ZERO}\""));
    assert_eq!(
        t.authenticate(DEMO_USERNAME, DEMO_PASSWORD).await.body,
        format!("\"{DEMO_ACCOUNT_ID}\"")
    );
}

#[actix_web::test]
async fn signal_loss_withholds_recent_readings() {
    let t = spawn().await;
    let session = t.session().await;
    let r = t
        .control("PUT", "signal-loss", Some(json!({"minutes": 30})))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(t.read(&session, 10, 1).await.body, "[]");
    let latest = t.read(&session, 1440, 1).await.json();
    let wt = date_ms(latest[0]["WT"].as_str().unwrap());
    assert!(wt <= chrono::Utc::now().timestamp_millis() - 30 * 60_000);
    t.sim.control().set_signal_loss_minutes(2000);
    assert_eq!(t.read(&session, 1440, 288).await.body, "[]");
    t.sim.control().set_signal_loss_minutes(0);
    assert_eq!(
        t.read(&session, 10, 1)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

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
