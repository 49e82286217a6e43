//! `--demo`: a simulated account served by the built-in Share simulator, so the whole
//! service can be tried without a Dexcom account. Its responses are labelled as simulated.

use crate::config::{AccountSettings, Login, Settings};
use crate::domain::{AccountName, Region, Secret};
use crate::simulator::{self, Simulator, SimulatorConfig};

/// The name the demo account is served under.
pub const DEMO_ACCOUNT: &str = "demo";

/// Starts the simulator on a free loopback port and adds the `demo` account pointing at it.
/// Keep the returned handle alive for as long as the service runs.
pub fn start(settings: &mut Settings) -> Result<Simulator, String> {
    let name = AccountName::parse(DEMO_ACCOUNT).expect("invariant: `demo` is a valid name");
    if settings.accounts.iter().any(|a| a.name == name) {
        return Err(format!(
            "--demo adds an account named `{DEMO_ACCOUNT}`, and the config already has one"
        ));
    }
    let listener = crate::startup::listen(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .map_err(|e| format!("cannot start the Share simulator: {e}"))?;
    let sim = Simulator::start(SimulatorConfig::demo(), listener)
        .map_err(|e| format!("cannot start the Share simulator: {e}"))?;
    log::warn!(
        "DEMO MODE: account `{DEMO_ACCOUNT}` serves SYNTHETIC readings from the built-in Share \
         simulator at {}; they are not real glucose data",
        sim.base_url()
    );
    settings.accounts.push(AccountSettings {
        name,
        login: Login::Username(simulator::DEMO_USERNAME.to_owned()),
        password: Secret::new(simulator::DEMO_PASSWORD.to_owned()),
        region: Region::Us,
        base_url: Some(sim.base_url()),
        tokens: Vec::new(),
        simulated: true,
        thresholds: Default::default(),
    });
    Ok(sim)
}
