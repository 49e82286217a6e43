//! A hostile (or hijacked) upstream: answers that would make a Share client with awc's
//! defaults inflate a compressed body until the host runs out of memory, or follow a redirect
//! and send the Dexcom password to whatever host it names. The proxy refuses both as an
//! upstream fault (502 `upstream_bad_response`), and nothing of the redirect reaches its
//! answers or its log.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use dexcom_share_proxy::simulator::{BombEncoding, Endpoint, Fault, FaultKind};

use crate::helpers::{
    sim_config, spawn_app, start_simulator, Response, TestApp, ALICE_PASSWORD, ALICE_USER,
};
use crate::process::{proxy, Logged};

const MIB: u64 = 1024 * 1024;

fn fault(endpoint: Option<Endpoint>, kind: FaultKind, times: Option<u32>) -> Fault {
    Fault {
        endpoint,
        kind,
        times,
    }
}

fn bomb(encoding: BombEncoding, decoded_mb: u32) -> FaultKind {
    FaultKind::CompressionBomb {
        encoding,
        decoded_mb,
    }
}

/// The binary in front of `simulator`, with alice's account, logging at `level`.
fn start_binary(simulator_url: &str, dir: &Path, level: &str) -> Logged {
    let config = dir.join("proxy.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\n[[accounts]]\nname = \"alice\"\n\
             username = \"{ALICE_USER}\"\npassword = \"{ALICE_PASSWORD}\"\n\
             base_url = \"{simulator_url}\"\n"
        ),
    )
    .expect("write config");
    // Owner-only, as the binary asks of a file with passwords (it warns otherwise).
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let mut command = proxy();
    command.arg("--config").arg(&config).env("RUST_LOG", level);
    Logged::start(command)
}

/// `VmRSS` (resident now) and `VmHWM` (the peak so far) of a process, in bytes.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse::<u64>().ok())
            .map(|kib| kib * 1024)
            .unwrap_or_else(|| panic!("no {name} in {status}"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The binary, in front of Share answering every read with a bomb of hundreds of MiB (a few
/// KB or a few hundred KB on the wire), answers within seconds, and its peak memory grows by
/// a few MiB, not by the bomb.
#[actix_web::test]
async fn a_compression_bomb_is_refused_without_inflating_the_proxy() {
    for (encoding, decoded_mb) in [(BombEncoding::Zstd, 1024), (BombEncoding::Gzip, 512)] {
        // Arrange: the real binary in front of a simulator whose reads are all bombs.
        let simulator = start_simulator(sim_config());
        let dir = tempfile::tempdir().expect("temp dir");
        let binary = start_binary(&simulator.base_url(), dir.path(), "info");
        let app = TestApp::attach(format!("http://{}", binary.addr), simulator);
        app.sim.inject(fault(
            Some(Endpoint::Read),
            bomb(encoding, decoded_mb),
            None,
        ));
        let label = format!("{encoding:?} bomb of {decoded_mb} MiB");
        let (rss_before, _) = memory(binary.pid());

        // Act
        let started = Instant::now();
        let answer = app.get("/readings/current").await;
        let elapsed = started.elapsed();
        let (rss_after, peak) = memory(binary.pid());
        let health = app.get("/health").await;
        let log = binary.stop();

        // Assert
        let growth = peak.saturating_sub(rss_before);
        eprintln!(
            "{label}: {} after {elapsed:?}; RSS {} → {} MiB, peak {} MiB",
            answer.status,
            rss_before / MIB,
            rss_after / MIB,
            peak / MIB
        );
        assert!(
            growth < 40 * MIB,
            "{label}: peak memory grew by {} MiB",
            growth / MIB
        );
        answer.assert_problem(502, "upstream_bad_response");
        assert!(elapsed < Duration::from_secs(5), "{label}: {elapsed:?}");
        assert_eq!(health.status, 200, "{label}");
        assert!(app.sim.calls(Endpoint::Read) >= 1, "{label}");
        assert!(!log.contains(ALICE_PASSWORD), "{label}");
    }
}

/// A bomb costs one failed refresh (on a read or on a login); the next refresh is served.
#[actix_web::test]
async fn after_a_compression_bomb_the_next_refresh_is_served() {
    let cases = [
        (Endpoint::Read, BombEncoding::Zstd),
        (Endpoint::Read, BombEncoding::Gzip),
        (Endpoint::Authenticate, BombEncoding::Zstd),
        (Endpoint::LoginById, BombEncoding::Gzip),
    ];
    for (endpoint, encoding) in cases {
        let app = spawn_app().await;
        let label = format!("{encoding:?} bomb on {endpoint:?}");
        app.sim
            .inject(fault(Some(endpoint), bomb(encoding, 256), Some(1)));

        let refused = app.get("/readings/current").await;

        refused.assert_problem(502, "upstream_bad_response");
        let published = if endpoint == Endpoint::Read { 2 } else { 1 };
        app.until_published("alice", published).await;
        let served = app.get("/readings/current").await;
        assert_eq!(served.status, 200, "{label}: recovers at the next refresh");
    }
}

/// A second server on another loopback port that records every connection it accepts (and
/// answers like Share would, so that a client that went there would carry on).
struct Trap {
    port: u16,
    received: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Trap {
    fn start() -> Trap {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the trap");
        listener.set_nonblocking(true).expect("non-blocking accept");
        let port = listener.local_addr().expect("trap address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, stopped) = (Arc::clone(&received), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let request = answer_like_share(stream);
                        log.lock().expect("trap log").push(request);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    Err(_) => return,
                }
            }
        });
        Trap {
            port,
            received,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn received(&self) -> Vec<String> {
        self.received.lock().expect("trap log").clone()
    }
}

impl Drop for Trap {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request (head and `Content-Length` body, or what arrives within a second) and
/// answers 200 with a session ID, or `[]` for a read. Returns the request as text.
fn answer_like_share(mut stream: TcpStream) -> String {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
        let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if request.len() >= end + 4 + length {
                break;
            }
        }
    }
    let request = String::from_utf8_lossy(&request).into_owned();
    let body = if request.contains("ReadPublisherLatestGlucoseValues") {
        "[]"
    } else {
        "\"5b1e3c55-7d2a-4f0e-9d3c-2a1b0c9d8e7f\""
    };
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    request
}

/// Headers and body of an answer, as one text to search.
fn text_of(response: &Response) -> String {
    format!(
        "{:?} {}",
        response.headers,
        String::from_utf8_lossy(&response.body)
    )
}

/// A 3xx from any Share call is an upstream fault: nothing is sent where it points (no
/// connection at all, so certainly not the password a 307 or 308 would re-send), and the
/// `Location` is in no answer.
#[actix_web::test]
async fn a_redirect_from_share_is_not_followed_and_is_a_502() {
    let cases = [
        (Endpoint::LoginById, 307),
        (Endpoint::LoginById, 308),
        (Endpoint::Authenticate, 307),
        (Endpoint::Authenticate, 308),
        (Endpoint::Read, 307),
        (Endpoint::Read, 308),
        (Endpoint::LoginById, 301),
        (Endpoint::Authenticate, 302),
        (Endpoint::Read, 303),
    ];
    for (endpoint, status) in cases {
        // Arrange: every call to this endpoint is redirected to the trap.
        let trap = Trap::start();
        let location = trap.url("/collect/share-password-9f3e?from=share");
        let app = spawn_app().await;
        let redirect = FaultKind::Redirect {
            status,
            location: location.clone(),
        };
        app.sim.inject(fault(Some(endpoint), redirect, None));
        let label = format!("{status} on {endpoint:?}");

        // Act
        let answer = app.get("/readings/current").await;
        let accounts = app.get("/accounts").await;
        // Anything sent to the trap would have been sent before the answer; allow for a
        // slow accept all the same.
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;

        // Assert
        let received = trap.received();
        assert!(
            received.is_empty(),
            "{label}: the trap received {received:?}"
        );
        answer.assert_problem(502, "upstream_bad_response");
        assert!(app.sim.calls(endpoint) >= 1, "{label}");
        let port = format!("127.0.0.1:{}", trap.port);
        for response in [&answer, &accounts] {
            let text = text_of(response);
            for secret in [
                location.as_str(),
                &port,
                "share-password-9f3e",
                ALICE_PASSWORD,
            ] {
                assert!(!text.contains(secret), "{label}: {secret} in {text}");
            }
        }
    }
}

/// The real binary, at debug level, in front of a Share that redirects every call (the
/// first is the login with the password): no connection to the target, a 502, and neither
/// the target nor the password in anything it logged or answered.
#[actix_web::test]
async fn the_binary_sends_nothing_to_a_redirect_target_and_logs_none_of_it() {
    let trap = Trap::start();
    let location = trap.url("/collect/share-password-9f3e");
    let simulator = start_simulator(sim_config());
    let dir = tempfile::tempdir().expect("temp dir");
    let binary = start_binary(&simulator.base_url(), dir.path(), "debug");
    let app = TestApp::attach(format!("http://{}", binary.addr), simulator);
    let redirect = FaultKind::Redirect {
        status: 307,
        location: location.clone(),
    };
    app.sim.inject(fault(None, redirect, None));

    let answer = app.get("/readings/current").await;
    let accounts = app.get("/accounts").await;
    let log = binary.stop();

    let received = trap.received();
    assert!(received.is_empty(), "the trap received {received:?}");
    answer.assert_problem(502, "upstream_bad_response");
    assert!(log.contains("login failed"), "{log}");
    let port = format!("127.0.0.1:{}", trap.port);
    let answers = format!("{}\n{}", text_of(&answer), text_of(&accounts));
    for (what, text) in [("the log", &log), ("an answer", &answers)] {
        for secret in [
            location.as_str(),
            &port,
            "share-password-9f3e",
            ALICE_PASSWORD,
        ] {
            assert!(!text.contains(secret), "{secret} in {what}: {text}");
        }
    }
}
