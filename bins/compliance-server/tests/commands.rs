//! `migrate` as a user runs it: two migrations at once on one fresh database.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

use std::process::{Command, Stdio};

use compliance_store::testing::TestDb;

const BIN: &str = env!("CARGO_BIN_EXE_compliance-server");

/// `url` (a `postgres://` URL or a `key=value` string naming `dbname` last) for database `name`.
fn with_database(url: &str, name: &str) -> String {
    if url.starts_with("postgres") {
        let (base, query) = url.split_once('?').map_or((url, ""), |(b, q)| (b, q));
        let (server, _) = base.rsplit_once('/').unwrap();
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        format!("{server}/{name}{query}")
    } else {
        let (before, _) = url.rsplit_once("dbname=").unwrap();
        format!("{before}dbname={name}")
    }
}

#[test]
fn two_migrations_at_once_on_a_fresh_database_both_succeed_and_apply_each_version_once() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = runtime.block_on(TestDb::new());
    let name = format!("fresh_{}", uuid_suffix());
    runtime
        .block_on(compliance_store::ensure_database(&db.url, &name))
        .unwrap();
    let url = with_database(&db.url, &name);
    let dir = tempfile::tempdir().unwrap();
    let start = |n: u32| {
        Command::new(BIN)
            .arg("--data-dir")
            .arg(dir.path().join(format!("var{n}")))
            .arg("migrate")
            .env("DATABASE_URL", &url)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let racing = [start(1), start(2)];
    for child in racing {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(stderr.contains("migrations applied"), "{stderr}");
    }
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"))
        .unwrap()
        .filter(|entry| entry.as_ref().unwrap().path().join("up.sql").is_file())
        .count();
    let applied = runtime.block_on(async {
        use diesel_async::{AsyncConnection, RunQueryDsl};
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            distinct: i64,
        }
        let mut conn = diesel_async::AsyncPgConnection::establish(&url).await.unwrap();
        diesel::sql_query(
            "SELECT count(*) AS n, count(DISTINCT version) AS distinct FROM __diesel_schema_migrations",
        )
        .get_result::<Count>(&mut conn)
        .await
        .unwrap()
    });
    assert_eq!(applied.n, migrations as i64, "every migration applied");
    assert_eq!(applied.distinct, applied.n, "none twice");
    // Again, on a migrated database: nothing to do, and still a success.
    let again = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path().join("var3"))
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

fn uuid_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}_{nanos}", std::process::id())
}
