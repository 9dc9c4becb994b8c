//! End to end against the local emulator for the flows it now really performs: backups it
//! takes (downloaded into a zip and read back) and webhook deliveries it makes (received by a
//! local receiver, verified with the emulator's JWKS, their payload fetched).

// Helpers outside #[test] functions panic on purpose: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::Read;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use instantdb_emulator::{AppCredentials, Emulator};
use instantdb_http::{Client, Secret};
use instantdb_platform::{
    PlatformClient, VerifyOptions, WebhookAction, WebhookEventStatus, WebhookHandlers,
    WebhookRecord,
};
use instantdb_test_support::{RecordedRequest, Reply, ScriptedServer};
use serde_json::{Value, json};

async fn emulator() -> (Emulator, PlatformClient) {
    let emulator = Emulator::builder().start().await.unwrap();
    let api = PlatformClient::builder()
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
        .create_backup(&app.app_id, Some("end to end"))
        .unwrap()
        .to_string();
    let backups = api.backups(&app.app_id);
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

/// Waits for the receiver's `n`th delivery.
async fn delivery(receiver: &ScriptedServer, n: usize) -> RecordedRequest {
    for _ in 0..500 {
        let requests = receiver.requests();
        if requests.len() >= n {
            return requests[n - 1].clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no delivery {n} within 5 s");
}

#[tokio::test]
async fn a_delivery_verifies_with_the_jwks_and_its_payload_is_fetched() {
    // Deliveries go to a receiver on this machine: the emulator must accept loopback URLs.
    let emulator = Emulator::builder()
        .allow_loopback_webhooks(true)
        .start()
        .await
        .unwrap();
    let api = PlatformClient::builder()
        .token(emulator.platform_token())
        .api_uri(emulator.base_url())
        .build()
        .unwrap();
    let app = emulator.create_app("hooked").unwrap();
    let admin = admin(&emulator, &app);
    transact(
        &admin,
        json!([["update", "todos", uuid(), { "text": "seed" }]]),
    )
    .await;
    let receiver = ScriptedServer::start().await;
    receiver.set_fallback(Some(Reply::text(200, "ok")));
    let webhooks = api.webhooks(&app.app_id);
    let hook = webhooks
        .create(
            format!("{}/instant-webhook", receiver.url()),
            ["todos"],
            [WebhookAction::Create, WebhookAction::Update],
        )
        .send()
        .await
        .unwrap();

    let todo = uuid();
    transact(
        &admin,
        json!([["update", "todos", todo, { "text": "ship it" }]]),
    )
    .await;
    let request = delivery(&receiver, 1).await;
    assert_eq!(request.path, "/instant-webhook");
    let header = request.header("instant-signature").unwrap().to_owned();

    // The signature verifies against the emulator's JWKS (fetched, as for self-hosted Instant).
    let body = webhooks
        .verify_signature(&header, &request.body, VerifyOptions::new())
        .await
        .unwrap();
    let jwks = webhooks.fetch_jwks().await.unwrap();
    assert!(
        format!("{jwks:?}").contains(
            header
                .split("kid=")
                .nth(1)
                .unwrap()
                .split(',')
                .next()
                .unwrap()
        )
    );
    let mut tampered = request.body.to_vec();
    tampered[0] = b' ';
    let refused = webhooks
        .verify_signature(&header, &tampered, VerifyOptions::new())
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("did not validate"),
        "{refused}"
    );
    let late =
        VerifyOptions::new().received_at(std::time::SystemTime::now() + Duration::from_secs(600));
    assert!(
        webhooks
            .verify_signature(&header, &request.body, late)
            .await
            .is_err()
    );

    let payload = webhooks.fetch_payload(&body).await.unwrap();
    assert_eq!(payload.data.len(), 1);
    let record = &payload.data[0];
    assert_eq!(
        (record.namespace.as_str(), record.id.as_str()),
        ("todos", todo.as_str())
    );
    assert_eq!(record.action, WebhookAction::Create);
    assert_eq!(record.before, None);
    assert_eq!(record.after.as_ref().unwrap()["text"], "ship it");
    assert_eq!(
        request.header("idempotency-key"),
        Some(payload.idempotency_key.as_str())
    );

    // process_request runs the matching handler with the records.
    let seen: Arc<Mutex<Vec<WebhookRecord>>> = Arc::default();
    let sink = seen.clone();
    let handlers = WebhookHandlers::new().on("todos", WebhookAction::Create, move |record| {
        let sink = sink.clone();
        async move {
            sink.lock().unwrap().push(record);
            Ok(())
        }
    });
    webhooks
        .process_request(&handlers, &header, &request.body, VerifyOptions::new())
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap().len(), 1);

    // An update: the second delivery; events and payloads through the management API.
    transact(
        &admin,
        json!([["update", "todos", todo, { "text": "shipped" }]]),
    )
    .await;
    delivery(&receiver, 2).await;
    let mut events = Vec::new();
    // Up to 10 s: the receiver has answered, but the emulator records the attempt afterwards.
    for _ in 0..1000 {
        events = webhooks.list_events(&hook.id).send().await.unwrap().events;
        if events.len() == 2
            && events
                .iter()
                .all(|e| e.status == WebhookEventStatus::Success)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(events.len(), 2);
    assert!(
        events
            .iter()
            .all(|e| e.status == WebhookEventStatus::Success),
        "{events:?}"
    );
    let newest = &events[0];
    assert_eq!(newest.attempts.as_ref().unwrap()[0].status_code, Some(200));
    let fetched = webhooks
        .get_event(&hook.id, &newest.isn)
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.isn, newest.isn);
    let update = webhooks
        .get_payload(&hook.id, &newest.isn)
        .send()
        .await
        .unwrap();
    assert_eq!(update.data[0].action, WebhookAction::Update);
    assert_eq!(update.data[0].before.as_ref().unwrap()["text"], "ship it");
    assert_eq!(update.data[0].after.as_ref().unwrap()["text"], "shipped");

    let resent = webhooks
        .resend_event(&hook.id, &newest.isn)
        .send()
        .await
        .unwrap();
    assert_eq!(resent.status, WebhookEventStatus::Pending);
    let again = delivery(&receiver, 3).await;
    assert_eq!(
        again.header("idempotency-key"),
        Some(update.idempotency_key.as_str())
    );
}
