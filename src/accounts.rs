//! The configured accounts, each with its Share session and its cached window of readings.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use subtle::{Choice, ConditionallySelectable};

use crate::auth::{AccountAccess, Sha1Digest, TokenDigest};
use crate::config::{AccountSettings, Login, Settings};
use crate::domain::{AccountName, MaxCount, Minutes, Region, Secret};
use crate::policy::{LoginPolicy, RetryPolicy};
use crate::session::{AccountSession, UpstreamError};
use crate::share::ShareClient;
use crate::status::AccountStatus;
use crate::window::Window;

/// How long windows are fresh, and when Share may be called.
pub struct Policies {
    pub ttl: Duration,
    pub login: LoginPolicy,
    pub retry: RetryPolicy,
}

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
    // Outlives the cache entry, to answer honestly-stale while Share fails.
    last_good: Mutex<Option<Arc<Window>>>,
    ttl: Duration,
}

/// A window and how it was obtained.
pub struct Served {
    pub window: Arc<Window>,
    pub freshness: Freshness,
}

pub enum Freshness {
    /// Fetched from Share for this request (or one it waited for).
    Fetched,
    /// From the cache, within the TTL.
    Cached,
    /// Share failed with this error; the window is the last good one.
    Stale(Arc<UpstreamError>),
}

/// Which identifier the account logs in with (never the identifier itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginKind {
    Username,
    AccountId,
}

impl Account {
    /// `anonymous_allowed`: whether accounts without tokens may be read without one here.
    pub fn new(
        settings: &AccountSettings,
        policies: &Policies,
        anonymous_allowed: bool,
    ) -> Account {
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
            session: AccountSession::new(settings, policies.login.clone(), policies.retry.clone()),
            window: moka::future::Cache::builder()
                .max_capacity(1)
                .time_to_live(policies.ttl)
                .build(),
            last_good: Mutex::new(None),
            ttl: policies.ttl,
        }
    }

    /// The last day of readings: from the cache while it is fresh, else from one Share read
    /// shared by every caller waiting for it. Failures are not cached; when the read fails,
    /// the last good window (if fetched within a day) is served, marked stale.
    pub async fn window(&self, client: &ShareClient) -> Result<Served, Arc<UpstreamError>> {
        let asked_at = Utc::now();
        let fetched = self
            .window
            .try_get_with((), async {
                let readings = self
                    .session
                    .read(client, Minutes::FULL_DAY, MaxCount::FULL_DAY)
                    .await?;
                log::debug!("account {}: fetched {} readings", self.name, readings.len());
                let window = Arc::new(Window::new(readings, Utc::now()));
                if let Ok(mut last) = self.last_good.lock() {
                    *last = Some(Arc::clone(&window));
                }
                Ok(window)
            })
            .await;
        match fetched {
            Ok(window) => {
                let freshness = if window.fetched_at() >= asked_at {
                    Freshness::Fetched
                } else {
                    Freshness::Cached
                };
                Ok(Served { window, freshness })
            }
            Err(error) => match self.last_good(asked_at) {
                Some(window) => Ok(Served {
                    window,
                    freshness: Freshness::Stale(error),
                }),
                None => Err(error),
            },
        }
    }

    /// The last window Share answered, if it can still hold readings of the last day.
    fn last_good(&self, now: DateTime<Utc>) -> Option<Arc<Window>> {
        let last = self.last_good.lock().ok()?.clone()?;
        (now - last.fetched_at() < chrono::Duration::days(1)).then_some(last)
    }

    /// How long a fetched window is served without asking Share.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn status(&self) -> AccountStatus {
        self.session.status()
    }
}

/// All accounts, in config order.
pub struct Accounts(Vec<Arc<Account>>);

impl Accounts {
    /// `anonymous_allowed`: whether accounts without tokens may be read without one here.
    pub fn new(settings: &Settings, anonymous_allowed: bool) -> Accounts {
        let policies = Policies {
            ttl: settings.cache_ttl,
            login: settings.login.clone(),
            retry: settings.retry.clone(),
        };
        Accounts(
            settings
                .accounts
                .iter()
                .map(|s| Arc::new(Account::new(s, &policies, anonymous_allowed)))
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
