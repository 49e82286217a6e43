//! Every topic the publisher writes, from the two prefixes and the account names.

use crate::domain::AccountName;

/// The payloads of the availability topics (Home Assistant's defaults).
pub const ONLINE: &str = "online";
pub const OFFLINE: &str = "offline";

/// Topic names for one configuration.
#[derive(Clone, Debug)]
pub struct Topics {
    topic_prefix: String,
    discovery_prefix: String,
    /// The topic prefix as Home Assistant accepts it inside IDs (`[a-zA-Z0-9_-]`).
    id_prefix: String,
}

impl Topics {
    pub fn new(topic_prefix: &str, discovery_prefix: &str) -> Topics {
        let id_prefix = topic_prefix
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Topics {
            topic_prefix: topic_prefix.to_owned(),
            discovery_prefix: discovery_prefix.to_owned(),
            id_prefix,
        }
    }

    /// `<topic_prefix>/status`: `online` while the service is connected; the broker publishes
    /// the last will, `offline`, when the connection ends without a goodbye.
    pub fn service(&self) -> String {
        format!("{}/status", self.topic_prefix)
    }

    /// `<topic_prefix>/<account>/state`: the account's JSON state document.
    pub fn state(&self, account: &AccountName) -> String {
        format!("{}/{account}/state", self.topic_prefix)
    }

    /// `<topic_prefix>/<account>/availability`: `online` while the account's newest reading is
    /// fresh, `offline` when it is stale or there is none.
    pub fn availability(&self, account: &AccountName) -> String {
        format!("{}/{account}/availability", self.topic_prefix)
    }

    /// The account's device in Home Assistant: the same for every run of the same
    /// configuration, and different for two services with different topic prefixes (which
    /// they need anyway, or their states would mix).
    pub fn node_id(&self, account: &AccountName) -> String {
        format!("{}_{account}", self.id_prefix)
    }

    /// `<discovery_prefix>/<component>/<node_id>/<object_id>/config`.
    pub fn discovery(&self, component: &str, account: &AccountName, object_id: &str) -> String {
        format!(
            "{}/{component}/{}/{object_id}/config",
            self.discovery_prefix,
            self.node_id(account)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> AccountName {
        AccountName::parse("alice").expect("valid name")
    }

    #[test]
    fn topics_of_the_default_prefixes() {
        let topics = Topics::new("dexcom-share-proxy", "homeassistant");
        assert_eq!(topics.service(), "dexcom-share-proxy/status");
        assert_eq!(topics.state(&alice()), "dexcom-share-proxy/alice/state");
        assert_eq!(
            topics.availability(&alice()),
            "dexcom-share-proxy/alice/availability"
        );
        assert_eq!(topics.node_id(&alice()), "dexcom-share-proxy_alice");
        assert_eq!(
            topics.discovery("sensor", &alice(), "glucose_mg_dl"),
            "homeassistant/sensor/dexcom-share-proxy_alice/glucose_mg_dl/config"
        );
    }

    #[test]
    fn a_prefix_of_several_levels_gives_ids_home_assistant_accepts() {
        let topics = Topics::new("home/cgm.v2", "ha/discovery");
        assert_eq!(topics.state(&alice()), "home/cgm.v2/alice/state");
        assert_eq!(topics.node_id(&alice()), "home_cgm_v2_alice");
        assert_eq!(
            topics.discovery("binary_sensor", &alice(), "stale"),
            "ha/discovery/binary_sensor/home_cgm_v2_alice/stale/config"
        );
    }
}
