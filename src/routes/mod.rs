//! HTTP handlers, one file per resource. Every handler is registered through utoipa so none
//! can be missing from the OpenAPI document.

pub mod accounts;
pub mod answer;
mod answer_headers;
pub mod caller;
pub mod health;
pub mod metrics;
pub mod nightscout_facade;
pub mod query;
pub mod readings;
pub mod ready;
pub mod responses;
pub mod stream;

use std::sync::Arc;

use actix_web::{HttpMessage, HttpRequest};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::accounts::{Account, Accounts};
use crate::error::ApiError;
use caller::Caller;
use query::{AccountQuery, FromQuery, QueryParams, TokenQuery};

/// Marks a response whose data comes from the simulator; see [`SIMULATED_HEADER`].
#[derive(Clone, Copy)]
pub struct SimulatedData;

/// Header on every response about a simulated account: its readings are not real.
pub const SIMULATED_HEADER: &str = "x-simulated-data";

pub fn configure(config: &mut ServiceConfig) {
    config
        // Matched in this order: the one pollers ask most comes first.
        .service(readings::current)
        .service(readings::latest)
        .service(readings::list)
        .service(stream::stream)
        .service(accounts::list)
        .service(health::health)
        .service(ready::ready)
        .service(metrics::metrics)
        .service(nightscout_facade::entries_json)
        .service(nightscout_facade::current_json)
        .service(nightscout_facade::status_json)
        .service(nightscout_facade::pebble_summary)
        .service(nightscout_facade::treatments_json);
}

/// The account a request names with `?account=`, else the account of the token it carries,
/// else the only one configured; and only if the caller may read it. This is the one place
/// a request picks its account, so every account-scoped handler is covered by the token check,
/// which happens before any call to Share. The token is checked before the name, and a name
/// no account has is refused like an account the caller may not read (see
/// [`caller::hides_unknown_names`]), so that a caller cannot learn which names exist.
pub fn resolve_account(
    req: &HttpRequest,
    accounts: &Accounts,
    query: &QueryParams,
) -> Result<Arc<Account>, ApiError> {
    let caller = Caller::of(req, accounts, &TokenQuery::from_query(query)?)?;
    let AccountQuery { account: name } = AccountQuery::from_query(query)?;
    let account = match (name.as_deref(), &caller) {
        (Some(name), _) => accounts
            .find(name)
            .ok_or_else(|| caller.unknown_account(accounts, name))?,
        (None, Caller::Holder(own)) => own,
        (None, Caller::Anonymous) => accounts.single().ok_or_else(|| {
            // Only the names this caller could read: the others are not its business.
            let names: Vec<&str> = accounts
                .all()
                .iter()
                .filter(|a| caller.may_read(a))
                .map(|a| a.name.as_str())
                .collect();
            ApiError::AccountRequired(if names.is_empty() {
                "each needs a token".to_owned()
            } else {
                names.join(", ")
            })
        })?,
    };
    caller.check_read(account)?;
    if account.simulated {
        req.extensions_mut().insert(SimulatedData);
    }
    Ok(Arc::clone(account))
}

/// The paths the service answers (with GET), for telling 405 from 404: the OpenAPI document's,
/// which are made from the routes themselves, plus the document and its UI.
pub struct KnownPaths {
    /// Paths outside the facade.
    native: Vec<String>,
    /// Facade paths below `/ns/{account}`.
    facade: Vec<String>,
    /// Whether the facade paths are served at the root too (exactly one account).
    root_aliases: bool,
}

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/openapi.json";
/// Where the Swagger UI is mounted; it answers below `/docs/`.
pub const DOCS_PATH: &str = "/docs";

impl KnownPaths {
    pub fn of(spec: &utoipa::openapi::OpenApi, root_aliases: bool) -> KnownPaths {
        let (facade, native) = spec
            .paths
            .paths
            .keys()
            .partition::<Vec<&String>, _>(|path| {
                path.starts_with(nightscout_facade::ACCOUNT_PREFIX)
            });
        let facade = facade
            .into_iter()
            .map(|path| path[nightscout_facade::ACCOUNT_PREFIX.len()..].to_owned())
            .collect();
        let native = native
            .into_iter()
            .cloned()
            .chain([OPENAPI_PATH, DOCS_PATH].map(str::to_owned))
            .collect();
        KnownPaths {
            native,
            facade,
            root_aliases,
        }
    }

    pub fn root_aliases(&self) -> bool {
        self.root_aliases
    }

    fn contains(&self, path: &str) -> bool {
        let facade_path = match path.strip_prefix("/ns/") {
            Some(rest) => rest.find('/').map(|at| &rest[at..]),
            None => self.root_aliases.then_some(path),
        };
        self.native.iter().any(|p| p == path)
            || path
                .strip_prefix(DOCS_PATH)
                .is_some_and(|rest| rest.starts_with('/'))
            || facade_path.is_some_and(|p| self.facade.iter().any(|f| f == p))
    }
}

/// Everything no route matched: 405 on a known path, else 404, both as problem+json.
pub async fn fallback(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    let known = req
        .app_data::<actix_web::web::Data<KnownPaths>>()
        .is_some_and(|paths| paths.contains(req.path()));
    Err(if known {
        ApiError::MethodNotAllowed { allow: "GET" }
    } else {
        ApiError::NotFound
    })
}
