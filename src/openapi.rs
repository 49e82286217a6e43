//! The OpenAPI document, generated from the handlers' annotations.

use std::time::Duration;

use actix_web::App;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as OpenApiDoc, Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::PROBLEM_JSON;
use crate::feed::backoff::{LoginPolicy, RetryPolicy};
use crate::feed::FeedSettings;
use crate::middleware::{MAX_HEADER_BYTES, MAX_URL_BYTES};
use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "dexcom-share-proxy",
        description = "Set from the configured defaults by `description()`."
    ),
    modifiers(&BearerScheme),
    // Referenced only from the shared error responses, which do not register their schemas.
    components(schemas(
        crate::error::Problem,
        crate::routes::nightscout_facade::NightscoutUnauthorized,
        crate::nightscout_format::pebble::PebbleUnits,
        crate::push::events::ReadingEvent,
        crate::push::FeedStatus,
        crate::push::DataState,
        crate::push::Range
    ), responses(crate::routes::responses::TooManyAuthFailures)),
    tags(
        (name = "readings", description = "Glucose readings of one account"),
        (name = "service", description = "Accounts and service health"),
        (name = "nightscout", description = "The read side of the Nightscout REST API, per account \
            under `/ns/{account}` (a client's \"Nightscout URL\" is `http://host:8080/ns/alice`). \
            The same paths answer without `.json` (`entries`, `entries/sgv`, `entries/current`: \
            tab-separated text unless `Accept` asks for JSON; `treatments`, `devicestatus`, \
            `profile`), and, when exactly one account is configured, at the root \
            (`/api/v1/entries.json`, `/pebble`, …)."),
    )
)]
struct ApiDoc;

/// Declares the `bearer` scheme the account-scoped operations name, which gives the Swagger UI
/// its "Authorize" button.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "An access token from the account's `tokens` in the service's configuration.",
            ))
            .build();
        let api_secret = ApiKey::Header(ApiKeyValue::with_description(
            "api-secret",
            "Nightscout clients: the lower-case SHA-1 hex of one of the account's tokens, or \
             `token=<token>`. `?secret=<SHA-1>` and `?token=<token>` work too.",
        ));
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
        components.add_security_scheme("api_secret", SecurityScheme::ApiKey(api_secret));
    }
}

/// The whole document: the annotated handlers, the facade's aliases, the answers of the guard
/// layer, and the document-level text.
pub fn document() -> OpenApiDoc {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    api.info.description = Some(description(
        &LoginPolicy::default(),
        &RetryPolicy::default(),
        FeedSettings::default().idle_after,
    ));
    routes::nightscout_facade::document_aliases(&mut api);
    describe_shared_headers(&mut api);
    add_guard_answers(&mut api);
    api
}

/// The document's introduction, with the figures of the given policies.
fn description(login: &LoginPolicy, retry: &RetryPolicy, idle_after: Duration) -> String {
    let idle = span(idle_after);
    let rejected = span(login.rejected_initial);
    let rejected_max = span(login.rejected_max);
    let lockout = span(login.lockout_wait);
    let min_interval = span(login.min_interval);
    let retry_initial = span(retry.initial);
    let retry_max = span(retry.max);
    format!(
        "Real-time glucose readings from Dexcom Share over plain HTTP/JSON.\n\n\
        Readings come from Dexcom Share through a live feed per account: while a client has \
        asked for the account in the last {idle}, the service reads Share once per new reading \
        (every 5 minutes, shortly after the reading reaches Share), asking only for what is \
        new, with one Share session per account; answers never wait for Share, except the \
        first for an account nobody asked for lately. Readings answers carry a strong `ETag`, \
        `Last-Modified` and `Cache-Control: private, max-age=<seconds until the next reading \
        is due>`; `If-None-Match` / `If-Modified-Since` get 304 while the readings and their \
        `stale` flags are unchanged. Errors are `application/problem+json` documents with a \
        stable `code`.\n\n\
        Responses about the built-in simulator's demo account carry the header \
        `X-Simulated-Data: true`: that data is synthetic and must not be used for treatment \
        decisions.\n\n\
        Accounts configured with tokens need one: `Authorization: Bearer <token>` (or \
        `?token=<token>` for clients that cannot set headers). Without a token, only accounts \
        configured without tokens can be read, and only where the operator allows anonymous \
        reads. `/health`, `/ready`, `/openapi.json` and `/docs/` are public; `/metrics` is \
        open to clients on the service's host and needs a metrics token from anywhere \
        else.\n\n\
        **Upstream policy** (the figures are the defaults; the operator may change them). \
        Share errors are classified by Share's `Code`, never by HTTP status. A login Share \
        rejected is not repeated for {rejected}, doubling to {rejected_max} (at least \
        {lockout} after the lockout code); two logins of one account are never closer than \
        {min_interval}; transient faults (timeouts, connection errors, 5xx/429 pages, unknown \
        codes, unreadable bodies) pause Share calls for {retry_initial} doubling to \
        {retry_max}, with jitter. Only the account's feed calls Share, so no client (one that \
        hangs up included) can cause a login. Errors carry `Retry-After` while calls are \
        paused. The state shows in `GET /accounts` under `circuit`.\n\n\
        **Stale but honest.** When Share fails and a copy of the last day fetched within 24 h \
        is held, it answers, labelled by `Cache-Status: dexcom-share-proxy; hit; \
        ttl=<negative>; fwd=stale; detail=<error code>` and `Age`; every reading carries \
        `age_seconds` and `stale` (older than 10 min). A Share record that cannot be read \
        exactly fails the whole read (`upstream_bad_response`): no value is ever guessed. A \
        reading dated more than 2 minutes ahead of the service's clock (a wrong clock on the \
        wearer's phone) is set aside and never served."
    )
}

/// A span as the description writes it: `5 s`, `60 s`, `5 min`, `1 h`.
fn span(span: Duration) -> String {
    match span.as_secs() {
        s if s >= 3600 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s >= 120 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// The response headers several operations carry, described once (where an operation does not
/// describe its own).
const SHARED_HEADERS: [(&str, &str); 3] = [
    (
        "Cache-Status",
        "RFC 9211: `dexcom-share-proxy; fwd=miss; stored` (waited for the feed's first read), \
         `dexcom-share-proxy; hit; ttl=<seconds until the next reading is due>`, or \
         `dexcom-share-proxy; hit; ttl=<negative>; fwd=stale; detail=<error code>` (Share \
         failed; the last good copy)",
    ),
    ("Age", "Seconds since Share last answered a read"),
    (
        "WWW-Authenticate",
        "`Bearer realm=\"dexcom-share-proxy\"`, with `error=\"invalid_token\"` for a wrong token",
    ),
];

/// Fills in the description of every [`SHARED_HEADERS`] header an operation declares.
fn describe_shared_headers(api: &mut OpenApiDoc) {
    for item in api.paths.paths.values_mut() {
        let Some(operation) = item.get.as_mut() else {
            continue;
        };
        for response in operation.responses.responses.values_mut() {
            let RefOr::T(response) = response else {
                continue;
            };
            for (name, description) in SHARED_HEADERS {
                if let Some(RefOr::T(header)) = response.headers.get_mut(name) {
                    header
                        .description
                        .get_or_insert_with(|| description.to_owned());
                }
            }
        }
    }
}

/// The answers the guard layer gives before any handler runs, on every operation.
fn add_guard_answers(api: &mut OpenApiDoc) {
    let problem = || {
        ContentBuilder::new()
            .schema(Some(RefOr::Ref(Ref::from_schema_name("Problem"))))
            .build()
    };
    let answers = [
        (
            "413",
            "`body_not_allowed`: a GET with a body (`Content-Length` > 0 or \
             `Transfer-Encoding`)"
                .to_owned(),
        ),
        (
            "414",
            format!(
                "`uri_too_long`: the path and query are longer than {} KiB",
                MAX_URL_BYTES / 1024
            ),
        ),
        (
            "431",
            format!(
                "`headers_too_large`: header names and values are longer than {} KiB in all",
                MAX_HEADER_BYTES / 1024
            ),
        ),
    ];
    for item in api.paths.paths.values_mut() {
        let Some(operation) = item.get.as_mut() else {
            continue;
        };
        for (status, description) in &answers {
            let response = ResponseBuilder::new()
                .description(description.clone())
                .content(PROBLEM_JSON, problem())
                .build();
            operation
                .responses
                .responses
                .insert((*status).to_owned(), RefOr::T(response));
        }
    }
}

/// The document as committed in `openapi/openapi.json`.
pub fn document_json() -> String {
    let mut json = serde_json::to_string_pretty(&document())
        .expect("invariant: the OpenAPI document serialises");
    json.push('\n');
    json
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_figures_come_from_the_policies() {
        let login = LoginPolicy {
            rejected_initial: Duration::from_secs(7 * 60),
            rejected_max: Duration::from_secs(2 * 3600),
            lockout_wait: Duration::from_secs(45 * 60),
            min_interval: Duration::from_secs(90),
        };
        let retry = RetryPolicy {
            initial: Duration::from_secs(3),
            max: Duration::from_secs(4 * 60),
        };
        let text = description(&login, &retry, Duration::from_secs(20 * 60));
        for figure in [
            "not repeated for 7 min, doubling to 2 h (at least 45 min after",
            "never closer than 90 s",
            "pause Share calls for 3 s doubling to 4 min",
            "in the last 20 min",
        ] {
            assert!(text.contains(figure), "{figure:?} in {text}");
        }
    }

    #[test]
    fn the_default_figures_are_the_documented_ones() {
        let text = document().info.description.expect("a description");
        assert!(text.contains("not repeated for 5 min, doubling to 1 h (at least 30 min after"));
        assert!(text.contains("pause Share calls for 5 s doubling to 5 min"));
    }

    #[test]
    fn every_header_is_described() {
        let doc = serde_json::to_value(document()).expect("document");
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (status, response) in item["get"]["responses"].as_object().expect("responses") {
                let headers = response["headers"].as_object().into_iter().flatten();
                for (name, header) in headers {
                    assert!(
                        header["description"].is_string(),
                        "{path} {status} {name} has no description"
                    );
                }
            }
        }
    }
}
