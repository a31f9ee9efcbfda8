//! Properties over generated histories and policies. The generators aim at the code they test:
//! events of the policies' own display types whose correlation values collide (through either
//! attribute name, or both with different values), query times on, and a microsecond or a
//! second either side of, each event and each limit, policies that always parse, and non-ASCII
//! text in every name and value. `the_generators_reach_every_outcome` checks that they do.

use compliance_core::{
    Assertion, CompliancePolicy, Event, FilterOp, FilterTerm, History, Plan, Policy, PolicyBody,
    PolicySpec, check, evaluate,
};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::support::{ASSET, POLICY, asset, t};

const OPEN: &str = "Öffnung 🔓";
const CLOSE: &str = "Schließung 🔒";
const OTHER: &str = "Prüfung";
const CORRELATIONS: [&str; 4] = ["a", "ß", "🔑 schlüssel", "ＡＢ"];
/// The attribute the filters and assertions read.
const KEY: &str = "räd";
const VALUES: [&str; 9] = ["1", "5", "7", "9.5", "-3.5", "1e1", "hoch", "", "Ünïcode 7"];

/// How an event carries its correlation value: 0 the current name, 1 the older one, 2 both,
/// the older one with `other` (which the newer one must override).
fn correlate(event: Event, how: u8, value: &str, other: &str) -> Event {
    match how {
        0 => event.with_event_attribute("arc_correlation_value", value),
        1 => event.with_event_attribute("arc_correlation_id", value),
        _ => event
            .with_event_attribute("arc_correlation_id", other)
            .with_event_attribute("arc_correlation_value", value),
    }
}

/// An instant `s` seconds and `micros` microseconds after the test epoch.
fn instant(s: i64, micros: i64) -> OffsetDateTime {
    t(s) + Duration::microseconds(micros)
}

/// Mostly the policies' own types, in a short span so that instants and values collide.
fn event() -> impl Strategy<Value = Event> {
    (
        prop_oneof![3 => Just(OPEN), 3 => Just(CLOSE), 1 => Just(OTHER)],
        prop::option::weighted(
            0.85,
            (select(&CORRELATIONS[..]), 0..3u8, select(&CORRELATIONS[..])),
        ),
        0..40i64,
        prop::option::weighted(0.3, 0..40i64),
        select(&[0i64, 0, 0, 1, 999_999][..]),
        prop::option::weighted(0.2, select(&VALUES[..])),
    )
        .prop_map(
            |(display_type, correlation, accepted, declared, micros, value)| {
                let mut event = Event::new(ASSET, display_type, instant(accepted, micros));
                if let Some((value, how, other)) = correlation {
                    event = correlate(event, how, value, other);
                }
                if let Some(declared) = declared {
                    event = event.declared(instant(declared, micros));
                }
                if let Some(value) = value {
                    event = event.setting(KEY, value);
                }
                event
            },
        )
}

fn history() -> impl Strategy<Value = Vec<Event>> {
    prop::collection::vec(event(), 0..30)
}

/// What a generated policy is, short of its period and window.
#[derive(Debug, Clone)]
struct Shape {
    kind: u8,
    variability: f64,
    filter: Vec<Vec<&'static str>>,
    assertions: Vec<Vec<&'static str>>,
}

fn shape() -> impl Strategy<Value = Shape> {
    let filter = prop::collection::vec(
        prop::collection::vec(
            select(
                &[
                    "attributes.kind=lämp",
                    "attributes.kind:lämp",
                    "attributes.kind=lamp",
                    "attributes.räd=*",
                    "attributes.räd!=hoch",
                    "attributes.räd=7",
                    "attributes.größe!=*",
                    "attributes.größe=*",
                ][..],
            ),
            1..3,
        ),
        0..3,
    );
    let assertions = prop::collection::vec(
        prop::collection::vec(
            select(
                &[
                    "räd<7",
                    "räd>=5",
                    "räd=hoch",
                    "räd!=9.5",
                    "räd<=-3.5",
                    "größe=groß",
                ][..],
            ),
            1..3,
        ),
        1..3,
    );
    let variability = prop_oneof![select(vec![0.0, 0.0, 0.5, 0.5, 1.0, 1.5, 2.0]), 0.0..3.0f64];
    (0..5u8, variability, filter, assertions).prop_map(|(kind, variability, filter, assertions)| {
        Shape {
            kind,
            variability,
            filter,
            assertions,
        }
    })
}

/// The valid policy of `shape` with this period (or window); it must parse.
fn build(shape: &Shape, seconds: u32) -> CompliancePolicy {
    let or_groups = |groups: &[Vec<&str>]| {
        groups
            .iter()
            .map(|g| json!({ "or": g }))
            .collect::<Vec<_>>()
    };
    let mut body = json!({
        "display_name": "generiert ✓",
        "asset_filter": or_groups(&shape.filter),
        "event_display_type": OPEN,
        "closing_event_display_type": CLOSE,
    });
    match shape.kind {
        0 => {
            body["compliance_type"] = json!("COMPLIANCE_SINCE");
            body["time_period_seconds"] = json!(seconds);
        }
        1 => body["compliance_type"] = json!("COMPLIANCE_CURRENT_OUTSTANDING"),
        2 => {
            body["compliance_type"] = json!("COMPLIANCE_PERIOD_OUTSTANDING");
            body["time_period_seconds"] = json!(seconds);
        }
        3 => {
            body["compliance_type"] = json!("COMPLIANCE_DYNAMIC_TOLERANCE");
            body["dynamic_window"] = json!(seconds);
            body["dynamic_variability"] = json!(shape.variability);
        }
        _ => {
            body["compliance_type"] = json!("COMPLIANCE_RICHNESS");
            body["event_display_type"] = json!("");
            body["closing_event_display_type"] = json!("");
            body["richness_assertions"] = json!(or_groups(&shape.assertions));
        }
    }
    let spec = PolicySpec::from_json(body.to_string().as_bytes())
        .unwrap_or_else(|e| panic!("generated {body}: {e}"));
    CompliancePolicy { id: POLICY, spec }
}

fn seconds() -> impl Strategy<Value = u32> {
    prop_oneof![select(vec![1u32, 5, 10, 20]), 1..60u32]
}

/// Any valid policy over the types and the attribute above.
fn policy() -> impl Strategy<Value = CompliancePolicy> {
    (shape(), seconds()).prop_map(|(shape, seconds)| build(&shape, seconds))
}

fn base() -> compliance_core::Asset {
    asset(&[("kind", "lämp"), (KEY, "5")])
}

/// The period a policy judges by (its window for the tolerance type), zero when it has none.
fn limit(policy: &CompliancePolicy) -> Duration {
    let period = match &policy.spec.policy {
        Policy::Since { time_period, .. } | Policy::PeriodOutstanding { time_period, .. } => {
            *time_period
        }
        Policy::DynamicTolerance { dynamic_window, .. } => *dynamic_window,
        _ => std::time::Duration::ZERO,
    };
    Duration::try_from(period).unwrap()
}

#[derive(Debug, Clone)]
struct Case {
    policy: CompliancePolicy,
    events: Vec<Event>,
    at: OffsetDateTime,
}

/// A policy, a history and a query time aimed where the rules turn. The limit is mostly taken
/// from the history, give or take a second: a pair's duration (SINCE, PERIOD_OUTSTANDING), or
/// for DYNAMIC_TOLERANCE the span from a closing that answered to the last event, so that the
/// window starts on that closing and holds every pair after it. The query time is anywhere, or
/// on or next to an event's time, or on or next to where the limit falls: the newest opening
/// plus the period (SINCE), an opening plus the period (PERIOD_OUTSTANDING), the closing plus
/// the window (DYNAMIC_TOLERANCE).
fn case() -> impl Strategy<Value = Case> {
    let near = vec![
        -Duration::SECOND,
        -Duration::MICROSECOND,
        Duration::ZERO,
        Duration::ZERO,
        Duration::MICROSECOND,
        Duration::SECOND,
    ];
    let step = select(vec![-1i64, 0, 0, 0, 1]);
    (
        shape(),
        history(),
        (seconds(), any::<(Index, Index)>(), step, any::<bool>()),
        (0..3u8, select(near), 0..70i64),
    )
        .prop_map(
            |(shape, events, (seconds, (i, k), step, measured), (aim, offset, anywhere))| {
                let every: Vec<OffsetDateTime> = events.iter().map(Event::time).collect();
                let of_type = |display_type: &str| -> Vec<OffsetDateTime> {
                    events
                        .iter()
                        .filter(|e| e.display_type == display_type)
                        .map(Event::time)
                        .collect()
                };
                let pick = |times: &[OffsetDateTime], index: Index| {
                    (!times.is_empty()).then(|| times[index.index(times.len())])
                };
                let pairing = reference_pairing(&events, t(10_000));
                let durations: Vec<Duration> = pairing
                    .iter()
                    .filter_map(|o| o.answered.map(|closed| closed - o.opened))
                    .collect();
                let closings: Vec<OffsetDateTime> =
                    pairing.iter().filter_map(|o| o.answered).collect();
                let duration = (!durations.is_empty()).then(|| durations[i.index(durations.len())]);
                let (anchor, measure) = match shape.kind {
                    0 => (of_type(OPEN).into_iter().max(), duration),
                    2 => (pick(&of_type(OPEN), k), duration),
                    3 => {
                        let closing = pick(&closings, k).or_else(|| pick(&of_type(CLOSE), k));
                        let last = every.iter().max().copied();
                        let span = closing.zip(last).map(|(c, l)| l - c + Duration::SECOND);
                        (closing, span)
                    }
                    _ => (pick(&every, k), duration),
                };
                let seconds = match measure {
                    Some(measure) if measured => {
                        u32::try_from((measure.whole_seconds() + step).max(1)).unwrap()
                    }
                    _ => seconds,
                };
                let policy = build(&shape, seconds);
                let at = match aim {
                    1 => pick(&every, k).map(|time| time + offset),
                    2 => anchor.map(|time| time + limit(&policy) + offset),
                    _ => None,
                };
                Case {
                    policy,
                    events,
                    at: at.unwrap_or_else(|| t(anywhere)),
                }
            },
        )
}

/// The correlation value as docs/policies.md defines it: the newer attribute, else the older.
fn documented_value(event: &Event) -> Option<&str> {
    let attributes = &event.event_attributes;
    attributes
        .get("arc_correlation_value")
        .or_else(|| attributes.get("arc_correlation_id"))
        .map(String::as_str)
}

/// An opening event before `at`: its time, its value and when it was answered.
#[derive(Debug)]
struct Opening<'a> {
    opened: OffsetDateTime,
    value: Option<&'a str>,
    answered: Option<OffsetDateTime>,
}

/// The correlation rule read literally, in quadratic time: each closing event before `at`, in
/// time order, answers every still-open opening with its value at or before its time.
fn reference_pairing(events: &[Event], at: OffsetDateTime) -> Vec<Opening<'_>> {
    let before = || events.iter().filter(|e| e.time() < at);
    let mut openings: Vec<Opening<'_>> = before()
        .filter(|e| e.display_type == OPEN)
        .map(|e| Opening {
            opened: e.time(),
            value: documented_value(e),
            answered: None,
        })
        .collect();
    let mut closings: Vec<&Event> = before().filter(|e| e.display_type == CLOSE).collect();
    closings.sort_by_key(|e| e.time());
    for closing in closings {
        let Some(value) = documented_value(closing) else {
            continue;
        };
        for opening in &mut openings {
            if opening.answered.is_none()
                && opening.value == Some(value)
                && opening.opened <= closing.time()
            {
                opening.answered = Some(closing.time());
            }
        }
    }
    openings
}

/// How a reason names an opening's correlation value, as the docs print it (`"c-1"`).
fn named(value: Option<&str>) -> String {
    value.map_or_else(
        || "without arc_correlation_value".to_owned(),
        |v| format!("{v:?}"),
    )
}

/// What the documented rules say of a case, where a direct reading gives it.
#[derive(Debug, PartialEq, Eq)]
enum Expected {
    Compliant(bool),
    /// The whole reason (`""` when compliant).
    Reason(String),
    /// How many violations a PERIOD_OUTSTANDING reason names and counts.
    Violations(usize),
}

/// The documented answer of SINCE, CURRENT_OUTSTANDING and PERIOD_OUTSTANDING.
fn reference(case: &Case) -> Option<Expected> {
    let at = case.at;
    let openings = reference_pairing(&case.events, at);
    match &case.policy.spec.policy {
        Policy::Since { time_period, .. } => {
            let newest = case
                .events
                .iter()
                .filter(|e| e.display_type == OPEN && e.time() < at)
                .map(Event::time)
                .max();
            let limit = Duration::try_from(*time_period).unwrap();
            Some(Expected::Compliant(
                newest.is_some_and(|newest| at - newest <= limit),
            ))
        }
        Policy::CurrentOutstanding { .. } => {
            let mut open: Vec<_> = openings
                .iter()
                .filter(|o| o.answered.is_none())
                .map(|o| (o.opened, o.value))
                .collect();
            open.sort();
            let reason = match open.as_slice() {
                [] => String::new(),
                [(_, oldest)] => format!("No closing event for {OPEN} {}", named(*oldest)),
                [(_, oldest), rest @ ..] => format!(
                    "No closing event for {OPEN} {} (and {} more still open)",
                    named(*oldest),
                    rest.len()
                ),
            };
            Some(Expected::Reason(reason))
        }
        Policy::PeriodOutstanding { time_period, .. } => {
            let limit = Duration::try_from(*time_period).unwrap();
            let late = openings
                .iter()
                .filter(|o| o.answered.unwrap_or(at) - o.opened > limit)
                .count();
            Some(Expected::Violations(late))
        }
        _ => None,
    }
}

/// The same view of the engine's statement.
fn observed(expected: &Expected, statement: &compliance_core::Statement) -> Expected {
    match expected {
        Expected::Compliant(_) => Expected::Compliant(statement.compliant),
        Expected::Reason(_) => Expected::Reason(statement.reason.clone()),
        Expected::Violations(_) if statement.compliant => Expected::Violations(0),
        Expected::Violations(_) => {
            let more = statement
                .reason
                .rsplit_once("(and ")
                .and_then(|(_, rest)| rest.split_once(' '))
                .and_then(|(n, _)| n.parse::<usize>().ok())
                .unwrap_or(0);
            Expected::Violations(more + 1)
        }
    }
}

proptest! {
    #[test]
    fn the_answer_never_depends_on_events_at_or_after_the_query_time(
        case in case(),
        others in prop::collection::vec(policy(), 0..3),
        later in prop::collection::vec(event(), 0..10),
    ) {
        // Generated times are at or after t(0), so moving them by `at − t(0)` puts them at or
        // after `at` (at it exactly, for those at t(0)).
        let shift = case.at - t(0);
        let later: Vec<Event> = later
            .into_iter()
            .map(|mut e| {
                e.accepted_at += shift;
                e.declared_at = e.declared_at.map(|d| d + shift);
                e
            })
            .collect();
        prop_assert!(later.iter().all(|e| e.time() >= case.at));
        let mut policies = vec![case.policy];
        policies.extend(others);
        let alone = History::new(base(), case.events.clone());
        let mut all = case.events;
        all.extend(later);
        let with_future = History::new(base(), all);
        prop_assert_eq!(check(&policies, &alone, case.at), check(&policies, &with_future, case.at));
    }

    #[test]
    fn a_plans_slice_gives_the_same_answer_as_the_whole_history(case in case()) {
        let whole = History::new(base(), case.events);
        let slice = case.policy.spec.policy.plan(case.at).select(&whole, case.at);
        prop_assert!(slice.events().len() <= whole.events().len());
        prop_assert_eq!(evaluate(&case.policy, &slice, case.at), evaluate(&case.policy, &whole, case.at));
        let policies = std::slice::from_ref(&case.policy);
        prop_assert_eq!(check(policies, &slice, case.at), check(policies, &whole, case.at));
    }

    #[test]
    fn since_and_outstanding_agree_with_the_documented_rules_read_literally(case in case()) {
        if let Some(expected) = reference(&case) {
            let statement = evaluate(&case.policy, &History::new(base(), case.events.clone()), case.at);
            prop_assert_eq!(observed(&expected, &statement), expected, "{:?}", statement);
        }
    }

    #[test]
    fn policies_print_and_parse_back_to_themselves(policy in policy()) {
        let printed = serde_json::to_vec(&PolicyBody::from(&policy)).expect("serializes");
        prop_assert_eq!(PolicySpec::from_json(&printed), Ok(policy.spec));
    }

    #[test]
    fn a_filter_term_that_parses_prints_as_written(
        text in prop_oneof!["attributes\\.[a-z_:=!* üß🚦]{0,12}", any::<String>()],
    ) {
        if let Ok(term) = text.parse::<FilterTerm>() {
            prop_assert_eq!(term.to_string(), text);
        }
    }

    #[test]
    fn a_well_formed_filter_term_parses_into_its_parts(
        key in "[a-zäöüßé🚦_][a-zäöüßé🚦_0-9. ]{0,8}[a-zäöü0-9_]",
        op in select(&[("=", FilterOp::Equals), (":", FilterOp::Colon), ("!=", FilterOp::NotEquals)][..]),
        value in ".{1,12}",
    ) {
        let text = format!("attributes.{key}{}{value}", op.0);
        let term = text.parse::<FilterTerm>();
        prop_assert!(term.is_ok(), "{text:?}: {term:?}");
        let term = term.expect("checked above");
        prop_assert_eq!((term.key.as_str(), term.op, term.value.as_str()), (key.as_str(), op.1, value.as_str()));
        prop_assert_eq!(term.to_string(), text);
    }

    #[test]
    fn an_assertion_that_parses_prints_as_written(
        text in prop_oneof!["[a-z<>=! 0-9.üß]{0,10}", any::<String>()],
    ) {
        if let Ok(assertion) = text.parse::<Assertion>() {
            prop_assert_eq!(assertion.to_string(), text);
        }
    }

    #[test]
    fn a_well_formed_assertion_parses_into_its_parts(
        name in "[a-zäöüßé🚦_][a-zäöüßé🚦_0-9. ]{0,8}[a-zäöü0-9_]",
        op in select(&["=", "!=", ">", "<", ">=", "<="][..]),
        value in "[^=].{0,8}",
    ) {
        let text = format!("{name}{op}{value}");
        let assertion = text.parse::<Assertion>();
        prop_assert!(assertion.is_ok(), "{text:?}: {assertion:?}");
        let assertion = assertion.expect("checked above");
        prop_assert_eq!((assertion.name.as_str(), assertion.op.as_str(), assertion.value.as_str()), (name.as_str(), op, value.as_str()));
    }

    #[test]
    fn evaluation_never_panics_on_arbitrary_input(
        opening in "\\S.{0,20}",
        pool in prop::collection::vec(any::<String>(), 1..4),
        events in prop::collection::vec(
            (0..4u8, prop::option::of(any::<Index>()), -62_000_000_000..250_000_000_000i64,
             prop::option::of(-62_000_000_000..250_000_000_000i64), any::<String>(), any::<String>()),
            0..20,
        ),
        name in "[^=!<>\\s]{1,8}",
        op in select(&["=", "!=", ">", "<", ">=", "<="][..]),
        value in "[^=].{0,8}",
        period in 1..=3_153_600_000u64,
        variability in 0.0..1e300f64,
        at in -62_000_000_000..250_000_000_000i64,
    ) {
        let instant = |s: i64| OffsetDateTime::from_unix_timestamp(s).expect("in range");
        let closing = format!("{opening}✗");
        let events: Vec<Event> = events
            .into_iter()
            .map(|(kind, correlation, accepted, declared, other, text)| {
                // Mostly the policies' own types, correlated from a small pool so that they pair.
                let display_type = match kind {
                    0 | 1 => opening.clone(),
                    2 => closing.clone(),
                    _ => other.clone(),
                };
                let key = if kind % 2 == 0 { name.clone() } else { other };
                let mut event = Event::new(ASSET, display_type, instant(accepted)).setting(key, text);
                event.correlation_value = correlation.map(|i| pool[i.index(pool.len())].clone());
                event.declared_at = declared.map(instant);
                event
            })
            .collect();
        let bodies = [
            json!({"compliance_type": "COMPLIANCE_SINCE", "event_display_type": opening, "time_period_seconds": period}),
            json!({"compliance_type": "COMPLIANCE_CURRENT_OUTSTANDING", "event_display_type": opening, "closing_event_display_type": closing}),
            json!({"compliance_type": "COMPLIANCE_PERIOD_OUTSTANDING", "event_display_type": opening, "closing_event_display_type": closing, "time_period_seconds": period}),
            json!({"compliance_type": "COMPLIANCE_DYNAMIC_TOLERANCE", "event_display_type": opening, "closing_event_display_type": closing, "dynamic_window": period, "dynamic_variability": variability}),
            json!({"compliance_type": "COMPLIANCE_RICHNESS", "richness_assertions": [{"or": [format!("{name}{op}{value}")]}]}),
        ];
        let mut policies = Vec::new();
        for mut body in bodies {
            body["display_name"] = json!("fuzz");
            let spec = PolicySpec::from_json(body.to_string().as_bytes());
            prop_assert!(spec.is_ok(), "{body} should parse: {spec:?}");
            policies.push(CompliancePolicy { id: POLICY, spec: spec.expect("checked above") });
        }
        let history = History::new(base(), events);
        let compliance = check(&policies, &history, instant(at));
        prop_assert_eq!(compliance.statements.len(), 5);
        prop_assert_eq!(compliance.compliant, compliance.statements.iter().all(|s| s.compliant));
        for statement in &compliance.statements {
            prop_assert_eq!(statement.compliant, statement.reason.is_empty());
        }
    }
}

/// What a case exercises, beyond its type's verdict.
fn reached(case: &Case) -> Vec<&'static str> {
    let mut labels = Vec::new();
    let at = case.at;
    let openings = reference_pairing(&case.events, at);
    let limit = limit(&case.policy);
    match &case.policy.spec.policy {
        Policy::Since { .. } => {
            let newest = case
                .events
                .iter()
                .filter(|e| e.display_type == OPEN && e.time() < at)
                .map(Event::time)
                .max();
            if newest.is_some_and(|n| at - n == limit) {
                labels.push("SINCE exactly at the limit");
            }
            if newest.is_some_and(|n| at - n == limit + Duration::MICROSECOND) {
                labels.push("SINCE a microsecond past the limit");
            }
        }
        Policy::PeriodOutstanding { .. } => {
            if openings
                .iter()
                .any(|o| o.answered.is_some_and(|c| c - o.opened == limit))
            {
                labels.push("PERIOD a pair closed exactly at the limit");
            }
            if openings
                .iter()
                .any(|o| o.answered.is_none() && at - o.opened == limit)
            {
                labels.push("PERIOD open exactly for the limit");
            }
        }
        Policy::DynamicTolerance { .. } => {
            let start = at - limit;
            if openings.iter().any(|o| o.answered == Some(start)) {
                labels.push("TOLERANCE a pair closing on the window's start");
            }
        }
        _ => {}
    }
    let answered: Vec<_> = openings.iter().filter(|o| o.answered.is_some()).collect();
    let shared = answered.iter().enumerate().any(|(i, a)| {
        answered[i + 1..]
            .iter()
            .any(|b| a.value == b.value && a.answered == b.answered)
    });
    if shared {
        labels.push("one closing answering two openings");
    }
    if answered.iter().any(|o| o.answered == Some(o.opened)) {
        labels.push("a pair at one instant");
    }
    if answered
        .iter()
        .any(|o| o.value.is_some_and(|v| !v.is_ascii()))
    {
        labels.push("a non-ASCII correlation value paired");
    }
    let overridden = case.events.iter().any(|e| {
        let attributes = &e.event_attributes;
        attributes.contains_key("arc_correlation_id")
            && attributes.get("arc_correlation_id") != attributes.get("arc_correlation_value")
            && attributes.contains_key("arc_correlation_value")
    });
    if overridden {
        labels.push("both correlation names with different values");
    }
    if case.events.iter().any(|e| e.time() == at) {
        labels.push("an event exactly at the query time");
    }
    let applies = !check(
        std::slice::from_ref(&case.policy),
        &History::new(base(), case.events.clone()),
        at,
    )
    .statements
    .is_empty();
    labels.push(if applies {
        "the filter applies"
    } else {
        "the filter excludes"
    });
    labels
}

/// Each outcome and how often, at the least, it must come out of 1,000 cases: often enough that
/// a run of the properties above (256 cases) meets it several times.
const REACHED: [(&str, usize); 22] = [
    ("COMPLIANCE_SINCE compliant", 40),
    ("COMPLIANCE_SINCE non-compliant", 40),
    ("COMPLIANCE_CURRENT_OUTSTANDING compliant", 30),
    ("COMPLIANCE_CURRENT_OUTSTANDING non-compliant", 40),
    ("COMPLIANCE_PERIOD_OUTSTANDING compliant", 40),
    ("COMPLIANCE_PERIOD_OUTSTANDING non-compliant", 40),
    ("COMPLIANCE_DYNAMIC_TOLERANCE compliant", 40),
    ("COMPLIANCE_DYNAMIC_TOLERANCE non-compliant", 15),
    ("COMPLIANCE_RICHNESS compliant", 40),
    ("COMPLIANCE_RICHNESS non-compliant", 40),
    ("SINCE exactly at the limit", 10),
    ("SINCE a microsecond past the limit", 7),
    ("PERIOD a pair closed exactly at the limit", 10),
    ("PERIOD open exactly for the limit", 15),
    ("TOLERANCE a pair closing on the window's start", 10),
    ("one closing answering two openings", 100),
    ("a pair at one instant", 20),
    ("a non-ASCII correlation value paired", 100),
    ("both correlation names with different values", 100),
    ("an event exactly at the query time", 100),
    ("the filter applies", 100),
    ("the filter excludes", 100),
];

#[test]
fn the_generators_reach_every_outcome() {
    let mut runner = TestRunner::deterministic();
    let strategy = case();
    let mut seen: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for _ in 0..1000 {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        let statement = evaluate(
            &case.policy,
            &History::new(base(), case.events.clone()),
            case.at,
        );
        let kind = case.policy.spec.policy.compliance_type().name();
        let verdict = if statement.compliant {
            "compliant"
        } else {
            "non-compliant"
        };
        *seen.entry(format!("{kind} {verdict}")).or_default() += 1;
        for label in reached(&case) {
            *seen.entry(label.to_owned()).or_default() += 1;
        }
    }
    let short: Vec<_> = REACHED
        .iter()
        .filter(|(label, least)| seen.get(*label).copied().unwrap_or(0) < *least)
        .map(|(label, least)| {
            format!(
                "{label}: {} < {least}",
                seen.get(*label).copied().unwrap_or(0)
            )
        })
        .collect();
    assert!(
        short.is_empty(),
        "too rarely generated: {short:?} in {seen:#?}"
    );
}

proptest! {
    // A wrong cover shows only when a dropped plan's policy would have failed: more cases.
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn the_fetched_plans_give_every_policy_the_answer_of_the_whole_history(
        case in case(),
        others in proptest::collection::vec((policy(), any::<bool>()), 0..6),
    ) {
        // Some of the other policies pair other types, which cover nothing of the first's.
        let others = others.into_iter().map(|(policy, renamed)| {
            let mut body = serde_json::to_value(PolicyBody::from(&policy)).expect("serializes");
            for key in ["event_display_type", "closing_event_display_type"] {
                if let (true, Some(serde_json::Value::String(name))) = (renamed, body.get_mut(key)) {
                    name.push_str(" 2");
                }
            }
            let spec = PolicySpec::from_json(body.to_string().as_bytes()).expect("still valid");
            CompliancePolicy { spec, ..policy }
        });
        // Numbered, so the slices' union can drop the events two plans both fetch; padded, so
        // the union keeps the history's order where times tie.
        let events: Vec<Event> = case.events.into_iter().enumerate().map(|(i, mut e)| {
            e.event_attributes.insert("n".to_owned(), format!("{i:06}"));
            e
        }).collect();
        let whole = History::new(base(), events);
        let mut policies = vec![case.policy];
        policies.extend(others);
        let fetches = Plan::fetches(policies.iter().map(|p| p.spec.policy.plan(case.at)));
        let mut union = std::collections::BTreeMap::new();
        for plan in fetches.iter().chain([&Plan::AttributesOnly]) {
            for e in plan.select(&whole, case.at).events() {
                union.insert(e.event_attributes["n"].clone(), e.clone());
            }
        }
        let fetched = History::new(base(), union.into_values().collect());
        prop_assert_eq!(check(&policies, &fetched, case.at), check(&policies, &whole, case.at));
    }
}
