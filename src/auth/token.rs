//! Token checks that take the same time whatever the presented token is: both sides are
//! hashed to 32 bytes (so lengths do not show) and compared with `subtle`, every configured
//! token every time.

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

/// Who may read one account.
pub struct AccountAccess {
    tokens: Vec<TokenDigest>,
    anonymous: bool,
}

impl AccountAccess {
    /// `anonymous`: whether the account may be read without a token (decided at start-up from
    /// its tokens, the listen address and `[auth] allow_anonymous`).
    pub fn new(tokens: &[Secret<String>], anonymous: bool) -> AccountAccess {
        AccountAccess {
            tokens: tokens.iter().map(TokenDigest::of).collect(),
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
