//! End to end against the local emulator for the flows it now really performs: backups it
//! takes (downloaded into a zip and read back) and webhook deliveries it makes (received by a
//! local receiver, verified with the emulator's JWKS, their payload fetched).

// Helpers outside #[test] functions panic on purpose: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::Read;

use futures_util::StreamExt;
use instantdb_emulator::{AppCredentials, Emulator};
use instantdb_http::{Client, Secret};
use instantdb_platform::PlatformApi;
use serde_json::{Value, json};

async fn emulator() -> (Emulator, PlatformApi) {
    let emulator = Emulator::builder().start().await.unwrap();
    let api = PlatformApi::builder()
        .token(emulator.platform_token())
        .api_uri(emulator.base_url())
        .build()
        .unwrap();
    (emulator, api)
}

/// An admin-API client of one app (raw HTTP: the platform crate has no admin client).
fn admin(emulator: &Emulator, app: &AppCredentials) -> Client {
    Client::builder()
        .base_url(emulator.base_url())
        .bearer_auth(&Secret::new(app.admin_token()))
        .default_header("app-id", app.app_id.to_string())
        .build()
        .unwrap()
}

async fn transact(admin: &Client, steps: Value) -> Value {
    admin
        .post("/admin/transact")
        .json(&json!({ "steps": steps }))
        .send_json()
        .await
        .unwrap()
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[tokio::test]
async fn a_backup_downloads_into_a_zip_with_the_data_transacted() {
    let (emulator, api) = emulator().await;
    let app = emulator.create_app("backed up").unwrap();
    let admin = admin(&emulator, &app);
    let mut todos = BTreeMap::new();
    let mut steps = Vec::new();
    for n in 0..50 {
        let id = uuid();
        let text = format!("todo {n}");
        steps.push(json!(["update", "todos", id, { "text": text, "n": n }]));
        todos.insert(id, (text, n));
    }
    let goal = uuid();
    let first_todo = todos.keys().next().unwrap().clone();
    steps.push(json!(["update", "goals", goal, { "title": "ship" }]));
    steps.push(json!(["link", "goals", goal, { "todos": first_todo }]));
    transact(&admin, json!(steps)).await;
    let content = b"file body".repeat(1000);
    let uploaded: Value = admin
        .put("/admin/storage/upload")
        .header("path", "docs/readme.txt")
        .header("content-type", "text/plain")
        .body(content.clone())
        .send_json()
        .await
        .unwrap();
    let location = uploaded["data"]["location-id"].as_str().unwrap().to_owned();

    let backup_id = emulator
        .create_backup(app.app_id, Some("end to end"))
        .unwrap()
        .to_string();
    let backups = api.backups(app.app_id.to_string());
    let listed = backups.list().send().await.unwrap();
    assert_eq!(listed.len(), 1);
    let backup = &listed[0];
    assert_eq!(backup.id, backup_id);
    assert_eq!(backup.description.as_deref(), Some("end to end"));
    assert_eq!(backup.files_size, Some(content.len() as u64));
    let files = backups.list_files(&backup.id).send().await.unwrap();
    let names: Vec<&str> = files.iter().map(|file| file.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "config.json",
            "entities/$files.jsonl",
            "entities/goals.jsonl",
            "entities/todos.jsonl"
        ]
    );
    let mut listing = backups.storage_files(&backup.id).send().await.unwrap();
    let mut storage = Vec::new();
    while let Some(file) = listing.next().await {
        storage.push(file.unwrap());
    }
    assert_eq!(storage.len(), 1);
    assert_eq!(storage[0].location_id, location);
    assert_eq!(storage[0].path.as_deref(), Some("docs/readme.txt"));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(backup.zip_name());
    let mut download = backups.download_archive(backup).to_file(&path);
    let mut reports = 0;
    while download.next().await.is_some() {
        reports += 1;
    }
    let result = download.await.unwrap();
    assert!(reports > 0);
    assert_eq!((result.entities, result.files), (3, 1));
    assert_eq!(result.zip_bytes, std::fs::metadata(&path).unwrap().len());

    let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    let mut read = |name: &str| {
        let mut entry = zip.by_name(name).unwrap();
        let mut out = Vec::new();
        entry.read_to_end(&mut out).unwrap();
        out
    };
    let config: Value = serde_json::from_slice(&read("config.json")).unwrap();
    assert_eq!(
        config["counts"],
        json!({ "$files": 1, "goals": 1, "todos": 50 })
    );
    assert_eq!(config["appId"], json!(app.app_id));
    let shard = String::from_utf8(read("entities/todos.jsonl")).unwrap();
    let mut seen = BTreeMap::new();
    for line in shard.lines() {
        let line: Value = serde_json::from_str(line).unwrap();
        let entity = &line["entity"];
        seen.insert(
            entity["id"].as_str().unwrap().to_owned(),
            (
                entity["text"].as_str().unwrap().to_owned(),
                entity["n"].as_i64().unwrap(),
            ),
        );
    }
    assert_eq!(seen, todos, "every todo, decompressed, as transacted");
    let goals: Value = serde_json::from_slice(read("entities/goals.jsonl").trim_ascii()).unwrap();
    assert_eq!(goals["entity"]["todos"], json!([first_todo]));
    assert_eq!(read(&format!("files/{location}")), content);
}
