//! From what the day bench saw to the figures: freshness, reads per hour, logins, calls for
//! unwatched accounts, upstream bytes and the crowd, each judged against its target.

use chrono::{DateTime, Utc};
use dexcom_share_proxy::simulator::SimControl;
use serde_json::Value;

use super::observe::{self, quantile, Crowd, Followed};
use super::Knobs;

pub const TABLE_HEADER: &str = "| # | Target | Measured | Goal | Result |\n|---|---|---|---|---|";

/// A reading that became visible this close to the end may not have been served yet.
const TAIL_MS: i64 = 60_000;

/// The proxy's `/accounts` entry of an account: (reads, logins, watched).
pub type View = (u64, u64, bool);

pub async fn account_views(
    client: &awc::Client,
    base: &str,
) -> Result<Vec<(String, View)>, String> {
    let (status, body) = observe::get(client, &format!("{base}/accounts")).await?;
    if status != 200 {
        return Err(format!("/accounts answered {status}"));
    }
    let json: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let list = json.as_array().ok_or("/accounts is not an array")?;
    Ok(list
        .iter()
        .map(|a| {
            let name = a["name"].as_str().unwrap_or("?").to_owned();
            let view = (
                a["reads"].as_u64().unwrap_or(0),
                a["logins"].as_u64().unwrap_or(0),
                a["watched"].as_bool().unwrap_or(false),
            );
            (name, view)
        })
        .collect())
}

pub struct Day<'a> {
    pub knobs: &'a Knobs,
    pub names: &'a [&'a str],
    pub watched: usize,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub sims: &'a [SimControl],
    pub followed: &'a [Followed],
    /// Share reads per simulator at the start and after each simulated hour.
    pub hourly: &'a [Vec<u64>],
    pub views: &'a [(String, View)],
    pub cold: &'a Crowd,
    pub warm: &'a Crowd,
    pub warnings: usize,
    /// This process's RSS (kB) when the day started and when it ended.
    pub rss_kb: (u64, u64),
}

/// Freshness of one account: delays (s) from upload to first served, and readings that
/// were uploaded but never served as the newest.
struct Freshness {
    delays_s: Vec<f64>,
    never_served: usize,
}

fn verdict(pass: bool) -> &'static str {
    if pass {
        "PASS"
    } else {
        "MISS"
    }
}

fn row(id: &str, target: &str, measured: String, goal: &str, pass: bool) -> String {
    format!(
        "| {id} | {target} | {measured} | {goal} | {} |",
        verdict(pass)
    )
}

impl Day<'_> {
    fn freshness(&self, account: usize) -> Freshness {
        let f = &self.followed[account];
        let (from, to) = (
            self.start.timestamp_millis(),
            self.end.timestamp_millis() - TAIL_MS,
        );
        let mut delays_s = Vec::new();
        let mut never_served = 0;
        for (&taken, &visible_at) in &f.visible {
            let from = from.max(f.started_ms.unwrap_or(from));
            if visible_at <= from || visible_at > to {
                continue;
            }
            match f.first_seen.iter().find(|(t, _)| *t == taken) {
                Some((_, seen_at)) => delays_s.push((seen_at - visible_at) as f64 / 1000.0),
                None => never_served += 1,
            }
        }
        Freshness {
            delays_s,
            never_served,
        }
    }

    /// Reads of account `i` in each whole simulated hour.
    fn per_hour(&self, i: usize) -> Vec<u64> {
        self.hourly.windows(2).map(|w| w[1][i] - w[0][i]).collect()
    }

    /// (first read's bytes, mean bytes of the later reads, later reads) of account `i`.
    fn bytes(&self, i: usize) -> (usize, f64, usize) {
        let reads = self.sims[i].reads();
        let Some((first, later)) = reads.split_first() else {
            return (0, f64::NAN, 0);
        };
        let mean = later.iter().map(|r| r.bytes).sum::<usize>() as f64 / later.len() as f64;
        (first.bytes, mean, later.len())
    }

    pub fn rows(&self) -> Vec<String> {
        let watched = 0..self.watched;
        let mut rows = Vec::new();

        // 4: upstream bytes per refresh after the first read.
        let worst = watched
            .clone()
            .map(|i| self.bytes(i))
            .max_by(|a, b| (a.1 / a.0 as f64).total_cmp(&(b.1 / b.0 as f64)))
            .unwrap_or((0, f64::NAN, 0));
        let ratio = worst.1 / worst.0 as f64;
        rows.push(row(
            "4",
            "Upstream bytes per refresh after the first read",
            format!(
                "1/{:.0} of a full-day read (worst account: {:.0} B mean over {} later reads vs {} B)",
                1.0 / ratio,
                worst.1,
                worst.2,
                worst.0
            ),
            "≤ 1/20",
            ratio <= 1.0 / 20.0,
        ));

        // 5: freshness.
        let mut delays: Vec<f64> = Vec::new();
        let mut never_served = 0;
        for i in watched.clone() {
            let f = self.freshness(i);
            delays.extend(f.delays_s);
            never_served += f.never_served;
        }
        let count = delays.len();
        let (p50, p95, max) = (
            quantile(&mut delays, 0.5),
            quantile(&mut delays, 0.95),
            quantile(&mut delays, 1.0),
        );
        let mut gaps: Vec<f64> = self
            .followed
            .iter()
            .flat_map(|f| f.gaps_ms.iter().map(|g| g / 1000.0))
            .collect();
        let (gap50, gap99) = (quantile(&mut gaps, 0.5), quantile(&mut gaps, 0.99));
        rows.push(row(
            "5a",
            "New reading served after appearing upstream (p95)",
            format!(
                "p95 {p95:.1} s (p50 {p50:.1} s, max {max:.1} s; {count} readings, \
                 {never_served} never served as newest; polled every {gap50:.2} s \
                 median, {gap99:.2} s p99, simulated)"
            ),
            "≤ 15 s",
            count > 0 && p95 <= 15.0 && never_served == 0,
        ));

        // 5b: Share reads per watched account per hour.
        let hours = f64::from(self.knobs.hours);
        let means: Vec<f64> = watched
            .clone()
            .map(|i| self.per_hour(i).iter().sum::<u64>() as f64 / hours)
            .collect();
        let (worst_hour, worst_at) = watched
            .clone()
            .flat_map(|i| {
                self.per_hour(i)
                    .into_iter()
                    .enumerate()
                    .map(move |(h, n)| (n, format!("{} hour {}", self_name(i), h + 1)))
            })
            .max_by_key(|(n, _)| *n)
            .unwrap_or((0, String::new()));
        let mean = means.iter().sum::<f64>() / means.len().max(1) as f64;
        rows.push(row(
            "5b",
            "Share reads per watched account per hour",
            format!(
                "mean {mean:.1} (per account {}), worst hour {worst_hour} ({worst_at})",
                means
                    .iter()
                    .map(|m| format!("{m:.1}"))
                    .collect::<Vec<_>>()
                    .join(" / ")
            ),
            "≤ 20",
            worst_hour <= 20,
        ));

        // 5c: logins.
        let logins: Vec<u64> = watched
            .clone()
            .map(|i| observe::calls(&self.sims[i]).1)
            .collect();
        rows.push(row(
            "5c",
            "Logins per watched account over the day",
            format!(
                "{} (Share session lifetime {} min)",
                logins
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(" / "),
                self.knobs.session_minutes
            ),
            "1",
            logins.iter().all(|&n| n == 1),
        ));

        // 5d: unwatched accounts.
        let unwatched: Vec<(u64, u64, u64)> = (self.watched..self.sims.len())
            .map(|i| observe::calls(&self.sims[i]))
            .collect();
        let total: u64 = unwatched.iter().map(|(a, l, r)| a + l + r).sum();
        let proxy_says: u64 = self.views[self.watched..]
            .iter()
            .map(|(_, (r, l, _))| r + l)
            .sum();
        rows.push(row(
            "5d",
            "Share calls for unwatched accounts",
            format!(
                "{total} over {} accounts (proxy's /accounts: {proxy_says} reads + logins)",
                unwatched.len()
            ),
            "0",
            total == 0 && proxy_says == 0,
        ));

        // 6: the crowd.
        let c = self.cold;
        rows.push(row(
            "6a",
            &format!("{} concurrent mixed clients at a cold start", c.clients),
            format!(
                "{} authenticate, {} login, {} read; {}/{} answered 200 in {:.0} ms{}",
                c.calls.0,
                c.calls.1,
                c.calls.2,
                c.ok,
                c.clients,
                c.took_ms,
                overflow_note(c)
            ),
            "1 login, 1 read",
            c.calls == (1, 1, 1) && c.ok == c.clients,
        ));
        let w = self.warm;
        let more = w.calls.2 - c.calls.2;
        rows.push(row(
            "6b",
            &format!("{} more, on the warm snapshot", w.clients),
            format!(
                "{more} more read(s); {}/{} answered 200 in {:.0} ms{}",
                w.ok,
                w.clients,
                w.took_ms,
                overflow_note(w)
            ),
            "0 reads",
            more == 0 && w.ok == w.clients,
        ));
        rows
    }

    pub fn print_details(&self) {
        println!("\nper account (Share side: authenticate / login / read; proxy /accounts: reads, logins, watched)");
        for (i, name) in self.names.iter().enumerate() {
            let (a, l, r) = observe::calls(&self.sims[i]);
            let view = self.views.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
            let kinds = self.sims[i].reads().iter().fold([0; 3], |mut k, read| {
                k[match read.minutes {
                    1440 => 0,
                    m if m >= 180 => 1,
                    _ => 2,
                }] += 1;
                k
            });
            println!(
                "  {name}: share {a}/{l}/{r} (full day {}, backfill {}, incremental {}); proxy {view:?}",
                kinds[0], kinds[1], kinds[2]
            );
            if i < self.watched {
                let f = &self.followed[i];
                let (first, mean, later) = self.bytes(i);
                let mut fresh = self.freshness(i);
                println!(
                    "      served after upload: p50 {:.1} s, p95 {:.1} s, max {:.1} s over {} readings ({} never served as newest)",
                    quantile(&mut fresh.delays_s, 0.5),
                    quantile(&mut fresh.delays_s, 0.95),
                    quantile(&mut fresh.delays_s, 1.0),
                    fresh.delays_s.len(),
                    fresh.never_served
                );
                println!(
                    "      polls {} (failed {}{}), bytes first {first} later mean {mean:.0} over {later}, reads per hour {:?}",
                    f.polls,
                    f.failures,
                    f.first_failure
                        .as_ref()
                        .map_or_else(String::new, |e| format!(", first: {e}")),
                    self.per_hour(i)
                );
            }
        }
        for (label, crowd) in [("cold", self.cold), ("warm", self.warm)] {
            if let Some(failure) = &crowd.first_failure {
                println!("  {label} crowd, first failure: {failure}");
            }
        }
        println!("  warnings and errors logged: {}", self.warnings);
        println!(
            "  bench process RSS (proxy + simulators + bench): {} kB at the start of the day, {} kB at its end",
            self.rss_kb.0, self.rss_kb.1
        );
    }
}

fn self_name(i: usize) -> &'static str {
    super::WATCHED.get(i).copied().unwrap_or("?")
}

fn overflow_note(crowd: &Crowd) -> String {
    match crowd.listen_overflows {
        0 => String::new(),
        n => format!(" ({n} connection attempts dropped by a full listen queue)"),
    }
}
