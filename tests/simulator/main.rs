//! The Share simulator over real HTTP (awc against `Simulator::start` on port 0).

#![allow(clippy::unwrap_used)] // tests may unwrap

mod control;
mod faults;
mod helpers;
mod hostile;
mod protocol;
mod time;
