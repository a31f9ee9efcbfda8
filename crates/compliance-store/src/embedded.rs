//! A private PostgreSQL cluster run from the binaries installed on the machine, for when no
//! `DATABASE_URL` is given: data in `<home>/postgres`, a Unix socket in `<home>/run`, no TCP.
//! Its home is the data directory, or, run as root when the `postgres` account cannot reach
//! that, `/var/lib/compliance/<name>`. Nobody else gets in: both directories and the socket are
//! 0700, the superuser logs in by peer authentication, the tenant role by password.

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use nix::unistd::{Gid, Uid, User};
use sha2::{Digest, Sha256};

use crate::store::TENANT_ROLE;

/// The port names the socket file (`.s.PGSQL.5432`); nothing listens on TCP.
const PORT: u16 = 5432;
/// The cluster's superuser, and the account that runs it when we are root.
const SUPERUSER: &str = "postgres";
/// Unix socket paths are limited to 107 bytes on Linux.
const MAX_SOCKET_PATH: usize = 100;
/// Where a root-run cluster lives when the postgres account cannot reach the data directory.
pub const RELOCATED_ROOT: &str = "/var/lib/compliance";
/// The pg_ident map of the OS accounts that may log in as the superuser.
const OWNER_MAP: &str = "owner";
/// Our settings, rewritten on every start and included last by `postgresql.conf`.
const SETTINGS_FILE: &str = "compliance.conf";
const INCLUDE_SETTINGS: &str = "include 'compliance.conf'";

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "PostgreSQL's server binaries (initdb, pg_ctl, postgres) were not found on PATH, in \
         `pg_config --bindir` or under /usr/lib/postgresql/*/bin: install PostgreSQL \
         (Debian: apt-get install postgresql) or set DATABASE_URL to use an existing server"
    )]
    NoBinaries,
    #[error("running as root needs a `postgres` user to run the cluster as (initdb refuses root)")]
    NoPostgresUser,
    #[error(
        "the data directory {0} gives a socket path longer than 100 bytes: choose a shorter one"
    )]
    PathTooLong(PathBuf),
    #[error(
        "the postgres account cannot enter {0}, on the way to the cluster already in the data \
         directory: let it in (chmod o+x {0}) or move the data directory where it can reach"
    )]
    Unreachable(PathBuf),
    #[error("{0}")]
    Io(String),
    #[error("{command} failed: {output}")]
    Command { command: String, output: String },
}

type Result<T> = std::result::Result<T, EmbeddedError>;

fn io(what: &str, path: &Path) -> impl FnOnce(std::io::Error) -> EmbeddedError {
    let what = format!("{what} {}", path.display());
    move |error| EmbeddedError::Io(format!("{what}: {error}"))
}

/// The directory holding initdb, pg_ctl and postgres.
#[derive(Debug, Clone)]
pub struct Binaries {
    dir: PathBuf,
}

impl Binaries {
    /// Looks on PATH, then in `pg_config --bindir`, then in the newest /usr/lib/postgresql/*/bin.
    pub fn find() -> Result<Self> {
        let complete = |dir: &Path| {
            ["initdb", "pg_ctl", "postgres"]
                .iter()
                .all(|t| dir.join(t).is_file())
        };
        let on_path = std::env::var_os("PATH")
            .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
            .unwrap_or_default();
        let from_pg_config = Command::new("pg_config")
            .arg("--bindir")
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        let mut versioned: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let version = entry.file_name().to_string_lossy().parse().ok()?;
                Some((version, entry.path().join("bin")))
            })
            .collect();
        versioned.sort();
        on_path
            .into_iter()
            .chain(from_pg_config)
            .chain(versioned.into_iter().rev().map(|(_, dir)| dir))
            .find(|dir| complete(dir))
            .map(|dir| Self { dir })
            .ok_or(EmbeddedError::NoBinaries)
    }

    /// The path of one of PostgreSQL's programs (`psql`, `pg_ctl`…) in this directory.
    pub fn tool(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// How the cluster trades safety for speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync on: for data that must survive a crash.
    Durable,
    /// fsync off: for throwaway test clusters.
    Throwaway,
}

/// A cluster for a data directory: started by [`Cluster::open`] unless already running there.
#[derive(Debug)]
pub struct Cluster {
    binaries: Binaries,
    /// The directory the caller named (canonical): the admin token and the demo live there.
    data_dir: PathBuf,
    /// Holds `postgres/` and `run/`: the data directory, or a relocated one under
    /// [`RELOCATED_ROOT`].
    home: PathBuf,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    /// The unprivileged account to run as, when we are root.
    run_as: Option<(Uid, Gid)>,
    /// Whether this process started it (and so stops it).
    started_here: bool,
}

impl Cluster {
    /// Initializes the cluster for `data_dir` if it is new, (re)writes its configuration and
    /// starts it, unless it already runs (say, under a server while this is a second command).
    pub fn open(data_dir: &Path, durability: Durability) -> Result<Self> {
        let binaries = Binaries::find()?;
        let run_as = cluster_account()?;
        let data_dir = make_data_dir(data_dir, run_as.is_some())?;
        let home = home_for(&data_dir, run_as)?;
        let socket_dir = home.join("run");
        if socket_dir
            .join(format!(".s.PGSQL.{PORT}"))
            .as_os_str()
            .len()
            > MAX_SOCKET_PATH
        {
            return Err(EmbeddedError::PathTooLong(data_dir));
        }
        let mut cluster = Self {
            binaries,
            pgdata: home.join("postgres"),
            socket_dir,
            data_dir,
            home,
            run_as,
            started_here: false,
        };
        cluster.make_private_dirs()?;
        if !cluster.pgdata.join("PG_VERSION").is_file() {
            cluster.initdb(durability)?;
        }
        if !cluster.is_running() {
            cluster.configure(durability)?;
            cluster.start()?;
            cluster.started_here = true;
        }
        Ok(cluster)
    }

    /// A connection string for `database` as the superuser, over the private socket.
    pub fn url(&self, database: &str) -> String {
        let quote = |text: &str| format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"));
        format!(
            "host={} port={PORT} user={SUPERUSER} dbname={}",
            quote(&self.socket_dir.to_string_lossy()),
            quote(database)
        )
    }

    /// The data directory this cluster serves (canonical).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Where the cluster's own directories are: the data directory unless relocated.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Whether the cluster lives under [`RELOCATED_ROOT`] rather than in the data directory.
    pub fn relocated(&self) -> bool {
        self.home != self.data_dir
    }

    /// The cluster's data (`PGDATA`).
    pub fn pgdata(&self) -> &Path {
        &self.pgdata
    }

    /// The directory holding the Unix socket.
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The programs this cluster runs.
    pub fn binaries(&self) -> &Binaries {
        &self.binaries
    }

    /// Whether this process started the cluster (and so should stop it).
    pub fn started_here(&self) -> bool {
        self.started_here
    }

    /// Stops the cluster if this process started it; a cluster found running is left alone.
    pub fn stop(&mut self) -> Result<()> {
        if self.started_here {
            self.pg_ctl(&["stop", "-m", "fast", "-w"])?;
            self.started_here = false;
        }
        Ok(())
    }

    /// Stops the cluster and removes its home when this process exits, however it exits: a
    /// watchdog, run as the cluster's account, waits for the end of a pipe only this process
    /// holds. The account must own the home to remove it (see [`hand_to_cluster_account`]).
    pub fn remove_on_exit(&self) -> Result<ChildStdin> {
        let script =
            "cat >/dev/null; \"$0\" -D \"$1\" -m immediate stop >/dev/null 2>&1; rm -rf \"$2\"";
        let mut watchdog = self.command("sh");
        watchdog
            .arg("-c")
            .arg(script)
            .arg(self.binaries.tool("pg_ctl"))
            .arg(&self.pgdata)
            .arg(&self.home)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child: Child = watchdog
            .spawn()
            .map_err(|e| EmbeddedError::Io(format!("cannot start the watchdog: {e}")))?;
        child
            .stdin
            .take()
            .ok_or_else(|| EmbeddedError::Io("the watchdog has no stdin".to_owned()))
    }

    /// The home (when relocated), `postgres/` and `run/`: 0700 and the cluster account's, also
    /// when they existed before with looser modes.
    fn make_private_dirs(&self) -> Result<()> {
        if self.relocated() {
            // Root's, and only traversable by others: the names inside are not listed.
            make_dir(Path::new(RELOCATED_ROOT), 0o711, None)?;
            make_dir(&self.home, 0o700, self.run_as)?;
        }
        make_dir(&self.pgdata, 0o700, self.run_as)?;
        make_dir(&self.socket_dir, 0o700, self.run_as)
    }

    fn initdb(&self, durability: Durability) -> Result<()> {
        // No trust even before our pg_hba.conf replaces initdb's: peer locally, no TCP at all.
        let mut args: Vec<&OsStr> = vec![
            "-D".as_ref(),
            self.pgdata.as_os_str(),
            "-U".as_ref(),
            SUPERUSER.as_ref(),
            "--auth-local=peer".as_ref(),
            "--auth-host=reject".as_ref(),
            "--encoding=UTF8".as_ref(),
            "--no-locale".as_ref(),
        ];
        if durability == Durability::Throwaway {
            args.push("--no-sync".as_ref());
        }
        self.run("initdb", &args)
    }

    /// Writes our settings, `pg_hba.conf` and `pg_ident.conf`, on every start: a cluster made
    /// by an older version (trust auth, an open socket) is brought to the same rules.
    fn configure(&self, durability: Durability) -> Result<()> {
        self.write_private(SETTINGS_FILE, &self.settings(durability))?;
        self.include_settings()?;
        self.write_private("pg_hba.conf", &hba())?;
        self.write_private("pg_ident.conf", &self.ident()?)
    }

    fn settings(&self, durability: Durability) -> String {
        let mut settings = format!(
            "# compliance-server: a private cluster (rewritten on every start)\n\
             listen_addresses = ''\n\
             unix_socket_directories = '{}'\n\
             unix_socket_permissions = 0700\n\
             port = {PORT}\n\
             max_connections = 200\n\
             password_encryption = 'scram-sha-256'\n",
            self.socket_dir.to_string_lossy().replace('\'', "''")
        );
        if durability == Durability::Throwaway {
            settings.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
        }
        settings
    }

    /// Appends the include of our settings to `postgresql.conf` once; last, so it wins.
    fn include_settings(&self) -> Result<()> {
        let conf = self.pgdata.join("postgresql.conf");
        let text = fs::read_to_string(&conf).map_err(io("cannot read", &conf))?;
        if text.lines().any(|line| line.trim() == INCLUDE_SETTINGS) {
            return Ok(());
        }
        fs::OpenOptions::new()
            .append(true)
            .open(&conf)
            .and_then(|mut file| writeln!(file, "\n{INCLUDE_SETTINGS}"))
            .map_err(io("cannot configure", &conf))
    }

    /// The OS accounts that may log in as the superuser: this process's, and the cluster's.
    fn ident(&self) -> Result<String> {
        let mut accounts = vec![account_name(Uid::effective())?];
        if self.run_as.is_some() {
            accounts.push(SUPERUSER.to_owned());
        }
        let mut text = "# compliance-server: who may log in as the superuser \
                        (rewritten on every start)\n# MAPNAME  SYSTEM-USERNAME  PG-USERNAME\n"
            .to_owned();
        for account in accounts {
            text.push_str(&format!("{OWNER_MAP}  {account}  {SUPERUSER}\n"));
        }
        Ok(text)
    }

    /// Writes `name` in PGDATA: 0600 and the cluster account's.
    fn write_private(&self, name: &str, contents: &str) -> Result<()> {
        let path = self.pgdata.join(name);
        fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut file| file.write_all(contents.as_bytes()))
            .map_err(io("cannot write", &path))?;
        own(&path, 0o600, self.run_as)
    }

    /// Starts the cluster again if this process started it and its postmaster has gone (killed,
    /// crashed); whether it had to. While the dead postmaster's backends are still leaving,
    /// the start fails, and the next call tries again.
    pub fn revive(&mut self) -> Result<bool> {
        if !self.started_here || self.is_running() {
            return Ok(false);
        }
        self.start()?;
        Ok(true)
    }

    fn is_running(&self) -> bool {
        self.command(self.binaries.tool("pg_ctl"))
            .arg("-D")
            .arg(&self.pgdata)
            .arg("status")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    fn start(&self) -> Result<()> {
        let log = self.socket_dir.join("postgres.log");
        let log = log.to_string_lossy();
        self.pg_ctl(&["-l", &log, "-w", "-t", "60", "start"])
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<()> {
        let mut all: Vec<&OsStr> = vec!["-D".as_ref(), self.pgdata.as_os_str()];
        all.extend(args.iter().map(|a| OsStr::new(*a)));
        self.run("pg_ctl", &all)
    }

    fn run(&self, tool: &str, args: &[&OsStr]) -> Result<()> {
        let output = self
            .command(self.binaries.tool(tool))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| EmbeddedError::Io(format!("cannot run {tool}: {e}")))?;
        if output.status.success() {
            return Ok(());
        }
        let mut text = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        if text.is_empty() {
            text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        }
        Err(EmbeddedError::Command {
            command: format!(
                "{tool} {}",
                args.iter()
                    .map(|a| a.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            output: text,
        })
    }

    /// A command run as the cluster's account, from a directory that account can enter.
    fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        command.current_dir(&self.pgdata);
        if let Some((uid, gid)) = self.run_as {
            // std clears supplementary groups when a root process switches uid.
            command.uid(uid.as_raw()).gid(gid.as_raw());
        }
        command
    }
}

/// Only the superuser (by peer, through the `owner` map) and the tenant role (by password) get
/// in, over the socket; every other role, and TCP, matches no line and is refused.
fn hba() -> String {
    format!(
        "# compliance-server: nothing is trusted (rewritten on every start)\n\
         # TYPE  DATABASE  USER  METHOD\n\
         local  all  {SUPERUSER}  peer map={OWNER_MAP}\n\
         local  all  {TENANT_ROLE}  scram-sha-256\n"
    )
}

/// Hands `dir` to the account a cluster runs as (`postgres` when we are root; no change
/// otherwise), so that the cluster can live in it and its watchdog can remove it.
pub fn hand_to_cluster_account(dir: &Path) -> Result<()> {
    match cluster_account()? {
        Some(account) => own(dir, 0o700, Some(account)),
        None => Ok(()),
    }
}

/// The `postgres` account when we are root (initdb refuses root); ourselves otherwise.
fn cluster_account() -> Result<Option<(Uid, Gid)>> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    let user = User::from_name(SUPERUSER)
        .ok()
        .flatten()
        .ok_or(EmbeddedError::NoPostgresUser)?;
    Ok(Some((user.uid, user.gid)))
}

fn account_name(uid: Uid) -> Result<String> {
    User::from_uid(uid)
        .ok()
        .flatten()
        .map(|user| user.name)
        .ok_or_else(|| EmbeddedError::Io(format!("uid {uid} has no account name (peer auth)")))
}

/// Creates the data directory if missing (0700; 0711 as root, so that the postgres account may
/// pass through to a cluster inside it) and gives its canonical path.
fn make_data_dir(dir: &Path, as_root: bool) -> Result<PathBuf> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(if as_root { 0o711 } else { 0o700 })
        .create(dir)
        .map_err(io("cannot create", dir))?;
    dir.canonicalize().map_err(io("cannot resolve", dir))
}

/// The data directory, unless the cluster account cannot reach it: then a directory of its own
/// under [`RELOCATED_ROOT`], named after the data directory, so that its parents stay closed.
fn home_for(data_dir: &Path, run_as: Option<(Uid, Gid)>) -> Result<PathBuf> {
    let Some((uid, gid)) = run_as else {
        return Ok(data_dir.to_owned());
    };
    match data_dir.ancestors().find(|dir| !enterable(dir, uid, gid)) {
        None => Ok(data_dir.to_owned()),
        // A cluster made here by an older version stays: moving would orphan its data.
        Some(blocked) if data_dir.join("postgres/PG_VERSION").exists() => {
            Err(EmbeddedError::Unreachable(blocked.to_owned()))
        }
        Some(_) => Ok(Path::new(RELOCATED_ROOT).join(relocated_name(data_dir))),
    }
}

/// A stable name for a data directory: its last component, then a digest of its whole path.
pub fn relocated_name(data_dir: &Path) -> String {
    let digest = hex::encode(Sha256::digest(data_dir.as_os_str().as_bytes()));
    let base: String = data_dir
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(32)
        .collect();
    let base = if base.is_empty() { "data" } else { &base };
    format!("{base}-{}", &digest[..16])
}

/// Whether `uid` (not root, only its primary group: std drops the others) may traverse `dir`.
fn enterable(dir: &Path, uid: Uid, gid: Gid) -> bool {
    let Ok(meta) = fs::metadata(dir) else {
        return false;
    };
    let bit = if meta.uid() == uid.as_raw() {
        0o100
    } else if meta.gid() == gid.as_raw() {
        0o010
    } else {
        0o001
    };
    meta.mode() & bit != 0
}

/// Creates `dir` if missing, then gives it `mode` and, when `owner` is set, that owner.
fn make_dir(dir: &Path, mode: u32, owner: Option<(Uid, Gid)>) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(dir)
        .map_err(io("cannot create", dir))?;
    own(dir, mode, owner)
}

/// Gives `path` its owner (when set), then its mode (after: chown may clear mode bits).
fn own(path: &Path, mode: u32, owner: Option<(Uid, Gid)>) -> Result<()> {
    if let Some((uid, gid)) = owner {
        nix::unistd::chown(path, Some(uid), Some(gid))
            .map_err(|e| EmbeddedError::Io(format!("cannot chown {}: {e}", path.display())))?;
    }
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(io("cannot chmod", path))
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            tracing::warn!(%error, "could not stop the embedded PostgreSQL cluster");
        }
    }
}
