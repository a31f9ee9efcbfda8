//! How the compliance check's cost grows (issue 14's growth table), each point beside the bare
//! SQL that selects the same rows, in the same run:
//! - with the org's policies: 10, 100 and 1,000 policies (the five types in turn, each on its
//!   own display types) over one asset of 10^4 events, ten of them in each policy's slice;
//! - with the asset's events: 10^2, 10^4 and 10^6 events, all of them Open/Close pairs, so
//!   every event is in the five policies' slices (the worst case; events outside the slices
//!   cost nothing, as the `store` bench shows).
//!
//! Each baseline is run once first and must select its rows, or the bench fails.
#![allow(clippy::expect_used, clippy::unwrap_used)] // benchmark set-up with known-good inputs

use compliance_core::PolicySpec;
use compliance_store::compliance::check_asset;
use compliance_store::testing::TestDb;
use compliance_store::{Store, policies};
use criterion::{Criterion, criterion_group, criterion_main};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use serde_json::json;
use time::{OffsetDateTime, macros::datetime};
use uuid::Uuid;

const AT: OffsetDateTime = datetime!(2027-01-01 00:00 UTC);
const TYPES: [&str; 5] = [
    "COMPLIANCE_SINCE",
    "COMPLIANCE_CURRENT_OUTSTANDING",
    "COMPLIANCE_PERIOD_OUTSTANDING",
    "COMPLIANCE_DYNAMIC_TOLERANCE",
    "COMPLIANCE_RICHNESS",
];

/// Policy `i` of `kind` on the display types `Open {k}` / `Close {k}`.
fn policy(kind: &str, k: usize) -> PolicySpec {
    let (open, close) = (format!("Open {k}"), format!("Close {k}"));
    let body = match kind {
        "COMPLIANCE_SINCE" => json!({"event_display_type": close, "time_period_seconds": 86400}),
        "COMPLIANCE_RICHNESS" => json!({"richness_assertions": [{"or": ["rad<7"]}]}),
        pairing => {
            let mut body = json!({"event_display_type": open, "closing_event_display_type": close});
            match pairing {
                "COMPLIANCE_PERIOD_OUTSTANDING" => body["time_period_seconds"] = json!(3600),
                "COMPLIANCE_DYNAMIC_TOLERANCE" => {
                    body["dynamic_window"] = json!(30 * 86400);
                    body["dynamic_variability"] = json!(3);
                }
                _ => {}
            }
            body
        }
    };
    let mut body = body;
    body["compliance_type"] = json!(kind);
    body["display_name"] = json!(format!("{kind} {k}"));
    PolicySpec::from_json(body.to_string().as_bytes()).unwrap()
}

/// An org of its own with `count` policies, policy `i` of type `TYPES[i % 5]` on pair type `i`.
async fn org_with_policies(
    store: &Store,
    count: usize,
    pair_type: impl Fn(usize) -> usize,
) -> Uuid {
    let org = store
        .ensure_organization(&format!("growth-{count}"))
        .await
        .unwrap()
        .id;
    let mut conn = store.tenant(org).await.unwrap();
    for i in 0..count {
        policies::create(&mut conn, &policy(TYPES[i % 5], pair_type(i)))
            .await
            .unwrap();
    }
    conn.commit().await.unwrap();
    org
}

/// `pairs` Open/Close pairs on `asset`, pair `i` on the display types of pair type
/// `i % pair_types`, five seconds apart (all within DYNAMIC_TOLERANCE's window), each closed
/// 2–4 seconds after it opened.
async fn load_pairs(
    raw: &mut AsyncPgConnection,
    org: Uuid,
    asset: Uuid,
    pairs: i64,
    pair_types: i64,
) {
    raw.batch_execute(&format!(
        "INSERT INTO assets (org_id, id, attributes) VALUES ('{org}', '{asset}', '{{\"rad\": \"3\"}}');
         INSERT INTO events (org_id, asset_id, id, display_type, correlation_value, declared_at)
           SELECT '{org}', '{asset}', gen_random_uuid(), t || ' ' || (i % {pair_types}), 'c' || i,
                  '2026-12-31'::timestamptz - ({pairs} - i) * interval '5 seconds'
                    + CASE t WHEN 'Close' THEN (2 + i % 3) * interval '1 second' ELSE interval '0' END
           FROM generate_series(1, {pairs}) i, unnest(ARRAY['Open', 'Close']) t;
         ANALYZE events;"
    ))
    .await
    .unwrap();
}

#[derive(diesel::QueryableByName)]
#[allow(dead_code)] // read only to make the query's rows arrive
struct Row {
    #[diesel(sql_type = diesel::sql_types::Text)]
    display_type: String,
}

/// Benches the check of `asset` in `org` beside `bare`, which must select `rows` rows.
#[allow(clippy::too_many_arguments)] // one measured point and its baseline
fn point(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    runtime: &tokio::runtime::Runtime,
    db: &TestDb,
    label: &str,
    (org, asset): (Uuid, Uuid),
    statements: usize,
    bare: &str,
    rows: usize,
) {
    let store = db.store.clone();
    group.bench_function(format!("check/{label}"), |b| {
        b.to_async(runtime).iter(|| async {
            let mut conn = store.tenant(org).await.unwrap();
            let answer = check_asset(&mut conn, asset, AT).await.unwrap();
            conn.commit().await.unwrap();
            assert_eq!(answer.statements.len(), statements);
        })
    });
    let mut raw = runtime
        .block_on(AsyncPgConnection::establish(&db.url))
        .unwrap();
    let selected = runtime
        .block_on(diesel::sql_query(bare).load::<Row>(&mut raw))
        .unwrap();
    assert_eq!(
        selected.len(),
        rows,
        "the bare SQL of {label} selects the slices"
    );
    group.bench_function(format!("bare_slices_sql/{label}"), |b| {
        b.iter(|| {
            runtime
                .block_on(diesel::sql_query(bare).load::<Row>(&mut raw))
                .unwrap()
        })
    });
}

/// The bare query for the slices of pair types `0..types`: every Open/Close event of them.
fn bare(org: Uuid, asset: Uuid, types: usize) -> String {
    let names: Vec<String> = (0..types)
        .flat_map(|k| [format!("'Open {k}'"), format!("'Close {k}'")])
        .collect();
    format!(
        "SELECT display_type FROM events WHERE org_id = '{org}' AND asset_id = '{asset}' \
         AND occurred_at < '2027-01-01' AND display_type IN ({})",
        names.join(", ")
    )
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let db = runtime.block_on(TestDb::new());
    let mut raw = runtime
        .block_on(AsyncPgConnection::establish(&db.url))
        .unwrap();
    let asset = Uuid::from_u128(1);

    let mut group = c.benchmark_group("check_growth_policies_10^4_events");
    group.sample_size(10);
    for count in [10, 100, 1000] {
        // 5,000 pairs over 1,000 pair types: five pairs (ten events) in each policy's slice.
        let org = runtime.block_on(org_with_policies(&db.store, count, |i| i));
        runtime.block_on(load_pairs(&mut raw, org, asset, 5_000, 1_000));
        let bare = bare(org, asset, count);
        let label = format!("{count}_policies");
        point(
            &mut group,
            &runtime,
            &db,
            &label,
            (org, asset),
            count,
            &bare,
            count * 10,
        );
    }
    group.finish();

    let mut group = c.benchmark_group("check_growth_events_5_policies");
    group.sample_size(10);
    let org = runtime.block_on(org_with_policies(&db.store, 5, |_| 0));
    for (n, events) in [(2u128, 100i64), (3, 10_000), (4, 1_000_000)] {
        let asset = Uuid::from_u128(n);
        runtime.block_on(load_pairs(&mut raw, org, asset, events / 2, 1));
        let bare = bare(org, asset, 1);
        let label = format!("{events}_events");
        point(
            &mut group,
            &runtime,
            &db,
            &label,
            (org, asset),
            5,
            &bare,
            events as usize,
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
