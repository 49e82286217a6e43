//! `scaled_proxy`: the service as `dexcom-share-proxy --config FILE --listen ADDR` runs it (the
//! same settings, logging and `Application`), on a clock `--speed` times faster than real
//! time, for `bench/sse_fanout.py`: with `share-simulator --speed 60` a new reading comes
//! every 5 real seconds. The service's binary has no such option (its clock is the system's);
//! this is the wiring `Application::build` does, with `Application::with_listener` given a
//! scaled clock, as the in-process tests and `feed_day` do.
//!
//! ```text
//! scaled_proxy --config proxy.toml --listen 127.0.0.1:0 --speed 60
//! ```
//! Logs `listening on http://IP:PORT` on stderr, as the service does.
//!
//! The clock starts when this process does, the simulator's when it did: the two disagree by
//! `speed - 1` times the gap between the starts (about a simulated second per 20 ms at 60×),
//! which the feed takes for part of the upload lag it learns.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use dexcom_share_proxy::clock::Clock;
use dexcom_share_proxy::config::{self, Settings};
use dexcom_share_proxy::startup::{listen, Application};

#[derive(Parser)]
struct Args {
    /// The service's TOML config file.
    #[arg(long)]
    config: PathBuf,
    /// Address to listen on (overrides `listen` in the file).
    #[arg(long)]
    listen: Option<String>,
    /// Simulated seconds per real second (at least 1).
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
}

async fn run(args: Args) -> Result<(), String> {
    if !args.speed.is_finite() || args.speed < 1.0 {
        return Err(format!("--speed {}: must be a number >= 1", args.speed));
    }
    let mut settings = Settings::load(Some(&args.config), &|name| std::env::var(name).ok())
        .map_err(|e| e.to_string())?;
    if let Some(raw) = &args.listen {
        settings.listen = config::parse_listen(raw, "--listen").map_err(|e| e.to_string())?;
    }
    let listener = listen(settings.listen)
        .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
    let app = Application::with_listener(&settings, listener, Clock::scaled(args.speed))
        .map_err(|e| e.to_string())?;
    log::info!(
        "listening on http://{} (clock {}× real time)",
        app.addr(),
        args.speed
    );
    app.run_until_stopped().await.map_err(|e| e.to_string())
}

#[actix_web::main]
async fn main() -> ExitCode {
    dexcom_share_proxy::logging::init(dexcom_share_proxy::logging::LogFormat::default());
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("scaled_proxy: {message}");
            ExitCode::from(2)
        }
    }
}
