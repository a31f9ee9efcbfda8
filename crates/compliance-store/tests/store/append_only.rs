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

/// An event, a package (with its generation entry) and a kept PDF, for the guards to protect.
async fn evidence(world: &World) -> [&'static str; 3] {
    one_event(world).await;
    let package = crate::packages::generate(world, 7).await;
    let mut conn = world.acme().await;
    compliance_store::pdfs::put(&mut conn, package.id, b"%PDF")
        .await
        .unwrap();
    conn.commit().await.unwrap();
    ["events", "compliance_packages", "package_pdfs"]
}

async fn rows(conn: &mut diesel_async::AsyncPgConnection, table: &str) -> i64 {
    count(conn, &format!("SELECT count(*) AS n FROM {table}")).await
}

#[tokio::test]
async fn the_evidence_tables_cannot_be_truncated_even_by_the_owner_or_through_a_cascade() {
    let world = World::new().await;
    let tables = evidence(&world).await;
    let mut conn = raw(&world).await;
    let before = [
        rows(&mut conn, "events").await,
        rows(&mut conn, "compliance_packages").await,
        rows(&mut conn, "package_pdfs").await,
    ];
    assert_eq!(
        before,
        [2, 1, 1],
        "the event, the package and its entry, the PDF"
    );
    for table in tables {
        as_tenant(&mut conn, Some(world.acme.id)).await;
        let error = try_sql(&mut conn, &format!("TRUNCATE {table}"))
            .await
            .unwrap_err();
        assert!(error.contains("permission denied"), "{table}: {error}");
        end(&mut conn).await;
    }
    // Every evidence table has its own statement guard, which even a replication role meets.
    for table in tables {
        let guarded = count(
            &mut conn,
            &format!(
                "SELECT count(*) AS n FROM pg_trigger WHERE tgrelid = '{table}'::regclass \
                 AND tgname = '{table}_no_truncate' AND tgenabled = 'A' \
                 AND tgtype & 32 <> 0 AND tgtype & 2 <> 0 AND tgtype & 1 = 0"
            ),
        )
        .await;
        assert_eq!(
            guarded, 1,
            "{table}: BEFORE TRUNCATE FOR EACH STATEMENT, ALWAYS"
        );
    }
    // Referenced by package_pdfs and attestations, so PostgreSQL refuses this before any trigger runs.
    let error = try_sql(&mut conn, "TRUNCATE compliance_packages")
        .await
        .unwrap_err();
    assert!(error.contains("referenced in a foreign key"), "{error}");
    // As the schema owner, outside any transaction: a statement that got through would stay.
    let truncations = [
        "TRUNCATE events",
        "TRUNCATE package_pdfs",
        "TRUNCATE compliance_packages, package_pdfs, attestations",
        "TRUNCATE attestations",
        "TRUNCATE signing_keys CASCADE",
        "TRUNCATE events CASCADE",
        "TRUNCATE compliance_packages CASCADE",
        "TRUNCATE package_pdfs CASCADE",
        "TRUNCATE agents CASCADE",
        "TRUNCATE organizations CASCADE",
    ];
    for sql in truncations {
        let error = try_sql(&mut conn, sql).await.unwrap_err();
        assert!(
            error.contains("append-only") && error.contains("TRUNCATE refused"),
            "{sql}: {error}"
        );
    }
    let after = [
        rows(&mut conn, "events").await,
        rows(&mut conn, "compliance_packages").await,
        rows(&mut conn, "package_pdfs").await,
    ];
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_replication_role_session_meets_the_guards_too() {
    let world = World::new().await;
    let tables = evidence(&world).await;
    let mut conn = raw(&world).await;
    for table in tables {
        for sql in [
            format!("DELETE FROM {table}"),
            format!("TRUNCATE {table} CASCADE"),
        ] {
            conn.batch_execute("BEGIN; SET LOCAL session_replication_role = replica")
                .await
                .unwrap();
            let error = try_sql(&mut conn, &sql).await.unwrap_err();
            assert!(error.contains("append-only"), "{sql}: {error}");
            end(&mut conn).await;
        }
    }
    assert_eq!(rows(&mut conn, "package_pdfs").await, 1);
}

#[tokio::test]
async fn kept_pdfs_cannot_be_updated_or_deleted() {
    let world = World::new().await;
    evidence(&world).await;
    let mut conn = raw(&world).await;
    for sql in [
        "UPDATE package_pdfs SET pdf = '\\x00'",
        "DELETE FROM package_pdfs",
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
    assert_eq!(rows(&mut conn, "package_pdfs").await, 1);
}
