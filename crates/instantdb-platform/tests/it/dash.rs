//! The `/dash/*` calls `instant-cli` makes: the ticket login's requests and answers, and the
//! schema pull plus step apply of a client-diffed push, end to end against the emulator.

use std::time::Duration;

use instantdb_emulator::Emulator;
use instantdb_http::Secret;
use instantdb_platform::{CliLoginStatus, PlatformClient, PollingPolicy};
use instantdb_schema::diff::{RenameSelector, convert_tx_steps, diff_schemas};
use instantdb_schema::{collect_system_catalog_ident_names, i};
use instantdb_test_support::{Reply, ScriptedServer};
use serde_json::json;

use crate::support::*;

fn waiting_reply() -> Reply {
    Reply::json(
        400,
        json!({"type": "validation-failed",
               "message": "Validation failed for instant-cli-login: Waiting for a user to accept this request",
               "hint": {"data-type": "instant-cli-login", "input": "t",
                        "errors": [{"issue": "waiting-for-user",
                                    "message": "Waiting for a user to accept this request"}]}}),
    )
}

#[tokio::test]
async fn ticket_login_registers_without_a_token_and_maps_waiting_to_a_status() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(
        200,
        json!({"secret": "5c0e5a3e-secret", "ticket": "ticket-1"}),
    ));
    server.push(waiting_reply());
    server.push(Reply::json(
        200,
        json!({"token": "dash-token", "email": "me@example.com"}),
    ));
    server.push(Reply::json(
        400,
        json!({"type": "validation-failed", "message": "Validation failed for instant-cli-login: This request has been denied",
               "hint": {"errors": [{"issue": "user-voided-request", "message": "This request has been denied"}]}}),
    ));
    // No auth at all: these calls need none.
    let api = PlatformClient::builder()
        .api_uri(server.url())
        .build()
        .unwrap();

    let login = api.start_cli_login().send().await.unwrap();
    assert_eq!(login.ticket, "ticket-1");
    assert_eq!(login.secret.expose(), "5c0e5a3e-secret");
    assert!(!format!("{login:?}").contains("5c0e5a3e"), "{login:?}");

    let status = api.check_cli_login(&login.secret).send().await.unwrap();
    assert!(matches!(status, CliLoginStatus::Waiting), "{status:?}");
    match api.check_cli_login(&login.secret).send().await.unwrap() {
        CliLoginStatus::Approved { token, email } => {
            assert_eq!(token.expose(), "dash-token");
            assert_eq!(email, "me@example.com");
        }
        other => panic!("{other:?}"),
    }
    let denied = api
        .check_cli_login(&Secret::new("other"))
        .send()
        .await
        .unwrap_err();
    assert!(denied.is_validation_failed(), "{denied}");
    assert!(denied.to_string().contains("denied"), "{denied}");

    let requests = server.requests();
    assert_eq!(
        paths(&requests),
        [
            "POST /dash/cli/auth/register",
            "POST /dash/cli/auth/check",
            "POST /dash/cli/auth/check",
            "POST /dash/cli/auth/check",
        ]
    );
    assert!(requests.iter().all(|r| r.header("authorization").is_none()));
    assert_eq!(
        requests[1].json().unwrap(),
        json!({"secret": "5c0e5a3e-secret"})
    );
    assert_eq!(requests[3].json().unwrap(), json!({"secret": "other"}));
}

#[tokio::test]
async fn current_user_and_pull_schema_read_the_dash_answers() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(
        200,
        json!({"user": {"id": "u1", "email": "me@example.com", "created_at": "2024-01-02T03:04:05Z"}}),
    ));
    server.push(Reply::json(
        200,
        json!({"schema": {"blobs": {"todos": {"title": attr("a1", "todos", "title", Some("string"))}},
                          "refs": {}},
               "attrs": [attr("a1", "todos", "title", Some("string")),
                         attr("s1", "$users", "email", None)],
               "app-title": "Todos"}),
    ));
    let api = api(&server);
    let me = api.current_user().send().await.unwrap();
    assert_eq!(
        (me.id.as_str(), me.email.as_str()),
        ("u1", "me@example.com")
    );
    let pulled = api.pull_schema(APP_ID).send().await.unwrap();
    assert_eq!(pulled.app_title, "Todos");
    assert_eq!(pulled.attrs.len(), 2);
    assert_eq!(
        pulled.schema.schema.entities["todos"]
            .attrs
            .keys()
            .collect::<Vec<_>>(),
        ["title"]
    );
    let requests = server.requests();
    assert_eq!(
        paths(&requests),
        [
            "GET /dash/me".to_owned(),
            format!("GET /dash/apps/{APP_ID}/schema/pull")
        ]
    );
    assert!(
        requests.iter().all(|r| bearer(r) == Some(TOKEN)),
        "{requests:?}"
    );
}

#[tokio::test]
async fn pulled_schema_diffed_on_the_client_applies_renames_and_reports_jobs() {
    let emulator = Emulator::builder()
        .job_stage_delay(Duration::from_millis(10))
        .start()
        .await
        .unwrap();
    let api = PlatformClient::builder()
        .token(emulator.platform_token())
        .api_uri(emulator.base_url())
        .build()
        .unwrap();
    let before = i::schema().entities([(
        "todos",
        i::entity([("name", i::string()), ("done", i::boolean())]),
    )]);
    let app = api
        .create_app("Steps")
        .schema(&before)
        .send()
        .await
        .unwrap();

    // Rename `name` to `title` and index it: an update-attr plus an index job.
    let after = i::schema().entities([(
        "todos",
        i::entity([("title", i::string().indexed()), ("done", i::boolean())]),
    )]);
    let pulled = api.pull_schema(&app.id).send().await.unwrap();
    assert!(
        pulled
            .attrs
            .iter()
            .any(|attr| attr.forward_identity.etype == "$users"),
        "the pull lists system attributes"
    );
    let system = collect_system_catalog_ident_names(&pulled.attrs);
    let mut renames = RenameSelector::parse(&["todos.name:todos.title"]).unwrap();
    let txs = diff_schemas(&pulled.schema.schema, &after, &mut renames, &system).unwrap();
    let steps = convert_tx_steps(&txs, &pulled.attrs, || uuid::Uuid::new_v4().to_string()).unwrap();
    let kinds: Vec<_> = steps.iter().map(|step| step.type_name()).collect();
    assert_eq!(kinds, ["update-attr", "index"]);

    let result = api
        .apply_schema_steps(&app.id, &steps, &pulled.attrs)
        .polling(
            PollingPolicy::default()
                .with_initial_interval(Duration::from_millis(10))
                .with_timeout(Duration::from_secs(20)),
        )
        .send()
        .await
        .unwrap();
    assert!(!result.has_errors());
    let descriptions: Vec<_> = result
        .steps()
        .iter()
        .map(|step| step.friendly_description.as_str())
        .collect();
    // As upstream, a step names the attribute as it was when the plan was made.
    assert_eq!(
        descriptions,
        ["Update attribute todos.title.", "Add index to todos.name."]
    );
    let title = &result.new_schema.schema.entities["todos"].attrs["title"];
    assert!(title.indexed, "{title:?}");
    assert!(
        !result.new_schema.schema.entities["todos"]
            .attrs
            .contains_key("name")
    );

    // Without a token nothing is sent.
    let anonymous = PlatformClient::builder()
        .api_uri(emulator.base_url())
        .build()
        .unwrap();
    let err = anonymous
        .apply_schema_steps(&app.id, &steps, &pulled.attrs)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_missing_auth(), "{err}");
    emulator.shutdown().await;
}
