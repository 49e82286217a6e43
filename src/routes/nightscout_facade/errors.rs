//! The facade's error answers, as the OpenAPI document describes them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::responses::TooManyAuthFailures;
use crate::error::Problem;

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
    #[response(status = 429)]
    TooManyAuthFailures(#[to_response] TooManyAuthFailures),
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
