use chrono::Duration;
use prometheus_client::registry::Registry;

use super::*;
use crate::domain::{Reading, Trend};
use crate::feed::status::LoginOutcomes;
use crate::feed::window::Window;
use crate::feed::LocalBoard;

fn snapshot(reading_age: Duration, status: AccountStatus) -> Snapshot {
    let now = Utc::now();
    let taken = (now - reading_age).fixed_offset();
    let reading = Reading::new(142, Trend::FortyFiveUp, taken).expect("valid reading");
    Snapshot {
        run: 1,
        window: Arc::new(Window::new(vec![reading], now)),
        fetched_at: Some(now),
        failure: None,
        next_poll_at: now,
        reading_due: None,
        lag: Duration::zero(),
        status,
    }
}

/// The exposition of a collector over `alice` (given `snapshot`) and `bob` (no snapshot yet).
fn exposition(alice: Option<Snapshot>, glucose: bool) -> String {
    let board = Arc::new(LocalBoard::new(2));
    if let Some(snapshot) = alice {
        board.publish(0, Arc::new(snapshot));
    }
    let names = ["alice", "bob"]
        .map(|n| AccountName::parse(n).expect("valid name"))
        .to_vec();
    let mut registry = Registry::with_prefix("p");
    registry.register_collector(Box::new(FeedCollector::new(
        board,
        names,
        Clock::system(),
        glucose,
    )));
    let mut text = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut text, &registry).expect("encodes");
    text
}

#[test]
fn glucose_is_exported_only_when_switched_on_and_only_while_current() {
    let fresh = || Some(snapshot(Duration::minutes(3), AccountStatus::default()));

    let off = exposition(fresh(), false);
    let on = exposition(fresh(), true);
    let stale = exposition(
        Some(snapshot(Duration::minutes(11), AccountStatus::default())),
        true,
    );

    assert!(!off.contains("glucose"), "{off}");
    assert!(
        on.contains("p_glucose_mg_dl{account=\"alice\"} 142"),
        "{on}"
    );
    assert!(
        on.contains("p_glucose_mmol_l{account=\"alice\"} 7.9"),
        "{on}"
    );
    assert!(on.contains("p_glucose_trend{account=\"alice\"} 3"), "{on}");
    assert!(!on.contains("glucose_mg_dl{account=\"bob\"}"), "{on}");
    assert!(!stale.contains("glucose"), "absent, not zero: {stale}");
    assert!(stale.contains("p_reading_timestamp_seconds{account=\"alice\"}"));
    assert!(!stale.contains("p_reading_timestamp_seconds{account=\"bob\"}"));
}

#[test]
fn logins_and_circuit_come_from_the_published_status_for_every_configured_account() {
    let status = AccountStatus {
        circuit: CircuitState::BackingOff,
        logins: 4,
        login_outcomes: LoginOutcomes {
            ok: 1,
            rejected: 1,
            timeout: 1,
            ..LoginOutcomes::default()
        },
        ..AccountStatus::default()
    };

    let text = exposition(Some(snapshot(Duration::minutes(1), status)), false);

    for line in [
        "p_logins_total{account=\"alice\",outcome=\"ok\"} 1",
        "p_logins_total{account=\"alice\",outcome=\"rejected\"} 1",
        // One answered too late, one cut off by the refresh deadline.
        "p_logins_total{account=\"alice\",outcome=\"timeout\"} 2",
        "p_logins_total{account=\"bob\",outcome=\"ok\"} 0",
        "p_circuit_state{account=\"alice\",state=\"backing_off\"} 1",
        "p_circuit_state{account=\"alice\",state=\"closed\"} 0",
        "p_circuit_state{account=\"bob\",state=\"closed\"} 1",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(line)),
            "{line} missing:\n{text}"
        );
    }
}
