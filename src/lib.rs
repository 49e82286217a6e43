//! dexcom-share-proxy: a REST/JSON service in front of Dexcom Share.

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
