//! Evaluates seed 003's five example policies over a sample maintenance history of one asset,
//! at several points in time, and prints each answer as the archivist API would.
//!
//! Run with `cargo run -p compliance-core --example seed_policies`.
#![allow(clippy::expect_used)] // an example with fixed, known-good inputs

use compliance_core::{Asset, CompliancePolicy, Event, History, PolicySpec, check};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, macros::datetime};
use uuid::Uuid;

const SEED_POLICIES: &str = include_str!("seed_policies.json");
const LOCATION: &str = "locations/5eef2b71-35c1-4376-a166-6c64bfa72f4b";

fn main() {
    let examples: Vec<Value> = serde_json::from_str(SEED_POLICIES).expect("the fixture is JSON");
    // The first five examples are one policy of each type; the rest repeat them as responses.
    let policies: Vec<CompliancePolicy> = examples[..5]
        .iter()
        .enumerate()
        .map(|(i, body)| CompliancePolicy {
            id: Uuid::from_u128(i as u128 + 1),
            spec: PolicySpec::from_json(body.to_string().as_bytes()).expect("seed examples parse"),
        })
        .collect();

    let start = datetime!(2019-11-20 09:00 UTC);
    let day = Duration::days(1);
    let hour = Duration::hours(1);
    let asset = Asset {
        id: Uuid::from_u128(0x6a95_1b62),
        attributes: [
            ("arc_display_type", "Traffic Light"),
            ("arc_location_identity", LOCATION),
            ("rad", "3"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .into(),
    };
    let event = |display_type: &str, at| Event::new(asset.id, display_type, at);
    let events = vec![
        event("Maintenance Requests", start).correlated("req-1"),
        event("Maintenance Performed", start + 20 * hour).correlated("req-1"),
        event("Maintenance Requests", start + 2 * day).correlated("req-2"),
        event("Maintenance Performed", start + 2 * day + 22 * hour).correlated("req-2"),
        event("Maintenance Requests", start + 4 * day).correlated("req-3"),
        event("Maintenance Performed", start + 4 * day + 21 * hour).correlated("req-3"),
        // A request left open for four days: late, outstanding, and an outlier once closed.
        event("Maintenance Requests", start + 6 * day).correlated("req-4"),
        event("Geiger reading", start + 7 * day).setting("rad", "9.5"),
        event("Maintenance Performed", start + 10 * day).correlated("req-4"),
    ];
    let history = History::new(asset, events);

    println!("Seed 003's policies over a traffic light's maintenance history\n");
    for policy in &policies {
        println!(
            "  {}  {}",
            policy.identity(),
            policy.spec.policy.compliance_type()
        );
    }
    for at in [start + 5 * day, start + 8 * day, start + 11 * day] {
        let compliance = check(&policies, &history, at);
        let statements: Vec<Value> = compliance
            .statements
            .iter()
            .map(|s| {
                json!({
                    "compliance_policy_identity": format!("compliance_policies/{}", s.policy),
                    "compliant": s.compliant,
                    "reason": s.reason,
                })
            })
            .collect();
        let answer = json!({
            "compliant": compliance.compliant,
            "compliance": statements,
            "next_page_token": "",
            "compliant_at": at.format(&Rfc3339).expect("a UTC time formats"),
        });
        println!(
            "\nGET /archivist/v1/compliance/assets/{}?compliant_at={}",
            history.asset().id,
            answer["compliant_at"].as_str().unwrap_or_default()
        );
        println!(
            "{}",
            serde_json::to_string_pretty(&answer).expect("JSON prints")
        );
    }
}
