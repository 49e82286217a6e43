//! The name a configured account is known by in URLs and in `/accounts`.

use std::fmt;

/// `[a-z0-9_-]{1,64}`: safe in URLs, logs and file names without escaping.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountName(String);

impl AccountName {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Option<AccountName> {
        let ok = (1..=Self::MAX_LEN).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'));
        ok.then(|| AccountName(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lower_case_digits_dash_underscore_up_to_64() {
        for good in ["alice", "a", "bob-2", "x_y", &"a".repeat(64)] {
            assert!(AccountName::parse(good).is_some(), "{good:?}");
        }
        for bad in ["", "Alice", "a b", "a/b", "é", "a.b", &"a".repeat(65)] {
            assert!(AccountName::parse(bad).is_none(), "{bad:?}");
        }
    }
}
