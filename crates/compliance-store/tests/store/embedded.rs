use compliance_store::embedded::{Cluster, Durability, EmbeddedError};
use compliance_store::{Store, migrate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_persists_across_restarts_and_a_second_command_reuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    let mut first = tokio::task::spawn_blocking({
        let root = root.clone();
        move || Cluster::open(&root, Durability::Durable)
    })
    .await
    .unwrap()
    .unwrap();
    assert!(first.started_here());
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

    let again = Cluster::open(&root, Durability::Durable).unwrap();
    assert!(again.started_here());
    let store = Store::connect(&again.url("postgres"), 2).unwrap();
    assert_eq!(store.ensure_organization("persisted").await.unwrap(), org);
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

#[test]
fn as_root_a_data_directory_the_postgres_account_cannot_reach_is_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    if !nix_is_root() {
        return; // Only root switches to the postgres account; CI runs as root.
    }
    let dir = tempfile::tempdir().unwrap();
    let closed = dir.path().join("closed");
    std::fs::create_dir(&closed).unwrap();
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o700)).unwrap();
    let error = Cluster::open(&closed.join("data"), Durability::Throwaway).unwrap_err();
    assert!(
        matches!(&error, EmbeddedError::Unreachable(path) if path == &closed),
        "{error}"
    );
    assert!(error.to_string().contains("--data-dir"));
}

fn nix_is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}
