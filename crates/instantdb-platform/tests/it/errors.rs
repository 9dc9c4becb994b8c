//! How server failures map onto `Error`: statuses, Instant's envelope, bodies that are not
//! JSON, success bodies that do not decode, and which requests are retried.

use instantdb_platform::ErrorKind;
use instantdb_test_support::{Reply, ScriptedServer};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_400_keeps_instants_envelope() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(
        400,
        json!({"type": "validation-failed", "message": "Validation failed for schema: Duplicate entry found for attribute todos.title",
               "hint": {"data-type": "schema", "input": "plan", "errors": [{"in": ["schema"], "message": "Duplicate entry"}]},
               "trace-id": "trace-1"}),
    ));
    let err = api(&server).get_schema(APP_ID).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status);
    assert!(err.is_validation_failed());
    assert!(!err.is_auth_failure() && !err.is_rate_limited() && !err.is_record_not_found());
    let api_error = err.api_error().unwrap();
    assert_eq!(api_error.status().as_u16(), 400);
    assert_eq!(api_error.error_type(), Some("validation-failed"));
    assert_eq!(api_error.hint()["errors"][0]["message"], "Duplicate entry");
    assert_eq!(api_error.trace_id(), Some("trace-1"));
    assert_eq!(
        err.endpoint(),
        Some(format!("GET /superadmin/apps/{APP_ID}/schema").as_str())
    );
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "GET /superadmin/apps/{APP_ID}/schema: HTTP 400 validation-failed"
        )),
        "{text}"
    );
}

#[tokio::test]
async fn a_404_route_miss_and_a_record_not_found() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(
        404,
        json!({"message": "Oops! We couldn't match this route."}),
    ));
    let err = api(&server).get_app(APP_ID).send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(
        err.api_error().unwrap().message(),
        "Oops! We couldn't match this route."
    );
    assert_eq!(err.api_error().unwrap().error_type(), None);

    server.push(Reply::json(400, json!({"type": "record-not-found", "message": "Record not found: app", "hint": {"record-type": "app"}})));
    let err = api(&server).delete_app(APP_ID).send().await.unwrap_err();
    assert!(err.is_record_not_found());
    assert!(!err.is_auth_failure());
}

#[tokio::test]
async fn a_429_is_retried_only_for_reads() {
    let server = ScriptedServer::start().await;
    let rate_limited = || {
        Reply::json(
            429,
            json!({"type": "rate-limited", "message": "You are being rate limited", "hint": {"retry-after": 0}}),
        )
    };
    // A create is not idempotent: one attempt.
    server.push(rate_limited());
    let err = api(&server).create_app("x").send().await.unwrap_err();
    assert!(err.is_rate_limited() && err.is_transient());
    assert_eq!(server.take_requests().len(), 1);

    // A read is retried by the transport's policy.
    server.push(rate_limited());
    server.push(Reply::json(200, json!({"orgs": []})));
    let orgs = api(&server).get_orgs().send().await.unwrap();
    assert!(orgs.is_empty());
    assert_eq!(server.take_requests().len(), 2);
}

#[tokio::test]
async fn a_500_text_body_becomes_the_message() {
    let server = ScriptedServer::start().await;
    server.push(Reply::text(500, "upstream exploded"));
    let err = api(&server).get_orgs().send().await.unwrap_err();
    let api_error = err.api_error().unwrap();
    assert_eq!(api_error.status().as_u16(), 500);
    assert_eq!(api_error.message(), "upstream exploded");
    assert_eq!(api_error.error_type(), None);
    assert_eq!(api_error.body(), b"upstream exploded");
}

#[tokio::test]
async fn only_200_is_success() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(201, json!({"apps": []})));
    let err = api(&server).get_apps().send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(201));
}

#[tokio::test]
async fn malformed_success_bodies_name_the_endpoint() {
    let server = ScriptedServer::start().await;
    server.push(Reply::text(200, "<html>proxy error</html>"));
    let err = api(&server).get_apps().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Http);
    let text = err.to_string();
    assert!(
        text.contains("GET /superadmin/apps") && text.contains("<html>proxy error"),
        "{text}"
    );

    server.push(Reply::json(
        200,
        json!({"app": {"id": APP_ID, "title": "x", "created_at": "yesterday"}}),
    ));
    let err = api(&server).get_app(APP_ID).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(
        err.to_string()
            .contains("`created_at` is not a timestamp: \"yesterday\""),
        "{err}"
    );
}
