//! `data_dir`: a restart keeps apps, schema, rules, data, files, tokens and the job history.

use std::time::Duration;

use bytes::Bytes;
use instantdb_emulator::Emulator;
use serde_json::json;

use crate::support::{AdminApp, Client, Platform, uuid};

#[tokio::test]
async fn a_restart_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let start = || {
        Emulator::builder()
            .data_dir(dir.path())
            .job_stage_delay(Duration::from_millis(5))
            .start()
    };

    let emu = start().await.unwrap();
    let token = emu.platform_token().to_owned();
    let creds = emu.create_app("durable").unwrap();
    let app_id = creds.app_id.to_string();
    let mut platform = Platform::new(emu.base_url(), &token);
    let rules = json!({ "notes": { "allow": { "view": "true" } } });
    platform
        .call(
            "POST",
            &format!("/superadmin/apps/{app_id}/perms"),
            Some(json!({ "code": rules })),
        )
        .await
        .ok();
    let mut admin = AdminApp::new(emu.base_url(), &creds);
    let note = uuid();
    let first_tx = admin
        .transact(json!([
            ["update", "notes", note, { "text": "kept", "n": 1 }],
            ["link", "notes", note, { "tags": uuid() }],
        ]))
        .await
        .ok()["tx-id"]
        .as_i64()
        .unwrap();
    let user = admin
        .post("/admin/refresh_tokens", json!({ "email": "p@example.com" }))
        .await
        .ok();
    let refresh = user["user"]["refresh_token"].as_str().unwrap().to_owned();
    let auth = format!("Bearer {}", creds.admin_token());
    admin
        .client
        .send(
            "PUT",
            "/admin/storage/upload",
            &[
                ("app-id", &app_id),
                ("authorization", &auth),
                ("path", "a.txt"),
                ("content-type", "text/plain"),
            ],
            Bytes::from_static(b"persisted bytes"),
        )
        .await
        .ok();
    // Delete something, so the restart must also remember removals.
    let gone = uuid();
    admin
        .transact(json!([["update", "notes", gone, { "text": "gone" }]]))
        .await
        .ok();
    admin
        .transact(json!([["delete", "notes", gone]]))
        .await
        .ok();
    emu.shutdown().await;

    let emu = start().await.unwrap();
    assert_eq!(emu.platform_token(), token, "the platform token survives");
    let mut platform = Platform::new(emu.base_url(), &token);
    let perms = platform
        .call("GET", &format!("/superadmin/apps/{app_id}/perms"), None)
        .await
        .ok();
    assert_eq!(perms["perms"], rules);
    let mut admin = AdminApp {
        client: Client::new(emu.base_url()),
        app_id: app_id.clone(),
        token: creds.admin_token().to_owned(),
    };
    let notes = admin.query(json!({ "notes": {} })).await;
    assert_eq!(notes["notes"].as_array().unwrap().len(), 1);
    assert_eq!(notes["notes"][0]["text"], "kept");
    let schema = admin.get("/admin/schema").await.ok();
    assert!(schema["schema"]["refs"]["notes-tags-tags-notes"].is_object());
    let verified = Client::new(emu.base_url())
        .json(
            "POST",
            "/runtime/auth/verify_refresh_token",
            &[],
            &json!({ "app-id": app_id, "refresh-token": refresh }),
        )
        .await
        .ok();
    assert_eq!(verified["user"]["email"], "p@example.com");
    let files = admin.query(json!({ "$files": {} })).await;
    let url = files["$files"][0]["url"].as_str().unwrap().to_owned();
    let download = Client::new(emu.base_url())
        .get(&url[emu.base_url().len()..], &[])
        .await;
    assert_eq!(&download.body[..], b"persisted bytes");
    let next_tx = admin
        .transact(json!([["update", "notes", note, { "n": 2 }]]))
        .await
        .ok()["tx-id"]
        .as_i64()
        .unwrap();
    assert!(
        next_tx > first_tx + 2,
        "tx ids keep increasing across restarts"
    );

    // A schema push's job history survives too.
    let schema = json!({ "entities": { "notes": { "attrs": {
        "n": crate::admin::attr("number", false, true, false),
    } } }, "links": {} });
    let body = crate::support::push_body(schema);
    let (_, group) = platform.push_apply(&app_id, body).await;
    platform.wait_for_jobs(&app_id, &group).await;
    emu.shutdown().await;

    let emu = start().await.unwrap();
    let mut platform = Platform::new(emu.base_url(), &token);
    let jobs = platform
        .call(
            "GET",
            &format!("/dash/apps/{app_id}/indexing-jobs/group/{group}"),
            None,
        )
        .await
        .ok();
    let statuses: Vec<&str> = jobs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job_status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["completed", "completed"]);
    let schema = platform
        .call("GET", &format!("/superadmin/apps/{app_id}/schema"), None)
        .await
        .ok();
    assert_eq!(
        schema["schema"]["blobs"]["notes"]["n"]["checked-data-type"],
        "number"
    );
    assert_eq!(schema["schema"]["blobs"]["notes"]["n"]["index?"], true);
}

#[tokio::test]
async fn a_corrupt_data_dir_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("emulator.redb"), b"not a database").unwrap();
    let err = Emulator::builder()
        .data_dir(dir.path())
        .start()
        .await
        .unwrap_err();
    assert!(err.is_storage(), "{err}");
}
