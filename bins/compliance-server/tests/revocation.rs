//! Revocation across server processes: two servers share one database, both have a token in
//! their cache, the CLI revokes it, and each refuses it on the very next request once it has
//! heard PostgreSQL's notification.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use compliance_store::Role;
use compliance_store::testing::TestDb;

const BIN: &str = env!("CARGO_BIN_EXE_compliance-server");
/// How long to wait for a server to start or a notification to arrive: generous, so that a
/// loaded runner is slow, not failing.
const PATIENCE: Duration = Duration::from_secs(120);
const PATH: &str = "/archivist/v1/compliance_policies";

/// A `compliance-server` process on `DATABASE_URL`, its log read line by line.
struct Running {
    child: Child,
    port: u16,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Running {
    fn start(database_url: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(BIN)
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut running = Self {
            child,
            port,
            lines,
            seen: Vec::new(),
            _dir: dir,
        };
        running.until_logged(&["serving"]);
        running.until_logged(&["listening for token revocations"]);
        running
    }

    /// Waits, within [`PATIENCE`], until a log line holds every one of `words`.
    fn until_logged(&mut self, words: &[&str]) {
        let holds = |line: &String| words.iter().all(|word| line.contains(word));
        let deadline = Instant::now() + PATIENCE;
        while !self.seen.iter().any(holds) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!("never logged {words:?}; logged:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// The status line of a GET with `token`.
    fn status(&self, token: &str) -> String {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(stream, "GET {PATH} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response.lines().next().unwrap_or_default().to_owned()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_token_revoked_through_the_cli_is_refused_by_every_server_once_notified() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = runtime.block_on(TestDb::new());
    // An org exists already, so neither server makes a first admin token.
    let token = runtime.block_on(async {
        let org = db.store.ensure_organization("acme").await.unwrap();
        db.store.issue_token(org.id, Role::Viewer).await.unwrap()
    });
    let mut servers = [Running::start(&db.url), Running::start(&db.url)];
    for server in &servers {
        // Each now holds the token in its cache.
        let status = server.status(&token.secret);
        assert!(status.contains("200"), "{status}");
    }

    let revoked = Command::new(BIN)
        .args(["token", "revoke", &token.id.to_string()])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );

    let id = token.id.to_string();
    for server in &mut servers {
        server.until_logged(&["revoked token evicted", &id]);
        let status = server.status(&token.secret);
        assert!(status.contains("401"), "{status}");
    }
}
