//! The test harness: one throwaway cluster per test process (unless `DATABASE_URL` is set), a
//! migrated template database, and a fresh database per test created from it. The template holds
//! the tenant role's password secret, so every test database (and every test process sharing a
//! `DATABASE_URL` server) sets the same password on the cluster-wide tenant role.

use std::process::ChildStdin;
use std::sync::{Mutex, OnceLock};

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use uuid::Uuid;

use crate::embedded::{Cluster, Durability, hand_to_cluster_account};
use crate::store::TENANT_PASSWORD;
use crate::{Store, TenantConn, migrate};

/// Bump when the migrations or the template's seeded rows change, so a shared `DATABASE_URL`
/// server builds a new template.
const TEMPLATE: &str = "compliance_test_template_v16";

/// Builds a connection string for a database on the test server.
type UrlFor = Box<dyn Fn(&str) -> String + Send + Sync>;

/// The server the tests run against, set up once per test process.
struct Server {
    url_for: UrlFor,
    /// Keeps the throwaway cluster alive; it is stopped and removed when the process exits.
    _cluster: Option<Mutex<(Cluster, ChildStdin)>>,
}

static SERVER: OnceLock<Server> = OnceLock::new();

fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        // Its own thread and runtime: the tests' runtimes come and go.
        std::thread::spawn(set_up)
            .join()
            .unwrap_or_else(|_| panic!("setting up the test database server panicked"))
    })
}

fn set_up() -> Server {
    let (url_for, cluster): (UrlFor, _) = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => (Box::new(move |db: &str| with_database(&url, db)), None),
        _ => {
            let dir = tempfile::Builder::new()
                .prefix("compliance-test-")
                .tempdir()
                .unwrap_or_else(|e| panic!("cannot make a temporary directory: {e}"))
                .keep();
            // The cluster's account (postgres, as root) owns it: the watchdog removes it all.
            hand_to_cluster_account(&dir)
                .unwrap_or_else(|e| panic!("cannot hand over {}: {e}", dir.display()));
            let cluster = Cluster::open(&dir, Durability::Throwaway)
                .unwrap_or_else(|e| panic!("cannot start a throwaway PostgreSQL: {e}"));
            let watchdog = cluster
                .remove_on_exit()
                .unwrap_or_else(|e| panic!("cannot guard the throwaway cluster: {e}"));
            let base = cluster.url("postgres");
            (
                Box::new(move |db: &str| format!("{base} dbname='{db}'")),
                Some(Mutex::new((cluster, watchdog))),
            )
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("no runtime: {e}"));
    let template_url = url_for(TEMPLATE);
    let admin_url = url_for("postgres");
    runtime.block_on(async {
        let mut admin = AsyncPgConnection::establish(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {admin_url}: {e}"));
        // Another test process may be creating it at the same moment: serialize on a lock.
        admin
            .batch_execute("SELECT pg_advisory_lock(7473)")
            .await
            .unwrap_or_else(|e| panic!("cannot lock: {e}"));
        let created = admin
            .batch_execute(&format!("CREATE DATABASE {TEMPLATE}"))
            .await
            .is_ok();
        if created {
            migrate(&template_url)
                .await
                .unwrap_or_else(|e| panic!("cannot migrate the template: {e}"));
            // Dropped before any copy: CREATE DATABASE … TEMPLATE needs it unused.
            Store::connect(&template_url, 1)
                .unwrap_or_else(|e| panic!("cannot pool the template: {e}"))
                .server_secret(TENANT_PASSWORD)
                .await
                .unwrap_or_else(|e| panic!("cannot make the tenant password: {e}"));
        }
        admin
            .batch_execute("SELECT pg_advisory_unlock(7473)")
            .await
            .unwrap_or_else(|e| panic!("cannot unlock: {e}"));
    });
    Server {
        url_for,
        _cluster: cluster,
    }
}

/// `url` pointing at `database` instead, for `postgres://` URLs and `key=value` strings alike.
fn with_database(url: &str, database: &str) -> String {
    if let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    {
        let (authority_and_path, query) = rest
            .split_once('?')
            .map_or((rest, None), |(a, q)| (a, Some(q)));
        let authority = authority_and_path.split('/').next().unwrap_or_default();
        let query = query.map(|q| format!("?{q}")).unwrap_or_default();
        format!("postgres://{authority}/{database}{query}")
    } else {
        format!("{url} dbname='{database}'")
    }
}

/// A database of its own for one test, migrated, dropped when the value is dropped.
pub struct TestDb {
    pub store: Store,
    /// Its connection string as the schema owner, for raw SQL in tests.
    pub url: String,
    name: String,
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb").field("name", &self.name).finish()
    }
}

impl TestDb {
    pub async fn new() -> Self {
        Self::copy_of(TEMPLATE).await
    }

    /// A fresh database copied from `template`, with its store.
    async fn copy_of(template: &str) -> Self {
        let server = server();
        let name = format!("test_{}", Uuid::new_v4().simple());
        let admin_url = (server.url_for)("postgres");
        let mut admin = AsyncPgConnection::establish(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {admin_url}: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .await
            .unwrap_or_else(|e| panic!("cannot create {name}: {e}"));
        let url = (server.url_for)(&name);
        let store = Store::connect(&url, 8).unwrap_or_else(|e| panic!("cannot pool {name}: {e}"));
        Self { store, url, name }
    }

    /// A database of its own migrated up to, not including, the migration whose directory is
    /// `stop` (an upgrade test writes the old schema's rows, then calls [`TestDb::migrate_rest`]).
    /// Its `store` is for after the upgrade: nothing but raw SQL fits the old schema.
    pub async fn before_migration(stop: &str) -> Self {
        let db = Self::copy_of("template0").await;
        let stop = stop.to_owned();
        let owner = db.url.clone();
        tokio::task::spawn_blocking(move || {
            use diesel::Connection;
            use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
            use diesel_migrations::MigrationHarness;
            let mut conn =
                <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(&owner)
                    .unwrap_or_else(|e| panic!("cannot connect to {owner}: {e}"));
            let pending = conn
                .pending_migrations(crate::store::MIGRATIONS)
                .unwrap_or_else(|e| panic!("no migrations: {e}"));
            assert!(
                pending.iter().any(|m| m.name().to_string() == stop),
                "no migration {stop}"
            );
            for migration in pending.iter().take_while(|m| m.name().to_string() != stop) {
                conn.run_migration(migration)
                    .unwrap_or_else(|e| panic!("migration {} failed: {e}", migration.name()));
            }
        })
        .await
        .unwrap_or_else(|e| panic!("migrating {} panicked: {e}", db.name));
        db
    }

    /// Runs the migrations not run yet, and gives the database the template's tenant password
    /// secret: the tenant role is the cluster's, and every test database must set it alike.
    pub async fn migrate_rest(&self) {
        migrate(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot finish migrating {}: {e}", self.name));
        #[derive(diesel::QueryableByName)]
        struct Secret {
            #[diesel(sql_type = diesel::sql_types::Bytea)]
            secret: Vec<u8>,
        }
        let template_url = (server().url_for)(TEMPLATE);
        let mut template = AsyncPgConnection::establish(&template_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {template_url}: {e}"));
        let secret: Secret = diesel_async::RunQueryDsl::get_result(
            diesel::sql_query("SELECT secret FROM server_secrets WHERE name = $1")
                .bind::<diesel::sql_types::Text, _>(TENANT_PASSWORD),
            &mut template,
        )
        .await
        .unwrap_or_else(|e| panic!("the template has no tenant password: {e}"));
        drop(template);
        let mut owner = AsyncPgConnection::establish(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", self.name));
        diesel_async::RunQueryDsl::execute(
            diesel::sql_query("INSERT INTO server_secrets (name, secret) VALUES ($1, $2)")
                .bind::<diesel::sql_types::Text, _>(TENANT_PASSWORD)
                .bind::<diesel::sql_types::Bytea, _>(secret.secret),
            &mut owner,
        )
        .await
        .unwrap_or_else(|e| panic!("cannot copy the tenant password: {e}"));
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let admin_url = (server().url_for)("postgres");
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop runs outside async: a thread with its own runtime does the dropping.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut admin = AsyncPgConnection::establish(&admin_url).await.ok()?;
                admin.batch_execute(&drop).await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}

impl TenantConn {
    /// The tenant session itself, for tests that try raw SQL (`RESET ROLE`, other orgs' rows)
    /// through the tenant pool.
    pub fn raw(&mut self) -> &mut AsyncPgConnection {
        self.db()
    }
}

/// The benchmarks' baseline for ingest: psql's `\copy` of `file` (CSV rows of `columns`) into
/// events in a transaction it rolls back: the time psql reports
/// for its three statements (BEGIN, COPY, ROLLBACK), so no process start or login. Any error
/// stops psql and fails the bench, and so does any answer but `COPY <rows>`.
pub fn psql_copy(
    url: &str,
    file: &std::path::Path,
    rows: usize,
    columns: &str,
) -> std::time::Duration {
    let output = std::process::Command::new("psql")
        .arg(url)
        .args([
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            "\\timing on",
            "-c",
            "BEGIN",
            "-c",
        ])
        .arg(format!(
            "\\copy events ({columns}) FROM '{}' CSV",
            file.display()
        ))
        .args(["-c", "ROLLBACK"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run psql: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "psql failed ({}): {stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.lines().any(|l| l == format!("COPY {rows}")),
        "psql did not copy {rows} rows: {stdout}"
    );
    let times: Vec<f64> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("Time: "))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    assert_eq!(times.len(), 3, "a time for each statement: {stdout}");
    std::time::Duration::from_secs_f64(times.iter().sum::<f64>() / 1e3)
}
