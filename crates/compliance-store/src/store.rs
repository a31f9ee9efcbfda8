use std::time::Duration;

use diesel::{Connection, RunQueryDsl as _};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use uuid::Uuid;

use crate::{StoreError, StoreResult, TenantConn};

/// The schema, embedded from the workspace's `migrations/`.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");
/// Longest any one statement may run before it is cancelled.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a session may sit idle inside a transaction before PostgreSQL ends it: a backstop,
/// since a dropped [`TenantConn`] already closes its connection.
pub const IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a request waits for a pooled connection, or for a new one to open.
const POOL_TIMEOUT: Duration = Duration::from_secs(3);
/// Serializes migrations between processes starting at once.
const MIGRATION_LOCK: i64 = 0x636f_6d70_6c69; // "compli"

pub(crate) type Pooled = Object<AsyncPgConnection>;

/// The database: a pool of connections as the schema owner. Tenant work goes through
/// [`Store::tenant`]; the few operator paths (tokens, orgs) through this crate's own functions.
#[derive(Clone)]
pub struct Store {
    pool: Pool<AsyncPgConnection>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("status", &self.pool.status())
            .finish()
    }
}

impl Store {
    /// A pool of at most `max_connections` to `url` (a `postgres://` URL or `key=value` string).
    /// Connections open lazily, so this succeeds while the database is down.
    pub fn connect(url: &str, max_connections: usize) -> StoreResult<Self> {
        // No test query on every checkout (a round trip per request): a connection that broke
        // mid-transaction is discarded by its transaction state, and a closed one fails its
        // next statement, which the request reports as unavailable.
        let mut config = ManagerConfig::default();
        config.recycling_method = RecyclingMethod::Fast;
        // Every pooled connection gets the same statement timeout when it opens: a uniform
        // default, not tenant state, so nothing differs between the requests that share it.
        config.custom_setup = Box::new(|url| {
            let url = url.to_owned();
            Box::pin(async move {
                let mut conn =
                    <AsyncPgConnection as diesel_async::AsyncConnection>::establish(&url).await?;
                let timeout = format!(
                    "SET statement_timeout = '{}ms'; SET idle_in_transaction_session_timeout = '{}ms'",
                    STATEMENT_TIMEOUT.as_millis(),
                    IDLE_IN_TRANSACTION_TIMEOUT.as_millis()
                );
                conn.batch_execute(&timeout)
                    .await
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(conn)
            })
        });
        let manager =
            AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
        let pool = Pool::builder(manager)
            .max_size(max_connections)
            .wait_timeout(Some(POOL_TIMEOUT))
            .create_timeout(Some(POOL_TIMEOUT))
            .recycle_timeout(Some(POOL_TIMEOUT))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|error| StoreError::Unavailable(error.to_string()))?;
        Ok(Self { pool })
    }

    /// A transaction bound to `org`, under the tenant role.
    pub async fn tenant(&self, org: Uuid) -> StoreResult<TenantConn> {
        TenantConn::begin(self.pool.get().await?, org).await
    }

    /// A connection as the schema owner, outside any tenant: for the operator paths.
    pub(crate) async fn operator(&self) -> StoreResult<Pooled> {
        Ok(self.pool.get().await?)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> StoreResult<()> {
        self.pool.get().await?.batch_execute("SELECT 1").await?;
        Ok(())
    }
}

/// Creates database `name` (a plain identifier) through the maintenance database at
/// `maintenance_url`, unless it exists.
pub async fn ensure_database(maintenance_url: &str, name: &str) -> StoreResult<()> {
    use diesel_async::AsyncConnection;
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(StoreError::Invalid(format!(
            "{name:?} is not a plain database name"
        )));
    }
    let mut conn = AsyncPgConnection::establish(maintenance_url).await?;
    // CREATE DATABASE has no IF NOT EXISTS; an existing one is the usual case.
    match conn.batch_execute(&format!("CREATE DATABASE {name}")).await {
        Err(error) if !error.to_string().contains("already exists") => Err(error.into()),
        _ => Ok(()),
    }
}

/// Applies pending migrations to the database at `url`, holding an advisory lock so that
/// concurrent starts migrate once.
pub async fn migrate(url: &str) -> StoreResult<()> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || -> StoreResult<()> {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)?;
        diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
            .execute(&mut conn)?;
        let migrated = conn
            .run_pending_migrations(MIGRATIONS)
            .map(|_| ())
            .map_err(|error| StoreError::Invalid(format!("migration failed: {error}")));
        diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
            .execute(&mut conn)?;
        migrated
    })
    .await
    .map_err(|error| StoreError::Unavailable(format!("migration task failed: {error}")))?
}
