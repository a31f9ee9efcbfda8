use std::sync::Arc;

use compliance_store::StoreError;
use compliance_store::pdfs;
use diesel_async::SimpleAsyncConnection;
use time::OffsetDateTime;

use crate::generation::{agent, generated};
use crate::support::*;

/// Agent 1's first package, generated.
async fn package(world: &World) -> uuid::Uuid {
    agent(world, 1).await;
    generated(world, 1, OffsetDateTime::now_utc()).await.id
}

#[tokio::test]
async fn a_kept_pdf_reads_back_and_a_second_put_keeps_the_first() {
    let world = World::new().await;
    let package = package(&world).await;
    let mut conn = world.acme().await;
    assert_eq!(pdfs::get(&mut conn, package).await.unwrap(), None);
    pdfs::put(&mut conn, package, b"%PDF-1.4 first")
        .await
        .unwrap();
    conn.commit().await.unwrap();

    let mut conn = world.acme().await;
    pdfs::put(&mut conn, package, b"%PDF-1.4 second")
        .await
        .unwrap();
    conn.commit().await.unwrap();
    let mut conn = world.acme().await;
    assert_eq!(
        pdfs::get(&mut conn, package).await.unwrap().as_deref(),
        Some(&b"%PDF-1.4 first"[..])
    );
    assert_eq!(pdfs::get(&mut conn, id(404)).await.unwrap(), None);
    assert!(matches!(
        pdfs::put(&mut conn, id(404), b"%PDF").await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_puts_both_succeed_and_the_first_to_commit_wins() {
    let world = Arc::new(World::new().await);
    let package = package(&world).await;
    let mut first = world.acme().await;
    pdfs::put(&mut first, package, b"%PDF first").await.unwrap();
    // The second waits on the first's row (or finds it committed): either way it changes nothing.
    let second = {
        let world = world.clone();
        tokio::spawn(async move {
            let mut conn = world.acme().await;
            let put = pdfs::put(&mut conn, package, b"%PDF second").await;
            conn.end(put).await
        })
    };
    first.commit().await.unwrap();
    second.await.unwrap().unwrap();
    let mut conn = world.acme().await;
    assert_eq!(
        pdfs::get(&mut conn, package).await.unwrap().as_deref(),
        Some(&b"%PDF first"[..])
    );
}

#[tokio::test]
async fn another_org_can_neither_read_nor_keep_a_pdf_of_a_package_it_cannot_see() {
    let world = World::new().await;
    let package = package(&world).await;
    let mut conn = raw(&world).await;
    let (acme_id, globex_id) = (world.acme.id, world.globex.id);
    let insert = |org: uuid::Uuid| {
        format!(
            "INSERT INTO package_pdfs (org_id, package_id, pdf, sha256) \
             VALUES ('{org}', '{package}', '\\x00', '{}')",
            "0".repeat(64)
        )
    };
    as_tenant(&mut conn, Some(globex_id)).await;
    let error = try_sql(&mut conn, &insert(acme_id)).await.unwrap_err();
    assert!(error.contains("row-level security"), "{error}");
    end(&mut conn).await;
    // Its own org on acme's package: the key names the package's org, so there is no such one.
    as_tenant(&mut conn, Some(globex_id)).await;
    let error = try_sql(&mut conn, &insert(globex_id)).await.unwrap_err();
    assert!(error.contains("foreign key"), "{error}");
    end(&mut conn).await;

    let mut acme = world.acme().await;
    pdfs::put(&mut acme, package, b"%PDF acme").await.unwrap();
    acme.commit().await.unwrap();
    let mut globex = world.globex().await;
    assert_eq!(pdfs::get(&mut globex, package).await.unwrap(), None);
    assert_eq!(pdfs::download(&mut globex, package).await.unwrap(), None);
    assert!(matches!(
        pdfs::put(&mut globex, package, b"%PDF globex").await,
        Err(StoreError::NotFound)
    ));
    drop(globex);
    as_tenant(&mut conn, Some(globex_id)).await;
    let seen = count(&mut conn, "SELECT count(*) AS n FROM package_pdfs").await;
    assert_eq!(seen, 0);
    end(&mut conn).await;
    let mut acme = world.acme().await;
    assert_eq!(
        pdfs::get(&mut acme, package).await.unwrap().as_deref(),
        Some(&b"%PDF acme"[..])
    );
    // A download reads the bytes and the agent's name, in one query.
    let (bytes, agent) = pdfs::download(&mut acme, package).await.unwrap().unwrap();
    assert_eq!(bytes, b"%PDF acme");
    assert!(!agent.is_empty());
}

#[tokio::test]
async fn a_pdf_that_no_longer_matches_its_hash_is_corrupt() {
    let world = World::new().await;
    let package = package(&world).await;
    let mut acme = world.acme().await;
    pdfs::put(&mut acme, package, b"%PDF kept").await.unwrap();
    acme.commit().await.unwrap();
    let mut conn = raw(&world).await;
    conn.batch_execute(
        "ALTER TABLE package_pdfs DISABLE TRIGGER package_pdfs_append_only; \
         UPDATE package_pdfs SET pdf = '\\x00'; \
         ALTER TABLE package_pdfs ENABLE ALWAYS TRIGGER package_pdfs_append_only",
    )
    .await
    .unwrap();
    let mut acme = world.acme().await;
    let read = pdfs::get(&mut acme, package).await;
    assert!(matches!(read, Err(StoreError::Corrupt(_))), "{read:?}");
    let download = pdfs::download(&mut acme, package).await;
    assert!(
        matches!(download, Err(StoreError::Corrupt(_))),
        "{download:?}"
    );
}
