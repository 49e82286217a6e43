//! Every facade path in one table: the ones a handler documents (registered through utoipa),
//! and their aliases, which this module registers and documents from their twins. With
//! exactly one account, every path is served at the root too.

use actix_web::{web, HttpRequest, Route};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::PartialSchema;

use super::{empty, entries_response, pebble, status, EntriesScope, Format};
use crate::state::AppState;

/// The prefix of the facade of one account.
pub const ACCOUNT_PREFIX: &str = "/ns/{account}";

/// What a facade path answers.
#[derive(Clone, Copy, Debug)]
enum Answer {
    Entries(EntriesScope, Format),
    Status,
    Pebble,
    Empty,
}

/// A path below [`ACCOUNT_PREFIX`] that no handler documents: it answers like `twin` and is
/// documented from it under `operation_id`.
#[derive(Clone, Copy, Debug)]
struct Alias {
    twin: &'static str,
    operation_id: &'static str,
}

/// One facade path below [`ACCOUNT_PREFIX`].
#[derive(Clone, Copy, Debug)]
struct FacadePath {
    path: &'static str,
    answer: Answer,
    /// `None` for the paths a handler in `super` is registered for.
    alias: Option<Alias>,
}

const fn documented(path: &'static str, answer: Answer) -> FacadePath {
    FacadePath {
        path,
        answer,
        alias: None,
    }
}

const fn alias(
    path: &'static str,
    answer: Answer,
    twin: &'static str,
    operation_id: &'static str,
) -> FacadePath {
    FacadePath {
        path,
        answer,
        alias: Some(Alias { twin, operation_id }),
    }
}

const ENTRIES: &str = "/api/v1/entries.json";
const CURRENT: &str = "/api/v1/entries/current.json";
const TREATMENTS: &str = "/api/v1/treatments.json";
const FILTERED_JSON: Answer = Answer::Entries(EntriesScope::Filtered, Format::Json);
const FILTERED_NEGOTIATED: Answer = Answer::Entries(EntriesScope::Filtered, Format::Negotiated);

/// Every path of the facade.
const PATHS: [FacadePath; 14] = [
    documented(ENTRIES, FILTERED_JSON),
    documented(
        CURRENT,
        Answer::Entries(EntriesScope::NewestOnly, Format::Json),
    ),
    documented("/api/v1/status.json", Answer::Status),
    documented("/pebble", Answer::Pebble),
    documented(TREATMENTS, Answer::Empty),
    alias(
        "/api/v1/entries/sgv.json",
        FILTERED_JSON,
        ENTRIES,
        "nightscoutListSgvEntries",
    ),
    alias(
        "/api/v1/entries",
        FILTERED_NEGOTIATED,
        ENTRIES,
        "nightscoutListEntriesNoExt",
    ),
    alias(
        "/api/v1/entries/sgv",
        FILTERED_NEGOTIATED,
        ENTRIES,
        "nightscoutListSgvEntriesNoExt",
    ),
    alias(
        "/api/v1/entries/current",
        Answer::Entries(EntriesScope::NewestOnly, Format::Negotiated),
        CURRENT,
        "nightscoutGetCurrentEntryNoExt",
    ),
    alias(
        "/api/v1/treatments",
        Answer::Empty,
        TREATMENTS,
        "nightscoutListTreatmentsNoExt",
    ),
    alias(
        "/api/v1/devicestatus.json",
        Answer::Empty,
        TREATMENTS,
        "nightscoutListDeviceStatus",
    ),
    alias(
        "/api/v1/devicestatus",
        Answer::Empty,
        TREATMENTS,
        "nightscoutListDeviceStatusNoExt",
    ),
    alias(
        "/api/v1/profile.json",
        Answer::Empty,
        TREATMENTS,
        "nightscoutListProfiles",
    ),
    alias(
        "/api/v1/profile",
        Answer::Empty,
        TREATMENTS,
        "nightscoutListProfilesNoExt",
    ),
];

/// Registers the aliases below [`ACCOUNT_PREFIX`] and, with `root_aliases`, every facade path
/// at the root.
pub fn configure_aliases(config: &mut web::ServiceConfig, root_aliases: bool) {
    for facade in PATHS {
        if facade.alias.is_some() {
            config.route(
                &format!("{ACCOUNT_PREFIX}{}", facade.path),
                route(facade.answer),
            );
        }
        if root_aliases {
            config.route(facade.path, route(facade.answer));
        }
    }
}

fn route(answer: Answer) -> Route {
    match answer {
        Answer::Entries(scope, format) => web::get().to(
            move |req: HttpRequest, state: web::Data<AppState>| async move {
                entries_response(&req, &state, scope, format).await
            },
        ),
        Answer::Status => web::get().to(status),
        Answer::Pebble => web::get().to(pebble),
        Answer::Empty => web::get().to(empty),
    }
}

/// Adds each alias to `openapi` as a copy of its twin's operation, under its own id, and with
/// the tab-separated text of the paths that negotiate.
pub fn document_aliases(openapi: &mut OpenApi) {
    for facade in PATHS {
        let Some(Alias { twin, operation_id }) = facade.alias else {
            continue;
        };
        let twin_path = format!("{ACCOUNT_PREFIX}{twin}");
        let Some(mut item) = openapi.paths.paths.get(&twin_path).cloned() else {
            panic!("invariant: the twin {twin_path} of an alias is documented");
        };
        let Some(operation) = item.get.as_mut() else {
            panic!("invariant: the twin {twin_path} of an alias answers GET");
        };
        operation.operation_id = Some(operation_id.to_owned());
        let negotiates = matches!(facade.answer, Answer::Entries(_, Format::Negotiated));
        operation.summary = Some(if negotiates {
            format!("As `GET {twin_path}`, as tab-separated text unless `Accept` asks for JSON.")
        } else {
            format!("As `GET {twin_path}`.")
        });
        if negotiates {
            if let Some(RefOr::T(ok)) = operation.responses.responses.get_mut("200") {
                ok.content.insert(
                    "text/plain".to_owned(),
                    RefOr::T(
                        ContentBuilder::new()
                            .schema(Some(<String as PartialSchema>::schema()))
                            .build(),
                    ),
                );
            }
        }
        openapi
            .paths
            .paths
            .insert(format!("{ACCOUNT_PREFIX}{}", facade.path), item);
    }
}
