//! Who may read an account through the facade: Nightscout's `api-secret` (the SHA-1 of one of
//! the account's tokens, or `token=<token>`), `?secret=`, or the API's own `?token=` and
//! `Authorization: Bearer`; when several are given, they must agree.

use std::sync::Arc;

use actix_web::{HttpMessage, HttpRequest};

use super::super::caller::{echoed_name, hides_unknown_names, presented_token, Caller};
use super::super::query::{truncate, FromQuery, QueryParams, TokenQuery};
use super::super::SimulatedData;
use super::params::{NsAccountPath, SecretQuery};
use crate::accounts::{Account, Accounts};
use crate::auth::Sha1Digest;
use crate::domain::Secret;
use crate::error::ApiError;
use crate::state::AppState;

/// The account of a facade request (the `{account}` segment, or the only account on the root
/// aliases), once the caller has shown it may read it. Nightscout clients authenticate with
/// `api-secret: <SHA-1 of a token>`, `api-secret: token=<token>`, `?secret=<SHA-1>`, or, like
/// the rest of the API, `?token=` and `Authorization: Bearer`. Refusals use Nightscout's 401,
/// for a name no account has too (see [`hides_unknown_names`]).
pub(super) fn ns_account(
    req: &HttpRequest,
    state: &AppState,
    query: &QueryParams,
) -> Result<Arc<Account>, ApiError> {
    // The credentials first, whatever the name: an unknown name costs the same work.
    let caller = ns_caller(req, &state.accounts, query);
    let account = match named_account(req, state)? {
        Named::Account(account) => account,
        Named::Unknown(name) => return Err(ApiError::NightscoutUnauthorized(name)),
    };
    let refused = || ApiError::NightscoutUnauthorized(account.name.to_string());
    caller
        .map_err(|_| refused())?
        .check_read(&account)
        .map_err(|_| refused())?;
    if account.simulated {
        req.extensions_mut().insert(SimulatedData);
    }
    Ok(account)
}

/// What the `{account}` segment names.
pub(super) enum Named {
    Account(Arc<Account>),
    /// No account has this name (as echoed), and it is to be answered like a protected
    /// account the caller may not read.
    Unknown(String),
}

/// The account the path names (the only one on the root aliases); 404 for an unknown name
/// only when no account needs a token.
pub(super) fn named_account(req: &HttpRequest, state: &AppState) -> Result<Named, ApiError> {
    let accounts = &state.accounts;
    match NsAccountPath::of(req) {
        Some(NsAccountPath { account: name }) => match accounts.find(name) {
            Some(account) => Ok(Named::Account(Arc::clone(account))),
            None if hides_unknown_names(accounts) => Ok(Named::Unknown(echoed_name(name))),
            None => Err(ApiError::AccountNotFound(truncate(name))),
        },
        None => accounts
            .single()
            .map(|account| Named::Account(Arc::clone(account)))
            .ok_or_else(|| ApiError::AccountRequired("use /ns/{account}/ paths".to_owned())),
    }
}

/// Who is asking, from every credential the request carries: Nightscout's `api-secret` header
/// and `?secret=` (each the SHA-1 of a token, or `token=<token>`), and the API's own
/// `Authorization: Bearer` and `?token=`. Without a Nightscout credential this is
/// [`Caller::of`]. Otherwise all the credentials given must name the same token (the same
/// token given two ways is fine): credentials that disagree, or of which one cannot be read,
/// are refused, as the native API refuses a header and `?token=` that disagree, and never
/// settled by one of them winning.
pub(super) fn ns_caller(
    req: &HttpRequest,
    accounts: &Accounts,
    query: &QueryParams,
) -> Result<Caller, ApiError> {
    let invalid = || ApiError::TokenInvalid("the Nightscout secret is not valid for any account");
    let mut headers = req.headers().get_all("api-secret");
    let header = headers
        .next()
        .map(|v| v.to_str().map_err(|_| invalid()))
        .transpose()?;
    if headers.next().is_some() {
        return Err(ApiError::TokenInvalid("api-secret is given more than once"));
    }
    let SecretQuery { secret } = SecretQuery::from_query(query)?;
    let token = TokenQuery::from_query(query)?;
    let mut presented: Vec<Presented> = [header, secret.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .map(Presented::nightscout)
        .collect();
    if presented.is_empty() {
        return Caller::of(req, accounts, &token);
    }
    presented.extend(presented_token(req, &token)?.map(Presented::Token));

    let digests = presented
        .iter()
        .map(Presented::sha1)
        .collect::<Option<Vec<Sha1Digest>>>()
        .ok_or_else(invalid)?;
    let Some((first, others)) = digests.split_first() else {
        return Err(invalid());
    };
    if others.iter().any(|other| !other.same_as(first)) {
        return Err(ApiError::TokenInvalid(
            "the request's credentials (api-secret, ?secret=, Authorization, ?token=) name \
             different tokens",
        ));
    }
    // A token given as itself is checked as the API checks tokens; a SHA-1 alone, by its SHA-1.
    let token = presented.iter().find_map(|p| match p {
        Presented::Token(token) => Some(token),
        Presented::Sha1(_) => None,
    });
    let holder = match token {
        Some(token) => accounts.token_holder(token),
        None => accounts.nightscout_secret_holder(first),
    };
    holder
        .map(|a| Caller::Holder(Arc::clone(a)))
        .ok_or_else(invalid)
}

/// One credential of a facade request.
enum Presented {
    /// A token itself: `api-secret: token=<token>`, `Authorization: Bearer`, `?token=`.
    Token(Secret<String>),
    /// The SHA-1 of a token (`api-secret`, `?secret=`); `None` when it is not 40 hex digits.
    Sha1(Option<Sha1Digest>),
}

impl Presented {
    /// An `api-secret` header or `?secret=` value.
    fn nightscout(value: &str) -> Presented {
        match value.strip_prefix("token=") {
            Some(token) => Presented::Token(Secret::new(token.to_owned())),
            None => Presented::Sha1(Sha1Digest::from_hex(value.trim())),
        }
    }

    /// The SHA-1 of the token this names, by which credentials given in different forms are
    /// compared.
    fn sha1(&self) -> Option<Sha1Digest> {
        match self {
            Presented::Token(token) => Some(Sha1Digest::of(token)),
            Presented::Sha1(digest) => digest.clone(),
        }
    }
}
