//! What can go wrong talking to Share, classified by Share's `Code`, never by HTTP status:
//! Share answers a wrong password with the same HTTP 500 as an outage.

use super::wire::{self, DecodeError};

/// One failed Share call. `Clone` because a rejected login is recorded and answered again
/// without calling Share. No variant holds a password or a session ID.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    /// Share refused the credentials (wrong password, unknown user or account ID, wrong region).
    #[error("Share rejected the credentials ({code})")]
    CredentialsRejected { code: String },
    /// Share locked the account after too many failed logins.
    #[error("Share locked the account ({code})")]
    Locked { code: String },
    /// The session expired or is unknown to Share.
    #[error("Share session expired ({code})")]
    SessionExpired { code: String },
    /// Share answered a fresh session with a session error again.
    #[error("Share rejected a session it had just issued ({code})")]
    SessionRejectedAfterLogin { code: String },
    /// Share answered with a fault code we do not act on.
    #[error("Share fault {code}: {message}")]
    Fault { code: String, message: String },
    /// Share (or whatever stands in front of it) answered with an unexpected status.
    #[error("Share answered HTTP {status}: {snippet}")]
    Status { status: u16, snippet: String },
    /// A success status with a body we could not read.
    #[error("unreadable Share response: {0}")]
    Decode(#[from] DecodeError),
    /// No complete answer within the configured timeout.
    #[error("Share did not answer within {seconds} s")]
    Timeout { seconds: u64 },
    /// Connecting, sending or receiving failed.
    #[error("cannot reach Share: {0}")]
    Transport(String),
}

impl ShareError {
    /// A login answered with this error must not be repeated before a back-off has passed:
    /// repeating it is what makes Dexcom lock the account.
    /// A short name for `/accounts`: Share's own `Code` when it sent one.
    pub fn code(&self) -> String {
        match self {
            ShareError::CredentialsRejected { code }
            | ShareError::Locked { code }
            | ShareError::SessionExpired { code }
            | ShareError::SessionRejectedAfterLogin { code }
            | ShareError::Fault { code, .. } => code.clone(),
            ShareError::Status { status, .. } => format!("HTTP {status}"),
            ShareError::Decode(_) => "unreadable_response".to_owned(),
            ShareError::Timeout { .. } => "timeout".to_owned(),
            ShareError::Transport(_) => "connection_failed".to_owned(),
        }
    }

    pub fn blocks_login(&self) -> bool {
        matches!(
            self,
            ShareError::CredentialsRejected { .. } | ShareError::Locked { .. }
        )
    }
}

/// Turns a non-success Share answer into a typed error.
pub fn classify(status: u16, body: &[u8]) -> ShareError {
    match wire::parse_fault(body) {
        Some(fault) => classify_fault(&fault.code, &fault.message),
        None => ShareError::Status {
            status,
            snippet: snippet(body),
        },
    }
}

fn classify_fault(code: &str, message: &str) -> ShareError {
    let code_owned = code.to_owned();
    match code {
        "SessionIdNotFound" | "SessionNotValid" => ShareError::SessionExpired { code: code_owned },
        "AccountPasswordInvalid"
        | "SSO_AuthenticatePasswordInvalid"
        | "SSO_AuthenticateAccountNotFound" => ShareError::CredentialsRejected { code: code_owned },
        // July 2024: Share sent this for plain wrong credentials.
        "SSO_InternalError" if message.contains("Cannot Authenticate") => {
            ShareError::CredentialsRejected { code: code_owned }
        }
        // Dexcom's own app spells it with three e; pydexcom 0.5 with two. Accept both.
        "SSO_AuthenticateMaxAttemptsExceeed"
        | "SSO_AuthenticateMaxAttemptsExceeded"
        | "AccountLoginSuspended" => ShareError::Locked { code: code_owned },
        _ => ShareError::Fault {
            code: code_owned,
            message: scrub(message),
        },
    }
}

/// Share's messages can echo session IDs and account IDs; keep them out of logs and errors.
fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(200));
    for word in text.split_inclusive(|c: char| !(c.is_ascii_hexdigit() || c == '-')) {
        let core = word.trim_end_matches(|c: char| !(c.is_ascii_hexdigit() || c == '-'));
        if uuid::Uuid::try_parse(core).is_ok() {
            out.push_str("<uuid>");
            out.push_str(&word[core.len()..]);
        } else {
            out.push_str(word);
        }
    }
    truncate(&out, 200)
}

/// The start of a body that is not Share JSON (an HTML error page, plain text), for the log.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    scrub(&truncate(&flat, 120))
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(code: &str, message: &str) -> Vec<u8> {
        serde_json::json!({"Code": code, "Message": message, "SubCode": "<x/>", "TypeName": "FaultException"})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn codes_are_classified_not_statuses() {
        type Check = fn(&ShareError) -> bool;
        let cases: [(&str, &str, Check); 8] = [
            (
                "AccountPasswordInvalid",
                "Publisher account password failed",
                |e| matches!(e, ShareError::CredentialsRejected { .. }),
            ),
            (
                "SSO_InternalError",
                "… Msg=Cannot Authenticate by AccountName='x'",
                |e| matches!(e, ShareError::CredentialsRejected { .. }),
            ),
            ("SSO_InternalError", "something else", |e| {
                matches!(e, ShareError::Fault { .. })
            }),
            ("SSO_AuthenticateMaxAttemptsExceeed", "", |e| {
                matches!(e, ShareError::Locked { .. })
            }),
            ("SSO_AuthenticateMaxAttemptsExceeded", "", |e| {
                matches!(e, ShareError::Locked { .. })
            }),
            ("SessionIdNotFound", "", |e| {
                matches!(e, ShareError::SessionExpired { .. })
            }),
            ("SessionNotValid", "", |e| {
                matches!(e, ShareError::SessionExpired { .. })
            }),
            ("InvalidArgument", "bad", |e| {
                matches!(e, ShareError::Fault { .. })
            }),
        ];
        for (code, message, check) in cases {
            let error = classify(500, &envelope(code, message));
            assert!(check(&error), "{code}: {error:?}");
        }
    }

    #[test]
    fn only_credential_and_lockout_errors_block_logins() {
        assert!(classify(500, &envelope("AccountPasswordInvalid", "")).blocks_login());
        assert!(classify(500, &envelope("SSO_AuthenticateMaxAttemptsExceeed", "")).blocks_login());
        assert!(!classify(500, &envelope("SessionNotValid", "")).blocks_login());
        assert!(!classify(503, b"<html>down</html>").blocks_login());
    }

    #[test]
    fn non_envelope_bodies_keep_status_and_a_short_snippet() {
        let page = format!("<html><body>{}</body></html>", "x".repeat(500));
        match classify(503, page.as_bytes()) {
            ShareError::Status { status, snippet } => {
                assert_eq!(status, 503);
                assert!(snippet.chars().count() <= 121, "{snippet}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn session_ids_in_messages_are_scrubbed() {
        let error = classify(
            500,
            &envelope(
                "Weird",
                "oops [SessionId = 33333333-3333-3333-3333-333333333333]",
            ),
        );
        let text = error.to_string();
        assert!(!text.contains("3333"), "{text}");
        assert!(text.contains("[SessionId = <uuid>]"), "{text}");
    }
}
