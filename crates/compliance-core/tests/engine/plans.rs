//! "Plans: what a store fetches" in docs/policies.md: each type's plan, and the slice that
//! `Plan::select` (the in-memory reference of the store's query) keeps.

use compliance_core::{Event, History, Plan};
use serde_json::json;

use crate::support::*;

fn body(compliance_type: &str) -> serde_json::Value {
    json!({
        "compliance_type": compliance_type,
        "display_name": "plan",
        "event_display_type": "Öffnen",
        "closing_event_display_type": "Schließen",
        "time_period_seconds": 10,
        "dynamic_window": 40,
        "richness_assertions": [{ "or": ["rad<7"] }]
    })
}

#[test]
fn each_type_plans_the_documented_slice() {
    let plan = |compliance_type: &str| policy(body(compliance_type)).spec.policy.plan(t(100));
    let (opening, closing) = ("Öffnen".to_owned(), "Schließen".to_owned());
    assert_eq!(
        plan("COMPLIANCE_SINCE"),
        Plan::Newest {
            display_type: opening.clone()
        }
    );
    let pairs = Plan::Pairs {
        opening: opening.clone(),
        closing: closing.clone(),
    };
    assert_eq!(plan("COMPLIANCE_CURRENT_OUTSTANDING"), pairs);
    assert_eq!(plan("COMPLIANCE_PERIOD_OUTSTANDING"), pairs);
    assert_eq!(
        plan("COMPLIANCE_DYNAMIC_TOLERANCE"),
        Plan::ClosedWithin {
            opening,
            closing,
            since: Some(t(60))
        }
    );
    assert_eq!(plan("COMPLIANCE_RICHNESS"), Plan::AttributesOnly);
}

/// Events before 100s: openings a (0s), b (10s), c (70s); closings b (20s, before the window
/// [60, 100)), a (80s, inside it); noise at 30s; an attribute change at 50s; and events at
/// 100s that do not count yet.
fn history() -> History {
    History::new(
        asset(&[("rad", "5")]),
        vec![
            event("Öffnen", 0).correlated("a"),
            event("Öffnen", 10).correlated("b"),
            event("Schließen", 20).correlated("b"),
            event("Prüfung", 30),
            event("Prüfung", 50).setting("rad", "9"),
            event("Öffnen", 70).correlated("c"),
            event("Schließen", 80).correlated("a"),
            event("Öffnen", 100).correlated("d"),
            event("Schließen", 100).correlated("c"),
        ],
    )
}

/// `(display type, correlation value, seconds)` of each event a plan selects.
fn selected(compliance_type: &str) -> Vec<(String, Option<String>, i64)> {
    let at = t(100);
    let plan = policy(body(compliance_type)).spec.policy.plan(at);
    plan.select(&history(), at)
        .events()
        .iter()
        .map(|e: &Event| {
            let seconds = (e.time() - t(0)).whole_seconds();
            (e.display_type.clone(), e.correlation_value.clone(), seconds)
        })
        .collect()
}

fn e(display_type: &str, value: Option<&str>, s: i64) -> (String, Option<String>, i64) {
    (display_type.to_owned(), value.map(str::to_owned), s)
}

#[test]
fn the_slices_hold_the_planned_events_and_every_attribute_change_before_at() {
    let change = e("Prüfung", None, 50);
    assert_eq!(
        selected("COMPLIANCE_SINCE"),
        [change.clone(), e("Öffnen", Some("c"), 70)]
    );
    assert_eq!(
        selected("COMPLIANCE_CURRENT_OUTSTANDING"),
        [
            e("Öffnen", Some("a"), 0),
            e("Öffnen", Some("b"), 10),
            e("Schließen", Some("b"), 20),
            change.clone(),
            e("Öffnen", Some("c"), 70),
            e("Schließen", Some("a"), 80),
        ]
    );
    // Only a closed inside the window: its pair, not b's (closed before it) nor c (unanswered).
    assert_eq!(
        selected("COMPLIANCE_DYNAMIC_TOLERANCE"),
        [
            e("Öffnen", Some("a"), 0),
            change.clone(),
            e("Schließen", Some("a"), 80)
        ]
    );
    assert_eq!(selected("COMPLIANCE_RICHNESS"), [change]);
}
