//! Dexcom's HTTP 500 error envelope: `{"Code","Message","SubCode","TypeName"}`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// Lockout code, spelled with three `e` as Dexcom's own app spells it.
pub const LOCKOUT_CODE: &str = "SSO_AuthenticateMaxAttemptsExceeed";

/// The JSON error body, members in Dexcom's order.
#[derive(Debug, Serialize)]
pub struct Envelope {
    /// Machine code, e.g. `AccountPasswordInvalid`.
    #[serde(rename = "Code")]
    pub code: String,
    /// Human text.
    #[serde(rename = "Message")]
    pub message: String,
    /// Serialized `OnlineException` (XML-like element).
    #[serde(rename = "SubCode")]
    pub sub_code: String,
    /// Always `FaultException`.
    #[serde(rename = "TypeName")]
    pub type_name: &'static str,
}

/// What the request carried, used to word default messages.
#[derive(Clone, Debug, Default)]
pub struct ErrorContext {
    /// `sessionId` of a read request.
    pub session_id: Option<String>,
    /// `accountName` of an authenticate request.
    pub account_name: Option<String>,
    /// `accountId` of a login-by-id request.
    pub account_id: Option<String>,
    /// When the request arrived, on the simulator's clock (`None`: the system clock).
    pub at: Option<DateTime<Utc>>,
}

/// SubCode attributes per code: (Type, TypeString, Category, CategoryString,
/// Severity, SeverityString, ErrorCode attribute).
fn exception_meta(code: &str) -> (u8, &'static str, u8, &'static str, u8, &'static str, &str) {
    match code {
        "SessionIdNotFound" => (5, "ObjectNotFound", 2, "Database", 2, "Severe", code),
        // Recorded with an empty ErrorCode attribute.
        "SessionNotValid" => (6, "SessionNotValid", 5, "Logical", 1, "Minor", ""),
        "AccountPasswordInvalid" => (13, "InvalidPassword", 4, "Validation", 1, "Minor", code),
        "InvalidArgument" => (10, "InvalidArgument", 4, "Validation", 2, "Severe", code),
        // SSO_InternalError and SSO_AuthenticatePasswordInvalid were recorded with
        // these values; the other SSO_ codes (lockout included) are assumed alike.
        c if c.starts_with("SSO_") => (15, "SingleSignOn", 1, "System", 2, "Severe", code),
        // No recording: a plausible generic system failure.
        _ => (1, "Unknown", 1, "System", 2, "Severe", code),
    }
}

/// The message Dexcom sends for a code (recorded wording where known).
pub fn default_message(code: &str, ctx: &ErrorContext) -> String {
    let sid = ctx
        .session_id
        .clone()
        .unwrap_or_else(|| Uuid::nil().to_string());
    match code {
        "SessionIdNotFound" => format!("Failed to find session object. [SessionId = {sid}]"),
        "SessionNotValid" => format!("Session not active or timed out. [SessionId = {sid}]"),
        "AccountPasswordInvalid" => "Publisher account password failed".to_owned(),
        "SSO_InternalError" => {
            let (key, who) = match (&ctx.account_name, &ctx.account_id) {
                (Some(name), _) => ("AccountName", name.clone()),
                (None, Some(id)) => ("AccountId", id.clone()),
                (None, None) => ("AccountName", String::new()),
            };
            format!(
                "Synchronization of SSO account during authenticate call failed Time out issue.  \
                 {key}={who} Error encountered accessing Keycloak endpoint: UAM_ERROR: \
                 HttpStatus='401 UNAUTHORIZED(401)' Msg=Cannot Authenticate by {key}='{who}'"
            )
        }
        // No recorded body exists for the lockout; this wording is invented.
        LOCKOUT_CODE => "Maximum authentication attempts exceeded".to_owned(),
        "InvalidArgument" => "Missing required field(s)".to_owned(),
        _ => "Error in the application.".to_owned(),
    }
}

/// `2025-04-19T16:47:48.582392132` (Java prints trailing zeros trimmed).
fn java_local_time(at: DateTime<Utc>) -> String {
    let s = at.format("%Y-%m-%dT%H:%M:%S%.9f").to_string();
    let trimmed = s.trim_end_matches('0');
    trimmed.trim_end_matches('.').to_owned()
}

/// The serialized `OnlineException`. Attribute values are written as Dexcom
/// writes them: verbatim, without XML escaping (the recorded `InvalidArgument`
/// body carries raw `"` inside `Message="…"`).
pub fn sub_code(code: &str, message: &str, at: DateTime<Utc>, id: Uuid) -> String {
    let (ty, ty_s, cat, cat_s, sev, sev_s, error_code) = exception_meta(code);
    let local = java_local_time(at);
    format!(
        "<OnlineException DateThrownLocal=\"{local}\" DateThrown=\"{local}Z\" \
         ErrorCode=\"{error_code}\" Type=\"{ty}\" Category=\"{cat}\" Severity=\"{sev}\" \
         TypeString=\"{ty_s}\" CategoryString=\"{cat_s}\" SeverityString=\"{sev_s}\" \
         HostName=\"\" HostIP=\"\" Id=\"{{{id}}}\" Message=\"{message}\" \
         FullText=\"com.dexcom.udp.common.data.exception.OnlineException: {message}\" />"
    )
}

/// The full envelope for a code; `message` defaults to [`default_message`].
pub fn envelope(code: &str, message: Option<&str>, ctx: &ErrorContext) -> Envelope {
    let message = message
        .map(str::to_owned)
        .unwrap_or_else(|| default_message(code, ctx));
    Envelope {
        code: code.to_owned(),
        sub_code: sub_code(
            code,
            &message,
            ctx.at.unwrap_or_else(Utc::now),
            Uuid::new_v4(),
        ),
        message,
        type_name: "FaultException",
    }
}

/// The envelope as a JSON string.
pub fn envelope_json(code: &str, message: Option<&str>, ctx: &ErrorContext) -> String {
    serde_json::to_string(&envelope(code, message, ctx)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.timestamp_opt(1_721_523_578, 570_650_991)
            .single()
            .unwrap()
    }

    #[test]
    fn reproduces_the_recorded_invalid_argument_body() {
        let msg = "Missing required field(s): JSON parse error: Cannot deserialize value of type `java.util.UUID` from String \"1\": UUID has to be represented by standard 36-char representation";
        let id = Uuid::parse_str("55555555-5555-5555-5555-555555555555").unwrap();
        let env = Envelope {
            code: "InvalidArgument".into(),
            message: msg.into(),
            sub_code: sub_code("InvalidArgument", msg, at(), id),
            type_name: "FaultException",
        };
        let recorded = r#"{"Code":"InvalidArgument","Message":"Missing required field(s): JSON parse error: Cannot deserialize value of type `java.util.UUID` from String \"1\": UUID has to be represented by standard 36-char representation","SubCode":"<OnlineException DateThrownLocal=\"2024-07-21T00:59:38.570650991\" DateThrown=\"2024-07-21T00:59:38.570650991Z\" ErrorCode=\"InvalidArgument\" Type=\"10\" Category=\"4\" Severity=\"2\" TypeString=\"InvalidArgument\" CategoryString=\"Validation\" SeverityString=\"Severe\" HostName=\"\" HostIP=\"\" Id=\"{55555555-5555-5555-5555-555555555555}\" Message=\"Missing required field(s): JSON parse error: Cannot deserialize value of type `java.util.UUID` from String \"1\": UUID has to be represented by standard 36-char representation\" FullText=\"com.dexcom.udp.common.data.exception.OnlineException: Missing required field(s): JSON parse error: Cannot deserialize value of type `java.util.UUID` from String \"1\": UUID has to be represented by standard 36-char representation\" />","TypeName":"FaultException"}"#;
        assert_eq!(serde_json::to_string(&env).unwrap(), recorded);
    }

    #[test]
    fn envelope_has_four_string_members_and_code_specific_subcode() {
        let ctx = ErrorContext {
            session_id: Some("33333333-3333-3333-3333-333333333333".into()),
            ..ErrorContext::default()
        };
        let v: serde_json::Value =
            serde_json::from_str(&envelope_json("SessionIdNotFound", None, &ctx)).unwrap();
        let obj = v.as_object().unwrap();
        assert_eq!(obj.len(), 4);
        assert_eq!(obj["TypeName"], "FaultException");
        assert_eq!(
            obj["Message"],
            "Failed to find session object. [SessionId = 33333333-3333-3333-3333-333333333333]"
        );
        let sub = obj["SubCode"].as_str().unwrap();
        assert!(
            sub.starts_with("<OnlineException DateThrownLocal=\""),
            "{sub}"
        );
        assert!(sub.contains(" ErrorCode=\"SessionIdNotFound\" Type=\"5\" Category=\"2\" Severity=\"2\" TypeString=\"ObjectNotFound\""));
        assert!(sub.ends_with("[SessionId = 33333333-3333-3333-3333-333333333333]\" />"));

        let not_valid = envelope("SessionNotValid", None, &ctx);
        assert!(not_valid.sub_code.contains("ErrorCode=\"\" Type=\"6\""));
        assert!(not_valid
            .message
            .starts_with("Session not active or timed out. [SessionId = 3333"));

        let pw = envelope("AccountPasswordInvalid", None, &ctx);
        assert_eq!(pw.message, "Publisher account password failed");
        assert!(pw.sub_code.contains(
            "TypeString=\"InvalidPassword\" CategoryString=\"Validation\" SeverityString=\"Minor\""
        ));

        let given = envelope("Whatever", Some("custom"), &ctx);
        assert_eq!(given.message, "custom");
    }

    #[test]
    fn sso_internal_error_names_the_account() {
        let ctx = ErrorContext {
            account_id: Some("99999999-9999-9999-9999-999999999999".into()),
            ..ErrorContext::default()
        };
        let m = default_message("SSO_InternalError", &ctx);
        assert!(m.contains("issue.  AccountId=9999"), "{m}");
        assert!(
            m.ends_with("Cannot Authenticate by AccountId='99999999-9999-9999-9999-999999999999'")
        );
    }

    #[test]
    fn java_time_trims_trailing_zeros() {
        let t = Utc
            .timestamp_opt(1_745_081_267, 811_946_650)
            .single()
            .unwrap();
        assert_eq!(java_local_time(t), "2025-04-19T16:47:47.81194665");
    }
}
