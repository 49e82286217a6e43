//! Integration tests: a real proxy and a real Share simulator on 127.0.0.1:0, over HTTP.

mod access;
mod accounts;
mod caching;
mod cli;
mod cors;
mod dates;
mod feed;
mod guessing;
mod helpers;
mod hostile_upstream;
mod limits;
mod metrics;
mod mqtt;
mod nightscout;
mod openapi;
mod process;
mod readings;
mod ready;
mod resilience;
mod routing;
mod secrets;
mod secure_default;
mod session;
mod stream;
mod upstream_faults;
