//! App calls: what is sent (bodies, headers, order) and how answers are read.

use instantdb_platform::PlatformClient;
use instantdb_schema::perms::Rules;
use instantdb_schema::{Has, i};
use instantdb_test_support::{Reply, ScriptedServer};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn get_app_fetches_perms_and_schema_first_and_merges_them() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(
        200,
        json!({"perms": {"todos": {"allow": {"view": "true"}}}}),
    ));
    server.push(schema_reply());
    server.push(Reply::json(200, json!({"app": app_row("Todos")})));
    let app = api(&server)
        .get_app(APP_ID)
        .include_perms(true)
        .include_schema(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        paths(&server.requests()),
        [
            format!("GET /superadmin/apps/{APP_ID}/perms"),
            format!("GET /superadmin/apps/{APP_ID}/schema"),
            format!("GET /superadmin/apps/{APP_ID}"),
        ]
    );
    assert_eq!(
        app.perms.unwrap().to_json(),
        r#"{"todos":{"allow":{"view":"true"}}}"#
    );
    let schema = app.schema.unwrap();
    assert_eq!(
        schema.schema.entities["todos"]
            .attrs
            .keys()
            .collect::<Vec<_>>(),
        ["title"]
    );
    assert_eq!(schema.attrs().len(), 2);
    assert_eq!(
        humantime::format_rfc3339_millis(app.created_at).to_string(),
        "2024-01-02T03:04:05.000Z"
    );
}

#[tokio::test]
async fn create_app_sends_title_schema_perms_and_org_id() {
    let server = ScriptedServer::start().await;
    let mut row = app_row("Todo app");
    row["admin-token"] = json!("new-admin-token");
    row["perms"] = json!(null);
    row["schema"] = json!({"blobs": {}, "refs": {}});
    server.push(Reply::json(200, json!({ "app": row })));
    let schema = i::schema()
        .entities([
            ("todos", i::entity([("title", i::string().indexed())])),
            ("$users", i::entity([])),
        ])
        .links([(
            "todosOwner",
            i::link(
                i::forward("todos", Has::One, "owner"),
                i::reverse("$users", Has::Many, "todos"),
            ),
        )]);
    let perms = Rules::from_json(r#"{"todos": {"allow": {"view": "true"}}}"#).unwrap();
    let app = api(&server)
        .create_app("Todo app")
        .schema(&schema)
        .perms(&perms)
        .org_id("org-1")
        .send()
        .await
        .unwrap();
    assert_eq!(app.admin_token.unwrap().expose(), "new-admin-token");
    assert!(app.perms.is_none());
    let request = &server.requests()[0];
    let body = request.json().unwrap();
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["title", "schema", "perms", "org_id"]
    );
    assert_eq!(body["schema"], schema.to_wire_value());
    assert_eq!(body["perms"], perms.to_value());
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("x-instant-source"), Some("platform-sdk"));
    assert!(request.header("instant-platform-version").is_some());
}

#[tokio::test]
async fn temporary_apps_need_no_token_and_send_rules_as_code() {
    let server = ScriptedServer::start().await;
    let mut row = app_row("Temp");
    row["admin-token"] = json!("temp-token");
    server.push(Reply::json(
        200,
        json!({"app": row, "expires_ms": 1_700_000_000_000_i64}),
    ));
    let perms = Rules::from_json(r#"{"$default": {"allow": {"$default": "false"}}}"#).unwrap();
    let no_auth = PlatformClient::builder()
        .api_uri(server.url())
        .build()
        .unwrap();
    let temp = no_auth
        .create_temporary_app("Temp")
        .perms(&perms)
        .send()
        .await
        .unwrap();
    assert_eq!(
        temp.app.admin_token.as_ref().unwrap().expose(),
        "temp-token"
    );
    assert_eq!(
        temp.expires_at().unwrap(),
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_000)
    );
    let request = &server.requests()[0];
    assert_eq!(request.header("authorization"), None);
    assert_eq!(
        request.json().unwrap(),
        json!({"title": "Temp", "rules": {"code": {"$default": {"allow": {"$default": "false"}}}}})
    );
}

#[tokio::test]
async fn update_delete_and_perms() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(200, json!({"app": app_row("Renamed")})));
    server.push(Reply::json(200, json!({"app": app_row("Renamed")})));
    server.push(Reply::json(
        200,
        json!({"rules": {"code": {"todos": {"allow": {"view": "false"}}}}}),
    ));
    let api = api(&server);
    assert_eq!(
        api.update_app(APP_ID, "Renamed")
            .send()
            .await
            .unwrap()
            .title,
        "Renamed"
    );
    assert_eq!(api.delete_app(APP_ID).send().await.unwrap().id, APP_ID);
    let perms = Rules::from_json(r#"{"todos": {"allow": {"view": "false"}}}"#).unwrap();
    let stored = api.push_perms(APP_ID, &perms).send().await.unwrap();
    assert_eq!(stored.to_value(), perms.to_value());

    let requests = server.requests();
    assert_eq!(requests[0].json().unwrap(), json!({"title": "Renamed"}));
    assert_eq!(requests[1].method, "DELETE");
    assert_eq!(requests[1].body_len, 0);
    // Upstream sends a JSON content type even without a body.
    assert_eq!(requests[1].header("content-type"), Some("application/json"));
    assert_eq!(requests[2].path, format!("/superadmin/apps/{APP_ID}/perms"));
    assert_eq!(
        requests[2].json().unwrap(),
        json!({"code": perms.to_value()})
    );
}

#[tokio::test]
async fn user_supplied_ids_stay_one_path_segment() {
    let server = ScriptedServer::start().await;
    let err = api(&server).get_app("..").send().await.unwrap_err();
    assert_eq!(err.kind(), instantdb_platform::ErrorKind::Http);
    server.push(Reply::json(200, json!({"apps": []})));
    api(&server).get_apps_for_org("a/b c").send().await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "a `..` id is refused before sending");
    assert_eq!(requests[0].path, "/superadmin/orgs/a%2Fb%20c/apps");
}

#[tokio::test]
async fn self_hosted_base_urls_with_a_path_prefix() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(200, json!({"orgs": []})));
    let api = PlatformClient::builder()
        .token(TOKEN)
        .api_uri(format!("{}/instant/", server.url()))
        .build()
        .unwrap();
    api.get_orgs().send().await.unwrap();
    assert_eq!(server.requests()[0].path, "/instant/superadmin/orgs");
    assert_eq!(api.api_uri(), format!("{}/instant", server.url()));

    let default = PlatformClient::builder().api_uri("").build().unwrap();
    assert_eq!(default.api_uri(), instantdb_http::DEFAULT_API_URI);
}
