//! A minimal forward proxy on `127.0.0.1:0`: `CONNECT` tunnels and absolute-form HTTP requests.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// What the proxy saw on one client connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxiedConnection {
    /// `CONNECT` for tunnels, else the request method.
    pub method: String,
    /// `host:port` of the destination.
    pub target: String,
    /// The `proxy-authorization` header, if any.
    pub proxy_authorization: Option<String>,
}

/// A forward proxy for tests: tunnels `CONNECT host:port` and forwards absolute-form requests
/// (`GET http://host:port/path`) to loopback destinations, recording each connection.
///
/// Destinations other than loopback addresses are refused with 403, so a misconfigured test
/// cannot reach the network through it.
pub struct ConnectProxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<ProxiedConnection>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl ConnectProxy {
    /// Binds `127.0.0.1:0` and serves on the current runtime.
    pub async fn start() -> ConnectProxy {
        let listener = match TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener,
            Err(err) => panic!("cannot bind 127.0.0.1:0: {err}"),
        };
        let addr = match listener.local_addr() {
            Ok(addr) => addr,
            Err(err) => panic!("bound socket has no address: {err}"),
        };
        let seen = Arc::new(Mutex::new(Vec::new()));
        let accept = tokio::spawn(accept_loop(listener, seen.clone()));
        ConnectProxy { addr, seen, accept }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The connections proxied so far.
    pub fn connections(&self) -> Vec<ProxiedConnection> {
        self.seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl std::fmt::Debug for ConnectProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectProxy")
            .field("addr", &self.addr)
            .finish()
    }
}

async fn accept_loop(listener: TcpListener, seen: Arc<Mutex<Vec<ProxiedConnection>>>) {
    let mut tasks = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tasks.spawn(proxy_one(stream, seen.clone()));
        while tasks.try_join_next().is_some() {}
    }
}

async fn proxy_one(mut client: TcpStream, seen: Arc<Mutex<Vec<ProxiedConnection>>>) {
    // Read the request head.
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let end = loop {
        let Ok(n) = client.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(pos) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        if head.len() > 64 * 1024 {
            return;
        }
    };
    let text = String::from_utf8_lossy(&head[..end]).into_owned();
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (method, target, version) = (
        parts.next().unwrap_or_default().to_owned(),
        parts.next().unwrap_or_default().to_owned(),
        parts.next().unwrap_or("HTTP/1.1").to_owned(),
    );
    let proxy_authorization = lines.clone().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("proxy-authorization")
            .then(|| value.trim().to_owned())
    });
    let (authority, origin_form) = if method == "CONNECT" {
        (target.clone(), None)
    } else {
        let rest = target.strip_prefix("http://").unwrap_or(&target);
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let path = if path.is_empty() { "/" } else { path };
        (authority.to_owned(), Some(path.to_owned()))
    };
    seen.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(ProxiedConnection {
            method: method.clone(),
            target: authority.clone(),
            proxy_authorization,
        });
    let loopback = authority.starts_with("127.0.0.1:") || authority.starts_with("localhost:");
    if !loopback {
        let _ = client
            .write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    }
    let Ok(mut upstream) = TcpStream::connect(&authority).await else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    };
    match origin_form {
        None => {
            if client
                .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                .await
                .is_err()
            {
                return;
            }
            // Bytes the client sent after the CONNECT head belong to the tunnel.
            if upstream.write_all(&head[end..]).await.is_err() {
                return;
            }
        }
        Some(path) => {
            let rewritten_head: String = std::iter::once(format!("{method} {path} {version}"))
                .chain(
                    lines
                        .filter(|l| !l.to_ascii_lowercase().starts_with("proxy-authorization:"))
                        .map(str::to_owned),
                )
                .collect::<Vec<_>>()
                .join("\r\n");
            if upstream.write_all(rewritten_head.as_bytes()).await.is_err()
                || upstream.write_all(&head[end..]).await.is_err()
            {
                return;
            }
        }
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}
