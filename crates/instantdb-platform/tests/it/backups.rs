//! Backups: the NDJSON storage listing and the archive download.

use std::io::Read;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use instantdb_platform::{ArchiveCompression, DownloadProgress, ErrorKind};
use instantdb_test_support::{Reply, ScriptedServer};
use serde_json::json;

use crate::support::*;

const BACKUP_ID: &str = "66666666-6666-4666-8666-666666666666";

fn backups_reply() -> Reply {
    Reply::json(
        200,
        json!({"backups": [{"id": BACKUP_ID, "isn": "424242", "backup_at": "2024-01-02T03:04:05.000Z",
                            "files_size": 10, "db_size": 20, "uncompressed_size": 30,
                            "description": "nightly", "expires_at": null}]}),
    )
}

fn listing(server: &ScriptedServer) -> Reply {
    Reply::ndjson([
        json!({"locationId": "loc-1", "path": "photos/cat.png", "url": format!("{}/presigned/loc-1", server.url())}),
        json!({"locationId": "loc-2", "path": null, "url": format!("{}/presigned/loc-2", server.url())}),
        json!({"done": true}),
    ])
}

fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

#[tokio::test]
async fn the_storage_listing_streams_records_split_across_chunks() {
    let server = ScriptedServer::start().await;
    let text = "\n{\"locationId\":\"a\",\"path\":\"x.png\",\"url\":\"https://s3/a\"}\n  \n{\"locationId\":\"b\",\"url\":\"https://s3/b\"}\n{\"done\":true}\n";
    server.push(Reply::text(200, text).chunked(7, Duration::ZERO));
    let files: Vec<_> = api(&server)
        .backups(APP_ID)
        .storage_files(BACKUP_ID)
        .send()
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(
        (files[0].location_id.as_str(), files[0].path.as_deref()),
        ("a", Some("x.png"))
    );
    assert_eq!(
        (files[1].location_id.as_str(), files[1].path.as_deref()),
        ("b", None)
    );
    assert_eq!(
        server.requests()[0].path,
        format!("/dash/apps/{APP_ID}/backups/{BACKUP_ID}/storage-files")
    );
}

#[tokio::test]
async fn a_listing_without_its_sentinel_or_with_a_bad_record_fails() {
    let server = ScriptedServer::start().await;
    server.push(Reply::ndjson([json!({"locationId": "a", "url": "u"})]));
    let mut files = api(&server)
        .backups(APP_ID)
        .storage_files(BACKUP_ID)
        .send()
        .await
        .unwrap();
    assert!(files.next().await.unwrap().is_ok());
    let err = files.next().await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Backup);
    assert_eq!(
        err.to_string(),
        "Storage file listing ended before it finished. Please retry the download."
    );
    assert!(files.next().await.is_none());

    server.push(Reply::ndjson([
        json!({"locationId": "../x", "url": "u"}),
        json!({"done": true}),
    ]));
    let mut files = api(&server)
        .backups(APP_ID)
        .storage_files(BACKUP_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(
        files.next().await.unwrap().unwrap_err().to_string(),
        "Storage file listing returned a malformed record. Please retry the download."
    );

    server.push(Reply::text(200, ""));
    let mut files = api(&server)
        .backups(APP_ID)
        .storage_files(BACKUP_ID)
        .send()
        .await
        .unwrap();
    assert!(files.next().await.unwrap().is_err());
}

#[tokio::test]
async fn downloads_an_archive_in_restore_order_with_decoded_entities() {
    let server = ScriptedServer::start().await;
    let config = br#"{"schema":{}}"#.to_vec();
    let goals = b"{\"id\":\"g1\",\"title\":\"Ship\"}\n".repeat(500);
    server.push(backups_reply());
    server.push(listing(&server));
    server.push(Reply::json(200, json!({"files": [{"name": "config.json", "size": 1}, {"name": "entities/goals.jsonl", "size": 2}]})));
    server.push(Reply::json(
        200,
        json!({"url": format!("{}/presigned/config.json?sig=1", server.url())}),
    ));
    server.push(Reply::bytes(200, zstd(&config)).header("content-encoding", "zstd"));
    server.push(Reply::json(
        200,
        json!({"url": format!("{}/presigned/goals?sig=1", server.url())}),
    ));
    // No content-encoding: recognised by the zstd magic number.
    server.push(Reply::bytes(200, zstd(&goals)).chunked(100, Duration::ZERO));
    server.push(Reply::bytes(200, b"cat picture".to_vec()));
    server.push(Reply::bytes(200, b"other file".to_vec()));

    let backups = api(&server).backups(APP_ID);
    let backup = backups.list().send().await.unwrap().remove(0);
    assert_eq!(
        backup.zip_name(),
        "instant-backup-2024-01-02T03-04-05-000Z.zip"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(backup.zip_name());
    let mut download = backups.download_archive(&backup).to_file(&path);
    let mut reports: Vec<DownloadProgress> = Vec::new();
    while let Some(report) = download.next().await {
        reports.push(report);
    }
    let result = download.await.unwrap();
    assert_eq!((result.entities, result.files), (1, 2));
    assert_eq!(result.zip_bytes, std::fs::metadata(&path).unwrap().len());
    assert!(
        !dir.path()
            .join(format!("{}.part", backup.zip_name()))
            .exists()
    );

    let last = reports.last().unwrap();
    assert_eq!(last.entities_total, Some(1));
    assert_eq!(last.files_total, Some(2));
    assert_eq!((last.entities_completed, last.files_completed), (1, 2));
    assert_eq!(last.bytes_total, Some(40));
    assert_eq!(last.bytes_read, (config.len() + goals.len() + 21) as u64);
    assert_eq!(last.zip_bytes, result.zip_bytes);
    assert!(
        reports
            .iter()
            .any(|r| r.current_entity == "entities/goals.jsonl")
    );
    assert!(reports.iter().any(|r| r.current_file == "photos/cat.png"));
    assert!(reports.iter().any(|r| r.current_file == "loc-2"));

    let mut archive = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    let names: Vec<String> = (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().unwrap().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "config.json",
            "entities/goals.jsonl",
            "files/loc-1",
            "files/loc-2"
        ]
    );
    let read = |archive: &mut zip::ZipArchive<std::fs::File>, name: &str| {
        let mut entry = archive.by_name(name).unwrap();
        let mut out = Vec::new();
        entry.read_to_end(&mut out).unwrap();
        (out, entry.compression(), entry.last_modified())
    };
    let (bytes, method, modified) = read(&mut archive, "config.json");
    assert_eq!(bytes, config);
    assert_eq!(method, zip::CompressionMethod::Deflated);
    let modified = modified.unwrap();
    assert_eq!(
        (
            modified.year(),
            modified.month(),
            modified.day(),
            modified.hour()
        ),
        (2024, 1, 2, 3)
    );
    assert_eq!(read(&mut archive, "entities/goals.jsonl").0, goals);
    assert_eq!(read(&mut archive, "files/loc-1").0, b"cat picture");

    let requests = server.requests();
    assert_eq!(
        paths(&requests)[1..4],
        [
            format!("GET /dash/apps/{APP_ID}/backups/{BACKUP_ID}/storage-files"),
            format!("GET /dash/apps/{APP_ID}/backups/{BACKUP_ID}/files"),
            format!("GET /dash/apps/{APP_ID}/backups/{BACKUP_ID}/file-url"),
        ]
    );
    assert_eq!(requests[3].query.as_deref(), Some("name=config.json"));
    assert_eq!(
        requests[5].query.as_deref(),
        Some("name=entities%2Fgoals.jsonl")
    );
    // Presigned URLs never get the Instant token.
    for presigned in [&requests[4], &requests[6], &requests[7], &requests[8]] {
        assert!(
            presigned.path.starts_with("/presigned/"),
            "{}",
            presigned.path
        );
        assert_eq!(presigned.header("authorization"), None);
    }
}

#[tokio::test]
async fn opening_an_entry_is_retried_with_a_fresh_url() {
    let server = ScriptedServer::start().await;
    server.push(backups_reply());
    server.push(Reply::ndjson([json!({"done": true})]));
    server.push(Reply::json(
        200,
        json!({"files": [{"name": "config.json", "size": 1}]}),
    ));
    server.push(Reply::json(
        200,
        json!({"url": format!("{}/presigned/1", server.url())}),
    ));
    server.push(Reply::text(403, "expired"));
    server.push(Reply::json(
        200,
        json!({"url": format!("{}/presigned/2", server.url())}),
    ));
    server.push(Reply::bytes(200, b"{}".to_vec()));
    let backups = api(&server).backups(APP_ID);
    let backup = backups.list().send().await.unwrap().remove(0);
    let out = SharedBuffer::default();
    let result = backups
        .download_archive(&backup)
        .compression(ArchiveCompression::Stored)
        .retry(3, Duration::from_millis(1))
        .to_writer(out.clone())
        .await
        .unwrap();
    assert_eq!((result.entities, result.files), (0, 0));
    let requests = server.requests();
    assert_eq!(requests.len(), 7);
    assert_eq!(requests[6].path, "/presigned/2");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(out.bytes())).unwrap();
    assert_eq!(
        archive.by_index(0).unwrap().compression(),
        zip::CompressionMethod::Stored
    );
}

#[tokio::test]
async fn failures_name_the_entry_and_leave_no_partial_file() {
    let server = ScriptedServer::start().await;
    server.push(backups_reply());
    server.push(listing(&server));
    server.push(Reply::json(
        200,
        json!({"files": [{"name": "config.json", "size": 1}]}),
    ));
    server.push(Reply::json(
        200,
        json!({"url": format!("{}/presigned/config", server.url())}),
    ));
    server.push(Reply::bytes(200, b"{}".to_vec()));
    for _ in 0..2 {
        server.push(Reply::text(500, "storage down"));
    }
    let backups = api(&server).backups(APP_ID);
    let backup = backups.list().send().await.unwrap().remove(0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup.zip");
    let err = backups
        .download_archive(&backup)
        .retry(2, Duration::from_millis(1))
        .to_file(&path)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Backup);
    let text = err.to_string();
    assert!(
        text.starts_with("Couldn't download storage file \"photos/cat.png\" ("),
        "{text}"
    );
    assert!(text.contains("storage down"), "{text}");
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
}

#[tokio::test]
async fn the_file_listing_must_start_with_config_json() {
    let server = ScriptedServer::start().await;
    server.push(backups_reply());
    server.push(Reply::ndjson([json!({"done": true})]));
    server.push(Reply::json(
        200,
        json!({"files": [{"name": "entities/goals.jsonl", "size": 1}]}),
    ));
    let backups = api(&server).backups(APP_ID);
    let backup = backups.list().send().await.unwrap().remove(0);
    let err = backups
        .download_archive(&backup)
        .to_writer(tokio::io::sink())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Backup files came back in an unexpected order (expected config.json first, got \"entities/goals.jsonl\")."
    );

    server.push(Reply::ndjson([json!({"done": true})]));
    server.push(Reply::json(200, json!({"files": []})));
    let err = backups
        .download_archive(&backup)
        .to_writer(tokio::io::sink())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "No files found for this backup.");
}
