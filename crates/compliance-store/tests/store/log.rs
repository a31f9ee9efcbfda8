//! The org's log in the store: events that predate it are appended first, in acceptance order;
//! each org's log is its own; the log's tables refuse every change but growth.

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

#[tokio::test]
async fn events_older_than_the_log_are_appended_first_in_acceptance_order() {
    let world = World::new().await;
    asset(&world, &world.acme, 1).await;
    // Three events stored as a server before the log stored them: no leaf.
    let mut conn = world.acme().await;
    let old: Vec<NewEvent> = (10..13).map(|n| event(id(1), n)).collect();
    events::insert_many(&mut conn, &old).await.unwrap();
    conn.commit().await.unwrap();
    let mut conn = world.acme().await;
    assert_eq!(log::size(&mut conn).await.unwrap(), 0);
    // The org's first append logs them, then the new one.
    events::append(&mut conn, &event(id(1), 13)).await.unwrap();
    conn.commit().await.unwrap();
    let mut conn = world.acme().await;
    assert_eq!(log::size(&mut conn).await.unwrap(), 4);
    for (index, n) in (10..14).enumerate() {
        let inclusion = log::inclusion(&mut conn, id(n), None).await.unwrap();
        assert_eq!(inclusion.leaf_index, index as u64, "event {n}");
        let hash = leaf_hash(inclusion.leaf_data.as_bytes());
        compliance_attest::log::verify_inclusion(
            &inclusion.proof,
            inclusion.leaf_index,
            4,
            hash,
            inclusion.root,
        )
        .unwrap();
    }
    // A later append is the next leaf, and backfills nothing again.
    events::append(&mut conn, &event(id(1), 14)).await.unwrap();
    assert_eq!(log::size(&mut conn).await.unwrap(), 5);
    conn.commit().await.unwrap();
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
        "UPDATE log_hashes SET hash = '\\x00'",
        "DELETE FROM log_leaves",
        "TRUNCATE log_hashes",
        "TRUNCATE log_checkpoints",
    ] {
        assert!(
            try_sql(&mut owner, change).await.is_err(),
            "{change} was allowed"
        );
    }
}
