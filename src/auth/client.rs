//! Which client a failed credential attempt is counted against.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

/// The client that failed credential attempts are counted against: an IPv4 address, or the
/// /64 prefix of an IPv6 address. A single IPv6 host usually owns a whole /64 and can pick a
/// new address in it for every request (privacy extensions do so on their own), so counting
/// per IPv6 address would let it reset its count at will. An IPv4-mapped IPv6 address
/// (`::ffff:192.0.2.1`, what a dual-stack listener reports for IPv4 peers) is its IPv4
/// address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

/// Bits of an IPv6 address that name the client's network.
const IPV6_PREFIX_BITS: u32 = 64;

impl ClientKey {
    pub fn of(peer: IpAddr) -> ClientKey {
        match peer {
            IpAddr::V4(v4) => ClientKey(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey(IpAddr::V4(v4)),
                None => {
                    let mask = u128::MAX << (128 - IPV6_PREFIX_BITS);
                    ClientKey(IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask)))
                }
            },
        }
    }
}

/// `192.0.2.1`, or `2001:db8:1:2::/64`: what the log shows.
impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/{IPV6_PREFIX_BITS}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(address: &str) -> ClientKey {
        ClientKey::of(address.parse().expect("valid test address"))
    }

    #[test]
    fn ipv4_addresses_are_their_own_key_and_ipv6_ones_share_their_64() {
        let cases = [
            ("192.0.2.1", "192.0.2.1"),
            ("::ffff:192.0.2.1", "192.0.2.1"),
            ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
            ("2001:db8:1:2:a1b2:c3d4:e5f6:789", "2001:db8:1:2::/64"),
            ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
            ("::1", "::/64"),
        ];
        for (address, shown) in cases {
            assert_eq!(key(address).to_string(), shown, "{address}");
        }
    }

    #[test]
    fn addresses_rotated_inside_a_64_are_one_client_and_neighbours_are_not() {
        assert_eq!(
            key("2001:db8:1:2::1"),
            key("2001:db8:1:2:ffff:ffff:ffff:ffff")
        );
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.1"), key("192.0.2.1"));
        assert_ne!(key("192.0.2.1"), key("192.0.2.2"));
    }
}
