//! The org's branding: the name it goes by, its accent colour and its logo, one row per org
//! under its row-level security. The HTTP layer checks a logo before it reaches here.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;

use crate::schema::org_branding;
use crate::{StoreResult, TenantConn};

/// The org's branding without its logo's bytes: what every page's frame needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Queryable)]
pub struct Branding {
    pub display_name: Option<String>,
    /// `#rrggbb`, lower case.
    pub accent_colour: Option<String>,
    pub logo_media_type: Option<String>,
    /// The bytes of the logo the pages serve, when there is one.
    pub logo_bytes: Option<i32>,
    pub updated_at: Option<OffsetDateTime>,
}

/// A logo as stored: what the pages serve, and what the PDF embeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    pub media_type: String,
    pub image: Vec<u8>,
    pub raster: Vec<u8>,
}

/// The branding to set, replacing the org's (a field left `None` is unset).
#[derive(Debug, Clone, Copy, Default)]
pub struct NewBranding<'a> {
    pub display_name: Option<&'a str>,
    pub accent_colour: Option<&'a str>,
    pub logo: Option<&'a Logo>,
}

/// The org's branding; all unset when it never set any.
pub async fn get(conn: &mut TenantConn) -> StoreResult<Branding> {
    Ok(org_branding::table
        .select((
            org_branding::display_name,
            org_branding::accent_colour,
            org_branding::logo_media_type,
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Integer>>(
                "octet_length(logo)",
            ),
            org_branding::updated_at.nullable(),
        ))
        .first(conn.db())
        .await
        .optional()?
        .unwrap_or_default())
}

/// A logo's columns: media type, image, raster (set together or not at all).
type LogoRow = (Option<String>, Option<Vec<u8>>, Option<Vec<u8>>);

/// The org's logo, when it set one.
pub async fn logo(conn: &mut TenantConn) -> StoreResult<Option<Logo>> {
    let row: Option<LogoRow> = org_branding::table
        .select((
            org_branding::logo_media_type,
            org_branding::logo,
            org_branding::logo_raster,
        ))
        .first(conn.db())
        .await
        .optional()?;
    Ok(match row {
        Some((Some(media_type), Some(image), Some(raster))) => Some(Logo {
            media_type,
            image,
            raster,
        }),
        // The table's CHECK sets the three together.
        _ => None,
    })
}

/// Replaces the org's branding with `branding`.
pub async fn set(conn: &mut TenantConn, branding: &NewBranding<'_>) -> StoreResult<()> {
    let logo = branding.logo;
    let values = (
        org_branding::display_name.eq(branding.display_name),
        org_branding::accent_colour.eq(branding.accent_colour),
        org_branding::logo_media_type.eq(logo.map(|l| l.media_type.as_str())),
        org_branding::logo.eq(logo.map(|l| l.image.as_slice())),
        org_branding::logo_raster.eq(logo.map(|l| l.raster.as_slice())),
        org_branding::updated_at.eq(diesel::dsl::now),
    );
    diesel::insert_into(org_branding::table)
        .values((org_branding::org_id.eq(conn.org()), values))
        .on_conflict(org_branding::org_id)
        .do_update()
        .set(values)
        .execute(conn.db())
        .await?;
    Ok(())
}
