//! The binary's command-line contract, on its embedded database in a temporary data directory.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_compliance-server");

fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    // Run as root, the cluster runs as postgres, which must be able to enter the directory.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn run(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.join("var"))
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap()
}

fn http_get(port: u16, path: &str, token: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.lines().next().map(str::to_owned)
}

#[test]
fn token_create_prints_the_secret_alone_and_revoke_takes_its_id() {
    let dir = data_dir();
    let created = run(
        dir.path(),
        &["token", "create", "--org", "acme", "--role", "auditor"],
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let stdout = String::from_utf8(created.stdout).unwrap();
    let secret = stdout.trim();
    assert_eq!(stdout.lines().count(), 1, "the secret alone: {stdout:?}");
    assert!(secret.starts_with("cst_") && secret.len() == 68, "{secret}");
    let stderr = String::from_utf8(created.stderr).unwrap();
    let id = stderr
        .split_whitespace()
        .skip_while(|word| *word != "token")
        .nth(1)
        .expect("the token id on stderr")
        .to_owned();

    let revoked = run(dir.path(), &["token", "revoke", &id]);
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    let unknown = run(
        dir.path(),
        &["token", "revoke", "00000000-0000-0000-0000-000000000000"],
    );
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no token"),
        "{unknown:?}"
    );
    let bad_role = run(
        dir.path(),
        &["token", "create", "--org", "acme", "--role", "root"],
    );
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("not a role"));
}

#[test]
fn a_second_command_uses_the_running_cluster_and_the_server_stops_it_on_sigterm() {
    let dir = data_dir();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut server = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path().join("var"))
        .args(["--listen", &listen])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let admin = dir.path().join("var/admin-token");
    let mut ready = false;
    for _ in 0..120 {
        if admin.exists() && http_get(port, "/readyz", "").is_some_and(|l| l.contains("200")) {
            ready = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(ready, "the server did not become ready");
    let mode = std::fs::metadata(&admin).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "admin-token is private");

    // While the server runs, a second command on the same directory uses its cluster.
    let created = run(
        dir.path(),
        &["token", "create", "--org", "acme", "--role", "viewer"],
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let secret = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    let status = http_get(port, "/archivist/v1/compliance_policies", &secret).unwrap();
    assert!(status.contains("200"), "{status}");

    // SIGTERM: the server drains, then stops the cluster it started.
    Command::new("kill")
        .arg("-TERM")
        .arg(server.id().to_string())
        .status()
        .unwrap();
    assert!(server.wait().unwrap().success());
    let socket = dir.path().join("var/run/.s.PGSQL.5432");
    assert!(!socket.exists(), "the cluster is stopped");
}
