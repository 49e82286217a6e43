//! The error answers the handlers document in the OpenAPI document (the bodies are
//! [`Problem`]s built by [`crate::error::ApiError`]).

use crate::error::Problem;

/// `too_many_auth_failures`: this client (its IPv4 address or IPv6 /64) has more than four
/// failed credential attempts waiting at once, or more than 30 in the last minute; answered at
/// once instead of after the growing delay. Requests with valid credentials are never refused.
#[derive(utoipa::ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = u64, description = "Seconds until the client's failed attempts have decayed below the limits"))
)]
#[allow(dead_code)] // only describes a response for the OpenAPI document
pub struct TooManyAuthFailures(Problem);

/// The error answers every readings endpoint documents (all `application/problem+json`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only describes responses for the OpenAPI document
pub enum ReadingErrors {
    /// `minutes_invalid` or `max_count_invalid` (`/readings`), `account_required`
    /// (several accounts and none named), `query_invalid`.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// `token_required`: the account needs a token and none was sent; `token_invalid`: the
    /// token opens no account (or the header and `?token=` disagree). When some account needs
    /// a token, a name no account has gets the same answer as one that needs a token, so that
    /// names cannot be probed.
    #[response(
        status = 401,
        content_type = "application/problem+json",
        headers(("WWW-Authenticate" = String))
    )]
    Unauthorized(Problem),
    /// `token_forbidden`: the token belongs to another account (or, when some account needs a
    /// token, no account has the name).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// `account_not_found`: no account has the name (only when no account needs a token).
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    #[response(status = 429)]
    TooManyAuthFailures(#[to_response] TooManyAuthFailures),
    /// `upstream_auth_failed` (with `Retry-After`), `upstream_locked` (with `Retry-After`) or
    /// `upstream_bad_response`.
    #[response(
        status = 502,
        content_type = "application/problem+json",
        headers(("Retry-After" = u64, description = "Seconds before the service tries to log in again (after a rejected login)"))
    )]
    BadGateway(Problem),
    /// `upstream_unavailable`: Share unreachable or answering with an HTTP error page.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
    /// `upstream_timeout`: no complete answer within `upstream.timeout_seconds`.
    #[response(status = 504, content_type = "application/problem+json")]
    Timeout(Problem),
}

/// The error answers of `/accounts` (`application/problem+json`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only describes responses for the OpenAPI document
pub enum AccountsErrors {
    /// `query_invalid`: the query string cannot be read or `token` is given twice.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// `token_invalid`: the token opens no account. Without a token the answer is 200 with
    /// the accounts that need none.
    #[response(
        status = 401,
        content_type = "application/problem+json",
        headers(("WWW-Authenticate" = String))
    )]
    Unauthorized(Problem),
    #[response(status = 429)]
    TooManyAuthFailures(#[to_response] TooManyAuthFailures),
}

/// The error answers of `/readings/stream` (`application/problem+json`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only describes responses for the OpenAPI document
pub enum StreamErrors {
    /// `account_required`, `query_invalid`.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// `token_required` or `token_invalid`, as for `/readings`.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// `token_forbidden`.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// `account_not_found`.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    #[response(status = 429)]
    TooMany(#[to_response] TooManyAuthFailures),
    /// `too_many_streams`: `push.max_streams` streams are open.
    #[response(
        status = 503,
        content_type = "application/problem+json",
        headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))
    )]
    Unavailable(Problem),
}

/// The error answers of `/metrics` (`application/problem+json`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only describes responses for the OpenAPI document
pub enum MetricsErrors {
    /// `token_required`: the client is not on the service's host (or `[metrics]
    /// require_token` is on) and sent no token; `token_invalid`: the token is not a metrics
    /// token, or `Authorization` is not `Bearer <token>`.
    #[response(
        status = 401,
        content_type = "application/problem+json",
        headers(("WWW-Authenticate" = String))
    )]
    Unauthorized(Problem),
    /// `metrics_forbidden`: the client is not on the service's host and no metrics tokens
    /// are configured.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// `not_found`: `[metrics] enabled = false`.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    #[response(status = 429)]
    TooManyAuthFailures(#[to_response] TooManyAuthFailures),
}

/// The error answer of `/ready` (`application/problem+json`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only describes responses for the OpenAPI document
pub enum ReadyErrors {
    /// `not_ready`: some account's feed has not answered yet; the detail says which (or how
    /// many).
    #[response(status = 503, content_type = "application/problem+json")]
    NotReady(Problem),
}
