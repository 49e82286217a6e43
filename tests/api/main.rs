//! Integration tests: a real proxy and a real Share simulator on 127.0.0.1:0, over HTTP.

mod access;
mod accounts;
mod cli;
mod helpers;
mod openapi;
mod readings;
mod routing;
mod session;
mod upstream_faults;
