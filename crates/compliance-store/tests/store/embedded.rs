use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use compliance_store::embedded::{
    Cluster, Durability, EmbeddedError, RELOCATED_ROOT, relocated_name,
};
use compliance_store::{Store, migrate};

/// A temporary directory the postgres account can enter (as root the cluster runs as it), so
/// that the cluster lives inside, as it does for a data directory in an ordinary place.
fn reachable_tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

async fn open(root: &Path, durability: Durability) -> Cluster {
    let root = root.to_owned();
    tokio::task::spawn_blocking(move || Cluster::open(&root, durability))
        .await
        .unwrap()
        .unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

fn is_root() -> bool {
    nix::unistd::Uid::effective().is_root()
}

fn postgres_uid() -> u32 {
    nix::unistd::User::from_name("postgres")
        .unwrap()
        .unwrap()
        .uid
        .as_raw()
}

/// The lines of a configuration file that are not comments or blank.
fn settings(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// psql from the cluster's binaries, else from PATH (Debian keeps it beside the server's).
fn psql(cluster: &Cluster) -> PathBuf {
    let beside = cluster.binaries().tool("psql");
    if beside.is_file() {
        return beside;
    }
    ["/usr/lib/postgresql", "/usr/bin"]
        .iter()
        .flat_map(|dir| {
            std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| entry.path())
        })
        .flat_map(|path| [path.join("bin/psql"), path])
        .find(|path| path.ends_with("psql") && path.is_file())
        .unwrap_or_else(|| PathBuf::from("psql"))
}

/// `SELECT 1` through psql, run as the OS account `nobody`, as database user `user`.
fn psql_as_nobody(cluster: &Cluster, user: &str) -> Output {
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
    let conninfo = cluster
        .url("postgres")
        .replace("user=postgres", &format!("user={user}"));
    Command::new(psql(cluster))
        .args(["-X", "-w", "-c", "SELECT 1", &conninfo])
        .current_dir("/")
        .env_remove("PGPASSWORD")
        .uid(nobody.uid.as_raw())
        .gid(nobody.gid.as_raw())
        .output()
        .unwrap()
}

fn refused(output: &Output) -> String {
    assert!(!output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_persists_across_restarts_and_a_second_command_reuses_it() {
    let dir = reachable_tempdir();
    let root = dir.path().join("data");
    let mut first = open(&root, Durability::Durable).await;
    assert!(first.started_here());
    assert!(!first.relocated());
    assert!(
        root.join("run/.s.PGSQL.5432").exists(),
        "listens on a socket in the data directory"
    );
    let url = first.url("postgres");
    migrate(&url).await.unwrap();
    migrate(&url).await.unwrap(); // idempotent
    let store = Store::connect(&url, 2).unwrap();
    let org = store.ensure_organization("persisted").await.unwrap();

    // A second command on the same directory finds it running and leaves it running.
    let mut second = Cluster::open(&root, Durability::Durable).unwrap();
    assert!(!second.started_here());
    second.stop().unwrap();
    store.ping().await.unwrap();
    drop(store);

    first.stop().unwrap();
    let stopped = Store::connect(&url, 1).unwrap();
    assert!(
        stopped.ping().await.is_err(),
        "stopped with the process that started it"
    );

    // A cluster left by an older version, with trust auth: the next start replaces it.
    let hba = root.join("postgres/pg_hba.conf");
    std::fs::write(&hba, "local all all trust\n").unwrap();
    let again = open(&root, Durability::Durable).await;
    assert!(again.started_here());
    assert!(
        settings(&hba).iter().all(|line| !line.contains("trust")),
        "{:?}",
        settings(&hba)
    );
    let store = Store::connect(&again.url("postgres"), 2).unwrap();
    assert_eq!(store.ensure_organization("persisted").await.unwrap(), org);
    let mut tenant = store.tenant(org.id).await.unwrap();
    assert_eq!(
        compliance_store::orgs::current(&mut tenant).await.unwrap(),
        org,
        "the tenant role logs in by password on the embedded cluster"
    );
    tenant.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_started_cluster_is_private_and_trusts_no_one() {
    let dir = reachable_tempdir();
    let mut cluster = open(&dir.path().join("data"), Durability::Throwaway).await;
    let socket = cluster.socket_dir().join(".s.PGSQL.5432");
    assert_eq!(mode(cluster.pgdata()), 0o700, "PGDATA");
    assert_eq!(mode(cluster.socket_dir()), 0o700, "the socket directory");
    assert_eq!(mode(&socket), 0o700, "unix_socket_permissions");
    if is_root() {
        for dir in [cluster.pgdata(), cluster.socket_dir()] {
            let meta = std::fs::metadata(dir).unwrap();
            assert_eq!(
                meta.uid(),
                postgres_uid(),
                "{} is postgres's",
                dir.display()
            );
        }
    }
    let hba = settings(&cluster.pgdata().join("pg_hba.conf"));
    assert!(
        hba.iter().all(|line| !line.contains("trust")),
        "nothing trusted: {hba:?}"
    );
    assert!(
        hba.iter().all(|line| line.starts_with("local")),
        "no TCP: {hba:?}"
    );

    // We get in as the superuser (by peer); the tenant role needs its password, even from us.
    migrate(&cluster.url("postgres")).await.unwrap();
    let tenant_url = cluster
        .url("postgres")
        .replace("user=postgres", "user=compliance_app");
    let no_password = {
        use diesel_async::AsyncConnection;
        diesel_async::AsyncPgConnection::establish(&tenant_url).await
    };
    assert!(no_password.is_err(), "the tenant role without a password");

    if !is_root() {
        eprintln!("not root: cannot try another OS account");
        return;
    }
    for user in ["postgres", "compliance_app"] {
        let message = refused(&psql_as_nobody(&cluster, user));
        assert!(
            message.contains("Permission denied"),
            "as {user}: {message}"
        );
    }
    // Past the directory's mode too, authentication still refuses another OS account.
    std::fs::set_permissions(cluster.socket_dir(), PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&socket, PermissionsExt::from_mode(0o777)).unwrap();
    let as_superuser = refused(&psql_as_nobody(&cluster, "postgres"));
    let as_tenant = refused(&psql_as_nobody(&cluster, "compliance_app"));
    std::fs::set_permissions(cluster.socket_dir(), PermissionsExt::from_mode(0o700)).unwrap();
    assert!(
        as_superuser.contains("Peer authentication failed"),
        "{as_superuser}"
    );
    assert!(
        as_tenant.contains("password") && !as_tenant.contains("Permission denied"),
        "{as_tenant}"
    );
    cluster.stop().unwrap();
}

/// Removes a relocated cluster's home however the test ends.
struct RemoveHome(PathBuf);

impl Drop for RemoveHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn as_root_an_unreachable_data_directory_gets_its_cluster_under_var_lib_compliance() {
    if !is_root() {
        return; // Only root switches to the postgres account; CI runs as root.
    }
    let dir = tempfile::tempdir().unwrap();
    let closed = dir.path().join("closed");
    std::fs::create_dir(&closed).unwrap();
    std::fs::set_permissions(&closed, PermissionsExt::from_mode(0o700)).unwrap();
    let data = closed.join("data");
    let home = Path::new(RELOCATED_ROOT).join(relocated_name(
        &std::fs::canonicalize(dir.path())
            .unwrap()
            .join("closed/data"),
    ));
    let _remove = RemoveHome(home.clone());
    let outer = mode(dir.path());
    let mut cluster = open(&data, Durability::Throwaway).await;
    assert!(cluster.relocated());
    assert_eq!(cluster.home(), home);
    assert_eq!(cluster.pgdata(), home.join("postgres"));
    for private in [&home, &home.join("postgres"), &home.join("run")] {
        assert_eq!(mode(private), 0o700, "{}", private.display());
        let owner = std::fs::metadata(private).unwrap().uid();
        assert_eq!(owner, postgres_uid(), "{}", private.display());
    }
    assert_eq!(
        mode(&closed),
        0o700,
        "the data directory's parents stay closed"
    );
    assert_eq!(mode(dir.path()), outer);
    assert!(data.is_dir(), "the data directory itself is still made");
    assert!(!data.join("postgres").exists());

    migrate(&cluster.url("postgres")).await.unwrap();
    let store = Store::connect(&cluster.url("postgres"), 1).unwrap();
    let org = store.ensure_organization("relocated").await.unwrap();
    store.tenant(org.id).await.unwrap().commit().await.unwrap();

    // The name is stable: a second command finds the same cluster, running.
    let second = Cluster::open(&data, Durability::Throwaway).unwrap();
    assert_eq!(second.home(), home);
    assert!(!second.started_here());
    drop(store);
    cluster.stop().unwrap();
}

#[test]
fn as_root_a_cluster_already_in_an_unreachable_data_directory_is_a_clear_error() {
    if !is_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let closed = dir.path().join("closed");
    // What an older version left: a cluster in the data directory, whose parent closed since.
    std::fs::create_dir_all(closed.join("data/postgres")).unwrap();
    std::fs::write(closed.join("data/postgres/PG_VERSION"), "15\n").unwrap();
    std::fs::set_permissions(&closed, PermissionsExt::from_mode(0o700)).unwrap();
    let error = Cluster::open(&closed.join("data"), Durability::Throwaway).unwrap_err();
    let closed = std::fs::canonicalize(&closed).unwrap();
    assert!(
        matches!(&error, EmbeddedError::Unreachable(path) if path == &closed),
        "{error}"
    );
    assert!(error.to_string().contains("chmod o+x"), "{error}");
}

#[test]
fn a_relocated_name_is_stable_readable_and_distinct() {
    let a = relocated_name(Path::new("/root/work/checkout/var"));
    assert_eq!(a, relocated_name(Path::new("/root/work/checkout/var")));
    assert!(a.starts_with("var-") && a.len() == 4 + 16, "{a}");
    assert_ne!(a, relocated_name(Path::new("/root/other/var")));
    let odd = relocated_name(Path::new("/root/it's a dir"));
    assert!(
        odd.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
        "{odd}"
    );
}

#[test]
fn without_binaries_the_error_says_what_to_do() {
    let message = EmbeddedError::NoBinaries.to_string();
    assert!(
        message.contains("DATABASE_URL") && message.contains("apt-get install postgresql"),
        "{message}"
    );
    assert!(!message.contains('\n'), "one line");
}
