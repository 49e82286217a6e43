//! MQTT with Home Assistant discovery, against a real Mosquitto started by each test on
//! 127.0.0.1, a real proxy and the Share simulator: discovery configs, retained states that
//! agree with `/readings/current`, availability, the last will, a clean stop, a broker that
//! goes away and comes back, and a reading turning stale with no new one.

mod broker;

use std::time::Duration;

use dexcom_share_proxy::clock::Clock;
use dexcom_share_proxy::config::{Broker, MqttSettings};
use dexcom_share_proxy::domain::AccountName;
use dexcom_share_proxy::mqtt::link::INFLIGHT;
use dexcom_share_proxy::mqtt::{MqttProbe, QUEUE};
use serde_json::{json, Value};

use crate::helpers::{alice_and_bob, sim_config, spawn_app_with, start_simulator, Setup, TestApp};
use crate::process::{proxy, Logged};
use broker::{Message, Mosquitto, Subscriber};

/// Generous: two cores shared with every other test, and a reconnection back-off that may
/// have grown to several seconds.
const PATIENCE: Duration = Duration::from_secs(60);

const SERVICE: &str = "dexcom-share-proxy/status";
const OBJECTS: [(&str, &str); 7] = [
    ("sensor", "glucose_mg_dl"),
    ("sensor", "glucose_mmol_l"),
    ("sensor", "trend"),
    ("sensor", "trend_arrow"),
    ("sensor", "range"),
    ("sensor", "reading_time"),
    ("binary_sensor", "stale"),
];

fn state_topic(account: &str) -> String {
    format!("dexcom-share-proxy/{account}/state")
}

fn availability_topic(account: &str) -> String {
    format!("dexcom-share-proxy/{account}/availability")
}

fn discovery_topic(component: &str, account: &str, object_id: &str) -> String {
    format!("homeassistant/{component}/dexcom-share-proxy_{account}/{object_id}/config")
}

fn mqtt_settings(broker: &Mosquitto, client_id: &str) -> MqttSettings {
    MqttSettings {
        broker: Broker {
            host: "127.0.0.1".to_owned(),
            port: broker.port(),
            tls: false,
        },
        username: None,
        password: None,
        client_id: client_id.to_owned(),
        topic_prefix: "dexcom-share-proxy".to_owned(),
        discovery_prefix: "homeassistant".to_owned(),
        accounts: None,
    }
}

/// A proxy publishing to a broker, in front of a simulator.
struct MqttApp {
    app: TestApp,
}

/// A proxy set up as `change` says, publishing the accounts `published` (all when `None`) to
/// `broker`.
async fn spawn_publishing(
    broker: &Mosquitto,
    published: Option<&[&str]>,
    change: impl FnOnce(&mut Setup),
) -> MqttApp {
    let mut mqtt = mqtt_settings(broker, "proxy-under-test");
    mqtt.accounts = published.map(|names| {
        names
            .iter()
            .map(|n| AccountName::parse(n).expect("valid name"))
            .collect()
    });
    let app = spawn_app_with(|setup| {
        change(setup);
        setup.settings.mqtt = Some(mqtt);
    })
    .await;
    assert!(app.mqtt.is_some(), "[mqtt] is configured");
    MqttApp { app }
}

impl MqttApp {
    /// What the publisher tells about itself.
    fn probe(&self) -> &MqttProbe {
        self.app.mqtt.as_ref().expect("[mqtt] is configured")
    }

    async fn until_connected(&self, connections: u64) {
        self.app
            .until(&format!("connection {connections} to the broker"), |_| {
                self.probe().connected() && self.probe().connections() >= connections
            })
            .await;
    }
}

/// Every topic the proxy publishes for these accounts.
fn topics(accounts: &[&str]) -> Vec<String> {
    let mut topics = vec![SERVICE.to_owned()];
    for account in accounts {
        for (component, object_id) in OBJECTS {
            topics.push(discovery_topic(component, account, object_id));
        }
        topics.push(state_topic(account));
        topics.push(availability_topic(account));
    }
    topics
}

/// Waits until the subscriber has every entity's config for each account, the service's
/// and each account's availability, and each account's state.
async fn until_introduced(subscriber: &Subscriber, accounts: &[&str]) {
    let topics = topics(accounts);
    subscriber
        .until(
            "every config, availability and state",
            PATIENCE,
            |messages| {
                topics
                    .iter()
                    .all(|t| messages.iter().any(|m| &m.topic == t))
                    .then_some(())
            },
        )
        .await;
}

/// A subscriber that comes after everything was published gets all of it at once, retained.
async fn late_subscriber(broker: &Mosquitto, name: &str, accounts: &[&str]) -> Subscriber {
    let subscriber = Subscriber::connect(broker, name);
    until_introduced(&subscriber, accounts).await;
    let messages = subscriber.messages();
    for topic in topics(accounts) {
        let first = messages
            .iter()
            .find(|m| m.topic == topic)
            .expect("received");
        assert!(first.retain, "{topic} is retained");
    }
    subscriber
}

/// The state document and `/readings/current` of the same moment: both are read until they
/// agree on the reading (a new one may arrive in between), and the state is returned.
async fn state_agreeing_with_current(
    app: &TestApp,
    subscriber: &Subscriber,
    account: &str,
) -> Value {
    let start = std::time::Instant::now();
    loop {
        let current = app
            .get(&format!("/readings/current?account={account}"))
            .await;
        let state = subscriber.latest(&state_topic(account)).map(|m| m.json());
        if let (200, Some(state)) = (current.status.as_u16(), state) {
            let current = current.json();
            if state["reading_time"] == current["datetime"] {
                assert_eq!(state["mg_dl"], current["mg_dl"]);
                assert_eq!(state["mmol_l"], current["mmol_l"]);
                assert_eq!(state["trend"], current["trend_direction"]);
                assert_eq!(state["trend_number"], current["trend"]);
                assert_eq!(state["arrow"], current["trend_arrow"]);
                assert_eq!(state["description"], current["trend_description"]);
                return state;
            }
        }
        assert!(
            start.elapsed() < PATIENCE,
            "the state of {account} never agreed with /readings/current"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Two accounts, each its own device with seven entities; states retained and equal to
/// what `/readings/current` answers; the service and both accounts available.
#[actix_web::test]
async fn discovery_configs_and_retained_states_describe_each_account() {
    // Arrange
    let broker = Mosquitto::start();
    let watcher = Subscriber::connect(&broker, "watcher");
    let proxy = spawn_publishing(&broker, None, alice_and_bob).await;
    until_introduced(&watcher, &["alice", "bob"]).await;

    // Act: Home Assistant comes after everything was published.
    let subscriber = late_subscriber(&broker, "home-assistant", &["alice", "bob"]).await;

    // Assert: the configs.
    for account in ["alice", "bob"] {
        let node = format!("dexcom-share-proxy_{account}");
        for (component, object_id) in OBJECTS {
            let topic = discovery_topic(component, account, object_id);
            let config = subscriber.latest(&topic).expect("config").json();
            assert_eq!(
                config["unique_id"],
                format!("{node}_{object_id}"),
                "{topic}"
            );
            assert_eq!(config["state_topic"], state_topic(account), "{topic}");
            assert!(config["value_template"]
                .as_str()
                .is_some_and(|t| t.contains("value_json")));
            assert_eq!(config["device"]["identifiers"], json!([node]), "{topic}");
            assert_eq!(config["device"]["name"], format!("Dexcom {account}"));
            assert_eq!(config["device"]["manufacturer"], "dexcom-share-proxy");
            assert_eq!(config["device"]["sw_version"], env!("CARGO_PKG_VERSION"));
            assert_eq!(config["availability_mode"], "all", "{topic}");
            let availability: Vec<&str> = config["availability"]
                .as_array()
                .expect("availability list")
                .iter()
                .map(|a| a["topic"].as_str().expect("topic"))
                .collect();
            // The entities about the data's age stay available when the data is stale:
            // made unavailable with it, the stale sensor could never say "stale".
            let want = if matches!(object_id, "stale" | "reading_time") {
                vec![SERVICE.to_owned()]
            } else {
                vec![SERVICE.to_owned(), availability_topic(account)]
            };
            assert_eq!(availability, want, "{topic}");
        }
        let config = |object_id: &str| {
            let component = if object_id == "stale" {
                "binary_sensor"
            } else {
                "sensor"
            };
            subscriber
                .latest(&discovery_topic(component, account, object_id))
                .expect("config")
                .json()
        };
        for (object_id, unit) in [("glucose_mg_dl", "mg/dL"), ("glucose_mmol_l", "mmol/L")] {
            assert_eq!(
                config(object_id)["device_class"],
                "blood_glucose_concentration"
            );
            assert_eq!(config(object_id)["state_class"], "measurement");
            assert_eq!(config(object_id)["unit_of_measurement"], unit);
        }
        assert_eq!(config("trend")["device_class"], "enum");
        assert_eq!(
            config("trend")["options"].as_array().map(Vec::len),
            Some(10)
        );
        assert_eq!(
            config("range")["options"],
            json!(["urgent_low", "low", "in_range", "high", "urgent_high"])
        );
        assert_eq!(config("reading_time")["device_class"], "timestamp");
        assert_eq!(config("stale")["device_class"], "problem");
    }

    // Assert: the states, the availability.
    for account in ["alice", "bob"] {
        let state = state_agreeing_with_current(&proxy.app, &subscriber, account).await;
        assert_eq!(state["stale"], false, "{state}");
        assert_eq!(state["status"], "fresh", "{state}");
        let option = state["range"].as_str().expect("range");
        assert!(["urgent_low", "low", "in_range", "high", "urgent_high"].contains(&option));
        let trend = state["trend"].as_str().expect("trend");
        let trend_config = subscriber
            .latest(&discovery_topic("sensor", account, "trend"))
            .expect("config")
            .json();
        assert!(trend_config["options"]
            .as_array()
            .expect("options")
            .contains(&json!(trend)));
        let availability = subscriber
            .latest(&availability_topic(account))
            .expect("availability");
        assert_eq!(availability.text(), "online");
    }
    assert_eq!(subscriber.latest(SERVICE).expect("status").text(), "online");
    assert!(
        subscriber
            .messages()
            .iter()
            .all(|m| m.topic.starts_with("homeassistant/")
                || m.topic.starts_with("dexcom-share-proxy/")),
        "nothing outside the two prefixes"
    );
}

/// `accounts = ["bob"]`: bob alone is published, and bob is watched with nobody asking.
#[actix_web::test]
async fn only_the_named_accounts_are_published_and_they_are_always_watched() {
    let broker = Mosquitto::start();
    let subscriber = Subscriber::connect(&broker, "home-assistant");
    let proxy = spawn_publishing(&broker, Some(&["bob"]), alice_and_bob).await;

    until_introduced(&subscriber, &["bob"]).await;

    assert!(
        subscriber
            .messages()
            .iter()
            .all(|m| !m.topic.contains("alice")),
        "alice is not published"
    );
    // No client has asked for anything: the publisher's hold alone keeps bob's feed running.
    let accounts = proxy.app.get("/accounts").await.json();
    let watched = |name: &str| {
        accounts
            .as_array()
            .expect("array")
            .iter()
            .find(|a| a["name"] == name)
            .map(|a| a["watched"].clone())
    };
    assert_eq!(watched("bob"), Some(json!(true)));
    assert_eq!(watched("alice"), Some(json!(false)));
}

/// The proxy's connection ends without a goodbye (its tasks dropped, as when the process is
/// killed): the broker publishes the last will, a retained `offline`.
#[actix_web::test]
async fn the_last_will_says_offline_when_the_service_vanishes() {
    let broker = Mosquitto::start();
    let subscriber = Subscriber::connect(&broker, "home-assistant");
    let proxy = spawn_publishing(&broker, None, |_| {}).await;
    subscriber
        .until_on(SERVICE, PATIENCE, |m| m.text() == "online")
        .await;

    // Act: drop the running application; nothing in a drop says goodbye.
    proxy.app.abort_proxy();

    subscriber
        .until_on(SERVICE, PATIENCE, |m| m.text() == "offline")
        .await;
    let later = Subscriber::connect(&broker, "late-subscriber");
    let retained = later.until_on(SERVICE, PATIENCE, |m| m.retain).await;
    assert_eq!(retained.text(), "offline", "the will is retained");
    let log = broker.log();
    assert!(
        log.contains("Client proxy-under-test closed its connection")
            || log.contains("Socket error on client proxy-under-test"),
        "the broker saw the connection end without DISCONNECT: {log}"
    );
    assert!(
        !log.contains("Client proxy-under-test disconnected."),
        "{log}"
    );
}

/// SIGTERM to the real binary: it publishes `offline` itself and disconnects cleanly (the
/// broker then drops the will); its log names the broker and never the MQTT password.
#[actix_web::test]
async fn a_clean_stop_says_offline_itself_and_logs_no_password() {
    const MQTT_PASSWORD: &str = "mqtt-password-4e1d9b";
    let broker = Mosquitto::start();
    let simulator = start_simulator(sim_config());
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("proxy.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\n\
             [[accounts]]\nname = \"alice\"\nusername = \"{}\"\npassword = \"{}\"\n\
             base_url = \"{}\"\n\
             [mqtt]\nurl = \"{}\"\nusername = \"home-assistant\"\n\
             password_env = \"TEST_MQTT_PASSWORD\"\nclient_id = \"proxy-binary\"\n",
            crate::helpers::ALICE_USER,
            crate::helpers::ALICE_PASSWORD,
            simulator.base_url(),
            broker.url()
        ),
    )
    .expect("write config");
    let mut command = proxy();
    command
        .arg("--config")
        .arg(&config)
        .env("RUST_LOG", "trace")
        .env("TEST_MQTT_PASSWORD", MQTT_PASSWORD);
    let binary = Logged::start(command);
    let subscriber = Subscriber::connect(&broker, "home-assistant");
    subscriber
        .until_on(&state_topic("alice"), PATIENCE, |m| {
            m.json()["status"] == "fresh"
        })
        .await;
    // actix catches SIGTERM only once its workers are up, which on a busy machine can be
    // after MQTT is: until then SIGTERM kills the process (and the will speaks).
    let start = std::time::Instant::now();
    while !catches_sigterm(binary.pid()) {
        assert!(start.elapsed() < PATIENCE, "SIGTERM is never caught");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }

    // Act
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &binary.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());

    // Assert
    subscriber
        .until_on(SERVICE, PATIENCE, |m| m.text() == "offline")
        .await;
    let start = std::time::Instant::now();
    while !broker.log().contains("Client proxy-binary disconnected") && start.elapsed() < PATIENCE {
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let log = binary.stop();
    assert!(
        broker.log().contains("Client proxy-binary disconnected"),
        "no clean DISCONNECT; the broker's log: {}\nthe proxy's log: {log}",
        broker.log()
    );
    assert!(
        log.contains("mqtt: connected to mqtt://127.0.0.1:"),
        "{log}"
    );
    assert!(
        log.contains("mqtt: disconnected from mqtt://127.0.0.1:"),
        "{log}"
    );
    assert!(
        !log.contains(MQTT_PASSWORD),
        "the MQTT password is in the log"
    );
}

/// Whether the process has a handler for SIGTERM (`SigCgt` in `/proc/<pid>/status`).
fn catches_sigterm(pid: u32) -> bool {
    const SIGTERM: u32 = 15;
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            let mask = status.lines().find_map(|l| l.strip_prefix("SigCgt:"))?;
            u64::from_str_radix(mask.trim(), 16).ok()
        })
        .is_some_and(|mask| mask & (1 << (SIGTERM - 1)) != 0)
}

/// The broker goes away for a while and comes back with nothing retained (no persistence):
/// the proxy reconnects with back-off and publishes configs, availability and the newest
/// state again; meanwhile at most one state per account waits, and the MQTT client holds
/// no growing queue.
#[actix_web::test]
async fn after_a_broker_restart_everything_is_published_again_and_memory_stays_flat() {
    // Arrange: a clock 60 times faster, so that readings keep coming during the outage.
    let mut broker = Mosquitto::start();
    let proxy = spawn_publishing(&broker, None, |setup| {
        alice_and_bob(setup);
        setup.clock = Clock::scaled(60.0);
    })
    .await;
    let subscriber = Subscriber::connect(&broker, "home-assistant");
    until_introduced(&subscriber, &["alice", "bob"]).await;
    let before = subscriber
        .latest(&state_topic("alice"))
        .expect("state")
        .json();
    drop(subscriber);

    // Act: the broker is gone while new readings arrive.
    broker.stop();
    proxy
        .app
        .until("the proxy to see the broker gone", |_| {
            !proxy.probe().connected()
        })
        .await;
    let mut most_waiting = 0;
    let mut largest_backlog = 0;
    let start = std::time::Instant::now();
    loop {
        most_waiting = most_waiting.max(proxy.probe().waiting_states());
        largest_backlog = largest_backlog.max(proxy.probe().client_backlog());
        let latest = proxy.app.get("/readings/latest?account=alice").await.json();
        if latest["datetime"] != before["reading_time"] && start.elapsed() > Duration::from_secs(8)
        {
            break;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "no new reading during the outage"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        most_waiting <= 2,
        "{most_waiting} states waited for 2 accounts"
    );
    assert!(
        largest_backlog <= QUEUE + usize::from(INFLIGHT),
        "the MQTT client held {largest_backlog} messages"
    );
    broker.restart();
    let watcher = Subscriber::connect(&broker, "watcher");

    // Assert
    proxy.until_connected(2).await;
    until_introduced(&watcher, &["alice", "bob"]).await;
    let subscriber = late_subscriber(&broker, "home-assistant-again", &["alice", "bob"]).await;
    let after = state_agreeing_with_current(&proxy.app, &subscriber, "alice").await;
    assert_ne!(
        after["reading_time"], before["reading_time"],
        "the newest state, not the last sent"
    );
    assert_eq!(subscriber.latest(SERVICE).expect("status").text(), "online");
    assert_eq!(
        subscriber
            .latest(&availability_topic("alice"))
            .expect("availability")
            .text(),
        "online"
    );
    proxy
        .app
        .until("every waiting state sent", |_| {
            proxy.probe().waiting_states() == 0
        })
        .await;
    assert!(proxy.probe().client_backlog() <= QUEUE + usize::from(INFLIGHT));
}

/// Share stops showing new readings: the held one ages, and its turning stale is published
/// (availability `offline` first, then the state) with no new reading.
#[actix_web::test]
async fn a_reading_turning_stale_is_published_without_a_new_one() {
    let broker = Mosquitto::start();
    let subscriber = Subscriber::connect(&broker, "home-assistant");
    let proxy = spawn_publishing(&broker, None, |setup| setup.clock = Clock::scaled(60.0)).await;
    subscriber
        .until_on(&state_topic("alice"), PATIENCE, |m| {
            m.json()["status"] == "fresh"
        })
        .await;
    assert_eq!(
        subscriber
            .latest(&availability_topic("alice"))
            .map(|m| m.text().to_owned()),
        Some("online".to_owned())
    );

    // Act: the phone stops uploading (nothing newer than a day is shown from now on).
    proxy.app.sim.set_signal_loss_minutes(24 * 60);

    // Assert: within 10 simulated minutes (10 s) plus slack, the newest reading is stale.
    let stale = subscriber
        .until_on(&state_topic("alice"), PATIENCE, |m| {
            m.json()["status"] == "stale"
        })
        .await
        .json();
    assert_eq!(stale["stale"], true);
    let newest = proxy.app.get("/readings/latest?account=alice").await.json();
    assert_eq!(stale["reading_time"], newest["datetime"], "no new reading");
    assert_eq!(
        stale["mg_dl"], newest["mg_dl"],
        "the value is kept; Home Assistant hides it"
    );
    let was_fresh = subscriber.messages().iter().any(|m: &Message| {
        m.topic == state_topic("alice")
            && m.json()["reading_time"] == stale["reading_time"]
            && m.json()["status"] == "fresh"
    });
    assert!(was_fresh, "the same reading was published fresh before");
    let availability = subscriber
        .latest(&availability_topic("alice"))
        .expect("availability");
    assert_eq!(availability.text(), "offline");
    assert_eq!(subscriber.latest(SERVICE).expect("status").text(), "online");
    // The order Home Assistant needs: `offline` before the state that goes with it.
    let messages = subscriber.messages();
    let offline_at = messages
        .iter()
        .rposition(|m| m.topic == availability_topic("alice") && m.text() == "offline")
        .expect("offline");
    let stale_at = messages
        .iter()
        .position(|m| m.topic == state_topic("alice") && m.json()["status"] == "stale")
        .expect("stale");
    assert!(offline_at < stale_at, "availability first");
}
