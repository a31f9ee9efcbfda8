//! Package generation and batch ingest at scale, each beside its baseline in the same run:
//! - generation for agents with 10^4 and 10^6 audit entries: median time and the process's peak
//!   memory, beside the bare aggregate SQL the generation needs (audit GROUP BY + drift);
//! - batch ingest of 10,000 entries through `events::append_many` in one tenant transaction,
//!   beside psql's `\copy` of the same rows.
//!
//! A baseline that fails, or answers other than what it stands for, fails the bench.
//!
//! Prints markdown rows for docs/performance.md. Run:
//! `cargo bench -p compliance-store --bench packages [-- generation | -- ingest]`
#![allow(clippy::expect_used, clippy::unwrap_used)] // benchmark set-up with known-good inputs

use std::time::{Duration, Instant};

use compliance_core::AgentProfile;
use compliance_core::package::Framework;
use compliance_store::agents;
use compliance_store::events::{self, AuditFields, Metadata, NewEvent};
use compliance_store::figures;
use compliance_store::generation::generate;
use compliance_store::signing::KeySeal;
use compliance_store::testing::TestDb;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use time::OffsetDateTime;
use uuid::Uuid;

const RUNS: usize = 5;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The process's peak resident memory since the last reset, in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

#[derive(diesel::QueryableByName)]
#[allow(dead_code)] // read only to make the rows arrive
struct Row {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn load_agent(db: &TestDb, org: Uuid, agent: Uuid, entries: i64) {
    let mut conn = db.store.tenant(org).await.unwrap();
    agents::create(
        &mut conn,
        &AgentProfile {
            id: agent,
            name: format!("agent-{entries}"),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    conn.commit().await.unwrap();
    let mut raw = AsyncPgConnection::establish(&db.url).await.unwrap();
    // Four weeks of calls across two connectors, with approvals, and drift every 1,000 entries.
    raw.batch_execute(&format!(
        "INSERT INTO events (org_id, asset_id, id, display_type, correlation_value, declared_at, connector, policy_verdict, status, metadata)
         SELECT '{org}', '{agent}', gen_random_uuid(),
                CASE WHEN i % 1000 = 0 THEN 'drift.detected' WHEN i % 1000 = 1 THEN 'drift.resolved'
                     WHEN i % 100 = 2 THEN 'approval.requested' WHEN i % 100 = 3 THEN 'approval.reviewed'
                     ELSE 'connector.called' END,
                CASE WHEN i % 1000 < 2 THEN 'd' || (i / 1000) WHEN i % 100 IN (2, 3) THEN 'a' || (i / 100) END,
                '2026-10-01'::timestamptz + (i::bigint * 2419200 / {entries}) * interval '1 second',
                CASE WHEN i % 100 > 3 THEN (ARRAY['crowdstrike','jira'])[1 + i % 2] END,
                (ARRAY['PERMIT','PERMIT','PERMIT','ESCALATE','DENY'])[1 + i % 5],
                (ARRAY['success','success','error','blocked'])[1 + i % 4],
                CASE WHEN i % 1000 = 0 THEN '{{\"severity\": \"high\"}}'::jsonb ELSE '{{}}'::jsonb END
         FROM generate_series(1, {entries}) i"
    ))
    .await
    .unwrap();
    raw.batch_execute("VACUUM ANALYZE events").await.unwrap();
}

fn new_entry(agent: Uuid, n: u32) -> NewEvent {
    NewEvent {
        id: Uuid::new_v4(),
        asset_id: agent,
        display_type: "connector.called".to_owned(),
        correlation_value: None,
        declared_at: Some(OffsetDateTime::now_utc()),
        operation: "Record".to_owned(),
        behaviour: "RecordEvidence".to_owned(),
        event_attributes: [("arc_display_type".to_owned(), "connector.called".to_owned())].into(),
        asset_attributes: Default::default(),
        principal_declared: serde_json::json!({}),
        audit: AuditFields {
            connector: Some("jira".to_owned()),
            target_resource: Some(format!("SOC-{n}")),
            policy_verdict: Some(compliance_core::Verdict::Permit),
            status: Some(compliance_core::Outcome::Success),
            duration_ms: Some(12),
            metadata: Metadata::from_value(&serde_json::json!({"n": n})),
        },
    }
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument names the one part to measure.
    let only = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let db = TestDb::new().await;
        let org = db.store.ensure_organization("bench").await.unwrap().id;
        if only.as_deref().is_none_or(|o| o == "generation") {
            generation(&db, org).await;
        }
        if only.as_deref().is_none_or(|o| o == "ingest") {
            ingest(&db, org).await;
        }
    });
}

/// The bare SQL's single count, which must be what the store's figure says.
async fn bare_count(raw: &mut AsyncPgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Row>(raw)
        .await
        .unwrap()
        .n
}

async fn generation(db: &TestDb, org: Uuid) {
    println!(
        "| agent's entries | generation (median of {RUNS}) | bare aggregate SQL | ratio | peak RSS during generation |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for (n, entries) in [(1u128, 10_000i64), (2, 1_000_000)] {
        let agent = Uuid::from_u128(n);
        load_agent(db, org, agent, entries).await;
        let at = OffsetDateTime::now_utc();
        let mut generation = Vec::new();
        reset_peak_rss();
        for _ in 0..RUNS {
            let started = Instant::now();
            let mut conn = db.store.tenant(org).await.unwrap();
            generate(
                &mut conn,
                agent,
                Uuid::nil(),
                at,
                Framework::ALL,
                &KeySeal::new(&[5; 32]),
            )
            .await
            .unwrap();
            // Rolled back, so every run sees the same trail and makes version 1.
            conn.rollback().await.unwrap();
            generation.push(started.elapsed());
        }
        let peak = peak_rss_kib();
        let mut raw = AsyncPgConnection::establish(&db.url).await.unwrap();
        let bare = [
            format!("SELECT count(*) AS n FROM (SELECT display_type, connector, policy_verdict, status, count(*), min(occurred_at), max(occurred_at)
                     FROM events WHERE org_id = '{org}' AND asset_id = '{agent}' AND occurred_at < now() GROUP BY 1, 2, 3, 4) g"),
            format!("SELECT count(*) AS n FROM events d WHERE org_id = '{org}' AND asset_id = '{agent}' AND display_type = 'drift.detected'
                     AND NOT EXISTS (SELECT 1 FROM events r WHERE r.org_id = d.org_id AND r.asset_id = d.asset_id AND r.display_type = 'drift.resolved'
                                     AND r.correlation_value = d.correlation_value AND r.occurred_at >= d.occurred_at)"),
        ];
        // The baseline must compute what the generation reads: as many groups, as many open.
        let mut conn = db.store.tenant(org).await.unwrap();
        let groups = figures::audit_groups(&mut conn, agent, OffsetDateTime::now_utc())
            .await
            .unwrap();
        let drift = figures::drift(&mut conn, agent, OffsetDateTime::now_utc())
            .await
            .unwrap();
        conn.commit().await.unwrap();
        assert_eq!(
            bare_count(&mut raw, &bare[0]).await,
            groups.len() as i64,
            "the bare GROUP BY"
        );
        assert_eq!(
            bare_count(&mut raw, &bare[1]).await,
            drift.detected - drift.resolved,
            "the bare drift pairing"
        );
        assert!(
            !groups.is_empty() && drift.detected > 0,
            "the trail is loaded"
        );
        let mut baseline = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            for sql in &bare {
                diesel::sql_query(sql).load::<Row>(&mut raw).await.unwrap();
            }
            baseline.push(started.elapsed());
        }
        let (g, b) = (median(generation), median(baseline));
        println!(
            "| {entries} | {:.1} ms | {:.1} ms | {:.2}× | {} MiB |",
            g.as_secs_f64() * 1e3,
            b.as_secs_f64() * 1e3,
            g.as_secs_f64() / b.as_secs_f64(),
            peak / 1024
        );
    }
}

/// psql's `\copy` of `file` into events in a transaction it rolls back: the time psql reports
/// for its three statements (BEGIN, COPY, ROLLBACK), so no process start or login. Any error
/// stops psql and fails the bench, and so does any answer but `COPY <rows>`.
fn psql_copy(url: &str, file: &std::path::Path, rows: usize) -> Duration {
    let output = std::process::Command::new("psql")
        .arg(url)
        .args(["-X", "-v", "ON_ERROR_STOP=1", "-c", "\\timing on", "-c", "BEGIN", "-c"])
        .arg(format!("\\copy events (org_id, asset_id, id, display_type, declared_at, connector, target_resource, policy_verdict, status, duration_ms, metadata, event_attributes) FROM '{}' CSV", file.display()))
        .args(["-c", "ROLLBACK"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "psql failed ({}): {stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.lines().any(|l| l == format!("COPY {rows}")),
        "psql did not copy {rows} rows: {stdout}"
    );
    let times: Vec<f64> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("Time: "))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    assert_eq!(times.len(), 3, "a time for each statement: {stdout}");
    Duration::from_secs_f64(times.iter().sum::<f64>() / 1e3)
}

async fn ingest(db: &TestDb, org: Uuid) {
    // Batch ingest: 10,000 entries in one transaction, beside \copy of the same rows.
    let agent = Uuid::from_u128(3);
    let mut conn = db.store.tenant(org).await.unwrap();
    agents::create(
        &mut conn,
        &AgentProfile {
            id: agent,
            name: "ingest".to_owned(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    conn.commit().await.unwrap();
    let batch: Vec<NewEvent> = (0..10_000).map(|n| new_entry(agent, n)).collect();
    let mut ingest = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let mut conn = db.store.tenant(org).await.unwrap();
        let appended = events::append_many(&mut conn, &batch).await.unwrap();
        conn.rollback().await.unwrap();
        assert_eq!(appended, batch.len());
        ingest.push(started.elapsed());
    }
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let csv: String = batch
        .iter()
        .enumerate()
        .map(|(n, e)| format!("{org},{agent},{},connector.called,{},jira,SOC-{n},PERMIT,success,12,\"{{\"\"n\"\": {n}}}\",\"{{\"\"arc_display_type\"\": \"\"connector.called\"\"}}\"\n",
            e.id, e.declared_at.unwrap().format(rfc3339).unwrap()))
        .collect();
    let dir = tempfile_dir();
    let file = dir.join("rows.csv");
    std::fs::write(&file, csv).unwrap();
    let copy: Vec<Duration> = (0..RUNS)
        .map(|_| psql_copy(&db.url, &file, batch.len()))
        .collect();
    let (i, c) = (median(ingest), median(copy));
    println!();
    println!("| batch of 10,000 entries | median of {RUNS} | entries/s |");
    println!("|---|---:|---:|");
    println!(
        "| `events::append_many` (tenant transaction, `unnest`, 5,000 rows a statement) | {:.1} ms | {:.0} |",
        i.as_secs_f64() * 1e3,
        10_000.0 / i.as_secs_f64()
    );
    println!(
        "| psql `\\copy` of the same rows (BEGIN, COPY, ROLLBACK as psql's `\\timing` gives them) | {:.1} ms | {:.0} |",
        c.as_secs_f64() * 1e3,
        10_000.0 / c.as_secs_f64()
    );
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("compliance-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
