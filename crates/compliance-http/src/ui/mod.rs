//! The auditor's pages under `/ui`: rendered on the server from templates (askama), readable
//! with JavaScript off, every asset served from here. A page reads through the same tenant
//! transaction, roles and row-level security as the API (`Session<P>` holds a `Tenant<P>`), so
//! another org's id is a 404 page and a role that may not is a 403 page. docs/ui.md.

mod activity;
mod error;
mod flow;
mod pages;
mod session;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};

pub use error::UiError;
pub use session::{CSRF_COOKIE, CsrfKey, SESSION_COOKIE};

/// What the frame of every page shows: who is signed in, and the token its forms carry.
#[derive(Debug, Default)]
pub struct Chrome {
    /// "signed in as auditor", or `None` on the sign-in page.
    pub signed_in: Option<String>,
    pub csrf: String,
    /// The org's display name, when it set one.
    pub org: Option<String>,
    /// Whether the org set a logo (served at /ui/branding/logo).
    pub logo: bool,
    /// The org's accent colour, `#rrggbb`, when it set one (served in /ui/branding.css).
    pub accent: Option<String>,
}

/// The `/ui` scope.
pub fn routes() -> actix_web::Scope {
    use pages::*;
    web::scope("/ui")
        .app_data(
            web::FormConfig::default()
                .limit(16 * 1024)
                .error_handler(|error, _| {
                    UiError::Page(crate::ApiError::bad_request(format!("the form: {error}"))).into()
                }),
        )
        .app_data(web::QueryConfig::default().error_handler(|error, _| {
            UiError::Page(crate::ApiError::bad_request(format!(
                "the address: {error}"
            )))
            .into()
        }))
        .app_data(web::PathConfig::default().error_handler(|error, _| {
            UiError::Page(crate::ApiError::bad_request(format!(
                "the address: {error}"
            )))
            .into()
        }))
        .service(page("").route(web::get().to(agents)))
        .service(page("/").route(web::get().to(agents)))
        .service(page("/style.css").route(web::get().to(style)))
        .service(page("/branding.css").route(web::get().to(branding_style)))
        .service(page("/branding/logo").route(web::get().to(branding_logo)))
        .service(
            page("/login")
                .route(web::get().to(session::login_form))
                .route(web::post().to(session::login)),
        )
        .service(page("/logout").route(web::post().to(session::logout)))
        .service(page("/agents/{id}").route(web::get().to(agent)))
        .service(page("/agents/{id}/generate").route(web::post().to(generate)))
        .service(page("/packages/{id}").route(web::get().to(package)))
        .service(page("/packages/{id}/diff").route(web::get().to(diff)))
        .service(page("/packages/{id}/pdf").route(web::get().to(download_pdf)))
        .service(page("/packages/{id}/json").route(web::get().to(download_json)))
        .service(page("/packages/{id}/oscal").route(web::get().to(download_oscal)))
        .service(page("/packages/{id}/attestation").route(web::get().to(download_attestation)))
        .default_service(web::to(|| async {
            Err::<HttpResponse, _>(UiError::Page(crate::ApiError::not_found("page")))
        }))
}

/// A page's resource: a method it does not serve is a 405 page.
fn page(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|req: actix_web::HttpRequest| async move {
        let message = format!("{} is not allowed on {}", req.method(), req.path());
        Err::<HttpResponse, _>(UiError::Page(crate::ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            message,
        )))
    }))
}

/// The pages' stylesheet (the Content-Security-Policy allows no inline style).
async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "max-age=3600"))
        .body(include_str!("../../templates/ui/style.css"))
}

/// A rendered page with the pages' headers, or a 500 page if the template failed.
fn html(status: StatusCode, rendered: Result<String, askama::Error>) -> HttpResponse {
    let (status, body) = match rendered {
        Ok(body) => (status, body),
        Err(error) => {
            tracing::error!(%error, "a page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><title>Error</title><h1>The page failed to render</h1>".to_owned(),
            )
        }
    };
    let mut response = HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ))
        .body(body);
    error::harden(&mut response);
    response
}
