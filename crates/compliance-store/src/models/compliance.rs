//! The compliance check of one asset at one time: load exactly the slices the applicable
//! policies' plans name, then let the core evaluate.

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
#[derive(Clone, Queryable, Selectable)]
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

/// The rows of one or more slices, which may share events.
#[derive(Default)]
struct Slices(Vec<SliceRow>);

impl Slices {
    fn keep(&mut self, rows: Vec<SliceRow>) {
        self.0.extend(rows);
    }

    /// The slices' events once each, in time order (acceptance order within one time).
    fn into_history(mut self, asset: &Asset) -> StoreResult<History> {
        // `seq` is unique, and an event's rows share their time, so duplicates end adjacent.
        self.0
            .sort_unstable_by_key(|row| (row.occurred_at, row.seq));
        self.0.dedup_by_key(|row| row.seq);
        let events = self
            .0
            .into_iter()
            .map(|row| {
                Ok(Event {
                    asset: asset.id,
                    display_type: row.display_type,
                    correlation_value: row.correlation_value,
                    declared_at: row.declared_at,
                    accepted_at: row.accepted_at,
                    event_attributes: Default::default(),
                    asset_attributes: attributes(row.asset_attributes)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(History::new(asset.clone(), events))
    }
}

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
    // The filter is matched against the attributes at `at`, so those come first.
    let changes: Vec<SliceRow> = base(asset_id, at)
        .filter(events::sets_attributes.eq(true))
        .order((events::occurred_at, events::seq))
        .load::<SliceRow>(conn.db())
        .await?;
    // A history of the changes alone orders them as the whole one would (few rows, cloned).
    let attributes_at = Slices(changes.clone())
        .into_history(&asset)?
        .attributes_at(at);
    let mut slices = Slices(changes);

    let policies: Vec<CompliancePolicy> = policies
        .iter()
        .filter(|p| {
            p.spec
                .asset_filter
                .holds(|term| term.matches(&attributes_at))
        })
        .cloned()
        .collect();
    // Policies that share a plan (say, CURRENT and PERIOD on the same types) share one fetch,
    // and a plan whose slice another one holds is not fetched.
    for plan in Plan::fetches(policies.iter().map(|p| p.spec.policy.plan(at))) {
        slices.keep(load_slice(conn, asset_id, &plan, at).await?);
    }
    Ok(check(&policies, &slices.into_history(&asset)?, at))
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
    let mut slices = Slices::default();
    let changes = base(asset_id, at)
        .filter(events::sets_attributes.eq(true))
        .load::<SliceRow>(conn.db())
        .await?;
    slices.keep(changes);
    slices.keep(load_slice(conn, asset_id, plan, at).await?);
    slices.into_history(&asset)
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
