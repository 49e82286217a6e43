//! `--demo`: a simulated account served by the built-in Share simulator, so the whole
//! service can be tried without a Dexcom account. Its responses are labelled as simulated.

use crate::config::{AccountSettings, Login, Settings};
use crate::domain::{AccountName, Region, Secret};
use crate::simulator::{self, Simulator, SimulatorConfig};

/// The name the demo account is served under.
pub const DEMO_ACCOUNT: &str = "demo";

/// Why the demo cannot be added.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "--demo adds an account named `{}`, and the config already has one",
        DEMO_ACCOUNT
    )]
    NameTaken,
    #[error("cannot start the Share simulator: {0}")]
    Simulator(std::io::Error),
}

/// Starts the simulator on a free loopback port and adds the `demo` account pointing at it.
/// Keep the returned handle alive for as long as the service runs.
pub fn start(settings: &mut Settings) -> Result<Simulator, DemoError> {
    check(settings)?;
    let listener = crate::startup::listen(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .map_err(DemoError::Simulator)?;
    let sim = Simulator::start_embedded(SimulatorConfig::demo(), listener)
        .map_err(DemoError::Simulator)?;
    log::warn!(
        "DEMO MODE: account `{DEMO_ACCOUNT}` serves SYNTHETIC readings from the built-in Share \
         simulator at {}; they are not real glucose data",
        sim.base_url()
    );
    settings.accounts.push(account(Some(sim.base_url())));
    Ok(sim)
}

/// Adds the `demo` account as [`start`] does, without starting its simulator: for checking a
/// configuration.
pub fn add_unstarted(settings: &mut Settings) -> Result<(), DemoError> {
    check(settings)?;
    settings.accounts.push(account(None));
    Ok(())
}

fn check(settings: &Settings) -> Result<(), DemoError> {
    if settings
        .accounts
        .iter()
        .any(|a| a.name.as_str() == DEMO_ACCOUNT)
    {
        Err(DemoError::NameTaken)
    } else {
        Ok(())
    }
}

fn account(base_url: Option<String>) -> AccountSettings {
    AccountSettings {
        name: AccountName::parse(DEMO_ACCOUNT).expect("invariant: `demo` is a valid name"),
        login: Login::Username(simulator::DEMO_USERNAME.to_owned()),
        password: Secret::new(simulator::DEMO_PASSWORD.to_owned()),
        region: Region::Us,
        base_url,
        tokens: Vec::new(),
        simulated: true,
        thresholds: Default::default(),
    }
}
