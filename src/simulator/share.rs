//! The three Share endpoints, answering as Dexcom's servers do.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::envelope::{ErrorContext, LOCKOUT_CODE};
use super::faults::Endpoint;
use super::read_log::ReadRecord;
use super::response::{apply_fault, bad_request, error_response, json_ok};
use super::state::{LoginError, SessionError, SimState};
use super::wire::{records_json, uuid_json};

/// Largest `maxCount` served (~35 days of readings); bounds the work per request.
const MAX_COUNT_CAP: i64 = 10_000;

fn missing(field: &str) -> String {
    format!("Missing required field(s): {field}")
}

/// Parses a JSON object body; the error is the `InvalidArgument` message.
fn object_body(body: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(missing(
            "JSON parse error: request body is not a JSON object",
        )),
        Err(e) => Err(missing(&format!("JSON parse error: {e}"))),
    }
}

fn string_field<'a>(map: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
    map.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| missing(key))
}

fn login_error(e: LoginError, ctx: &ErrorContext, endpoint: Endpoint) -> HttpResponse {
    match e {
        LoginError::BadCredentials => error_response("AccountPasswordInvalid", None, ctx, endpoint),
        LoginError::LockedOut => error_response(LOCKOUT_CODE, None, ctx, endpoint),
    }
}

/// `POST General/AuthenticatePublisherAccount`: username + password → account id.
pub async fn authenticate(state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    let parsed = object_body(&body);
    let name = parsed
        .as_ref()
        .ok()
        .and_then(|m| m.get("accountName"))
        .and_then(Value::as_str);
    let ctx = ErrorContext {
        account_name: name.map(str::to_owned),
        at: Some(state.clock().now()),
        ..ErrorContext::default()
    };
    if let Some(resp) = apply_fault(&state, Endpoint::Authenticate, &ctx).await {
        return resp;
    }
    let fields = parsed.and_then(|m| {
        let name = string_field(&m, "accountName")?.to_owned();
        let password = string_field(&m, "password")?.to_owned();
        Ok((name, password))
    });
    let (name, password) = match fields {
        Ok(f) => f,
        Err(msg) => {
            return error_response("InvalidArgument", Some(&msg), &ctx, Endpoint::Authenticate)
        }
    };
    let account = state.find_by_name(&name);
    match state.check_password(account, &password, state.clock().tick()) {
        Ok(i) => {
            log::info!("authenticate {name}: ok");
            json_ok(
                uuid_json(&state.account(i).account_id),
                Endpoint::Authenticate,
            )
        }
        Err(e) => {
            log::info!("authenticate {name}: {e:?}");
            login_error(e, &ctx, Endpoint::Authenticate)
        }
    }
}

/// Jackson's message for a value that is not a 36-character UUID string.
fn uuid_parse_message(shown: &str, detail: &str) -> String {
    format!(
        "Missing required field(s): JSON parse error: Cannot deserialize value of type \
         `java.util.UUID` from {shown}{detail}"
    )
}

/// Strict `java.util.UUID` parsing: the 36-character hyphenated form only.
fn parse_java_uuid(s: &str) -> Result<Uuid, String> {
    let shown = format!("String \"{s}\"");
    let hyphens_ok = s.len() == 36
        && s.char_indices()
            .all(|(i, c)| matches!(i, 8 | 13 | 18 | 23) == (c == '-'));
    if !hyphens_ok {
        return Err(uuid_parse_message(
            &shown,
            ": UUID has to be represented by standard 36-char representation",
        ));
    }
    if let Some(c) = s.chars().find(|c| *c != '-' && !c.is_ascii_hexdigit()) {
        let detail = format!(
            ": Non-hex character '{c}' (value 0x{:02x}), not valid for UUID String",
            u32::from(c)
        );
        return Err(uuid_parse_message(&shown, &detail));
    }
    Uuid::parse_str(s).map_err(|e| uuid_parse_message(&shown, &format!(": {e}")))
}

/// The account id of a login-by-id body: `Ok(None)` = the all-zeros answer.
fn account_id_field(map: &Map<String, Value>) -> Result<Option<Uuid>, String> {
    let text = match map.get("accountId") {
        None | Some(Value::Null) => return Err(missing("accountId")),
        Some(Value::String(s)) => s.clone(),
        // Jackson coerces a number to its text before parsing it as a UUID.
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(_)) => return Err(uuid_parse_message("Boolean value", "")),
        Some(Value::Array(_)) => return Err(uuid_parse_message("Array value", "")),
        Some(Value::Object(_)) => return Err(uuid_parse_message("Object value", "")),
    };
    if text.is_empty() {
        return Ok(None);
    }
    let id = parse_java_uuid(&text)?;
    Ok((!id.is_nil()).then_some(id))
}

/// `POST General/LoginPublisherAccountById`: account id + password → session id.
pub async fn login_by_id(state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    let parsed = object_body(&body);
    let ctx = ErrorContext {
        account_id: parsed
            .as_ref()
            .ok()
            .and_then(|m| m.get("accountId"))
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
            }),
        at: Some(state.clock().now()),
        ..ErrorContext::default()
    };
    if let Some(resp) = apply_fault(&state, Endpoint::LoginById, &ctx).await {
        return resp;
    }
    let map = match parsed {
        Ok(m) => m,
        Err(msg) => {
            return error_response("InvalidArgument", Some(&msg), &ctx, Endpoint::LoginById)
        }
    };
    let account_id = match account_id_field(&map) {
        Ok(Some(id)) => id,
        Ok(None) => {
            log::info!("login_by_id: empty or all-zeros account id");
            return json_ok(uuid_json(&Uuid::nil()), Endpoint::LoginById);
        }
        Err(msg) => {
            return error_response("InvalidArgument", Some(&msg), &ctx, Endpoint::LoginById)
        }
    };
    let password = match string_field(&map, "password") {
        Ok(p) => p,
        Err(msg) => {
            return error_response("InvalidArgument", Some(&msg), &ctx, Endpoint::LoginById)
        }
    };
    let now = state.clock().tick();
    match state.check_password(state.find_by_id(&account_id), password, now) {
        Ok(i) => {
            let session = state.create_session(i, now);
            log::info!("login_by_id {}: ok", state.account(i).username);
            json_ok(uuid_json(&session), Endpoint::LoginById)
        }
        Err(e) => {
            log::info!("login_by_id {account_id}: {e:?}");
            login_error(e, &ctx, Endpoint::LoginById)
        }
    }
}

fn int_param(query: &HashMap<String, String>, key: &str) -> Option<i64> {
    query.get(key).and_then(|v| v.trim().parse().ok())
}

/// `POST Publisher/ReadPublisherLatestGlucoseValues?sessionId=&minutes=&maxCount=`.
/// The body (`{}`, empty or absent) is read and ignored; reading it keeps the
/// connection reusable.
pub async fn read(state: web::Data<SimState>, req: HttpRequest, _body: web::Bytes) -> HttpResponse {
    let query = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let raw_session = query
        .get("sessionId")
        .or_else(|| query.get("sessionID"))
        .cloned();
    let ctx = ErrorContext {
        session_id: raw_session.clone(),
        at: Some(state.clock().now()),
        ..ErrorContext::default()
    };
    if let Some(resp) = apply_fault(&state, Endpoint::Read, &ctx).await {
        return resp;
    }
    let session = raw_session.as_deref().map(parse_java_uuid);
    let (Some(Ok(session)), Some(minutes), Some(max_count)) = (
        session,
        int_param(&query, "minutes"),
        int_param(&query, "maxCount"),
    ) else {
        log::info!("read: malformed request → 400");
        return bad_request();
    };
    if session.is_nil() {
        // Dexcom answers the all-zeros session with an empty, non-JSON body.
        return HttpResponse::Ok().content_type("application/json").finish();
    }
    let index = match state.session_account(&session, state.clock().tick()) {
        Ok(i) => i,
        Err(SessionError::NotFound) => {
            log::info!("read: unknown session");
            return error_response("SessionIdNotFound", None, &ctx, Endpoint::Read);
        }
        Err(SessionError::NotValid) => {
            log::info!("read: expired session");
            return error_response("SessionNotValid", None, &ctx, Endpoint::Read);
        }
    };
    let account = state.account(index);
    let now_ms = state.clock().now().timestamp_millis();
    let readings = if minutes <= 0 || max_count <= 0 {
        Vec::new()
    } else {
        let oldest_exclusive = now_ms.saturating_sub(minutes.saturating_mul(60_000));
        let count = max_count.min(MAX_COUNT_CAP) as usize;
        state.visible_readings(index, now_ms, oldest_exclusive, count)
    };
    log::info!("read {}: {} readings", account.username, readings.len());
    let body = records_json(&readings, account.utc_offset_minutes, account.legacy_format);
    state.record_read(ReadRecord {
        at_ms: now_ms,
        minutes,
        max_count,
        records: readings.len(),
        bytes: body.len(),
    });
    json_ok(body, Endpoint::Read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_uuid_messages() {
        let one = parse_java_uuid("1").unwrap_err();
        assert_eq!(
            one,
            "Missing required field(s): JSON parse error: Cannot deserialize value of type `java.util.UUID` from String \"1\": UUID has to be represented by standard 36-char representation"
        );
        let hex = parse_java_uuid("zzzzzzzz-7d2a-4f0e-9a61-2c4f8d9e0a17").unwrap_err();
        assert!(hex.ends_with("Non-hex character 'z' (value 0x7a), not valid for UUID String"));
        assert!(parse_java_uuid("5b1e3c557d2a4f0e9a612c4f8d9e0a17").is_err());
        assert!(parse_java_uuid("5B1E3C55-7D2A-4F0E-9A61-2C4F8D9E0A17").is_ok());
    }

    #[test]
    fn account_id_field_cases() {
        let get = |v: Value| {
            let mut m = Map::new();
            m.insert("accountId".into(), v);
            account_id_field(&m)
        };
        assert_eq!(get(Value::from("")), Ok(None));
        assert_eq!(
            get(Value::from("00000000-0000-0000-0000-000000000000")),
            Ok(None)
        );
        assert!(get(Value::from(1))
            .unwrap_err()
            .contains("from String \"1\""));
        assert!(get(Value::Bool(true)).unwrap_err().contains("UUID"));
        assert!(account_id_field(&Map::new())
            .unwrap_err()
            .contains("accountId"));
    }
}
