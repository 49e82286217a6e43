//! `/health`: is the service up. Says nothing of Share, so an outage there does not make
//! orchestrators restart a healthy proxy; `/accounts` tells the upstream state.

use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::state::AppState;

/// Liveness of the service.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"status": "ok", "version": "0.1.0", "accounts": 1}))]
pub struct Health {
    /// Always `ok` when the service answers.
    pub status: String,
    /// The service's version.
    pub version: String,
    /// How many accounts are configured.
    pub accounts: usize,
}

/// Liveness check.
#[utoipa::path(
    operation_id = "getHealth",
    tag = "service",
    responses((status = 200, description = "The service is up", body = Health))
)]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        accounts: state.accounts.all().len(),
    })
}
