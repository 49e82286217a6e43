//! Graceful shutdown of the real binary: SIGTERM and SIGINT stop new connections, let
//! in-flight requests finish, end event streams at once, and exit 0.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use dexcom_share_proxy::simulator::{Endpoint, Fault, FaultKind, SimControl, Simulator};

use crate::helpers::{sim_config, start_simulator, ALICE_PASSWORD, ALICE_USER};
use crate::process::{proxy, Logged};
use crate::raw_http;

const PATIENCE: Duration = Duration::from_secs(20);

/// A config for `alice` at `base_url`, with this shutdown timeout.
fn config(dir: &Path, base_url: Option<&str>, shutdown_timeout_seconds: u64) -> PathBuf {
    let mut text = format!(
        "listen = \"127.0.0.1:0\"\n[server]\nshutdown_timeout_seconds = {shutdown_timeout_seconds}\n"
    );
    if let Some(url) = base_url {
        text.push_str(&format!(
            "[[accounts]]\nname = \"alice\"\nusername = \"{ALICE_USER}\"\n\
             password = \"{ALICE_PASSWORD}\"\nbase_url = \"{url}\"\n"
        ));
    }
    let path = dir.join("proxy.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// The next read of Share stalls for `millis`.
fn stall_next_read(sim: &SimControl, millis: u64) {
    sim.inject(Fault {
        endpoint: Some(Endpoint::Read),
        kind: FaultKind::Stall { millis },
        times: Some(1),
    });
}

/// Waits without blocking the runtime (the simulator runs on it) until `done` holds.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The binary serving `alice` from a simulator whose next read stalls for `stall_millis`,
/// with this shutdown timeout; the simulator and the config's directory live as long as the
/// caller keeps them.
fn with_a_stalled_read(
    stall_millis: u64,
    shutdown_timeout_seconds: u64,
) -> (Simulator, SimControl, tempfile::TempDir, Logged) {
    let simulator = start_simulator(sim_config());
    let sim = simulator.control();
    stall_next_read(&sim, stall_millis);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = proxy();
    command
        .arg("--config")
        .arg(config(
            dir.path(),
            Some(&simulator.base_url()),
            shutdown_timeout_seconds,
        ))
        .env("RUST_LOG", "info");
    let binary = Logged::start(command);
    (simulator, sim, dir, binary)
}

async fn exit_status(binary: &mut Logged) -> ExitStatus {
    let mut status = None;
    until("the proxy to exit", || {
        status = binary.exited();
        status.is_some()
    })
    .await;
    status.expect("exited")
}

#[actix_web::test]
async fn sigterm_lets_an_in_flight_request_finish_refuses_new_connections_and_exits_0() {
    // Arrange: a cold request waits for the feed, whose first read stalls for 2 s.
    let (_simulator, sim, _dir, mut binary) = with_a_stalled_read(2000, 10);
    let addr = binary.addr.clone();
    let in_flight = {
        let addr = addr.clone();
        std::thread::spawn(move || raw_http::get(&addr, "/readings/current"))
    };
    until("the stalled read", || sim.calls(Endpoint::Read) == 1).await;

    // Act
    let signalled = Instant::now();
    binary.signal("TERM");

    // Assert
    until("new connections to be refused", || raw_http::refused(&addr)).await;
    assert!(
        !in_flight.is_finished(),
        "the request was meant to be in flight"
    );
    until("the in-flight answer", || in_flight.is_finished()).await;
    let answer = in_flight.join().expect("request thread");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"trend_arrow\""), "{answer}");
    let status = exit_status(&mut binary).await;
    let took = signalled.elapsed();
    let log = binary.stop();
    assert_eq!(status.code(), Some(0), "{log}");
    // The stall (2 s), then at most one of the server's 1-second checks, well within 10 s.
    assert!(took < Duration::from_secs(6), "took {took:?}: {log}");
    assert!(log.contains("SIGTERM: shutting down"), "{log}");
    assert!(log.contains("stopped"), "{log}");
}

/// Long-lived streams would hold a graceful stop for its whole timeout (30 s here): they end
/// at once instead. SIGINT stops as gracefully as SIGTERM.
#[test]
fn sigint_ends_event_streams_at_once_and_exits_0() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut command = proxy();
    command
        .arg("--demo")
        .arg("--config")
        .arg(config(dir.path(), None, 30))
        .env("RUST_LOG", "info");
    let mut binary = Logged::start(command);
    let mut stream = raw_http::open_stream(&binary.addr, "/readings/stream");

    let signalled = Instant::now();
    binary.signal("INT");
    let mut rest = Vec::new();
    let ended = stream.read_to_end(&mut rest);
    let stream_took = signalled.elapsed();
    let status = binary.wait_exit(PATIENCE);
    let took = signalled.elapsed();

    let log = binary.stop();
    assert!(ended.is_ok(), "the stream was not ended cleanly: {ended:?}");
    // A chunked body ends with its last chunk: the response is complete, not cut.
    assert!(
        rest.ends_with(b"0\r\n\r\n"),
        "{:?}",
        String::from_utf8_lossy(&rest)
    );
    assert!(
        stream_took < Duration::from_secs(3),
        "the stream took {stream_took:?}"
    );
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{log}");
    assert!(took < Duration::from_secs(5), "took {took:?}: {log}");
    assert!(log.contains("SIGINT: shutting down"), "{log}");
}

/// An operator who signals twice wants out now, not after the drain.
#[actix_web::test]
async fn a_second_signal_exits_at_once() {
    let (_simulator, sim, _dir, mut binary) = with_a_stalled_read(8000, 30);
    let addr = binary.addr.clone();
    // Cut when the process exits: its outcome does not matter here.
    let _in_flight = std::thread::spawn(move || {
        let _ = raw_http::send_get(&addr, "/readings/current").read_to_end(&mut Vec::new());
    });
    until("the stalled read", || sim.calls(Endpoint::Read) == 1).await;
    binary.signal("TERM");
    until("the first signal to be handled", || {
        binary.log().contains("SIGTERM: shutting down")
    })
    .await;

    let signalled = Instant::now();
    binary.signal("TERM");
    let status = exit_status(&mut binary).await;

    let log = binary.stop();
    assert_eq!(status.code(), Some(128 + 15), "{log}");
    assert!(signalled.elapsed() < Duration::from_secs(3), "{log}");
}

/// The bound holds: a request still running when the timeout ends is cut, and the service
/// still exits 0, on time.
#[actix_web::test]
async fn a_request_outliving_the_shutdown_timeout_is_cut_and_the_exit_is_still_0() {
    let (_simulator, sim, _dir, mut binary) = with_a_stalled_read(8000, 1);
    let addr = binary.addr.clone();
    let in_flight = std::thread::spawn(move || {
        let mut answer = Vec::new();
        let read = raw_http::send_get(&addr, "/readings/current").read_to_end(&mut answer);
        (read.is_ok(), answer)
    });
    until("the stalled read", || sim.calls(Endpoint::Read) == 1).await;

    let signalled = Instant::now();
    binary.signal("TERM");
    let status = exit_status(&mut binary).await;
    let took = signalled.elapsed();
    until("the cut request", || in_flight.is_finished()).await;

    let log = binary.stop();
    let (_, answer) = in_flight.join().expect("request thread");
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    assert_eq!(status.code(), Some(0), "{log}");
    // One second of timeout, checked once a second: well before the 8-second stall ends.
    assert!(took < Duration::from_secs(4), "took {took:?}: {log}");
}
