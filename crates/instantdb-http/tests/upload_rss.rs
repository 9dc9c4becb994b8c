//! A 256 MiB streaming upload keeps the process's peak resident memory within 32 MiB of where
//! it started, measured with the kernel's own numbers (`VmHWM` after resetting it through
//! `/proc/self/clear_refs`).
//!
//! Its own test binary, with a single test, so no other test's allocations share the process.

// Helpers outside #[test] functions panic on purpose too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use bytes::Bytes;
use instantdb_http::{Body, Client, Proxy};
use instantdb_test_support::{PeakRss, Reply, ScriptedServer};
use serde_json::json;

const TOTAL: u64 = 256 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
const LIMIT: u64 = 32 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_upload_of_256_mib_in_constant_memory() {
    let server = ScriptedServer::start().await;
    let client = Client::builder()
        .base_url(server.url())
        .proxy(Proxy::none())
        .build()
        .unwrap();
    // Warm up the connection pool, runtime and allocator before measuring.
    server.push(Reply::json(200, json!({})));
    client
        .put("/warmup")
        .body(vec![0u8; CHUNK])
        .send()
        .await
        .unwrap();
    server.push(Reply::json(200, json!({"data": {"id": "f1"}})));

    let Some(rss) = PeakRss::start() else {
        eprintln!("skipping: /proc/self/status or clear_refs is not available on this OS");
        return;
    };

    let chunk = Bytes::from(vec![0xA5u8; CHUNK]);
    let chunks = (TOTAL / CHUNK as u64) as usize;
    let stream = futures_util::stream::iter(
        (0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
    );
    let started = Instant::now();
    let value: serde_json::Value = client
        .put("/admin/storage/upload")
        .header("path", "big.bin")
        .timeout(std::time::Duration::from_secs(300))
        .body(Body::from_stream(stream, Some(TOTAL)))
        .send_json()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(value["data"]["id"], "f1");

    let (before, peak) = (rss.before(), rss.peak().unwrap());
    let growth = peak.saturating_sub(before);
    let upload = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/admin/storage/upload")
        .unwrap();
    assert_eq!(upload.body_len, TOTAL);
    assert_eq!(
        upload.header("content-length"),
        Some(TOTAL.to_string().as_str())
    );
    println!(
        "uploaded {} MiB in {elapsed:?}; RSS before {} KiB, peak {} KiB, growth {} KiB (limit {} KiB)",
        TOTAL >> 20,
        before >> 10,
        peak >> 10,
        growth >> 10,
        LIMIT >> 10
    );
    assert!(growth < LIMIT, "peak RSS grew by {} KiB", growth >> 10);
}
