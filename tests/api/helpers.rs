//! Starts a real simulator and a real proxy on 127.0.0.1:0 and talks to them over HTTP.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::http::StatusCode;
use awc::http::header::HeaderMap;
use dexcom_share_proxy::config::{AccountSettings, AuthSettings, CorsSettings, Login, Settings};
use dexcom_share_proxy::domain::{AccountName, Region, Secret};
use dexcom_share_proxy::policy::{LoginPolicy, RetryPolicy};
use dexcom_share_proxy::simulator::{Endpoint, SimAccount, SimControl, Simulator, SimulatorConfig};
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
    http: awc::Client,
    simulator: Option<Simulator>,
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

pub fn sim_config() -> SimulatorConfig {
    let mut config = SimulatorConfig::demo();
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

pub struct Options {
    pub sim: SimulatorConfig,
    pub accounts: fn(&str) -> Vec<AccountSettings>,
    pub ttl: Duration,
    pub timeout: Duration,
    pub retry: RetryPolicy,
    pub login: LoginPolicy,
    pub auth: AuthSettings,
    pub cors: CorsSettings,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sim: sim_config(),
            accounts: |url| vec![alice(url)],
            ttl: Duration::from_secs(60),
            timeout: Duration::from_secs(5),
            // Most tests look at one fault at a time: no pause after transient faults, no
            // minimum between logins. The policy tests set them.
            retry: RetryPolicy {
                initial: Duration::ZERO,
                max: Duration::ZERO,
            },
            login: LoginPolicy {
                min_interval: Duration::ZERO,
                ..LoginPolicy::default()
            },
            auth: AuthSettings::default(),
            cors: CorsSettings::default(),
        }
    }
}

/// One account, `alice`, logging in by username.
pub async fn spawn_app() -> TestApp {
    spawn(Options::default()).await
}

/// A simulator on a free loopback port.
pub fn start_simulator(config: SimulatorConfig) -> Simulator {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind simulator");
    Simulator::start(config, listener).expect("start simulator")
}

pub async fn spawn(options: Options) -> TestApp {
    let simulator = start_simulator(options.sim);
    let sim_base_url = simulator.base_url();
    let settings = Settings {
        listen: "127.0.0.1:0".parse().expect("valid address"),
        cache_ttl: options.ttl,
        upstream_timeout: options.timeout,
        retry: options.retry,
        login: options.login,
        accounts: (options.accounts)(&sim_base_url),
        auth: options.auth,
        cors: options.cors,
    };
    let app = Application::build(&settings).expect("build proxy");
    let address = format!("http://{}", app.addr());
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp::attach(address, simulator)
}

impl TestApp {
    /// A client for a proxy already running at `address` (e.g. the binary) in front of
    /// `simulator`.
    pub fn attach(address: String, simulator: Simulator) -> TestApp {
        TestApp {
            address,
            sim: simulator.control(),
            http: awc::Client::builder()
                .timeout(Duration::from_secs(20))
                .disable_redirects()
                .finish(),
            simulator: Some(simulator),
        }
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
