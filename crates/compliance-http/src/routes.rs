//! Every route of both APIs, in one place, and the fallbacks that make any other request answer
//! in the error shape.

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{ApiError, AppState, MAX_BATCH_BODY, MAX_BODY, error_response, openapi};

/// A resource serving `handler` for each `method`; any other method answers 405 with `Allow`.
macro_rules! resource {
    ($path:expr, $($method:ident => $handler:expr),+ $(,)?) => {
        web::resource($path)
            $(.route(web::$method().to($handler)))+
            .default_service(web::to(|req: actix_web::HttpRequest| async move {
                wrong_method(&req, &[$(stringify!($method)),+])
            }))
    };
}

/// Every route, and the limits and fallbacks that make bad requests answer in the error shape.
pub fn configure(state: web::Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(state)
            .app_data(web::PayloadConfig::new(MAX_BODY))
            .service(resource!("/healthz", get => healthz))
            .service(resource!("/readyz", get => readyz))
            .service(resource!("/metrics", get => crate::metrics::expose))
            .service(resource!("/openapi.json", get => openapi::document))
            .service(resource!("/docs", get => openapi::to_page))
            .service(openapi::page())
            .service(archivist_v1())
            .service(archivist_v2())
            .service(v1())
            .service(crate::ui::routes())
            .default_service(web::to(no_route));
    }
}

/// The archivist's compliance policies and checks.
fn archivist_v1() -> actix_web::Scope {
    use crate::archivist::{compliance, compliance_policies as policies};
    web::scope("/archivist/v1")
        .service(resource!("/compliance_policies",
            post => policies::create, get => policies::list))
        .service(resource!("/compliance_policies/{uuid}",
            get => policies::read, delete => policies::delete))
        .service(resource!("/compliance/assets/{uuid}", get => compliance::check))
}

/// The archivist's assets and events.
fn archivist_v2() -> actix_web::Scope {
    use crate::archivist::{assets, events};
    web::scope("/archivist/v2")
        .service(resource!("/assets", post => assets::create, get => assets::list))
        .service(resource!("/assets/{uuid}", get => assets::read))
        .service(resource!("/assets/{uuid}/events", post => events::create, get => events::list))
        .service(resource!("/assets/{uuid}/events/{event}", get => events::read))
}

/// The compliance packages API of seed 000.
fn v1() -> actix_web::Scope {
    use crate::v1::{
        agents, audit, branding, connectors, diff, keys, log, oscal, packages, rules, traces,
    };
    web::scope("/v1")
        .service(resource!("/agents", post => agents::create, get => agents::list))
        .service(resource!("/agents/{id}", get => agents::read))
        .service(resource!("/agents/{id}/chain", get => packages::chain))
        .service(resource!("/connectors", post => connectors::create, get => connectors::list))
        .service(resource!("/policies", post => rules::create, get => rules::list))
        .service(resource!("/audit", post => audit::append, get => audit::list))
        .service(
            resource!("/audit/batch", post => audit::append_batch)
                .app_data(web::PayloadConfig::new(MAX_BATCH_BODY)),
        )
        .service(resource!("/compliance", post => packages::create, get => packages::list))
        .service(resource!("/compliance/{id}", get => packages::read))
        .service(resource!("/compliance/{id}/pdf", get => packages::pdf))
        .service(resource!("/compliance/{id}/attestation", get => packages::attestation))
        .service(resource!("/compliance/{id}/oscal", get => oscal::read))
        .service(resource!("/compliance/{id}/diff", get => diff::read))
        .service(resource!("/keys", get => keys::list))
        .service(resource!("/keys/rotate", post => keys::rotate))
        .service(resource!("/audit/{id}/proof", get => log::proof))
        .service(resource!("/log/checkpoint", get => log::checkpoint))
        .service(resource!("/log/key", get => log::key))
        .service(resource!("/log/consistency", get => log::consistency))
        .service(
            resource!("/traces", post => traces::export)
                .app_data(web::PayloadConfig::new(MAX_BATCH_BODY)),
        )
        .service(resource!("/settings/branding", get => branding::read, put => branding::write))
        .service(resource!("/settings/branding/logo", get => branding::logo))
        .service(resource!("/settings/ingest",
            get => traces::read_settings, put => traces::write_settings))
}

async fn no_route(req: actix_web::HttpRequest) -> HttpResponse {
    let message = format!("no such endpoint: {} {}", req.method(), req.path());
    error_response(StatusCode::NOT_FOUND, &message)
}

/// 405, with the methods the resource serves in `Allow` (RFC 9110 §15.5.6).
fn wrong_method(req: &actix_web::HttpRequest, methods: &[&str]) -> HttpResponse {
    let message = format!("{} is not allowed on {}", req.method(), req.path());
    let mut response = error_response(StatusCode::METHOD_NOT_ALLOWED, &message);
    let allow = methods
        .iter()
        .map(|m| m.to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(", ");
    if let Ok(allow) = HeaderValue::from_str(&allow) {
        response.headers_mut().insert(ALLOW, allow);
    }
    response
}

/// What the health probes answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` (the process is up) or `ready` (and the database answers).
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", security(),
    responses((status = 200, description = "Up", body = Health)))]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "health", security(),
    responses((status = 200, description = "Ready", body = Health)))]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    state.store.ping().await?;
    Ok(web::Json(Health { status: "ready" }))
}

/// Rewrites any error response that is not already the JSON error shape (actix's extractor
/// failures, 404 and 405 from routing, 413 from the payload limit) into it. A page's error is
/// left as the HTML page it is (`crate::ui`).
pub fn error_shape<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(reshape)
}

fn reshape<B>(response: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let shaped = response
        .response()
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| {
            let v = v.as_bytes();
            v.starts_with(b"application/json")
                || (v.starts_with(b"text/html") && response.request().path().starts_with("/ui"))
        });
    if shaped {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let status = response.status();
    let message = response
        .response()
        .error()
        .map(ToString::to_string)
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    let (request, _) = response.into_parts();
    // Under /ui an error is a page, whichever layer answered it (a wrong method, say).
    let body = if request.path().starts_with("/ui") {
        actix_web::ResponseError::error_response(&crate::ui::UiError::Page(ApiError::new(
            status, message,
        )))
    } else {
        error_response(status, &message)
    };
    let reshaped = ServiceResponse::new(request, body);
    Ok(ErrorHandlerResponse::Response(
        reshaped.map_into_right_body(),
    ))
}
