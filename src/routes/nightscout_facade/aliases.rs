//! The facade paths that are not in the OpenAPI document: the variants without `.json`, and
//! the root aliases when exactly one account is configured.

use actix_web::{web, HttpRequest};

use super::{empty, entries_response, pebble, status, Format, Which};
use crate::state::AppState;

/// Paths below `/ns/{account}` (and the root, with one account) that answer GET.
pub const PATHS: &[&str] = &[
    "/api/v1/entries.json",
    "/api/v1/entries",
    "/api/v1/entries/sgv.json",
    "/api/v1/entries/sgv",
    "/api/v1/entries/current.json",
    "/api/v1/entries/current",
    "/api/v1/status.json",
    "/api/v1/treatments.json",
    "/api/v1/treatments",
    "/api/v1/devicestatus.json",
    "/api/v1/devicestatus",
    "/api/v1/profile.json",
    "/api/v1/profile",
    "/pebble",
];

/// The facade paths that are not in the OpenAPI document: the variants without `.json`, and
/// the root aliases when exactly one account is configured.
pub fn configure_aliases(config: &mut web::ServiceConfig, root_aliases: bool) {
    let mut prefixes = vec!["/ns/{account}"];
    if root_aliases {
        prefixes.push("");
    }
    for prefix in prefixes {
        let entries_route = |which: Which, format: Format| {
            web::get().to(
                move |req: HttpRequest, state: web::Data<AppState>| async move {
                    entries_response(&req, &state, which, format).await
                },
            )
        };
        config
            .route(
                &format!("{prefix}/api/v1/entries"),
                entries_route(Which::Filtered, Format::Negotiated),
            )
            .route(
                &format!("{prefix}/api/v1/entries/sgv"),
                entries_route(Which::Filtered, Format::Negotiated),
            )
            .route(
                &format!("{prefix}/api/v1/entries/current"),
                entries_route(Which::Current, Format::Negotiated),
            );
        for empty_path in [
            "treatments",
            "devicestatus.json",
            "devicestatus",
            "profile.json",
            "profile",
        ] {
            config.route(
                &format!("{prefix}/api/v1/{empty_path}"),
                web::get().to(empty),
            );
        }
        if prefix.is_empty() {
            config
                .route(
                    "/api/v1/entries.json",
                    entries_route(Which::Filtered, Format::Json),
                )
                .route(
                    "/api/v1/entries/sgv.json",
                    entries_route(Which::Filtered, Format::Json),
                )
                .route(
                    "/api/v1/entries/current.json",
                    entries_route(Which::Current, Format::Json),
                )
                .route("/api/v1/treatments.json", web::get().to(empty))
                .route("/api/v1/status.json", web::get().to(status))
                .route("/pebble", web::get().to(pebble));
        }
    }
}
