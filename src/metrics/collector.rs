//! What the feeds' published snapshots say, read at each scrape: logins by outcome, the
//! circuit's state, the time of the newest reading and, only when `[metrics] glucose` is on,
//! the current glucose. Nothing is kept between scrapes, so a series exists exactly while
//! what it describes does: the glucose gauges vanish (rather than read 0) once the newest
//! reading is older than 10 minutes, which is what `absent()` alerts need.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

use crate::clock::Clock;
use crate::domain::AccountName;
use crate::feed::circuit::CircuitState;
use crate::feed::status::AccountStatus;
use crate::feed::{Board, Snapshot};

/// Reads every configured account's latest snapshot at scrape time.
pub struct FeedCollector {
    board: Arc<dyn Board>,
    /// In config order: the position is the feed's number.
    accounts: Vec<AccountName>,
    clock: Clock,
    glucose: bool,
}

impl std::fmt::Debug for FeedCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedCollector")
            .field("accounts", &self.accounts.len())
            .field("glucose", &self.glucose)
            .finish()
    }
}

/// One sample: the `account` label, the other label (if any), and the value.
type Sample<'a> = (&'a str, Option<(&'static str, &'static str)>, Value);

#[derive(Clone, Copy)]
enum Value {
    Count(u64),
    Level(f64),
}

impl FeedCollector {
    /// `glucose`: whether the glucose gauges are exported.
    pub fn new(
        board: Arc<dyn Board>,
        accounts: Vec<AccountName>,
        clock: Clock,
        glucose: bool,
    ) -> FeedCollector {
        FeedCollector {
            board,
            accounts,
            clock,
            glucose,
        }
    }

    /// Every sample, by metric, from the snapshots as they are now.
    fn samples<'a>(
        &'a self,
        snapshots: &'a [Option<Arc<Snapshot>>],
        now: DateTime<Utc>,
    ) -> Samples<'a> {
        let mut out = Samples::default();
        let none = AccountStatus::default();
        for (name, snapshot) in self.accounts.iter().zip(snapshots) {
            let name = name.as_str();
            let status = snapshot.as_ref().map_or(&none, |s| &s.status);
            let outcomes = status.login_outcomes;
            for (outcome, count) in [
                ("ok", outcomes.ok),
                ("rejected", outcomes.rejected),
                ("locked", outcomes.locked),
                ("timeout", outcomes.timed_out(status.logins)),
                ("failed", outcomes.failed),
            ] {
                out.logins
                    .push((name, Some(("outcome", outcome)), Value::Count(count)));
            }
            for state in [
                CircuitState::Closed,
                CircuitState::BackingOff,
                CircuitState::LoginBlocked,
            ] {
                let on = Value::Level(if status.circuit == state { 1.0 } else { 0.0 });
                out.circuit
                    .push((name, Some(("state", circuit_name(state))), on));
            }
            let window = snapshot.as_ref().map(|s| &s.window);
            if let Some(newest) = window.and_then(|w| w.newest()) {
                let seconds = newest.epoch_ms() as f64 / 1000.0;
                out.newest.push((name, None, Value::Level(seconds)));
            }
            if !self.glucose {
                continue;
            }
            if let Some(current) = window.and_then(|w| w.current(now)) {
                let level = |value| Value::Level(value);
                out.mg_dl
                    .push((name, None, level(f64::from(current.mg_dl))));
                out.mmol_l.push((name, None, level(current.mmol_l())));
                out.trend
                    .push((name, None, level(f64::from(current.trend.number()))));
            }
        }
        out
    }
}

/// One metric: what its `# HELP` and `# TYPE` lines say, and its samples.
struct Described<'a> {
    name: &'static str,
    help: &'static str,
    unit: Option<Unit>,
    kind: MetricType,
    samples: &'a [Sample<'a>],
}

#[derive(Default)]
struct Samples<'a> {
    logins: Vec<Sample<'a>>,
    circuit: Vec<Sample<'a>>,
    newest: Vec<Sample<'a>>,
    mg_dl: Vec<Sample<'a>>,
    mmol_l: Vec<Sample<'a>>,
    trend: Vec<Sample<'a>>,
}

fn circuit_name(state: CircuitState) -> &'static str {
    match state {
        CircuitState::Closed => "closed",
        CircuitState::BackingOff => "backing_off",
        CircuitState::LoginBlocked => "login_blocked",
    }
}

impl Collector for FeedCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let snapshots: Vec<Option<Arc<Snapshot>>> = (0..self.accounts.len())
            .map(|account| self.board.latest(account))
            .collect();
        let samples = self.samples(&snapshots, self.clock.now());
        let families = [
            Described {
                name: "logins",
                help: "Share login attempts by account and outcome (ok, rejected, locked, \
                       timeout, failed).",
                unit: None,
                kind: MetricType::Counter,
                samples: &samples.logins,
            },
            Described {
                name: "circuit_state",
                help: "1 for the state the account's circuit was in at its last refresh (closed, \
                       backing_off, login_blocked), 0 for the others.",
                unit: None,
                kind: MetricType::Gauge,
                samples: &samples.circuit,
            },
            Described {
                name: "reading_timestamp",
                help: "When the newest reading held for the account was taken (Unix time); absent \
                       while none is held.",
                unit: Some(Unit::Seconds),
                kind: MetricType::Gauge,
                samples: &samples.newest,
            },
            Described {
                name: "glucose_mg_dl",
                help: "Current glucose in mg/dL; absent when the newest reading is older than 10 \
                       minutes.",
                unit: None,
                kind: MetricType::Gauge,
                samples: &samples.mg_dl,
            },
            Described {
                name: "glucose_mmol_l",
                help: "Current glucose in mmol/L (mg/dL x 0.0555, one decimal); absent when the \
                       newest reading is older than 10 minutes.",
                unit: None,
                kind: MetricType::Gauge,
                samples: &samples.mmol_l,
            },
            Described {
                name: "glucose_trend",
                help: "Current trend: 0 none, 1 DoubleUp, 2 SingleUp, 3 FortyFiveUp, 4 Flat, 5 \
                       FortyFiveDown, 6 SingleDown, 7 DoubleDown, 8 NotComputable, 9 \
                       RateOutOfRange; absent when the newest reading is older than 10 minutes.",
                unit: None,
                kind: MetricType::Gauge,
                samples: &samples.trend,
            },
        ];
        for described in families {
            if described.samples.is_empty() {
                continue;
            }
            let mut family = encoder.encode_descriptor(
                described.name,
                described.help,
                described.unit.as_ref(),
                described.kind,
            )?;
            for (account, extra, value) in described.samples {
                let mut labels = vec![("account", *account)];
                labels.extend(*extra);
                let sample = family.encode_family(&labels)?;
                match value {
                    Value::Count(n) => ConstCounter::new(*n).encode(sample)?,
                    Value::Level(x) => ConstGauge::new(*x).encode(sample)?,
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "collector_tests.rs"]
mod tests;
