//! The OpenAPI document, generated from the handlers' annotations.

use actix_web::App;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "dexcom-share-proxy",
        description = "Real-time glucose readings from Dexcom Share over plain HTTP/JSON.\n\n\
            Readings come from Dexcom Share through a live feed per account: while a client \
            has asked for the account in the last 15 minutes, the service reads Share once per \
            new reading (every 5 minutes, shortly after the reading reaches Share), asking \
            only for what is new, with one Share session per account; answers never wait for \
            Share, except the first for an account nobody asked for lately. Readings answers \
            carry a strong `ETag`, `Last-Modified` and `Cache-Control: private, max-age=<seconds \
            until the next reading is due>`; `If-None-Match` / `If-Modified-Since` get 304 while \
            the readings and their `stale` flags are unchanged. Errors are \
            `application/problem+json` documents with a stable `code`.\n\n\
            Responses about the built-in simulator's demo account carry the header \
            `X-Simulated-Data: true`: that data is synthetic and must not be used for \
            treatment decisions.\n\n\
            Accounts configured with tokens need one: `Authorization: Bearer <token>` (or \
            `?token=<token>` for clients that cannot set headers). Without a token, only \
            accounts configured without tokens can be read, and only where the operator allows \
            anonymous reads. `/health`, `/ready`, `/openapi.json` and `/docs/` are public; \
            `/metrics` is open to clients on the service's host and needs a metrics token from \
            anywhere else.\n\n\
            **Upstream policy.** Share errors are classified by Share's `Code`, never by HTTP \
            status. A login Share rejected is not repeated for 5 min, doubling to 1 h (at least \
            30 min after the lockout code); two logins of one account are never closer than \
            60 s; transient faults (timeouts, connection errors, 5xx/429 pages, unknown codes, \
            unreadable bodies) pause Share calls for 5 s doubling to 5 min, with jitter. Only \
            the account's feed calls Share, so no client (one that hangs up included) can \
            cause a login. Errors carry `Retry-After` while calls are paused. The state shows \
            in `GET /accounts` under `circuit`.\n\n\
            **Stale but honest.** When Share fails and a copy of the last day fetched within \
            24 h is held, it answers, labelled by `Cache-Status: dexcom-share-proxy; hit; \
            ttl=<negative>; fwd=stale; detail=<error code>` and `Age`; every reading carries \
            `age_seconds` and `stale` (older than 10 min). A Share record that cannot be read \
            exactly fails the whole read (`upstream_bad_response`): no value is ever guessed. \
            A reading dated more than 2 minutes ahead of the service's clock (a wrong clock on \
            the wearer's phone) is set aside and never served."
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
    )),
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

/// The whole document: the annotated handlers plus the document-level text above.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    api
}

/// The document as committed in `openapi/openapi.json`.
pub fn document_json() -> String {
    let mut json = serde_json::to_string_pretty(&document())
        .expect("invariant: the OpenAPI document serialises");
    json.push('\n');
    json
}
