//! Evaluation of policies over an asset's history at a point in time.

mod outstanding;
mod since;
mod tolerance;

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::history::Trail;
use crate::{Attributes, CompliancePolicy, History, Policy};

/// One policy's answer for one asset at one time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub policy: Uuid,
    pub compliant: bool,
    /// Why it is not compliant; empty when it is.
    pub reason: String,
}

/// The whole-asset answer: compliant only when every applicable policy is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compliance {
    pub compliant: bool,
    /// One per applicable policy, in the order the policies were given.
    pub statements: Vec<Statement>,
}

/// `Ok`, or why not.
type Verdict = Result<(), String>;

/// Evaluates one policy over `history` at `at`, ignoring its asset filter.
pub fn evaluate(policy: &CompliancePolicy, history: &History, at: OffsetDateTime) -> Statement {
    let attributes = match policy.spec.policy {
        Policy::Richness { .. } => history.attributes_at(at),
        _ => Attributes::new(),
    };
    statement(
        policy,
        verdict(&policy.spec.policy, history.trail(at), &attributes, at),
    )
}

/// Tests an asset against every policy whose asset filter matches its attributes at `at`.
/// An asset no policy applies to gets no statements and is compliant.
pub fn check(policies: &[CompliancePolicy], history: &History, at: OffsetDateTime) -> Compliance {
    let attributes = history.attributes_at(at);
    let trail = history.trail(at);
    let statements: Vec<Statement> = policies
        .iter()
        .filter(|policy| {
            policy
                .spec
                .asset_filter
                .holds(|term| term.matches(&attributes))
        })
        .map(|policy| statement(policy, verdict(&policy.spec.policy, trail, &attributes, at)))
        .collect();
    Compliance {
        compliant: statements.iter().all(|s| s.compliant),
        statements,
    }
}

fn statement(policy: &CompliancePolicy, verdict: Verdict) -> Statement {
    Statement {
        policy: policy.id,
        compliant: verdict.is_ok(),
        reason: verdict.err().unwrap_or_default(),
    }
}

/// `trail` holds the events before `at`, in time order; `attributes` the asset's at `at`.
fn verdict(
    policy: &Policy,
    trail: Trail<'_>,
    attributes: &Attributes,
    at: OffsetDateTime,
) -> Verdict {
    match policy {
        Policy::Since {
            event_display_type,
            time_period,
        } => since::verdict(trail.events, event_display_type, *time_period, at),
        Policy::CurrentOutstanding {
            event_display_type,
            closing_event_display_type,
        } => outstanding::current(trail, event_display_type, closing_event_display_type),
        Policy::PeriodOutstanding {
            event_display_type,
            closing_event_display_type,
            time_period,
        } => outstanding::period(
            trail,
            event_display_type,
            closing_event_display_type,
            *time_period,
            at,
        ),
        Policy::DynamicTolerance {
            event_display_type,
            closing_event_display_type,
            dynamic_window,
            dynamic_variability,
        } => tolerance::verdict(
            trail,
            event_display_type,
            closing_event_display_type,
            *dynamic_window,
            *dynamic_variability,
            at,
        ),
        Policy::Richness {
            richness_assertions,
        } => richness(richness_assertions, attributes),
    }
}

fn richness(assertions: &crate::RichnessAssertions, attributes: &Attributes) -> Verdict {
    let Some(group) = assertions.first_failing(|assertion| assertion.check(attributes).is_ok())
    else {
        return Ok(());
    };
    let terms: Vec<String> = group.iter().map(ToString::to_string).collect();
    let mut reasons: Vec<String> = Vec::new();
    for reason in group.iter().filter_map(|a| a.check(attributes).err()) {
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
    Err(format!(
        "{} failed: {}",
        terms.join(" or "),
        reasons.join("; ")
    ))
}

/// A duration as the reasons print it: whole seconds as `20s`, else up to microseconds.
pub(crate) fn seconds(duration: time::Duration) -> String {
    if duration.subsec_nanoseconds() == 0 {
        return format!("{}s", duration.whole_seconds());
    }
    let text = format!("{:.6}", duration.as_seconds_f64());
    format!("{}s", text.trim_end_matches('0').trim_end_matches('.'))
}

/// A period as a signed duration; policies cap periods far below the limit.
pub(crate) fn signed(period: std::time::Duration) -> time::Duration {
    time::Duration::try_from(period).unwrap_or(time::Duration::MAX)
}

/// How a pairing reason names an opening event's correlation value.
pub(crate) fn correlation(value: Option<&str>) -> String {
    value.map_or_else(
        || "without arc_correlation_value".to_owned(),
        |value| format!("{value:?}"),
    )
}
