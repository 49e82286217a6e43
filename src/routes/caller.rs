//! Who is asking: the token a request presents (`Authorization: Bearer`, else `?token=`) and
//! the account it belongs to, and whether that caller may read an account. Checked before
//! anything calls Share.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::HttpRequest;

use super::query::{truncate, TokenQuery};
use crate::accounts::{Account, Accounts};
use crate::domain::{AccountName, Secret};
use crate::error::ApiError;

/// The caller of one request.
pub enum Caller {
    /// No token presented.
    Anonymous,
    /// A valid token of this account.
    Holder(Arc<Account>),
}

impl Caller {
    /// Identifies the caller; a token that opens no account is refused (never downgraded to
    /// anonymous, so a typo shows up as an error instead of as missing accounts).
    pub fn of(
        req: &HttpRequest,
        accounts: &Accounts,
        query: &TokenQuery,
    ) -> Result<Self, ApiError> {
        match presented_token(req, query)? {
            None => Ok(Caller::Anonymous),
            Some(token) => accounts
                .token_holder(&token)
                .map(|a| Caller::Holder(Arc::clone(a)))
                .ok_or(ApiError::TokenInvalid(
                    "the token is not valid for any account",
                )),
        }
    }

    /// Accounts without tokens (where anonymous reads are allowed) are open to everyone; the
    /// others only to holders of their own tokens.
    pub fn may_read(&self, account: &Account) -> bool {
        account.access.is_anonymous()
            || matches!(self, Caller::Holder(own) if own.name == account.name)
    }

    /// `may_read`, as the error to answer otherwise: 401 without a token, 403 with another
    /// account's token.
    pub fn check_read(&self, account: &Account) -> Result<(), ApiError> {
        match self {
            _ if self.may_read(account) => Ok(()),
            Caller::Anonymous => Err(ApiError::TokenRequired(account.name.to_string())),
            Caller::Holder(_) => Err(ApiError::TokenForbidden(account.name.to_string())),
        }
    }
}

/// Whether a name no account has is answered like an account the caller may not read (401 or
/// 403, Nightscout's 401, the status document of a protected account) instead of 404: so it is
/// whenever some account needs a token, since a 404 would tell a caller without one which of
/// the names it tries exist. When no account needs a token, `/accounts` lists them all to
/// anyone anyway, and a typo is better told apart.
pub fn hides_unknown_names(accounts: &Accounts) -> bool {
    accounts.all().iter().any(|a| !a.access.is_anonymous())
}

/// A requested account name as answers echo it: whole up to the longest possible account
/// name, so that an unknown name is echoed exactly as an existing one would be.
pub fn echoed_name(requested: &str) -> String {
    requested.chars().take(AccountName::MAX_LEN).collect()
}

/// Marks an answer given although the caller may not read the account it is about (the
/// public status document of a protected or unknown account): the service counts it as a
/// failed credential attempt, like a refusal, so that probing names costs as much as probing
/// tokens.
#[derive(Clone, Copy)]
pub struct UnauthorizedAnswer;

impl Caller {
    /// The answer to a name that no account has: see [`hides_unknown_names`]. The refusal is
    /// the one an existing account the caller may not read gets (401 without a token, 403
    /// with another account's), naming the requested name.
    pub fn unknown_account(&self, accounts: &Accounts, requested: &str) -> ApiError {
        if !hides_unknown_names(accounts) {
            return ApiError::AccountNotFound(truncate(requested));
        }
        match self {
            Caller::Anonymous => ApiError::TokenRequired(echoed_name(requested)),
            Caller::Holder(_) => ApiError::TokenForbidden(echoed_name(requested)),
        }
    }
}

/// The token from the `Authorization: Bearer` header or `?token=`. When both are given they
/// must agree. An empty `?token=` counts as none (a client with an unset token setting).
pub(super) fn presented_token(
    req: &HttpRequest,
    query: &TokenQuery,
) -> Result<Option<Secret<String>>, ApiError> {
    let from_header = bearer(req)?;
    match (from_header, &query.token) {
        (Some(h), Some(q)) if h != q.expose().as_str() => Err(ApiError::TokenInvalid(
            "the Authorization header and ?token= carry different tokens",
        )),
        (Some(token), _) => Ok(Some(Secret::new(token.to_owned()))),
        (None, Some(token)) => Ok(Some(token.clone())),
        (None, None) => Ok(None),
    }
}

pub(super) fn bearer(req: &HttpRequest) -> Result<Option<&str>, ApiError> {
    const MALFORMED: ApiError = ApiError::TokenInvalid("Authorization must be `Bearer <token>`");
    let mut values = req.headers().get_all(header::AUTHORIZATION);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::TokenInvalid(
            "Authorization is given more than once",
        ));
    }
    let (scheme, token) = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .ok_or(MALFORMED)?;
    let token = token.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() {
        Ok(Some(token))
    } else {
        Err(MALFORMED)
    }
}
