//! The audit figures a compliance package reports, computed by PostgreSQL with GROUP BY: an
//! agent's trail is never loaded into memory.

use diesel::dsl::{count_star, max, min};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::OffsetDateTime;
use uuid::Uuid;

use super::parsed;
use crate::schema::events;
use crate::{StoreResult, TenantConn};

use compliance_core::Verdict;
pub use compliance_core::package::{ActivityDay, AuditGroup};

/// The agent's trail before `until`, grouped; every package figure derives from these rows.
/// One index-only scan of `events_figures`.
pub async fn audit_groups(
    conn: &mut TenantConn,
    agent_id: Uuid,
    until: OffsetDateTime,
) -> StoreResult<Vec<AuditGroup>> {
    let rows: Vec<GroupRow> = events::table
        .filter(events::asset_id.eq(agent_id))
        .filter(events::occurred_at.lt(until))
        .group_by((
            events::display_type,
            events::connector,
            events::policy_verdict,
            events::status,
        ))
        .select((
            events::display_type,
            events::connector,
            events::policy_verdict,
            events::status,
            count_star(),
            min(events::occurred_at),
            max(events::occurred_at),
        ))
        .order((
            events::display_type,
            events::connector,
            events::policy_verdict,
            events::status,
        ))
        .load(conn.db())
        .await?;
    let mut groups = Vec::with_capacity(rows.len());
    for row in rows {
        // A group always has rows, so min and max are never NULL.
        let (Some(first), Some(last)) = (row.first, row.last) else {
            continue;
        };
        groups.push(AuditGroup {
            action_type: row.action_type,
            connector: row.connector,
            policy_verdict: row
                .policy_verdict
                .map(|v| parsed("policy_verdict", &v))
                .transpose()?,
            status: row.status.map(|s| parsed("status", &s)).transpose()?,
            count: row.count,
            first,
            last,
        });
    }
    Ok(groups)
}

#[derive(Queryable)]
struct GroupRow {
    action_type: String,
    connector: Option<String>,
    policy_verdict: Option<String>,
    status: Option<String>,
    count: i64,
    first: Option<OffsetDateTime>,
    last: Option<OffsetDateTime>,
}

/// What a package counts of the agent's trail: its entries grouped by kind, and per UTC day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailFigures {
    /// As [`audit_groups`] has them.
    pub groups: Vec<AuditGroup>,
    /// Days with entries, oldest first.
    pub activity: Vec<ActivityDay>,
}

#[derive(QueryableByName)]
struct GroupDayRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    action_type: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    connector: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    policy_verdict: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    status: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Date)]
    day: time::Date,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    count: i64,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    first: OffsetDateTime,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    last: OffsetDateTime,
}

/// The agent's trail before `until`, grouped by kind and UTC day in one scan of
/// `events_figures` (the day's expression has statistics, migration 000011, so PostgreSQL hashes
/// it), then folded here into the groups and the days: their sums agree by construction. The
/// rows are at most kinds × active days, never the trail.
pub async fn trail(
    conn: &mut TenantConn,
    agent_id: Uuid,
    until: OffsetDateTime,
) -> StoreResult<TrailFigures> {
    use std::collections::BTreeMap;

    use diesel::sql_types::{Timestamptz, Uuid as SqlUuid};
    let rows: Vec<GroupDayRow> = diesel::sql_query(
        "SELECT display_type AS action_type, connector, policy_verdict, status,
                (occurred_at AT TIME ZONE 'UTC')::date AS day,
                count(*) AS count, min(occurred_at) AS first, max(occurred_at) AS last
         FROM events
         WHERE asset_id = $1 AND occurred_at < $2
         GROUP BY 1, 2, 3, 4, 5",
    )
    .bind::<SqlUuid, _>(agent_id)
    .bind::<Timestamptz, _>(until)
    .load(conn.db())
    .await?;
    type Kind = (String, Option<String>, Option<String>, Option<String>);
    let mut groups: BTreeMap<Kind, (i64, OffsetDateTime, OffsetDateTime)> = BTreeMap::new();
    let mut days: BTreeMap<time::Date, ActivityDay> = BTreeMap::new();
    for row in rows {
        let day = days.entry(row.day).or_insert_with(|| ActivityDay {
            day: row.day,
            permit: 0,
            escalate: 0,
            deny: 0,
            unjudged: 0,
            drift_detected: 0,
        });
        let band = match row.policy_verdict.as_deref() {
            None => &mut day.unjudged,
            Some(verdict) => match parsed::<Verdict>("policy_verdict", verdict)? {
                Verdict::Permit => &mut day.permit,
                Verdict::Escalate => &mut day.escalate,
                Verdict::Deny => &mut day.deny,
            },
        };
        *band += row.count;
        if row.action_type == DRIFT_DETECTED {
            day.drift_detected += row.count;
        }
        let kind = (
            row.action_type,
            row.connector,
            row.policy_verdict,
            row.status,
        );
        let group = groups.entry(kind).or_insert((0, row.first, row.last));
        group.0 += row.count;
        group.1 = group.1.min(row.first);
        group.2 = group.2.max(row.last);
    }
    let mut folded = Vec::with_capacity(groups.len());
    for ((action_type, connector, policy_verdict, status), (count, first, last)) in groups {
        folded.push(AuditGroup {
            action_type,
            connector,
            policy_verdict: policy_verdict
                .map(|v| parsed("policy_verdict", &v))
                .transpose()?,
            status: status.map(|s| parsed("status", &s)).transpose()?,
            count,
            first,
            last,
        });
    }
    Ok(TrailFigures {
        groups: folded,
        activity: days.into_values().collect(),
    })
}

/// The action type of a drift detection.
const DRIFT_DETECTED: &str = "drift.detected";

/// Each `drift.detected` before `until` with the first `drift.resolved` of the same correlation
/// id at or after it, as a relation both drift queries read.
const DRIFT_PAIRS: &str = "
    WITH detected AS (
        SELECT correlation_value, occurred_at, metadata ->> 'drift_type' AS drift_type,
               COALESCE(metadata ->> 'severity', 'unspecified') AS severity
        FROM events
        WHERE asset_id = $1 AND display_type = 'drift.detected' AND occurred_at < $2
    )
    SELECT d.*, (
        SELECT min(r.occurred_at) FROM events r
        WHERE r.asset_id = $1 AND r.display_type = 'drift.resolved'
          AND r.correlation_value = d.correlation_value
          AND r.occurred_at >= d.occurred_at AND r.occurred_at < $2
    ) AS resolved_at
    FROM detected d";

#[derive(QueryableByName)]
struct SeverityRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    severity: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    detected: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    resolved: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
    total_seconds: Option<f64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
    max_seconds: Option<f64>,
}

#[derive(QueryableByName)]
struct OpenRow {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    correlation_value: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    occurred_at: OffsetDateTime,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    drift_type: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    severity: String,
}

/// Drift before `until`, summarized by PostgreSQL: counts per severity, resolution times, and
/// the 20 most recent detections still open.
pub async fn drift(
    conn: &mut TenantConn,
    agent_id: Uuid,
    until: OffsetDateTime,
) -> StoreResult<compliance_core::package::DriftSummary> {
    use diesel::sql_types::{Timestamptz, Uuid as SqlUuid};
    let by_severity: Vec<SeverityRow> = diesel::sql_query(format!(
        "SELECT severity, count(*) AS detected, count(resolved_at) AS resolved,
                sum(extract(epoch FROM resolved_at - occurred_at))::float8 AS total_seconds,
                max(extract(epoch FROM resolved_at - occurred_at))::float8 AS max_seconds
         FROM ({DRIFT_PAIRS}) pairs GROUP BY severity ORDER BY severity"
    ))
    .bind::<SqlUuid, _>(agent_id)
    .bind::<Timestamptz, _>(until)
    .load(conn.db())
    .await?;
    let open: Vec<OpenRow> = diesel::sql_query(format!(
        "SELECT correlation_value, occurred_at, drift_type, severity FROM ({DRIFT_PAIRS}) pairs
         WHERE resolved_at IS NULL ORDER BY occurred_at DESC LIMIT 20"
    ))
    .bind::<SqlUuid, _>(agent_id)
    .bind::<Timestamptz, _>(until)
    .load(conn.db())
    .await?;
    let detected: i64 = by_severity.iter().map(|r| r.detected).sum();
    let resolved: i64 = by_severity.iter().map(|r| r.resolved).sum();
    let total: f64 = by_severity.iter().filter_map(|r| r.total_seconds).sum();
    #[allow(clippy::cast_precision_loss)] // a count of drift events, far below 2^52
    let mean = (resolved > 0).then(|| total / resolved as f64);
    Ok(compliance_core::package::DriftSummary {
        detected,
        resolved,
        by_severity: by_severity
            .iter()
            .map(|r| (r.severity.clone(), r.detected))
            .collect(),
        mean_seconds_to_resolve: mean,
        max_seconds_to_resolve: by_severity
            .iter()
            .filter_map(|r| r.max_seconds)
            .reduce(f64::max),
        open: open
            .into_iter()
            .map(|row| compliance_core::package::OpenDrift {
                correlation_id: row.correlation_value,
                detected_at: row.occurred_at,
                drift_type: row.drift_type,
                severity: Some(row.severity).filter(|s| s != "unspecified"),
            })
            .collect(),
    })
}

#[derive(QueryableByName)]
struct BackDatedRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    entries: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    max_lag_seconds: Option<i64>,
}

/// The agent's entries counted (before `until`) declared more than [`BACK_DATED_SECONDS`]
/// before the server accepted them: read from the partial index of such entries alone.
pub async fn back_dated(
    conn: &mut TenantConn,
    agent_id: Uuid,
    until: OffsetDateTime,
) -> StoreResult<compliance_core::package::BackDated> {
    use diesel::sql_types::{Timestamptz, Uuid as SqlUuid};
    // The tolerance is a literal, the one of the partial index `events_back_dated`: a bound
    // parameter would not let the planner use it.
    let row: BackDatedRow = diesel::sql_query(format!(
        "SELECT count(*) AS entries, max(floor(lag_seconds))::int8 AS max_lag_seconds
         FROM events
         WHERE asset_id = $1 AND occurred_at < $2 AND lag_seconds > {BACK_DATED_SECONDS}"
    ))
    .bind::<SqlUuid, _>(agent_id)
    .bind::<Timestamptz, _>(until)
    .get_result(conn.db())
    .await?;
    Ok(compliance_core::package::BackDated {
        tolerance_seconds: BACK_DATED_SECONDS,
        entries: row.entries,
        max_lag_seconds: row.max_lag_seconds,
    })
}

/// How much earlier than its acceptance an entry may declare itself before it counts as
/// back-dated: 15 minutes, as the partial index of migration 000006 has it.
pub const BACK_DATED_SECONDS: i64 = 900;
