//! What the day bench watches: each watched account's `/readings/latest`, polled often, set
//! against the simulator's upload times; the Share calls of every account, sampled each
//! simulated hour; and a crowd of concurrent clients with any mix of queries.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use dexcom_share_proxy::clock::Clock;
use dexcom_share_proxy::simulator::{Endpoint, SimControl};

/// An HTTP client with no cap on concurrent connections (awc's default is 100), so that a
/// crowd of N clients really is N connections.
pub fn client() -> awc::Client {
    awc::Client::builder()
        .connector(awc::Connector::new().limit(0))
        .timeout(Duration::from_secs(30))
        .disable_redirects()
        .finish()
}

pub async fn get(client: &awc::Client, url: &str) -> Result<(u16, Bytes), String> {
    let mut response = client.get(url).send().await.map_err(|e| e.to_string())?;
    let body = response
        .body()
        .limit(4 * 1024 * 1024)
        .await
        .map_err(|e| e.to_string())?;
    Ok((response.status().as_u16(), body))
}

/// The time (epoch ms) of the reading in a `/readings/latest` answer.
fn taken_ms(status: u16, body: &[u8]) -> Result<i64, String> {
    if status != 200 {
        return Err(format!("status {status}"));
    }
    let json: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let datetime = json["datetime"].as_str().ok_or("no datetime")?;
    DateTime::parse_from_rfc3339(datetime)
        .map(|t| t.timestamp_millis())
        .map_err(|e| e.to_string())
}

/// What following one account saw.
#[derive(Default)]
pub struct Followed {
    /// When the first poll was answered (epoch ms): readings uploaded before it are not
    /// counted, since nobody was looking.
    pub started_ms: Option<i64>,
    pub polls: u64,
    pub failures: u64,
    pub first_failure: Option<String>,
    /// Each reading the proxy served as the newest: (its time, when a poll first saw it), on
    /// the shared clock, epoch ms.
    pub first_seen: Vec<(i64, i64)>,
    /// Each reading that was the newest one upstream: its time → when it became visible.
    pub visible: HashMap<i64, i64>,
    /// Simulated ms between two consecutive answers: the polling resolution.
    pub gaps_ms: Vec<f64>,
}

impl Followed {
    fn note_visible(&mut self, sim: &SimControl) {
        if let Some((time_ms, visible_at_ms)) = sim.newest_visible(0) {
            self.visible.entry(time_ms).or_insert(visible_at_ms);
        }
    }
}

/// Polls `url` (a `/readings/latest`) every `every` of real time until `end` on the clock.
/// The simulator's newest visible reading is noted before and after each poll, so the upload
/// time of any reading the proxy serves is known.
pub async fn follow(
    client: awc::Client,
    url: String,
    sim: SimControl,
    clock: Clock,
    end: DateTime<Utc>,
    every: Duration,
) -> Followed {
    let mut seen = Followed::default();
    let mut last: Option<i64> = None;
    let mut previous: Option<Instant> = None;
    while clock.now() < end {
        seen.note_visible(&sim);
        let answer = get(&client, &url).await;
        let at = clock.now().timestamp_millis();
        let real = Instant::now();
        seen.note_visible(&sim);
        seen.started_ms.get_or_insert(at);
        if let Some(previous) = previous {
            let gap = real.duration_since(previous).as_secs_f64() * 1000.0 * clock.speed();
            seen.gaps_ms.push(gap);
        }
        previous = Some(real);
        seen.polls += 1;
        match answer.and_then(|(status, body)| taken_ms(status, &body)) {
            Ok(taken) if last != Some(taken) => {
                seen.first_seen.push((taken, at));
                last = Some(taken);
            }
            Ok(_) => {}
            Err(e) => {
                seen.failures += 1;
                seen.first_failure.get_or_insert(e);
            }
        }
        actix_web::rt::time::sleep(every).await;
    }
    seen
}

/// Share calls of one account: (authenticate, login by id, read).
pub fn calls(sim: &SimControl) -> (u64, u64, u64) {
    (
        sim.calls(Endpoint::Authenticate),
        sim.calls(Endpoint::LoginById),
        sim.calls(Endpoint::Read),
    )
}

/// Share reads of every simulator at `start` and at each whole simulated hour after it,
/// up to `hours`.
pub async fn hourly_reads(
    sims: Vec<SimControl>,
    clock: Clock,
    start: DateTime<Utc>,
    hours: u32,
) -> Vec<Vec<u64>> {
    let sample = |sims: &[SimControl]| sims.iter().map(|s| calls(s).2).collect::<Vec<_>>();
    let mut samples = vec![vec![0; sims.len()]];
    for hour in 1..=hours {
        clock
            .sleep_until(start + chrono::Duration::hours(i64::from(hour)))
            .await;
        samples.push(sample(&sims));
    }
    samples
}

/// What a crowd of concurrent clients got, and what it cost upstream.
pub struct Crowd {
    pub clients: usize,
    pub ok: usize,
    pub first_failure: Option<String>,
    /// Real milliseconds from the first request sent to the last answer.
    pub took_ms: f64,
    /// Connections the kernel dropped meanwhile because a listen queue was full (the
    /// host-wide `TcpExt: ListenOverflows` counter).
    pub listen_overflows: u64,
    /// The account's Share calls once every client has its answer.
    pub calls: (u64, u64, u64),
}

/// `clients` concurrent requests for `account`, cycling through every kind of query.
pub async fn crowd(
    client: &awc::Client,
    base: &str,
    account: &str,
    clients: usize,
    sim: &SimControl,
) -> Crowd {
    let paths = [
        format!("/readings?account={account}"),
        format!("/readings?minutes=30&account={account}"),
        format!("/readings?max_count=1&account={account}"),
        format!("/readings/latest?account={account}"),
        format!("/readings/current?account={account}"),
        format!("/ns/{account}/api/v1/entries.json"),
        format!("/ns/{account}/pebble"),
    ];
    let overflows = listen_overflows();
    let started = Instant::now();
    let requests = (0..clients).map(|i| {
        let url = format!("{base}{}", paths[i % paths.len()]);
        async move { (get(client, &url).await, url) }
    });
    let answers = futures_util::future::join_all(requests).await;
    let took_ms = started.elapsed().as_secs_f64() * 1000.0;
    let listen_overflows = listen_overflows().saturating_sub(overflows);
    let mut first_failure = None;
    let mut ok = 0;
    for (answer, url) in answers {
        match answer {
            Ok((200, _)) => ok += 1,
            Ok((status, body)) => {
                let body = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
                first_failure.get_or_insert(format!("{url}: {status} {body}"));
            }
            Err(e) => {
                first_failure.get_or_insert(format!("{url}: {e}"));
            }
        }
    }
    Crowd {
        clients,
        ok,
        first_failure,
        took_ms,
        listen_overflows,
        calls: calls(sim),
    }
}

/// The host's `TcpExt: ListenOverflows` (0 where /proc/net/netstat is unreadable).
fn listen_overflows() -> u64 {
    let text = std::fs::read_to_string("/proc/net/netstat").unwrap_or_default();
    let mut lines = text.lines();
    while let (Some(names), Some(values)) = (lines.next(), lines.next()) {
        if !names.starts_with("TcpExt:") {
            continue;
        }
        let found = names
            .split_whitespace()
            .zip(values.split_whitespace())
            .find(|(name, _)| *name == "ListenOverflows");
        return found.and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    }
    0
}

/// The value at quantile `q` (nearest rank) of `values`, which it sorts.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let rank = (q * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// This process's resident memory in kB (the proxy, the simulators and the bench together).
pub fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0)
}
