//! Each policy type evaluated over one asset's history of 10^5 and 10^6 events, beside a plain
//! loop over the same events (counting one display type) as the baseline, and the cost of
//! building the history they are evaluated over.
#![allow(clippy::expect_used)] // fixed, known-good inputs

use std::hint::black_box;

use compliance_core::{Asset, CompliancePolicy, Event, History, PolicySpec, evaluate};
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::json;
use time::{Duration, OffsetDateTime, macros::datetime};
use uuid::Uuid;

const START: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

/// A history of `n` events: request/performed pairs a few seconds apart, with noise events
/// and an attribute change every 1,000 events.
fn history(n: usize) -> History {
    let asset = Asset {
        id: Uuid::from_u128(1),
        attributes: [("rad".to_owned(), "3".to_owned())].into(),
    };
    let events = (0..n)
        .map(|i| {
            let at = START + Duration::seconds(i as i64 * 10);
            let pair = format!("c{}", i / 3);
            let event = match i % 3 {
                0 => Event::new(asset.id, "Maintenance Requests", at).correlated(pair),
                1 => Event::new(asset.id, "Maintenance Performed", at).correlated(pair),
                _ => Event::new(asset.id, "Inspection", at),
            };
            if i % 1000 == 999 {
                event.setting("rad", format!("{}", i % 7))
            } else {
                event
            }
        })
        .collect();
    History::new(asset, events)
}

fn policies() -> Vec<(&'static str, CompliancePolicy)> {
    let pairing = |extra: serde_json::Value| {
        let mut body = json!({
            "display_name": "bench",
            "event_display_type": "Maintenance Requests",
            "closing_event_display_type": "Maintenance Performed",
        });
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        body
    };
    [
        (
            "SINCE",
            json!({"compliance_type": "COMPLIANCE_SINCE", "display_name": "bench",
            "event_display_type": "Maintenance Performed", "time_period_seconds": 60}),
        ),
        (
            "CURRENT_OUTSTANDING",
            pairing(json!({"compliance_type": "COMPLIANCE_CURRENT_OUTSTANDING"})),
        ),
        (
            "PERIOD_OUTSTANDING",
            pairing(json!({"compliance_type": "COMPLIANCE_PERIOD_OUTSTANDING",
            "time_period_seconds": 60})),
        ),
        // A window covering the whole history: the worst case.
        (
            "DYNAMIC_TOLERANCE",
            pairing(json!({"compliance_type": "COMPLIANCE_DYNAMIC_TOLERANCE",
            "dynamic_window": 100_000_000, "dynamic_variability": 2})),
        ),
        (
            "RICHNESS",
            json!({"compliance_type": "COMPLIANCE_RICHNESS", "display_name": "bench",
            "richness_assertions": [{"or": ["rad<7"]}]}),
        ),
    ]
    .into_iter()
    .map(|(name, body)| {
        let spec = PolicySpec::from_json(body.to_string().as_bytes()).expect("valid policy");
        (
            name,
            CompliancePolicy {
                id: Uuid::from_u128(2),
                spec,
            },
        )
    })
    .collect()
}

fn bench(c: &mut Criterion) {
    for n in [100_000, 1_000_000] {
        let history = history(n);
        let at = START + Duration::seconds(n as i64 * 10 + 1);
        let mut group = c.benchmark_group(format!("{n}_events"));
        group.sample_size(10);
        let baseline = |history: &History| {
            history
                .events()
                .iter()
                .filter(|e| e.display_type == "Maintenance Performed" && e.time() < at)
                .count()
        };
        // The baseline must visit what the policies do: a third of the events match.
        assert_eq!(baseline(&history), n / 3, "the baseline counts its events");
        group.bench_function("baseline_plain_loop", |b| {
            b.iter(|| baseline(black_box(&history)))
        });
        // What evaluation no longer pays is paid once here: sorting and numbering the strings.
        group.bench_function("History::new", |b| {
            b.iter_batched(
                || (history.asset().clone(), history.events().to_vec()),
                |(asset, events)| History::new(asset, events),
                BatchSize::LargeInput,
            )
        });
        for (name, policy) in policies() {
            group.bench_with_input(BenchmarkId::from_parameter(name), &policy, |b, policy| {
                b.iter(|| evaluate(black_box(policy), &history, at))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
