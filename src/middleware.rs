//! What wraps every route: request size limits, no bodies on GET, the simulated-data label,
//! the slow answer to failed token attempts, and an access log with `?token=` redacted.

use std::net::IpAddr;
use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::{Logger, Next};
use actix_web::{web, Error, HttpMessage};

use crate::auth::{FailureAnswer, Recorded};
use crate::error::ApiError;
use crate::logging::{access_log, LogFormat};
use crate::routes::caller::UnauthorizedAnswer;
use crate::routes::nightscout_facade::SECRET_PARAM;
use crate::routes::query::TOKEN_PARAM;
use crate::routes::{SimulatedData, SIMULATED_HEADER};
use crate::state::AppState;

/// Longest path plus query string accepted (414 beyond). Real requests use a few hundred.
pub const MAX_URL_BYTES: usize = 8 * 1024;
/// Largest sum of header names and values accepted (431 beyond). actix-http itself closes
/// connections whose request head passes 128 KiB or 96 headers.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Around every route, in one layer (each layer costs every request an allocation): refuses
/// oversized URLs and headers and GET or HEAD requests with a body before routing; labels
/// answers about simulated accounts; and answers a missing, wrong or misdirected token (or a
/// status document the caller may not read, see [`UnauthorizedAnswer`]) only after a delay
/// that grows with the client's recent failures, or at once with 429 when the client has too
/// many failures waiting or too many in the last minute (see [`crate::auth::AuthFailures`]). The client is the peer's IPv4 address or IPv6 /64:
/// `X-Forwarded-For` is not trusted, since anyone can send it. Every answer is counted in
/// the HTTP metrics by route template and status, here rather than in a layer of its own.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let response = guarded(req, next).await?;
    let request = response.request();
    if let Some(state) = request.app_data::<web::Data<AppState>>() {
        state.metrics.http.record(
            request.path(),
            || request.match_pattern(),
            response.status().as_u16(),
            started.elapsed(),
        );
    }
    Ok(response)
}

async fn guarded(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if let Some(error) = refusal(&req) {
        return Ok(req.error_response(error).map_into_right_body());
    }
    let client = req.peer_addr().map(|a| a.ip());
    // A client past a limit gets 429 before its credentials are checked: answered after
    // the check, a fast 429 would still tell an attacker which guess was right.
    if let (Some(client), true) = (client, carries_credentials(&req)) {
        if let Some(state) = req.app_data::<web::Data<AppState>>().cloned() {
            if let Some(wait) = state.auth_failures.refusing(client).await {
                // The refused attempt counts too, so that a steady attack stays refused.
                drop(state.auth_failures.record(client).await);
                let retry_after_seconds =
                    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
                log::debug!(
                    "{client}: refused with 429 before its credentials were checked on {}",
                    req.path()
                );
                let error = ApiError::TooManyAuthFailures {
                    retry_after_seconds,
                };
                return Ok(req.error_response(error).map_into_right_body());
            }
        }
    }
    let mut response = next.call(req).await?;
    if response.request().extensions().contains::<SimulatedData>() {
        response.headers_mut().insert(
            HeaderName::from_static(SIMULATED_HEADER),
            HeaderValue::from_static("true"),
        );
    }
    let failure = response
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>())
        .filter(|e| e.is_auth_failure())
        .map(ApiError::code)
        .or_else(|| {
            let extensions = response.request().extensions();
            extensions
                .contains::<UnauthorizedAnswer>()
                .then_some("status_without_access")
        });
    match (failure, client) {
        (Some(code), Some(client)) => Ok(answer_auth_failure(response, client, code).await),
        _ => Ok(response.map_into_left_body()),
    }
}

/// Counts a failed credential attempt, then answers it after the client's delay, or at once
/// with 429 `too_many_auth_failures` when the client is past the limits.
async fn answer_auth_failure<B>(
    response: ServiceResponse<B>,
    client: IpAddr,
    code: &str,
) -> ServiceResponse<EitherBody<B>> {
    let Some(state) = response
        .request()
        .app_data::<web::Data<AppState>>()
        .cloned()
    else {
        return response.map_into_left_body();
    };
    let Recorded {
        client: key,
        failures,
        answer,
    } = state.auth_failures.record(client).await;
    let path = response.request().path().to_owned();
    match answer {
        FailureAnswer::Delay { delay, slot } => {
            log::info!(
                "{client} ({key}): {code} on {path} ({failures} failed token attempt(s) in the \
                 last minute; answering after {} ms)",
                delay.as_millis()
            );
            tokio::time::sleep(delay).await;
            drop(slot);
            response.map_into_left_body()
        }
        FailureAnswer::Refuse { retry_after } => {
            // Whole seconds, rounded up: a client that waits that long gets through.
            let retry_after_seconds =
                (retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0)).max(1);
            // At debug: under attack these come at request speed and would flood the log;
            // the delayed failures before them are logged at info.
            log::debug!(
                "{client} ({key}): {code} on {path} ({failures} failed token attempt(s) in the \
                 last minute; too many: 429, retry after {retry_after_seconds} s)"
            );
            let (request, _) = response.into_parts();
            ServiceResponse::from_err(
                ApiError::TooManyAuthFailures {
                    retry_after_seconds,
                },
                request,
            )
            .map_into_right_body()
        }
    }
}

/// Whether the request presents anything that could open an account: an `Authorization` or
/// `api-secret` header, or a `token` or `secret` query parameter.
fn carries_credentials(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::AUTHORIZATION)
        || headers.contains_key("api-secret")
        || form_urlencoded::parse(req.query_string().as_bytes())
            .any(|(name, _)| CREDENTIAL_PARAMS.contains(&name.as_ref()))
}

fn refusal(req: &ServiceRequest) -> Option<ApiError> {
    let url_bytes = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if url_bytes > MAX_URL_BYTES {
        Some(ApiError::UriTooLong { max: MAX_URL_BYTES })
    } else if header_bytes > MAX_HEADER_BYTES {
        Some(ApiError::HeadersTooLarge {
            max: MAX_HEADER_BYTES,
        })
    } else if matches!(*req.method(), Method::GET | Method::HEAD) && has_body(req) {
        Some(ApiError::BodyNotAllowed)
    } else {
        None
    }
}

fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    length.is_some_and(|n| n > 0) || headers.contains_key(header::TRANSFER_ENCODING)
}

/// The access log: one line per request, with `token` values in the query replaced by
/// `<redacted>` (the built-in `%r` would log them). For JSON logs the line is the request's
/// fields, which the JSON format turns into keys (see [`crate::logging::access_log`]).
pub fn access_log(format: LogFormat) -> Logger {
    match format {
        LogFormat::Text => {
            Logger::new("%a \"%{request}xi\" %s %b %Dms").custom_request_replace("request", |req| {
                format!(
                    "{} {} {:?}",
                    req.method(),
                    redacted_target(req),
                    req.version()
                )
            })
        }
        LogFormat::Json => Logger::new(access_log::FIELDS_FORMAT)
            .custom_request_replace("method", |req| req.method().to_string())
            .custom_request_replace("path", |req| access_log::no_tabs(redacted_target(req)))
            .custom_request_replace("version", |req| format!("{:?}", req.version())),
    }
}

/// The path and query of a request, credentials redacted.
fn redacted_target(req: &ServiceRequest) -> String {
    let query = req.query_string();
    if query.is_empty() {
        req.path().to_owned()
    } else {
        format!("{}?{}", req.path(), redact_query(query))
    }
}

/// Query parameters that carry credentials: `token`, and Nightscout's `secret` (the SHA-1 of
/// a token, which opens the account just as well).
const CREDENTIAL_PARAMS: [&str; 2] = [TOKEN_PARAM, SECRET_PARAM];

/// Replaces the value of every parameter whose decoded name carries a credential.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            let raw_name = pair.split_once('=').map_or(pair, |(name, _)| name);
            let is_token = form_urlencoded::parse(raw_name.as_bytes())
                .next()
                .is_some_and(|(name, _)| CREDENTIAL_PARAMS.contains(&name.as_ref()));
            if is_token {
                format!("{raw_name}=<redacted>")
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_values_are_redacted_however_the_name_is_written() {
        let cases = [
            ("account=alice", "account=alice"),
            ("token=abcdefghijklmnop", "token=<redacted>"),
            (
                "account=a&tok%65n=abcdefghijklmnop&minutes=5",
                "account=a&tok%65n=<redacted>&minutes=5",
            ),
            ("token", "token=<redacted>"),
            ("secret=0123abcd&count=3", "secret=<redacted>&count=3"),
            (
                "tokens=x&token=y&token=z",
                "tokens=x&token=<redacted>&token=<redacted>",
            ),
        ];
        for (query, want) in cases {
            assert_eq!(redact_query(query), want, "{query}");
        }
    }
}
