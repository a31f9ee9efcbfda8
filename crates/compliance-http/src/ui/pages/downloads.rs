//! A package's files, as the API serves them, as attachments.

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Path;
use actix_web::{HttpRequest, HttpResponse, Responder};

use crate::permission::Read;
use crate::ui::UiError;
use crate::ui::session::Session;
use crate::v1::{oscal, packages as package_api};

/// A download: the API's answer for the same resource, as an attachment.
async fn attachment(req: &HttpRequest, answer: impl Responder, filename: String) -> HttpResponse {
    let mut response = answer.respond_to(req).map_into_boxed_body();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""));
    if response.status().is_success()
        && let Ok(value) = disposition
    {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// GET /ui/packages/{id}/pdf: the kept PDF, as the API serves it.
pub async fn download_pdf(
    session: Session<Read>,
    id: Path<String>,
) -> Result<HttpResponse, UiError> {
    Ok(package_api::pdf(session.tenant, id).await?)
}

/// GET /ui/packages/{id}/json: the package as `GET /v1/compliance/{id}` answers it.
pub async fn download_json(
    req: HttpRequest,
    session: Session<Read>,
    id: Path<String>,
) -> Result<HttpResponse, UiError> {
    let name = format!("compliance-{}.json", id.as_str());
    let answer = package_api::read(session.tenant, id).await?;
    Ok(attachment(&req, answer, name).await)
}

/// GET /ui/packages/{id}/oscal: the OSCAL assessment results.
pub async fn download_oscal(
    req: HttpRequest,
    session: Session<Read>,
    id: Path<String>,
) -> Result<HttpResponse, UiError> {
    let name = format!("compliance-{}.oscal.json", id.as_str());
    let answer = oscal::read(session.tenant, id).await?;
    Ok(attachment(&req, answer, name).await)
}

/// GET /ui/packages/{id}/attestation: the DSSE envelope.
pub async fn download_attestation(
    req: HttpRequest,
    session: Session<Read>,
    id: Path<String>,
) -> Result<HttpResponse, UiError> {
    let name = format!("compliance-{}.dsse.json", id.as_str());
    let answer = package_api::attestation(session.tenant, id).await?;
    Ok(attachment(&req, answer, name).await)
}
