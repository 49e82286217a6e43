//! Dexcom Share simulator: a real HTTP server that speaks the Share publisher
//! protocol (`AuthenticatePublisherAccount`, `LoginPublisherAccountById`,
//! `ReadPublisherLatestGlucoseValues`) with deterministic synthetic readings,
//! sessions that expire, account lockout, and injectable faults.
//!
//! Time comes from [`SimulatorConfig::clock`] (the system clock by default): reading
//! times, session lifetimes and lockouts follow it, so a scaled clock shared with the proxy
//! under test runs a simulated day in minutes (stall faults stay in real milliseconds).
//! Readings model the phone's upload: one every 5 minutes per account, visible only
//! [`upload_lag_seconds`](SimulatorConfig::upload_lag_seconds) plus a per-reading jitter
//! (up to [`upload_lag_jitter_seconds`](SimulatorConfig::upload_lag_jitter_seconds)) after
//! they were taken; [`newest_reading_age_seconds`](SimulatorConfig::newest_reading_age_seconds)
//! places the newest reading at a known age at start. Signal loss and hidden ranges
//! ([`SimControl::hide`], a backlog uploaded late) withhold readings; every read answered
//! with readings is logged ([`SimControl::reads`], [`SimControl::read_bytes`]), and
//! [`SimControl::newest_visible`] tells when the newest reading appeared upstream.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use dexcom_share_proxy::simulator::{Endpoint, Simulator, SimulatorConfig};
//! let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let sim = Simulator::start(SimulatorConfig::demo(), listener)?;
//! println!("{}", sim.base_url()); // http://127.0.0.1:PORT/ShareWebServices/Services/
//! let control = sim.control();
//! assert_eq!(control.calls(Endpoint::Read), 0);
//! sim.stop().await;
//! # Ok(()) }
//! ```
//!
//! Everything here depends only on `crate::simulator`, [`crate::clock`] and the domain
//! [`Trend`](crate::domain::Trend) (re-exported by [`trend`]); the HTTP control surface is
//! described in [`control`].

mod bomb;
pub mod config;
mod config_file;
pub mod control;
mod curve;
pub mod envelope;
pub mod faults;
mod handle;
mod read_log;
mod response;
mod server;
mod sessions;
mod share;
pub mod state;
pub mod trace;
pub mod trend;
mod upload;
pub mod wire;

pub use config::{
    parse_config_file, ConfigFile, SimAccount, SimulatorConfig, DEMO_ACCOUNT_ID, DEMO_PASSWORD,
    DEMO_USERNAME,
};
pub use envelope::LOCKOUT_CODE;
pub use faults::{BombEncoding, Endpoint, Fault, FaultKind, MAX_BOMB_MB, REDIRECT_STATUSES};
pub use read_log::{ReadRecord, READS_KEPT};
pub use response::BAD_REQUEST_BODY;
pub use server::{Simulator, SHARE_BASE_PATH};
pub use state::SimControl;
