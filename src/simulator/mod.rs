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
//! [`Trend`](crate::domain::Trend), whose Share names the simulator writes, so that a wrong
//! mapping cannot pass both sides. The modules are private: what other code may use is
//! re-exported below.
//!
//! ## Control surface
//!
//! Under `/simulator/`, outside the Share path; [`SimControl`] is the same in-process.
//!
//! | method + path | body | answer |
//! |---|---|---|
//! | `GET /simulator/calls` | – | 200 `{"authenticate":n,"login_by_id":n,"read":n}` |
//! | `GET /simulator/sessions` | – | 200 `{"issued":["<uuid>",…]}`: every session ID issued |
//! | `GET /simulator/reads` | – | 200 `{"reads":[{"at_ms":n,"minutes":n,"max_count":n,"records":n,"bytes":n},…],"read_bytes":n}`: the reads answered with readings, oldest first (the newest 10 000), and the body bytes of all of them |
//! | `GET /simulator/newest-visible?account=i` | – | 200 `{"time_ms":n,"visible_at_ms":n}`: the newest reading a read of account `i` (config order, default 0) sees now and when it was uploaded; 404 `{"error":"…"}` for no such account (or nothing visible) |
//! | `POST /simulator/reset` | – | 204 (counters, faults, sessions, lockouts, signal loss, hidden ranges, read log) |
//! | `POST /simulator/expire-sessions` | – | 204 |
//! | `POST /simulator/faults` | a [`Fault`] | 204, or 400 `{"error":"…"}` |
//! | `DELETE /simulator/faults` | – | 204 |
//! | `PUT /simulator/signal-loss` | `{"minutes":n}` | 204, or 400 `{"error":"…"}` |
//! | `PUT /simulator/hidden` | `{"from_ms":n,"to_ms":n}` | 204 (hides readings with `from_ms <= time < to_ms` until cleared; ranges add up), or 400 `{"error":"…"}` (bad body, `from_ms >= to_ms`) |
//! | `DELETE /simulator/hidden` | – | 204 (shows every hidden reading again) |
//!
//! Other methods on these paths answer 405 with `Allow`.

mod bomb;
mod config;
mod config_file;
mod control;
mod curve;
mod envelope;
mod faults;
mod handle;
mod read_log;
mod response;
mod server;
mod sessions;
mod share;
mod state;
mod trace;
mod trend;
mod upload;
mod wire;

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
