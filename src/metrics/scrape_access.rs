//! Who may scrape `/metrics`. Once it carries glucose it is health data, and even without
//! it, it tells when the service calls Share and how it fares. Loopback clients may scrape
//! without a token (unless `require_token`); anyone else needs one of the metrics tokens.
//! The decision is a function of the peer address and the token presented, nothing else, so
//! it is tested on its own.

use std::net::IpAddr;

use crate::auth::{AccountAccess, TokenDigest};
use crate::domain::Secret;

use super::MetricsSettings;

/// Why a scrape is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// No token, and one is needed: one would open the door.
    TokenRequired,
    /// A token that is not a metrics token.
    TokenInvalid,
    /// No token could help: the client is not on loopback and no metrics tokens are
    /// configured.
    Forbidden,
}

/// The metrics tokens (as digests, compared in constant time) and the loopback rule.
pub struct MetricsAccess {
    tokens: AccountAccess,
    has_tokens: bool,
    require_token: bool,
}

impl MetricsAccess {
    pub fn new(settings: &MetricsSettings) -> MetricsAccess {
        MetricsAccess {
            tokens: AccountAccess::new(&settings.tokens, false),
            has_tokens: !settings.tokens.is_empty(),
            require_token: settings.require_token,
        }
    }

    /// Whether a client at `peer` presenting `token` (from `Authorization: Bearer`) may
    /// scrape. A token that is presented must be valid, also on loopback: a typo shows up as
    /// an error, not as an access that breaks when the scraper moves.
    pub fn decide(&self, peer: Option<IpAddr>, token: Option<&str>) -> Result<(), Denied> {
        match token {
            Some(token) => {
                let presented = TokenDigest::of(&Secret::new(token.to_owned()));
                if bool::from(self.tokens.accepts(&presented)) {
                    Ok(())
                } else {
                    Err(Denied::TokenInvalid)
                }
            }
            None if is_loopback(peer) && !self.require_token => Ok(()),
            None if self.has_tokens => Err(Denied::TokenRequired),
            None => Err(Denied::Forbidden),
        }
    }
}

/// Whether the peer is this host (`127.0.0.0/8`, `::1`, or IPv4-mapped loopback).
pub fn is_loopback(peer: Option<IpAddr>) -> bool {
    peer.is_some_and(|ip| ip.to_canonical().is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "metrics-token-5c2e81f09ad7";

    fn access(tokens: &[&str], require_token: bool) -> MetricsAccess {
        MetricsAccess::new(&MetricsSettings {
            tokens: tokens.iter().map(|t| Secret::new(t.to_string())).collect(),
            require_token,
            ..MetricsSettings::default()
        })
    }

    fn ip(address: &str) -> Option<IpAddr> {
        Some(address.parse().expect("valid test address"))
    }

    #[test]
    fn loopback_scrapes_without_a_token_and_others_need_one() {
        let open = access(&[], false);
        let with_tokens = access(&[TOKEN], false);
        for loopback in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            assert_eq!(open.decide(ip(loopback), None), Ok(()), "{loopback}");
            assert_eq!(with_tokens.decide(ip(loopback), None), Ok(()), "{loopback}");
        }
        for remote in [
            "192.168.1.20",
            "10.0.0.1",
            "2001:db8::1",
            "::ffff:192.0.2.1",
        ] {
            assert_eq!(open.decide(ip(remote), None), Err(Denied::Forbidden));
            assert_eq!(
                with_tokens.decide(ip(remote), None),
                Err(Denied::TokenRequired)
            );
            assert_eq!(with_tokens.decide(ip(remote), Some(TOKEN)), Ok(()));
        }
        assert_eq!(open.decide(None, None), Err(Denied::Forbidden));
    }

    #[test]
    fn a_wrong_token_is_refused_everywhere_and_never_falls_back_to_loopback() {
        let with_tokens = access(&[TOKEN], false);
        let open = access(&[], false);
        for peer in [ip("127.0.0.1"), ip("192.0.2.7")] {
            assert_eq!(
                with_tokens.decide(peer, Some("metrics-token-5c2e81f09ad8")),
                Err(Denied::TokenInvalid)
            );
            assert_eq!(
                with_tokens.decide(peer, Some("")),
                Err(Denied::TokenInvalid)
            );
            assert_eq!(open.decide(peer, Some(TOKEN)), Err(Denied::TokenInvalid));
        }
    }

    #[test]
    fn require_token_closes_loopback_too() {
        let strict = access(&[TOKEN], true);
        assert_eq!(
            strict.decide(ip("127.0.0.1"), None),
            Err(Denied::TokenRequired)
        );
        assert_eq!(strict.decide(ip("127.0.0.1"), Some(TOKEN)), Ok(()));
        assert_eq!(strict.decide(ip("::1"), Some(TOKEN)), Ok(()));
    }
}
