//! Schema pushes against the scripted server: job progress, failed jobs, poll failures, no
//! retries of the apply.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use instantdb_platform::{ErrorKind, JobStatus, PollingPolicy, PushSummary};
use instantdb_schema::{SchemaDef, i};
use instantdb_test_support::{Reply, ScriptedServer};
use serde_json::{Value, json};

use crate::support::*;

fn schema() -> SchemaDef {
    i::schema().entities([(
        "todos",
        i::entity([
            ("title", i::string().unique().indexed()),
            ("done", i::boolean()),
        ]),
    )])
}

fn fast() -> PollingPolicy {
    PollingPolicy::default()
        .with_initial_interval(Duration::from_millis(5))
        .with_max_interval(Duration::from_millis(20))
}

/// The apply answer: an `add-attr`, then `index` (job-1) and `unique` (job-2) jobs.
fn apply_reply() -> Reply {
    let raw = |id: &str, job_type: &str| {
        // Apply responses carry raw rows: no attr_name, no samples.
        json!({"id": id, "app_id": APP_ID, "group_id": "group-1", "attr_id": "attr-title",
               "job_type": job_type, "job_status": "waiting", "job_serial_key": "k",
               "created_at": "2024-01-02T03:04:05Z", "updated_at": "2024-01-02T03:04:05Z"})
    };
    Reply::json(
        200,
        json!({
            "transaction": {"id": 1, "app_id": APP_ID, "created_at": "2024-01-02T03:04:05Z"},
            "steps": [
                ["add-attr", {"id": "attr-done", "forward-identity": ["ident-done", "todos", "done"],
                              "value-type": "blob", "cardinality": "one", "unique?": false,
                              "index?": false, "required?": true, "catalog": "user",
                              "checked-data-type": "boolean"}],
                ["index", {"attr-id": "attr-title", "forward-identity": ident("title"), "job-id": "job-1"}],
                ["unique", {"attr-id": "attr-title", "forward-identity": ident("title"), "job-id": "job-2"}],
            ],
            "indexing-jobs": {"group-id": "group-1", "jobs": [raw("job-1", "index"), raw("job-2", "unique")]},
        }),
    )
}

fn errored_unique(updated_at: &str) -> Value {
    let mut job = job("job-2", "unique", "errored", updated_at);
    job["error"] = json!("triple-not-unique-error");
    job["invalid_unique_value"] = json!("Write docs");
    job["invalid_triples_sample"] = json!([
        {"entity_id": "e-1", "value": "Write docs", "json_type": "string"},
        {"entity_id": "e-2", "value": "Write docs", "json_type": "string"},
    ]);
    job
}

#[tokio::test]
async fn jobs_go_from_waiting_to_completed_and_a_failed_job_is_recorded_in_its_step() {
    let server = ScriptedServer::start().await;
    server.push(schema_reply());
    server.push(apply_reply());
    // No change since the apply answer, then progress, then done with one failure.
    server.push(jobs_reply(vec![
        job("job-1", "index", "waiting", "2024-01-02T03:04:05Z"),
        job("job-2", "unique", "waiting", "2024-01-02T03:04:05Z"),
    ]));
    server.push(jobs_reply(vec![
        job("job-1", "index", "processing", "2024-01-02T03:04:06Z"),
        job("job-2", "unique", "waiting", "2024-01-02T03:04:05Z"),
    ]));
    server.push(jobs_reply(vec![
        job("job-1", "index", "completed", "2024-01-02T03:04:07Z"),
        errored_unique("2024-01-02T03:04:07Z"),
    ]));
    server.push(schema_reply());

    let mut push = api(&server)
        .schema_push(APP_ID, &schema())
        .polling(fast())
        .send();
    let mut progress: Vec<PushSummary> = Vec::new();
    while let Some(summary) = push.next().await {
        progress.push(summary);
    }
    let result = push.await.unwrap();

    let descriptions: Vec<&str> = progress
        .iter()
        .map(|s| s.friendly_description.as_str())
        .collect();
    assert_eq!(
        descriptions,
        [
            "Completing 2 of 3 schema operations.",
            "Completing 2 of 3 schema operations.",
            "Finished 3 schema operations, with 1 error",
        ]
    );
    let statuses: Vec<Vec<String>> = progress
        .iter()
        .map(|s| {
            s.steps
                .iter()
                .filter_map(|step| step.background_job.as_ref().map(|j| j.status.to_string()))
                .collect()
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ["waiting", "waiting"],
            ["processing", "waiting"],
            ["completed", "errored"]
        ]
    );

    assert!(result.has_errors());
    assert_eq!(result.summary.error_count, 1);
    assert_eq!(result.summary.completed_count, 2);
    let steps = result.steps();
    assert_eq!(steps[0].friendly_description, "Add attribute todos.done.");
    assert!(steps[0].background_job.is_none());
    assert_eq!(steps[1].friendly_description, "Add index to todos.title.");
    let failed: Vec<_> = result.errored_steps().collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        failed[0].friendly_description,
        "Ensure that todos.title is unique."
    );
    let job = failed[0].background_job.as_ref().unwrap();
    assert_eq!(job.status, JobStatus::Errored);
    assert_eq!(job.error.as_deref(), Some("triple-not-unique-error"));
    assert_eq!(job.invalid_unique_value, Some(json!("Write docs")));
    let sample = job.invalid_triples_sample.as_ref().unwrap();
    assert_eq!(sample.len(), 2);
    assert_eq!(sample[0].entity_id, "e-1");
    assert_eq!(sample[0].json_type, "string");
    assert_eq!((job.work_estimate, job.work_completed), (Some(10), Some(3)));
    assert!(result.new_schema.schema.entities.contains_key("todos"));

    let err = result.ensure_success().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::JobsFailed);
    assert!(err.to_string().contains("triple-not-unique-error"), "{err}");

    let requests = server.requests();
    assert_eq!(
        paths(&requests),
        [
            format!("GET /superadmin/apps/{APP_ID}/schema"),
            format!("POST /superadmin/apps/{APP_ID}/schema/push/apply"),
            format!("GET /dash/apps/{APP_ID}/indexing-jobs/group/group-1"),
            format!("GET /dash/apps/{APP_ID}/indexing-jobs/group/group-1"),
            format!("GET /dash/apps/{APP_ID}/indexing-jobs/group/group-1"),
            format!("GET /superadmin/apps/{APP_ID}/schema"),
        ]
    );
    let body = requests[1].json().unwrap();
    assert_eq!(body["check_types"], json!(true));
    assert_eq!(body["supports_background_updates"], json!(true));
    assert!(body.get("overwrite").is_none());
}

#[tokio::test]
async fn awaiting_without_reading_progress_gives_the_same_result() {
    let server = ScriptedServer::start().await;
    server.push(schema_reply());
    server.push(apply_reply());
    server.push(jobs_reply(vec![
        job("job-1", "index", "completed", "2024-01-02T03:04:07Z"),
        job("job-2", "unique", "completed", "2024-01-02T03:04:07Z"),
    ]));
    server.push(schema_reply());
    let result = api(&server)
        .schema_push(APP_ID, &schema())
        .polling(fast())
        .send()
        .await
        .unwrap();
    assert!(!result.has_errors());
    assert_eq!(
        result.summary.friendly_description,
        "Finished 3 schema operations."
    );
    result.ensure_success().unwrap();
}

#[tokio::test]
async fn the_wait_doubles_without_progress_up_to_the_cap() {
    let server = ScriptedServer::start().await;
    server.push(schema_reply());
    server.push(apply_reply());
    let waiting = || {
        jobs_reply(vec![
            job("job-1", "index", "waiting", "2024-01-02T03:04:05Z"),
            job("job-2", "unique", "waiting", "2024-01-02T03:04:05Z"),
        ])
    };
    for _ in 0..4 {
        server.push(waiting());
    }
    server.push(jobs_reply(vec![
        job("job-1", "index", "completed", "2024-01-02T03:04:07Z"),
        job("job-2", "unique", "completed", "2024-01-02T03:04:07Z"),
    ]));
    server.push(schema_reply());
    let policy = PollingPolicy::default()
        .with_initial_interval(Duration::from_millis(20))
        .with_max_interval(Duration::from_millis(80));
    let started = Instant::now();
    api(&server)
        .schema_push(APP_ID, &schema())
        .polling(policy)
        .send()
        .await
        .unwrap();
    // 20 + 40 + 80 + 80 + 80 ms of waiting before the five polls.
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test]
async fn four_failed_polls_in_a_row_are_tolerated() {
    let server = ScriptedServer::start().await;
    server.push(schema_reply());
    server.push(apply_reply());
    for _ in 0..4 {
        server.push(Reply::json(
            500,
            json!({"type": "unknown", "message": "busy"}),
        ));
    }
    server.push(jobs_reply(vec![
        job("job-1", "index", "completed", "2024-01-02T03:04:07Z"),
        job("job-2", "unique", "completed", "2024-01-02T03:04:07Z"),
    ]));
    server.push(schema_reply());
    let result = api(&server)
        .schema_push(APP_ID, &schema())
        .polling(fast())
        .send()
        .await
        .unwrap();
    assert!(!result.has_errors());
    assert_eq!(server.requests().len(), 2 + 5 + 1);
}

#[tokio::test]
async fn the_fifth_failed_poll_in_a_row_fails_the_push() {
    let server = ScriptedServer::start().await;
    server.push(schema_reply());
    server.push(apply_reply());
    // A success in between resets the count.
    server.push(Reply::json(
        500,
        json!({"type": "unknown", "message": "busy"}),
    ));
    server.push(jobs_reply(vec![
        job("job-1", "index", "processing", "2024-01-02T03:04:06Z"),
        job("job-2", "unique", "waiting", "2024-01-02T03:04:05Z"),
    ]));
    for _ in 0..5 {
        server.push(Reply::json(
            500,
            json!({"type": "unknown", "message": "busy"}),
        ));
    }
    let mut push = api(&server)
        .schema_push(APP_ID, &schema())
        .polling(fast())
        .send();
    let mut reports = 0;
    while push.next().await.is_some() {
        reports += 1;
    }
    let err = push.await.unwrap_err();
    assert_eq!(reports, 1);
    assert_eq!(err.kind(), ErrorKind::Polling);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert!(err.to_string().contains("5 times in a row"), "{err}");
    assert_eq!(server.requests().len(), 2 + 1 + 1 + 5);
}

#[tokio::test]
async fn a_job_missing_from_the_poll_is_a_clear_error() {
    let server = ScriptedServer::start().await;
    server.push(schema_reply());
    server.push(apply_reply());
    for _ in 0..5 {
        server.push(jobs_reply(vec![job(
            "job-1",
            "index",
            "completed",
            "2024-01-02T03:04:07Z",
        )]));
    }
    let err = api(&server)
        .schema_push(APP_ID, &schema())
        .polling(fast().with_max_consecutive_failures(4))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Polling);
    let text = err.to_string();
    assert!(text.contains("no background job `job-2`"), "{text}");
    assert!(
        text.contains("Ensure that todos.title is unique."),
        "{text}"
    );
}

#[tokio::test]
async fn polling_can_be_given_a_time_limit() {
    let server = ScriptedServer::start().await;
    server.push(schema_reply());
    server.push(apply_reply());
    server.set_fallback(Some(jobs_reply(vec![
        job("job-1", "index", "processing", "2024-01-02T03:04:06Z"),
        job("job-2", "unique", "waiting", "2024-01-02T03:04:05Z"),
    ])));
    let err = api(&server)
        .schema_push(APP_ID, &schema())
        .polling(fast().with_timeout(Duration::from_millis(60)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Polling);
    assert!(err.to_string().contains("gave up waiting"), "{err}");
}

#[tokio::test]
async fn the_apply_is_never_retried() {
    // A 503 on an idempotent request would be retried; the apply is not idempotent.
    let server = ScriptedServer::start().await;
    server.push(schema_reply());
    server.push(Reply::json(503, json!({"message": "unavailable"})).header("retry-after", "0"));
    let err = api(&server)
        .schema_push(APP_ID, &schema())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests().len(), 2);

    // Not even after a refused token: the push refreshed once up front, as upstream.
    let server = ScriptedServer::start().await;
    let (api, refreshed) = refresh_api(&server);
    server.push(token_reply("fresh-token"));
    server.push(schema_reply());
    server.push(Reply::json(
        401,
        json!({"type": "authorization", "message": "Unauthorized"}),
    ));
    let err = api.schema_push(APP_ID, &schema()).send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    let requests = server.requests();
    assert_eq!(
        paths(&requests),
        [
            "POST /platform/oauth/token".to_owned(),
            format!("GET /superadmin/apps/{APP_ID}/schema"),
            format!("POST /superadmin/apps/{APP_ID}/schema/push/apply"),
        ]
    );
    assert_eq!(bearer(&requests[2]), Some("fresh-token"));
    assert_eq!(refreshed.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_failed_up_front_refresh_is_ignored_as_upstream() {
    let server = ScriptedServer::start().await;
    let (api, refreshed) = refresh_api(&server);
    server.push(Reply::json(400, json!({"type": "record-not-found", "message": "Record not found: oauth-refresh-token", "hint": {"record-type": "oauth-refresh-token"}})));
    server.push(schema_reply());
    server.push(Reply::json(
        200,
        json!({"steps": [], "indexing-jobs": null}),
    ));
    server.push(schema_reply());
    let result = api.schema_push(APP_ID, &schema()).send().await.unwrap();
    assert_eq!(
        result.summary.friendly_description,
        "Finished 0 schema operations."
    );
    assert!(refreshed.lock().unwrap().is_empty());
    assert_eq!(bearer(&server.requests()[1]), Some(TOKEN));
}

#[tokio::test]
async fn pushes_and_plans_need_auth_and_renames_need_overwrite() {
    let server = ScriptedServer::start().await;
    let no_auth = instantdb_platform::PlatformClient::builder()
        .api_uri(server.url())
        .build()
        .unwrap();
    let err = no_auth
        .schema_push(APP_ID, &schema())
        .send()
        .await
        .unwrap_err();
    assert!(err.is_missing_auth());
    assert_eq!(err.to_string(), "PlatformApi was not provided auth.");

    let err = api(&server)
        .schema_push(APP_ID, &schema())
        .renames(["todos.title:todos.name"])
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        err.to_string(),
        "If you pass in `renames`, you _must_ pass in `overwrite: true`"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn overwrite_pushes_send_client_computed_steps() {
    let server = ScriptedServer::start().await;
    server.push(schema_reply());
    server.push(Reply::json(
        200,
        json!({"steps": [], "indexing-jobs": null}),
    ));
    server.push(schema_reply());
    // Rename title to name, drop nothing else.
    let renamed = i::schema().entities([("todos", i::entity([("name", i::string().optional())]))]);
    api(&server)
        .schema_push(APP_ID, &renamed)
        .overwrite(true)
        .renames(["todos.title:todos.name"])
        .send()
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(
        requests[1].path,
        format!("/dash/apps/{APP_ID}/schema/steps/apply")
    );
    let body = requests[1].json().unwrap();
    assert_eq!(
        body,
        json!({"steps": [["update-attr", {"id": "attr-title",
            "forward-identity": ["attr-title", "todos", "name"], "cardinality": "one"}]]})
    );

    // A schema that fails validation is refused before anything is written.
    let server = ScriptedServer::start().await;
    server.push(schema_reply());
    let invalid = i::schema().entities([("$nope", i::entity([("x", i::string())]))]);
    let err = api(&server)
        .schema_push(APP_ID, &invalid)
        .overwrite(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string().contains("The $ keyword is reserved"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn plans_translate_every_step_type() {
    let server = ScriptedServer::start().await;
    let step =
        |kind: &str| json!([kind, {"attr-id": "attr-title", "forward-identity": ident("title")}]);
    server.push(Reply::json(
        200,
        json!({
            "new-schema": {"blobs": {}, "refs": {}},
            "current-schema": {"blobs": {}, "refs": {}},
            "current-attrs": [attr("attr-title", "todos", "title", Some("string"))],
            "steps": [
                ["add-attr", attr("attr-new", "posts", "id", None)],
                ["update-attr", {"id": "attr-title", "on-delete": "cascade"}],
                step("index"), step("remove-index"), step("unique"), step("remove-unique"),
                step("required"), step("remove-required"),
                ["check-data-type", {"attr-id": "attr-title", "forward-identity": ident("title"), "checked-data-type": "number"}],
                step("remove-data-type"),
                ["delete-attr", "attr-title"],
            ],
        }),
    ));
    let plan = api(&server)
        .plan_schema_push(APP_ID, &schema())
        .send()
        .await
        .unwrap();
    let descriptions: Vec<&str> = plan
        .steps
        .iter()
        .map(|s| s.friendly_description.as_str())
        .collect();
    assert_eq!(
        descriptions,
        [
            "Create new entity posts.id.",
            "Update attribute undefined.undefined.",
            "Add index to todos.title.",
            "Remove index from todos.title.",
            "Ensure that todos.title is unique.",
            "Remove uniqueness constraint from todos.title.",
            "Make todos.title a required attribute.",
            "Allow todos.title to be missing or null.",
            "Enforce data type of todos.title as type number.",
            "Stop enforcing data type of todos.title.",
            "Delete attribute todos.title.",
        ]
    );
    let body = server.requests()[0].json().unwrap();
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["schema", "check_types", "supports_background_updates"]
    );
}
