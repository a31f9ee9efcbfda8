use compliance_core::AgentProfile;
use compliance_store::StoreError;
use compliance_store::agents;
use compliance_store::packages::{self, NewPackage, PackageRecord};
use diesel_async::SimpleAsyncConnection;
use time::OffsetDateTime;

use crate::support::*;

/// Registers agent `n` in acme (if new) and stores its next package.
pub async fn generate(world: &World, n: u128) -> PackageRecord {
    generate_on(world.store(), world, n).await
}

/// [`generate`] through `store`'s pool.
async fn generate_on(store: &compliance_store::Store, world: &World, n: u128) -> PackageRecord {
    let mut conn = store.tenant(world.acme.id).await.unwrap();
    if agents::get(&mut conn, id(n)).await.is_err() {
        let agent = AgentProfile {
            id: id(n),
            name: format!("agent {n}"),
            ..Default::default()
        };
        agents::create(&mut conn, &agent).await.unwrap();
    }
    let package = NewPackage {
        agent_id: id(n),
        generated_by: id(99),
        generated_at: OffsetDateTime::now_utc(),
        content: serde_json::json!({"execution_graph": {"total_actions": 3}, "note": "ünïcode"}),
    };
    let stored = packages::append(&mut conn, &package).await;
    conn.end(stored).await.unwrap()
}

#[tokio::test]
async fn versions_count_up_per_agent_and_chain_their_hashes() {
    let world = World::new().await;
    let first = generate(&world, 1).await;
    let second = generate(&world, 1).await;
    let other = generate(&world, 2).await;
    assert_eq!((first.version, second.version, other.version), (1, 2, 1));
    assert_eq!(first.previous_sha256, "");
    assert_eq!(second.previous_sha256, first.content_sha256);
    assert_ne!(
        first.content_sha256, second.content_sha256,
        "the seal covers the version and id"
    );
    assert_eq!(first.content_sha256.len(), 64);

    let mut conn = world.acme().await;
    assert_eq!(packages::get(&mut conn, second.id).await.unwrap(), second);
    let (listed, total) = packages::list(&mut conn, Some(id(1)), 10, 0).await.unwrap();
    assert_eq!(total, 2);
    assert_eq!(
        listed.iter().map(|p| p.version).collect::<Vec<_>>(),
        [2, 1],
        "newest first"
    );
    let (all, total) = packages::list(&mut conn, None, 1, 0).await.unwrap();
    assert_eq!((all.len(), total), (1, 3));
    assert_eq!(packages::verify_chain(&mut conn, id(1)).await.unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_racing_generations_make_versions_1_to_32() {
    let world = std::sync::Arc::new(World::new().await);
    // A session open for every racer before the race: none waits for the pool or for a new
    // session (both waits are bounded), only for the agent's lock, so a slow runner makes the
    // race slower, not failed.
    let store = compliance_store::Store::connect(&world.db.url, 32).unwrap();
    let mut sessions = Vec::new();
    for _ in 0..32 {
        sessions.push(store.tenant(world.acme.id).await.unwrap());
    }
    for session in sessions {
        session.commit().await.unwrap();
    }
    generate(&world, 1).await;
    let racers: Vec<_> = (0..31)
        .map(|_| {
            let (world, store) = (world.clone(), store.clone());
            tokio::spawn(async move { generate_on(&store, &world, 1).await.version })
        })
        .collect();
    let mut versions = vec![1];
    for racer in racers {
        versions.push(racer.await.unwrap());
    }
    versions.sort_unstable();
    assert_eq!(versions, (1..=32).collect::<Vec<_>>());
    let mut conn = world.acme().await;
    assert_eq!(packages::verify_chain(&mut conn, id(1)).await.unwrap(), 32);
}

#[tokio::test]
async fn tampering_with_a_stored_version_breaks_the_chain() {
    let world = World::new().await;
    for _ in 0..3 {
        generate(&world, 1).await;
    }
    let mut conn = raw(&world).await;
    // Only by switching the guard off can even the owner change a package.
    conn.batch_execute(
        "ALTER TABLE compliance_packages DISABLE TRIGGER compliance_packages_append_only; \
         UPDATE compliance_packages SET content = '{\"execution_graph\": {\"total_actions\": 4}}' \
         WHERE version = 2",
    )
    .await
    .unwrap();
    let mut acme = world.acme().await;
    let broken = packages::verify_chain(&mut acme, id(1)).await;
    assert!(
        matches!(&broken, Err(StoreError::Corrupt(why)) if why.contains("version 2") && why.contains("content_sha256")),
        "{broken:?}"
    );
}

#[tokio::test]
async fn another_orgs_package_is_not_found() {
    let world = World::new().await;
    let package = generate(&world, 1).await;
    let mut globex = world.globex().await;
    assert!(matches!(
        packages::get(&mut globex, package.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(packages::list(&mut globex, None, 10, 0).await.unwrap().1, 0);
}
