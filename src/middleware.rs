//! What wraps every route: request size limits, no bodies on GET, the simulated-data label,
//! the slow answer to failed token attempts, and an access log with `?token=` redacted.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::{Logger, Next};
use actix_web::{web, Error, HttpMessage};

use crate::error::ApiError;
use crate::routes::access::TOKEN_PARAM;
use crate::routes::{SimulatedData, SIMULATED_HEADER};
use crate::state::AppState;

/// Longest path plus query string accepted (414 beyond). Real requests use a few hundred.
pub const MAX_URL_BYTES: usize = 8 * 1024;
/// Largest sum of header names and values accepted (431 beyond). actix-http itself closes
/// connections whose request head passes 128 KiB or 96 headers.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Around every route, in one layer (each layer costs every request an allocation): refuses
/// oversized URLs and headers and GET or HEAD requests with a body before routing; labels
/// answers about simulated accounts; and answers a missing, wrong or misdirected token only
/// after a delay that grows with the client's recent failures (see
/// [`crate::auth::AuthFailures`]). The client is the peer's IPv4 address or IPv6 /64:
/// `X-Forwarded-For` is not trusted, since anyone can send it.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if let Some(error) = refusal(&req) {
        return Ok(req.error_response(error).map_into_right_body());
    }
    let client = req.peer_addr().map(|a| a.ip());
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
        .map(ApiError::code);
    if let (Some(code), Some(client)) = (failure, client) {
        let Some(state) = response
            .request()
            .app_data::<web::Data<AppState>>()
            .cloned()
        else {
            return Ok(response.map_into_left_body());
        };
        let (failures, delay) = state.auth_failures.record(client).await;
        log::info!(
            "{client}: {code} on {} ({failures} failed token attempt(s) in the last minute; \
             answering after {} ms)",
            response.request().path(),
            delay.as_millis()
        );
        tokio::time::sleep(delay).await;
    }
    Ok(response.map_into_left_body())
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
/// `<redacted>` (the built-in `%r` would log them).
pub fn access_log() -> Logger {
    Logger::new("%a \"%{request}xi\" %s %b %Dms").custom_request_replace("request", |req| {
        let query = req.query_string();
        let target = if query.is_empty() {
            req.path().to_owned()
        } else {
            format!("{}?{}", req.path(), redact_query(query))
        };
        format!("{} {target} {:?}", req.method(), req.version())
    })
}

/// Query parameters that carry credentials: `token`, and Nightscout's `secret` (the SHA-1 of
/// a token, which opens the account just as well).
const CREDENTIAL_PARAMS: [&str; 2] = [TOKEN_PARAM, "secret"];

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
