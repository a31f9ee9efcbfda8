//! While the database is unreachable the server answers 503 with Retry-After, and it recovers
//! by itself when the database is back.

use compliance_store::embedded::{Cluster, Durability};
use compliance_store::{Role, Store, migrate};

use crate::support::*;

#[actix_rt::test]
async fn a_database_outage_is_503_with_retry_after_and_the_server_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("db");
    let mut cluster = Cluster::open(&root, Durability::Throwaway).unwrap();
    let url = cluster.url("postgres");
    migrate(&url).await.unwrap();
    let store = Store::connect(&url, 2).unwrap();
    let org = store.ensure_organization("acme").await.unwrap();
    let used = store.issue_token(org.id, Role::Admin).await.unwrap().secret;
    let fresh = store.issue_token(org.id, Role::Admin).await.unwrap().secret;
    let base = serve(store).await;
    let client = awc::Client::builder().timeout(PATIENCE).finish();
    let get = |path: &str, token: &str| {
        client
            .get(format!("{base}{path}"))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .send()
    };
    assert_eq!(
        get("/archivist/v2/assets", &used).await.unwrap().status(),
        200
    );

    cluster.stop().unwrap();
    for token in [&used, &fresh] {
        // Neither is served from a cache: a server that cannot hear revocations caches nothing.
        let mut response = get("/archivist/v2/assets", token).await.unwrap();
        assert_eq!(response.status(), 503, "token cached: {}", token == &used);
        assert!(response.headers().get("retry-after").is_some());
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], 14);
    }
    let ready = get("/readyz", &used).await.unwrap();
    assert_eq!(ready.status(), 503);

    let _restarted = Cluster::open(&root, Durability::Throwaway).unwrap();
    // The pool reconnects on its own; ask again, as a client honouring Retry-After would, for
    // as long as a loaded runner could need (a bound on patience, not on speed).
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let status = get("/archivist/v2/assets", &fresh).await.unwrap().status();
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "only unavailable while it recovers");
        assert!(
            std::time::Instant::now() < deadline,
            "the server never recovered"
        );
        actix_rt::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}
