//! The store's queries at scale, each beside the bare SQL it wraps, in the same run:
//! - a compliance check (one policy of each type) of an asset with 10^4 and with 10^6 events,
//!   where every policy's slice is the same 1,000 events and the rest is other event types;
//! - package figures over an agent's 10^6 audit entries, beside the bare GROUP BY.
//!
//! Each baseline is run once first and must select what it stands for, or the bench fails.
#![allow(clippy::expect_used, clippy::unwrap_used)] // benchmark set-up with known-good inputs

use compliance_core::PolicySpec;
use compliance_store::compliance::check_asset;
use compliance_store::figures::audit_groups;
use compliance_store::testing::TestDb;
use compliance_store::{Organization, policies};
use criterion::{Criterion, criterion_group, criterion_main};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use serde_json::json;
use time::{OffsetDateTime, macros::datetime};
use uuid::Uuid;

const AT: OffsetDateTime = datetime!(2027-01-01 00:00 UTC);

struct Fixture {
    db: TestDb,
    org: Organization,
    raw: AsyncPgConnection,
}

/// Asset `asset` gets `noise` events of other types plus the same 1,000-event slice: 500
/// Open/Close pairs an hour apart, the newest closing in the last day, and 10 attribute changes.
async fn load_asset(f: &mut Fixture, asset: Uuid, noise: i64) {
    let org = f.org.id;
    let sql = format!(
        "INSERT INTO assets (org_id, id, attributes) VALUES ('{org}', '{asset}', '{{\"rad\": \"3\"}}');
         INSERT INTO events (org_id, asset_id, id, display_type, declared_at)
           SELECT '{org}', '{asset}', gen_random_uuid(), 'Noise ' || (i % 20),
                  '2026-01-01'::timestamptz + i * interval '1 second'
           FROM generate_series(1, {noise}) i;
         INSERT INTO events (org_id, asset_id, id, display_type, correlation_value, declared_at)
           SELECT '{org}', '{asset}', gen_random_uuid(), t, 'c' || i,
                  '2026-12-01'::timestamptz + i * interval '1 hour'
                    + CASE t WHEN 'Close' THEN (30 + i % 7) * interval '1 minute' ELSE interval '0' END
           FROM generate_series(1, 500) i, unnest(ARRAY['Open', 'Close']) t;
         INSERT INTO events (org_id, asset_id, id, display_type, asset_attributes, declared_at)
           SELECT '{org}', '{asset}', gen_random_uuid(), 'Reading', jsonb_build_object('rad', (i % 5)::text),
                  '2026-12-10'::timestamptz + i * interval '1 day'
           FROM generate_series(1, 10) i;
         ANALYZE events;"
    );
    f.raw.batch_execute(&sql).await.unwrap();
}

/// Agent `agent` gets `entries` audit entries over four weeks, across 2 connectors, 6 action
/// types, 3 verdicts and 3 statuses.
async fn load_trail(f: &mut Fixture, agent: Uuid, entries: i64) {
    let org = f.org.id;
    let sql = format!(
        "INSERT INTO assets (org_id, id, attributes) VALUES ('{org}', '{agent}', '{{\"arc_display_type\": \"AI Agent\"}}');
         INSERT INTO events (org_id, asset_id, id, display_type, declared_at, connector, policy_verdict, status, duration_ms)
           SELECT '{org}', '{agent}', gen_random_uuid(),
                  (ARRAY['connector.called','connector.called','connector.called','approval.requested','approval.reviewed','drift.detected'])[1 + i % 6],
                  '2026-11-01'::timestamptz + i * interval '2 seconds',
                  (ARRAY['crowdstrike','jira'])[1 + i % 2],
                  (ARRAY['PERMIT','PERMIT','PERMIT','PERMIT','ESCALATE','DENY'])[1 + i % 6],
                  (ARRAY['success','success','error','blocked'])[1 + i % 4],
                  i % 900
           FROM generate_series(1, {entries}) i;"
    );
    f.raw.batch_execute(&sql).await.unwrap();
    // Sets the visibility map, so the figures' GROUP BY can be an index-only scan.
    f.raw.batch_execute("VACUUM ANALYZE events").await.unwrap();
}

async fn fixture() -> Fixture {
    let db = TestDb::new().await;
    let org = db.store.ensure_organization("bench").await.unwrap();
    let raw = AsyncPgConnection::establish(&db.url).await.unwrap();
    let f = Fixture { db, org, raw };
    let mut conn = f.db.store.tenant(f.org.id).await.unwrap();
    let pairing = |t: &str, extra: serde_json::Value| {
        let mut body = json!({"compliance_type": t, "display_name": t,
            "event_display_type": "Open", "closing_event_display_type": "Close"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let bodies = [
        json!({"compliance_type": "COMPLIANCE_SINCE", "display_name": "since", "event_display_type": "Close", "time_period_seconds": 86400}),
        pairing("COMPLIANCE_CURRENT_OUTSTANDING", json!({})),
        pairing(
            "COMPLIANCE_PERIOD_OUTSTANDING",
            json!({"time_period_seconds": 3600}),
        ),
        pairing(
            "COMPLIANCE_DYNAMIC_TOLERANCE",
            json!({"dynamic_window": 30 * 86400, "dynamic_variability": 3}),
        ),
        json!({"compliance_type": "COMPLIANCE_RICHNESS", "display_name": "rich", "richness_assertions": [{"or": ["rad<7"]}]}),
    ];
    for body in bodies {
        let spec = PolicySpec::from_json(body.to_string().as_bytes()).unwrap();
        policies::create(&mut conn, &spec).await.unwrap();
    }
    conn.commit().await.unwrap();
    f
}

#[derive(diesel::QueryableByName)]
#[allow(dead_code)] // read only to make the query's rows arrive
struct Row {
    #[diesel(sql_type = diesel::sql_types::Text)]
    display_type: String,
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut f = runtime.block_on(fixture());
    let (small, large, agent) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
    runtime.block_on(async {
        load_asset(&mut f, small, 10_000 - 1010).await;
        load_asset(&mut f, large, 1_000_000 - 1010).await;
        load_trail(&mut f, agent, 1_000_000).await;
    });
    let store = f.db.store.clone();
    let org = f.org.id;
    let url = f.db.url.clone();

    let mut group = c.benchmark_group("compliance_check");
    group.sample_size(20);
    for (label, asset) in [("10^4_events", small), ("10^6_events", large)] {
        group.bench_function(format!("five_policies/{label}"), |b| {
            b.to_async(&runtime).iter(|| async {
                let mut conn = store.tenant(org).await.unwrap();
                let answer = check_asset(&mut conn, asset, AT).await.unwrap();
                conn.commit().await.unwrap();
                assert_eq!(answer.statements.len(), 5);
            })
        });
        // Baselines: the bare SQL of the SINCE plan and of the pairing slice, on one connection.
        let since_sql = format!(
            "SELECT display_type FROM events WHERE org_id = '{org}' AND asset_id = '{asset}' \
             AND display_type = 'Close' AND occurred_at < '2027-01-01' ORDER BY occurred_at DESC, seq DESC LIMIT 1"
        );
        let pairs_sql = format!(
            "SELECT display_type FROM events WHERE org_id = '{org}' AND asset_id = '{asset}' \
             AND display_type IN ('Open', 'Close') AND occurred_at < '2027-01-01'"
        );
        for (name, sql, rows) in [
            ("bare_since_sql", since_sql, 1),
            ("bare_pairs_slice_sql", pairs_sql, 1_000),
        ] {
            let mut raw = runtime
                .block_on(AsyncPgConnection::establish(&url))
                .unwrap();
            let selected = runtime
                .block_on(diesel::sql_query(&sql).load::<Row>(&mut raw))
                .unwrap();
            assert_eq!(selected.len(), rows, "{name}/{label} selects its slice");
            group.bench_function(format!("{name}/{label}"), |b| {
                b.iter(|| {
                    runtime
                        .block_on(diesel::sql_query(&sql).load::<Row>(&mut raw))
                        .unwrap()
                })
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("package_figures_10^6_entries");
    group.sample_size(10);
    group.bench_function("audit_groups", |b| {
        b.to_async(&runtime).iter(|| async {
            let mut conn = store.tenant(org).await.unwrap();
            let groups = audit_groups(&mut conn, agent, AT).await.unwrap();
            conn.commit().await.unwrap();
            assert_eq!(groups.iter().map(|g| g.count).sum::<i64>(), 1_000_000);
        })
    });
    let bare = format!(
        "SELECT display_type, connector, policy_verdict, status, count(*), min(occurred_at), max(occurred_at) \
         FROM events WHERE org_id = '{org}' AND asset_id = '{agent}' AND occurred_at < '2027-01-01' \
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    );
    let mut raw = runtime
        .block_on(AsyncPgConnection::establish(&url))
        .unwrap();
    let groups = runtime.block_on(async {
        let mut conn = store.tenant(org).await.unwrap();
        let groups = audit_groups(&mut conn, agent, AT).await.unwrap();
        conn.commit().await.unwrap();
        groups
    });
    let selected = runtime
        .block_on(diesel::sql_query(&bare).load::<Row>(&mut raw))
        .unwrap();
    assert_eq!(
        selected.len(),
        groups.len(),
        "the bare GROUP BY gives the figures' groups"
    );
    group.bench_function("bare_group_by_sql", |b| {
        b.iter(|| {
            runtime
                .block_on(diesel::sql_query(&bare).load::<Row>(&mut raw))
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
