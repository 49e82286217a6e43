//! Starts a real simulator and a real proxy on 127.0.0.1:0 and talks to them over HTTP.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::rt::task::JoinHandle;
use awc::http::header::HeaderMap;
use dexcom_share_proxy::clock::Clock;
use dexcom_share_proxy::config::{
    AccountSettings, AuthSettings, CorsSettings, Login, Settings, DEFAULT_RENDER_CACHE_BYTES,
};
use dexcom_share_proxy::domain::{AccountName, Region, Secret};
use dexcom_share_proxy::feed::backoff::{LoginPolicy, RetryPolicy};
use dexcom_share_proxy::feed::FeedSettings;
use dexcom_share_proxy::mqtt::MqttProbe;
use dexcom_share_proxy::simulator::{
    Endpoint, SimAccount, SimControl, Simulator, SimulatorConfig, SHARE_BASE_PATH,
};
use dexcom_share_proxy::startup::Application;
use serde_json::Value;
use uuid::Uuid;

pub const ALICE_USER: &str = "alice@example.com";
pub const ALICE_PASSWORD: &str = "alice-password-0451";
pub const BOB_ID: &str = "7f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b";
pub const BOB_PASSWORD: &str = "bob-password-9927";
pub const ALICE_TOKEN: &str = "alice-token-6f1c2e9d4b";
pub const ALICE_WATCH_TOKEN: &str = "alice-watch-token-08d7e2";
pub const BOB_TOKEN: &str = "bob-token-3a9e5c7f21d4";

/// A proxy in front of a simulator with two Share accounts (alice by username at UTC-4,
/// bob by account ID at UTC+5:30).
pub struct TestApp {
    pub address: String,
    pub sim: SimControl,
    /// The clock the proxy and the simulator share.
    pub clock: Clock,
    /// What the proxy's MQTT publisher tells about itself, when its settings have `[mqtt]`.
    pub mqtt: Option<MqttProbe>,
    http: awc::Client,
    simulator: Option<Simulator>,
    /// The in-process proxy (none when attached to a binary).
    proxy: Option<JoinHandle<std::io::Result<()>>>,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json error with this status and code; returns the body.
    pub fn assert_problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["status"], status);
        assert!(
            body["title"].is_string() && body["detail"].is_string(),
            "{body}"
        );
        assert_eq!(
            body["type"],
            format!("urn:dexcom-share-proxy:problem:{code}")
        );
        body
    }
}

/// The simulator of most tests: its newest reading is a minute old at start, so on the system
/// clock no new reading falls due while a test runs, and every Share call a test sees comes
/// from what the test did.
pub fn sim_config() -> SimulatorConfig {
    let mut config = SimulatorConfig::demo();
    config.newest_reading_age_seconds = Some(60);
    config.accounts = vec![
        SimAccount {
            username: ALICE_USER.to_owned(),
            account_id: Uuid::new_v4(),
            password: ALICE_PASSWORD.to_owned(),
            utc_offset_minutes: -240,
            seed: 1,
            legacy_format: false,
        },
        SimAccount {
            username: "bob".to_owned(),
            account_id: Uuid::parse_str(BOB_ID).expect("valid test UUID"),
            password: BOB_PASSWORD.to_owned(),
            utc_offset_minutes: 330,
            seed: 2,
            legacy_format: false,
        },
    ];
    config
}

pub fn account(name: &str, login: Login, password: &str, base_url: &str) -> AccountSettings {
    AccountSettings {
        name: AccountName::parse(name).expect("valid test account name"),
        login,
        password: Secret::new(password.to_owned()),
        region: Region::Us,
        base_url: Some(base_url.to_owned()),
        tokens: Vec::new(),
        simulated: false,
        thresholds: Default::default(),
    }
}

/// The account, readable only with one of these tokens.
pub fn with_tokens(mut account: AccountSettings, tokens: &[&str]) -> AccountSettings {
    account.tokens = tokens.iter().map(|t| Secret::new(t.to_string())).collect();
    account
}

pub fn alice(base_url: &str) -> AccountSettings {
    account(
        "alice",
        Login::Username(ALICE_USER.to_owned()),
        ALICE_PASSWORD,
        base_url,
    )
}

pub fn bob(base_url: &str) -> AccountSettings {
    let id = Uuid::parse_str(BOB_ID).expect("valid test UUID");
    account("bob", Login::AccountId(id), BOB_PASSWORD, base_url)
}

/// The settings of most tests: one fault at a time, so no pause after transient faults and
/// no minimum between logins (the policy tests set them); a failed refresh is retried after
/// a second.
pub fn test_settings(accounts: Vec<AccountSettings>) -> Settings {
    let mut feed = FeedSettings {
        deadline: Duration::from_secs(5),
        retry: RetryPolicy {
            initial: Duration::ZERO,
            max: Duration::ZERO,
        },
        login: LoginPolicy {
            min_interval: Duration::ZERO,
            ..LoginPolicy::default()
        },
        ..FeedSettings::default()
    };
    feed.cadence.retry_every = chrono::Duration::seconds(1);
    Settings {
        listen: "127.0.0.1:0".parse().expect("valid address"),
        feed,
        render_cache_bytes: DEFAULT_RENDER_CACHE_BYTES,
        accounts,
        auth: AuthSettings::default(),
        cors: CorsSettings::default(),
        access_log: false,
        log_format: Default::default(),
        shutdown_timeout: Duration::from_secs(5),
        push: Default::default(),
        mqtt: None,
        metrics: Default::default(),
    }
}

/// What a test may change before its simulator and proxy start.
pub struct Setup {
    /// The proxy's settings: [`test_settings`] with one account, `alice`, at the simulator.
    pub settings: Settings,
    /// The simulator: [`sim_config`]. Its own `clock` is replaced by [`Setup::clock`].
    pub sim: SimulatorConfig,
    /// Shared by the proxy and the simulator, so that both see the same "now".
    pub clock: Clock,
    sim_url: String,
}

impl Setup {
    /// The simulator's Share base URL, for accounts of the settings.
    pub fn sim_url(&self) -> String {
        self.sim_url.clone()
    }
}

/// One account, `alice`, logging in by username.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A proxy in front of a simulator, both set up as in [`spawn_app`] and then changed by
/// `change` (a closure, or a preset such as [`wrong_password`]).
pub async fn spawn_app_with(change: impl FnOnce(&mut Setup)) -> TestApp {
    // Bound before `change` runs, so that the settings can name the simulator's URL while
    // its config can still change.
    let sim_listener = bind_loopback("simulator");
    let sim_addr = sim_listener.local_addr().expect("simulator address");
    let sim_url = format!("http://{sim_addr}{SHARE_BASE_PATH}");
    let mut setup = Setup {
        settings: test_settings(vec![alice(&sim_url)]),
        sim: sim_config(),
        clock: Clock::system(),
        sim_url,
    };
    change(&mut setup);
    setup.sim.clock = setup.clock;
    let simulator = Simulator::start(setup.sim, sim_listener).expect("start simulator");
    let app = Application::with_listener(&setup.settings, bind_loopback("proxy"), setup.clock)
        .expect("build proxy");
    let address = format!("http://{}", app.addr());
    let mqtt = app.mqtt_probe();
    let proxy = actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        clock: setup.clock,
        mqtt,
        proxy: Some(proxy),
        ..TestApp::attach(address, simulator)
    }
}

/// `alice`, with a password Share rejects.
pub fn wrong_password(setup: &mut Setup) {
    setup.settings.accounts = vec![account(
        "alice",
        Login::Username(ALICE_USER.to_owned()),
        "wrong-password",
        &setup.sim_url(),
    )];
}

/// Two accounts, `alice` and `bob`, readable without a token (the proxy is on loopback).
pub fn alice_and_bob(setup: &mut Setup) {
    let url = setup.sim_url();
    setup.settings.accounts = vec![alice(&url), bob(&url)];
}

/// `alice` and `bob`, each readable only with its own token.
pub fn alice_and_bob_with_tokens(setup: &mut Setup) {
    let url = setup.sim_url();
    setup.settings.accounts = vec![
        with_tokens(alice(&url), &[ALICE_TOKEN]),
        with_tokens(bob(&url), &[BOB_TOKEN]),
    ];
}

/// A clock 100 times faster than real time, so that a test sees the feed's next poll within
/// seconds: with [`sim_config`] the next reading is due 4 simulated minutes after start, and
/// the feed polls for it (20 s of assumed upload lag later) ~2.6 s of real time after start.
pub fn fast_clock(setup: &mut Setup) {
    setup.clock = Clock::scaled(100.0);
}

/// A simulator on a free loopback port.
pub fn start_simulator(config: SimulatorConfig) -> Simulator {
    Simulator::start(config, bind_loopback("simulator")).expect("start simulator")
}

fn bind_loopback(what: &str) -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind {what}: {e}"))
}

impl TestApp {
    /// A client for a proxy already running at `address` (e.g. the binary) in front of
    /// `simulator`.
    pub fn attach(address: String, simulator: Simulator) -> TestApp {
        TestApp {
            address,
            sim: simulator.control(),
            clock: Clock::system(),
            mqtt: None,
            http: awc::Client::builder()
                .timeout(Duration::from_secs(20))
                .disable_redirects()
                .finish(),
            simulator: Some(simulator),
            proxy: None,
        }
    }

    /// Drops the in-process proxy's tasks at once, as when its process is killed: nothing in
    /// a drop says goodbye.
    pub fn abort_proxy(&self) {
        self.proxy.as_ref().expect("an in-process proxy").abort();
    }

    /// The simulator's Share base URL.
    pub fn sim_base_url(&self) -> String {
        self.simulator
            .as_ref()
            .map(Simulator::base_url)
            .expect("the simulator runs")
    }

    /// Stops the simulator: Share becomes unreachable (connection refused).
    pub async fn stop_simulator(&mut self) {
        if let Some(simulator) = self.simulator.take() {
            simulator.stop().await;
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(awc::http::Method::GET, path).await
    }

    pub async fn request(&self, method: awc::http::Method, path: &str) -> Response {
        self.send(method, path, &[]).await
    }

    /// GET with `Authorization: Bearer <token>`.
    pub async fn get_with_token(&self, path: &str, token: &str) -> Response {
        let bearer = format!("Bearer {token}");
        self.send(
            awc::http::Method::GET,
            path,
            &[("authorization", bearer.as_str())],
        )
        .await
    }

    pub async fn send(
        &self,
        method: awc::http::Method,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut request = self.http.request(method, format!("{}{path}", self.address));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let mut response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let body = response
            .body()
            .limit(16 * 1024 * 1024)
            .await
            .expect("read response body")
            .to_vec();
        Response {
            status: response.status(),
            headers: response.headers().clone(),
            body,
        }
    }

    /// Upstream calls so far: (authenticate, login by id, read).
    pub fn calls(&self) -> (u64, u64, u64) {
        (
            self.sim.calls(Endpoint::Authenticate),
            self.sim.calls(Endpoint::LoginById),
            self.sim.calls(Endpoint::Read),
        )
    }
}

impl TestApp {
    /// Waits (at most 20 s of real time) until `done` holds.
    pub async fn until(&self, what: &str, done: impl Fn(&TestApp) -> bool) {
        let start = std::time::Instant::now();
        while !done(self) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {what}"
            );
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Sleeps for a span of the shared clock's time.
    pub async fn sleep(&self, span: Duration) {
        self.clock.sleep(span).await;
    }
}

impl TestApp {
    /// The account's entry in `/accounts`.
    pub async fn account_view(&self, name: &str) -> Value {
        let accounts = self.get("/accounts").await.json();
        accounts
            .as_array()
            .expect("array")
            .iter()
            .find(|a| a["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no account {name} in {accounts}"))
    }

    /// Waits (at most 20 s of real time) until the entry of `account` in `/accounts` shows
    /// `what` (`done`).
    pub async fn until_account(&self, account: &str, what: &str, done: impl Fn(&Value) -> bool) {
        let start = std::time::Instant::now();
        loop {
            let view = self.account_view(account).await;
            if done(&view) {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {what} of {account}: {view}"
            );
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Waits until the feed of `account` has published the outcome of its `reads`-th Share
    /// read.
    pub async fn until_published(&self, account: &str, reads: u64) {
        self.until_account(account, &format!("read {reads}"), |view| {
            view["reads"].as_u64().unwrap_or(0) >= reads
        })
        .await;
    }

    /// Waits until the newest read of `account`'s feed went well. After a fault is cleared, a
    /// read already on its way may still bring the fault's answer, so counting reads is not
    /// enough.
    pub async fn until_read_well(&self, account: &str) {
        self.until_account(account, "a good read", |view| {
            view["reads"].as_u64().unwrap_or(0) > 0 && view["circuit"]["consecutive_failures"] == 0
        })
        .await;
    }

    /// Waits until the feed of `account` has recorded a failure with this problem `code`.
    pub async fn until_failed_with(&self, account: &str, code: &str) {
        self.until_account(account, code, |view| view["last_error"]["code"] == code)
            .await;
    }
}

/// One Server-Sent Event, or a comment line (`kind` "comment").
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: String,
    pub id: Option<String>,
    pub data: String,
}

impl Event {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.data))
    }
}

type Body = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>>,
>;

/// An open event stream.
pub struct EventStream {
    pub status: StatusCode,
    pub headers: HeaderMap,
    body: Body,
    buffer: String,
}

impl EventStream {
    /// The next event or comment, or `None` when none comes within `within` (or the stream
    /// ended).
    pub async fn next(&mut self, within: Duration) -> Option<Event> {
        use futures_util::StreamExt;
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(at) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..at + 2).collect();
                return Some(parse_event(&block));
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match actix_web::rt::time::timeout(left, self.body.next()).await {
                Ok(Some(Ok(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }

    /// The next event of `kind` (skipping others), within `within`.
    pub async fn next_of(&mut self, kind: &str, within: Duration) -> Option<Event> {
        let deadline = std::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let event = self.next(left).await?;
            if event.kind == kind {
                return Some(event);
            }
        }
    }
}

fn parse_event(block: &str) -> Event {
    let mut event = Event {
        kind: "message".to_owned(),
        id: None,
        data: String::new(),
    };
    for line in block.lines() {
        if line.starts_with(':') {
            event.kind = "comment".to_owned();
            event.data = line.to_owned();
        } else if let Some(kind) = line.strip_prefix("event: ") {
            event.kind = kind.to_owned();
        } else if let Some(id) = line.strip_prefix("id: ") {
            event.id = Some(id.to_owned());
        } else if let Some(data) = line.strip_prefix("data: ") {
            event.data.push_str(data);
        } else if let Some(retry) = line.strip_prefix("retry: ") {
            event.kind = "retry".to_owned();
            event.data = retry.to_owned();
        }
    }
    event
}

impl TestApp {
    /// Opens `path` as an event stream, with these extra headers.
    pub async fn stream(&self, path: &str, headers: &[(&str, &str)]) -> EventStream {
        let client = awc::Client::builder().disable_timeout().finish();
        let mut request = client.get(format!("{}{path}", self.address));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        EventStream {
            status: response.status(),
            headers: response.headers().clone(),
            body: Box::pin(response),
            buffer: String::new(),
        }
    }
}
