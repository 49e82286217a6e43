//! `dexcom-share-proxy`: parse the command line, then serve, check a configuration, or probe
//! a running service's health.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use dexcom_share_proxy::config::{self, Summary};
use dexcom_share_proxy::launch::{self, Overrides, StartError};
use dexcom_share_proxy::logging::{self, LogFormat};
use dexcom_share_proxy::shutdown::Signals;
use dexcom_share_proxy::startup::Application;
use dexcom_share_proxy::{demo, healthcheck};

/// REST/JSON proxy in front of Dexcom Share.
#[derive(Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(flatten)]
    run: RunArgs,
    /// Print the OpenAPI document and exit.
    #[arg(long)]
    print_openapi: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

/// How to serve: the options of the service and of `check-config`.
#[derive(Args)]
struct RunArgs {
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
    /// Log as text or as one JSON object per line (overrides `[log] format`).
    #[arg(long, env = "DEXCOM_SHARE_PROXY_LOG_FORMAT", value_name = "FORMAT")]
    log_format: Option<LogFormat>,
}

#[derive(Subcommand)]
enum Command {
    /// Check the configuration as start-up would, without listening or calling Share, and
    /// print a summary without secrets. Exits 0 when it is valid, 2 when not.
    CheckConfig(RunArgs),
    /// GET the service's health URL, for a container HEALTHCHECK. Exits 0 on 200, 1 otherwise.
    Healthcheck {
        /// An http:// URL.
        #[arg(long, default_value = healthcheck::DEFAULT_URL)]
        url: String,
        /// Give up after this long.
        #[arg(long, value_name = "SECONDS", default_value_t = 3,
              value_parser = clap::value_parser!(u64).range(1..=60))]
        timeout: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Healthcheck { url, timeout }) => probe(&url, Duration::from_secs(timeout)),
        Some(Command::CheckConfig(args)) => check_config(&args),
        None if cli.print_openapi => {
            out(format_args!(
                "{}",
                dexcom_share_proxy::openapi::document_json()
            ));
            ExitCode::SUCCESS
        }
        None => {
            let format = start_logger(&cli.run);
            match actix_web::rt::System::new().block_on(serve(cli.run)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => fail(format, &error),
            }
        }
    }
}

/// Starts the logger in the format the command line, or else the file, asks for.
fn start_logger(args: &RunArgs) -> LogFormat {
    let format = args
        .log_format
        .or_else(|| args.config.as_deref().and_then(config::peek_log_format))
        .unwrap_or_default();
    logging::init(format);
    format
}

fn fail(format: LogFormat, error: &StartError) -> ExitCode {
    logging::fatal(format, &error.to_string());
    ExitCode::from(2)
}

fn overrides(args: &RunArgs) -> Overrides {
    Overrides {
        listen: args.listen.clone(),
        access_log: args.access_log,
        log_format: args.log_format,
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

async fn serve(args: RunArgs) -> Result<(), StartError> {
    let mut settings = launch::settings(args.config.as_deref(), &env_var, &overrides(&args))?;
    let _simulator = if args.demo {
        Some(demo::start(&mut settings)?)
    } else {
        None
    };
    launch::check(&settings)?;
    let app = Application::build(&settings).map_err(|source| StartError::Listen {
        addr: settings.listen,
        source,
    })?;
    // Before the address is logged: whoever waits for it may signal at once.
    let signals = Signals::listen().map_err(StartError::Signals)?;
    actix_web::rt::spawn(signals.stop(app.shutdown_handle(), settings.shutdown_timeout));
    let names: Vec<&str> = settings.accounts.iter().map(|a| a.name.as_str()).collect();
    log::info!(
        "listening on http://{} (accounts: {}); Swagger UI at http://{}/docs/",
        app.addr(),
        names.join(", "),
        app.addr()
    );
    app.run_until_stopped().await.map_err(StartError::Serve)?;
    log::info!("stopped");
    Ok(())
}

fn check_config(args: &RunArgs) -> ExitCode {
    let format = start_logger(args);
    let checked = launch::settings(args.config.as_deref(), &env_var, &overrides(args)).and_then(
        |mut settings| {
            if args.demo {
                demo::add_unstarted(&mut settings)?;
            }
            launch::check(&settings)?;
            Ok(settings)
        },
    );
    match checked {
        Ok(settings) => {
            let source = match &args.config {
                Some(path) => format!("{} and the environment", path.display()),
                None => "the environment".to_owned(),
            };
            out(format_args!(
                "configuration OK ({source})\n{}",
                Summary(&settings)
            ));
            ExitCode::SUCCESS
        }
        Err(error) => fail(format, &error),
    }
}

fn probe(url: &str, timeout: Duration) -> ExitCode {
    match healthcheck::probe(url, timeout) {
        Ok(200) => {
            out(format_args!("healthy: {url} answered 200\n"));
            ExitCode::SUCCESS
        }
        Ok(status) => {
            out(format_args!("unhealthy: {url} answered {status}\n"));
            ExitCode::FAILURE
        }
        Err(error) => {
            out(format_args!("unhealthy: {url}: {error}\n"));
            ExitCode::FAILURE
        }
    }
}

/// Writes to stdout. A reader that stopped reading (`… | head`) is not an error of ours:
/// `print!` would panic on the broken pipe.
fn out(text: std::fmt::Arguments) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_fmt(text);
}
