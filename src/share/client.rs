//! HTTP calls to Share. Every call is a POST with a JSON body, bounded by one deadline that
//! covers connecting, sending and reading the whole answer.
//!
//! Whatever answers at the Share address is not trusted with more than 2 MiB of memory or
//! with the password: awc is built without its decompression features (Cargo.toml), so it
//! neither asks for nor decodes compressed answers, and an answer that comes encoded anyway
//! is refused unread; redirects are not followed, since awc would re-send the login body,
//! password included, to any host a 307 or 308 names.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use awc::http::{header, header::HeaderMap, StatusCode};
use serde_json::json;
use uuid::Uuid;

use super::error::{classify, ShareError};
use super::observe::{CallObserver, CallTimer, Endpoint};
use super::scrub::shown;
use super::wire::{self, DecodeError};
use crate::domain::{MaxCount, Minutes, Reading, Region, Secret};

/// A 288-record window is about 35 KB; anything far larger is not Share talking.
const BODY_LIMIT: usize = 2 * 1024 * 1024;
const USER_AGENT: &str = concat!("dexcom-share-proxy/", env!("CARGO_PKG_VERSION"));

/// Where one account's Share lives: the region's base URL (or an override) and app ID.
#[derive(Clone, Debug)]
pub struct ShareEndpoint {
    base_url: String,
    application_id: &'static str,
}

impl ShareEndpoint {
    pub fn new(region: Region, base_url_override: Option<String>) -> Self {
        let mut base_url = base_url_override.unwrap_or_else(|| region.base_url().to_owned());
        if !base_url.ends_with('/') {
            base_url.push('/');
        }
        ShareEndpoint {
            base_url,
            application_id: region.application_id(),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

/// The Share API client. Built once per actix worker: awc clients are not `Send`.
pub struct ShareClient {
    http: awc::Client,
    timeout: Duration,
    observer: Option<Arc<dyn CallObserver>>,
}

impl ShareClient {
    pub fn new(timeout: Duration) -> Self {
        let http = awc::Client::builder()
            .timeout(timeout)
            .connector(awc::Connector::new().timeout(timeout))
            .disable_redirects()
            .add_default_header((header::USER_AGENT, USER_AGENT))
            .add_default_header((header::ACCEPT, "application/json"))
            // awc says the same without its compression features; this keeps it so if a
            // dependency ever turns them on again.
            .add_default_header((header::ACCEPT_ENCODING, "identity"))
            .finish();
        ShareClient {
            http,
            timeout,
            observer: None,
        }
    }

    /// The client, telling `observer` about every call (the service's metrics).
    pub fn observed_by(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Runs one call, telling the observer how it ended (a call dropped halfway counts as
    /// a timeout: see [`CallTimer`]).
    async fn timed<T>(
        &self,
        endpoint: Endpoint,
        call: impl Future<Output = Result<T, ShareError>>,
    ) -> Result<T, ShareError> {
        let timer = CallTimer::start(self.observer.as_ref(), endpoint);
        let result = call.await;
        timer.finish(&result);
        result
    }

    /// Step 1: username, e-mail or phone number → the account's stable ID.
    pub async fn authenticate(
        &self,
        endpoint: &ShareEndpoint,
        username: &str,
        password: &Secret<String>,
    ) -> Result<Uuid, ShareError> {
        let body = json!({
            "accountName": username,
            "password": password.expose(),
            "applicationId": endpoint.application_id,
        });
        self.timed(Endpoint::Authenticate, async {
            let bytes = self
                .post(endpoint, "General/AuthenticatePublisherAccount", "", body)
                .await?;
            non_null(wire::parse_uuid(&bytes)?)
        })
        .await
    }

    /// Step 2: account ID → a new session ID.
    pub async fn login_by_id(
        &self,
        endpoint: &ShareEndpoint,
        account_id: Uuid,
        password: &Secret<String>,
    ) -> Result<Secret<Uuid>, ShareError> {
        let body = json!({
            "accountId": account_id,
            "password": password.expose(),
            "applicationId": endpoint.application_id,
        });
        self.timed(Endpoint::LoginById, async {
            let bytes = self
                .post(endpoint, "General/LoginPublisherAccountById", "", body)
                .await?;
            non_null(wire::parse_uuid(&bytes)?).map(Secret::new)
        })
        .await
    }

    /// The newest readings, newest first.
    pub async fn read_glucose(
        &self,
        endpoint: &ShareEndpoint,
        session: &Secret<Uuid>,
        minutes: Minutes,
        max_count: MaxCount,
    ) -> Result<Vec<Reading>, ShareError> {
        let query = format!(
            "?sessionId={}&minutes={}&maxCount={}",
            session.expose(),
            minutes.get(),
            max_count.get()
        );
        self.timed(Endpoint::Read, async {
            let bytes = self
                .post(
                    endpoint,
                    "Publisher/ReadPublisherLatestGlucoseValues",
                    &query,
                    json!({}),
                )
                .await?;
            Ok(wire::parse_readings(&bytes)?)
        })
        .await
    }

    async fn post(
        &self,
        endpoint: &ShareEndpoint,
        path: &str,
        query: &str,
        body: serde_json::Value,
    ) -> Result<Vec<u8>, ShareError> {
        let url = format!("{}{path}{query}", endpoint.base_url);
        let call = async {
            let mut response = self
                .http
                .post(url)
                .send_json(&body)
                .await
                .map_err(|e| match e {
                    awc::error::SendRequestError::Timeout => self.timeout_error(),
                    other => ShareError::Transport(shown(&other.to_string(), 200)),
                })?;
            if let Some(refused) = refuse_before_body(response.status(), response.headers()) {
                return Err(refused);
            }
            let bytes = response.body().limit(BODY_LIMIT).await.map_err(|e| {
                ShareError::Transport(shown(&format!("reading the answer: {e}"), 200))
            })?;
            let status = response.status();
            if status.is_success() {
                Ok(bytes.to_vec())
            } else {
                Err(classify(status.as_u16(), &bytes))
            }
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .unwrap_or_else(|_| Err(self.timeout_error()))
    }

    fn timeout_error(&self) -> ShareError {
        ShareError::Timeout {
            seconds: self.timeout.as_secs(),
        }
    }
}

/// What the head of an answer decides before any of its body is read. A redirect is an
/// upstream fault: its `Location` and its body, which may say anything, are dropped. An
/// encoded answer was never asked for (Share answers unencoded unless asked, SHARE_PROTOCOL
/// §3.3), so it is refused unread, whatever awc's features would decode.
fn refuse_before_body(status: StatusCode, headers: &HeaderMap) -> Option<ShareError> {
    if status.is_redirection() {
        return Some(ShareError::Status {
            status: status.as_u16(),
            snippet: "(a redirect: not followed, its target withheld)".to_owned(),
        });
    }
    let encoding = headers.get(header::CONTENT_ENCODING)?.as_bytes();
    if encoding.eq_ignore_ascii_case(b"identity") {
        return None;
    }
    if !status.is_success() {
        // A gzipped 503 page is still a 503: classified by its status alone.
        return Some(classify(status.as_u16(), b""));
    }
    // Named only when it is a plain token: the header is Share's (or anyone's) text.
    let named = std::str::from_utf8(encoding)
        .ok()
        .filter(|t| t.len() <= 16 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    Some(ShareError::Decode(DecodeError(format!(
        "an encoded answer{named}, which was not asked for"
    ))))
}

/// Share's "no such account / no session" answer is a 200 with the all-zeros UUID.
fn non_null(id: Uuid) -> Result<Uuid, ShareError> {
    if id.is_nil() {
        Err(ShareError::CredentialsRejected {
            code: "NullUuid".to_owned(),
        })
    } else {
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use awc::http::header::HeaderValue;

    use super::*;

    fn encoded(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn redirects_are_refused_without_their_target() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::LOCATION,
            HeaderValue::from_static("http://elsewhere.invalid/collect"),
        );
        for status in [300, 301, 302, 303, 304, 307, 308] {
            let status = StatusCode::from_u16(status).expect("valid status");
            let refused = refuse_before_body(status, &headers).expect("refused");
            assert!(
                matches!(refused, ShareError::Status { status: s, .. } if s == status.as_u16()),
                "{refused:?}"
            );
            assert!(!refused.to_string().contains("elsewhere"), "{refused}");
        }
    }

    #[test]
    fn encoded_answers_are_refused_and_unencoded_ones_pass() {
        let ok = StatusCode::OK;
        assert!(refuse_before_body(ok, &HeaderMap::new()).is_none());
        assert!(refuse_before_body(ok, &encoded("identity")).is_none());
        assert!(refuse_before_body(ok, &encoded("IDENTITY")).is_none());
        for (value, named) in [
            ("gzip", "(gzip)"),
            ("zstd", "(zstd)"),
            ("br", "(br)"),
            ("x-gzip", "(x-gzip)"),
            ("gzip, gzip", "an encoded answer,"),
            ("a-very-long-made-up-encoding", "an encoded answer,"),
        ] {
            match refuse_before_body(ok, &encoded(value)) {
                Some(ShareError::Decode(e)) => assert!(e.to_string().contains(named), "{e}"),
                other => panic!("{value}: {other:?}"),
            }
        }
        let gzipped_outage = refuse_before_body(StatusCode::SERVICE_UNAVAILABLE, &encoded("gzip"));
        assert!(
            matches!(gzipped_outage, Some(ShareError::Status { status: 503, .. })),
            "{gzipped_outage:?}"
        );
    }

    #[test]
    fn plain_answers_are_left_to_the_body() {
        for status in [200, 400, 404, 429, 500, 503] {
            let status = StatusCode::from_u16(status).expect("valid status");
            assert!(refuse_before_body(status, &HeaderMap::new()).is_none());
        }
    }
}
