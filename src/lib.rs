//! dexcom-share-proxy: a REST/JSON service in front of Dexcom Share.
//!
//! How a reading travels, and where each step lives:
//! - [`share`] calls Dexcom Share and reads its wire format; [`simulator`] plays Share for tests
//!   and `--demo`.
//! - [`feed`]: one task per watched account owns its Share session and every Share call, and
//!   publishes snapshots of the last day.
//! - [`routes`] answer requests from those snapshots, rendered once by [`render`] (the
//!   Nightscout shapes are in [`nightscout_format`]); [`push`] and [`mqtt`] send them on.
//! - Around them: [`middleware`] (limits, labels, the access log), [`auth`] and [`accounts`]
//!   (who may read what), [`error`] (every answer a client can get wrong), [`openapi`] (the
//!   document, from the routes themselves), and [`metrics`].
//! - Start-up: [`config`] reads the settings, [`launch`] checks them, [`startup`] builds the
//!   service, [`shutdown`] stops it.

pub mod accounts;
pub mod auth;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod feed;
pub mod healthcheck;
pub mod launch;
pub mod logging;
pub mod metrics;
pub mod middleware;
pub mod mqtt;
pub mod nightscout_format;
pub mod openapi;
pub mod push;
pub mod render;
pub mod routes;
pub mod share;
pub mod shutdown;
pub mod simulator;
pub mod startup;
pub mod state;
