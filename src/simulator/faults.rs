//! Injectable faults and the queue that hands them out.

use serde::{Deserialize, Serialize};

/// A Share endpoint of the simulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `General/AuthenticatePublisherAccount`
    Authenticate,
    /// `General/LoginPublisherAccountById`
    LoginById,
    /// `Publisher/ReadPublisherLatestGlucoseValues`
    Read,
}

impl Endpoint {
    /// All endpoints, in counter order.
    pub const ALL: [Endpoint; 3] = [Endpoint::Authenticate, Endpoint::LoginById, Endpoint::Read];

    pub(crate) fn index(self) -> usize {
        match self {
            Endpoint::Authenticate => 0,
            Endpoint::LoginById => 1,
            Endpoint::Read => 2,
        }
    }

    /// Login answers carry no-cache headers and a Content-Length; read answers are chunked.
    pub(crate) fn is_login(self) -> bool {
        !matches!(self, Endpoint::Read)
    }
}

/// A fault to inject.
///
/// JSON shape (the body of `POST /simulator/faults`): `kind` is a nested
/// object tagged by its own `kind` member; `endpoint` (`"authenticate"`,
/// `"login_by_id"`, `"read"`) absent or null = any endpoint; `times` absent
/// or null = until cleared, otherwise the number of requests it answers.
///
/// ```json
/// {"endpoint":"read","times":1,"kind":{"kind":"error_code","code":"SessionNotValid"}}
/// {"endpoint":"read","kind":{"kind":"http_status","status":503,"body":"<html>…</html>","content_type":"text/html"}}
/// {"kind":{"kind":"stall","millis":2000},"times":3}
/// {"endpoint":"read","times":1,"kind":{"kind":"drop_connection"}}
/// {"endpoint":"login_by_id","times":1,"kind":{"kind":"malformed_json"}}
/// {"endpoint":"authenticate","times":1,"kind":{"kind":"zero_uuid"}}
/// {"endpoint":"read","kind":{"kind":"compression_bomb","encoding":"zstd","decoded_mb":512}}
/// {"endpoint":"login_by_id","kind":{"kind":"redirect","status":307,"location":"http://elsewhere.invalid/"}}
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// The endpoint it applies to; `None` = any.
    #[serde(default)]
    pub endpoint: Option<Endpoint>,
    /// What the simulator answers instead.
    pub kind: FaultKind,
    /// How many requests it answers; `None` = until cleared.
    #[serde(default)]
    pub times: Option<u32>,
}

/// What a faulted request gets.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// HTTP 500 Dexcom envelope with this `Code`; `message` defaults to the
    /// recorded wording for known codes (session ids/account names filled in).
    ErrorCode {
        /// e.g. `SessionNotValid`, `SSO_AuthenticateMaxAttemptsExceeed`.
        code: String,
        /// Overrides the default `Message`.
        #[serde(default)]
        message: Option<String>,
    },
    /// Any status with a literal body, e.g. a 503 Cloudflare HTML page.
    HttpStatus {
        /// HTTP status code (100..=999).
        status: u16,
        /// Response body.
        body: String,
        /// `Content-Type` of the body.
        content_type: String,
    },
    /// Wait this long, then answer normally.
    Stall {
        /// Delay in real milliseconds (not scaled by the simulator's clock: it models
        /// network slowness).
        millis: u64,
    },
    /// Send status and part of the body, then close the connection.
    DropConnection,
    /// 200 with a truncated JSON body.
    MalformedJson,
    /// 200 with `"00000000-0000-0000-0000-000000000000"`; login endpoints only
    /// (a fault for any endpoint skips reads).
    ZeroUuid,
    /// 200 with `Content-Encoding` set although no client asked for it, and a small body
    /// (sent with a `Content-Length`, in one piece) that decodes to `decoded_mb` MiB of zero
    /// bytes: a gzip bomb is about 1 KB per MiB, a zstd bomb about 50 bytes per MiB. A
    /// client that decodes answers before it bounds their size runs out of memory.
    CompressionBomb {
        /// `"gzip"` or `"zstd"`.
        encoding: BombEncoding,
        /// Size once decoded, in MiB: 1 to [`MAX_BOMB_MB`].
        decoded_mb: u32,
    },
    /// A redirect: `status` (301, 302, 303, 307 or 308) with this `Location`, and a small
    /// HTML body that repeats it, as web servers write. A client that follows it sends the
    /// request wherever `Location` points, on 307 and 308 with its body (the password).
    Redirect {
        /// 301, 302, 303, 307 or 308.
        status: u16,
        /// The `Location` header: printable ASCII, not empty.
        location: String,
    },
}

/// The `Content-Encoding` of a [`FaultKind::CompressionBomb`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BombEncoding {
    /// `gzip`: one gzip member (deflate), at its best ratio (about 1:1000).
    Gzip,
    /// `zstd`: a run of zstd frames of 1 MiB each (about 1:20 000).
    Zstd,
}

impl BombEncoding {
    /// The `Content-Encoding` token.
    pub fn token(self) -> &'static str {
        match self {
            BombEncoding::Gzip => "gzip",
            BombEncoding::Zstd => "zstd",
        }
    }
}

/// The largest [`FaultKind::CompressionBomb`], in MiB once decoded (4 GiB; the gzip body is
/// then about 4 MB, which the simulator keeps in memory).
pub const MAX_BOMB_MB: u32 = 4096;

/// The statuses a [`FaultKind::Redirect`] may answer with.
pub const REDIRECT_STATUSES: [u16; 5] = [301, 302, 303, 307, 308];

impl Fault {
    /// Whether this fault applies to a request on `endpoint`.
    fn matches(&self, endpoint: Endpoint) -> bool {
        let endpoint_ok = self.endpoint.is_none_or(|e| e == endpoint);
        let kind_ok = !matches!(self.kind, FaultKind::ZeroUuid) || endpoint.is_login();
        endpoint_ok && kind_ok
    }

    /// Rejects faults that can never fire or cannot be answered (zero times, zero UUID on
    /// reads, invalid status code, a bomb of no or too many MiB, a redirect with another
    /// status or a `Location` that is no header value).
    pub fn validate(&self) -> Result<(), String> {
        if self.times == Some(0) {
            return Err("times must be at least 1 (or absent for until-cleared)".into());
        }
        if matches!(self.kind, FaultKind::ZeroUuid) && self.endpoint == Some(Endpoint::Read) {
            return Err("zero_uuid applies to login endpoints only".into());
        }
        match &self.kind {
            FaultKind::HttpStatus { status, .. } if !(100..=999).contains(status) => {
                Err(format!("invalid HTTP status {status}"))
            }
            FaultKind::CompressionBomb { decoded_mb, .. }
                if !(1..=MAX_BOMB_MB).contains(decoded_mb) =>
            {
                Err(format!("decoded_mb must be 1 to {MAX_BOMB_MB}"))
            }
            FaultKind::Redirect { status, .. } if !REDIRECT_STATUSES.contains(status) => Err(
                format!("a redirect status is one of {REDIRECT_STATUSES:?}, not {status}"),
            ),
            FaultKind::Redirect { location, .. }
                if location.is_empty() || !location.bytes().all(|b| (0x20..0x7f).contains(&b)) =>
            {
                Err("location must be printable ASCII and not empty".into())
            }
            _ => Ok(()),
        }
    }
}

/// Active faults in injection order; the first match answers a request.
#[derive(Debug, Default)]
pub struct FaultQueue {
    active: Vec<Fault>,
}

impl FaultQueue {
    /// Adds a fault behind those already queued.
    pub fn push(&mut self, fault: Fault) {
        self.active.push(fault);
    }

    /// Removes all faults.
    pub fn clear(&mut self) {
        self.active.clear();
    }

    /// Number of queued faults.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.active.len()
    }

    /// Whether no fault is queued.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.active.is_empty()
    }

    /// Takes one use of the first fault matching `endpoint`.
    pub fn take(&mut self, endpoint: Endpoint) -> Option<FaultKind> {
        let i = self.active.iter().position(|f| f.matches(endpoint))?;
        let fault = &mut self.active[i];
        let kind = fault.kind.clone();
        match fault.times {
            Some(n) if n <= 1 => {
                self.active.remove(i);
            }
            Some(n) => fault.times = Some(n - 1),
            None => {}
        }
        Some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(endpoint: Option<Endpoint>, kind: FaultKind, times: Option<u32>) -> Fault {
        Fault {
            endpoint,
            kind,
            times,
        }
    }

    #[test]
    fn times_are_consumed_then_the_fault_is_gone() {
        let mut q = FaultQueue::default();
        q.push(fault(
            Some(Endpoint::Read),
            FaultKind::MalformedJson,
            Some(2),
        ));
        assert!(q.take(Endpoint::Authenticate).is_none());
        assert!(matches!(
            q.take(Endpoint::Read),
            Some(FaultKind::MalformedJson)
        ));
        assert!(matches!(
            q.take(Endpoint::Read),
            Some(FaultKind::MalformedJson)
        ));
        assert!(q.take(Endpoint::Read).is_none());
        assert!(q.is_empty());
    }

    #[test]
    fn until_cleared_faults_stay_and_order_is_fifo() {
        let mut q = FaultQueue::default();
        q.push(fault(None, FaultKind::DropConnection, Some(1)));
        q.push(fault(None, FaultKind::Stall { millis: 5 }, None));
        assert!(matches!(
            q.take(Endpoint::LoginById),
            Some(FaultKind::DropConnection)
        ));
        for _ in 0..5 {
            assert!(matches!(
                q.take(Endpoint::Read),
                Some(FaultKind::Stall { millis: 5 })
            ));
        }
        assert_eq!(q.len(), 1);
        q.clear();
        assert!(q.take(Endpoint::Read).is_none());
    }

    #[test]
    fn zero_uuid_for_any_endpoint_skips_reads() {
        let mut q = FaultQueue::default();
        q.push(fault(None, FaultKind::ZeroUuid, Some(1)));
        assert!(q.take(Endpoint::Read).is_none());
        assert!(matches!(
            q.take(Endpoint::Authenticate),
            Some(FaultKind::ZeroUuid)
        ));
        assert!(fault(Some(Endpoint::Read), FaultKind::ZeroUuid, None)
            .validate()
            .is_err());
        assert!(fault(None, FaultKind::MalformedJson, Some(0))
            .validate()
            .is_err());
    }

    #[test]
    fn fault_json_shape() {
        let f: Fault = serde_json::from_str(
            r#"{"endpoint":"read","times":1,"kind":{"kind":"error_code","code":"SessionNotValid"}}"#,
        )
        .unwrap();
        assert_eq!(f.endpoint, Some(Endpoint::Read));
        assert!(
            matches!(f.kind, FaultKind::ErrorCode { ref code, message: None } if code == "SessionNotValid")
        );
        let f: Fault = serde_json::from_str(r#"{"kind":{"kind":"drop_connection"}}"#).unwrap();
        assert!(f.endpoint.is_none() && f.times.is_none());
        assert!(serde_json::from_str::<Fault>(r#"{"kind":{"kind":"explode"}}"#).is_err());
    }

    #[test]
    fn hostile_kinds_parse_from_json_and_are_validated() {
        let valid = [
            r#"{"kind":{"kind":"compression_bomb","encoding":"gzip","decoded_mb":1}}"#,
            r#"{"kind":{"kind":"compression_bomb","encoding":"zstd","decoded_mb":4096}}"#,
            r#"{"kind":{"kind":"redirect","status":301,"location":"/elsewhere"}}"#,
            r#"{"kind":{"kind":"redirect","status":308,"location":"http://127.0.0.1:9/x?y=1"}}"#,
        ];
        for json in valid {
            let fault: Fault = serde_json::from_str(json).unwrap();
            assert_eq!(fault.validate(), Ok(()), "{json}");
        }
        let invalid = [
            r#"{"kind":{"kind":"compression_bomb","encoding":"gzip","decoded_mb":0}}"#,
            r#"{"kind":{"kind":"compression_bomb","encoding":"zstd","decoded_mb":4097}}"#,
            r#"{"kind":{"kind":"redirect","status":200,"location":"/x"}}"#,
            r#"{"kind":{"kind":"redirect","status":304,"location":"/x"}}"#,
            r#"{"kind":{"kind":"redirect","status":307,"location":""}}"#,
            "{\"kind\":{\"kind\":\"redirect\",\"status\":307,\"location\":\"/x\\r\\nSet-Cookie: a=b\"}}",
        ];
        for json in invalid {
            let fault: Fault = serde_json::from_str(json).unwrap();
            assert!(fault.validate().is_err(), "{json}");
        }
        for json in [
            r#"{"kind":{"kind":"compression_bomb","encoding":"br","decoded_mb":1}}"#,
            r#"{"kind":{"kind":"compression_bomb","decoded_mb":1}}"#,
            r#"{"kind":{"kind":"redirect","status":307}}"#,
        ] {
            assert!(serde_json::from_str::<Fault>(json).is_err(), "{json}");
        }
    }
}
