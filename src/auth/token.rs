//! Token checks that take the same time whatever the presented token is: both sides are
//! hashed to 32 bytes (so lengths do not show) and compared with `subtle`, every configured
//! token every time.

use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

use crate::domain::Secret;

/// SHA-256 of a token. Only digests are kept after start-up.
#[derive(Clone)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    pub fn of(token: &Secret<String>) -> TokenDigest {
        TokenDigest(Sha256::digest(token.expose().as_bytes()).into())
    }
}

/// What a Nightscout client sends as `api-secret`: the SHA-1 of the secret (here, of a token).
#[derive(Clone)]
pub struct Sha1Digest([u8; 20]);

impl Sha1Digest {
    /// Reads 40 hex digits (Nightscout clients send lower case; upper case is accepted).
    pub fn from_hex(hex: &str) -> Option<Sha1Digest> {
        if hex.len() != 40 {
            return None;
        }
        let mut bytes = [0u8; 20];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Sha1Digest(bytes))
    }

    /// What a Nightscout client would send for `token`.
    pub fn of(token: &Secret<String>) -> Sha1Digest {
        Sha1Digest(Sha1::digest(token.expose().as_bytes()).into())
    }

    /// Whether both are the SHA-1 of the same token (compared in constant time).
    pub fn same_as(&self, other: &Sha1Digest) -> bool {
        bool::from(self.0.ct_eq(&other.0))
    }
}

/// Who may read one account.
pub struct AccountAccess {
    tokens: Vec<TokenDigest>,
    // SHA-1 is weak, but it is what Nightscout clients send; a token is long and random, so
    // its SHA-1 does not give it away.
    nightscout_secrets: Vec<Sha1Digest>,
    anonymous: bool,
}

impl AccountAccess {
    /// `anonymous`: whether the account may be read without a token (decided at start-up from
    /// its tokens, the listen address and `[auth] allow_anonymous`).
    pub fn new(tokens: &[Secret<String>], anonymous: bool) -> AccountAccess {
        AccountAccess {
            tokens: tokens.iter().map(TokenDigest::of).collect(),
            nightscout_secrets: tokens.iter().map(Sha1Digest::of).collect(),
            anonymous,
        }
    }

    pub fn is_anonymous(&self) -> bool {
        self.anonymous
    }

    /// Whether `presented` is one of this account's tokens, comparing against all of them.
    pub fn accepts(&self, presented: &TokenDigest) -> Choice {
        self.tokens
            .iter()
            .fold(Choice::from(0), |hit, t| hit | t.0.ct_eq(&presented.0))
    }

    /// Whether `presented` is the SHA-1 of one of this account's tokens, comparing against all.
    pub fn accepts_sha1(&self, presented: &Sha1Digest) -> Choice {
        self.nightscout_secrets
            .iter()
            .fold(Choice::from(0), |hit, t| hit | t.0.ct_eq(&presented.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sha1_of_a_token_is_accepted_as_a_nightscout_secret() {
        let access = AccountAccess::new(&[secret("kitchen-tablet-0001")], false);
        let other = "0".repeat(40);
        let computed = Sha1Digest::of(&secret("kitchen-tablet-0001"));
        let computed_hex: String = computed.0.iter().map(|b| format!("{b:02x}")).collect();
        let parsed = Sha1Digest::from_hex(&computed_hex).expect("40 hex digits");
        assert!(bool::from(access.accepts_sha1(&parsed)));
        assert!(bool::from(access.accepts_sha1(
            &Sha1Digest::from_hex(&computed_hex.to_uppercase()).expect("upper case")
        )));
        assert!(!bool::from(
            access.accepts_sha1(&Sha1Digest::from_hex(&other).expect("hex"))
        ));
        for bad in ["", "abc", &"g".repeat(40), &"a".repeat(41)] {
            assert!(Sha1Digest::from_hex(bad).is_none(), "{bad}");
        }
    }

    fn secret(s: &str) -> Secret<String> {
        Secret::new(s.to_owned())
    }

    #[test]
    fn any_configured_token_is_accepted_and_nothing_else() {
        let access = AccountAccess::new(
            &[secret("kitchen-tablet-0001"), secret("watch-face-000002")],
            false,
        );
        let accepts = |t: &str| bool::from(access.accepts(&TokenDigest::of(&secret(t))));
        assert!(accepts("kitchen-tablet-0001"));
        assert!(accepts("watch-face-000002"));
        assert!(!accepts("kitchen-tablet-0002"));
        assert!(!accepts("kitchen-tablet-000"));
        assert!(!accepts(""));
        assert!(!access.is_anonymous());
    }
}
