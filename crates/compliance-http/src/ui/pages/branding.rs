//! The org's branding in the pages: its accent colour as a stylesheet, its logo as an image.

use actix_web::HttpResponse;
use actix_web::http::header;

use crate::permission::Read;
use crate::ui::UiError;
use crate::ui::session::Session;

/// The org's accent colour as the pages' `--accent` (no inline style is allowed), as the
/// session read it.
pub async fn branding_style(session: Session<Read>) -> Result<HttpResponse, UiError> {
    // Stored accents were checked as #rrggbb when set: nothing else reaches the stylesheet.
    let css = session
        .chrome
        .accent
        .map(|accent| format!(":root {{ --accent: {accent}; }}\n"))
        .unwrap_or_default();
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .body(css))
}

/// The org's logo, as the API serves it.
pub async fn branding_logo(session: Session<Read>) -> Result<HttpResponse, UiError> {
    let logo = session
        .tenant
        .transact(async |conn| Ok(compliance_store::branding::logo(conn).await?))
        .await?
        .ok_or_else(|| UiError::Page(crate::ApiError::not_found("logo")))?;
    Ok(crate::v1::branding::image_response(logo))
}
