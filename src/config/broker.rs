//! The broker's address, from `[mqtt] url`: `mqtt://` or `mqtts://`, a host and a port,
//! nothing else.

use std::fmt;

/// The broker's address, from `url`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broker {
    /// A host name or IP address (an IPv6 address without brackets).
    pub host: String,
    pub port: u16,
    /// `mqtts://`: TLS, with the webpki root certificates.
    pub tls: bool,
}

impl fmt::Display for Broker {
    /// The URL without credentials, for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "mqtts" } else { "mqtt" };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

impl Broker {
    /// Whether the broker is on this machine, where plain MQTT crosses no network.
    pub fn is_loopback(&self) -> bool {
        let host = self.host.to_ascii_lowercase();
        host == "localhost"
            || host.ends_with(".localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

/// `mqtt://host[:port]` or `mqtts://host[:port]` (ports 1883 and 8883 by default); nothing
/// else: no path, no query, no credentials.
pub fn parse_url(url: &str) -> Result<Broker, String> {
    let (tls, rest) = match (url.strip_prefix("mqtts://"), url.strip_prefix("mqtt://")) {
        (Some(rest), _) => (true, rest),
        (None, Some(rest)) => (false, rest),
        (None, None) => {
            return Err(format!(
                "{url:?} must start with mqtt:// or mqtts:// (TLS), e.g. mqtt://127.0.0.1:1883"
            ))
        }
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains('@') {
        return Err(
            "must not carry a user name or password: give them as `username` and `password`"
                .to_owned(),
        );
    }
    if authority.contains(['/', '?', '#']) {
        return Err(format!(
            "{url:?} must be only a scheme, a host and a port, like mqtt://broker.lan:1883"
        ));
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| format!("{url:?} has an unclosed [ in its host"))?;
            if host.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!("{host:?} is not an IPv6 address"));
            }
            match after {
                "" => (host, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None => return Err(format!("{url:?}: expected :port after the address")),
                },
            }
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    check_host(host)?;
    let port = match port {
        None if tls => 8883,
        None => 1883,
        Some(port) => match port.parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => return Err(format!("{port:?} is not a port from 1 to 65535")),
        },
    };
    Ok(Broker {
        host: host.to_owned(),
        port,
        tls,
    })
}

fn check_host(host: &str) -> Result<(), String> {
    let name_like = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if host.is_empty() {
        Err("names no host".to_owned())
    } else if host.contains(':') || host.split('.').all(name_like) {
        Ok(())
    } else {
        Err(format!("{host:?} is not a host name or IP address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_scheme_host_and_default_ports() {
        let cases = [
            ("mqtt://127.0.0.1", "127.0.0.1", 1883, false),
            ("mqtt://localhost:1884/", "localhost", 1884, false),
            (
                "mqtts://broker.example.org",
                "broker.example.org",
                8883,
                true,
            ),
            (
                "mqtts://broker.example.org:443",
                "broker.example.org",
                443,
                true,
            ),
            ("mqtt://[::1]:1883", "::1", 1883, false),
            ("mqtt://[fd00::5]", "fd00::5", 1883, false),
            (
                "mqtt://home_assistant.local",
                "home_assistant.local",
                1883,
                false,
            ),
        ];
        for (url, host, port, tls) in cases {
            let want = Broker {
                host: host.to_owned(),
                port,
                tls,
            };
            assert_eq!(parse_url(url), Ok(want), "{url}");
        }
        assert_eq!(
            parse_url("mqtt://[::1]:1884").map(|b| b.to_string()),
            Ok("mqtt://[::1]:1884".to_owned())
        );
    }

    #[test]
    fn other_urls_are_refused() {
        for url in [
            "",
            "tcp://broker:1883",
            "ws://broker:9001",
            "http://broker",
            "mqtt://",
            "mqtt://:1883",
            "mqtt://broker:0",
            "mqtt://broker:65536",
            "mqtt://broker:port",
            "mqtt://broker/topic",
            "mqtt://broker?client_id=x",
            "mqtt://user:pass@broker",
            "mqtt://[::1",
            "mqtt://[nope]:1883",
            "mqtt://bro ker",
            "mqtt://broker:1883:1",
        ] {
            assert!(parse_url(url).is_err(), "{url}");
        }
        let credentials = parse_url("mqtt://user:hunter2@broker").expect_err("refused");
        assert!(!credentials.contains("hunter2"), "{credentials}");
    }
}
