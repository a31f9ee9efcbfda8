use compliance_core::Attributes;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{attributes, json, strings};
use crate::schema::assets;
use crate::{StoreResult, TenantConn};

/// An asset to create.
#[derive(Debug, Clone, Default)]
pub struct NewAsset {
    pub id: Uuid,
    pub attributes: Attributes,
    pub behaviours: Vec<String>,
}

/// A stored asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetRecord {
    pub id: Uuid,
    /// As created: the base for attributes at any time.
    pub attributes: Attributes,
    /// As of now: the creation attributes updated by every event.
    pub current_attributes: Attributes,
    pub behaviours: Vec<String>,
    pub created_at: OffsetDateTime,
    /// Creation order, for paging.
    pub seq: i64,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = assets, check_for_backend(diesel::pg::Pg))]
struct AssetRow {
    id: Uuid,
    attributes: serde_json::Value,
    current_attributes: serde_json::Value,
    behaviours: Vec<Option<String>>,
    created_at: OffsetDateTime,
    seq: i64,
}

impl TryFrom<AssetRow> for AssetRecord {
    type Error = crate::StoreError;

    fn try_from(row: AssetRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id,
            attributes: attributes(row.attributes)?,
            current_attributes: attributes(row.current_attributes)?,
            behaviours: strings(row.behaviours),
            created_at: row.created_at,
            seq: row.seq,
        })
    }
}

/// Which assets to list: those whose current attributes hold every pair, after `after_seq`.
#[derive(Debug, Clone, Default)]
pub struct AssetQuery {
    pub attributes: Attributes,
    pub after_seq: Option<i64>,
    pub limit: i64,
}

pub async fn create(conn: &mut TenantConn, asset: &NewAsset) -> StoreResult<AssetRecord> {
    let org = conn.org();
    let row: AssetRow = diesel::insert_into(assets::table)
        .values((
            assets::org_id.eq(org),
            assets::id.eq(asset.id),
            assets::attributes.eq(json(&asset.attributes)),
            assets::behaviours.eq(&asset.behaviours),
        ))
        .returning(AssetRow::as_returning())
        .get_result(conn.db())
        .await?;
    row.try_into()
}

pub async fn get(conn: &mut TenantConn, id: Uuid) -> StoreResult<AssetRecord> {
    let row: AssetRow = assets::table
        .filter(assets::id.eq(id))
        .select(AssetRow::as_select())
        .first(conn.db())
        .await?;
    row.try_into()
}

/// Assets in creation order, one page.
pub async fn list(conn: &mut TenantConn, query: &AssetQuery) -> StoreResult<Vec<AssetRecord>> {
    let rows: Vec<AssetRow> = assets::table
        .filter(assets::current_attributes.contains(json(&query.attributes)))
        .filter(assets::seq.gt(query.after_seq.unwrap_or(0)))
        .order(assets::seq)
        .limit(query.limit)
        .select(AssetRow::as_select())
        .load(conn.db())
        .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// How many assets match, ignoring paging.
pub async fn count(conn: &mut TenantConn, query: &AssetQuery) -> StoreResult<i64> {
    Ok(assets::table
        .filter(assets::current_attributes.contains(json(&query.attributes)))
        .count()
        .get_result(conn.db())
        .await?)
}
