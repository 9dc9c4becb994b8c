//! A backup archive download of 256 MiB (a zstd-encoded entity file and a large storage file)
//! keeps the process's peak resident memory within 48 MiB of where it started, measured with
//! the kernel's own numbers (`VmHWM` after resetting it through `/proc/self/clear_refs`).
//!
//! Its own test binary, with a single test, so no other test's allocations share the process.

// Helpers outside #[test] functions panic on purpose too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use bytes::Bytes;
use instantdb_platform::{ArchiveCompression, FetchedBody, PlatformClient};
use instantdb_test_support::{PeakRss, Reply, ScriptedServer};
use serde_json::json;

const FILE: u64 = 224 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
const LIMIT: u64 = 48 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_256_mib_backup_downloads_in_constant_memory() {
    let server = ScriptedServer::start().await;
    let api = PlatformClient::builder()
        .token("t")
        .api_uri(server.url())
        .build()
        .unwrap();
    let backups = api.backups("app");
    server.push(Reply::json(
        200,
        json!({"backups": [{"id": "b", "isn": "1", "backup_at": "2024-01-02T03:04:05Z"}]}),
    ));
    let backup = backups.list().send().await.unwrap().remove(0);

    // 32 MiB of JSON lines, zstd-encoded: decoded on the fly.
    let line = b"{\"id\":\"0b9e2f3c-7c5a-4a8e-9d2f-1f6b3c4d5e6f\",\"title\":\"a todo\"}\n";
    let entity: Vec<u8> = line.repeat(32 * 1024 * 1024 / line.len());
    let encoded = Bytes::from(ruzstd::encoding::compress_to_vec(
        &entity[..],
        ruzstd::encoding::CompressionLevel::Fastest,
    ));
    let entity_len = entity.len() as u64;
    drop(entity);

    server.push(Reply::ndjson([
        json!({"locationId": "big", "path": "video.mp4", "url": "https://storage.test/big"}),
        json!({"done": true}),
    ]));
    server.push(Reply::json(
        200,
        json!({"files": [{"name": "config.json", "size": 2}, {"name": "entities/todos.jsonl", "size": 1}]}),
    ));
    server.push(Reply::json(
        200,
        json!({"url": "https://storage.test/config"}),
    ));
    server.push(Reply::json(
        200,
        json!({"url": "https://storage.test/todos"}),
    ));

    let Some(rss) = PeakRss::start() else {
        eprintln!("skipping: /proc/self/status or clear_refs is not available on this OS");
        return;
    };

    let started = Instant::now();
    let download = backups
        .download_archive(&backup)
        .compression(ArchiveCompression::Stored)
        .fetch_body_with(move |url: String| {
            let encoded = encoded.clone();
            async move {
                Ok(match url.as_str() {
                    "https://storage.test/config" => FetchedBody::from_bytes(&b"{}"[..]),
                    "https://storage.test/todos" => {
                        let chunks: Vec<Bytes> = (0..encoded.len())
                            .step_by(CHUNK)
                            .map(|i| encoded.slice(i..(i + CHUNK).min(encoded.len())))
                            .collect();
                        FetchedBody::new(futures_util::stream::iter(chunks.into_iter().map(Ok)))
                            .content_encoding("zstd")
                    }
                    // Generated lazily, so the source holds one chunk at a time.
                    _ => {
                        let chunk = Bytes::from(vec![0x5Au8; CHUNK]);
                        let count = (FILE / CHUNK as u64) as usize;
                        FetchedBody::new(futures_util::stream::iter(
                            (0..count).map(move |_| Ok(chunk.clone())),
                        ))
                    }
                })
            }
        })
        .to_writer(tokio::io::sink());
    let result = download.await.unwrap();
    let elapsed = started.elapsed();

    let growth = rss.growth().unwrap();
    eprintln!(
        "archive of {} MiB ({} MiB read) in {elapsed:?}; peak RSS grew by {:.1} MiB",
        result.zip_bytes / (1024 * 1024),
        (FILE + entity_len) / (1024 * 1024),
        growth as f64 / (1024.0 * 1024.0)
    );
    assert_eq!((result.entities, result.files), (1, 1));
    assert!(result.zip_bytes > FILE + entity_len);
    assert!(
        growth < LIMIT,
        "peak RSS grew by {growth} bytes (limit {LIMIT})"
    );
}
