//! `dexcom-share-proxy`: parse the command line, load the settings, run the service.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use dexcom_share_proxy::config::{self, Settings};
use dexcom_share_proxy::startup::Application;

/// REST/JSON proxy in front of Dexcom Share.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// TOML config file (see README).
    #[arg(long, env = "DEXCOM_SHARE_PROXY_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on, e.g. 0.0.0.0:8080 (overrides `listen` in the file).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Serve a demo account backed by the built-in Share simulator (synthetic data).
    #[arg(long)]
    demo: bool,
    /// Log every request (method, path with tokens redacted, status, size, time), as
    /// `[log] access = true` does.
    #[arg(long)]
    access_log: bool,
    /// Print the OpenAPI document and exit.
    #[arg(long)]
    print_openapi: bool,
}

const NO_ACCOUNT_HELP: &str = "no Dexcom account is configured. Either:
  - set DEXCOM_USERNAME (or DEXCOM_ACCOUNT_ID) and DEXCOM_PASSWORD (or DEXCOM_PASSWORD_FILE), and DEXCOM_REGION (us, ous or jp);
  - or pass --config FILE with [[accounts]] entries (see README.md);
  - or try the service without an account: --demo";

#[actix_web::main]
async fn main() -> ExitCode {
    dexcom_share_proxy::logging::init();
    let cli = Cli::parse();
    if cli.print_openapi {
        print!("{}", dexcom_share_proxy::openapi::document_json());
        return ExitCode::SUCCESS;
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("dexcom-share-proxy: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let mut settings = Settings::load(cli.config.as_deref(), &|name| std::env::var(name).ok())
        .map_err(|e| e.to_string())?;
    settings.access_log |= cli.access_log;
    if let Some(listen) = &cli.listen {
        settings.listen = config::parse_listen(listen, "--listen").map_err(|e| e.to_string())?;
    }
    let _simulator = if cli.demo {
        Some(dexcom_share_proxy::demo::start(&mut settings).map_err(|e| e.to_string())?)
    } else {
        None
    };
    if settings.accounts.is_empty() {
        return Err(NO_ACCOUNT_HELP.to_owned());
    }
    settings
        .check_access(settings.listen)
        .map_err(|e| e.to_string())?;
    let app = Application::build(&settings)
        .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
    let names: Vec<&str> = settings.accounts.iter().map(|a| a.name.as_str()).collect();
    log::info!(
        "listening on http://{} (accounts: {}); Swagger UI at http://{}/docs/",
        app.addr(),
        names.join(", "),
        app.addr()
    );
    app.run_until_stopped().await.map_err(|e| e.to_string())
}
