//! Response builders shared by the Share endpoints, and fault answers.

use std::io;
use std::time::Duration;

use actix_web::http::{header, StatusCode};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, HttpResponseBuilder};
use futures_util::stream;
use uuid::Uuid;

use super::bomb::bomb_body;
use super::envelope::{envelope_json, ErrorContext};
use super::faults::{BombEncoding, Endpoint, FaultKind};
use super::state::SimState;

/// Body of Dexcom's plain 400 answer (malformed session id and the like).
pub const BAD_REQUEST_BODY: &str =
    "The server encountered an error processing the request. See server logs for more details.";

/// Headers Dexcom's responses carry; login endpoints add no-cache headers.
fn share_headers(mut builder: HttpResponseBuilder, endpoint: Endpoint) -> HttpResponseBuilder {
    builder
        .insert_header(("x-trace-id", Uuid::new_v4().to_string()))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if endpoint.is_login() {
        builder
            .insert_header((
                header::CACHE_CONTROL,
                "no-cache, no-store, max-age=0, must-revalidate",
            ))
            .insert_header((header::EXPIRES, "0"))
            .insert_header((header::PRAGMA, "no-cache"))
            .insert_header((header::X_FRAME_OPTIONS, "DENY"))
            .insert_header((header::X_XSS_PROTECTION, "0"));
    }
    builder
}

/// 200 JSON. Login answers carry a Content-Length; read answers are chunked,
/// as recorded.
pub fn json_ok(body: String, endpoint: Endpoint) -> HttpResponse {
    let mut builder = share_headers(HttpResponse::Ok(), endpoint);
    builder.content_type("application/json");
    if endpoint.is_login() {
        builder.body(body)
    } else {
        builder.streaming(stream::once(async move {
            Ok::<_, io::Error>(Bytes::from(body))
        }))
    }
}

/// HTTP 500 with the Dexcom envelope.
pub fn error_response(
    code: &str,
    message: Option<&str>,
    ctx: &ErrorContext,
    endpoint: Endpoint,
) -> HttpResponse {
    share_headers(HttpResponse::InternalServerError(), endpoint)
        .content_type("application/json")
        .body(envelope_json(code, message, ctx))
}

/// HTTP 400 with Dexcom's plain-text body.
pub fn bad_request() -> HttpResponse {
    HttpResponse::BadRequest()
        .content_type("text/plain; charset=utf-8")
        .body(BAD_REQUEST_BODY)
}

/// 405 for any method but POST on the Share paths.
pub async fn post_only() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, "POST"))
        .finish()
}

/// 200 whose body stream breaks after a few bytes: the connection closes
/// without a complete (chunked) body.
fn dropped_connection() -> HttpResponse {
    let chunks = stream::unfold(0u8, |step| async move {
        match step {
            0 => Some((Ok(Bytes::from_static(b"[{\"WT\":\"Date(17")), 1)),
            1 => {
                // Let the first chunk reach the client before breaking off.
                actix_web::rt::time::sleep(Duration::from_millis(50)).await;
                Some((
                    Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "share-simulator: injected connection drop",
                    )),
                    2,
                ))
            }
            _ => None,
        }
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .streaming(chunks)
}

/// 200 JSON with `Content-Encoding` set and a bomb for a body, in one piece with a
/// `Content-Length` (a client receives it in as few reads as its buffers allow).
fn compression_bomb(encoding: BombEncoding, decoded_mb: u32, endpoint: Endpoint) -> HttpResponse {
    share_headers(HttpResponse::Ok(), endpoint)
        .content_type("application/json")
        .insert_header((header::CONTENT_ENCODING, encoding.token()))
        .body(bomb_body(encoding, decoded_mb))
}

/// A redirect to `location`, with the HTML body web servers write (which repeats it).
fn redirect(status: u16, location: &str) -> HttpResponse {
    let escaped = location
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::FOUND))
        .insert_header((header::LOCATION, location))
        .content_type("text/html")
        .body(format!(
            "<html><body>Moved: <a href=\"{escaped}\">{escaped}</a></body></html>"
        ))
}

/// Counts the request and, if a fault matches, answers it (a stall waits and
/// then lets the request continue normally).
pub async fn apply_fault(
    state: &SimState,
    endpoint: Endpoint,
    ctx: &ErrorContext,
) -> Option<HttpResponse> {
    let kind = state.arrive(endpoint)?;
    log::info!("{endpoint:?}: injected fault {kind:?}");
    Some(match kind {
        FaultKind::ErrorCode { code, message } => {
            error_response(&code, message.as_deref(), ctx, endpoint)
        }
        FaultKind::HttpStatus {
            status,
            body,
            content_type,
        } => HttpResponse::build(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        )
        .content_type(content_type)
        .body(body),
        FaultKind::Stall { millis } => {
            // Real milliseconds, even on a scaled clock: a stall models a slow network, and
            // the proxy's timeouts bound real sockets.
            actix_web::rt::time::sleep(Duration::from_millis(millis)).await;
            return None;
        }
        FaultKind::DropConnection => dropped_connection(),
        FaultKind::MalformedJson => {
            let body = if endpoint.is_login() {
                "\"5b1e3c55-7d2a-4f0e"
            } else {
                "[{\"WT\":\"Date(1745081013817)\",\"ST\":\"Date(1745081013817)\",\"DT\":\"Date(17450"
            };
            share_headers(HttpResponse::Ok(), endpoint)
                .content_type("application/json")
                .body(body)
        }
        FaultKind::ZeroUuid => json_ok(format!("\"{}\"", Uuid::nil()), endpoint),
        FaultKind::CompressionBomb {
            encoding,
            decoded_mb,
        } => compression_bomb(encoding, decoded_mb, endpoint),
        FaultKind::Redirect { status, location } => redirect(status, &location),
    })
}
