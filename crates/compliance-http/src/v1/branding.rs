//! The org's branding (docs/ui.md): its display name, accent colour and logo, set by an admin,
//! used by the PDFs generated afterwards and by the pages. A logo arrives in the JSON as base64,
//! is checked whole (compliance_pdf::logo) and is stored in the database; nothing is fetched.

use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web;
use base64::Engine as _;
use compliance_pdf::logo::{self, CheckedLogo};
use compliance_pdf::{Accent, Branding};
use compliance_store::branding::{self as stored, Logo, NewBranding};
use compliance_store::{StoreResult, TenantConn, orgs};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::idempotent::Written;
use crate::permission::{ManageSettings, Read};
use crate::request::{Body, RequestBody};
use crate::{ApiError, ApiResult, Tenant};

/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME: usize = 120;

/// The org's branding, as set.
#[derive(Debug, Serialize, ToSchema)]
pub struct BrandingView {
    /// The name the PDFs and pages show for the org; its account name when null.
    pub display_name: Option<String>,
    /// `#rrggbb`; the documents' default colours when null.
    pub accent_colour: Option<String>,
    pub logo: Option<LogoView>,
    /// When it was last set; null when it never was.
    #[serde(with = "time::serde::rfc3339::option")]
    pub updated_at: Option<time::OffsetDateTime>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogoView {
    /// `image/png` or `image/svg+xml`.
    pub media_type: String,
    /// The size of the logo as served (an SVG as the server wrote it back).
    pub bytes: i32,
    /// Where it is served.
    pub href: String,
}

/// The branding to set. It replaces the org's whole: a field left out or null is unset.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetBranding {
    /// 1 to 120 characters, no control characters.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `#rrggbb`, with a contrast of at least 4.5:1 against white (text is set in it).
    #[serde(default)]
    pub accent_colour: Option<String>,
    #[serde(default)]
    pub logo: Option<LogoUpload>,
}

/// A logo: PNG (at most 2048 × 2048 pixels) or SVG (paths and fills: no text, images, links
/// outside itself, scripts or event handlers), at most 256 KiB.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogoUpload {
    /// `image/png` or `image/svg+xml`.
    pub media_type: String,
    /// The file, base64 (RFC 4648 §4, with padding).
    pub data: String,
}

impl RequestBody for SetBranding {
    fn check(&self) -> ApiResult<()> {
        if let Some(name) = &self.display_name {
            let length = name.chars().count();
            if name.trim().is_empty() || length > MAX_DISPLAY_NAME {
                return Err(ApiError::unprocessable(format!(
                    "display_name: 1 to {MAX_DISPLAY_NAME} characters, not only spaces (it has {length})"
                )));
            }
            if name.chars().any(char::is_control) {
                return Err(ApiError::unprocessable(
                    "display_name: control characters are not allowed",
                ));
            }
            // Bidirectional overrides and isolates would make the name read otherwise than it is.
            if name
                .chars()
                .any(|c| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
            {
                return Err(ApiError::unprocessable(
                    "display_name: bidirectional overrides are not allowed",
                ));
            }
        }
        if let Some(colour) = &self.accent_colour {
            Accent::parse(colour)
                .map_err(|error| ApiError::unprocessable(format!("accent_colour: {error}")))?;
        }
        Ok(())
    }
}

impl BrandingView {
    fn of(branding: stored::Branding) -> Self {
        Self {
            display_name: branding.display_name,
            accent_colour: branding.accent_colour,
            logo: branding
                .logo_media_type
                .zip(branding.logo_bytes)
                .map(|(media_type, bytes)| LogoView {
                    media_type,
                    bytes,
                    href: "/v1/settings/branding/logo".to_owned(),
                }),
            updated_at: branding.updated_at,
        }
    }
}

/// The org's branding.
#[utoipa::path(get, path = "/v1/settings/branding", tag = "branding",
    responses((status = 200, description = "The branding", body = BrandingView)))]
pub async fn read(tenant: Tenant<Read>) -> ApiResult<web::Json<BrandingView>> {
    let branding = tenant
        .transact(async |conn| Ok(stored::get(conn).await?))
        .await?;
    Ok(web::Json(BrandingView::of(branding)))
}

/// Sets the org's branding (admin), replacing what was set. Packages generated afterwards show
/// it in their PDF; those generated before keep theirs (a PDF is rendered once, and signed).
#[utoipa::path(put, path = "/v1/settings/branding", tag = "branding", request_body = SetBranding,
    responses((status = 200, description = "The branding, as set", body = BrandingView)))]
pub async fn write(
    tenant: Tenant<ManageSettings>,
    body: Body<SetBranding>,
) -> ApiResult<HttpResponse> {
    let logo = match &body.logo {
        Some(upload) => Some(checked(upload).await?),
        None => None,
    };
    let logo = logo.map(|l| Logo {
        media_type: l.media_type.to_owned(),
        image: l.image,
        raster: l.raster,
    });
    // Accents are stored as they are shown: lower case.
    let accent = body
        .accent_colour
        .as_deref()
        .map(Accent::parse)
        .transpose()
        .map_err(|error| ApiError::unprocessable(format!("accent_colour: {error}")))?
        .map(|a| a.to_string());
    tenant
        .write(&body, async |conn| {
            stored::set(
                conn,
                &NewBranding {
                    display_name: body.display_name.as_deref(),
                    accent_colour: accent.as_deref(),
                    logo: logo.as_ref(),
                },
            )
            .await?;
            Written::ok(&BrandingView::of(stored::get(conn).await?))
        })
        .await
}

/// The upload decoded and checked, off the async workers (an SVG is drawn to check it).
async fn checked(upload: &LogoUpload) -> ApiResult<CheckedLogo> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(upload.data.as_bytes())
        .map_err(|error| ApiError::unprocessable(format!("logo.data: not base64: {error}")))?;
    let media_type = upload.media_type.clone();
    web::block(move || logo::check(&media_type, &bytes))
        .await
        .map_err(|_| ApiError::unavailable("the logo checker is unavailable"))?
        .map_err(|error| ApiError::unprocessable(format!("logo: {error}")))
}

/// The org's logo, as the pages show it: a PNG as uploaded, an SVG as the server wrote it back.
/// Served so that a browser opening it alone runs nothing (an SVG is a document).
#[utoipa::path(get, path = "/v1/settings/branding/logo", tag = "branding",
    responses((status = 200, description = "The logo",
        content(("image/png"), ("image/svg+xml")))))]
pub async fn logo(tenant: Tenant<Read>) -> ApiResult<HttpResponse> {
    let logo = tenant
        .transact(async |conn| Ok(stored::logo(conn).await?))
        .await?
        .ok_or_else(|| ApiError::not_found("logo"))?;
    Ok(image_response(logo))
}

/// A logo as a response: its media type, and headers that keep it an image.
pub fn image_response(logo: Logo) -> HttpResponse {
    let mut response = HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, logo.media_type))
        .body(logo.image);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response
}

/// Who a PDF is rendered for: the org's account name and its branding at the time.
#[derive(Debug, Clone)]
pub struct OrgBrand {
    pub org_name: String,
    pub branding: stored::Branding,
    pub logo: Option<Logo>,
}

impl OrgBrand {
    pub async fn current(conn: &mut TenantConn) -> StoreResult<Self> {
        Ok(Self {
            org_name: orgs::current(conn).await?.name,
            branding: stored::get(conn).await?,
            logo: stored::logo(conn).await?,
        })
    }

    /// The branding as the PDF takes it. A stored accent was checked when set; one a later
    /// release would refuse is drawn in the default colours rather than fail the render.
    pub fn for_pdf(&self) -> Branding<'_> {
        Branding {
            display_name: self.branding.display_name.as_deref(),
            accent: self
                .branding
                .accent_colour
                .as_deref()
                .and_then(|c| Accent::parse(c).ok()),
            logo: self.logo.as_ref().map(|l| l.raster.as_slice()),
        }
    }
}
