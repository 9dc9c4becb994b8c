//! Every error shape the server can produce becomes a typed error.

use http::StatusCode;
use instantdb_http::Secret;
use instantdb_test_support::{Reply, ScriptedServer};
use serde::Deserialize;
use serde_json::json;

use crate::support::client;

async fn error_for(reply: Reply) -> instantdb_http::Error {
    let server = ScriptedServer::start().await;
    server.push(reply);
    let client = client(&server).build().unwrap();
    client.post("/admin/query").send().await.unwrap_err()
}

#[tokio::test]
async fn instant_envelope() {
    let err = error_for(Reply::json(
        400,
        json!({"type": "validation-failed", "message": "Validation failed for query: bad",
               "hint": {"data-type": "query", "errors": [{"message": "bad"}]}, "trace-id": "abc123"}),
    ))
    .await;
    assert!(err.is_validation_failed() && err.is_status() && !err.is_transient());
    let api = err.api_error().unwrap();
    assert_eq!(api.status(), StatusCode::BAD_REQUEST);
    assert_eq!(api.error_type(), Some("validation-failed"));
    assert_eq!(api.hint()["errors"][0]["message"], "bad");
    assert_eq!(api.trace_id(), Some("abc123"));
    assert_eq!(
        err.to_string(),
        "POST /admin/query: HTTP 400 validation-failed: Validation failed for query: bad (trace-id abc123)"
    );
    assert_eq!(err.endpoint(), Some("POST /admin/query"));
    assert!(err.headers().unwrap().contains_key("content-type"));
}

#[tokio::test]
async fn record_not_found_and_auth_failures() {
    let err = error_for(Reply::json(
        400,
        json!({"type": "record-not-found", "message": "Record not found: app-admin-token",
               "hint": {"record-type": "app-admin-token"}}),
    ))
    .await;
    assert!(err.is_record_not_found() && err.is_auth_failure());

    let err = error_for(Reply::json(
        400,
        json!({"type": "record-expired", "message": "Record expired: oauth-access-token",
               "hint": {"record-type": "oauth-access-token"}}),
    ))
    .await;
    assert!(err.is_auth_failure() && !err.is_record_not_found());

    let err = error_for(Reply::json(
        401,
        json!({"type": "authorization", "message": "Unauthorized"}),
    ))
    .await;
    assert!(err.is_auth_failure());

    let err = error_for(Reply::json(
        404,
        json!({"type": "record-not-found", "message": "Record not found: app", "hint": {"record-type": "app"}}),
    ))
    .await;
    assert!(err.is_record_not_found() && !err.is_auth_failure());
}

#[tokio::test]
async fn rate_limited_and_server_timeouts() {
    let err = error_for(Reply::json(
        429,
        json!({"type": "rate-limited", "message": "Your request exceeded the rate limit.",
               "hint": {"retry-after": 3, "remaining-tokens": 0}}),
    ))
    .await;
    assert!(err.is_rate_limited() && err.is_transient());
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(3)));
    let err = error_for(Reply::json(
        429,
        json!({"type": "timeout", "message": "The query took too long to complete."}),
    ))
    .await;
    assert!(err.is_rate_limited() && !err.is_timeout());
}

#[tokio::test]
async fn non_json_error_bodies() {
    let err = error_for(Reply::text(400, "Malformed JSON in request body.")).await;
    let api = err.api_error().unwrap();
    assert_eq!(api.error_type(), None);
    assert_eq!(api.message(), "Malformed JSON in request body.");
    assert_eq!(api.body(), b"Malformed JSON in request body.");

    let err = error_for(Reply::json(
        404,
        json!({"message": "Oops! We couldn't match this route."}),
    ))
    .await;
    assert_eq!(
        err.api_error().unwrap().message(),
        "Oops! We couldn't match this route."
    );
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));

    let err = error_for(Reply::text(500, "upstream exploded")).await;
    assert_eq!(
        err.to_string(),
        "POST /admin/query: HTTP 500: upstream exploded"
    );

    let err = error_for(Reply::bytes(502, Vec::new())).await;
    assert_eq!(err.api_error().unwrap().message(), "API Error (502)");

    let err = error_for(Reply::text(502, "<html>".to_owned() + &"x".repeat(5000))).await;
    assert!(err.to_string().len() < 600, "{err}");
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Apps {
    apps: Vec<App>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct App {
    id: String,
    created_at: String,
}

#[tokio::test]
async fn decoding_failures_name_endpoint_path_and_body() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(
        200,
        json!({"apps": [{"id": "a", "created_at": "x"}, {"id": 7, "created_at": "y"}]}),
    ));
    server.push(Reply::text(200, "<html>not json</html>"));
    let client = client(&server).build().unwrap();
    let err = client
        .get("/superadmin/apps")
        .send_json::<Apps>()
        .await
        .unwrap_err();
    assert!(err.is_decode());
    let text = err.to_string();
    assert!(
        text.starts_with("GET /superadmin/apps: HTTP 200: could not decode"),
        "{text}"
    );
    assert!(text.contains("at `apps[1].id`"), "{text}");
    assert!(text.contains(r#"{\"apps\":[{\"id\":\"a\""#), "{text}");
    assert_eq!(err.status(), Some(StatusCode::OK));

    let err = client
        .get("/superadmin/apps")
        .send_json::<Apps>()
        .await
        .unwrap_err();
    assert!(err.is_decode());
    assert_eq!(err.body(), Some(&b"<html>not json</html>"[..]));
    assert!(err.to_string().contains("<html>not json</html>"));
}

#[tokio::test]
async fn echoed_tokens_are_scrubbed_from_display_and_debug() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(
        400,
        json!({"type": "record-not-found", "message": "Record not found: app-admin-token for admin-token-value-42",
               "hint": {"record-type": "app-admin-token", "args": [{"token": "admin-token-value-42"}]}}),
    ));
    let client = client(&server).build().unwrap();
    let err = client
        .post("/admin/query")
        .bearer_auth(&Secret::new("admin-token-value-42"))
        .send()
        .await
        .unwrap_err();
    let shown = format!("{err} {err:?} {:?}", err.api_error().unwrap());
    assert!(!shown.contains("admin-token-value-42"), "{shown}");
    assert_eq!(err.api_error().unwrap().hint()["args"][0]["token"], "***");
    // The raw body stays available on request.
    assert!(String::from_utf8_lossy(err.body().unwrap()).contains("admin-token-value-42"));
}
