use diesel_async::{AnsiTransactionManager, AsyncPgConnection};
use uuid::Uuid;

use crate::{StoreResult, store::Pooled};

/// A connection inside a transaction bound to one org: row-level security sees that org only,
/// under the tenant role. Every tenant store function takes one, so forgetting the org cannot
/// compile. Dropped without [`TenantConn::commit`], its transaction is rolled back and the
/// pool discards the connection.
pub struct TenantConn {
    conn: Pooled,
    org: Uuid,
}

impl std::fmt::Debug for TenantConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantConn")
            .field("org", &self.org)
            .finish_non_exhaustive()
    }
}

impl TenantConn {
    /// Begins the transaction, takes the tenant role and binds the org, in one round trip.
    pub(crate) async fn begin(mut conn: Pooled, org: Uuid) -> StoreResult<Self> {
        // Both settings are LOCAL: they end with the transaction, so a pooled connection never
        // carries one tenant's org into the next. The org is a formatted UUID, never user text.
        // `role` set through set_config is SET LOCAL ROLE: one statement binds both.
        let begin = format!(
            "BEGIN; SELECT set_config('role', 'compliance_app', true), \
             set_config('app.org_id', '{org}', true)"
        );
        AnsiTransactionManager::begin_transaction_sql(&mut *conn, &begin).await?;
        Ok(Self { conn, org })
    }

    /// The org this transaction is bound to.
    pub fn org(&self) -> Uuid {
        self.org
    }

    pub async fn commit(mut self) -> StoreResult<()> {
        use diesel_async::TransactionManager;
        AnsiTransactionManager::commit_transaction(&mut *self.conn).await?;
        Ok(())
    }

    pub async fn rollback(mut self) -> StoreResult<()> {
        use diesel_async::TransactionManager;
        AnsiTransactionManager::rollback_transaction(&mut *self.conn).await?;
        Ok(())
    }

    /// Commits when `result` is a success, rolls back otherwise, and passes `result` on.
    pub async fn end<T, E: From<crate::StoreError>>(self, result: Result<T, E>) -> Result<T, E> {
        match result {
            Ok(value) => {
                self.commit().await?;
                Ok(value)
            }
            Err(error) => {
                // The failure that made us roll back is the one worth reporting.
                let _ = self.rollback().await;
                Err(error)
            }
        }
    }

    /// The raw connection, for this crate's store functions only.
    pub(crate) fn db(&mut self) -> &mut AsyncPgConnection {
        &mut self.conn
    }
}
