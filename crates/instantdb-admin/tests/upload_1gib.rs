//! A 1 GiB file uploaded with `Storage::upload_file` through a loopback server that hashes what
//! it receives: the SHA-256 must equal the file's, `content-length` must be exact, and the
//! process's peak resident memory must stay within 32 MiB of where it started (the kernel's
//! `VmHWM`, reset through `/proc/self/clear_refs`). The figures are printed.
//!
//! Its own test binary, with a single test, so no other test's allocations share the process.
//! The server is a few lines over a raw TCP socket rather than the scripted server, which keeps
//! only the first bytes of a body.

// Helpers outside #[test] functions panic on purpose too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::time::Instant;

use instantdb_admin::{AdminClient, Proxy, UploadBody};
use instantdb_test_support::PeakRss;
use ring::digest::{Context, SHA256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TOTAL: u64 = 1 << 30;
const BLOCK: usize = 1 << 20;
const LIMIT: u64 = 32 * 1024 * 1024;

/// Writes `TOTAL` bytes that differ from block to block; returns their hex SHA-256.
fn write_source(file: &mut std::fs::File) -> String {
    let mut block = vec![0u8; BLOCK];
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for byte in block.iter_mut() {
        state ^= state << 7;
        state ^= state >> 9;
        *byte = state as u8;
    }
    let mut hasher = Context::new(&SHA256);
    let mut writer = std::io::BufWriter::with_capacity(BLOCK, file);
    for index in 0..(TOTAL / BLOCK as u64) {
        block[..8].copy_from_slice(&index.to_le_bytes());
        hasher.update(&block);
        writer.write_all(&block).unwrap();
    }
    writer.flush().unwrap();
    hex(hasher)
}

fn hex(hasher: Context) -> String {
    hasher
        .finish()
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Answers one upload: reads the head, then exactly `content-length` bytes while hashing them,
/// and replies with the hash as the `location-id` and the byte count as the `size`.
async fn serve_one(listener: TcpListener) -> (String, String) {
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        socket.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let length: u64 = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().unwrap())
        })
        .expect("no content-length");
    let mut hasher = Context::new(&SHA256);
    let mut buffer = vec![0u8; 64 * 1024];
    let mut received = 0u64;
    while received < length {
        let want = buffer.len().min((length - received) as usize);
        let n = socket.read(&mut buffer[..want]).await.unwrap();
        assert!(n > 0, "the upload ended after {received} of {length} bytes");
        hasher.update(&buffer[..n]);
        received += n as u64;
    }
    let digest = hex(hasher);
    let body = format!(r#"{{"data":{{"id":"f1","location-id":"{digest}","size":{received}}}}}"#);
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(response.as_bytes()).await.unwrap();
    socket.shutdown().await.unwrap();
    (head, digest)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_gib_file_streams_in_constant_memory_with_equal_checksums() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    let started = Instant::now();
    let source_digest = write_source(&mut std::fs::File::create(&path).unwrap());
    let generated = started.elapsed();

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(serve_one(listener));
    let db = AdminClient::builder("5d1b7c2e-0c1f-4a9e-9d6b-2f8e4c3a1b00")
        .admin_token("a1d7e4c2-admin-token")
        .api_uri(url.as_str())
        .proxy(Proxy::none())
        .build()
        .unwrap();

    let rss = PeakRss::start();
    let started = Instant::now();
    let file = db
        .storage()
        .upload_file("big/1gib.bin", UploadBody::file(&path))
        .content_type("application/octet-stream")
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let peak = rss.and_then(|rss| rss.peak());
    let (head, server_digest) = server.await.unwrap();

    assert_eq!(file.size, Some(TOTAL));
    assert_eq!(
        server_digest, source_digest,
        "the server received other bytes"
    );
    assert_eq!(file.location_id.as_deref(), Some(source_digest.as_str()));
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("content-length: {TOTAL}\r\n")),
        "{head}"
    );
    assert!(head.contains("path: big/1gib.bin\r\n"), "{head}");
    assert!(
        !head.to_ascii_lowercase().contains("transfer-encoding"),
        "{head}"
    );

    match (rss, peak) {
        (Some(rss), Some(peak)) => {
            let before = rss.before();
            let growth = peak.saturating_sub(before);
            println!(
                "uploaded 1 GiB in {elapsed:?} (source written and hashed in {generated:?}); \
                 sha256 {source_digest} on both ends; RSS before {} KiB, peak {} KiB, growth {} KiB \
                 (limit {} KiB)",
                before >> 10,
                peak >> 10,
                growth >> 10,
                LIMIT >> 10
            );
            assert!(growth < LIMIT, "peak RSS grew by {} KiB", growth >> 10);
        }
        _ => eprintln!("memory not measured: /proc/self/status or clear_refs is not available"),
    }
}
