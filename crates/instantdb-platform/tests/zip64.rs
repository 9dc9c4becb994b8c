//! A backup whose archive passes 4 GiB: a 4.1 GiB storage file followed by a small one, which
//! sits past the 4 GiB offset and is only reachable through zip64 records. The archive goes to
//! a sparse file (runs of zeros become holes), so the test needs little disk, and is read back
//! with the `zip` crate.
//!
//! Its own test binary: it moves 4 GiB and should not share the process with timing-sensitive
//! tests.

// Helpers outside #[test] functions panic on purpose too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use instantdb_platform::{ArchiveCompression, FetchedBody, PlatformClient};
use instantdb_test_support::{Reply, ScriptedServer};
use serde_json::json;
use tokio::io::AsyncWrite;

const BIG: u64 = (4 << 30) + (100 << 20);
const CHUNK: usize = 1 << 20;

/// Writes to a file, seeking over chunks of zeros instead of writing them.
struct SparseFile(std::fs::File);

impl AsyncWrite for SparseFile {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        // memcmp against zeros: fast even in a debug build.
        static ZEROS: [u8; 1 << 16] = [0; 1 << 16];
        let zeros = buf
            .chunks(ZEROS.len())
            .all(|part| part == &ZEROS[..part.len()]);
        let result = if zeros {
            self.0.seek(SeekFrom::Current(buf.len() as i64)).map(|_| ())
        } else {
            self.0.write_all(buf)
        };
        Poll::Ready(result.map(|()| buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        // A hole at the very end needs the length set explicitly.
        let end = self.0.stream_position()?;
        self.0.set_len(end)?;
        Poll::Ready(self.0.flush())
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.poll_flush(cx)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archives_past_4_gib_use_zip64() {
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
    server.push(Reply::ndjson([
        json!({"locationId": "big", "url": "https://storage.test/big"}),
        json!({"locationId": "after", "url": "https://storage.test/after"}),
        json!({"done": true}),
    ]));
    server.push(Reply::json(
        200,
        json!({"files": [{"name": "config.json", "size": 2}]}),
    ));
    server.push(Reply::json(
        200,
        json!({"url": "https://storage.test/config"}),
    ));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.zip");
    let file = std::fs::File::create(&path).unwrap();
    let result = backups
        .download_archive(&backup)
        .compression(ArchiveCompression::Stored)
        .fetch_body_with(|url: String| async move {
            Ok(match url.as_str() {
                "https://storage.test/config" => FetchedBody::from_bytes(&b"{}"[..]),
                "https://storage.test/after" => {
                    FetchedBody::from_bytes(&b"past the 4 GiB mark"[..])
                }
                _ => {
                    let zeros = Bytes::from(vec![0u8; CHUNK]);
                    let count = (BIG / CHUNK as u64) as usize;
                    FetchedBody::new(futures_util::stream::iter(
                        (0..count).map(move |_| Ok(zeros.clone())),
                    ))
                }
            })
        })
        .to_writer(SparseFile(file))
        .await
        .unwrap();
    assert_eq!(result.files, 2);
    assert!(result.zip_bytes > BIG);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), result.zip_bytes);

    let mut archive = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    let names: Vec<String> = (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().unwrap().into_owned())
        .collect();
    assert_eq!(names, ["config.json", "files/big", "files/after"]);
    assert_eq!(archive.by_name("files/big").unwrap().size(), BIG);
    let mut after = archive.by_name("files/after").unwrap();
    assert!(after.data_start().unwrap() > u32::MAX as u64);
    let mut text = String::new();
    after.read_to_string(&mut text).unwrap();
    assert_eq!(text, "past the 4 GiB mark");
}
