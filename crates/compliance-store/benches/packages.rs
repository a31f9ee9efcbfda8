//! Package generation and batch ingest at scale, each beside its baseline in the same run:
//! - generation for agents with 10^4 and 10^6 audit entries (and 10^7 with
//!   `GENERATION_ENTRIES`): median time and the process's peak memory, beside the bare aggregate
//!   SQL the generation needs (audit GROUP BY kind and day, drift pairing, back-dated count);
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

/// The columns the CSV rows of the `\copy` baseline fill, in order.
const PSQL_COLUMNS: &str = "org_id, asset_id, id, display_type, declared_at, connector, target_resource, policy_verdict, status, duration_ms, metadata, event_attributes";

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

/// Loads `entries` for `agent` in an org of its own, by bare SQL, as leaves of the org's log
/// without their hashes (as the upgrade to leaf indexes on events leaves events that predate the
/// log), then has the store hash them (the backfill an upgraded database does once); the
/// backfill's time.
async fn load_agent(db: &TestDb, org: Uuid, agent: Uuid, entries: i64) -> Duration {
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
        "INSERT INTO events (org_id, asset_id, id, display_type, correlation_value, declared_at, connector, policy_verdict, status, metadata, leaf_index)
         SELECT '{org}', '{agent}', gen_random_uuid(),
                CASE WHEN i % 1000 = 0 THEN 'drift.detected' WHEN i % 1000 = 1 THEN 'drift.resolved'
                     WHEN i % 100 = 2 THEN 'approval.requested' WHEN i % 100 = 3 THEN 'approval.reviewed'
                     ELSE 'connector.called' END,
                CASE WHEN i % 1000 < 2 THEN 'd' || (i / 1000) WHEN i % 100 IN (2, 3) THEN 'a' || (i / 100) END,
                '2026-10-01'::timestamptz + (i::bigint * 2419200 / {entries}) * interval '1 second',
                CASE WHEN i % 100 > 3 THEN (ARRAY['crowdstrike','jira'])[1 + i % 2] END,
                (ARRAY['PERMIT','PERMIT','PERMIT','ESCALATE','DENY'])[1 + i % 5],
                (ARRAY['success','success','error','blocked'])[1 + i % 4],
                CASE WHEN i % 1000 = 0 THEN '{{\"severity\": \"high\"}}'::jsonb ELSE '{{}}'::jsonb END,
                i - 1
         FROM generate_series(1, {entries}) i;
         INSERT INTO log_heads (org_id, size, hashed) VALUES ('{org}', {entries}, 0);
         INSERT INTO log_asset_leaves (org_id, asset_id, leaves) VALUES ('{org}', '{agent}', {entries});"
    ))
    .await
    .unwrap();
    raw.batch_execute("VACUUM ANALYZE events").await.unwrap();
    let started = Instant::now();
    let mut conn = db.store.tenant(org).await.unwrap();
    let size = compliance_store::log::lock(&mut conn).await.unwrap().size;
    conn.commit().await.unwrap();
    let backfill = started.elapsed();
    assert_eq!(size, entries as u64, "every entry is a leaf");
    raw.batch_execute("VACUUM ANALYZE log_hash_runs")
        .await
        .unwrap();
    backfill
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
            generation(&db).await;
        }
        if only.as_deref().is_none_or(|o| o == "ingest") {
            ingest(&db, org).await;
        }
        if only.as_deref().is_none_or(|o| o == "log") {
            proofs(&db).await;
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

async fn generation(db: &TestDb) {
    println!(
        "| agent's entries | generation (median of {RUNS}) | bare aggregate SQL | ratio | peak RSS during generation | their backfill into the log, once |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    // `GENERATION_ENTRIES=10000,1000000,10000000` measures the growth table's sizes too.
    let sizes: Vec<i64> = std::env::var("GENERATION_ENTRIES")
        .unwrap_or_else(|_| "10000,1000000".to_owned())
        .split(',')
        .map(|n| {
            n.trim()
                .parse()
                .expect("GENERATION_ENTRIES: entries separated by commas")
        })
        .collect();
    for (n, entries) in (1u128..).zip(sizes) {
        let agent = Uuid::from_u128(n);
        let org = org_of(db, entries).await;
        let backfill = load_agent(db, org, agent, entries).await;
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
            // The trail by kind and UTC day, as the package counts it (its days counted here).
            format!("SELECT count(DISTINCT day) AS n FROM (SELECT display_type, connector, policy_verdict, status,
                            (occurred_at AT TIME ZONE 'UTC')::date AS day, count(*), min(occurred_at), max(occurred_at)
                     FROM events WHERE org_id = '{org}' AND asset_id = '{agent}' AND occurred_at < now() GROUP BY 1, 2, 3, 4, 5) g"),
            format!("SELECT count(*) AS n FROM events d WHERE org_id = '{org}' AND asset_id = '{agent}' AND display_type = 'drift.detected'
                     AND NOT EXISTS (SELECT 1 FROM events r WHERE r.org_id = d.org_id AND r.asset_id = d.asset_id AND r.display_type = 'drift.resolved'
                                     AND r.correlation_value = d.correlation_value AND r.occurred_at >= d.occurred_at)"),
            // The log anchor's count of back-dated entries: every entry here, as the trail was
            // declared weeks before it was loaded (the worst case for its partial index).
            format!("SELECT count(*) AS n FROM events WHERE org_id = '{org}' AND asset_id = '{agent}' AND occurred_at < now()
                     AND lag_seconds > {}", figures::BACK_DATED_SECONDS),
        ];
        // The baseline must compute what the generation reads: as many groups, as many open.
        let mut conn = db.store.tenant(org).await.unwrap();
        let trail = figures::trail(&mut conn, agent, OffsetDateTime::now_utc())
            .await
            .unwrap();
        let groups = trail.groups;
        let drift = figures::drift(&mut conn, agent, OffsetDateTime::now_utc())
            .await
            .unwrap();
        let back_dated = figures::back_dated(&mut conn, agent, OffsetDateTime::now_utc())
            .await
            .unwrap();
        conn.commit().await.unwrap();
        assert_eq!(
            bare_count(&mut raw, &bare[0]).await,
            trail.activity.len() as i64,
            "the bare GROUP BY, by day"
        );
        assert_eq!(
            bare_count(&mut raw, &bare[1]).await,
            drift.detected - drift.resolved,
            "the bare drift pairing"
        );
        assert_eq!(
            bare_count(&mut raw, &bare[2]).await,
            back_dated.entries,
            "the bare back-dated count"
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
            "| {entries} | {:.1} ms | {:.1} ms | {:.2}× | {} MiB | {:.1} s |",
            g.as_secs_f64() * 1e3,
            b.as_secs_f64() * 1e3,
            g.as_secs_f64() / b.as_secs_f64(),
            peak / 1024,
            backfill.as_secs_f64()
        );
    }
}

/// The org an agent of `entries` is loaded in: its own, so its backfill is its alone.
async fn org_of(db: &TestDb, entries: i64) -> Uuid {
    db.store
        .ensure_organization(&format!("bench-{entries}"))
        .await
        .unwrap()
        .id
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
    let batch: std::sync::Arc<[NewEvent]> = (0..10_000).map(|n| new_entry(agent, n)).collect();
    // Grow the org's log first, so each run appends to a tree of 100,000 leaves, not an empty one.
    for chunk in 0..10 {
        let grown: Vec<NewEvent> = (0..10_000)
            .map(|n| new_entry(agent, chunk * 10_000 + n))
            .collect();
        let mut conn = db.store.tenant(org).await.unwrap();
        events::append_many(&mut conn, grown.into()).await.unwrap();
        conn.commit().await.unwrap();
    }
    let mut ingest = Vec::new();
    let mut unlogged = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let mut conn = db.store.tenant(org).await.unwrap();
        let appended = events::append_many(&mut conn, std::sync::Arc::clone(&batch))
            .await
            .unwrap();
        let size = compliance_store::log::lock(&mut conn).await.unwrap().size;
        conn.rollback().await.unwrap();
        assert_eq!(appended, batch.len());
        assert_eq!(size, 110_000, "the batch is in the log");
        ingest.push(started.elapsed());
        // The same rows without the log: its cost is the difference.
        let started = Instant::now();
        let mut conn = db.store.tenant(org).await.unwrap();
        let inserted = events::insert_many(&mut conn, &batch).await.unwrap();
        conn.rollback().await.unwrap();
        assert_eq!(inserted, batch.len());
        unlogged.push(started.elapsed());
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
        .map(|_| compliance_store::testing::psql_copy(&db.url, &file, batch.len(), PSQL_COLUMNS))
        .collect();
    let (i, c, u) = (median(ingest), median(copy), median(unlogged));
    println!();
    println!("| batch of 10,000 entries | median of {RUNS} | entries/s |");
    println!("|---|---:|---:|");
    println!(
        "| `events::append_many` (tenant transaction, `unnest`, 5,000 rows a statement; logged) | {:.1} ms | {:.0} |",
        i.as_secs_f64() * 1e3,
        10_000.0 / i.as_secs_f64()
    );
    println!(
        "| the same rows without the log (`events::insert_many`) | {:.1} ms | {:.0} |",
        u.as_secs_f64() * 1e3,
        10_000.0 / u.as_secs_f64()
    );
    println!(
        "| with the log ÷ without, in entries/s | {:.2}× | |",
        u.as_secs_f64() / i.as_secs_f64()
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

/// Proofs at 10^6 leaves (the org the generation bench loaded), each beside the bare indexed
/// read of the stored hashes it needs; checkpoint signing beside Ed25519 signing alone.
async fn proofs(db: &TestDb) {
    use compliance_attest::log::{self as tree, Read};
    use compliance_store::log;
    let entries = 1_000_000i64;
    let org = org_of(db, entries).await;
    let agent = Uuid::from_u128(2);
    let mut conn = db.store.tenant(org).await.unwrap();
    let mut size = log::size(&mut conn).await.unwrap();
    conn.commit().await.unwrap();
    if size == 0 {
        load_agent(db, org, agent, entries).await;
        size = entries as u64;
    }
    let mut raw = AsyncPgConnection::establish(&db.url).await.unwrap();
    #[derive(diesel::QueryableByName)]
    struct Leaf {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        event_id: Uuid,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        leaf_index: i64,
    }
    let leaves: Vec<Leaf> = diesel::sql_query(format!(
        "SELECT id AS event_id, leaf_index FROM events WHERE org_id = '{org}' AND leaf_index % 9973 = 17"
    ))
    .load(&mut raw)
    .await
    .unwrap();
    assert!(leaves.len() >= 100, "{} sampled leaves", leaves.len());
    let bare_read = |indexes: Vec<u64>| {
        let list = indexes
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        // Each hash a 32-byte slice of the run holding it, as the store reads them.
        format!(
            "SELECT count(*) AS n FROM unnest(ARRAY[{list}]::int8[]) AS w(i) CROSS JOIN LATERAL ( \
               SELECT substring(hashes FROM ((w.i - first_index) * 32 + 1)::int FOR 32) AS h \
               FROM log_hash_runs WHERE org_id = '{org}' AND first_index <= w.i \
               ORDER BY first_index DESC LIMIT 1) AS r WHERE length(r.h) = 32"
        )
    };
    let (mut inclusion, mut inclusion_bare) = (Vec::new(), Vec::new());
    for leaf in &leaves {
        let started = Instant::now();
        let mut conn = db.store.tenant(org).await.unwrap();
        let proof = log::inclusion(&mut conn, leaf.event_id, Some(size))
            .await
            .unwrap();
        conn.commit().await.unwrap();
        inclusion.push(started.elapsed());
        let hash = tree::leaf_hash(proof.leaf_data.as_bytes());
        tree::verify_inclusion(&proof.proof, proof.leaf_index, size, hash, proof.root).unwrap();
        assert_eq!(proof.leaf_index, leaf.leaf_index as u64);
        // The bare reads: the event (with its leaf index), the proof's hashes and the root's.
        let mut needed = tree::reads(Read::Inclusion {
            index: proof.leaf_index,
            size,
        })
        .unwrap();
        needed.extend(tree::reads(Read::Root { size }).unwrap());
        let sql = [
            format!(
                "SELECT leaf_index AS n FROM events WHERE org_id = '{org}' AND id = '{}'",
                leaf.event_id
            ),
            bare_read(needed),
        ];
        let started = Instant::now();
        for sql in &sql {
            diesel::sql_query(sql).load::<Row>(&mut raw).await.unwrap();
        }
        inclusion_bare.push(started.elapsed());
    }
    let (mut consistency, mut consistency_bare) = (Vec::new(), Vec::new());
    for leaf in &leaves {
        let from = leaf.leaf_index as u64 + 1;
        let started = Instant::now();
        let mut conn = db.store.tenant(org).await.unwrap();
        let proof = log::consistency(&mut conn, from, size).await.unwrap();
        conn.commit().await.unwrap();
        consistency.push(started.elapsed());
        tree::verify_consistency(&proof.proof, from, proof.from_root, size, proof.to_root).unwrap();
        let mut needed = tree::reads(Read::Consistency { from, to: size }).unwrap();
        needed.extend(tree::reads(Read::Root { size: from }).unwrap());
        needed.extend(tree::reads(Read::Root { size }).unwrap());
        let started = Instant::now();
        diesel::sql_query(bare_read(needed))
            .load::<Row>(&mut raw)
            .await
            .unwrap();
        consistency_bare.push(started.elapsed());
    }
    // Signing: a checkpoint of a size not yet signed (root, sign, store), beside signing alone.
    let seal = KeySeal::new(&[5; 32]);
    let mut signing = Vec::new();
    for n in 0..RUNS as u64 {
        let started = Instant::now();
        let mut conn = db.store.tenant(org).await.unwrap();
        log::checkpoint_at(&mut conn, &seal, size - 1 - n)
            .await
            .unwrap();
        conn.rollback().await.unwrap();
        signing.push(started.elapsed());
    }
    let key = compliance_attest::LogKey::from_seed("bench", &[1; 32]).unwrap();
    let root = tree::leaf_hash(b"root");
    let started = Instant::now();
    let signs = 1_000u32;
    for n in 0..signs {
        key.sign_checkpoint(u64::from(n), root).unwrap();
    }
    let sign_alone = started.elapsed() / signs;
    println!();
    println!("| at {size} leaves | median | bare SQL of the same reads | ratio |");
    println!("|---|---:|---:|---:|");
    for (what, ours, bare) in [
        (
            format!(
                "inclusion proof (`log::inclusion`, {} leaves sampled)",
                leaves.len()
            ),
            median(inclusion),
            median(inclusion_bare),
        ),
        (
            format!(
                "consistency proof to the whole tree (`log::consistency`, {} sizes)",
                leaves.len()
            ),
            median(consistency),
            median(consistency_bare),
        ),
        (
            format!("a new checkpoint (`log::checkpoint_at`: root, Ed25519, stored; {RUNS} runs)"),
            median(signing),
            sign_alone,
        ),
    ] {
        println!(
            "| {what} | {:.2} ms | {:.3} ms | {:.1}× |",
            ours.as_secs_f64() * 1e3,
            bare.as_secs_f64() * 1e3,
            ours.as_secs_f64() / bare.as_secs_f64()
        );
    }
    println!(
        "(the last row's baseline is signing the note alone, {signs} times: {:.3} ms each)",
        sign_alone.as_secs_f64() * 1e3
    );
}
