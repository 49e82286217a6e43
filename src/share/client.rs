//! HTTP calls to Share. Every call is a POST with a JSON body, bounded by one deadline that
//! covers connecting, sending and reading the whole answer.

use std::time::Duration;

use awc::http::header;
use serde_json::json;
use uuid::Uuid;

use super::error::{classify, ShareError};
use super::wire;
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
}

impl ShareClient {
    pub fn new(timeout: Duration) -> Self {
        let http = awc::Client::builder()
            .timeout(timeout)
            .connector(awc::Connector::new().timeout(timeout))
            .add_default_header((header::USER_AGENT, USER_AGENT))
            .add_default_header((header::ACCEPT, "application/json"))
            .finish();
        ShareClient { http, timeout }
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
        let bytes = self
            .post(endpoint, "General/AuthenticatePublisherAccount", "", body)
            .await?;
        non_null(wire::parse_uuid(&bytes)?)
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
        let bytes = self
            .post(endpoint, "General/LoginPublisherAccountById", "", body)
            .await?;
        non_null(wire::parse_uuid(&bytes)?).map(Secret::new)
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
        let bytes = self
            .post(
                endpoint,
                "Publisher/ReadPublisherLatestGlucoseValues",
                &query,
                json!({}),
            )
            .await?;
        Ok(wire::parse_readings(&bytes)?)
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
                    other => ShareError::Transport(other.to_string()),
                })?;
            let bytes = response
                .body()
                .limit(BODY_LIMIT)
                .await
                .map_err(|e| ShareError::Transport(format!("reading the answer: {e}")))?;
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
