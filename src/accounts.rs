//! The configured accounts, each with its Share session and its cached window of readings.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use subtle::ConditionallySelectable;

use crate::auth::{AccountAccess, TokenDigest};
use crate::config::{AccountSettings, Login};
use crate::domain::{AccountName, MaxCount, Minutes, Region, Secret};
use crate::session::{AccountSession, UpstreamError};
use crate::share::ShareClient;
use crate::status::AccountStatus;
use crate::window::Window;

/// One account the service serves.
pub struct Account {
    pub name: AccountName,
    pub region: Region,
    /// The account is the built-in simulator's: its data is synthetic.
    pub simulated: bool,
    pub login_kind: LoginKind,
    /// Its tokens, and whether it may be read without one.
    pub access: AccountAccess,
    session: AccountSession,
    // moka: the window expires after the TTL, and concurrent misses share one fetch.
    window: moka::future::Cache<(), Arc<Window>>,
}

/// Which identifier the account logs in with (never the identifier itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginKind {
    Username,
    AccountId,
}

impl Account {
    /// `anonymous_allowed`: whether accounts without tokens may be read without one here.
    pub fn new(settings: &AccountSettings, ttl: Duration, anonymous_allowed: bool) -> Account {
        Account {
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
            session: AccountSession::new(settings),
            window: moka::future::Cache::builder()
                .max_capacity(1)
                .time_to_live(ttl)
                .build(),
        }
    }

    /// The last day of readings: from the cache while it is fresh, else from one Share read
    /// shared by every caller waiting for it. Failures are not cached.
    pub async fn window(&self, client: &ShareClient) -> Result<Arc<Window>, Arc<UpstreamError>> {
        self.window
            .try_get_with((), async {
                let readings = self
                    .session
                    .read(client, Minutes::FULL_DAY, MaxCount::FULL_DAY)
                    .await?;
                log::debug!("account {}: fetched {} readings", self.name, readings.len());
                Ok(Arc::new(Window::new(readings, Utc::now())))
            })
            .await
    }

    pub fn status(&self) -> AccountStatus {
        self.session.status()
    }
}

/// All accounts, in config order.
pub struct Accounts(Vec<Arc<Account>>);

impl Accounts {
    pub fn new(settings: &[AccountSettings], ttl: Duration, anonymous_allowed: bool) -> Accounts {
        Accounts(
            settings
                .iter()
                .map(|s| Arc::new(Account::new(s, ttl, anonymous_allowed)))
                .collect(),
        )
    }

    /// The account `token` belongs to. Every token of every account is compared, in constant
    /// time, so the answer's timing does not tell how close a guess was or whose it was.
    pub fn token_holder(&self, token: &Secret<String>) -> Option<&Arc<Account>> {
        let presented = TokenDigest::of(token);
        // 0 = none; else index + 1. Tokens are unique across accounts (checked at start-up).
        let mut found = 0u64;
        for (index, account) in (1u64..).zip(&self.0) {
            found = u64::conditional_select(&found, &index, account.access.accepts(&presented));
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
