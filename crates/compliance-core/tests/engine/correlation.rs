//! The correlation rule of docs/policies.md: "a closing event answers every still-open opening
//! event with the same correlation value at or before its time", read through both attribute
//! names, for the two outstanding types (the tolerance type shares the pairing).

use compliance_core::{CORRELATION_KEYS, CompliancePolicy, Event, correlation_value};
use serde_json::json;

use crate::support::*;

fn current() -> CompliancePolicy {
    policy(json!({
        "compliance_type": "COMPLIANCE_CURRENT_OUTSTANDING",
        "display_name": "Outstanding Maintenance Requests",
        "event_display_type": "Maintenance Requests",
        "closing_event_display_type": "Maintenance Performed"
    }))
}

fn within(limit: i64) -> CompliancePolicy {
    policy(json!({
        "compliance_type": "COMPLIANCE_PERIOD_OUTSTANDING",
        "display_name": "Maintenance in time",
        "event_display_type": "Maintenance Requests",
        "closing_event_display_type": "Maintenance Performed",
        "time_period_seconds": limit
    }))
}

fn request(s: i64, value: &str) -> Event {
    event("Maintenance Requests", s).correlated(value)
}

fn performed(s: i64, value: &str) -> Event {
    event("Maintenance Performed", s).correlated(value)
}

#[test]
fn several_openings_with_one_value_are_all_answered_by_the_next_closing() {
    let events = || vec![request(0, "c-1"), request(5, "c-1"), performed(8, "c-1")];
    assert_fails(
        &judge(&current(), events(), 6),
        "No closing event for Maintenance Requests \"c-1\" (and 1 more still open)",
    );
    assert_passes(&judge(&current(), events(), 9));
    // The two pairs took 8s and 3s: the older one is late against 7s, neither against 8s.
    assert_fails(
        &judge(&within(7), events(), 100),
        "Maintenance Requests \"c-1\" was closed after 8s, exceeding limit 7s",
    );
    assert_passes(&judge(&within(8), events(), 100));
}

#[test]
fn several_openings_with_one_value_still_open_are_each_judged_by_their_age() {
    let events = vec![request(0, "c-1"), request(5, "c-1"), request(9, "c-1")];
    assert_fails(
        &judge(&within(4), events, 10),
        "Maintenance Requests \"c-1\" is still open after 10s, exceeding limit 4s \
         (and 1 more exceed it too)",
    );
}

#[test]
fn the_newer_correlation_attribute_wins_over_the_older_one() {
    // Set in either order, arc_correlation_value is the event's correlation value.
    let both = |first: (&str, &str), second: (&str, &str)| {
        event("Maintenance Requests", 0)
            .with_event_attribute(first.0, first.1)
            .with_event_attribute(second.0, second.1)
    };
    let openings = [
        both(
            ("arc_correlation_value", "new"),
            ("arc_correlation_id", "old"),
        ),
        both(
            ("arc_correlation_id", "old"),
            ("arc_correlation_value", "new"),
        ),
    ];
    for opening in openings {
        assert_eq!(opening.correlation_value.as_deref(), Some("new"));
        assert_eq!(correlation_value(&opening.event_attributes), Some("new"));
        let by_old =
            event("Maintenance Performed", 5).with_event_attribute("arc_correlation_id", "old");
        assert_fails(
            &judge(&current(), vec![opening.clone(), by_old], 10),
            "No closing event for Maintenance Requests \"new\"",
        );
        assert_passes(&judge(&current(), vec![opening, performed(5, "new")], 10));
    }
    assert_eq!(
        CORRELATION_KEYS,
        ["arc_correlation_value", "arc_correlation_id"]
    );
}

#[test]
fn a_closing_event_that_answers_nothing_is_ignored() {
    // A second closing of an answered value must not re-answer it: the pair took 2s, not 5s.
    let events = vec![request(0, "c-1"), performed(2, "c-1"), performed(5, "c-1")];
    assert_passes(&judge(&within(3), events, 100));
    // A closing with a value no opening has, or with none at all, changes nothing.
    let stray = || {
        vec![
            request(0, "c-1"),
            performed(1, "c-2"),
            event("Maintenance Performed", 2),
        ]
    };
    assert_fails(
        &judge(&current(), stray(), 10),
        "No closing event for Maintenance Requests \"c-1\"",
    );
    assert_fails(
        &judge(&within(3), stray(), 10),
        "Maintenance Requests \"c-1\" is still open after 10s, exceeding limit 3s",
    );
    assert_passes(&judge(&current(), vec![performed(1, "c-2")], 10));
}

#[test]
fn an_opening_and_its_closing_at_the_same_instant_took_zero_seconds() {
    // Paired at 4, the request took 0s; were same-instant closings ignored, the closing at 9
    // would answer it after 5s.
    let events = vec![performed(4, "c-1"), request(4, "c-1"), performed(9, "c-1")];
    assert_passes(&judge(&within(1), events, 100));
}

#[test]
fn correlation_values_are_compared_exactly_including_unicode_and_spaces() {
    let events = || vec![request(0, "Anfrage 🔧 ä")];
    assert_passes(&judge(
        &current(),
        [events(), vec![performed(1, "Anfrage 🔧 ä")]].concat(),
        10,
    ));
    for near in [
        "Anfrage 🔧 a",
        "anfrage 🔧 ä",
        "Anfrage 🔧 ä ",
        "Anfrage 🔧 a\u{308}",
    ] {
        assert_fails(
            &judge(
                &current(),
                [events(), vec![performed(1, near)]].concat(),
                10,
            ),
            "No closing event for Maintenance Requests \"Anfrage 🔧 ä\"",
        );
    }
}
