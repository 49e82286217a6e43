//! `share-simulator [--config FILE] [--listen ADDR] [--speed N]`: serves a Dexcom Share
//! simulator. The first stdout line is always
//! `share-simulator listening on http://IP:PORT/ShareWebServices/Services/`.
//!
//! `--speed N` runs the simulator on a clock N times faster than real time (starting at the
//! current time), so a benchmark can drive a simulated day in minutes; the proxy under test
//! must run on a clock of the same speed started at about the same moment.

use std::io::Write;
use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use dexcom_share_proxy::clock::Clock;
use dexcom_share_proxy::simulator::{parse_config_file, Simulator, SimulatorConfig};

const DEFAULT_LISTEN: &str = "127.0.0.1:9000";

/// Dexcom Share protocol simulator with synthetic glucose readings.
#[derive(Debug, Parser)]
#[command(name = "share-simulator", version)]
struct Args {
    /// TOML config (accounts, session lifetime, lockout, upload lag); default: the demo account.
    #[arg(long, env = "SHARE_SIMULATOR_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on (overrides the config's `listen`); default 127.0.0.1:9000.
    #[arg(long, env = "SHARE_SIMULATOR_LISTEN")]
    listen: Option<String>,
    /// Simulated seconds per real second (at least 1); 1 = the system clock.
    #[arg(long, env = "SHARE_SIMULATOR_SPEED", default_value_t = 1.0, value_parser = parse_speed)]
    speed: f64,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    let speed: f64 = s
        .trim()
        .parse()
        .map_err(|e| format!("{s:?} is not a number: {e}"))?;
    if !speed.is_finite() || speed < 1.0 {
        return Err(format!("{s:?}: the speed must be a finite number >= 1"));
    }
    Ok(speed)
}

fn clock(speed: f64) -> Clock {
    if speed == 1.0 {
        Clock::system()
    } else {
        Clock::scaled(speed)
    }
}

fn load(args: &Args) -> Result<(SimulatorConfig, String), String> {
    let (mut config, file_listen) = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let file = parse_config_file(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            (file.simulator, file.listen)
        }
        None => (SimulatorConfig::demo(), None),
    };
    let listen = args
        .listen
        .clone()
        .or(file_listen)
        .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    config.clock = clock(args.speed);
    Ok((config, listen))
}

#[actix_web::main]
async fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let args = Args::parse();
    let (config, listen) = match load(&args) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("share-simulator: {e}");
            return ExitCode::from(2);
        }
    };
    let bound = listen
        .to_socket_addrs()
        .and_then(|mut addrs| {
            addrs
                .next()
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address"))
        })
        .and_then(dexcom_share_proxy::startup::listen);
    let listener = match bound {
        Ok(l) => l,
        Err(e) => {
            eprintln!("share-simulator: cannot listen on {listen}: {e}");
            return ExitCode::from(1);
        }
    };
    if args.speed != 1.0 {
        log::info!("share-simulator: clock runs {}× real time", args.speed);
    }
    let simulator = match Simulator::start(config, listener) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("share-simulator: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    let mut stdout = std::io::stdout().lock();
    // Scripts parse this line; it must come first and be flushed.
    let _ = writeln!(
        stdout,
        "share-simulator listening on {}",
        simulator.base_url()
    );
    let _ = stdout.flush();
    drop(stdout);
    simulator.wait().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_is_a_finite_number_of_at_least_one() {
        assert_eq!(parse_speed("1").unwrap(), 1.0);
        assert_eq!(parse_speed(" 60 ").unwrap(), 60.0);
        for bad in ["0.5", "0", "-3", "inf", "NaN", "fast", ""] {
            assert!(parse_speed(bad).is_err(), "{bad}");
        }
        assert_eq!(clock(1.0).speed(), 1.0);
        assert_eq!(clock(250.0).speed(), 250.0);
    }

    #[test]
    fn the_speed_sets_the_config_clock() {
        let args = Args::parse_from(["share-simulator", "--speed", "12"]);
        let (config, listen) = load(&args).unwrap();
        assert_eq!(config.clock.speed(), 12.0);
        assert_eq!(listen, DEFAULT_LISTEN);
        let args = Args::parse_from(["share-simulator"]);
        assert_eq!(load(&args).unwrap().0.clock.speed(), 1.0);
    }
}
