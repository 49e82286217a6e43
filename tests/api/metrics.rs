//! `/metrics`: the exposition is parsed here (a small line parser) and checked against what
//! the requests did and what the simulator saw.

use std::collections::BTreeMap;
use std::time::Duration;

use dexcom_share_proxy::domain::Secret;
use dexcom_share_proxy::simulator::{Endpoint, Fault, FaultKind};

use crate::helpers::{
    alice_and_bob, alice_and_bob_with_tokens, fast_clock, spawn_app, spawn_app_with,
    wrong_password, Setup, TestApp, ALICE_PASSWORD, ALICE_TOKEN, ALICE_USER, BOB_ID, BOB_PASSWORD,
    BOB_TOKEN,
};

pub const METRICS_TOKEN: &str = "metrics-token-7e3a91c4d2b8";

/// One sample of the exposition.
#[derive(Debug)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// The samples of a Prometheus text exposition.
#[derive(Debug)]
pub struct Exposition {
    pub text: String,
    pub samples: Vec<Sample>,
}

impl Exposition {
    pub fn parse(text: &str) -> Exposition {
        let samples = text
            .lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(parse_line)
            .collect();
        Exposition {
            text: text.to_owned(),
            samples,
        }
    }

    /// The samples of metric `name` whose labels include `labels`.
    pub fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&str, &str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }

    /// The value of the one sample of `name` with exactly these labels (or more), if any.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let found: Vec<&Sample> = self.matching(name, labels).collect();
        assert!(
            found.len() <= 1,
            "several samples match {name} {labels:?}: {found:?}"
        );
        found.first().map(|s| s.value)
    }

    /// The sum of every sample of `name` whose labels include `labels`.
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(name, labels).map(|s| s.value).sum()
    }

    /// Every value the label `label` takes in metric `name`.
    pub fn label_values(&self, name: &str, label: &str) -> Vec<String> {
        let mut values: Vec<String> = self
            .matching(name, &[])
            .filter_map(|s| s.labels.get(label).cloned())
            .collect();
        values.sort();
        values.dedup();
        values
    }
}

/// `name{k="v",…} value` or `name value`.
fn parse_line(line: &str) -> Sample {
    let (head, value) = line
        .rsplit_once(' ')
        .unwrap_or_else(|| panic!("no value: {line}"));
    let value: f64 = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().unwrap_or_else(|_| panic!("bad value: {line}")),
    };
    let Some((name, rest)) = head.split_once('{') else {
        return Sample {
            name: head.to_owned(),
            labels: BTreeMap::new(),
            value,
        };
    };
    let mut labels = BTreeMap::new();
    let mut chars = rest
        .strip_suffix('}')
        .unwrap_or_else(|| panic!("{line}"))
        .chars();
    loop {
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        assert_eq!(chars.next(), Some('"'), "{line}");
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(other) => value.push(other),
                    None => panic!("{line}"),
                },
                '"' => break,
                c => value.push(c),
            }
        }
        labels.insert(key.trim_start_matches(',').to_owned(), value);
        if chars.next().is_none() {
            break;
        }
    }
    Sample {
        name: name.to_owned(),
        labels,
        value,
    }
}

/// Scrapes `/metrics` (from loopback, without a token).
pub async fn scrape(app: &TestApp) -> Exposition {
    let response = app.get("/metrics").await;
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    assert_eq!(response.header("cache-control"), Some("no-store"));
    Exposition::parse(std::str::from_utf8(&response.body).expect("UTF-8"))
}

const HTTP: &str = "dexcom_share_proxy_http_requests_total";
const SHARE: &str = "dexcom_share_proxy_share_requests_total";
const LOGINS: &str = "dexcom_share_proxy_logins_total";
const CACHE: &str = "dexcom_share_proxy_cache_answers_total";
const NEWEST: &str = "dexcom_share_proxy_reading_timestamp_seconds";
const MG_DL: &str = "dexcom_share_proxy_glucose_mg_dl";
const MMOL_L: &str = "dexcom_share_proxy_glucose_mmol_l";
const TREND: &str = "dexcom_share_proxy_glucose_trend";

#[actix_web::test]
async fn requests_are_counted_by_route_template_and_status_never_by_raw_path() {
    let app = spawn_app().await;

    assert_eq!(app.get("/readings/current?account=alice").await.status, 200);
    assert_eq!(app.get("/readings/current?account=x").await.status, 404);
    assert_eq!(app.get("/ns/alice/api/v1/entries.json").await.status, 200);
    assert_eq!(app.get("/ns/zed/api/v1/entries.json").await.status, 404);
    for n in 0..5 {
        assert_eq!(app.get(&format!("/nope/{n}23")).await.status, 404);
    }
    let metrics = scrape(&app).await;

    let route = |r| [("route", r), ("status", "200")];
    assert_eq!(metrics.value(HTTP, &route("/readings/current")), Some(1.0));
    assert_eq!(
        metrics.value(HTTP, &[("route", "/readings/current"), ("status", "404")]),
        Some(1.0)
    );
    let facade = "/ns/{account}/api/v1/entries.json";
    assert_eq!(metrics.value(HTTP, &route(facade)), Some(1.0));
    assert_eq!(
        metrics.value(HTTP, &[("route", facade), ("status", "404")]),
        Some(1.0)
    );
    assert_eq!(
        metrics.value(HTTP, &[("route", "unmatched"), ("status", "404")]),
        Some(5.0)
    );
    for route in metrics.label_values(HTTP, "route") {
        assert!(
            route == "unmatched" || (route.starts_with('/') && !route.contains("nope")),
            "{route}"
        );
        assert!(!route.contains("alice") && !route.contains("zed") && !route.contains('?'));
    }
    let latency = "dexcom_share_proxy_http_request_duration_seconds_count";
    assert_eq!(
        metrics.value(latency, &[("route", "/readings/current")]),
        Some(2.0)
    );
    assert_eq!(metrics.value(latency, &[("route", "unmatched")]), Some(5.0));
}

#[actix_web::test]
async fn share_calls_and_logins_are_counted_as_the_simulator_saw_them() {
    let app = spawn_app().await;

    assert_eq!(app.get("/readings/current").await.status, 200);
    let metrics = scrape(&app).await;

    let (authenticate, login, read) = app.calls();
    assert_eq!((authenticate, login), (1, 1));
    let calls = |endpoint| metrics.sum(SHARE, &[("endpoint", endpoint)]);
    assert_eq!(calls("authenticate"), 1.0);
    assert_eq!(calls("login_by_id"), 1.0);
    assert_eq!(calls("read") as u64, read);
    assert_eq!(
        metrics.value(SHARE, &[("endpoint", "read"), ("outcome", "ok")]),
        Some(read as f64)
    );
    let latency = "dexcom_share_proxy_share_request_duration_seconds_count";
    assert_eq!(
        metrics.value(latency, &[("endpoint", "read")]),
        Some(read as f64)
    );
    assert_eq!(
        metrics.value(LOGINS, &[("account", "alice"), ("outcome", "ok")]),
        Some(1.0)
    );
    assert_eq!(metrics.sum(LOGINS, &[("account", "alice")]), 1.0);
    assert_eq!(
        metrics.value(
            "dexcom_share_proxy_circuit_state",
            &[("account", "alice"), ("state", "closed")]
        ),
        Some(1.0)
    );
    assert_eq!(
        metrics.sum("dexcom_share_proxy_circuit_state", &[("account", "alice")]),
        1.0
    );
}

#[actix_web::test]
async fn a_rejected_login_and_its_failed_call_are_counted_by_outcome() {
    let app = spawn_app_with(wrong_password).await;

    assert_eq!(app.get("/readings/current").await.status, 502);
    let metrics = scrape(&app).await;

    assert_eq!(
        metrics.value(LOGINS, &[("account", "alice"), ("outcome", "rejected")]),
        Some(1.0)
    );
    assert_eq!(
        metrics.value(
            SHARE,
            &[("endpoint", "authenticate"), ("outcome", "rejected")]
        ),
        Some(1.0)
    );
    assert_eq!(metrics.sum(SHARE, &[("endpoint", "read")]), 0.0);
    assert_eq!(
        metrics.value(
            "dexcom_share_proxy_circuit_state",
            &[("account", "alice"), ("state", "login_blocked")]
        ),
        Some(1.0)
    );
}

#[actix_web::test]
async fn cache_misses_hits_and_stale_answers_are_counted() {
    let app = spawn_app_with(fast_clock).await;

    let miss = app.get("/readings/current").await;
    let hit = app.get("/readings/latest").await;
    app.sim.inject(Fault {
        endpoint: Some(Endpoint::Read),
        kind: FaultKind::HttpStatus {
            status: 503,
            body: "down".into(),
            content_type: "text/plain".into(),
        },
        times: None,
    });
    app.until_failed_with("alice", "upstream_unavailable").await;
    let stale = app.get("/readings/latest").await;
    let metrics = scrape(&app).await;

    assert!(miss
        .header("cache-status")
        .expect("CS")
        .contains("fwd=miss"));
    assert!(hit.header("cache-status").expect("CS").contains("hit"));
    assert!(stale
        .header("cache-status")
        .expect("CS")
        .contains("fwd=stale"));
    let result = |r| metrics.value(CACHE, &[("account", "alice"), ("result", r)]);
    assert_eq!(result("miss"), Some(1.0));
    assert_eq!(result("hit"), Some(1.0));
    assert_eq!(result("stale"), Some(1.0));
    assert!(metrics.value(SHARE, &[("endpoint", "read"), ("outcome", "http_status")]) >= Some(1.0));
}

#[actix_web::test]
async fn the_newest_reading_time_is_exported_and_glucose_is_absent_by_default() {
    let app = spawn_app().await;

    let latest = app.get("/readings/latest").await.json();
    let metrics = scrape(&app).await;

    let taken = chrono::DateTime::parse_from_rfc3339(latest["datetime"].as_str().expect("time"))
        .expect("RFC 3339");
    let exported = metrics
        .value(NEWEST, &[("account", "alice")])
        .expect("reading timestamp");
    assert!(
        (exported - taken.timestamp_millis() as f64 / 1000.0).abs() < 0.001,
        "{exported} vs {taken}"
    );
    for glucose in [MG_DL, MMOL_L, TREND] {
        assert_eq!(metrics.matching(glucose, &[]).count(), 0, "{glucose}");
        assert!(!metrics.text.contains(glucose));
    }
    let value = latest["mg_dl"].to_string();
    assert!(
        !metrics.text.lines().any(|l| l.contains("glucose")),
        "no glucose by default; the reading was {value}"
    );
}

#[actix_web::test]
async fn with_glucose_on_the_current_reading_is_exported_until_it_turns_stale() {
    let app = spawn_app_with(|setup| {
        fast_clock(setup);
        setup.settings.metrics.glucose = true;
    })
    .await;

    let current = app.get("/readings/current").await.json();
    let fresh = scrape(&app).await;
    // No reading newer than the one held arrives any more: 11 minutes later it is stale.
    app.sim.set_signal_loss_minutes(24 * 60);
    app.sleep(Duration::from_secs(11 * 60)).await;
    let later = scrape(&app).await;

    let alice = [("account", "alice")];
    assert_eq!(fresh.value(MG_DL, &alice), current["mg_dl"].as_f64());
    assert_eq!(fresh.value(MMOL_L, &alice), current["mmol_l"].as_f64());
    assert_eq!(fresh.value(TREND, &alice), current["trend"].as_f64());
    for glucose in [MG_DL, MMOL_L, TREND] {
        assert_eq!(
            later.value(glucose, &alice),
            None,
            "{glucose} must be absent"
        );
    }
    assert!(
        later.value(NEWEST, &alice).is_some(),
        "the reading is still held"
    );
}

#[actix_web::test]
async fn with_glucose_on_a_scrape_keeps_the_feeds_running_for_every_account() {
    let app = spawn_app_with(|setup| {
        alice_and_bob(setup);
        setup.settings.metrics.glucose = true;
    })
    .await;

    // No client asked for either account: the first scrape starts both feeds.
    let first = scrape(&app).await;
    app.until("both feeds read", |app| app.calls().2 >= 2).await;
    let mut second = scrape(&app).await;
    for _ in 0..200 {
        if second.value(MG_DL, &[("account", "bob")]).is_some()
            && second.value(MG_DL, &[("account", "alice")]).is_some()
        {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        second = scrape(&app).await;
    }

    assert_eq!(first.matching(MG_DL, &[]).count(), 0);
    assert!(second.value(MG_DL, &[("account", "alice")]).is_some());
    assert!(second.value(MG_DL, &[("account", "bob")]).is_some());
}

/// Tokens for both accounts and for metrics, required even on loopback.
fn token_protected(setup: &mut Setup) {
    alice_and_bob_with_tokens(setup);
    setup.settings.metrics.tokens = vec![Secret::new(METRICS_TOKEN.to_owned())];
    setup.settings.metrics.require_token = true;
    setup.settings.auth.failure_delay_max = Duration::ZERO;
}

#[actix_web::test]
async fn with_require_token_a_scrape_needs_a_metrics_token_and_no_other_token_will_do() {
    let app = spawn_app_with(token_protected).await;

    let none = app.get("/metrics").await;
    let account_token = app.get_with_token("/metrics", ALICE_TOKEN).await;
    let malformed = app
        .send(
            awc::http::Method::GET,
            "/metrics",
            &[("authorization", "Basic bWV0cmljczp4")],
        )
        .await;
    let query_token = app.get(&format!("/metrics?token={METRICS_TOKEN}")).await;
    let right = app.get_with_token("/metrics", METRICS_TOKEN).await;

    none.assert_problem(401, "token_required");
    assert_eq!(
        none.header("www-authenticate"),
        Some("Bearer realm=\"dexcom-share-proxy\"")
    );
    account_token.assert_problem(401, "token_invalid");
    malformed.assert_problem(401, "token_invalid");
    query_token.assert_problem(401, "token_required");
    assert_eq!(right.status, 200);
    let metrics = Exposition::parse(std::str::from_utf8(&right.body).expect("UTF-8"));
    assert_eq!(
        metrics.value(HTTP, &[("route", "/metrics"), ("status", "401")]),
        Some(4.0)
    );
}

#[actix_web::test]
async fn failed_metrics_tokens_count_towards_the_same_limit_as_account_tokens() {
    let app = spawn_app_with(token_protected).await;

    let mut statuses = Vec::new();
    for n in 0..31 {
        let guess = format!("metrics-guess-{n:04}-0123456789");
        statuses.push(app.get_with_token("/metrics", &guess).await.status.as_u16());
    }
    let valid_metrics = app.get_with_token("/metrics", METRICS_TOKEN).await;
    let valid_account = app.get_with_token("/readings/latest", ALICE_TOKEN).await;

    assert!(statuses[..30].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[30], 429, "{statuses:?}");
    // Past the limit, the client's credentials are not checked at all, on any path.
    valid_metrics.assert_problem(429, "too_many_auth_failures");
    valid_account.assert_problem(429, "too_many_auth_failures");
}

#[actix_web::test]
async fn the_exposition_holds_no_secret_and_no_upstream_identifier() {
    let app = spawn_app_with(|setup| {
        alice_and_bob_with_tokens(setup);
        setup.settings.metrics.tokens = vec![Secret::new(METRICS_TOKEN.to_owned())];
        setup.settings.metrics.glucose = true;
    })
    .await;

    app.get(&format!("/readings?account=alice&token={ALICE_TOKEN}"))
        .await;
    app.get_with_token("/readings/current?account=bob", BOB_TOKEN)
        .await;
    app.get("/readings?account=alice&token=wrong-token-0123456789")
        .await;
    app.get(&format!("/{ALICE_PASSWORD}/{BOB_ID}")).await;
    let text = scrape(&app).await.text;

    let mut secrets = vec![
        ALICE_PASSWORD.to_owned(),
        BOB_PASSWORD.to_owned(),
        ALICE_USER.to_owned(),
        BOB_ID.to_owned(),
        ALICE_TOKEN.to_owned(),
        BOB_TOKEN.to_owned(),
        METRICS_TOKEN.to_owned(),
        "wrong-token".to_owned(),
    ];
    secrets.extend(app.sim.issued_sessions().iter().map(|s| s.to_string()));
    assert!(app.sim.issued_sessions().len() >= 2);
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "{secret} in:\n{text}");
    }
}

#[actix_web::test]
async fn with_metrics_disabled_the_path_is_not_found() {
    let app = spawn_app_with(|setup| setup.settings.metrics.enabled = false).await;

    app.get("/metrics").await.assert_problem(404, "not_found");
    app.request(awc::http::Method::POST, "/metrics")
        .await
        .assert_problem(405, "method_not_allowed");
}
