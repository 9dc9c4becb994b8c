//! Limits that keep a stray or hostile client from holding the emulator's memory or
//! connections: the body limit (413 before buffering), the header/idle timeout, and the data
//! directory's file modes.

use std::time::Duration;

use instantdb_emulator::Emulator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends raw bytes on a fresh connection and reads the answer until the server closes it or
/// `wait` passes.
async fn raw_exchange(base_url: &str, request: &[u8], wait: Duration) -> String {
    let addr = base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn oversized_bodies_are_413_before_they_are_read() {
    let emu = Emulator::builder()
        .max_body_bytes(1024)
        .start()
        .await
        .unwrap();
    // A declared length over the limit: answered at once, though no body byte was sent.
    let answer = raw_exchange(
        emu.base_url(),
        b"POST /admin/query HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 999999999\r\nconnection: close\r\n\r\n",
        Duration::from_secs(5),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // A chunked body that grows past the limit.
    let chunk = "a".repeat(2000);
    let request = format!(
        "POST /admin/query HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len()
    );
    let answer = raw_exchange(emu.base_url(), request.as_bytes(), Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // Under the limit, the request goes through to the route.
    let answer = raw_exchange(
        emu.base_url(),
        b"GET /health/system HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        Duration::from_secs(5),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn silent_and_idle_connections_are_closed() {
    let emu = Emulator::builder()
        .header_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let addr = emu.base_url().trim_start_matches("http://").to_owned();
    // A client that connects and sends nothing.
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buf))
        .await
        .expect("the server closes a silent connection");
    assert!(read.map_or(true, |n| n == 0 || buf.starts_with(b"HTTP/1.1 408")));
    // A keep-alive connection idle after one request.
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    idle.write_all(b"GET /health/system HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), idle.read_to_end(&mut answer)).await;
    assert!(closed.is_ok(), "the idle keep-alive connection is closed");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
    // A header sent too slowly.
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /health/system HTTP/1.1\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let _ = slow.write_all(b"host: x\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut answer)).await;
    assert!(
        !String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"),
        "a header that takes longer than the timeout is not served"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let emu = Emulator::builder().data_dir(&data).start().await.unwrap();
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("emulator.redb")), 0o600);
    emu.shutdown().await;
}
