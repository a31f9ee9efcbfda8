//! Idempotency keys: a POST's outcome kept with the key the client sent, in the transaction
//! that wrote it, so a retry answers the stored outcome instead of writing twice.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use time::{Duration, OffsetDateTime};

use crate::schema::idempotency_keys;
use crate::{Store, StoreError, StoreResult, TenantConn};

/// How long a key is kept: a retry within this answers the first outcome.
pub const KEPT_FOR: Duration = Duration::hours(24);

/// A stored outcome: the request it answered and what was answered.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = idempotency_keys, check_for_backend(diesel::pg::Pg))]
pub struct Outcome {
    pub request_sha256: String,
    pub status: i16,
    /// The answer's JSON, as it was sent.
    pub response: String,
}

/// Whether [`record`] kept this outcome, or found one a concurrent request kept first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    Kept,
    Taken(Outcome),
}

/// The outcome stored under `key` in the caller's org, if any.
pub async fn find(conn: &mut TenantConn, key: &str) -> StoreResult<Option<Outcome>> {
    Ok(idempotency_keys::table
        .filter(idempotency_keys::key.eq(key))
        .select(Outcome::as_select())
        .first(conn.db())
        .await
        .optional()?)
}

/// Keeps `outcome` under `key`, in the caller's transaction. A concurrent request holding the
/// same key makes this wait until it ends; if it committed, its outcome is [`Recorded::Taken`]
/// and the caller must roll back its own work and answer that one.
pub async fn record(conn: &mut TenantConn, key: &str, outcome: &Outcome) -> StoreResult<Recorded> {
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::org_id.eq(conn.org()),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_sha256.eq(&outcome.request_sha256),
            idempotency_keys::status.eq(outcome.status),
            idempotency_keys::response.eq(&outcome.response),
        ))
        .on_conflict_do_nothing()
        .execute(conn.db())
        .await?;
    if inserted == 1 {
        return Ok(Recorded::Kept);
    }
    match find(conn, key).await? {
        Some(first) => Ok(Recorded::Taken(first)),
        // An expired key purged between the two statements: the client may simply retry.
        None => Err(StoreError::Conflict(format!(
            "Idempotency-Key {key:?} expired while in use; retry"
        ))),
    }
}

impl Store {
    /// Removes every org's keys older than [`KEPT_FOR`] (an operator path); how many went.
    pub async fn purge_idempotency_keys(&self, now: OffsetDateTime) -> StoreResult<usize> {
        let mut conn = self.operator().await?;
        Ok(diesel::delete(
            idempotency_keys::table.filter(idempotency_keys::created_at.lt(now - KEPT_FOR)),
        )
        .execute(&mut *conn)
        .await?)
    }
}
