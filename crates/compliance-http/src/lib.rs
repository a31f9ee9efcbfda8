//! The HTTP layer: thin actix-web handlers that authenticate, check the role, call the store
//! inside a tenant transaction, and write the archivist (or seed 000) JSON.
//!
//! Wire it with [`configure`] and wrap the app in [`error_shape`] so that every failure,
//! actix's own included, leaves as the one documented JSON error, then in
//! [`refuse_nul_in_query`] and [`catch_panics`] (outermost).

pub mod agents;
pub mod archivist;
pub mod auth;
mod error;
pub mod idempotent;
pub mod limits;
pub mod paging;
pub mod request;
pub mod safety;

use actix_web::dev::ServiceResponse;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpResponse, web};
use compliance_store::Store;

pub use auth::{Action, Caller, TokenCache, allowed, follow_revocations};
pub use error::{ApiError, ApiResult, ErrorBody, error_response, missing};
pub use safety::{catch_panics, refuse_nul_in_query};

/// Largest request body accepted: 1 MiB (larger is 413).
pub const MAX_BODY: usize = 1 << 20;
/// Largest audit batch body: 10,000 entries need more than 1 MiB.
pub const MAX_BATCH_BODY: usize = 16 << 20;

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    /// Authenticated tokens, trusted only while [`follow_revocations`] hears every revocation.
    pub tokens: TokenCache,
    /// Seals and opens page tokens under the key every server shares.
    pub page_tokens: paging::PageTokens,
    /// PDF renders allowed at once: one fewer than the cores (at least one), so renders leave a
    /// core to every other request.
    pub renders: tokio::sync::Semaphore,
}

impl AppState {
    /// `page_key` is `store.server_secret(paging::PAGE_TOKEN_SECRET)`, fetched once at start.
    pub fn new(store: Store, page_key: [u8; 32]) -> web::Data<Self> {
        Self::with_tokens(store, page_key, TokenCache::default())
    }

    /// As [`AppState::new`], with a token cache of the caller's (tests choose its lifetime).
    pub fn with_tokens(store: Store, page_key: [u8; 32], tokens: TokenCache) -> web::Data<Self> {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        web::Data::new(Self {
            store,
            tokens,
            page_tokens: paging::PageTokens::new(page_key),
            renders: tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1)),
        })
    }
}

/// Every route, and the limits and fallbacks that make bad requests answer in the error shape.
pub fn configure(state: web::Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        use archivist::{assets, compliance, events, policies};
        cfg.app_data(state)
            .app_data(web::PayloadConfig::new(MAX_BODY))
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz))
            .service(
                web::scope("/archivist/v1")
                    .service(
                        resource("/compliance_policies")
                            .route(web::post().to(policies::create))
                            .route(web::get().to(policies::list)),
                    )
                    .service(
                        resource("/compliance_policies/{uuid}")
                            .route(web::get().to(policies::read))
                            .route(web::delete().to(policies::delete)),
                    )
                    .service(
                        resource("/compliance/assets/{uuid}")
                            .route(web::get().to(compliance::check)),
                    ),
            )
            .service(
                web::scope("/archivist/v2")
                    .service(
                        resource("/assets")
                            .route(web::post().to(assets::create))
                            .route(web::get().to(assets::list)),
                    )
                    .service(resource("/assets/{uuid}").route(web::get().to(assets::read)))
                    .service(
                        resource("/assets/{uuid}/events")
                            .route(web::post().to(events::create))
                            .route(web::get().to(events::list)),
                    )
                    .service(
                        resource("/assets/{uuid}/events/{event}")
                            .route(web::get().to(events::read)),
                    ),
            )
            .service(v1())
            .default_service(web::to(no_route));
    }
}

async fn no_route(req: actix_web::HttpRequest) -> HttpResponse {
    let message = format!("no such endpoint: {} {}", req.method(), req.path());
    error_response(actix_web::http::StatusCode::NOT_FOUND, &message)
}

/// The compliance packages API of seed 000.
fn v1() -> actix_web::Scope {
    use agents::{audit, packages, registry};
    web::scope("/v1")
        .service(
            resource("/agents")
                .route(web::post().to(registry::create_agent))
                .route(web::get().to(registry::list_agents)),
        )
        .service(resource("/agents/{id}").route(web::get().to(registry::read_agent)))
        .service(resource("/agents/{id}/chain").route(web::get().to(packages::chain)))
        .service(
            resource("/connectors")
                .route(web::post().to(registry::create_connector))
                .route(web::get().to(registry::list_connectors)),
        )
        .service(
            resource("/policies")
                .route(web::post().to(registry::create_rule))
                .route(web::get().to(registry::list_rules)),
        )
        .service(
            resource("/audit")
                .route(web::post().to(audit::append))
                .route(web::get().to(audit::list)),
        )
        .service(
            resource("/audit/batch")
                .app_data(web::PayloadConfig::new(MAX_BATCH_BODY))
                .route(web::post().to(audit::append_batch)),
        )
        .service(
            resource("/compliance")
                .route(web::post().to(packages::create))
                .route(web::get().to(packages::list)),
        )
        .service(resource("/compliance/{id}").route(web::get().to(packages::read)))
        .service(resource("/compliance/{id}/pdf").route(web::get().to(packages::pdf)))
}

/// A route whose other methods answer 405 in the error shape.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(wrong_method))
}

async fn wrong_method(req: actix_web::HttpRequest) -> HttpResponse {
    let message = format!("{} is not allowed on {}", req.method(), req.path());
    error_response(actix_web::http::StatusCode::METHOD_NOT_ALLOWED, &message)
}

/// Process up.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Database reachable.
async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.store.ping().await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })))
}

/// Rewrites any error response that is not already the JSON error shape (actix's extractor
/// failures, 404 and 405 from routing, 413 from the payload limit) into it.
pub fn error_shape<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(reshape)
}

fn reshape<B>(response: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = response
        .response()
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
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
    let reshaped = ServiceResponse::new(request, error_response(status, &message));
    Ok(ErrorHandlerResponse::Response(
        reshaped.map_into_right_body(),
    ))
}
