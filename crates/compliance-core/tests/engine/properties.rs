use compliance_core::{
    Assertion, CompliancePolicy, Event, FilterTerm, History, PolicyBody, PolicySpec, check,
    evaluate,
};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::json;
use time::OffsetDateTime;

use crate::support::{ASSET, POLICY, asset, t};

const TYPES: [&str; 3] = ["Open", "Close", "Other"];
const VALUES: [&str; 7] = ["1", "5", "7", "9.5", "high", "", "Ünïcode 7"];

fn event(times: std::ops::Range<i64>) -> impl Strategy<Value = Event> {
    (
        select(&TYPES[..]),
        prop::option::of(select(&["a", "b", "c"][..])),
        times.clone(),
        prop::option::of(times),
        prop::option::weighted(0.2, select(&VALUES[..])),
    )
        .prop_map(|(display_type, correlation, accepted, declared, rad)| {
            let mut event = Event::new(ASSET, display_type, t(accepted));
            if let Some(value) = correlation {
                event = event.correlated(value);
            }
            if let Some(declared) = declared {
                event = event.declared(t(declared));
            }
            if let Some(rad) = rad {
                event = event.setting("rad", rad);
            }
            event
        })
}

fn history() -> impl Strategy<Value = Vec<Event>> {
    prop::collection::vec(event(0..200), 0..40)
}

/// Any valid policy over the types and attribute above.
fn policy() -> impl Strategy<Value = CompliancePolicy> {
    let filter = prop::collection::vec(
        prop::collection::vec(
            select(
                &[
                    "attributes.kind=lamp",
                    "attributes.rad=*",
                    "attributes.rad!=high",
                ][..],
            ),
            1..3,
        ),
        0..2,
    );
    let assertions = prop::collection::vec(
        prop::collection::vec(
            select(&["rad<7", "rad>=5", "rad=high", "rad!=9.5"][..]),
            1..3,
        ),
        1..3,
    );
    let or_groups = |groups: Vec<Vec<&str>>| {
        groups
            .into_iter()
            .map(|g| json!({ "or": g }))
            .collect::<Vec<_>>()
    };
    (0..5u8, 1..60u32, 1..120u32, 0.0..3.0f64, filter, assertions).prop_map(
        move |(kind, period, window, variability, filter, assertions)| {
            let mut body = json!({
                "display_name": "generated",
                "asset_filter": or_groups(filter),
                "event_display_type": "Open",
                "closing_event_display_type": "Close",
            });
            match kind {
                0 => {
                    body["compliance_type"] = json!("COMPLIANCE_SINCE");
                    body["time_period_seconds"] = json!(period);
                }
                1 => body["compliance_type"] = json!("COMPLIANCE_CURRENT_OUTSTANDING"),
                2 => {
                    body["compliance_type"] = json!("COMPLIANCE_PERIOD_OUTSTANDING");
                    body["time_period_seconds"] = json!(period);
                }
                3 => {
                    body["compliance_type"] = json!("COMPLIANCE_DYNAMIC_TOLERANCE");
                    body["dynamic_window"] = json!(window);
                    body["dynamic_variability"] = json!(variability);
                }
                _ => {
                    body["compliance_type"] = json!("COMPLIANCE_RICHNESS");
                    body["event_display_type"] = json!("");
                    body["closing_event_display_type"] = json!("");
                    body["richness_assertions"] = json!(or_groups(assertions));
                }
            }
            let spec = PolicySpec::from_json(body.to_string().as_bytes())
                .unwrap_or_else(|e| panic!("generated {body}: {e}"));
            CompliancePolicy { id: POLICY, spec }
        },
    )
}

fn base() -> compliance_core::Asset {
    asset(&[("kind", "lamp"), ("rad", "5")])
}

proptest! {
    #[test]
    fn the_answer_never_depends_on_events_at_or_after_the_query_time(
        events in history(),
        later in prop::collection::vec(event(0..100), 0..10),
        policies in prop::collection::vec(policy(), 1..4),
        at in 0..200i64,
    ) {
        // Generated times are at or after t(0), so moving them by `at` puts them at or after t(at).
        let shift = time::Duration::seconds(at);
        let later: Vec<Event> = later
            .into_iter()
            .map(|mut e| {
                e.accepted_at += shift;
                e.declared_at = e.declared_at.map(|d| d + shift);
                e
            })
            .collect();
        prop_assert!(later.iter().all(|e| e.time() >= t(at)));
        let alone = History::new(base(), events.clone());
        let mut all = events;
        all.extend(later);
        let with_future = History::new(base(), all);
        prop_assert_eq!(check(&policies, &alone, t(at)), check(&policies, &with_future, t(at)));
    }

    #[test]
    fn a_plans_slice_gives_the_same_answer_as_the_whole_history(
        events in history(),
        policy in policy(),
        at in 0..220i64,
    ) {
        let whole = History::new(base(), events);
        let slice = policy.spec.policy.plan(t(at)).select(&whole, t(at));
        prop_assert!(slice.events().len() <= whole.events().len());
        prop_assert_eq!(evaluate(&policy, &slice, t(at)), evaluate(&policy, &whole, t(at)));
        let policies = std::slice::from_ref(&policy);
        prop_assert_eq!(check(policies, &slice, t(at)), check(policies, &whole, t(at)));
    }

    #[test]
    fn policies_print_and_parse_back_to_themselves(policy in policy()) {
        let printed = serde_json::to_vec(&PolicyBody::from(&policy)).expect("serializes");
        prop_assert_eq!(PolicySpec::from_json(&printed), Ok(policy.spec));
    }

    #[test]
    fn a_filter_term_that_parses_prints_as_written(
        text in prop_oneof!["attributes\\.[a-z_:=!* ü]{0,12}", any::<String>()],
    ) {
        if let Ok(term) = text.parse::<FilterTerm>() {
            prop_assert_eq!(term.to_string(), text);
        }
    }

    #[test]
    fn an_assertion_that_parses_prints_as_written(
        text in prop_oneof!["[a-z<>=! 0-9.ü]{0,10}", any::<String>()],
    ) {
        if let Ok(assertion) = text.parse::<Assertion>() {
            prop_assert_eq!(assertion.to_string(), text);
        }
    }

    #[test]
    fn evaluation_never_panics_on_arbitrary_input(
        events in prop::collection::vec(
            (any::<String>(), prop::option::of(any::<String>()), -62_000_000_000..250_000_000_000i64,
             prop::option::of(-62_000_000_000..250_000_000_000i64), any::<String>(), any::<String>()),
            0..20,
        ),
        names in prop::collection::vec(any::<String>(), 1..3),
        assertion in any::<String>(),
        period in 1..3_155_760_000u64,
        variability in 0.0..1e300f64,
        at in -62_000_000_000..250_000_000_000i64,
    ) {
        let instant = |s: i64| OffsetDateTime::from_unix_timestamp(s).expect("in range");
        let events: Vec<Event> = events
            .into_iter()
            .map(|(display_type, correlation, accepted, declared, key, value)| {
                let mut event = Event::new(ASSET, display_type, instant(accepted)).setting(key, value);
                event.correlation_value = correlation;
                event.declared_at = declared.map(instant);
                event
            })
            .collect();
        let opening = names[0].clone();
        let closing = names.get(1).cloned().unwrap_or_else(|| format!("{opening}!"));
        let mut bodies = [
            json!({"compliance_type": "COMPLIANCE_SINCE", "event_display_type": opening, "time_period_seconds": period}),
            json!({"compliance_type": "COMPLIANCE_CURRENT_OUTSTANDING", "event_display_type": opening, "closing_event_display_type": closing}),
            json!({"compliance_type": "COMPLIANCE_PERIOD_OUTSTANDING", "event_display_type": opening, "closing_event_display_type": closing, "time_period_seconds": period}),
            json!({"compliance_type": "COMPLIANCE_DYNAMIC_TOLERANCE", "event_display_type": opening, "closing_event_display_type": closing, "dynamic_window": period, "dynamic_variability": variability}),
            json!({"compliance_type": "COMPLIANCE_RICHNESS", "richness_assertions": [{"or": [assertion]}]}),
        ];
        let policies: Vec<CompliancePolicy> = bodies
            .iter_mut()
            .filter_map(|body| {
                body["display_name"] = json!("fuzz");
                PolicySpec::from_json(body.to_string().as_bytes()).ok()
            })
            .map(|spec| CompliancePolicy { id: POLICY, spec })
            .collect();
        let history = History::new(base(), events);
        let compliance = check(&policies, &history, instant(at));
        prop_assert_eq!(compliance.compliant, compliance.statements.iter().all(|s| s.compliant));
        for statement in &compliance.statements {
            prop_assert_eq!(statement.compliant, statement.reason.is_empty());
        }
    }
}
