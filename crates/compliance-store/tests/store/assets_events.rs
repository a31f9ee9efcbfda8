use compliance_store::StoreError;
use compliance_store::assets::{self, AssetQuery, NewAsset};
use compliance_store::events::{self, AuditFields, EventQuery, NewEvent};
use time::macros::datetime;

use crate::support::*;

fn event(asset: uuid::Uuid, n: u128, display_type: &str) -> NewEvent {
    NewEvent {
        id: id(n),
        asset_id: asset,
        display_type: display_type.to_owned(),
        correlation_value: None,
        declared_at: None,
        operation: "Record".to_owned(),
        behaviour: "RecordEvidence".to_owned(),
        event_attributes: attrs(&[("arc_display_type", display_type)]),
        asset_attributes: attrs(&[]),
        principal_declared: serde_json::json!({}),
        audit: AuditFields::default(),
    }
}

#[tokio::test]
async fn an_asset_is_created_read_and_listed_by_its_current_attributes() {
    let world = World::new().await;
    let mut conn = world.acme().await;
    let light = NewAsset {
        id: id(1),
        attributes: attrs(&[("arc_display_type", "Traffic Light"), ("rad", "3")]),
        behaviours: vec!["RecordEvidence".to_owned()],
    };
    let created = assets::create(&mut conn, &light).await.unwrap();
    assert_eq!(created.attributes, light.attributes);
    assert_eq!(created.current_attributes, light.attributes);
    assets::create(
        &mut conn,
        &NewAsset {
            id: id(2),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let mut reading = event(id(1), 10, "Reading");
    reading.asset_attributes = attrs(&[("rad", "9")]);
    events::append(&mut conn, &reading).await.unwrap();
    let read = assets::get(&mut conn, id(1)).await.unwrap();
    assert_eq!(
        read.attributes["rad"], "3",
        "creation attributes never change"
    );
    assert_eq!(read.current_attributes["rad"], "9");

    let query = |pairs: &[(&str, &str)]| AssetQuery {
        attributes: attrs(pairs),
        after_seq: None,
        limit: 10,
    };
    let hot = assets::list(&mut conn, &query(&[("rad", "9")]))
        .await
        .unwrap();
    assert_eq!(hot.iter().map(|a| a.id).collect::<Vec<_>>(), [id(1)]);
    assert!(
        assets::list(&mut conn, &query(&[("rad", "3")]))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(assets::count(&mut conn, &query(&[])).await.unwrap(), 2);
    let page = AssetQuery {
        after_seq: Some(created.seq),
        ..query(&[])
    };
    assert_eq!(assets::list(&mut conn, &page).await.unwrap()[0].id, id(2));
    assert!(matches!(
        assets::get(&mut conn, id(3)).await,
        Err(StoreError::NotFound)
    ));
    conn.commit().await.unwrap();
}

#[tokio::test]
async fn a_back_filled_event_does_not_override_a_later_one() {
    let world = World::new().await;
    let mut conn = world.acme().await;
    assets::create(
        &mut conn,
        &NewAsset {
            id: id(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut later = event(id(1), 10, "Reading");
    later.declared_at = Some(datetime!(2026-01-10 0:00 UTC));
    later.asset_attributes = attrs(&[("rad", "10")]);
    let mut earlier = event(id(1), 11, "Reading");
    earlier.declared_at = Some(datetime!(2026-01-05 0:00 UTC));
    earlier.asset_attributes = attrs(&[("rad", "5"), ("unit", "mSv")]);
    events::append(&mut conn, &later).await.unwrap();
    events::append(&mut conn, &earlier).await.unwrap();
    let asset = assets::get(&mut conn, id(1)).await.unwrap();
    assert_eq!(
        asset.current_attributes,
        attrs(&[("rad", "10"), ("unit", "mSv")])
    );
}

#[tokio::test]
async fn events_are_read_listed_newest_first_filtered_and_counted() {
    let world = World::new().await;
    let mut conn = world.acme().await;
    assets::create(
        &mut conn,
        &NewAsset {
            id: id(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut first = event(id(1), 10, "Open");
    first.declared_at = Some(datetime!(2026-01-01 0:00 UTC));
    first.correlation_value = Some("c-1".to_owned());
    first.event_attributes = attrs(&[("arc_correlation_value", "c-1"), ("who", "ops")]);
    let stored = events::append(&mut conn, &first).await.unwrap();
    assert_eq!(stored.event, first);
    assert_eq!(stored.occurred_at, datetime!(2026-01-01 0:00 UTC));
    let mut audit = event(id(1), 11, "connector.called");
    audit.audit = AuditFields {
        connector: Some("jira".to_owned()),
        status: Some(compliance_core::Outcome::Success),
        policy_verdict: Some(compliance_core::Verdict::Permit),
        duration_ms: Some(42),
        target_resource: Some("PROJ-1".to_owned()),
        metadata: events::Metadata::from_value(&serde_json::json!({"k": 1})),
    };
    events::append(&mut conn, &audit).await.unwrap();

    assert_eq!(
        events::get(&mut conn, id(1), id(10)).await.unwrap().event,
        first
    );
    assert!(matches!(
        events::get(&mut conn, id(2), id(10)).await,
        Err(StoreError::NotFound)
    ));
    let all = EventQuery {
        asset_id: Some(id(1)),
        limit: 10,
        ..Default::default()
    };
    let listed = events::list(&mut conn, &all).await.unwrap();
    assert_eq!(
        listed.iter().map(|e| e.event.id).collect::<Vec<_>>(),
        [id(11), id(10)]
    );
    let by_attribute = EventQuery {
        event_attributes: attrs(&[("who", "ops")]),
        ..all.clone()
    };
    assert_eq!(events::count(&mut conn, &by_attribute).await.unwrap(), 1);
    let by_connector = EventQuery {
        connector: Some("jira".to_owned()),
        ..all.clone()
    };
    assert_eq!(
        events::list(&mut conn, &by_connector).await.unwrap()[0].event,
        audit
    );
    let second_page = EventQuery { offset: 1, ..all };
    assert_eq!(
        events::list(&mut conn, &second_page).await.unwrap()[0]
            .event
            .id,
        id(10)
    );
}

#[tokio::test]
async fn a_batch_is_all_or_nothing() {
    let world = World::new().await;
    let mut conn = world.acme().await;
    assets::create(
        &mut conn,
        &NewAsset {
            id: id(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    conn.commit().await.unwrap();

    let batch: Vec<NewEvent> = (0..2500)
        .map(|n| event(id(1), 100 + n, "connector.called"))
        .collect();
    let mut conn = world.acme().await;
    assert_eq!(
        events::append_many(&mut conn, batch.clone().into())
            .await
            .unwrap(),
        2500
    );
    conn.commit().await.unwrap();

    // The last row of the second batch repeats an id: nothing of it may stay.
    let mut bad: Vec<NewEvent> = (0..1500).map(|n| event(id(1), 10_000 + n, "x")).collect();
    bad.push(event(id(1), 100, "duplicate"));
    let mut conn = world.acme().await;
    let result = events::append_many(&mut conn, bad.clone().into()).await;
    let result = conn.end(result).await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    let mut conn = world.acme().await;
    let all = EventQuery {
        asset_id: Some(id(1)),
        limit: 1,
        ..Default::default()
    };
    assert_eq!(events::count(&mut conn, &all).await.unwrap(), 2500);
}
