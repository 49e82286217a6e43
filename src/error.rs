//! `ApiError`: every failure a client can see, as `application/problem+json` with a stable
//! `code`. The status table is the one `match` in `ApiError::kind`.

/// The media type of every error answer (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{AccountName, MaxCount, Minutes};
use crate::feed::UpstreamError;
use crate::share::ShareError;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:dexcom-share-proxy:problem:minutes_invalid",
    "title": "Invalid minutes",
    "status": 400,
    "detail": "minutes must be a whole number from 1 to 1440, got \"0\"",
    "code": "minutes_invalid"
}))]
pub struct Problem {
    /// `urn:dexcom-share-proxy:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem kind; the same for every occurrence of a code.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time and what to do about it.
    pub detail: String,
    /// Stable machine-readable code, e.g. `account_not_found`, `upstream_auth_failed`.
    pub code: String,
}

/// Names the realm in `WWW-Authenticate`.
const REALM: &str = "dexcom-share-proxy";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("minutes must be a whole number from 1 to {max}, {0}", max = Minutes::MAX)]
    MinutesInvalid(String),
    #[error("max_count must be a whole number from 1 to {max}, {0}", max = MaxCount::MAX)]
    MaxCountInvalid(String),
    #[error("the query string cannot be read: {0}")]
    QueryInvalid(String),
    #[error("several accounts are configured ({0}); choose one with ?account=<name>")]
    AccountRequired(String),
    #[error("no account is named {0:?}; GET /accounts lists the configured ones")]
    AccountNotFound(String),
    #[error(
        "account '{0}' needs a token: send `Authorization: Bearer <token>`, or add \
         `?token=<token>` where headers cannot be set"
    )]
    TokenRequired(String),
    /// The reason is one of a few fixed texts: never the token.
    #[error("{0}")]
    TokenInvalid(&'static str),
    #[error("the token does not give access to account '{0}'")]
    TokenForbidden(String),
    /// A Nightscout client without valid credentials: answered in Nightscout's own format.
    #[error("Nightscout credentials missing or not valid for account '{0}'")]
    NightscoutUnauthorized(String),
    /// A client past the limits of failed credential attempts (see [`crate::auth`]).
    #[error(
        "too many failed token attempts from this client's address (an IPv4 address or an \
         IPv6 /64); try again in {retry_after_seconds} s, with a valid token"
    )]
    TooManyAuthFailures { retry_after_seconds: u64 },
    /// The cap on concurrent event streams is reached.
    #[error("{max} event streams are open, the most this service serves at once; try again in {retry_after_seconds} s")]
    TooManyStreams {
        max: usize,
        retry_after_seconds: u64,
    },
    /// `/metrics` from a client that needs a metrics token and sent none.
    #[error(
        "/metrics needs a metrics token from this client: send `Authorization: Bearer <token>` \
         with one of the `[metrics] tokens`"
    )]
    MetricsTokenRequired,
    /// `/metrics` from a client no token could open it to.
    #[error(
        "/metrics is served only to clients on the service's own host (loopback); configure \
         `[metrics] tokens` to scrape it from elsewhere"
    )]
    MetricsForbidden,
    /// `/ready` before every account's feed has answered once; the text says which wait.
    #[error("{0}")]
    NotReady(String),
    #[error("no resource at this path; see /docs/ for the API")]
    NotFound,
    #[error("GET requests must not carry a body")]
    BodyNotAllowed,
    #[error("the URL is longer than {max} bytes")]
    UriTooLong { max: usize },
    #[error("the request headers are larger than {max} bytes in all")]
    HeadersTooLarge { max: usize },
    #[error("this resource only answers {allow}")]
    MethodNotAllowed { allow: &'static str },
    #[error("{}", upstream_detail(.account, .error))]
    Upstream {
        account: AccountName,
        error: Arc<UpstreamError>,
    },
}

/// What a client sees of each kind of failure.
struct Kind {
    status: StatusCode,
    /// The stable `code` of the problem document.
    code: &'static str,
    /// The problem's `title`.
    title: &'static str,
}

impl ApiError {
    fn kind(&self) -> Kind {
        match self {
            ApiError::MinutesInvalid(_) => Kind {
                status: StatusCode::BAD_REQUEST,
                code: "minutes_invalid",
                title: "Invalid minutes",
            },
            ApiError::MaxCountInvalid(_) => Kind {
                status: StatusCode::BAD_REQUEST,
                code: "max_count_invalid",
                title: "Invalid max_count",
            },
            ApiError::QueryInvalid(_) => Kind {
                status: StatusCode::BAD_REQUEST,
                code: "query_invalid",
                title: "Unreadable query string",
            },
            ApiError::AccountRequired(_) => Kind {
                status: StatusCode::BAD_REQUEST,
                code: "account_required",
                title: "Account required",
            },
            ApiError::AccountNotFound(_) => Kind {
                status: StatusCode::NOT_FOUND,
                code: "account_not_found",
                title: "Unknown account",
            },
            ApiError::TokenRequired(_) => Kind {
                status: StatusCode::UNAUTHORIZED,
                code: "token_required",
                title: "Token required",
            },
            ApiError::TokenInvalid(_) => Kind {
                status: StatusCode::UNAUTHORIZED,
                code: "token_invalid",
                title: "Invalid token",
            },
            ApiError::TokenForbidden(_) => Kind {
                status: StatusCode::FORBIDDEN,
                code: "token_forbidden",
                title: "Token not valid for this account",
            },
            ApiError::NightscoutUnauthorized(_) => Kind {
                status: StatusCode::UNAUTHORIZED,
                code: "nightscout_unauthorized",
                title: "Unauthorized",
            },
            ApiError::TooManyAuthFailures { .. } => Kind {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: "too_many_auth_failures",
                title: "Too many failed token attempts",
            },
            ApiError::TooManyStreams { .. } => Kind {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "too_many_streams",
                title: "Too many event streams",
            },
            ApiError::MetricsTokenRequired => Kind {
                status: StatusCode::UNAUTHORIZED,
                code: "token_required",
                title: "Token required",
            },
            ApiError::MetricsForbidden => Kind {
                status: StatusCode::FORBIDDEN,
                code: "metrics_forbidden",
                title: "Metrics not served to this client",
            },
            ApiError::NotReady(_) => Kind {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "not_ready",
                title: "Not ready",
            },
            ApiError::NotFound => Kind {
                status: StatusCode::NOT_FOUND,
                code: "not_found",
                title: "Not found",
            },
            ApiError::BodyNotAllowed => Kind {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "body_not_allowed",
                title: "Request body not allowed",
            },
            ApiError::UriTooLong { .. } => Kind {
                status: StatusCode::URI_TOO_LONG,
                code: "uri_too_long",
                title: "URL too long",
            },
            ApiError::HeadersTooLarge { .. } => Kind {
                status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                code: "headers_too_large",
                title: "Request headers too large",
            },
            ApiError::MethodNotAllowed { .. } => Kind {
                status: StatusCode::METHOD_NOT_ALLOWED,
                code: "method_not_allowed",
                title: "Method not allowed",
            },
            ApiError::Upstream { error, .. } => upstream_kind(error),
        }
    }

    /// When the service will call Share again, for `Retry-After`.
    pub fn retry_at(&self) -> Option<chrono::DateTime<Utc>> {
        match self {
            ApiError::Upstream { error, .. } => error.retry_at(),
            _ => None,
        }
    }

    /// A missing, wrong or misdirected token: answered slowly to repeat offenders.
    pub fn is_auth_failure(&self) -> bool {
        matches!(
            self,
            ApiError::TokenRequired(_)
                | ApiError::TokenInvalid(_)
                | ApiError::TokenForbidden(_)
                | ApiError::NightscoutUnauthorized(_)
                | ApiError::MetricsTokenRequired
        )
    }

    /// The stable code, also shown as `last_error.code` in `/accounts`.
    pub fn code(&self) -> &'static str {
        self.kind().code
    }

    pub fn problem(&self) -> Problem {
        let Kind {
            status,
            code,
            title,
        } = self.kind();
        Problem {
            problem_type: format!("urn:dexcom-share-proxy:problem:{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: self.to_string(),
            code: code.to_owned(),
        }
    }
}

/// The stable code of an upstream failure (`upstream_unavailable`, `upstream_auth_failed`…),
/// as `ApiError::Upstream` answers it, for push subscribers that have no request.
pub fn upstream_code(error: &UpstreamError) -> &'static str {
    upstream_kind(error).code
}

fn upstream_kind(error: &UpstreamError) -> Kind {
    let Some(cause) = error.cause() else {
        return Kind {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "upstream_unavailable",
            title: "Dexcom Share session unavailable",
        };
    };
    match cause {
        ShareError::CredentialsRejected { .. } => Kind {
            status: StatusCode::BAD_GATEWAY,
            code: "upstream_auth_failed",
            title: "Dexcom Share rejected the credentials",
        },
        ShareError::Locked { .. } => Kind {
            status: StatusCode::BAD_GATEWAY,
            code: "upstream_locked",
            title: "Dexcom Share locked the account",
        },
        ShareError::Timeout { .. } => Kind {
            status: StatusCode::GATEWAY_TIMEOUT,
            code: "upstream_timeout",
            title: "Dexcom Share did not answer in time",
        },
        ShareError::Transport(_) => Kind {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "upstream_unavailable",
            title: "Dexcom Share is unreachable",
        },
        ShareError::Status { status, .. } if *status >= 500 || *status == 429 => Kind {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "upstream_unavailable",
            title: "Dexcom Share is unavailable",
        },
        ShareError::SessionExpired { .. }
        | ShareError::SessionRejectedAfterLogin { .. }
        | ShareError::Fault { .. }
        | ShareError::Status { .. }
        | ShareError::Decode(_) => Kind {
            status: StatusCode::BAD_GATEWAY,
            code: "upstream_bad_response",
            title: "Unexpected answer from Dexcom Share",
        },
    }
}

fn upstream_detail(account: &AccountName, error: &UpstreamError) -> String {
    let pause = error
        .retry_at()
        .map(|u| {
            format!(
                " To protect the account, Share is not called again before {}.",
                u.to_rfc3339()
            )
        })
        .unwrap_or_default();
    let Some(cause) = error.cause() else {
        return format!(
            "account '{account}': Share ended the session and the last login was too recent \
             for another one.{pause}"
        );
    };
    match cause {
        ShareError::CredentialsRejected { code } => format!(
            "Dexcom Share rejected the credentials of account '{account}' ({code}). Check the \
             password and the region (us, ous or jp: an account asked in the wrong region is \
             refused like a wrong password); write phone numbers as +<country code><number>; \
             use the publisher's (the wearer's) Dexcom login, not a follower's.{pause}"
        ),
        ShareError::Locked { code } => format!(
            "Dexcom Share locked account '{account}' after too many failed logins ({code}). \
             Stop every app that logs in with a wrong password and wait before trying again.{pause}"
        ),
        // Share's own words stay in the log: a client gets a fixed text and the code.
        other => format!("account '{account}': {}.{pause}", other.public_text()),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind().status
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::NightscoutUnauthorized(_) = self {
            // Nightscout clients read this body, not a problem document.
            return HttpResponse::Unauthorized().json(serde_json::json!({
                "status": 401,
                "message": "Unauthorized",
                "description": "Invalid/Missing",
            }));
        }
        let problem = self.problem();
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(PROBLEM_JSON);
        match self {
            ApiError::MethodNotAllowed { allow } => {
                response.insert_header((header::ALLOW, *allow));
            }
            ApiError::TokenRequired(_) | ApiError::MetricsTokenRequired => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!("Bearer realm=\"{REALM}\""),
                ));
            }
            ApiError::TokenInvalid(_) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!("Bearer realm=\"{REALM}\", error=\"invalid_token\""),
                ));
            }
            ApiError::TooManyAuthFailures {
                retry_after_seconds,
            }
            | ApiError::TooManyStreams {
                retry_after_seconds,
                ..
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_seconds.to_string()));
            }
            _ => {}
        }
        if let Some(until) = self.retry_at() {
            let seconds = (until - Utc::now()).num_seconds().max(1);
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(problem)
    }
}
