//! The org's log in the store: an upgraded database keeps each log and logs the events before
//! it; each org's log is its own; the log's tables refuse every change but growth.

use compliance_attest::log::leaf_hash;
use compliance_store::events::{self, AuditFields, NewEvent};
use compliance_store::log;

use crate::support::*;

fn event(asset: uuid::Uuid, n: u128) -> NewEvent {
    NewEvent {
        id: id(n),
        asset_id: asset,
        display_type: "Inspection".to_owned(),
        correlation_value: None,
        declared_at: None,
        operation: "Record".to_owned(),
        behaviour: "RecordEvidence".to_owned(),
        event_attributes: attrs(&[("arc_display_type", "Inspection")]),
        asset_attributes: attrs(&[]),
        principal_declared: serde_json::json!({}),
        audit: AuditFields::default(),
    }
}

/// Proves every one of the org's `size` leaves, each from its event as stored.
async fn every_leaf_proves(conn: &mut compliance_store::TenantConn, ids: &[uuid::Uuid]) {
    let size = log::size(conn).await.unwrap();
    assert_eq!(size, ids.len() as u64);
    for (index, event) in ids.iter().enumerate() {
        let inclusion = log::inclusion(conn, *event, None).await.unwrap();
        assert_eq!(inclusion.leaf_index, index as u64, "event {event}");
        compliance_attest::log::verify_inclusion(
            &inclusion.proof,
            inclusion.leaf_index,
            size,
            leaf_hash(inclusion.leaf_data.as_bytes()),
            inclusion.root,
        )
        .unwrap_or_else(|e| panic!("leaf {index}: {e}"));
    }
}

/// An upgrade from the log's first layout (a `log_leaves` row per leaf, a `log_hashes` row per
/// stored hash): an org whose log was kept keeps its tree, root for root; an org whose events
/// predate the log gets them as its first leaves, in acceptance order, hashed on its next append.
#[tokio::test]
async fn an_upgraded_database_keeps_each_log_and_logs_the_events_before_it() {
    use diesel_async::SimpleAsyncConnection;
    let db =
        compliance_store::testing::TestDb::before_migration("2026-12-02-000007_leaves_on_events")
            .await;
    let (kept, old) = (id(100), id(200));
    let mut owner = {
        use diesel_async::AsyncConnection;
        diesel_async::AsyncPgConnection::establish(&db.url)
            .await
            .unwrap()
    };
    let mut sql = String::new();
    for (org, name) in [(kept, "kept"), (old, "old")] {
        sql += &format!(
            "INSERT INTO organizations (id, name) VALUES ('{org}', '{name}');
             INSERT INTO assets (org_id, id, attributes) VALUES ('{org}', '{}', '{{}}');",
            id(1)
        );
        for n in 10..13 {
            sql += &format!(
                "INSERT INTO events (org_id, asset_id, id, display_type, event_attributes)
                 VALUES ('{org}', '{}', '{}', 'Inspection', '{{\"arc_display_type\": \"Inspection\"}}');",
                id(1),
                id(n)
            );
        }
    }
    // The kept org's log, as the first layout stored it: three leaves (their hashes made up
    // here, so the tree alone is compared) and the tree's stored hashes.
    let leaves: Vec<_> = (0u8..3).map(|n| leaf_hash(&[n])).collect();
    let written = compliance_attest::log::append(0, &leaves, &Default::default()).unwrap();
    sql += &format!("INSERT INTO log_heads (org_id, size, backfilled) VALUES ('{kept}', 3, true);");
    for (index, n) in (10..13).enumerate() {
        sql += &format!(
            "INSERT INTO log_leaves VALUES ('{kept}', {index}, '{}', '{}');",
            id(n),
            id(1)
        );
    }
    for (index, hash) in &written {
        sql += &format!(
            "INSERT INTO log_hashes VALUES ('{kept}', {index}, '\\x{}');",
            hex::encode(hash.0)
        );
    }
    // An event of the kept log deleted behind the API's back before the upgrade: its leaf stays.
    sql += &format!(
        "ALTER TABLE events DISABLE TRIGGER events_append_only;
         DELETE FROM events WHERE org_id = '{kept}' AND id = '{}';
         ALTER TABLE events ENABLE ALWAYS TRIGGER events_append_only;",
        id(12)
    );
    owner.batch_execute(&sql).await.unwrap();
    db.migrate_rest().await;
    // The hole is still counted: the asset has three leaves and two events.
    let counted = count(
        &mut owner,
        &format!("SELECT leaves AS n FROM log_asset_leaves WHERE org_id = '{kept}'"),
    )
    .await;
    assert_eq!(counted, 3, "the kept log's own count, not the events left");
    // Before the old org's next append its log reads as empty, not broken.
    let mut conn = db.store.tenant(old).await.unwrap();
    assert_eq!(log::size(&mut conn).await.unwrap(), 0);
    assert!(matches!(
        log::inclusion(&mut conn, id(10), None).await,
        Err(compliance_store::StoreError::Invalid(_))
    ));
    conn.rollback().await.unwrap();

    let stored = compliance_attest::log::StoredHashes(written.into_iter().collect());
    let root = compliance_attest::log::root(3, &stored).unwrap();
    let mut conn = db.store.tenant(kept).await.unwrap();
    assert_eq!(log::size(&mut conn).await.unwrap(), 3);
    assert_eq!(
        log::root(&mut conn, 3).await.unwrap(),
        root,
        "the kept tree is the same tree"
    );
    for (index, n) in (10..12).enumerate() {
        assert_eq!(
            log::leaf_index(&mut conn, id(n)).await.unwrap(),
            index as u64
        );
    }
    assert!(
        log::leaf_index(&mut conn, id(12)).await.is_err(),
        "deleted before the upgrade"
    );
    // Its next entry is leaf 3 of the same tree.
    events::append(&mut conn, &event(id(1), 13)).await.unwrap();
    let next = log::inclusion(&mut conn, id(13), None).await.unwrap();
    assert_eq!(next.leaf_index, 3);
    let consistency = log::consistency(&mut conn, 3, 4).await.unwrap();
    compliance_attest::log::verify_consistency(&consistency.proof, 3, root, 4, consistency.to_root)
        .unwrap();
    conn.commit().await.unwrap();

    // The old org's events are leaves 0 to 2, in acceptance order, and its next append leaf 3.
    let mut conn = db.store.tenant(old).await.unwrap();
    events::append(&mut conn, &event(id(1), 13)).await.unwrap();
    conn.commit().await.unwrap();
    let mut conn = db.store.tenant(old).await.unwrap();
    every_leaf_proves(&mut conn, &[id(10), id(11), id(12), id(13)]).await;
}

#[tokio::test]
async fn each_org_has_its_own_log() {
    let world = World::new().await;
    asset(&world, &world.acme, 1).await;
    let mut conn = world.acme().await;
    for n in 10..14 {
        events::append(&mut conn, &event(id(1), n)).await.unwrap();
    }
    conn.commit().await.unwrap();
    let mut conn = world.acme().await;
    every_leaf_proves(&mut conn, &[id(10), id(11), id(12), id(13)]).await;
    // Globex's log is its own, and empty.
    let mut theirs = world.globex().await;
    assert_eq!(log::size(&mut theirs).await.unwrap(), 0);
    assert!(log::inclusion(&mut theirs, id(10), None).await.is_err());
}

#[tokio::test]
async fn the_log_only_grows() {
    let world = World::new().await;
    asset(&world, &world.acme, 1).await;
    let mut conn = world.acme().await;
    events::append(&mut conn, &event(id(1), 10)).await.unwrap();
    conn.commit().await.unwrap();
    let mut owner = raw(&world).await;
    for change in [
        "UPDATE log_heads SET size = 0",
        "DELETE FROM log_heads",
        "UPDATE log_hash_runs SET hashes = '\\x00'",
        "UPDATE log_asset_leaves SET leaves = 0",
        "DELETE FROM log_asset_leaves",
        "TRUNCATE log_hash_runs",
        "TRUNCATE log_checkpoints",
    ] {
        assert!(
            try_sql(&mut owner, change).await.is_err(),
            "{change} was allowed"
        );
    }
}

/// A batch's leaves are made from the entries as sent, a proof's from the row as PostgreSQL
/// keeps it (jsonb rewrites numbers, drops duplicate keys, reorders objects): both must hash the
/// same, or every proof of such an entry would fail.
#[tokio::test]
async fn a_batch_leaf_hashes_as_its_row_reads_back() {
    let world = World::new().await;
    asset(&world, &world.acme, 1).await;
    let texts = [
        r#"{"n": 1.0, "e": 1e2, "big": 12345678901234567890, "neg": -0, "tiny": 1e-400}"#,
        r#"{"pi": 3.14159265358979323846264338327950288, "exp": 1.5E+300, "frac": 0.10}"#,
        r#"{"dup": 1, "dup": 2, "z": {"b": [1, 2.50, {"y": null, "x": true}], "a": "\u00e9\ud83d\ude00"}}"#,
        r#"{"\ud83d\ude00": 1, "\ue000": 2, "esc": "tab\there \"quoted\" \\ slash\/ \u0001"}"#,
        r#"{"max": 9007199254740993, "min": -9223372036854775808, "over": 18446744073709551616}"#,
    ];
    let batch: Vec<NewEvent> = texts
        .iter()
        .enumerate()
        .map(|(n, text)| {
            let mut entry = event(id(1), 20 + n as u128);
            entry.audit.metadata = events::Metadata::from_text((*text).to_owned()).unwrap();
            entry.principal_declared = serde_json::from_str(text).unwrap();
            // Before 2000 with digits past the microsecond, PostgreSQL's epoch rounds one way and a
            // floor the other: the store sends whole microseconds.
            entry.declared_at = Some(if n % 2 == 0 {
                time::macros::datetime!(2026-11-30 12:00:00.123456 UTC)
            } else {
                time::macros::datetime!(1999-12-31 23:59:59.123456789 UTC)
            });
            entry
        })
        .collect();
    let mut conn = world.acme().await;
    events::append_many(&mut conn, batch.clone().into())
        .await
        .unwrap();
    conn.commit().await.unwrap();
    let mut conn = world.acme().await;
    let size = log::size(&mut conn).await.unwrap();
    assert_eq!(size, texts.len() as u64);
    for entry in &batch {
        let inclusion = log::inclusion(&mut conn, entry.id, None).await.unwrap();
        compliance_attest::log::verify_inclusion(
            &inclusion.proof,
            inclusion.leaf_index,
            size,
            leaf_hash(inclusion.leaf_data.as_bytes()),
            inclusion.root,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", inclusion.leaf_data));
    }
}
