use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::{Connection, ConnectionError, ConnectionResult, RunQueryDsl as _};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::{StoreError, StoreResult, TenantConn};

/// The schema, embedded from the workspace's `migrations/`.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");
/// Longest any one statement may run before it is cancelled.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a session may sit idle inside a transaction before PostgreSQL ends it: a backstop,
/// since a dropped [`TenantConn`] already closes its connection.
pub const IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(30);
/// The role tenant sessions log in as (made by the first migration): not a superuser, not
/// BYPASSRLS, owns nothing.
pub const TENANT_ROLE: &str = "compliance_app";
/// The server secret whose hex is the tenant role's password.
pub(crate) const TENANT_PASSWORD: &str = "tenant-password";
/// The owner's pool is small: token lookups, org creation, secrets.
const OWNER_CONNECTIONS: usize = 4;
/// How long a request waits for a pooled connection, or for a new one to open.
const POOL_TIMEOUT: Duration = Duration::from_secs(3);
/// Serializes migrations between processes starting at once.
const MIGRATION_LOCK: i64 = 0x636f_6d70_6c69; // "compli"

pub(crate) type Pooled = Object<AsyncPgConnection>;

/// The database, through two pools: the tenant role's, for every [`Store::tenant`]
/// transaction, and a small one as the `DATABASE_URL` user (the schema owner) for the operator
/// paths (tokens, orgs, server secrets). The tenant role logs in with a password the owner sets
/// on first use, so no tenant session is ever the owner's.
#[derive(Clone)]
pub struct Store {
    owner: Pool<AsyncPgConnection>,
    tenant: Pool<AsyncPgConnection>,
    /// The owner's connection settings, from which the tenant role's are made.
    owner_config: Arc<tokio_postgres::Config>,
    /// The tenant role's connection settings, once its password is set.
    tenant_login: Arc<OnceCell<tokio_postgres::Config>>,
    /// How long callers have waited for a tenant connection, for the operator's metrics.
    waits: Arc<Waits>,
}

/// Waits for a pooled connection: how many, and their total in microseconds.
#[derive(Debug, Default)]
struct Waits {
    count: AtomicU64,
    micros: AtomicU64,
}

/// The tenant pool as the metrics report it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolUse {
    pub max_size: usize,
    /// Connections open, idle or lent.
    pub size: usize,
    /// Open and idle.
    pub available: usize,
    /// Callers waiting for one now.
    pub waiting: usize,
    /// Connections handed out since the start, and the total time callers waited for them.
    pub checkouts: u64,
    pub wait_seconds: f64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("owner", &self.owner.status())
            .field("tenant", &self.tenant.status())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Pools to `url` (a `postgres://` URL or `key=value` string, as the schema owner): at most
    /// `max_connections` tenant sessions and a few owner ones. Connections open lazily, so this
    /// succeeds while the database is down; the tenant role's login is set up on first use.
    pub fn connect(url: &str, max_connections: usize) -> StoreResult<Self> {
        let owner_config: tokio_postgres::Config = url.parse().map_err(|error| {
            StoreError::Invalid(format!("not a PostgreSQL connection string: {error}"))
        })?;
        let tenant_login = Arc::new(OnceCell::new());
        let owner = pool(
            owner_manager(url),
            max_connections.clamp(1, OWNER_CONNECTIONS),
        )?;
        let tenant = pool(
            tenant_manager(url, Arc::clone(&tenant_login)),
            max_connections,
        )?;
        Ok(Self {
            owner,
            tenant,
            owner_config: Arc::new(owner_config),
            waits: Arc::default(),
            tenant_login,
        })
    }

    /// [`Store::connect`], then the tenant role's login at once: a server reports a missing
    /// privilege when it starts, not on its first request.
    pub async fn open(url: &str, max_connections: usize) -> StoreResult<Self> {
        let store = Self::connect(url, max_connections)?;
        store.ensure_tenant_login().await?;
        Ok(store)
    }

    /// A transaction bound to `org`, in a session logged in as the tenant role.
    pub async fn tenant(&self, org: Uuid) -> StoreResult<TenantConn> {
        self.ensure_tenant_login().await?;
        let asked = Instant::now();
        let conn = self.tenant.get().await?;
        let waited = u64::try_from(asked.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.waits.count.fetch_add(1, Ordering::Relaxed);
        self.waits.micros.fetch_add(waited, Ordering::Relaxed);
        TenantConn::begin(conn, org).await
    }

    /// The tenant pool's use now, and its waits so far.
    pub fn pool_use(&self) -> PoolUse {
        let status = self.tenant.status();
        #[allow(clippy::cast_precision_loss)] // microseconds of waiting, far below 2^52
        let wait_seconds = self.waits.micros.load(Ordering::Relaxed) as f64 / 1e6;
        PoolUse {
            max_size: status.max_size,
            size: status.size,
            available: status.available,
            waiting: status.waiting,
            checkouts: self.waits.count.load(Ordering::Relaxed),
            wait_seconds,
        }
    }

    /// Runs `work` in one transaction bound to `org`: committed when it succeeds, rolled back
    /// when it fails (and, should `work` panic or be cancelled, when the connection closes).
    pub async fn transact<T, E: From<StoreError>>(
        &self,
        org: Uuid,
        work: impl AsyncFnOnce(&mut TenantConn) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.tenant(org).await?;
        let result = work(&mut conn).await;
        conn.end(result).await
    }

    /// A connection as the schema owner, outside any tenant: for the operator paths.
    pub(crate) async fn operator(&self) -> StoreResult<Pooled> {
        Ok(self.owner.get().await?)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> StoreResult<()> {
        self.owner.get().await?.batch_execute("SELECT 1").await?;
        Ok(())
    }

    /// Sets the tenant role's password once per store; a failure is retried on the next call.
    async fn ensure_tenant_login(&self) -> StoreResult<()> {
        self.tenant_login
            .get_or_try_init(|| self.enable_tenant_login())
            .await
            .map(|_| ())
    }

    /// Lets the tenant role log in with the hex of the shared `tenant-password` secret, so every
    /// server on the database sets the same one.
    async fn enable_tenant_login(&self) -> StoreResult<tokio_postgres::Config> {
        let password = hex::encode(self.server_secret(TENANT_PASSWORD).await?);
        let config = tenant_config(&self.owner_config, &password);
        // Usually set already, by an earlier start or another server: nothing to change.
        if logs_in(&config).await {
            return Ok(config);
        }
        match self.set_tenant_password(&password).await {
            Ok(()) => Ok(config),
            // Another server's ALTER ROLE at the same moment won, with the same password.
            Err(_) if logs_in(&config).await => Ok(config),
            Err(error) => Err(error),
        }
    }

    async fn set_tenant_password(&self, password: &str) -> StoreResult<()> {
        // A SCRAM verifier, not the password: statement text may be logged.
        let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
        let alter = format!("ALTER ROLE {TENANT_ROLE} LOGIN PASSWORD '{verifier}'");
        let mut conn = self.operator().await?;
        conn.batch_execute(&alter).await.map_err(login_refused)
    }
}

/// Whether a session opens with `config`; it is closed at once.
async fn logs_in(config: &tokio_postgres::Config) -> bool {
    let Ok((client, connection)) = config.connect(tokio_postgres::NoTls).await else {
        return false;
    };
    // Without its client the connection says goodbye (Terminate) and ends.
    drop(client);
    let _ = connection.await;
    true
}

/// The owner's settings with the tenant role's user and password: host, port, database and
/// options stay the same.
pub(crate) fn tenant_config(
    owner: &tokio_postgres::Config,
    password: &str,
) -> tokio_postgres::Config {
    let mut config = owner.clone();
    config.user(TENANT_ROLE).password(password);
    config
}

/// A database's refusal to set the password, with what the operator must grant.
fn login_refused(error: diesel::result::Error) -> StoreError {
    match StoreError::from(error) {
        StoreError::Database(error) => StoreError::Unavailable(format!(
            "cannot let the tenant role {TENANT_ROLE} log in ({error}): the DATABASE_URL user \
             needs SUPERUSER, or CREATEROLE and (PostgreSQL 16 and later) ADMIN OPTION on the \
             role: GRANT {TENANT_ROLE} TO <that user> WITH ADMIN OPTION"
        )),
        other => other,
    }
}

fn pool(
    manager: AsyncDieselConnectionManager<AsyncPgConnection>,
    max_size: usize,
) -> StoreResult<Pool<AsyncPgConnection>> {
    Pool::builder(manager)
        .max_size(max_size)
        .wait_timeout(Some(POOL_TIMEOUT))
        .create_timeout(Some(POOL_TIMEOUT))
        .recycle_timeout(Some(POOL_TIMEOUT))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|error| StoreError::Unavailable(error.to_string()))
}

/// Connections as the `url` user.
fn owner_manager(url: &str) -> AsyncDieselConnectionManager<AsyncPgConnection> {
    let mut config = manager_config();
    config.custom_setup = Box::new(|url| {
        let url = url.to_owned();
        Box::pin(async move {
            let conn =
                <AsyncPgConnection as diesel_async::AsyncConnection>::establish(&url).await?;
            with_session_settings(conn).await
        })
    });
    AsyncDieselConnectionManager::new_with_config(url, config)
}

/// Connections as the tenant role, with the settings `login` holds once its password is set.
fn tenant_manager(
    url: &str,
    login: Arc<OnceCell<tokio_postgres::Config>>,
) -> AsyncDieselConnectionManager<AsyncPgConnection> {
    let mut config = manager_config();
    config.custom_setup = Box::new(move |_owner_url| {
        let login = Arc::clone(&login);
        Box::pin(async move {
            // Store::tenant sets the login before it asks this pool for a connection.
            let Some(config) = login.get() else {
                return Err(ConnectionError::BadConnection(format!(
                    "the tenant role {TENANT_ROLE} has no login yet"
                )));
            };
            let (client, connection) = config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|error| ConnectionError::BadConnection(error.to_string()))?;
            let conn =
                AsyncPgConnection::try_from_client_and_connection(client, connection).await?;
            with_session_settings(conn).await
        })
    });
    // The manager's URL is the owner's; the setup above never uses it.
    AsyncDieselConnectionManager::new_with_config(url, config)
}

fn manager_config() -> ManagerConfig<AsyncPgConnection> {
    // No test query on every checkout (a round trip per request): a connection that broke
    // mid-transaction is discarded by its transaction state, and a closed one fails its
    // next statement, which the request reports as unavailable.
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    config
}

/// Every pooled connection gets the same timeouts when it opens: uniform defaults, not tenant
/// state, so nothing differs between the requests that share it.
async fn with_session_settings(mut conn: AsyncPgConnection) -> ConnectionResult<AsyncPgConnection> {
    let timeouts = format!(
        "SET statement_timeout = '{}ms'; SET idle_in_transaction_session_timeout = '{}ms'",
        STATEMENT_TIMEOUT.as_millis(),
        IDLE_IN_TRANSACTION_TIMEOUT.as_millis()
    );
    conn.batch_execute(&timeouts)
        .await
        .map_err(ConnectionError::CouldntSetupConfiguration)?;
    Ok(conn)
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

#[cfg(test)]
mod tests {
    use tokio_postgres::config::Host;

    use super::*;

    fn tenant_of(owner_url: &str) -> tokio_postgres::Config {
        let owner: tokio_postgres::Config = match owner_url.parse() {
            Ok(config) => config,
            Err(error) => panic!("{owner_url}: {error}"),
        };
        tenant_config(&owner, "00ff")
    }

    #[test]
    fn a_url_keeps_its_server_and_database_and_takes_the_tenant_login() {
        let tenant = tenant_of(
            "postgres://owner:s3cret@db.example:6543/compliance?application_name=evidence",
        );
        assert_eq!(tenant.get_user(), Some(TENANT_ROLE));
        assert_eq!(tenant.get_password(), Some(b"00ff".as_slice()));
        assert_eq!(tenant.get_hosts(), [Host::Tcp("db.example".to_owned())]);
        assert_eq!(tenant.get_ports(), [6543]);
        assert_eq!(tenant.get_dbname(), Some("compliance"));
        assert_eq!(tenant.get_application_name(), Some("evidence"));
    }

    #[test]
    fn a_key_value_string_keeps_its_socket_and_database_and_takes_the_tenant_login() {
        let tenant = tenant_of(
            "host='/tmp/a dir/run' port=5432 user=postgres dbname='postgres' dbname='test_1' \
             options='-c search_path=public'",
        );
        assert_eq!(tenant.get_user(), Some(TENANT_ROLE));
        assert_eq!(tenant.get_password(), Some(b"00ff".as_slice()));
        assert_eq!(
            tenant.get_hosts(),
            [Host::Unix(std::path::PathBuf::from("/tmp/a dir/run"))]
        );
        assert_eq!(tenant.get_ports(), [5432]);
        assert_eq!(tenant.get_dbname(), Some("test_1"), "the last dbname wins");
        assert_eq!(tenant.get_options(), Some("-c search_path=public"));
    }

    #[test]
    fn a_refused_password_change_says_what_to_grant() {
        use diesel::result::{DatabaseErrorKind, Error};
        let refused = Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("permission denied to alter role".to_owned()),
        );
        let message = login_refused(refused).to_string();
        assert!(message.contains("permission denied"), "{message}");
        assert!(
            message.contains("CREATEROLE") && message.contains("WITH ADMIN OPTION"),
            "{message}"
        );
    }
}
