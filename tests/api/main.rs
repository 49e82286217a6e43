//! Integration tests: a real proxy and a real Share simulator on 127.0.0.1:0, over HTTP.

mod accounts;
mod cli;
mod helpers;
mod nightscout;
mod openapi;
mod readings;
mod resilience;
mod routing;
mod session;
mod upstream_faults;
