//! The connection to the broker: rumqttc's event loop, driven by one task that reconnects
//! with a doubling, jittered back-off and tells the publisher when a new connection is up.
//! Nothing is queued for a connection that is down: what was waiting for the lost one is
//! dropped, and the publisher sends what is current once the next one is up.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rumqttc::{
    ConnectReturnCode, ConnectionError, Event, EventLoop, LastWill, MqttOptions, Outgoing, Packet,
    QoS, TlsConfiguration, Transport,
};
use tokio::sync::{watch, Notify};

use super::topics::OFFLINE;
use crate::config::MqttSettings;

/// The first wait after a failure, and the longest.
pub const RETRY_INITIAL: Duration = Duration::from_secs(1);
pub const RETRY_MAX: Duration = Duration::from_secs(60);
/// A connection that lasted this long was a good one: the next failure starts the back-off
/// afresh. A broker that drops every connection at once (e.g. another client with the same
/// client ID) still gets the growing back-off.
const STABLE_AFTER: Duration = Duration::from_secs(30);
const KEEP_ALIVE: Duration = Duration::from_secs(30);
/// Discovery configs are about 1 KB; nothing comes in but acknowledgements.
const MAX_PACKET: usize = 64 * 1024;
/// Publishes awaiting the broker's acknowledgement (rumqttc's default is 100): a handful of
/// retained messages per account, no more need be on the wire at once.
pub const INFLIGHT: u16 = 16;

/// Whether the broker connection is up; each new connection has a new number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Down,
    Up(u64),
}

/// The client's options: the last will (`offline`, retained), credentials, TLS for
/// `mqtts://` (webpki roots, the ring provider: no OS certificates needed).
pub fn options(settings: &MqttSettings, will_topic: String) -> Result<MqttOptions, String> {
    let broker = &settings.broker;
    let mut options = MqttOptions::new(&settings.client_id, &broker.host, broker.port);
    options
        .set_keep_alive(KEEP_ALIVE)
        .set_clean_session(true)
        .set_max_packet_size(MAX_PACKET, MAX_PACKET)
        .set_inflight(INFLIGHT)
        .set_last_will(LastWill::new(will_topic, OFFLINE, QoS::AtLeastOnce, true));
    if let Some(username) = &settings.username {
        let password = settings
            .password
            .as_ref()
            .map(|p| p.expose().clone())
            .unwrap_or_default();
        options.set_credentials(username, password);
    }
    if broker.tls {
        options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
            Arc::new(tls_config()?),
        )));
    }
    Ok(options)
}

fn tls_config() -> Result<rustls::ClientConfig, String> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// What the link reports besides its state: for logs and for tests that check memory stays
/// flat while the broker is away.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections made (ConnAcks received) since start.
    pub connections: AtomicU64,
    /// Requests rumqttc holds for a later connection, plus those awaiting the broker's
    /// acknowledgement, after the last event.
    pub backlog: AtomicUsize,
}

/// The link task's channels.
pub struct Signals {
    pub link: watch::Sender<Link>,
    pub stop: watch::Receiver<bool>,
    /// Notified when DISCONNECT has been sent, or when stopping finds no connection.
    pub finished: Arc<Notify>,
    pub stats: Arc<Stats>,
}

/// Polls the event loop until the service stops: reports connections on `link`, waits the
/// back-off after each failure, and drops what the lost connection left queued.
pub async fn drive(mut events: EventLoop, signals: Signals, broker: String) {
    let Signals {
        link,
        mut stop,
        finished,
        stats,
    } = signals;
    let mut backoff = Backoff::new(RETRY_INITIAL, RETRY_MAX);
    let mut up_since: Option<Instant> = None;
    loop {
        let polled = events.poll().await;
        stats.backlog.store(backlog(&events), Ordering::Relaxed);
        match polled {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                let connection = stats.connections.fetch_add(1, Ordering::Relaxed) + 1;
                up_since = Some(Instant::now());
                log::info!("mqtt: connected to {broker}");
                link.send_replace(Link::Up(connection));
            }
            Ok(Event::Outgoing(Outgoing::Disconnect)) => {
                log::info!("mqtt: disconnected from {broker}; `offline` published");
                link.send_replace(Link::Down);
                finished.notify_one();
                return;
            }
            Ok(_) => {}
            Err(error) => {
                link.send_replace(Link::Down);
                if *stop.borrow() {
                    finished.notify_one();
                    return;
                }
                let was_up = up_since.take();
                if was_up.is_some_and(|at| at.elapsed() >= STABLE_AFTER) {
                    backoff.reset();
                }
                let delay = backoff.next(random_fraction());
                let what = if was_up.is_some() {
                    "connection lost"
                } else {
                    "cannot connect"
                };
                log::warn!(
                    "mqtt: {what} to {broker}: {}; retrying in {:.1} s",
                    reason(&error),
                    delay.as_secs_f64()
                );
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    Ok(_) = stop.wait_for(|stopping| *stopping) => {
                        finished.notify_one();
                        return;
                    }
                }
                // Publishes queued for the lost connection (or in flight on it) are stale by
                // now: the publisher sends the current ones when the next connection is up.
                events.clean();
                events.pending.clear();
                stats.backlog.store(backlog(&events), Ordering::Relaxed);
            }
        }
    }
}

fn backlog(events: &EventLoop) -> usize {
    events.pending.len() + usize::from(events.state.inflight())
}

/// Why a connection failed, in words; never the credentials (rumqttc's errors hold none).
pub fn reason(error: &ConnectionError) -> String {
    match error {
        ConnectionError::ConnectionRefused(code) => match code {
            ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized => {
                "the broker refused the user name or password ([mqtt] username, password)"
                    .to_owned()
            }
            ConnectReturnCode::BadClientId => {
                "the broker refused the client ID ([mqtt] client_id)".to_owned()
            }
            ConnectReturnCode::ServiceUnavailable => "the broker is unavailable".to_owned(),
            other => format!("the broker refused the connection ({other:?})"),
        },
        other => other.to_string(),
    }
}

/// Doubling waits from `initial` to `max`, each drawn between half and all of its step
/// ("equal jitter"), so that many clients of one broker do not come back in step.
#[derive(Debug)]
pub struct Backoff {
    step: Duration,
    initial: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Backoff {
        Backoff {
            step: initial,
            initial,
            max,
        }
    }

    /// The next wait; `random` is in `[0, 1)`.
    pub fn next(&mut self, random: f64) -> Duration {
        let step = self.step;
        self.step = (self.step * 2).min(self.max);
        step.mul_f64(0.5 + 0.5 * random.clamp(0.0, 1.0))
    }

    pub fn reset(&mut self) {
        self.step = self.initial;
    }
}

/// A number in `[0, 1)` from the standard library's randomly keyed hasher: good enough to
/// spread reconnections, with no random-number crate.
fn random_fraction() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(Instant::now().elapsed().as_nanos());
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Broker;
    use crate::domain::Secret;

    #[test]
    fn waits_double_up_to_the_maximum_with_jitter_and_start_again_after_a_reset() {
        let mut backoff = Backoff::new(RETRY_INITIAL, RETRY_MAX);
        let longest: Vec<u64> = (0..9).map(|_| backoff.next(0.999_999).as_secs()).collect();
        assert_eq!(longest, [0, 1, 3, 7, 15, 31, 59, 59, 59]);
        backoff.reset();
        assert_eq!(backoff.next(0.0), Duration::from_millis(500));
        assert_eq!(backoff.next(0.0), Duration::from_secs(1));
        let r = random_fraction();
        assert!((0.0..1.0).contains(&r), "{r}");
    }

    fn settings(tls: bool) -> MqttSettings {
        MqttSettings {
            broker: Broker {
                host: "broker.example.org".into(),
                port: 8883,
                tls,
            },
            username: Some("ha".into()),
            password: Some(Secret::new("hunter2".into())),
            client_id: "dexcom-share-proxy".into(),
            topic_prefix: "dexcom-share-proxy".into(),
            discovery_prefix: "homeassistant".into(),
            accounts: None,
        }
    }

    #[test]
    fn options_carry_the_will_and_credentials_and_tls_for_mqtts() {
        for tls in [false, true] {
            let options = options(&settings(tls), "p/status".into()).expect("options");
            let will = options.last_will().expect("a last will");
            assert_eq!(will.topic, "p/status");
            assert_eq!(&will.message[..], b"offline");
            assert!(will.retain);
            assert_eq!(will.qos, QoS::AtLeastOnce);
            let login = options.credentials().expect("credentials");
            assert_eq!(login.username, "ha");
            assert_eq!(
                matches!(options.transport(), Transport::Tls(_)),
                tls,
                "TLS only for mqtts://"
            );
            assert!(options.clean_session());
        }
    }

    #[test]
    fn refusals_are_told_in_words() {
        let refused = ConnectionError::ConnectionRefused(ConnectReturnCode::NotAuthorized);
        assert!(reason(&refused).contains("user name or password"));
    }
}
