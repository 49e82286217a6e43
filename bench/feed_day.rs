//! `cargo bench --bench feed_day`: the live feed in process, against the Share simulator,
//! with the proxy's default settings. It measures targets 4, 5 and 6 of the benchmark and
//! prints a markdown table.
//!
//! 1. A crowd (target 6), on the system clock: 200 concurrent clients with every kind of
//!    query at a cold start, then 200 more on the warm snapshot; the Share calls they cost.
//! 2. A simulated day (targets 4 and 5): one simulator per account (so every Share call and
//!    read is counted per account) and the proxy share one scaled clock; three accounts are
//!    watched (their `/readings/latest` polled every few real ms), two are never asked for.
//!
//! Environment (defaults in brackets):
//! - `FEED_DAY_SPEED` [288]: simulated seconds per real second (288: a day in 5 minutes);
//! - `FEED_DAY_HOURS` [24; 1 under `cargo test --benches`]: simulated hours (whole hours);
//! - `FEED_DAY_POLL_MS` [3]: real ms between two polls of one account's `/readings/latest`;
//! - `FEED_DAY_LAG_SECONDS` [20] and `FEED_DAY_JITTER_SECONDS` [10]: the upload lag;
//! - `FEED_DAY_SESSION_MINUTES` [1500]: the simulator's session lifetime (25 h: the day fits;
//!   1440 shows what a session ending at exactly 24 h costs);
//! - `FEED_DAY_CLIENTS` [200]: the crowd of concurrent clients;
//! - `FEED_DAY_TABLE`: also write the table's rows (no header) to this file (`bench/run.sh`);
//! - `RUST_LOG` [warn]: warnings and errors of the proxy and simulators are printed and
//!   counted.

#[path = "feed_day/observe.rs"]
mod observe;
#[path = "feed_day/report.rs"]
mod report;

use std::net::TcpListener;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dexcom_share_proxy::clock::Clock;
use dexcom_share_proxy::config::{AccountSettings, Login, Settings};
use dexcom_share_proxy::domain::{AccountName, Region, Secret};
use dexcom_share_proxy::simulator::{SimAccount, Simulator, SimulatorConfig};
use dexcom_share_proxy::startup::Application;
use uuid::Uuid;

const WATCHED: [&str; 3] = ["w0", "w1", "w2"];
const UNWATCHED: [&str; 2] = ["u0", "u1"];
const PASSWORD: &str = "bench-password-1234";

/// The bench's knobs (see the module doc).
pub struct Knobs {
    pub speed: f64,
    pub hours: u32,
    pub poll: Duration,
    pub lag_seconds: u32,
    pub jitter_seconds: u32,
    pub session_minutes: u32,
    pub clients: usize,
}

fn env_or<T: FromStr>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Ok(raw) => raw
            .trim()
            .parse()
            .map_err(|_| format!("{name}={raw:?} is not a valid value")),
        Err(_) => Ok(default),
    }
}

/// `cargo bench` passes `--bench`; `cargo test --benches` does not, and gets a one-hour
/// smoke run instead of the whole day.
fn bench_mode() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

impl Knobs {
    fn from_env() -> Result<Knobs, String> {
        let knobs = Knobs {
            speed: env_or("FEED_DAY_SPEED", 288.0)?,
            hours: env_or("FEED_DAY_HOURS", if bench_mode() { 24 } else { 1 })?,
            poll: Duration::from_millis(env_or("FEED_DAY_POLL_MS", 3)?),
            lag_seconds: env_or("FEED_DAY_LAG_SECONDS", 20)?,
            jitter_seconds: env_or("FEED_DAY_JITTER_SECONDS", 10)?,
            session_minutes: env_or("FEED_DAY_SESSION_MINUTES", 1500)?,
            clients: env_or("FEED_DAY_CLIENTS", 200)?,
        };
        if !(knobs.speed.is_finite() && knobs.speed >= 1.0) || knobs.hours == 0 {
            return Err("FEED_DAY_SPEED must be >= 1 and FEED_DAY_HOURS >= 1".to_owned());
        }
        Ok(knobs)
    }
}

/// Forwards to env_logger and counts warnings and errors.
struct Counted {
    inner: env_logger::Logger,
    warnings: Arc<AtomicUsize>,
}

impl log::Log for Counted {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        self.inner.enabled(metadata)
    }
    fn log(&self, record: &log::Record) {
        if self.inner.matches(record) {
            if record.level() <= log::Level::Warn {
                self.warnings.fetch_add(1, Ordering::Relaxed);
            }
            self.inner.log(record);
        }
    }
    fn flush(&self) {
        self.inner.flush();
    }
}

fn init_logging() -> Arc<AtomicUsize> {
    let warnings = Arc::new(AtomicUsize::new(0));
    let inner =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).build();
    let max = inner.filter();
    let logger = Counted {
        inner,
        warnings: Arc::clone(&warnings),
    };
    if log::set_boxed_logger(Box::new(logger)).is_ok() {
        log::set_max_level(max);
    }
    warnings
}

/// The simulator of one account; `newest_age` places its newest reading (see
/// [`SimulatorConfig::newest_reading_age_seconds`]), else the seed's phase does.
fn simulator(
    knobs: &Knobs,
    clock: Clock,
    index: usize,
    name: &str,
    newest_age: Option<u32>,
) -> Result<Simulator, String> {
    let mut config = SimulatorConfig::demo();
    config.accounts = vec![SimAccount::new(
        &format!("{name}@example.com"),
        Uuid::from_u128(0x5eed_0000 + index as u128 + 1),
        PASSWORD,
        -240,
    )];
    config.clock = clock;
    config.session_lifetime_minutes = knobs.session_minutes;
    config.upload_lag_seconds = knobs.lag_seconds;
    config.upload_lag_jitter_seconds = knobs.jitter_seconds;
    config.newest_reading_age_seconds = newest_age;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Simulator::start(config, listener).map_err(|e| e.to_string())
}

/// The proxy with its default settings (exactly as with an empty config file), serving
/// `names` from `simulators`; returns its base URL.
fn start_proxy(names: &[&str], simulators: &[Simulator], clock: Clock) -> Result<String, String> {
    let mut settings = Settings::load(None, &|_| None).map_err(|e| e.to_string())?;
    settings.accounts = names
        .iter()
        .zip(simulators)
        .map(|(name, sim)| account(name, sim.base_url()))
        .collect::<Result<_, _>>()?;
    // Bound like `Application::build` binds (std's listener), so the crowd meets the same
    // listen queue as in production.
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let app = Application::with_listener(&settings, listener, clock).map_err(|e| e.to_string())?;
    let base = format!("http://{}", app.addr());
    actix_web::rt::spawn(app.run_until_stopped());
    Ok(base)
}

/// Target 6 on the system clock, before the day: a crowd of clients with every kind of query
/// at a cold start, then as many on the warm snapshot. The account's newest reading is a
/// minute old, so the feed's next scheduled read is about four minutes away and every read
/// counted is the crowd's. (On the day's fast clock a crowd that waits a second for a dropped
/// connection attempt would span scheduled reads.) The proxy and simulator stay up, idle.
async fn crowds(knobs: &Knobs) -> Result<(observe::Crowd, observe::Crowd), String> {
    let clock = Clock::system();
    let simulator = simulator(knobs, clock, 99, "crowd", Some(60))?;
    let sim = simulator.control();
    let base = start_proxy(&["crowd"], std::slice::from_ref(&simulator), clock)?;
    let client = observe::client();
    let cold = observe::crowd(&client, &base, "crowd", knobs.clients, &sim).await;
    let warm = observe::crowd(&client, &base, "crowd", knobs.clients, &sim).await;
    // Dropping the handle leaves the simulator running, like the proxy, idle until the end.
    drop(simulator);
    Ok((cold, warm))
}

fn account(name: &str, base_url: String) -> Result<AccountSettings, String> {
    Ok(AccountSettings {
        name: AccountName::parse(name).ok_or_else(|| format!("bad account name {name}"))?,
        login: Login::Username(format!("{name}@example.com")),
        password: Secret::new(PASSWORD.to_owned()),
        region: Region::Us,
        base_url: Some(base_url),
        tokens: Vec::new(),
        simulated: false,
        thresholds: Default::default(),
    })
}

#[actix_web::main]
async fn main() -> ExitCode {
    let warnings = init_logging();
    match run(&warnings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("feed_day: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(warnings: &AtomicUsize) -> Result<(), String> {
    let knobs = Knobs::from_env()?;
    let (cold, warm) = crowds(&knobs).await?;

    let clock = Clock::scaled(knobs.speed);
    let names: Vec<&str> = WATCHED.iter().chain(UNWATCHED.iter()).copied().collect();
    let simulators = names
        .iter()
        .enumerate()
        .map(|(index, name)| simulator(&knobs, clock, index, name, None))
        .collect::<Result<Vec<_>, _>>()?;
    let sims: Vec<_> = simulators.iter().map(Simulator::control).collect();
    let base = start_proxy(&names, &simulators, clock)?;

    let rss_start_kb = observe::rss_kb();
    let start = clock.now();
    let end = start + chrono::Duration::hours(i64::from(knobs.hours));
    eprintln!(
        "feed_day: {} simulated h at {}x ({:.0} s real), polling every {} ms real, \
         lag {} s + jitter {} s, session lifetime {} min",
        knobs.hours,
        knobs.speed,
        f64::from(knobs.hours) * 3600.0 / knobs.speed,
        knobs.poll.as_millis(),
        knobs.lag_seconds,
        knobs.jitter_seconds,
        knobs.session_minutes
    );
    let hourly = actix_web::rt::spawn(observe::hourly_reads(
        sims.clone(),
        clock,
        start,
        knobs.hours,
    ));
    let followers: Vec<_> = WATCHED
        .iter()
        .zip(&sims)
        .map(|(name, sim)| {
            actix_web::rt::spawn(observe::follow(
                observe::client(),
                format!("{base}/readings/latest?account={name}"),
                sim.clone(),
                clock,
                end,
                knobs.poll,
            ))
        })
        .collect();
    let mut followed = Vec::new();
    for follower in followers {
        followed.push(follower.await.map_err(|e| e.to_string())?);
    }
    let hourly = hourly.await.map_err(|e| e.to_string())?;
    // A fresh client: the first one's pooled connections have been idle past the proxy's
    // keep-alive, and reusing one that the proxy just closed fails the request.
    let views = report::account_views(&observe::client(), &base).await?;

    let day = report::Day {
        knobs: &knobs,
        names: &names,
        watched: WATCHED.len(),
        start,
        end,
        sims: &sims,
        followed: &followed,
        hourly: &hourly,
        views: &views,
        cold: &cold,
        warm: &warm,
        warnings: warnings.load(Ordering::Relaxed),
        rss_kb: (rss_start_kb, observe::rss_kb()),
    };
    let rows = day.rows();
    day.print_details();
    println!("\n{}", report::TABLE_HEADER);
    for row in &rows {
        println!("{row}");
    }
    if let Ok(path) = std::env::var("FEED_DAY_TABLE") {
        std::fs::write(&path, rows.join("\n") + "\n").map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(())
}
