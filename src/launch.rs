//! What the binary checks before it serves, shared by serving and `check-config` so that the
//! check cannot pass a configuration that start-up would refuse.

use std::net::SocketAddr;
use std::path::Path;

use crate::config::{self, ConfigError, Settings};
use crate::demo::DemoError;
use crate::logging::LogFormat;
use crate::mqtt::MqttError;

/// Why the service does not start (or a configuration does not pass `check-config`).
/// Messages name what to fix and never a secret.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Demo(#[from] DemoError),
    #[error("{}", NO_ACCOUNT_HELP)]
    NoAccount,
    #[error(transparent)]
    Mqtt(#[from] MqttError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot handle SIGTERM and SIGINT: {0}")]
    Signals(std::io::Error),
    #[error("the server failed: {0}")]
    Serve(std::io::Error),
}

const NO_ACCOUNT_HELP: &str = "no Dexcom account is configured. Either:
  - set DEXCOM_USERNAME (or DEXCOM_ACCOUNT_ID) and DEXCOM_PASSWORD (or DEXCOM_PASSWORD_FILE), and DEXCOM_REGION (us, ous or jp);
  - or pass --config FILE with [[accounts]] entries (see README.md);
  - or try the service without an account: --demo";

/// What the command line sets over the file.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub listen: Option<String>,
    /// `--access-log`: on, whatever the file says.
    pub access_log: bool,
    pub log_format: Option<LogFormat>,
}

/// The file (if any) and the environment's account, with the command line's overrides.
pub fn settings(
    file: Option<&Path>,
    var: &dyn Fn(&str) -> Option<String>,
    overrides: &Overrides,
) -> Result<Settings, StartError> {
    let mut settings = Settings::load(file, var)?;
    settings.access_log |= overrides.access_log;
    if let Some(format) = overrides.log_format {
        settings.log_format = format;
    }
    if let Some(listen) = &overrides.listen {
        settings.listen = config::parse_listen(listen, "--listen")?;
    }
    Ok(settings)
}

/// Everything start-up refuses once the accounts are known (`--demo` included), short of
/// binding the listener or calling Share.
pub fn check(settings: &Settings) -> Result<(), StartError> {
    if settings.accounts.is_empty() {
        return Err(StartError::NoAccount);
    }
    settings.check_access(settings.listen)?;
    if let Some(mqtt) = &settings.mqtt {
        crate::mqtt::check(mqtt, &settings.accounts)?;
    }
    Ok(())
}
