//! The compliance check of one asset at one time: load exactly the slices the applicable
//! policies' plans name, then let the core evaluate.

use std::collections::BTreeMap;

use compliance_core::{Asset, Compliance, CompliancePolicy, Event, History, Plan, check};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{assets, attributes, policies};
use crate::schema::events;
use crate::{StoreResult, TenantConn};

/// The columns an evaluation needs: no event attributes, which can be large and are unused, and
/// asset attributes only from the events that set some (the rest send an empty object).
#[derive(Queryable, Selectable)]
#[diesel(table_name = events, check_for_backend(diesel::pg::Pg))]
struct SliceRow {
    seq: i64,
    display_type: String,
    correlation_value: Option<String>,
    declared_at: Option<OffsetDateTime>,
    accepted_at: OffsetDateTime,
    occurred_at: OffsetDateTime,
    #[diesel(select_expression = diesel::dsl::sql::<diesel::sql_types::Jsonb>(
        "CASE WHEN events.sets_attributes THEN events.asset_attributes ELSE '{}'::jsonb END"
    ))]
    #[diesel(select_expression_type = diesel::expression::SqlLiteral<diesel::sql_types::Jsonb>)]
    asset_attributes: serde_json::Value,
}

/// Events keyed by (time, acceptance order): deduplicates slices and keeps them in time order.
type Slices = BTreeMap<(OffsetDateTime, i64), SliceRow>;

/// Tests the asset against every policy of the org at `at`: policies whose filter matches the
/// asset's attributes at `at` each give a statement, in policy creation order.
pub async fn check_asset(
    conn: &mut TenantConn,
    asset_id: Uuid,
    at: OffsetDateTime,
) -> StoreResult<Compliance> {
    let policies: Vec<CompliancePolicy> = policies::all(conn)
        .await?
        .into_iter()
        .map(|stored| stored.policy)
        .collect();
    check_asset_against(conn, asset_id, at, &policies).await
}

/// [`check_asset`] against policies the caller already loaded (in creation order).
pub async fn check_asset_against(
    conn: &mut TenantConn,
    asset_id: Uuid,
    at: OffsetDateTime,
    policies: &[CompliancePolicy],
) -> StoreResult<Compliance> {
    let asset = assets::get(conn, asset_id).await?;
    let asset = Asset {
        id: asset.id,
        attributes: asset.attributes,
    };
    let mut slices = Slices::new();
    // The filter is matched against the attributes at `at`, so those come first.
    let changes: Vec<SliceRow> = base(asset_id, at)
        .filter(events::sets_attributes.eq(true))
        .order((events::occurred_at, events::seq))
        .load::<SliceRow>(conn.db())
        .await?;
    keep(&mut slices, changes);
    let attributes_at = history(&asset, &slices)?.attributes_at(at);

    let policies: Vec<CompliancePolicy> = policies
        .iter()
        .filter(|p| {
            p.spec
                .asset_filter
                .holds(|term| term.matches(&attributes_at))
        })
        .cloned()
        .collect();
    // Policies that share a plan (say, CURRENT and PERIOD on the same types) share one fetch.
    let mut plans: Vec<Plan> = Vec::new();
    for plan in policies.iter().map(|p| p.spec.policy.plan(at)) {
        if !plans.contains(&plan) {
            plans.push(plan);
        }
    }
    for plan in &plans {
        let rows = load_slice(conn, asset_id, plan, at).await?;
        keep(&mut slices, rows);
    }
    Ok(check(&policies, &history(&asset, &slices)?, at))
}

/// What a check fetches for `plan` at `at`: its slice and every attribute change before `at`, in
/// time order, without event attributes (which evaluations do not read). It must equal
/// [`Plan::select`] over the whole history.
pub async fn slice(
    conn: &mut TenantConn,
    asset_id: Uuid,
    plan: &Plan,
    at: OffsetDateTime,
) -> StoreResult<History> {
    let asset = assets::get(conn, asset_id).await?;
    let asset = Asset {
        id: asset.id,
        attributes: asset.attributes,
    };
    let mut slices = Slices::new();
    let changes = base(asset_id, at)
        .filter(events::sets_attributes.eq(true))
        .load::<SliceRow>(conn.db())
        .await?;
    keep(&mut slices, changes);
    keep(&mut slices, load_slice(conn, asset_id, plan, at).await?);
    history(&asset, &slices)
}

fn base(
    asset_id: Uuid,
    at: OffsetDateTime,
) -> events::BoxedQuery<'static, diesel::pg::Pg, diesel::dsl::AsSelect<SliceRow, diesel::pg::Pg>> {
    events::table
        .filter(events::asset_id.eq(asset_id))
        .filter(events::occurred_at.lt(at))
        .select(SliceRow::as_select())
        .into_boxed()
}

/// The rows one plan names, by index (see the migration's index comments).
async fn load_slice(
    conn: &mut TenantConn,
    asset_id: Uuid,
    plan: &Plan,
    at: OffsetDateTime,
) -> StoreResult<Vec<SliceRow>> {
    let rows = match plan {
        Plan::Newest { display_type } => {
            base(asset_id, at)
                .filter(events::display_type.eq(display_type.clone()))
                .order((events::occurred_at.desc(), events::seq.desc()))
                .limit(1)
                .load::<SliceRow>(conn.db())
                .await?
        }
        Plan::Pairs { opening, closing } => {
            base(asset_id, at)
                .filter(events::display_type.eq_any([opening.clone(), closing.clone()]))
                .load::<SliceRow>(conn.db())
                .await?
        }
        Plan::ClosedWithin {
            opening,
            closing,
            since,
        } => {
            let mut answered = events::table
                .filter(events::asset_id.eq(asset_id))
                .filter(events::occurred_at.lt(at))
                .filter(events::display_type.eq(closing.clone()))
                .filter(events::correlation_value.is_not_null())
                .select(events::correlation_value)
                .into_boxed();
            if let Some(since) = since {
                answered = answered.filter(events::occurred_at.ge(*since));
            }
            base(asset_id, at)
                .filter(events::display_type.eq_any([opening.clone(), closing.clone()]))
                .filter(events::correlation_value.eq_any(answered))
                .load::<SliceRow>(conn.db())
                .await?
        }
        Plan::AttributesOnly => Vec::new(),
    };
    Ok(rows)
}

fn keep(slices: &mut Slices, rows: Vec<SliceRow>) {
    for row in rows {
        slices.insert((row.occurred_at, row.seq), row);
    }
}

fn history(asset: &Asset, slices: &Slices) -> StoreResult<History> {
    let events = slices
        .values()
        .map(|row| {
            Ok(Event {
                asset: asset.id,
                display_type: row.display_type.clone(),
                correlation_value: row.correlation_value.clone(),
                declared_at: row.declared_at,
                accepted_at: row.accepted_at,
                event_attributes: Default::default(),
                asset_attributes: attributes(row.asset_attributes.clone())?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(History::new(asset.clone(), events))
}
