//! The chain of versions, checked against the audit trail that witnesses every generation.

use std::collections::BTreeMap;

use compliance_store::StoreError;
use compliance_store::events::{self, AuditFields, NewEvent};
use compliance_store::generation::GENERATED;
use compliance_store::packages::{self, PackageRecord};
use diesel_async::SimpleAsyncConnection;
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::macros::format_description;
use time::{Duration, OffsetDateTime};

use crate::generation::{agent, generated};
use crate::support::*;

/// `value` with every object's keys in sorted order (a BTreeMap's), whatever map serde_json uses.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let keys: BTreeMap<&String, &Value> = map.iter().collect();
            Value::Object(
                keys.into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        scalar => scalar.clone(),
    }
}

/// RFC 3339 in UTC to the microsecond, the fraction's trailing zeros dropped (none when whole).
fn rfc3339(at: OffsetDateTime) -> String {
    let whole = at
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]"
        ))
        .unwrap();
    let fraction = format!(".{:06}", at.microsecond());
    let fraction = fraction.trim_end_matches('0').trim_end_matches('.');
    format!("{whole}{fraction}Z")
}

/// The seal as docs/architecture.md defines it, built here rather than by the store's code:
/// SHA-256 of the canonical JSON (sorted keys, no whitespace) of the sealed fields, the time in
/// UTC RFC 3339 to the microsecond.
fn seal(package: &PackageRecord, previous_sha256: &str, content: &Value) -> String {
    let at = package.generated_at.to_offset(time::UtcOffset::UTC);
    assert_eq!(at.nanosecond() % 1000, 0, "stored to the microsecond");
    let fields: BTreeMap<&str, Value> = BTreeMap::from([
        ("id", Value::String(package.id.to_string())),
        ("org_id", Value::String(package.org_id.to_string())),
        ("agent_id", Value::String(package.agent_id.to_string())),
        ("version", Value::from(package.version)),
        (
            "generated_by",
            Value::String(package.generated_by.to_string()),
        ),
        ("generated_at", Value::String(rfc3339(at))),
        ("previous_sha256", Value::String(previous_sha256.to_owned())),
        ("content", sorted(content)),
    ]);
    // serde_json's compact form: no whitespace between tokens.
    let canonical = serde_json::to_string(&fields).unwrap();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Agent 1 with three versions, generated in turn, at a whole second, at a fraction with
/// trailing zeros and at a full microsecond (the three forms the sealed time takes).
async fn three_versions(world: &World) -> Vec<PackageRecord> {
    agent(world, 1).await;
    let base = (OffsetDateTime::now_utc() - Duration::days(1))
        .replace_nanosecond(0)
        .unwrap();
    let mut versions = Vec::new();
    for at in [
        base,
        base + Duration::hours(1) + Duration::milliseconds(120),
        base + Duration::hours(2) + Duration::microseconds(123_456),
    ] {
        let package = generated(world, 1, at).await;
        assert_eq!(package.generated_at, at);
        versions.push(package);
    }
    versions
}

/// Runs `sql` as the owner with the packages' guard switched off, then switches it back on.
async fn behind_the_guard(world: &World, sql: &str) {
    let mut conn = raw(world).await;
    conn.batch_execute(&format!(
        "ALTER TABLE compliance_packages DISABLE TRIGGER compliance_packages_append_only; {sql}; \
         ALTER TABLE compliance_packages ENABLE ALWAYS TRIGGER compliance_packages_append_only"
    ))
    .await
    .unwrap();
}

#[tokio::test]
async fn an_intact_chain_verifies_up_to_each_version_and_as_a_whole() {
    let world = World::new().await;
    let versions = three_versions(&world).await;
    let mut previous = String::new();
    for package in &versions {
        assert_eq!(package.previous_sha256, previous);
        assert_eq!(
            seal(package, &previous, &package.content),
            package.content_sha256,
            "the documented formula gives version {}'s seal",
            package.version
        );
        previous.clone_from(&package.content_sha256);
    }
    let mut conn = world.acme().await;
    for package in &versions {
        let status = packages::verify_up_to(&mut conn, package.id).await.unwrap();
        assert_eq!(
            status,
            packages::ChainStatus {
                verified: true,
                versions_checked: package.version,
                problem: None
            }
        );
    }
    let whole = packages::verify_agent(&mut conn, id(1)).await.unwrap();
    assert!(whole.verified && whole.versions_checked == 3, "{whole:?}");
    assert_eq!(packages::verify_chain(&mut conn, id(1)).await.unwrap(), 3);
    let json = serde_json::to_value(&whole).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"verified": true, "versions_checked": 3, "problem": null})
    );
    let none = packages::verify_agent(&mut conn, id(2)).await.unwrap();
    assert!(none.verified && none.versions_checked == 0, "{none:?}");
}

#[tokio::test]
async fn a_deleted_last_version_is_detected_by_the_trail() {
    let world = World::new().await;
    let versions = three_versions(&world).await;
    behind_the_guard(&world, "DELETE FROM compliance_packages WHERE version = 3").await;
    let mut conn = world.acme().await;
    let whole = packages::verify_agent(&mut conn, id(1)).await.unwrap();
    assert!(!whole.verified, "{whole:?}");
    assert_eq!(whole.versions_checked, 2);
    let problem = whole.problem.unwrap();
    assert!(
        problem.contains(&versions[2].id.to_string())
            && problem.contains("version 3")
            && problem.contains("removed"),
        "{problem}"
    );
    let counted = packages::verify_chain(&mut conn, id(1)).await;
    assert!(
        matches!(&counted, Err(StoreError::Corrupt(why)) if why.contains("version 3")),
        "{counted:?}"
    );
    // Up to version 2 the chain still holds; the removed version itself is not found.
    let up_to = packages::verify_up_to(&mut conn, versions[1].id)
        .await
        .unwrap();
    assert!(up_to.verified && up_to.versions_checked == 2, "{up_to:?}");
    assert!(matches!(
        packages::verify_up_to(&mut conn, versions[2].id).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn a_deleted_middle_version_is_a_gap() {
    let world = World::new().await;
    let versions = three_versions(&world).await;
    behind_the_guard(&world, "DELETE FROM compliance_packages WHERE version = 2").await;
    let mut conn = world.acme().await;
    let status = packages::verify_up_to(&mut conn, versions[2].id)
        .await
        .unwrap();
    assert!(!status.verified);
    assert_eq!(status.versions_checked, 1);
    assert!(
        status
            .problem
            .as_deref()
            .unwrap()
            .contains("missing before it"),
        "{status:?}"
    );
}

#[tokio::test]
async fn tampered_content_is_detected_and_so_is_a_resealed_version() {
    let world = World::new().await;
    let versions = three_versions(&world).await;
    let changed = serde_json::json!({"execution_graph": {"total_actions": 0}});
    behind_the_guard(
        &world,
        &format!(
            "UPDATE compliance_packages SET content = '{changed}' WHERE id = '{}'",
            versions[1].id
        ),
    )
    .await;
    let mut conn = world.acme().await;
    let status = packages::verify_up_to(&mut conn, versions[2].id)
        .await
        .unwrap();
    assert!(!status.verified);
    assert_eq!(status.versions_checked, 1);
    let problem = status.problem.unwrap();
    assert!(
        problem.contains("version 2") && problem.contains("content_sha256 does not match"),
        "{problem}"
    );
    let first = packages::verify_up_to(&mut conn, versions[0].id)
        .await
        .unwrap();
    assert!(first.verified, "{first:?}");
    drop(conn);

    // Sealing the change again makes version 2 consistent in itself: its trail entry and the
    // next version's link still name the seal it had.
    let resealed = seal(&versions[1], &versions[1].previous_sha256, &changed);
    behind_the_guard(
        &world,
        &format!(
            "UPDATE compliance_packages SET content_sha256 = '{resealed}' WHERE id = '{}'",
            versions[1].id
        ),
    )
    .await;
    let mut conn = world.acme().await;
    let status = packages::verify_up_to(&mut conn, versions[1].id)
        .await
        .unwrap();
    let problem = status.problem.unwrap();
    assert!(
        problem.contains("version 2") && problem.contains("generation entry"),
        "{problem}"
    );
    assert_eq!(status.versions_checked, 1);
}

#[tokio::test]
async fn a_broken_previous_link_is_detected() {
    let world = World::new().await;
    let versions = three_versions(&world).await;
    // Version 3 relinked to version 1 and resealed, so only the link gives it away.
    let third = &versions[2];
    let relinked = seal(third, &versions[0].content_sha256, &third.content);
    behind_the_guard(
        &world,
        &format!(
            "UPDATE compliance_packages SET previous_sha256 = '{}', content_sha256 = '{relinked}' \
             WHERE id = '{}'",
            versions[0].content_sha256, third.id
        ),
    )
    .await;
    let mut conn = world.acme().await;
    let status = packages::verify_agent(&mut conn, id(1)).await.unwrap();
    assert!(!status.verified);
    assert_eq!(status.versions_checked, 2);
    let problem = status.problem.unwrap();
    assert!(
        problem.contains("version 3") && problem.contains("previous_sha256"),
        "{problem}"
    );
}

fn generation_entry(metadata: Value) -> NewEvent {
    NewEvent {
        id: uuid::Uuid::new_v4(),
        asset_id: id(1),
        display_type: GENERATED.to_owned(),
        correlation_value: None,
        declared_at: None,
        operation: "Record".to_owned(),
        behaviour: "RecordEvidence".to_owned(),
        event_attributes: attrs(&[]),
        asset_attributes: attrs(&[]),
        principal_declared: serde_json::json!({}),
        audit: AuditFields {
            metadata: events::Metadata::from_value(&metadata),
            ..AuditFields::default()
        },
    }
}

#[tokio::test]
async fn a_generation_entry_must_name_a_stored_version_so_none_can_be_forged() {
    let world = World::new().await;
    let versions = three_versions(&world).await;
    let forged = [
        serde_json::json!({"package_id": uuid::Uuid::new_v4(), "version": 4, "content_sha256": "0".repeat(64)}),
        serde_json::json!({"package_id": versions[0].id, "version": 2, "content_sha256": versions[0].content_sha256}),
        serde_json::json!({"package_id": versions[0].id, "version": 1, "content_sha256": "f".repeat(64)}),
        serde_json::json!({"package_id": "not a uuid", "version": "one"}),
        serde_json::json!({}),
    ];
    for metadata in forged {
        let mut conn = world.acme().await;
        let refused = events::append(&mut conn, &generation_entry(metadata.clone())).await;
        assert!(
            matches!(&refused, Err(StoreError::Invalid(why)) if why.contains("compliance.generated")),
            "{metadata}: {refused:?}"
        );
    }
    // Another org cannot name acme's package either: the check runs under its own row security.
    asset(&world, &world.globex, 1).await;
    let mut globex = world.globex().await;
    let genuine = serde_json::json!({
        "package_id": versions[0].id, "version": 1, "content_sha256": versions[0].content_sha256,
    });
    let refused = events::append(&mut globex, &generation_entry(genuine.clone())).await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
    drop(globex);

    // A copy of a genuine entry is accepted and agrees with the chain.
    let mut conn = world.acme().await;
    events::append(&mut conn, &generation_entry(genuine))
        .await
        .unwrap();
    conn.commit().await.unwrap();
    let mut conn = world.acme().await;
    let status = packages::verify_agent(&mut conn, id(1)).await.unwrap();
    assert!(
        status.verified && status.versions_checked == 3,
        "{status:?}"
    );
}
