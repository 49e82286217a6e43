//! HTTP control surface under `/simulator/` (outside the Share path); its paths are listed in
//! the [module documentation](super).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::faults::{Endpoint, Fault};
use super::state::SimControl;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignalLoss {
    minutes: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HiddenRange {
    from_ms: i64,
    to_ms: i64,
}

fn bad(message: impl std::fmt::Display) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({ "error": message.to_string() }))
}

async fn calls(control: web::Data<SimControl>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "authenticate": control.calls(Endpoint::Authenticate),
        "login_by_id": control.calls(Endpoint::LoginById),
        "read": control.calls(Endpoint::Read),
    }))
}

async fn sessions(control: web::Data<SimControl>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "issued": control.issued_sessions() }))
}

async fn reads(control: web::Data<SimControl>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "reads": control.reads(),
        "read_bytes": control.read_bytes(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountQuery {
    #[serde(default)]
    account: usize,
}

async fn newest_visible(control: web::Data<SimControl>, req: HttpRequest) -> HttpResponse {
    let query = match web::Query::<AccountQuery>::from_query(req.query_string()) {
        Ok(q) => q.into_inner(),
        Err(e) => return bad(e),
    };
    match control.newest_visible(query.account) {
        Some((time_ms, visible_at_ms)) => HttpResponse::Ok().json(json!({
            "time_ms": time_ms,
            "visible_at_ms": visible_at_ms,
        })),
        None => HttpResponse::NotFound().json(json!({
            "error": format!("no visible reading of account {}", query.account),
        })),
    }
}

async fn reset(control: web::Data<SimControl>) -> HttpResponse {
    control.reset();
    HttpResponse::NoContent().finish()
}

async fn expire_sessions(control: web::Data<SimControl>) -> HttpResponse {
    control.expire_sessions();
    HttpResponse::NoContent().finish()
}

async fn inject(control: web::Data<SimControl>, body: web::Bytes) -> HttpResponse {
    let fault: Fault = match serde_json::from_slice(&body) {
        Ok(f) => f,
        Err(e) => return bad(e),
    };
    if let Err(e) = fault.validate() {
        return bad(e);
    }
    control.inject(fault);
    HttpResponse::NoContent().finish()
}

async fn clear_faults(control: web::Data<SimControl>) -> HttpResponse {
    control.clear_faults();
    HttpResponse::NoContent().finish()
}

async fn signal_loss(control: web::Data<SimControl>, body: web::Bytes) -> HttpResponse {
    match serde_json::from_slice::<SignalLoss>(&body) {
        Ok(s) => {
            control.set_signal_loss_minutes(s.minutes);
            HttpResponse::NoContent().finish()
        }
        Err(e) => bad(e),
    }
}

async fn hide(control: web::Data<SimControl>, body: web::Bytes) -> HttpResponse {
    // serde would also take `[from, to]` for the struct; only the documented object counts.
    let range = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(v @ serde_json::Value::Object(_)) => serde_json::from_value::<HiddenRange>(v),
        Ok(_) => return bad("expected an object {\"from_ms\":…,\"to_ms\":…}"),
        Err(e) => Err(e),
    };
    match range {
        Ok(r) if r.from_ms < r.to_ms => {
            control.hide(r.from_ms, r.to_ms);
            HttpResponse::NoContent().finish()
        }
        Ok(_) => bad("from_ms must be before to_ms"),
        Err(e) => bad(e),
    }
}

async fn show_all(control: web::Data<SimControl>) -> HttpResponse {
    control.show_all();
    HttpResponse::NoContent().finish()
}

async fn method_not_allowed(allow: &'static str) -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, allow))
        .finish()
}

/// Registers the control routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/simulator/calls")
            .route(web::get().to(calls))
            .default_service(web::to(|| method_not_allowed("GET"))),
    )
    .service(
        web::resource("/simulator/sessions")
            .route(web::get().to(sessions))
            .default_service(web::to(|| method_not_allowed("GET"))),
    )
    .service(
        web::resource("/simulator/reads")
            .route(web::get().to(reads))
            .default_service(web::to(|| method_not_allowed("GET"))),
    )
    .service(
        web::resource("/simulator/newest-visible")
            .route(web::get().to(newest_visible))
            .default_service(web::to(|| method_not_allowed("GET"))),
    )
    .service(
        web::resource("/simulator/reset")
            .route(web::post().to(reset))
            .default_service(web::to(|| method_not_allowed("POST"))),
    )
    .service(
        web::resource("/simulator/expire-sessions")
            .route(web::post().to(expire_sessions))
            .default_service(web::to(|| method_not_allowed("POST"))),
    )
    .service(
        web::resource("/simulator/faults")
            .route(web::post().to(inject))
            .route(web::delete().to(clear_faults))
            .default_service(web::to(|| method_not_allowed("POST, DELETE"))),
    )
    .service(
        web::resource("/simulator/signal-loss")
            .route(web::put().to(signal_loss))
            .default_service(web::to(|| method_not_allowed("PUT"))),
    )
    .service(
        web::resource("/simulator/hidden")
            .route(web::put().to(hide))
            .route(web::delete().to(show_all))
            .default_service(web::to(|| method_not_allowed("PUT, DELETE"))),
    );
}
