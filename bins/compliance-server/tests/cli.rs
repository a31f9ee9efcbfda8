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
    // A stale token file from an earlier database, readable by all: replaced, and private.
    std::fs::create_dir(dir.path().join("var")).unwrap();
    let admin = dir.path().join("var/admin-token");
    std::fs::write(&admin, "stale\n").unwrap();
    std::fs::set_permissions(&admin, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut server = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path().join("var"))
        .args(["--listen", &listen])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Generous: a first start runs initdb, which a loaded runner makes slow, not failing.
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    let mut ready = false;
    while std::time::Instant::now() < deadline {
        let written = std::fs::read_to_string(&admin).is_ok_and(|t| t.starts_with("cst_"));
        if written && http_get(port, "/readyz", "").is_some_and(|l| l.contains("200")) {
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

/// Stops `child` with SIGTERM and waits for it.
fn terminate(child: &mut std::process::Child) {
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    child.wait().unwrap();
}

/// Waits up to `limit` for `child` to exit by itself; kills it (and gives `None`) otherwise.
fn exit_within(
    child: &mut std::process::Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    None
}

#[test]
fn a_planted_symlink_at_admin_token_stops_the_server_and_its_target_is_untouched() {
    let dir = data_dir();
    std::fs::create_dir(dir.path().join("var")).unwrap();
    let target = dir.path().join("someone-elses-file");
    std::fs::write(&target, "precious\n").unwrap();
    std::os::unix::fs::symlink(&target, dir.path().join("var/admin-token")).unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let mut server = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path().join("var"))
        .args(["--listen", &listen])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = exit_within(&mut server, Duration::from_secs(120));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut server.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.is_some_and(|s| !s.success()), "{status:?}: {stderr}");
    assert!(
        stderr.contains("admin-token") && stderr.contains("symbolic link"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
    assert_eq!(mode(&target), 0o644);
}

/// A running `demo`: its port, and the token its banner showed.
struct Demo {
    child: std::process::Child,
    port: u16,
    token: String,
}

/// Starts `demo` and waits (a generous bound, not a speed check) until its banner shows the
/// token.
fn start_demo(dir: &std::path::Path) -> Demo {
    use std::io::BufRead;
    let port = free_port();
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.join("var"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "demo"])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, tokens) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(rest) = line.trim().strip_prefix("export TOKEN=") {
                let token = rest.split_whitespace().next().unwrap_or_default();
                let _ = sender.send(token.to_owned());
            }
        }
    });
    match tokens.recv_timeout(Duration::from_secs(600)) {
        Ok(token) => Demo { child, port, token },
        Err(_) => {
            terminate(&mut child);
            panic!("the demo printed no token");
        }
    }
}

/// Runs `demo` until its banner shows the token, stops it, and gives that token.
fn demo_token(dir: &std::path::Path) -> String {
    let mut demo = start_demo(dir);
    terminate(&mut demo.child);
    demo.token
}

#[test]
fn demo_writes_its_package_and_pdf_then_serves_them() {
    let dir = data_dir();
    let mut demo = start_demo(dir.path());
    // The banner is printed just before the server binds: wait for it to answer.
    let answered = |path: &str| {
        (0..1200)
            .find_map(|_| {
                http_get(demo.port, path, &demo.token).or_else(|| {
                    std::thread::sleep(Duration::from_millis(100));
                    None
                })
            })
            .unwrap_or_default()
    };
    let (packages, agents) = (answered("/v1/compliance"), answered("/v1/agents"));
    // The API's description and its page, on the demo server.
    let (description, page) = (answered("/openapi.json"), answered("/docs/"));
    terminate(&mut demo.child);
    assert!(demo.token.starts_with("cst_"), "{}", demo.token);
    assert!(packages.contains("200"), "{packages}");
    assert!(agents.contains("200"), "{agents}");
    assert!(description.contains("200"), "{description}");
    assert!(page.contains("200"), "{page}");
    let written: Vec<_> = std::fs::read_dir(dir.path().join("var/demo"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let json = written
        .iter()
        .find(|p| {
            p.extension().is_some_and(|e| e == "json")
                && !p.to_string_lossy().ends_with(".attestation.json")
        })
        .unwrap_or_else(|| panic!("no package JSON in {written:?}"));
    let attestation = written
        .iter()
        .find(|p| p.to_string_lossy().ends_with(".attestation.json"))
        .unwrap_or_else(|| panic!("no attestation in {written:?}"));
    let envelope: serde_json::Value =
        serde_json::from_slice(&std::fs::read(attestation).unwrap()).unwrap();
    assert_eq!(
        envelope["payloadType"], "application/vnd.in-toto+json",
        "{envelope}"
    );
    let package: serde_json::Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    assert_eq!(
        package["content_sha256"].as_str().map(str::len),
        Some(64),
        "{package}"
    );
    // The API's shape (`GET /v1/compliance/{id}`): every section at the top level.
    for section in [
        "agent",
        "execution_graph",
        "data_flow_diagram",
        "vsq_responses",
        "sub_processors",
        "control_mappings",
        "compliance_policies",
        "drift",
    ] {
        assert!(
            package[section].is_object() || package[section].is_array(),
            "{section}: {package}"
        );
    }
    assert!(
        package["control_mappings"]["controls_covered"].is_array(),
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

#[test]
fn demo_reuses_its_admin_token_on_every_run() {
    let dir = data_dir();
    let first = demo_token(dir.path());
    let default_token = std::fs::read_to_string(dir.path().join("var/admin-token")).unwrap();
    let second = demo_token(dir.path());
    assert!(first.starts_with("cst_"), "{first}");
    assert_eq!(first, second, "no new admin token on a second run");
    let kept = dir.path().join("var/demo/admin-token");
    assert_eq!(std::fs::read_to_string(&kept).unwrap().trim(), first);
    assert_eq!(mode(&kept), 0o600);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("var/admin-token")).unwrap(),
        default_token,
        "the first start's token is kept"
    );
}

/// Removes a directory however the test ends.
struct RemoveDir(std::path::PathBuf);

impl Drop for RemoveDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn as_root_a_data_directory_the_postgres_account_cannot_reach_works_and_the_output_says_where() {
    use compliance_store::embedded::{RELOCATED_ROOT, relocated_name};
    if !nix::unistd::Uid::effective().is_root() {
        return; // Only root runs the cluster as another account.
    }
    // Like a checkout under /root: closed to every other account.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let home = std::path::Path::new(RELOCATED_ROOT).join(relocated_name(
        &std::fs::canonicalize(dir.path()).unwrap().join("var"),
    ));
    let _remove = RemoveDir(home.clone());
    for _ in 0..2 {
        let created = run(
            dir.path(),
            &["token", "create", "--org", "acme", "--role", "viewer"],
        );
        let stderr = String::from_utf8_lossy(&created.stderr);
        assert!(created.status.success(), "{stderr}");
        assert!(
            stderr.contains(&home.display().to_string()),
            "says where: {stderr}"
        );
    }
    assert_eq!(mode(dir.path()), 0o700, "nothing opened to others");
    assert_eq!(mode(&home), 0o700);
    assert!(home.join("postgres/PG_VERSION").is_file());
}
