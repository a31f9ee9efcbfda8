//! `migrate` and `demo` as a user runs them: two migrations at once on one database, and the
//! demo's package, PDF and server.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

use std::io::BufRead;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::Duration;

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

#[test]
fn demo_writes_its_package_and_pdf_then_serves_them() {
    let dir = tempfile::tempdir().unwrap();
    // Run as root, the cluster runs as postgres, which must be able to enter the directory.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut demo = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path().join("var"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "demo"])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = demo.stdout.take().unwrap();
    let (sender, banner) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = sender.send(line);
        }
    });
    // The banner ends with the archivist curl line; a generous bound, not a speed check.
    let mut lines = Vec::new();
    while let Ok(line) = banner.recv_timeout(Duration::from_secs(600)) {
        let done = line.contains("/archivist/v1/compliance/assets/");
        lines.push(line);
        if done {
            break;
        }
    }
    let token = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("export TOKEN="))
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_owned);
    let served = token.as_deref().map(|token| {
        let status = http_status(port, "/v1/compliance", token);
        (status, http_status(port, "/v1/agents", token))
    });
    let _ = Command::new("kill")
        .args(["-TERM", &demo.id().to_string()])
        .status();
    let _ = demo.wait();
    let token = token.unwrap_or_else(|| panic!("no token in the banner: {lines:#?}"));
    assert!(token.starts_with("cst_"), "{token}");
    let (packages, agents) = served.unwrap();
    assert!(packages.contains("200"), "{packages}");
    assert!(agents.contains("200"), "{agents}");
    let written: Vec<_> = std::fs::read_dir(dir.path().join("var/demo"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let json = written
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap_or_else(|| panic!("no package JSON in {written:?}"));
    let package: serde_json::Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    assert_eq!(
        package["content_sha256"].as_str().map(str::len),
        Some(64),
        "{package}"
    );
    assert!(
        package["content"]["control_mappings"]["controls_covered"].is_array(),
        "{package}"
    );
    let generated_at = package["generated_at"].as_str().unwrap();
    time::OffsetDateTime::parse(generated_at, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| panic!("generated_at in RFC 3339: {generated_at}"));
    let pdf = written
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "pdf"))
        .unwrap_or_else(|| panic!("no PDF in {written:?}"));
    assert!(std::fs::read(pdf).unwrap().starts_with(b"%PDF-"));
}

/// The status line of a GET, once the server listens (the banner is printed just before it
/// binds; a generous bound, not a speed check).
fn http_status(port: u16, path: &str, token: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = (0..1200)
        .find_map(|_| {
            std::net::TcpStream::connect(("127.0.0.1", port))
                .inspect_err(|_| std::thread::sleep(Duration::from_millis(100)))
                .ok()
        })
        .expect("the demo listens");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.lines().next().unwrap_or_default().to_owned()
}
