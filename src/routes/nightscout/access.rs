//! Who may read an account through the facade: Nightscout's `api-secret` (the SHA-1 of one of
//! the account's tokens, or `token=<token>`), `?secret=`, or the API's own `?token=` and
//! `Authorization: Bearer`.

use std::sync::Arc;

use actix_web::{HttpMessage, HttpRequest};

use super::super::access::{echoed_name, hides_unknown_names, Caller};
use super::super::query::{truncate, QueryParams};
use super::super::SimulatedData;
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
    match req.match_info().get("account") {
        Some(name) => match accounts.find(name) {
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

pub(super) fn ns_caller(
    req: &HttpRequest,
    accounts: &Accounts,
    query: &QueryParams,
) -> Result<Caller, ApiError> {
    let invalid = || ApiError::TokenInvalid("the Nightscout secret is not valid for any account");
    let header = req
        .headers()
        .get("api-secret")
        .and_then(|v| v.to_str().ok());
    let from_query = query
        .single("secret")
        .map_err(|_| ApiError::QueryInvalid("secret is given more than once".to_owned()))?;
    let Some(secret) = header.or(from_query).filter(|s| !s.is_empty()) else {
        return Caller::of(req, accounts, query);
    };
    let holder = match secret.strip_prefix("token=") {
        Some(token) => accounts.token_holder(&Secret::new(token.to_owned())),
        None => {
            Sha1Digest::from_hex(secret.trim()).and_then(|d| accounts.nightscout_secret_holder(&d))
        }
    };
    holder
        .map(|a| Caller::Holder(Arc::clone(a)))
        .ok_or_else(invalid)
}
