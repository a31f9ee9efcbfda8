use compliance_store::events::{self, AuditFields, NewEvent};
use diesel_async::SimpleAsyncConnection;

use crate::support::*;

async fn one_event(world: &World) {
    asset(world, &world.acme, 1).await;
    let mut conn = world.acme().await;
    let event = NewEvent {
        id: id(10),
        asset_id: id(1),
        display_type: "x".to_owned(),
        correlation_value: None,
        declared_at: None,
        operation: "Record".to_owned(),
        behaviour: "RecordEvidence".to_owned(),
        event_attributes: attrs(&[]),
        asset_attributes: attrs(&[]),
        principal_declared: serde_json::json!({}),
        audit: AuditFields::default(),
    };
    events::append(&mut conn, &event).await.unwrap();
    conn.commit().await.unwrap();
}

#[tokio::test]
async fn events_cannot_be_updated_or_deleted_by_the_tenant_role_or_the_owner() {
    let world = World::new().await;
    one_event(&world).await;
    let mut conn = raw(&world).await;
    for sql in ["UPDATE events SET display_type = 'y'", "DELETE FROM events"] {
        as_tenant(&mut conn, Some(world.acme.id)).await;
        let error = try_sql(&mut conn, sql).await.unwrap_err();
        assert!(error.contains("permission denied"), "{sql}: {error}");
        end(&mut conn).await;
        // The owner has the privilege; the trigger still refuses.
        conn.batch_execute("BEGIN").await.unwrap();
        let error = try_sql(&mut conn, sql).await.unwrap_err();
        assert!(error.contains("append-only"), "{sql} as owner: {error}");
        end(&mut conn).await;
    }
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM events").await,
        1
    );
}

#[tokio::test]
async fn packages_cannot_be_updated_or_deleted() {
    let world = World::new().await;
    let package = crate::packages::generate(&world, 7).await;
    let mut conn = raw(&world).await;
    for sql in [
        "UPDATE compliance_packages SET version = 9",
        "DELETE FROM compliance_packages",
    ] {
        as_tenant(&mut conn, Some(world.acme.id)).await;
        let error = try_sql(&mut conn, sql).await.unwrap_err();
        assert!(error.contains("permission denied"), "{sql}: {error}");
        end(&mut conn).await;
        conn.batch_execute("BEGIN").await.unwrap();
        let error = try_sql(&mut conn, sql).await.unwrap_err();
        assert!(error.contains("append-only"), "{sql} as owner: {error}");
        end(&mut conn).await;
    }
    let mut acme = world.acme().await;
    let stored = compliance_store::packages::get(&mut acme, package.id)
        .await
        .unwrap();
    assert_eq!(stored, package);
}
