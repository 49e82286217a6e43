//! A simulator on port 0 and a client for its Share and control endpoints.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use dexcom_share_proxy::simulator::{
    SimAccount, Simulator, SimulatorConfig, DEMO_ACCOUNT_ID, DEMO_PASSWORD,
};
use serde_json::{json, Value};

pub const LEGACY_USERNAME: &str = "legacy@example.com";
pub const LEGACY_ACCOUNT_ID: &str = "0f6b1c1e-2d3a-4b5c-8d7e-9f0a1b2c3d4e";
pub const INDIA_USERNAME: &str = "india@example.com";
pub const INDIA_ACCOUNT_ID: &str = "7a3c9e21-5b4d-4e6f-8a0b-1c2d3e4f5a6b";
pub const APP_ID: &str = "d89443d2-327c-4a6f-89e5-496bbb0317db";
pub const ZERO: &str = "00000000-0000-0000-0000-000000000000";

pub struct TestSim {
    pub sim: Simulator,
    pub client: awc::Client,
    pub base: String,
    pub root: String,
}

pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("test: body is JSON")
    }
    pub fn code(&self) -> String {
        assert_eq!(
            self.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{:?}",
            self.body
        );
        self.json()["Code"].as_str().unwrap_or_default().to_owned()
    }
}

pub fn config() -> SimulatorConfig {
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

pub async fn spawn() -> TestSim {
    spawn_with(config()).await
}

pub async fn spawn_with(config: SimulatorConfig) -> TestSim {
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
    pub async fn send(&self, req: awc::ClientRequest, body: Option<Value>) -> Reply {
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

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        let url = format!("{}{path}", self.base);
        self.send(self.client.post(url), Some(body)).await
    }

    pub async fn authenticate(&self, name: &str, password: &str) -> Reply {
        let body = json!({"accountName": name, "password": password, "applicationId": APP_ID});
        self.post("General/AuthenticatePublisherAccount", body)
            .await
    }

    pub async fn login(&self, account_id: Value, password: &str) -> Reply {
        let body = json!({"accountId": account_id, "password": password, "applicationId": APP_ID});
        self.post("General/LoginPublisherAccountById", body).await
    }

    pub async fn session(&self) -> String {
        let r = self.login(json!(DEMO_ACCOUNT_ID), DEMO_PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK);
        r.json().as_str().unwrap().to_owned()
    }

    pub async fn read(&self, session: &str, minutes: u32, max_count: u32) -> Reply {
        let path = format!(
            "Publisher/ReadPublisherLatestGlucoseValues?sessionId={session}&minutes={minutes}&maxCount={max_count}"
        );
        self.post(&path, json!({})).await
    }

    pub async fn control(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
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
pub fn raw_post(addr: std::net::SocketAddr, url: &str) -> String {
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

pub fn date_ms(s: &str) -> i64 {
    let inner = s.strip_prefix("Date(").unwrap().strip_suffix(')').unwrap();
    inner[..13].parse().unwrap()
}
