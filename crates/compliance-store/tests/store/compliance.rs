//! The store's compliance check loads only each plan's slice; over generated histories each
//! slice must be the core's `Plan::select`, and the check what the core answers over the whole
//! history.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use compliance_core::{Asset, Attributes, CompliancePolicy, Event, History, check};
use compliance_store::assets::{self, NewAsset};
use compliance_store::compliance::{check_asset, slice};
use compliance_store::events::{self, AuditFields, EventQuery, NewEvent};
use compliance_store::{StoreError, policies};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::json;
use time::{Duration, OffsetDateTime, macros::datetime};

use crate::policies::spec;
use crate::support::*;

const START: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

const OPEN: &str = "Wartung angefordert 開";
const CLOSE: &str = "Wartung erledigt 閉";
const INSPECTED: &str = "Inspección ✓";
/// A type no policy names.
const NOISE: &str = "Other";
/// Precomposed and decomposed "ä" are different values: the store must not normalize them.
const CORRELATIONS: [&str; 5] = ["a", "\u{e4}", "a\u{308}", "日本 1", "😴"];
const RAD: [&str; 5] = ["3", "8", "6.5", "high", "\u{663}"];
const KIND: [&str; 3] = ["lämp", "lamp", "LÄMP"];
/// Declared times fall on this many slots 10 s apart, so that they collide, some 1 µs past one.
const SLOTS: i64 = 16;
const BATCHES: usize = 3;
/// The policies of [`specs`], in creation order.
const POLICIES: usize = 6;

/// One generated event.
#[derive(Debug, Clone)]
struct Generated {
    display_type: &'static str,
    correlation: Option<String>,
    /// Slot and microseconds past it; `None`: undeclared, so its time is its acceptance.
    declared: Option<(i64, i64)>,
    sets: Option<(&'static str, &'static str)>,
    /// Which of the [`BATCHES`] transactions appends it: later ones are accepted later.
    batch: usize,
}

fn generated() -> impl Strategy<Value = Generated> {
    let sets = prop_oneof![
        6 => Just(None),
        2 => select(&RAD[..]).prop_map(|v| Some(("rad", v))),
        2 => select(&KIND[..]).prop_map(|v| Some(("kind", v))),
    ];
    (
        select(&[OPEN, OPEN, CLOSE, CLOSE, INSPECTED, NOISE][..]),
        // Enough values that a window's closings do not always answer all of them.
        prop::option::weighted(
            0.85,
            (select(&CORRELATIONS[..]), 0..3u8).prop_map(|(value, n)| format!("{value}{n}")),
        ),
        prop::option::weighted(0.9, (0..SLOTS, prop_oneof![3 => Just(0i64), 1 => Just(1)])),
        sets,
        0..BATCHES,
    )
        .prop_map(
            |(display_type, correlation, declared, sets, batch)| Generated {
                display_type,
                correlation,
                declared,
                sets,
                batch,
            },
        )
}

/// The policies' parameters and the asset's creation attributes.
#[derive(Debug, Clone)]
struct Case {
    since_seconds: u32,
    period_seconds: u32,
    window_seconds: u32,
    variability: f64,
    kind: &'static str,
    rad: &'static str,
    events: Vec<Generated>,
}

fn case() -> impl Strategy<Value = Case> {
    // Windows often a whole number of slots, so that a closing lies exactly on the window's start.
    let window = prop_oneof![(1..16u32).prop_map(|slots| slots * 10), 5..200u32];
    (
        5..200u32,
        1..150u32,
        window,
        0.0..3.0f64,
        select(&["lämp", "lämp", "lamp"][..]),
        select(&RAD[..]),
        prop::collection::vec(generated(), 0..60),
    )
        .prop_map(
            |(since_seconds, period_seconds, window_seconds, variability, kind, rad, events)| {
                Case {
                    since_seconds,
                    period_seconds,
                    window_seconds,
                    variability,
                    kind,
                    rad,
                    events,
                }
            },
        )
}

/// One policy of each type over the generated types, and a SINCE only for `kind=lämp`.
fn specs(case: &Case) -> Vec<compliance_core::PolicySpec> {
    let pairing = |extra: serde_json::Value| {
        let mut body = json!({"display_name": "p", "event_display_type": OPEN, "closing_event_display_type": CLOSE});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        spec(body)
    };
    vec![
        spec(
            json!({"compliance_type": "COMPLIANCE_SINCE", "display_name": "p",
            "event_display_type": INSPECTED, "time_period_seconds": case.since_seconds}),
        ),
        pairing(json!({"compliance_type": "COMPLIANCE_CURRENT_OUTSTANDING"})),
        pairing(json!({"compliance_type": "COMPLIANCE_PERIOD_OUTSTANDING",
            "time_period_seconds": case.period_seconds})),
        pairing(json!({"compliance_type": "COMPLIANCE_DYNAMIC_TOLERANCE",
            "dynamic_window": case.window_seconds, "dynamic_variability": case.variability})),
        spec(
            json!({"compliance_type": "COMPLIANCE_RICHNESS", "display_name": "p",
            "richness_assertions": [{"or": ["rad<7"]}]}),
        ),
        spec(
            json!({"compliance_type": "COMPLIANCE_SINCE", "display_name": "lämps",
            "event_display_type": OPEN, "time_period_seconds": 30,
            "asset_filter": [{"or": ["attributes.kind=lämp"]}]}),
        ),
    ]
}

fn new_event(n: usize, event: &Generated, base: OffsetDateTime) -> NewEvent {
    let mut event_attributes = attrs(&[("arc_display_type", event.display_type)]);
    if let Some(value) = &event.correlation {
        event_attributes.insert("arc_correlation_value".to_owned(), value.clone());
    }
    let asset_attributes: Attributes = event
        .sets
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    NewEvent {
        id: id(1000 + n as u128),
        asset_id: id(1),
        display_type: event.display_type.to_owned(),
        correlation_value: event.correlation.clone(),
        declared_at: event.declared.map(|(slot, micros)| {
            base + Duration::seconds(slot * 10) + Duration::microseconds(micros)
        }),
        operation: "Record".to_owned(),
        behaviour: "RecordEvidence".to_owned(),
        event_attributes,
        asset_attributes,
        principal_declared: json!({}),
        audit: AuditFields::default(),
    }
}

/// How often each policy (by creation order) was found compliant and not, over every case.
type Seen = [[u32; 2]; POLICIES];

/// Stores `case` as a new org's asset, policies and history, then checks it through the store
/// and through the core (the whole history, as given) on and just past every other slot and
/// every acceptance of an undeclared event.
async fn check_case(
    world: &World,
    n: u32,
    case: &Case,
    seen: &RefCell<Seen>,
) -> Result<(), TestCaseError> {
    let org = world
        .store()
        .ensure_organization(&format!("case {n} ✓"))
        .await
        .unwrap();
    let tenant = || world.store().tenant(org.id);
    let attributes = attrs(&[("kind", case.kind), ("rad", case.rad)]);
    let mut conn = tenant().await.unwrap();
    let asset = NewAsset {
        id: id(1),
        attributes: attributes.clone(),
        behaviours: vec![],
    };
    assets::create(&mut conn, &asset).await.unwrap();
    let mut stored: Vec<CompliancePolicy> = Vec::new();
    for spec in specs(case) {
        stored.push(policies::create(&mut conn, &spec).await.unwrap().policy);
    }
    conn.commit().await.unwrap();

    // Around now, so that undeclared events (accepted now) fall among the declared ones.
    let base =
        OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - Duration::seconds(SLOTS * 5);
    let batch: Vec<NewEvent> = case
        .events
        .iter()
        .enumerate()
        .map(|(n, e)| new_event(n, e, base))
        .collect();
    for b in 0..BATCHES {
        let part: Vec<NewEvent> = batch
            .iter()
            .zip(&case.events)
            .filter(|(_, e)| e.batch == b)
            .map(|(e, _)| e.clone())
            .collect();
        let mut conn = tenant().await.unwrap();
        events::append_many(&mut conn, part.clone().into())
            .await
            .unwrap();
        conn.commit().await.unwrap();
    }

    // The store says when it accepted each event and in which order; the rest is as given.
    let mut conn = tenant().await.unwrap();
    let query = EventQuery {
        asset_id: Some(id(1)),
        limit: 10_000,
        ..Default::default()
    };
    let records = events::list(&mut conn, &query).await.unwrap();
    conn.commit().await.unwrap();
    prop_assert_eq!(records.len(), batch.len());
    let accepted: HashMap<_, _> = records
        .iter()
        .map(|r| (r.event.id, (r.seq, r.accepted_at)))
        .collect();
    let mut whole: Vec<(i64, Event)> = batch
        .iter()
        .map(|e| {
            let (seq, accepted_at) = accepted[&e.id];
            let event = Event {
                asset: id(1),
                display_type: e.display_type.clone(),
                correlation_value: e.correlation_value.clone(),
                declared_at: e.declared_at,
                accepted_at,
                event_attributes: e.event_attributes.clone(),
                asset_attributes: e.asset_attributes.clone(),
            };
            (seq, event)
        })
        .collect();
    whole.sort_by_key(|(seq, _)| *seq);
    let whole: Vec<Event> = whole.into_iter().map(|(_, e)| e).collect();
    let asset = Asset {
        id: id(1),
        attributes,
    };
    // The slices hold no event attributes: evaluations do not read them.
    let bare = History::new(
        asset.clone(),
        whole
            .iter()
            .map(|e| Event {
                event_attributes: Attributes::new(),
                ..e.clone()
            })
            .collect(),
    );
    let whole = History::new(asset, whole);

    let mut times = vec![base, OffsetDateTime::now_utc() + Duration::hours(1)];
    for slot in (0..=SLOTS).step_by(2) {
        let at = base + Duration::seconds(slot * 10);
        times.extend([at, at + Duration::microseconds(1)]);
    }
    for record in &records {
        if record.event.declared_at.is_none() {
            times.extend([
                record.accepted_at,
                record.accepted_at + Duration::microseconds(1),
            ]);
        }
    }
    for at in times {
        let mut conn = tenant().await.unwrap();
        let from_store = check_asset(&mut conn, id(1), at).await.unwrap();
        for policy in &stored {
            let plan = policy.spec.policy.plan(at);
            let fetched = slice(&mut conn, id(1), &plan, at).await.unwrap();
            prop_assert_eq!(fetched, plan.select(&bare, at), "{:?} at {}", plan, at);
        }
        conn.commit().await.unwrap();
        let expected = check(&stored, &whole, at);
        prop_assert_eq!(&from_store, &expected, "at {}", at);
        for statement in &from_store.statements {
            let policy = stored
                .iter()
                .position(|p| p.id == statement.policy)
                .unwrap();
            seen.borrow_mut()[policy][usize::from(statement.compliant)] += 1;
        }
    }
    Ok(())
}

#[test]
fn the_check_from_plan_slices_equals_the_core_over_generated_histories() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let world = runtime.block_on(World::new());
    let config = Config {
        cases: 24,
        // Each case is a round of database work: shrink a failure, but not for ever.
        max_shrink_iters: 256,
        failure_persistence: None,
        ..Config::default()
    };
    let seen = RefCell::new(Seen::default());
    let cases = Cell::new(0);
    let result = TestRunner::new(config).run(&case(), |case| {
        cases.set(cases.get() + 1);
        runtime.block_on(check_case(&world, cases.get(), &case, &seen))
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    // The generators reach both answers of every policy (each case starts before any event,
    // where SINCE fails and the pairing types hold).
    let seen = seen.into_inner();
    for (policy, [failing, compliant]) in seen.iter().enumerate() {
        assert!(*failing > 0 && *compliant > 0, "policy {policy}: {seen:?}");
    }
}

#[tokio::test]
async fn an_unknown_or_foreign_asset_is_not_found() {
    let world = World::new().await;
    asset(&world, &world.globex, 1).await;
    let mut conn = world.acme().await;
    let result = check_asset(&mut conn, id(1), START).await;
    assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
}
