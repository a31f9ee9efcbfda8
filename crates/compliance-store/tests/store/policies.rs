use compliance_core::PolicySpec;
use compliance_store::StoreError;
use compliance_store::policies::{self, PolicyQuery};
use serde_json::json;

use crate::support::*;

pub fn spec(body: serde_json::Value) -> PolicySpec {
    PolicySpec::from_json(body.to_string().as_bytes()).unwrap()
}

pub fn since(name: &str, seconds: u64) -> PolicySpec {
    spec(json!({
        "compliance_type": "COMPLIANCE_SINCE",
        "display_name": name,
        "description": "maintenance",
        "event_display_type": "Maintenance Performed",
        "time_period_seconds": seconds
    }))
}

#[tokio::test]
async fn policies_round_trip_every_type() {
    let world = World::new().await;
    let mut conn = world.acme().await;
    let examples: Vec<serde_json::Value> = serde_json::from_str(include_str!(
        "../../../compliance-core/examples/seed_policies.json"
    ))
    .unwrap();
    for body in &examples {
        let mut spec = spec(body.clone());
        spec.controls = vec!["CC7.2".to_owned()];
        let stored = policies::create(&mut conn, &spec).await.unwrap();
        assert_eq!(stored.policy.spec, spec);
        let read = policies::get(&mut conn, stored.policy.id).await.unwrap();
        assert_eq!(read, stored);
        assert_eq!(read.policy.spec.controls, ["CC7.2"]);
    }
    assert_eq!(
        policies::all(&mut conn).await.unwrap().len(),
        examples.len()
    );
}

#[tokio::test]
async fn listing_filters_pages_and_counts() {
    let world = World::new().await;
    let mut conn = world.acme().await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            policies::create(&mut conn, &since(&format!("p{n}"), 60))
                .await
                .unwrap(),
        );
    }
    let rich = spec(json!({
        "compliance_type": "COMPLIANCE_RICHNESS", "display_name": "p0",
        "richness_assertions": [{"or": ["rad<7"]}]
    }));
    policies::create(&mut conn, &rich).await.unwrap();

    let query = |q: PolicyQuery| PolicyQuery { limit: 2, ..q };
    let first = policies::list(&mut conn, &query(PolicyQuery::default()))
        .await
        .unwrap();
    assert_eq!(
        first.iter().map(|p| p.policy.id).collect::<Vec<_>>(),
        [ids[0].policy.id, ids[1].policy.id]
    );
    let next = PolicyQuery {
        after_seq: Some(first[1].seq),
        ..query(PolicyQuery::default())
    };
    assert_eq!(
        policies::list(&mut conn, &next).await.unwrap()[0].policy.id,
        ids[2].policy.id
    );

    let by_type = PolicyQuery {
        compliance_type: Some("COMPLIANCE_RICHNESS".to_owned()),
        ..Default::default()
    };
    assert_eq!(policies::count(&mut conn, &by_type).await.unwrap(), 1);
    let by_name = PolicyQuery {
        display_name: Some("p0".to_owned()),
        ..Default::default()
    };
    assert_eq!(policies::count(&mut conn, &by_name).await.unwrap(), 2);
    let by_both = PolicyQuery {
        description: Some("maintenance".to_owned()),
        ..by_name
    };
    assert_eq!(policies::count(&mut conn, &by_both).await.unwrap(), 1);
    assert_eq!(
        policies::count(&mut conn, &PolicyQuery::default())
            .await
            .unwrap(),
        6
    );
}

#[tokio::test]
async fn delete_answers_the_policy_and_another_org_sees_nothing() {
    let world = World::new().await;
    let mut conn = world.acme().await;
    let stored = policies::create(&mut conn, &since("p", 60)).await.unwrap();
    conn.commit().await.unwrap();

    let mut globex = world.globex().await;
    assert!(matches!(
        policies::get(&mut globex, stored.policy.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        policies::delete(&mut globex, stored.policy.id).await,
        Err(StoreError::NotFound)
    ));
    globex.commit().await.unwrap();

    let mut conn = world.acme().await;
    let deleted = policies::delete(&mut conn, stored.policy.id).await.unwrap();
    assert_eq!(deleted, stored);
    assert!(matches!(
        policies::get(&mut conn, stored.policy.id).await,
        Err(StoreError::NotFound)
    ));
}
