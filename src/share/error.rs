//! What can go wrong talking to Share, classified by Share's `Code`, never by HTTP status:
//! Share answers a wrong password with the same HTTP 500 as an outage.

use super::scrub::shown;
use super::wire::{self, DecodeError};

/// One failed Share call. `Clone` because a rejected login is recorded and answered again
/// without calling Share. No variant holds a password or a session ID, and Share's own text is
/// held scrubbed: `Display` is for the log; clients get [`ShareError::public_text`].
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
    /// A short name for `/accounts`: Share's own `Code` when it sent one that looks like a
    /// code (letters, digits and `_`, at most 64), else `unrecognised_code`.
    pub fn code(&self) -> String {
        match self {
            ShareError::CredentialsRejected { code }
            | ShareError::Locked { code }
            | ShareError::SessionExpired { code }
            | ShareError::SessionRejectedAfterLogin { code }
            | ShareError::Fault { code, .. } => code_shown(code),
            ShareError::Status { status, .. } => format!("HTTP {status}"),
            ShareError::Decode(_) => "unreadable_response".to_owned(),
            ShareError::Timeout { .. } => "timeout".to_owned(),
            ShareError::Transport(_) => "connection_failed".to_owned(),
        }
    }

    /// What a client is told: fixed texts of ours, with Share's code where it is one; never
    /// Share's messages, pages or pieces of its answers.
    pub fn public_text(&self) -> String {
        match self {
            ShareError::CredentialsRejected { .. }
            | ShareError::Locked { .. }
            | ShareError::SessionExpired { .. }
            | ShareError::SessionRejectedAfterLogin { .. } => self.to_string(),
            ShareError::Fault { .. } => format!(
                "Share answered with an error this service does not know ({})",
                self.code()
            ),
            ShareError::Status { status, .. } => format!("Share answered HTTP {status}"),
            ShareError::Decode(_) => {
                "Share sent an answer this service cannot read exactly".to_owned()
            }
            ShareError::Timeout { .. } => self.to_string(),
            ShareError::Transport(_) => "cannot reach Share".to_owned(),
        }
    }

    /// A login answered with this error must not be repeated before a back-off has passed:
    /// repeating it is what makes Dexcom lock the account.
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
            code: shown(code, 64),
            message: shown(message, 200),
        },
    }
}

/// A Share `Code` as shown to clients: it names the fault, so it may not carry anything else.
fn code_shown(code: &str) -> String {
    let plain = !code.is_empty()
        && code.len() <= 64
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if plain {
        code.to_owned()
    } else {
        "unrecognised_code".to_owned()
    }
}

/// The start of a body that is not Share JSON (an HTML error page, plain text), scrubbed, for
/// the log.
fn snippet(body: &[u8]) -> String {
    // A whole error page is scrubbed before it is cut; 64 KiB of it is plenty to find 120
    // characters.
    let head = &body[..body.len().min(64 * 1024)];
    shown(&String::from_utf8_lossy(head), 120)
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
    fn clients_get_fixed_texts_and_plain_codes_never_shares_words() {
        let hostile = classify(
            500,
            &envelope(
                "Weird <script>",
                "AccountName='alice@example.com' was seen at 33333333-3333-3333-3333-333333333333",
            ),
        );
        let page = classify(
            503,
            b"<html>contact alice@example.com or +15551234567</html>",
        );
        for error in [&hostile, &page] {
            let text = error.public_text();
            assert!(!text.contains("alice") && !text.contains("3333"), "{text}");
            assert!(!text.contains("script") && !text.contains("555"), "{text}");
        }
        assert_eq!(hostile.code(), "unrecognised_code");
        assert_eq!(page.public_text(), "Share answered HTTP 503");
        let logged = hostile.to_string();
        assert!(
            !logged.contains("alice") && !logged.contains("3333"),
            "{logged}"
        );
        assert!(logged.contains("<redacted>"), "{logged}");
    }

    #[test]
    fn a_long_page_is_scrubbed_before_it_is_cut() {
        let page = format!("{}33333333-3333-3333-3333-333333333333", "x ".repeat(59));
        let ShareError::Status { snippet, .. } = classify(502, page.as_bytes()) else {
            panic!("a status error");
        };
        assert!(!snippet.contains("3333"), "{snippet}");
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
        assert!(text.contains("[SessionId = <redacted>]"), "{text}");
    }
}
