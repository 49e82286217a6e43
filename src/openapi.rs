//! The OpenAPI document, generated from the handlers' annotations.

use actix_web::App;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "dexcom-share-proxy",
        description = "Real-time glucose readings from Dexcom Share over plain HTTP/JSON.\n\n\
            Readings come from Dexcom Share, cached for `cache.ttl_seconds` (60 s by default); \
            one Share session is kept per configured account. Errors are \
            `application/problem+json` documents with a stable `code`.\n\n\
            Responses about the built-in simulator's demo account carry the header \
            `X-Simulated-Data: true`: that data is synthetic and must not be used for \
            treatment decisions.\n\n\
            Accounts configured with tokens need one: `Authorization: Bearer <token>` (or \
            `?token=<token>` for clients that cannot set headers). Without a token, only \
            accounts configured without tokens can be read, and only where the operator allows \
            anonymous reads. `/health`, `/openapi.json` and `/docs/` are public."
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "readings", description = "Glucose readings of one account"),
        (name = "service", description = "Accounts and service health"),
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
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
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
