//! Backups: what a backup holds, the listing endpoints, file URLs, expiry and deletion.

use std::io::Read;
use std::time::Duration;

use bytes::Bytes;
use instantdb_emulator::Emulator;
use serde_json::{Value, json};

use crate::support::{AdminApp, Client, Platform, emulator, uuid};

fn unzstd(bytes: &[u8]) -> String {
    let mut decoder = ruzstd::decoding::StreamingDecoder::new(bytes).unwrap();
    let mut out = String::new();
    decoder.read_to_string(&mut out).unwrap();
    out
}

/// Downloads a backup file by name through its URL; returns the decoded text.
async fn fetch(
    platform: &mut Platform,
    base: &str,
    app_id: &str,
    backup: &str,
    name: &str,
) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    let url = platform
        .call(
            "GET",
            &format!("/dash/apps/{app_id}/backups/{backup}/file-url?name={encoded}"),
            None,
        )
        .await
        .ok()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = url.strip_prefix(base).unwrap();
    let reply = Client::new(base).get(path, &[]).await;
    assert_eq!(reply.status, 200, "{url}");
    assert_eq!(reply.content_encoding.as_deref(), Some("zstd"));
    unzstd(&reply.body)
}

#[tokio::test]
async fn a_backup_holds_config_entities_and_the_storage_listing() {
    let emu = emulator().await;
    let creds = emu.create_app("backed up").unwrap();
    let app_id = creds.app_id.to_string();
    let mut admin = AdminApp::new(emu.base_url(), &creds);
    let (goal, todo_a, todo_b) = (uuid(), uuid(), uuid());
    admin
        .transact(json!([
            ["update", "goals", goal, { "title": "ship" }],
            ["update", "todos", todo_a, { "text": "a", "done": false }],
            ["update", "todos", todo_b, { "text": "b", "done": true }],
            ["link", "goals", goal, { "todos": [todo_a, todo_b] }],
        ]))
        .await
        .ok();
    let auth = format!("Bearer {}", creds.admin_token());
    let uploaded = admin
        .client
        .send(
            "PUT",
            "/admin/storage/upload",
            &[
                ("app-id", &app_id),
                ("authorization", &auth),
                ("path", "docs/a b.txt"),
            ],
            Bytes::from_static(b"hello"),
        )
        .await
        .ok();
    let location = uploaded["data"]["location-id"].as_str().unwrap().to_owned();

    let mut platform = Platform::new(emu.base_url(), emu.platform_token());
    let list = format!("/dash/apps/{app_id}/backups");
    assert_eq!(
        platform.call("GET", &list, None).await.ok(),
        json!({ "backups": [] })
    );
    let backup = emu
        .create_backup(&creds.app_id, Some("before the launch"))
        .unwrap();
    let later = emu.create_backup(&creds.app_id, None).unwrap();

    let rows = platform.call("GET", &list, None).await.ok();
    let rows = rows["backups"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], json!(later), "newest first");
    assert_eq!(rows[0]["description"], "Automated Daily Snapshot");
    assert_eq!(rows[1]["description"], "before the launch");
    assert_eq!(rows[1]["files_size"], 5);
    assert!(rows[1]["isn"].is_string() && rows[1]["expires_at"].is_string());

    let backup = backup.to_string();
    let files = platform
        .call("GET", &format!("{list}/{backup}/files"), None)
        .await
        .ok();
    let names: Vec<&str> = files["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| file["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "config.json",
            "entities/$files.jsonl",
            "entities/goals.jsonl",
            "entities/todos.jsonl"
        ]
    );

    let base = emu.base_url().to_owned();
    let config: Value =
        serde_json::from_str(&fetch(&mut platform, &base, &app_id, &backup, "config.json").await)
            .unwrap();
    assert_eq!(
        config["counts"],
        json!({ "$files": 1, "goals": 1, "todos": 2 })
    );
    assert_eq!(config["title"], "backed up");
    assert_eq!(config["appId"], json!(creds.app_id));
    assert_eq!(config["description"], "before the launch");
    assert_eq!(
        config["schema"]["entities"]["todos"]["attrs"]["text"]["valueType"],
        "any"
    );
    assert_eq!(
        config["schema"]["links"]["goalsTodos"]["forward"]["has"],
        "many"
    );
    // goals: id, title, todos ×2; todos: id, text, done ×2; $files: id, path, size, location.
    assert_eq!(config["tripleCount"], 4 + 6 + 4);

    let todos = fetch(
        &mut platform,
        &base,
        &app_id,
        &backup,
        "entities/todos.jsonl",
    )
    .await;
    let mut lines: Vec<Value> = todos
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    lines.sort_by_key(|line| line["entity"]["text"].as_str().unwrap().to_owned());
    assert_eq!(lines[0]["entity"]["id"], json!(todo_a));
    assert_eq!(lines[0]["entity"]["done"], false);
    assert!(lines[0]["createdAt"].as_i64().unwrap() > 0);
    let goals = fetch(
        &mut platform,
        &base,
        &app_id,
        &backup,
        "entities/goals.jsonl",
    )
    .await;
    let goal_line: Value = serde_json::from_str(goals.trim()).unwrap();
    let mut linked: Vec<&str> = goal_line["entity"]["todos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap())
        .collect();
    linked.sort();
    let mut expected = [todo_a.as_str(), todo_b.as_str()];
    expected.sort();
    assert_eq!(linked, expected);

    // Storage files: one NDJSON record per `$files` entity, then the end marker.
    let listing = platform
        .call("GET", &format!("{list}/{backup}/storage-files"), None)
        .await;
    assert_eq!(listing.status, 200);
    assert_eq!(listing.content_type, "application/x-ndjson");
    let lines: Vec<Value> = std::str::from_utf8(&listing.body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["locationId"], json!(location));
    assert_eq!(lines[0]["path"], "docs/a b.txt");
    assert_eq!(lines[1], json!({ "done": true }));
    let file_path = lines[0]["url"]
        .as_str()
        .unwrap()
        .strip_prefix(&base)
        .unwrap()
        .to_owned();
    assert_eq!(
        &Client::new(&base).get(&file_path, &[]).await.body[..],
        b"hello"
    );

    // The admin token of the app works; a wrong token in a file URL does not.
    let mut as_admin = Platform::new(emu.base_url(), creds.admin_token());
    as_admin.call("GET", &list, None).await.ok();
    let unknown = Client::new(&base)
        .get(
            &format!("/backups/{app_id}/{backup}/{}/config.json", "0".repeat(32)),
            &[],
        )
        .await;
    assert_eq!(unknown.status, 400);

    // Unknown backups are `record-not-found`; deleted ones leave the list.
    let body = platform
        .call("GET", &format!("{list}/{}/files", uuid()), None)
        .await
        .err(400, "record-not-found");
    assert_eq!(body["hint"]["record-type"], "app-backup");
    let deleted = platform
        .call("DELETE", &format!("{list}/{backup}"), None)
        .await
        .ok();
    assert_eq!(deleted, json!({ "id": backup }));
    platform
        .call("GET", &format!("{list}/{backup}/files"), None)
        .await
        .err(400, "record-not-found");
    assert_eq!(
        platform.call("GET", &list, None).await.ok()["backups"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn expired_backups_are_record_expired_and_unlisted() {
    let emu = Emulator::builder()
        .backup_ttl(Duration::from_millis(1500))
        .start()
        .await
        .unwrap();
    let creds = emu.create_app("short").unwrap();
    let backup = emu.create_backup(&creds.app_id, None).unwrap();
    let mut platform = Platform::new(emu.base_url(), emu.platform_token());
    let list = format!("/dash/apps/{}/backups", creds.app_id);
    let files = platform
        .call("GET", &format!("{list}/{backup}/files"), None)
        .await
        .ok();
    // An empty app still has its config.
    assert_eq!(
        files["files"],
        json!([{ "name": "config.json", "size": files["files"][0]["size"] }])
    );
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let body = platform
        .call("GET", &format!("{list}/{backup}/files"), None)
        .await
        .err(400, "record-expired");
    assert_eq!(body["hint"]["id"], json!(backup));
    assert_eq!(
        platform.call("GET", &list, None).await.ok(),
        json!({ "backups": [] })
    );
    assert!(
        emu.create_backup(uuid::Uuid::new_v4().to_string(), None)
            .is_err()
    );
}

#[tokio::test]
async fn backups_survive_a_restart_with_a_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let start = || async {
        Emulator::builder()
            .data_dir(dir.path())
            .start()
            .await
            .unwrap()
    };
    let emu = start().await;
    let creds = emu.create_app("kept").unwrap();
    AdminApp::new(emu.base_url(), &creds)
        .transact(json!([["update", "notes", uuid(), { "body": "persisted" }]]))
        .await
        .ok();
    let backup = emu.create_backup(&creds.app_id, None).unwrap().to_string();
    emu.shutdown().await;

    let emu = start().await;
    let mut platform = Platform::new(emu.base_url(), emu.platform_token());
    let base = emu.base_url().to_owned();
    let app_id = creds.app_id.to_string();
    let notes = fetch(
        &mut platform,
        &base,
        &app_id,
        &backup,
        "entities/notes.jsonl",
    )
    .await;
    assert!(notes.contains("\"body\":\"persisted\""), "{notes}");
}

#[tokio::test]
async fn on_demand_backups_answer_a_completed_job() {
    let emu = emulator().await;
    let creds = emu.create_app("on demand").unwrap();
    let mut platform = Platform::new(emu.base_url(), emu.platform_token());
    let path = format!("/dash/apps/{}/backups", creds.app_id);
    let job = platform
        .call(
            "POST",
            &path,
            Some(json!({ "description": "before the migration" })),
        )
        .await
        .ok()["job"]
        .clone();
    assert_eq!(job["job_status"], "completed");
    assert_eq!(job["app_id"], json!(creds.app_id));
    let rows = platform.call("GET", &path, None).await.ok();
    assert_eq!(rows["backups"][0]["id"], job["app_backup_id"]);
    assert_eq!(rows["backups"][0]["description"], "before the migration");
    let jobs = format!("/dash/apps/{}/backup-jobs", creds.app_id);
    assert_eq!(
        platform.call("GET", &jobs, None).await.ok(),
        json!({ "jobs": [] })
    );
    let one = platform
        .call(
            "GET",
            &format!("{jobs}/{}", job["id"].as_str().unwrap()),
            None,
        )
        .await
        .ok();
    assert_eq!(one["job"], job);
    // Temporary apps cannot be backed up; a read-only token cannot start one.
    let temp = Client::new(emu.base_url())
        .json(
            "POST",
            "/dash/apps/ephemeral",
            &[],
            &json!({ "title": "tmp" }),
        )
        .await
        .ok();
    let temp_path = format!("/dash/apps/{}/backups", temp["app"]["id"].as_str().unwrap());
    let admin_token = temp["app"]["admin-token"].as_str().unwrap();
    let body = Platform::new(emu.base_url(), admin_token)
        .call("POST", &temp_path, Some(json!({})))
        .await
        .err(400, "validation-failed");
    assert!(body["message"].as_str().unwrap().contains("Ephemeral apps"));
    let read_only = emu
        .create_oauth_token(&["apps-read", "data-read"], Duration::from_secs(60))
        .unwrap();
    Platform::new(emu.base_url(), &read_only)
        .call("POST", &path, Some(json!({})))
        .await
        .err(400, "permission-denied");
}
