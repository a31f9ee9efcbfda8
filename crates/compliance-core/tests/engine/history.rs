//! "Attributes at `at`" in docs/policies.md: creation attributes updated in time order by the
//! events before `at`, events at one instant in the order they were accepted.

use compliance_core::{Event, History, check, evaluate};
use serde_json::json;

use crate::support::*;

/// Two events declared at 10s that set `rad`: accepted at 20s (to 9) and at 15s (to 2), given
/// in that order, so input order and acceptance order disagree.
fn same_instant() -> Vec<Event> {
    vec![
        event("Reading", 20).declared(t(10)).setting("rad", "9"),
        event("Reading", 15).declared(t(10)).setting("rad", "2"),
    ]
}

#[test]
fn events_at_the_same_instant_apply_in_the_order_they_were_accepted() {
    let history = History::new(asset(&[("rad", "5")]), same_instant());
    assert_eq!(history.attributes_at(t(11))["rad"], "9");
    assert_eq!(history.attributes_at(t(10))["rad"], "5");
    let rad_below_7 = policy(json!({
        "compliance_type": "COMPLIANCE_RICHNESS",
        "display_name": "Rad limit",
        "richness_assertions": [{ "or": ["rad<7"] }]
    }));
    assert_fails(
        &evaluate(&rad_below_7, &history, t(11)),
        "rad<7 failed: rad is \"9\"",
    );
    // The asset filter reads the same attributes.
    let only_low = policy(json!({
        "compliance_type": "COMPLIANCE_SINCE",
        "display_name": "Low rad maintained",
        "asset_filter": [{ "or": ["attributes.rad=2"] }],
        "event_display_type": "Maintenance Performed",
        "time_period_seconds": 10
    }));
    assert!(check(&[only_low], &history, t(11)).statements.is_empty());
}

#[test]
fn the_order_events_are_given_in_does_not_change_the_attributes() {
    let mut reversed = same_instant();
    reversed.reverse();
    let given = History::new(asset(&[("rad", "5")]), same_instant());
    let other = History::new(asset(&[("rad", "5")]), reversed);
    assert_eq!(given.attributes_at(t(11)), other.attributes_at(t(11)));
    assert_eq!(other.attributes_at(t(11))["rad"], "9");
}
