//! A proxy in front of the test database that a test can cut and restore: a connection through
//! it is lost when cut, and no new one opens until it is restored.

use std::path::PathBuf;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UnixListener, UnixStream};
use tokio::sync::watch;
use tokio_postgres::config::Host;

/// Where the real server listens.
#[derive(Clone)]
enum Upstream {
    Unix(PathBuf),
    Tcp(String, u16),
}

pub struct Proxy {
    /// A connection string to the same database, through the proxy.
    pub url: String,
    open: watch::Sender<bool>,
    _dir: tempfile::TempDir,
}

impl Proxy {
    /// A proxy to the database of `url` (a `key=value` string or a `postgres://` URL).
    pub fn to(url: &str) -> Self {
        let config: tokio_postgres::Config = url.parse().unwrap();
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let upstream = match &config.get_hosts()[0] {
            Host::Unix(dir) => Upstream::Unix(dir.join(format!(".s.PGSQL.{port}"))),
            Host::Tcp(host) => Upstream::Tcp(host.clone(), port),
        };
        let dir = tempfile::tempdir().unwrap();
        let listener = UnixListener::bind(dir.path().join(format!(".s.PGSQL.{port}"))).unwrap();
        let (open, opened) = watch::channel(true);
        actix_rt::spawn(accept(listener, upstream, opened));
        let mut proxied = format!(
            "host={} port={port} user={} dbname={}",
            dir.path().display(),
            config.get_user().unwrap_or("postgres"),
            config.get_dbname().unwrap_or("postgres"),
        );
        if let Some(password) = config.get_password() {
            proxied.push_str(&format!(
                " password='{}'",
                String::from_utf8_lossy(password)
            ));
        }
        Self {
            url: proxied,
            open,
            _dir: dir,
        }
    }

    /// Drops every connection through the proxy and refuses new ones.
    pub fn cut(&self) {
        self.open.send_replace(false);
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.open.send_replace(true);
    }
}

async fn accept(listener: UnixListener, upstream: Upstream, open: watch::Receiver<bool>) {
    while let Ok((client, _)) = listener.accept().await {
        // While cut, a new connection is closed at once.
        if !*open.borrow() {
            continue;
        }
        let (upstream, open) = (upstream.clone(), open.clone());
        actix_rt::spawn(async move {
            match upstream {
                Upstream::Unix(path) => {
                    if let Ok(server) = UnixStream::connect(path).await {
                        pipe(client, server, open).await;
                    }
                }
                Upstream::Tcp(host, port) => {
                    if let Ok(server) = TcpStream::connect((host.as_str(), port)).await {
                        pipe(client, server, open).await;
                    }
                }
            }
        });
    }
}

/// Copies both ways until either side closes or the proxy is cut.
async fn pipe(
    mut client: UnixStream,
    mut server: impl AsyncRead + AsyncWrite + Unpin,
    mut open: watch::Receiver<bool>,
) {
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = open.wait_for(|open| !*open) => {}
    }
}
