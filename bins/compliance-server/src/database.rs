//! Which database the server uses, and what it needs on a first start.

use std::os::unix::fs::DirBuilderExt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use compliance_store::embedded::{Cluster, Durability};
use compliance_store::{Role, Store, ensure_database, migrate};

use crate::private_file;

/// The database named in the embedded cluster.
const DATABASE: &str = "compliance";
/// The first start's admin token, in the data directory.
const ADMIN_TOKEN: &str = "admin-token";

/// `DATABASE_URL`, or a private cluster in the data directory (stopped by [`Database::close`]
/// if this process started it).
pub struct Database {
    url: String,
    /// Shared with the task that keeps it up ([`Database::supervise`]).
    cluster: Option<Arc<Mutex<Cluster>>>,
}

impl Database {
    /// Opens the database and applies pending migrations.
    pub async fn open(data_dir: &Path, database_url: Option<&str>) -> Result<Self, String> {
        let database = match database_url.filter(|url| !url.is_empty()) {
            Some(url) => Self {
                url: url.to_owned(),
                cluster: None,
            },
            None => {
                let dir = data_dir.to_owned();
                let cluster =
                    tokio::task::spawn_blocking(move || Cluster::open(&dir, Durability::Durable))
                        .await
                        .map_err(|e| e.to_string())?
                        .map_err(|e| e.to_string())?;
                if cluster.relocated() {
                    eprintln!(
                        "compliance-server: the postgres account cannot reach {}, so the embedded \
                         database lives in {} (0700, postgres's own); the data directory keeps \
                         the admin token and the demo",
                        cluster.data_dir().display(),
                        cluster.home().display()
                    );
                }
                ensure_database(&cluster.url("postgres"), DATABASE)
                    .await
                    .map_err(|e| format!("cannot create the database: {e}"))?;
                Self {
                    url: cluster.url(DATABASE),
                    cluster: Some(Arc::new(Mutex::new(cluster))),
                }
            }
        };
        migrate(&database.url)
            .await
            .map_err(|e| format!("cannot migrate {}: {e}", database.redacted()))?;
        Ok(database)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn redacted(&self) -> &str {
        if self.cluster.is_some() {
            "the embedded database"
        } else {
            "DATABASE_URL"
        }
    }

    /// Keeps the embedded cluster up while the server runs: once a second, a cluster this
    /// process started whose postmaster has gone (killed, crashed) is started again, so the
    /// server answers 503 meanwhile and recovers by itself (`docs/reliability.md`). With
    /// `DATABASE_URL` the database is someone else's to restart: nothing to do.
    pub fn supervise(&self) -> Option<tokio::task::JoinHandle<()>> {
        let cluster = self.cluster.clone()?;
        Some(tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            loop {
                every.tick().await;
                let cluster = cluster.clone();
                let revived = tokio::task::spawn_blocking(move || match cluster.lock() {
                    Ok(mut cluster) => cluster.revive().map_err(|e| e.to_string()),
                    Err(_) => Err("the cluster's lock was poisoned".to_owned()),
                })
                .await;
                match revived {
                    Ok(Ok(true)) => {
                        tracing::warn!("the embedded database had stopped; started it again");
                    }
                    Ok(Ok(false)) => {}
                    Ok(Err(error)) => tracing::warn!(%error, "the embedded database is down"),
                    Err(error) => tracing::warn!(%error, "the supervision task failed"),
                }
            }
        }))
    }

    /// Stops the embedded cluster if this process started it.
    pub async fn close(self) -> Result<(), String> {
        if let Some(cluster) = self.cluster {
            tokio::task::spawn_blocking(move || match cluster.lock() {
                Ok(mut cluster) => cluster.stop().map_err(|e| e.to_string()),
                Err(_) => Err("the cluster's lock was poisoned".to_owned()),
            })
            .await
            .map_err(|e| e.to_string())??;
        }
        Ok(())
    }
}

/// On a first start (no org at all), creates org `default` with an admin token, prints it once
/// and writes it to `<data dir>/admin-token` (a new file, 0600, in place of a stale regular
/// one). On every start an existing token file is made 0600; a symlink or anything but a
/// regular file there stops the server before anything is created, and is never followed.
pub async fn first_admin_token(store: &Store, data_dir: &Path) -> Result<(), String> {
    make_data_dir(data_dir)?;
    let path = data_dir.join(ADMIN_TOKEN);
    private_file::make_private(&path)?;
    if store
        .organization_count()
        .await
        .map_err(|e| e.to_string())?
        > 0
    {
        return Ok(());
    }
    let org = store
        .ensure_organization("default")
        .await
        .map_err(|e| e.to_string())?;
    let token = store
        .issue_token(org.id, Role::Admin)
        .await
        .map_err(|e| e.to_string())?;
    private_file::replace(&path, &format!("{}\n", token.secret)).map_err(|e| {
        format!(
            "{e}; the admin token was made but not kept: make another with \
             `compliance-server token create --org default --role admin`"
        )
    })?;
    println!(
        "First start: created org \"default\" and an admin token (also in {}):",
        path.display()
    );
    println!("{}", token.secret);
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// Creates the data directory if missing, private to us (0700): with an embedded cluster it
/// exists already, made by [`Cluster::open`].
fn make_data_dir(data_dir: &Path) -> Result<(), String> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))
}
