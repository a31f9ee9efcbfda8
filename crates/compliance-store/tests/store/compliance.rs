//! The store's compliance check loads only each plan's slice; it must answer exactly what the
//! core answers over the whole history.

use compliance_core::{Asset, CompliancePolicy, Event, History, check};
use compliance_store::assets::{self, NewAsset};
use compliance_store::compliance::check_asset;
use compliance_store::events::{self, AuditFields, NewEvent};
use compliance_store::{StoreError, policies};
use serde_json::json;
use time::{Duration, OffsetDateTime, macros::datetime};

use crate::policies::spec;
use crate::support::*;

const START: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

/// A small deterministic generator, so the history is varied but the test repeatable.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn history(seed: u64) -> Vec<NewEvent> {
    let mut random = Lcg(seed);
    (0..300u128)
        .map(|n| {
            let display_type = ["Open", "Close", "Other"][random.next(3) as usize];
            let correlation = ["a", "b", "c", "d"][random.next(4) as usize];
            let correlation_value = (random.next(5) > 0).then(|| correlation.to_owned());
            let mut event_attributes = attrs(&[("arc_display_type", display_type)]);
            if let Some(value) = &correlation_value {
                event_attributes.insert("arc_correlation_value".to_owned(), value.clone());
            }
            let asset_attributes = match random.next(10) {
                0 => attrs(&[("rad", ["3", "8", "high"][random.next(3) as usize])]),
                1 => attrs(&[("kind", ["lamp", "light"][random.next(2) as usize])]),
                _ => attrs(&[]),
            };
            let at = START + Duration::seconds(random.next(3000) as i64);
            NewEvent {
                id: id(1000 + n),
                asset_id: id(1),
                display_type: display_type.to_owned(),
                correlation_value,
                declared_at: Some(at),
                operation: "Record".to_owned(),
                behaviour: "RecordEvidence".to_owned(),
                event_attributes,
                asset_attributes,
                principal_declared: json!({}),
                audit: AuditFields::default(),
            }
        })
        .collect()
}

fn specs() -> Vec<compliance_core::PolicySpec> {
    let pairing = |extra: serde_json::Value| {
        let mut body = json!({"display_name": "p", "event_display_type": "Open", "closing_event_display_type": "Close"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        spec(body)
    };
    vec![
        spec(
            json!({"compliance_type": "COMPLIANCE_SINCE", "display_name": "p", "event_display_type": "Other", "time_period_seconds": 60}),
        ),
        pairing(json!({"compliance_type": "COMPLIANCE_CURRENT_OUTSTANDING"})),
        pairing(
            json!({"compliance_type": "COMPLIANCE_PERIOD_OUTSTANDING", "time_period_seconds": 200}),
        ),
        pairing(
            json!({"compliance_type": "COMPLIANCE_DYNAMIC_TOLERANCE", "dynamic_window": 600, "dynamic_variability": 1.2}),
        ),
        spec(
            json!({"compliance_type": "COMPLIANCE_RICHNESS", "display_name": "p", "richness_assertions": [{"or": ["rad<7"]}]}),
        ),
        spec(
            json!({"compliance_type": "COMPLIANCE_SINCE", "display_name": "lamps", "event_display_type": "Open",
            "time_period_seconds": 30, "asset_filter": [{"or": ["attributes.kind=lamp"]}]}),
        ),
    ]
}

#[tokio::test]
async fn the_check_from_plan_slices_equals_the_core_over_the_whole_history() {
    let world = World::new().await;
    let mut conn = world.acme().await;
    let base = attrs(&[("rad", "1"), ("kind", "lamp")]);
    assets::create(
        &mut conn,
        &NewAsset {
            id: id(1),
            attributes: base.clone(),
            behaviours: vec![],
        },
    )
    .await
    .unwrap();
    let batch = history(7);
    events::append_many(&mut conn, &batch).await.unwrap();
    let mut stored: Vec<CompliancePolicy> = Vec::new();
    for spec in specs() {
        stored.push(policies::create(&mut conn, &spec).await.unwrap().policy);
    }
    conn.commit().await.unwrap();

    let accepted = OffsetDateTime::now_utc();
    let whole = History::new(
        Asset {
            id: id(1),
            attributes: base,
        },
        batch
            .iter()
            .map(|e| Event {
                asset: id(1),
                display_type: e.display_type.clone(),
                correlation_value: e.correlation_value.clone(),
                declared_at: e.declared_at,
                accepted_at: accepted,
                event_attributes: e.event_attributes.clone(),
                asset_attributes: e.asset_attributes.clone(),
            })
            .collect(),
    );
    let mut seen_compliant = false;
    let mut seen_failing = false;
    for step in 0..=32 {
        let at = START + Duration::seconds(step * 100);
        let mut conn = world.acme().await;
        let from_store = check_asset(&mut conn, id(1), at).await.unwrap();
        let expected = check(&stored, &whole, at);
        assert_eq!(from_store, expected, "at {at}");
        seen_compliant |= from_store.statements.iter().any(|s| s.compliant);
        seen_failing |= from_store.statements.iter().any(|s| !s.compliant);
    }
    assert!(
        seen_compliant && seen_failing,
        "the history should exercise both answers"
    );
}

#[tokio::test]
async fn an_unknown_or_foreign_asset_is_not_found() {
    let world = World::new().await;
    asset(&world, &world.globex, 1).await;
    let mut conn = world.acme().await;
    let result = check_asset(&mut conn, id(1), START).await;
    assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
}
