//! A TCP proxy in front of the test database that can cut every connection and refuse new ones,
//! so an outage of the real PostgreSQL can be staged without disturbing the other tests.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream, UnixStream};
use tokio::sync::watch;

#[derive(Debug, Clone)]
enum Upstream {
    Unix(PathBuf),
    Tcp(String),
}

pub struct DbProxy {
    pub port: u16,
    up: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
}

/// Where the database of `url` listens (key/value strings with a socket dir, or TCP URLs).
fn upstream_of(url: &str) -> Upstream {
    if let Some(rest) = url.strip_prefix("postgres://").or_else(|| url.strip_prefix("postgresql://")) {
        let authority = rest.split(['/', '?']).next().unwrap_or("");
        let host_port = authority.rsplit('@').next().unwrap_or("");
        let with_port = if host_port.contains(':') { host_port.to_owned() } else { format!("{host_port}:5432") };
        return Upstream::Tcp(with_port);
    }
    let value =
        |key: &str| url.split_whitespace().find_map(|kv| kv.strip_prefix(&format!("{key}=")).map(str::to_owned));
    let host = value("host").unwrap_or_else(|| "/var/run/postgresql".into());
    let port = value("port").unwrap_or_else(|| "5432".into());
    if host.starts_with('/') {
        Upstream::Unix(PathBuf::from(host).join(format!(".s.PGSQL.{port}")))
    } else {
        Upstream::Tcp(format!("{host}:{port}"))
    }
}

/// The same database as `url`, reached through the proxy on `port`.
pub fn through_proxy(url: &str, port: u16) -> String {
    if let Some(rest) = url.strip_prefix("postgres://").or_else(|| url.strip_prefix("postgresql://")) {
        let scheme = &url[..url.len() - rest.len()];
        let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
        let userinfo = authority.rsplit_once('@').map(|(u, _)| format!("{u}@")).unwrap_or_default();
        return format!("{scheme}{userinfo}127.0.0.1:{port}{tail}");
    }
    let kept: Vec<&str> =
        url.split_whitespace().filter(|kv| !kv.starts_with("host=") && !kv.starts_with("port=")).collect();
    format!("host=127.0.0.1 port={port} {}", kept.join(" "))
}

impl DbProxy {
    pub async fn start(database_url: &str) -> DbProxy {
        let upstream = upstream_of(database_url);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = watch::channel(0u64);
        let accept_up = up.clone();
        let accept_cut = cut.clone();
        actix_web::rt::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !accept_up.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let mut cut_rx = accept_cut.subscribe();
                actix_web::rt::spawn(async move {
                    let relay = async {
                        match upstream {
                            Upstream::Unix(path) => {
                                if let Ok(mut server) = UnixStream::connect(path).await {
                                    let _ = copy_bidirectional(&mut client, &mut server).await;
                                }
                            }
                            Upstream::Tcp(address) => {
                                if let Ok(mut server) = TcpStream::connect(address).await {
                                    let _ = copy_bidirectional(&mut client, &mut server).await;
                                }
                            }
                        }
                    };
                    tokio::select! {
                        _ = relay => {}
                        _ = cut_rx.changed() => {}
                    }
                });
            }
        });
        DbProxy { port, up, cut }
    }

    /// Drops every open connection and refuses new ones, like a stopped server.
    pub fn go_down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    pub fn come_back(&self) {
        self.up.store(true, Ordering::SeqCst);
    }

    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::SeqCst)
    }
}
