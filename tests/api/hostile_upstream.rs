//! A hostile (or hijacked) upstream: answers that would make a Share client with awc's
//! defaults inflate a compressed body until the host runs out of memory. The proxy refuses
//! them as an upstream fault (502 `upstream_bad_response`).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use dexcom_share_proxy::simulator::{BombEncoding, Endpoint, Fault, FaultKind};

use crate::helpers::{
    sim_config, spawn, start_simulator, Options, TestApp, ALICE_PASSWORD, ALICE_USER,
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
        let app = spawn(Options::default()).await;
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
