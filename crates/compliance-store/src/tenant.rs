use diesel_async::{AnsiTransactionManager, AsyncPgConnection};
use uuid::Uuid;

use crate::{StoreResult, store::Pooled};

/// A connection inside a transaction bound to one org: row-level security sees that org only,
/// in a session logged in as the tenant role (which cannot become anyone else, so a `RESET
/// ROLE` escapes nothing). Every tenant store function takes one, so forgetting the org cannot
/// compile. Dropped without [`TenantConn::commit`] or [`TenantConn::rollback`] (a client that
/// hung up, a cancelled future, a panic), its connection leaves the pool for good and closes,
/// so PostgreSQL rolls the transaction back and frees its locks at once.
///
/// A store function takes a `TenantConn`, which only [`crate::Store::tenant`] makes:
///
/// ```no_run
/// # async fn f(store: &compliance_store::Store, org: uuid::Uuid) -> compliance_store::StoreResult<()> {
/// let mut conn = store.tenant(org).await?;
/// compliance_store::agents::get(&mut conn, uuid::Uuid::nil()).await?;
/// # Ok(()) }
/// ```
///
/// so a query without an org does not compile, whether it is handed a raw connection:
///
/// ```compile_fail,E0308
/// # async fn f(conn: &mut diesel_async::AsyncPgConnection) {
/// compliance_store::agents::get(conn, uuid::Uuid::nil()).await;
/// # }
/// ```
///
/// or reaches for the raw connection inside one:
///
/// ```compile_fail,E0624
/// # async fn f(conn: &mut compliance_store::TenantConn) {
/// let raw: &mut diesel_async::AsyncPgConnection = conn.db();
/// # }
/// ```
pub struct TenantConn {
    /// `None` once the transaction has ended and the connection went back to the pool.
    conn: Option<Pooled>,
    org: Uuid,
}

impl Drop for TenantConn {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // Taken out of the pool and dropped: the socket closes and the server-side
            // session ends, transaction and locks with it.
            drop(diesel_async::pooled_connection::deadpool::Object::take(
                conn,
            ));
        }
    }
}

impl std::fmt::Debug for TenantConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantConn")
            .field("org", &self.org)
            .finish_non_exhaustive()
    }
}

impl TenantConn {
    /// Begins the transaction and binds the org, in one round trip, on a connection from the
    /// tenant role's pool.
    pub(crate) async fn begin(mut conn: Pooled, org: Uuid) -> StoreResult<Self> {
        // LOCAL: the org ends with the transaction, so a pooled connection never carries one
        // tenant's org into the next. The org is a formatted UUID, never user text.
        let begin = format!("BEGIN; SELECT set_config('app.org_id', '{org}', true)");
        AnsiTransactionManager::begin_transaction_sql(&mut *conn, &begin).await?;
        Ok(Self {
            conn: Some(conn),
            org,
        })
    }

    /// The org this transaction is bound to.
    pub fn org(&self) -> Uuid {
        self.org
    }

    pub async fn commit(mut self) -> StoreResult<()> {
        use diesel_async::TransactionManager;
        AnsiTransactionManager::commit_transaction(self.db()).await?;
        // Ended: the connection may serve another request.
        self.conn = None;
        Ok(())
    }

    pub async fn rollback(mut self) -> StoreResult<()> {
        use diesel_async::TransactionManager;
        AnsiTransactionManager::rollback_transaction(self.db()).await?;
        self.conn = None;
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

    /// A run-time setting of this session, as `SHOW` prints it (`30s`), for checks and tests.
    pub async fn setting(&mut self, name: &str) -> StoreResult<String> {
        use diesel::sql_types::Text;
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Setting {
            #[diesel(sql_type = Text)]
            value: String,
        }
        let setting: Setting = diesel::sql_query("SELECT current_setting($1) AS value")
            .bind::<Text, _>(name)
            .get_result(self.db())
            .await?;
        Ok(setting.value)
    }

    /// The raw connection, for this crate's store functions only.
    pub(crate) fn db(&mut self) -> &mut AsyncPgConnection {
        // Only commit and rollback, which consume the value, take the connection out.
        match self.conn.as_mut() {
            Some(conn) => conn,
            None => unreachable!("a TenantConn is used only before it ends"),
        }
    }
}
