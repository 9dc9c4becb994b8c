//! End to end against the local emulator (`instantdb-emulator`): real plans, real background
//! jobs, real errors.

use std::time::Duration;

use futures_util::StreamExt;
use instantdb_emulator::Emulator;
use instantdb_http::{Client, Secret};
use instantdb_platform::{JobStatus, PlatformClient, PollingPolicy, WebhookAction};
use instantdb_schema::perms::Rules;
use instantdb_schema::{Has, i};
use serde_json::json;

async fn emulator() -> (Emulator, PlatformClient) {
    let emulator = Emulator::builder()
        .job_stage_delay(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let api = PlatformClient::builder()
        .token(emulator.platform_token())
        .api_uri(emulator.base_url())
        .build()
        .unwrap();
    (emulator, api)
}

fn with_link(schema: instantdb_schema::SchemaDef) -> instantdb_schema::SchemaDef {
    schema.links([(
        "goalsTodos",
        i::link(
            i::forward("goals", Has::Many, "todos"),
            i::reverse("todos", Has::One, "goal"),
        ),
    )])
}

fn polling() -> PollingPolicy {
    PollingPolicy::default()
        .with_initial_interval(Duration::from_millis(10))
        .with_max_interval(Duration::from_millis(100))
        .with_timeout(Duration::from_secs(20))
}

/// Writes rows with the admin API (raw HTTP: the platform crate has no admin client).
async fn insert_todos(base_url: &str, app_id: &str, admin_token: &Secret, texts: &[&str]) {
    let http = Client::builder()
        .base_url(base_url)
        .bearer_auth(admin_token)
        .default_header("app-id", app_id)
        .build()
        .unwrap();
    let steps: Vec<_> = texts
        .iter()
        .map(|text| json!(["update", "todos", uuid::Uuid::new_v4().to_string(), {"text": text}]))
        .collect();
    let _: serde_json::Value = http
        .post("/admin/transact")
        .json(&json!({"steps": steps}))
        .send_json()
        .await
        .unwrap();
}

#[tokio::test]
async fn apps_schema_perms_and_pushes() {
    let (emulator, api) = emulator().await;

    // Create with a schema and rules.
    let schema = with_link(i::schema().entities([
        ("goals", i::entity([("title", i::string().indexed())])),
        ("todos", i::entity([("text", i::string().optional())])),
    ]));
    let perms = Rules::from_json(
        r#"{"$default": {"allow": {"$default": "false"}}, "todos": {"allow": {"view": "true"}}}"#,
    )
    .unwrap();
    let app = api
        .create_app("E2E app")
        .schema(&schema)
        .perms(&perms)
        .send()
        .await
        .unwrap();
    let admin_token = app.admin_token.clone().expect("an admin token on creation");
    assert_eq!(app.perms.as_ref().unwrap().to_value(), perms.to_value());
    let created = app.schema.as_ref().unwrap();
    assert!(created.schema.entities.contains_key("goals"));

    // Read back.
    let fetched = api.get_schema(&app.id).send().await.unwrap();
    assert_eq!(
        fetched.schema.entities["goals"]
            .attrs
            .keys()
            .collect::<Vec<_>>(),
        ["title"]
    );
    assert!(fetched.schema.links.contains_key("goalsTodos"));
    assert_eq!(
        api.get_perms(&app.id)
            .send()
            .await
            .unwrap()
            .unwrap()
            .to_value(),
        perms.to_value()
    );
    let apps = api.get_apps().include_schema(true).send().await.unwrap();
    assert!(apps.iter().any(|a| a.id == app.id && a.schema.is_some()));
    let full = api
        .get_app(&app.id)
        .include_perms(true)
        .include_schema(true)
        .send()
        .await
        .unwrap();
    assert_eq!(full.title, "E2E app");

    // Additive plan and push: a new indexed attribute.
    let v2 = with_link(i::schema().entities([
        (
            "goals",
            i::entity([
                ("title", i::string().indexed()),
                ("priority", i::number().indexed().optional()),
            ]),
        ),
        ("todos", i::entity([("text", i::string().optional())])),
    ]));
    let plan = api.plan_schema_push(&app.id, &v2).send().await.unwrap();
    let planned: Vec<&str> = plan
        .steps
        .iter()
        .map(|s| s.friendly_description.as_str())
        .collect();
    assert!(
        planned.contains(&"Add attribute goals.priority."),
        "{planned:?}"
    );
    let mut push = api.schema_push(&app.id, &v2).polling(polling()).send();
    while push.next().await.is_some() {}
    let pushed = push.await.unwrap();
    assert!(!pushed.has_errors(), "{:?}", pushed.summary);
    assert!(
        pushed.new_schema.schema.entities["goals"]
            .attrs
            .contains_key("priority")
    );

    // Overwrite with a unique constraint the data breaks: the job fails, the push resolves.
    insert_todos(
        emulator.base_url(),
        &app.id,
        &admin_token,
        &["Write docs", "Write docs", "Ship"],
    )
    .await;
    let v3 = with_link(i::schema().entities([
        (
            "goals",
            i::entity([
                ("title", i::string().indexed()),
                ("priority", i::number().indexed().optional()),
            ]),
        ),
        (
            "todos",
            i::entity([("text", i::string().unique().optional())]),
        ),
    ]));
    let plan = api
        .plan_schema_push(&app.id, &v3)
        .overwrite(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        plan.steps
            .iter()
            .map(|s| s.friendly_description.as_str())
            .collect::<Vec<_>>(),
        ["Ensure that todos.text is unique."]
    );
    let mut push = api
        .schema_push(&app.id, &v3)
        .overwrite(true)
        .polling(polling())
        .send();
    let mut statuses = Vec::new();
    while let Some(summary) = push.next().await {
        statuses.push(summary.friendly_description);
    }
    let result = push.await.unwrap();
    assert!(result.has_errors(), "{:?}", result.summary);
    assert_eq!(
        statuses.last().unwrap(),
        "Finished 1 schema operation, with 1 error"
    );
    let step = result.errored_steps().next().unwrap();
    let job = step.background_job.as_ref().unwrap();
    assert_eq!(job.status, JobStatus::Errored);
    assert_eq!(job.error.as_deref(), Some("triple-not-unique-error"));
    assert_eq!(job.invalid_unique_value, Some(json!("Write docs")));
    assert!(result.ensure_success().is_err());

    // Rename with overwrite.
    let v4 = with_link(i::schema().entities([
        (
            "goals",
            i::entity([
                ("name", i::string().indexed()),
                ("priority", i::number().indexed().optional()),
            ]),
        ),
        ("todos", i::entity([("text", i::string().optional())])),
    ]));
    let renamed = api
        .schema_push(&app.id, &v4)
        .overwrite(true)
        .renames(["goals.title:goals.name"])
        .polling(polling())
        .send()
        .await
        .unwrap();
    assert!(!renamed.has_errors(), "{:?}", renamed.summary);
    assert!(
        renamed.new_schema.schema.entities["goals"]
            .attrs
            .contains_key("name")
    );
    assert!(
        !renamed.new_schema.schema.entities["goals"]
            .attrs
            .contains_key("title")
    );

    // Rules, title, webhooks, deletion.
    let stricter =
        Rules::from_json(r#"{"todos": {"allow": {"view": "auth.id != null"}}}"#).unwrap();
    let stored = api.push_perms(&app.id, &stricter).send().await.unwrap();
    assert_eq!(stored.to_value(), stricter.to_value());
    assert_eq!(
        api.update_app(&app.id, "Renamed")
            .send()
            .await
            .unwrap()
            .title,
        "Renamed"
    );
    let webhooks = api.webhooks(&app.id);
    let hook = webhooks
        .create(
            "https://hooks.example.com/instant",
            ["todos"],
            [WebhookAction::Create],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(webhooks.list().send().await.unwrap()[0].id, hook.id);
    let deleted = api.delete_app(&app.id).send().await.unwrap();
    assert_eq!(deleted.id, app.id);
    let err = api.get_app(&app.id).send().await.unwrap_err();
    assert!(err.is_record_not_found(), "{err}");
}

#[tokio::test]
async fn admin_tokens_oauth_scopes_and_temporary_apps() {
    let (emulator, api) = emulator().await;
    let app = api.create_app("Scoped").send().await.unwrap();

    // An app admin token works on its app's endpoints, not on user-level ones.
    let admin = PlatformClient::builder()
        .token(app.admin_token.unwrap())
        .api_uri(emulator.base_url())
        .build()
        .unwrap();
    admin.get_schema(&app.id).send().await.unwrap();
    assert!(admin.get_apps().send().await.is_err());

    // An OAuth token: scopes are enforced and reported.
    let token = emulator
        .create_oauth_token(&["apps-read"], Duration::from_secs(3600))
        .unwrap();
    let reader = PlatformClient::builder()
        .token(token)
        .api_uri(emulator.base_url())
        .build()
        .unwrap();
    let info = reader.token_info().await.unwrap();
    assert_eq!(info.scopes.to_string(), "apps-read");
    reader.get_apps().send().await.unwrap();
    let err = reader.create_app("nope").send().await.unwrap_err();
    assert!(err.is_permission_denied(), "{err}");
    assert!(!err.is_auth_failure());

    // Temporary apps need no token.
    let anonymous = PlatformClient::builder()
        .api_uri(emulator.base_url())
        .build()
        .unwrap();
    let temp = anonymous
        .create_temporary_app("Scratch")
        .send()
        .await
        .unwrap();
    assert!(temp.app.admin_token.is_some());
    assert!(temp.expires_at().is_some());
}
