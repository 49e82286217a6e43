//! Home Assistant's MQTT discovery: one retained config per entity, one device per account,
//! every entity reading a field of the account's state document.

use serde_json::{json, Map, Value};

use super::topics::Topics;
use crate::domain::{AccountName, Trend};

/// What the service is, in the device and origin fields.
const SOFTWARE: &str = "dexcom-share-proxy";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One entity of an account's device.
struct Entity {
    component: &'static str,
    object_id: &'static str,
    name: &'static str,
    /// Jinja: a value that renders as `None` (null, or an empty arrow) shows as unknown.
    value_template: &'static str,
    /// Whether only the service's availability applies. The entities that describe the data
    /// itself (is it stale, when was it taken) must stay visible when the data is stale:
    /// made unavailable with it, the problem sensor could never show the problem.
    service_availability_only: bool,
}

const ENTITIES: [Entity; 7] = [
    Entity {
        component: "sensor",
        object_id: "glucose_mg_dl",
        name: "Glucose",
        value_template: "{{ value_json.mg_dl }}",
        service_availability_only: false,
    },
    Entity {
        component: "sensor",
        object_id: "glucose_mmol_l",
        name: "Glucose mmol/L",
        value_template: "{{ value_json.mmol_l }}",
        service_availability_only: false,
    },
    Entity {
        component: "sensor",
        object_id: "trend",
        name: "Trend",
        value_template: "{{ value_json.trend }}",
        service_availability_only: false,
    },
    Entity {
        component: "sensor",
        object_id: "trend_arrow",
        name: "Trend arrow",
        value_template: "{{ value_json.arrow or None }}",
        service_availability_only: false,
    },
    Entity {
        component: "sensor",
        object_id: "range",
        name: "Range",
        value_template: "{{ value_json.range }}",
        service_availability_only: false,
    },
    Entity {
        component: "sensor",
        object_id: "reading_time",
        name: "Reading time",
        value_template: "{{ value_json.reading_time }}",
        service_availability_only: true,
    },
    Entity {
        component: "binary_sensor",
        object_id: "stale",
        name: "Stale",
        value_template: "{{ 'ON' if value_json.stale else 'OFF' }}",
        service_availability_only: true,
    },
];

/// What each entity adds to the common fields.
fn specific(object_id: &str) -> Value {
    match object_id {
        "glucose_mg_dl" => json!({
            "device_class": "blood_glucose_concentration",
            "state_class": "measurement",
            "unit_of_measurement": "mg/dL",
            "suggested_display_precision": 0,
        }),
        "glucose_mmol_l" => json!({
            "device_class": "blood_glucose_concentration",
            "state_class": "measurement",
            "unit_of_measurement": "mmol/L",
            "suggested_display_precision": 1,
        }),
        "trend" => json!({
            "device_class": "enum",
            "options": trend_names(),
            "icon": "mdi:chart-line-variant",
        }),
        "trend_arrow" => json!({ "icon": "mdi:arrow-right-thin" }),
        "range" => json!({
            "device_class": "enum",
            "options": ["urgent_low", "low", "in_range", "high", "urgent_high"],
            "icon": "mdi:target",
        }),
        "reading_time" => json!({ "device_class": "timestamp" }),
        "stale" => json!({
            "device_class": "problem",
            "payload_on": "ON",
            "payload_off": "OFF",
        }),
        _ => json!({}),
    }
}

/// Share's ten trend names, `None` to `RateOutOfRange`.
fn trend_names() -> Vec<&'static str> {
    (0..10)
        .filter_map(Trend::from_number)
        .map(Trend::share_name)
        .collect()
}

/// The account's discovery configs: (topic, payload), all to be published retained.
pub fn configs(topics: &Topics, account: &AccountName, simulated: bool) -> Vec<(String, Vec<u8>)> {
    let node_id = topics.node_id(account);
    let model = if simulated {
        "Dexcom Share proxy (simulated data)"
    } else {
        "Dexcom Share proxy"
    };
    let device = json!({
        "identifiers": [node_id],
        "name": format!("Dexcom {account}"),
        "manufacturer": SOFTWARE,
        "model": model,
        "sw_version": VERSION,
    });
    let service = json!({ "topic": topics.service() });
    let own = json!({ "topic": topics.availability(account) });
    ENTITIES
        .iter()
        .map(|entity| {
            let availability = if entity.service_availability_only {
                json!([service])
            } else {
                json!([service, own])
            };
            let mut config = Map::new();
            config.insert("name".into(), entity.name.into());
            config.insert(
                "unique_id".into(),
                format!("{node_id}_{}", entity.object_id).into(),
            );
            config.insert("state_topic".into(), topics.state(account).into());
            config.insert("value_template".into(), entity.value_template.into());
            config.insert("availability".into(), availability);
            config.insert("availability_mode".into(), "all".into());
            config.insert("qos".into(), 1.into());
            config.insert("device".into(), device.clone());
            config.insert(
                "origin".into(),
                json!({ "name": SOFTWARE, "sw_version": VERSION }),
            );
            if let Value::Object(fields) = specific(entity.object_id) {
                config.extend(fields);
            }
            let topic = topics.discovery(entity.component, account, entity.object_id);
            let payload = serde_json::to_vec(&Value::Object(config))
                .expect("invariant: a discovery config serialises");
            (topic, payload)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice_configs() -> Vec<(String, Value)> {
        let topics = Topics::new("dexcom-share-proxy", "homeassistant");
        let alice = AccountName::parse("alice").expect("valid name");
        configs(&topics, &alice, false)
            .into_iter()
            .map(|(topic, payload)| (topic, serde_json::from_slice(&payload).expect("JSON")))
            .collect()
    }

    #[test]
    fn seven_entities_each_with_its_own_topic_and_unique_id() {
        let configs = alice_configs();
        let topics: Vec<&str> = configs.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            topics,
            [
                "homeassistant/sensor/dexcom-share-proxy_alice/glucose_mg_dl/config",
                "homeassistant/sensor/dexcom-share-proxy_alice/glucose_mmol_l/config",
                "homeassistant/sensor/dexcom-share-proxy_alice/trend/config",
                "homeassistant/sensor/dexcom-share-proxy_alice/trend_arrow/config",
                "homeassistant/sensor/dexcom-share-proxy_alice/range/config",
                "homeassistant/sensor/dexcom-share-proxy_alice/reading_time/config",
                "homeassistant/binary_sensor/dexcom-share-proxy_alice/stale/config",
            ]
        );
        for (topic, config) in &configs {
            let object_id = topic.split('/').nth(3).expect("object id");
            assert_eq!(
                config["unique_id"],
                format!("dexcom-share-proxy_alice_{object_id}")
            );
            assert_eq!(config["state_topic"], "dexcom-share-proxy/alice/state");
            assert_eq!(config["availability_mode"], "all");
            assert_eq!(
                config["availability"][0]["topic"],
                "dexcom-share-proxy/status"
            );
            assert_eq!(
                config["device"]["identifiers"][0],
                "dexcom-share-proxy_alice"
            );
            assert_eq!(config["device"]["name"], "Dexcom alice");
            assert_eq!(config["origin"]["name"], "dexcom-share-proxy");
        }
    }

    #[test]
    fn glucose_is_a_blood_glucose_measurement_in_both_units() {
        let configs = alice_configs();
        let mg = &configs[0].1;
        let mmol = &configs[1].1;
        for (config, unit, field) in [(mg, "mg/dL", "mg_dl"), (mmol, "mmol/L", "mmol_l")] {
            assert_eq!(config["device_class"], "blood_glucose_concentration");
            assert_eq!(config["state_class"], "measurement");
            assert_eq!(config["unit_of_measurement"], unit);
            assert_eq!(
                config["value_template"],
                format!("{{{{ value_json.{field} }}}}")
            );
            assert_eq!(
                config["availability"][1]["topic"],
                "dexcom-share-proxy/alice/availability"
            );
        }
    }

    #[test]
    fn trend_and_range_are_enums_and_stale_is_a_problem() {
        let configs = alice_configs();
        let trend = &configs[2].1;
        assert_eq!(trend["device_class"], "enum");
        assert_eq!(
            trend["options"],
            json!([
                "None",
                "DoubleUp",
                "SingleUp",
                "FortyFiveUp",
                "Flat",
                "FortyFiveDown",
                "SingleDown",
                "DoubleDown",
                "NotComputable",
                "RateOutOfRange"
            ])
        );
        let range = &configs[4].1;
        assert_eq!(
            range["options"],
            json!(["urgent_low", "low", "in_range", "high", "urgent_high"])
        );
        assert_eq!(configs[5].1["device_class"], "timestamp");
        let stale = &configs[6].1;
        assert_eq!(stale["device_class"], "problem");
        assert_eq!(
            stale["availability"].as_array().map(Vec::len),
            Some(1),
            "a stale account's problem sensor stays visible"
        );
    }

    #[test]
    fn simulated_accounts_say_so_in_their_model() {
        let topics = Topics::new("p", "homeassistant");
        let demo = AccountName::parse("demo").expect("valid name");
        let (_, payload) = &configs(&topics, &demo, true)[0];
        let config: Value = serde_json::from_slice(payload).expect("JSON");
        assert_eq!(
            config["device"]["model"],
            "Dexcom Share proxy (simulated data)"
        );
    }
}
