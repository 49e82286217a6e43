//! `share-simulator [--config FILE] [--listen ADDR]`: serves a Dexcom Share
//! simulator. The first stdout line is always
//! `share-simulator listening on http://IP:PORT/ShareWebServices/Services/`.

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use dexcom_share_proxy::simulator::{parse_config_file, Simulator, SimulatorConfig};

const DEFAULT_LISTEN: &str = "127.0.0.1:9000";

/// Dexcom Share protocol simulator with synthetic glucose readings.
#[derive(Debug, Parser)]
#[command(name = "share-simulator", version)]
struct Args {
    /// TOML config (accounts, session lifetime, lockout); default: the demo account.
    #[arg(long, env = "SHARE_SIMULATOR_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on (overrides the config's `listen`); default 127.0.0.1:9000.
    #[arg(long, env = "SHARE_SIMULATOR_LISTEN")]
    listen: Option<String>,
}

fn load(args: &Args) -> Result<(SimulatorConfig, String), String> {
    let (config, file_listen) = match &args.config {
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
    let listener = match TcpListener::bind(&listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("share-simulator: cannot listen on {listen}: {e}");
            return ExitCode::from(1);
        }
    };
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
