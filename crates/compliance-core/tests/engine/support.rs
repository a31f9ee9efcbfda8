use compliance_core::{Asset, CompliancePolicy, Event, History, PolicySpec, Statement, evaluate};
use serde_json::Value;
use time::{Duration, OffsetDateTime, macros::datetime};
use uuid::Uuid;

pub const ASSET: Uuid = Uuid::from_u128(0xa55e7);
pub const POLICY: Uuid = Uuid::from_u128(0x9011c7);

/// `s` seconds after the test epoch.
pub fn t(s: i64) -> OffsetDateTime {
    datetime!(2026-01-01 00:00 UTC) + Duration::seconds(s)
}

pub fn asset(attributes: &[(&str, &str)]) -> Asset {
    Asset {
        id: ASSET,
        attributes: attributes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// An event of `display_type` accepted at `t(s)`.
pub fn event(display_type: &str, s: i64) -> Event {
    Event::new(ASSET, display_type, t(s))
}

/// A validated policy from its wire JSON.
pub fn policy(json: Value) -> CompliancePolicy {
    let spec = PolicySpec::from_json(json.to_string().as_bytes())
        .unwrap_or_else(|error| panic!("policy {json} should parse: {error}"));
    CompliancePolicy { id: POLICY, spec }
}

/// The statement of `policy` over `events` (on an asset without attributes) at `t(at)`.
pub fn judge(policy: &CompliancePolicy, events: Vec<Event>, at: i64) -> Statement {
    evaluate(policy, &History::new(asset(&[]), events), t(at))
}

/// Asserts a non-compliant statement whose reason is exactly `reason`.
#[track_caller]
pub fn assert_fails(statement: &Statement, reason: &str) {
    assert!(
        !statement.compliant,
        "expected non-compliant: {statement:?}"
    );
    assert_eq!(statement.reason, reason);
}

#[track_caller]
pub fn assert_passes(statement: &Statement) {
    assert!(statement.compliant, "expected compliant: {statement:?}");
    assert_eq!(statement.reason, "");
}
