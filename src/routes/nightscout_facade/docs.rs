//! OpenAPI descriptions of the facade's parameters and errors.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::Problem;

/// The `{account}` path segment (absent on root aliases).
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // documents the parameter; handlers read it from the match info
pub struct NsAccountPath {
    /// Account name, as in `/accounts` (`demo` in `--demo` mode).
    #[param(example = "demo", pattern = "^[a-z0-9_-]{1,64}$")]
    account: String,
}

/// Query parameters of the entries endpoints.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the parameters; handlers parse them itself
pub struct EntriesParams {
    /// How many entries, newest first (default 10; 0 means all, as in Nightscout).
    #[param(minimum = 0, maximum = 100000)]
    count: Option<u32>,
    /// Only entries after this epoch-millisecond time (also `$gte`, `$lt`, `$lte`).
    #[param(rename = "find[date][$gt]")]
    find_date_gt: Option<i64>,
    /// Only entries at or after this ISO 8601 time (also `$gt`, `$lt`, `$lte`; a bare date
    /// such as `2026-11-26` means its midnight UTC).
    #[param(rename = "find[dateString][$gte]", value_type = Option<String>, format = DateTime)]
    find_date_string_gte: Option<String>,
}

/// Nightscout's refusal, which its clients read: `{"status":401,"message":"Unauthorized",
/// "description":"Invalid/Missing"}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NightscoutUnauthorized {
    pub status: u16,
    pub message: String,
    pub description: String,
}

/// The error answers of the facade.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only describes responses for the OpenAPI document
pub enum FacadeErrors {
    /// `query_invalid`: a parameter cannot be read.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// Credentials missing or not valid for this account, or credentials that disagree
    /// (`api-secret` or `?secret=` naming another token than `Authorization: Bearer` or
    /// `?token=`, or each other), in Nightscout's format. When some account needs a token,
    /// also for a name no account has.
    #[response(status = 401, content_type = "application/json")]
    Unauthorized(NightscoutUnauthorized),
    /// `account_not_found` (only when no account needs a token).
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// `too_many_auth_failures`: this client (its IPv4 address or IPv6 /64) has more than
    /// four failed credential attempts waiting at once, or more than 30 in the last minute.
    /// Requests with valid credentials are never refused.
    #[response(
        status = 429,
        content_type = "application/problem+json",
        headers(("Retry-After" = u64, description = "Seconds until the client's failed attempts have decayed below the limits"))
    )]
    TooManyAuthFailures(Problem),
    /// `upstream_auth_failed`, `upstream_locked` or `upstream_bad_response`.
    #[response(status = 502, content_type = "application/problem+json")]
    BadGateway(Problem),
    /// `upstream_unavailable`.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
    /// `upstream_timeout`.
    #[response(status = 504, content_type = "application/problem+json")]
    Timeout(Problem),
}
