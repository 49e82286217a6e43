//! The configured accounts, and which token opens which of them. What an account's feed
//! holds lives in [`crate::feed`]; an account here carries no credentials for Share.

use std::sync::Arc;

use subtle::{Choice, ConditionallySelectable};

use crate::auth::{AccountAccess, Sha1Digest, TokenDigest};
use crate::config::{AccountSettings, Login, Settings};
use crate::domain::{AccountName, Region, Secret};
use crate::push::Thresholds;

/// One account the service serves.
pub struct Account {
    /// Its position in the config, which is also its feed's number.
    pub index: usize,
    pub name: AccountName,
    pub region: Region,
    /// The account is the built-in simulator's: its data is synthetic.
    pub simulated: bool,
    pub login_kind: LoginKind,
    /// Its tokens, and whether it may be read without one.
    pub access: AccountAccess,
    /// Where its values are low or high.
    pub thresholds: Thresholds,
}

/// Which identifier the account logs in with (never the identifier itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginKind {
    Username,
    AccountId,
}

impl Account {
    /// `anonymous_allowed`: whether accounts without tokens may be read without one here.
    pub fn new(index: usize, settings: &AccountSettings, anonymous_allowed: bool) -> Account {
        Account {
            index,
            name: settings.name.clone(),
            region: settings.region,
            simulated: settings.simulated,
            login_kind: match settings.login {
                Login::Username(_) => LoginKind::Username,
                Login::AccountId(_) => LoginKind::AccountId,
            },
            access: AccountAccess::new(
                &settings.tokens,
                settings.tokens.is_empty() && anonymous_allowed,
            ),
            thresholds: settings.thresholds,
        }
    }
}

/// All accounts, in config order.
pub struct Accounts(Vec<Arc<Account>>);

impl Accounts {
    /// `anonymous_allowed`: whether accounts without tokens may be read without one here.
    pub fn new(settings: &Settings, anonymous_allowed: bool) -> Accounts {
        Accounts(
            settings
                .accounts
                .iter()
                .enumerate()
                .map(|(i, s)| Arc::new(Account::new(i, s, anonymous_allowed)))
                .collect(),
        )
    }

    /// The account `token` belongs to. Every token of every account is compared, in constant
    /// time, so the answer's timing does not tell how close a guess was or whose it was.
    pub fn token_holder(&self, token: &Secret<String>) -> Option<&Arc<Account>> {
        let presented = TokenDigest::of(token);
        self.holder(|access| access.accepts(&presented))
    }

    /// The account one of whose tokens has this SHA-1 (a Nightscout `api-secret`), compared
    /// the same way.
    pub fn nightscout_secret_holder(&self, secret: &Sha1Digest) -> Option<&Arc<Account>> {
        self.holder(|access| access.accepts_sha1(secret))
    }

    fn holder(&self, accepts: impl Fn(&AccountAccess) -> Choice) -> Option<&Arc<Account>> {
        // 0 = none; else index + 1. Tokens are unique across accounts (checked at start-up).
        let mut found = 0u64;
        for (index, account) in (1u64..).zip(&self.0) {
            found = u64::conditional_select(&found, &index, accepts(&account.access));
        }
        let index = usize::try_from(found.checked_sub(1)?).ok()?;
        self.0.get(index)
    }

    pub fn all(&self) -> &[Arc<Account>] {
        &self.0
    }

    pub fn find(&self, name: &str) -> Option<&Arc<Account>> {
        self.0.iter().find(|a| a.name.as_str() == name)
    }

    /// The only account, when there is exactly one.
    pub fn single(&self) -> Option<&Arc<Account>> {
        match self.0.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }
}
