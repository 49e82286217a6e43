//! The Share simulator over real HTTP (awc against `Simulator::start` on port 0).

// clippy.toml lets #[test] functions unwrap; this crate is all test code, helpers included.
#![allow(clippy::unwrap_used)]

mod control;
mod faults;
mod helpers;
mod hostile;
mod protocol;
mod time;
