//! A private PostgreSQL cluster run from the binaries installed on the machine, for when no
//! `DATABASE_URL` is given: data in `<root>/postgres`, a Unix socket in `<root>/run`, no TCP.

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use nix::unistd::{Gid, Uid, User};

/// The port names the socket file (`.s.PGSQL.5432`); nothing listens on TCP.
const PORT: u16 = 5432;
/// The cluster's superuser, and the account that runs it when we are root.
const SUPERUSER: &str = "postgres";
/// Unix socket paths are limited to 107 bytes on Linux.
const MAX_SOCKET_PATH: usize = 100;

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
        "the postgres account cannot enter {0}, a parent of the data directory: choose a --data-dir \
         it can reach (such as /var/lib/compliance) or let it in (chmod o+x {0})"
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

    fn tool(&self, name: &str) -> PathBuf {
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

/// A cluster in a data directory: started by [`Cluster::open`] unless already running there.
#[derive(Debug)]
pub struct Cluster {
    binaries: Binaries,
    root: PathBuf,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    /// The unprivileged account to run as, when we are root.
    run_as: Option<(Uid, Gid)>,
    /// Whether this process started it (and so stops it).
    started_here: bool,
}

impl Cluster {
    /// Initializes the cluster in `root` if it is new, and starts it unless it already runs
    /// (say, under a server while this is a second command on the same directory).
    pub fn open(root: &Path, durability: Durability) -> Result<Self> {
        let binaries = Binaries::find()?;
        fs::create_dir_all(root).map_err(io("cannot create", root))?;
        let root = root.canonicalize().map_err(io("cannot resolve", root))?;
        let pgdata = root.join("postgres");
        let socket_dir = root.join("run");
        if socket_dir
            .join(format!(".s.PGSQL.{PORT}"))
            .as_os_str()
            .len()
            > MAX_SOCKET_PATH
        {
            return Err(EmbeddedError::PathTooLong(root));
        }
        let run_as = if Uid::effective().is_root() {
            let user = User::from_name(SUPERUSER)
                .ok()
                .flatten()
                .ok_or(EmbeddedError::NoPostgresUser)?;
            Some((user.uid, user.gid))
        } else {
            None
        };
        fs::create_dir_all(&socket_dir).map_err(io("cannot create", &socket_dir))?;
        if let Some((uid, _)) = run_as {
            reachable_by(&root, uid)?;
        }
        if let Some((uid, gid)) = run_as {
            for dir in [&root, &socket_dir] {
                nix::unistd::chown(dir.as_path(), Some(uid), Some(gid)).map_err(|e| {
                    EmbeddedError::Io(format!("cannot chown {}: {e}", dir.display()))
                })?;
            }
        }
        let mut cluster = Self {
            binaries,
            root,
            pgdata,
            socket_dir,
            run_as,
            started_here: false,
        };
        if !cluster.pgdata.join("PG_VERSION").is_file() {
            cluster.initdb(durability)?;
        }
        if !cluster.is_running() {
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

    /// The data directory this cluster lives in.
    pub fn root(&self) -> &Path {
        &self.root
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

    /// Stops the cluster and removes its directory when this process exits, however it exits:
    /// a watchdog waits for the end of a pipe that only this process holds.
    pub fn remove_on_exit(&self) -> Result<ChildStdin> {
        let script =
            "cat >/dev/null; \"$0\" -D \"$1\" -m immediate stop >/dev/null 2>&1; rm -rf \"$2\"";
        let mut watchdog = self.command("sh");
        watchdog
            .arg("-c")
            .arg(script)
            .arg(self.binaries.tool("pg_ctl"))
            .arg(&self.pgdata)
            .arg(&self.root)
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

    fn initdb(&self, durability: Durability) -> Result<()> {
        let mut args: Vec<&OsStr> = vec![
            "-D".as_ref(),
            self.pgdata.as_os_str(),
            "-U".as_ref(),
            SUPERUSER.as_ref(),
            "--auth=trust".as_ref(),
            "--encoding=UTF8".as_ref(),
            "--no-locale".as_ref(),
        ];
        if durability == Durability::Throwaway {
            args.push("--no-sync".as_ref());
        }
        self.run("initdb", &args)?;
        // Trust is safe only because nothing listens on TCP and the socket directory is ours.
        let mut settings = format!(
            "\n# compliance-server: a private cluster\nlisten_addresses = ''\n\
             unix_socket_directories = '{}'\nport = {PORT}\nmax_connections = 200\n",
            self.socket_dir.to_string_lossy().replace('\'', "''")
        );
        if durability == Durability::Throwaway {
            settings.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
        }
        let conf = self.pgdata.join("postgresql.conf");
        fs::OpenOptions::new()
            .append(true)
            .open(&conf)
            .and_then(|mut file| file.write_all(settings.as_bytes()))
            .map_err(io("cannot configure", &conf))
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
        command.current_dir(&self.root);
        if let Some((uid, gid)) = self.run_as {
            // std clears supplementary groups when a root process switches uid.
            command.uid(uid.as_raw()).gid(gid.as_raw());
        }
        command
    }
}

/// Fails when `uid` (not root) cannot traverse some parent of `dir`.
fn reachable_by(dir: &Path, uid: Uid) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    for parent in dir.ancestors().skip(1) {
        let Ok(meta) = fs::metadata(parent) else {
            continue;
        };
        let mode = meta.permissions().mode();
        let enters = if meta.uid() == uid.as_raw() {
            mode & 0o100 != 0
        } else {
            mode & 0o001 != 0 || mode & 0o010 != 0
        };
        if !enters {
            return Err(EmbeddedError::Unreachable(parent.to_owned()));
        }
    }
    Ok(())
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            tracing::warn!(%error, "could not stop the embedded PostgreSQL cluster");
        }
    }
}
