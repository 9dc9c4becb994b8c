//! What goes on the wire, and what comes back, for the behaviours upstream's users trip on:
//! impersonation headers and when the admin token is required, 400 auth failures, missing users,
//! `verify_token` without credentials, `sessions: null`, retries, secrets in errors.

use std::time::Duration;

use http::StatusCode;
use instantdb_admin::instaql::{InstaQl, Select};
use instantdb_admin::{Impersonate, RetryPolicy, UserRef, tx};
use instantdb_test_support::{Reply, ScriptedServer};
use serde_json::json;

use crate::support::{ADMIN_TOKEN, APP_ID, GOAL, admin, builder};

const REFRESH_TOKEN: &str = "7c0ffee0-refresh-token-secret";

fn ok_query() -> Reply {
    Reply::json(200, json!({"goals": []}))
}

#[tokio::test]
async fn query_carries_app_id_twice_rule_params_inside_and_inference() {
    let server = ScriptedServer::start().await;
    server.push(ok_query());
    let db = admin(&server);
    db.query(json!({"goals": {}}))
        .rule_params(json!({"secret": "s"}))
        .send()
        .await
        .unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.path, "/admin/query");
    assert_eq!(
        request.query_pairs(),
        [("app_id".to_owned(), APP_ID.to_owned())]
    );
    assert_eq!(request.header("app-id"), Some(APP_ID));
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {ADMIN_TOKEN}").as_str())
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("instant-admin-version"), Some("v1.0.67"));
    assert_eq!(
        request.text(),
        r#"{"query":{"$$ruleParams":{"secret":"s"},"goals":{}},"inference?":false}"#
    );
}

#[tokio::test]
async fn impersonation_headers_and_which_calls_ignore_them() {
    let server = ScriptedServer::start().await;
    let db = admin(&server);
    let cases = [
        (
            Impersonate::email("alyssa@example.com"),
            "as-email",
            "alyssa@example.com",
        ),
        (Impersonate::token(REFRESH_TOKEN), "as-token", REFRESH_TOKEN),
        (Impersonate::Guest, "as-guest", "true"),
    ];
    for (user, header, value) in cases {
        server.push(ok_query());
        server.push(Reply::json(200, json!({"tx-id": 7})));
        server.push(Reply::json(200, json!({"sessions": null})));
        server.push(Reply::json(200, json!({"user": null})));
        let as_user = db.as_user(user);
        as_user.query(json!({"goals": {}})).send().await.unwrap();
        let tx_id = as_user
            .transact(tx("goals", GOAL).update(json!({"title": "A"})))
            .send()
            .await
            .unwrap();
        assert_eq!(tx_id.get(), 7);
        as_user
            .rooms()
            .get_presence("chat", "r1")
            .send()
            .await
            .unwrap();
        as_user
            .auth()
            .get_user(UserRef::id(GOAL))
            .send()
            .await
            .unwrap();
        let requests = server.take_requests();
        for impersonated in &requests[..2] {
            assert_eq!(
                impersonated.header(header),
                Some(value),
                "{}",
                impersonated.path
            );
            assert!(impersonated.header("authorization").is_some());
        }
        for admin_only in &requests[2..] {
            for name in ["as-email", "as-token", "as-guest"] {
                assert!(
                    admin_only.header(name).is_none(),
                    "{} sent {name}",
                    admin_only.path
                );
            }
        }
    }
}

#[tokio::test]
async fn the_admin_token_is_required_except_for_token_and_guest_impersonation() {
    let server = ScriptedServer::start().await;
    let db = builder(&server).build().unwrap();

    let err = db.query(json!({"goals": {}})).send().await.unwrap_err();
    assert!(err.is_missing_admin_token(), "{err}");
    let err = db
        .as_user(Impersonate::email("a@b.c"))
        .transact(tx("goals", GOAL).delete())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Admin token required. To impersonate users with an email you must set one with `AdminClientBuilder::admin_token`."
    );
    // Auth calls never impersonate, so they need the token even on a guest client.
    let err = db
        .as_user(Impersonate::Guest)
        .auth()
        .create_token(UserRef::email("a@b.c"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_missing_admin_token());
    assert!(server.requests().is_empty());

    server.push(ok_query());
    db.as_user(Impersonate::token(REFRESH_TOKEN))
        .query(json!({"goals": {}}))
        .send()
        .await
        .unwrap();
    let request = &server.requests()[0];
    assert!(request.header("authorization").is_none());
    assert_eq!(request.header("as-token"), Some(REFRESH_TOKEN));
}

#[tokio::test]
async fn auth_failures_are_http_400_and_never_leak_the_token() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(
        400,
        json!({
            "type": "record-not-found",
            "message": "Record not found: app-admin-token",
            "hint": {"record-type": "app-admin-token", "args": [{"token": ADMIN_TOKEN, "app-id": APP_ID}]},
            "trace-id": "t-1"
        }),
    ));
    let err = admin(&server)
        .query(json!({"goals": {}}))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
    assert!(err.is_auth_failure() && err.is_record_not_found());
    assert_eq!(err.api_error().unwrap().trace_id(), Some("t-1"));
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(ADMIN_TOKEN), "{shown}");
    assert!(shown.contains("POST /admin/query"), "{shown}");
}

#[tokio::test]
async fn missing_users_are_none_and_verify_token_sends_no_credentials() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(200, json!({"user": null})));
    server.push(Reply::json(200, json!({"deleted": null})));
    server.push(Reply::json(
        400,
        json!({"type": "record-not-found", "message": "Record not found: app-user", "hint": {"record-type": "app-user", "args": [{"refresh-token": REFRESH_TOKEN}]}}),
    ));
    let auth = admin(&server).auth();
    assert!(
        auth.get_user(UserRef::email("nobody@example.com"))
            .send()
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        auth.delete_user(UserRef::refresh_token(REFRESH_TOKEN))
            .send()
            .await
            .unwrap()
            .is_none()
    );
    let err = auth.verify_token(REFRESH_TOKEN).send().await.unwrap_err();
    assert!(err.is_record_not_found() && err.status() == Some(StatusCode::BAD_REQUEST));
    assert!(!format!("{err} {err:?}").contains(REFRESH_TOKEN));

    let requests = server.requests();
    assert_eq!(
        requests[0].query_pairs(),
        [
            ("app_id".to_owned(), APP_ID.to_owned()),
            ("email".to_owned(), "nobody@example.com".to_owned())
        ]
    );
    assert_eq!(requests[1].method, http::Method::DELETE);
    let verify = &requests[2];
    assert_eq!(verify.path, "/runtime/auth/verify_refresh_token");
    for name in ["authorization", "app-id", "as-token"] {
        assert!(verify.header(name).is_none(), "verify_token sent {name}");
    }
    assert_eq!(
        verify.text(),
        format!(r#"{{"app-id":"{APP_ID}","refresh-token":"{REFRESH_TOKEN}"}}"#)
    );
}

#[tokio::test]
async fn presence_sessions_null_is_an_empty_map() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(200, json!({"sessions": null})));
    server.push(Reply::json(
        200,
        json!({"sessions": {"s1": {"peer-id": "p1", "user": null, "data": {"x": 1}}}}),
    ));
    let rooms = admin(&server).rooms();
    assert!(
        rooms
            .get_presence("chat", "room/1&x=2")
            .send()
            .await
            .unwrap()
            .is_empty()
    );
    let sessions = rooms.get_presence("chat", "r").send().await.unwrap();
    assert_eq!(sessions["s1"].peer_id.as_deref(), Some("p1"));
    assert_eq!(sessions["s1"].data, json!({"x": 1}));
    // Encoded, so the room id cannot inject a parameter (upstream sends it raw).
    assert_eq!(
        server.requests()[0].query.as_deref(),
        Some(format!("app_id={APP_ID}&room-type=chat&room-id=room%2F1%26x%3D2").as_str())
    );
}

#[tokio::test]
async fn transactions_are_never_retried_but_queries_are() {
    let server = ScriptedServer::start().await;
    let policy = RetryPolicy::default()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(1));
    let db = builder(&server)
        .admin_token(ADMIN_TOKEN)
        .retry_policy(policy)
        .build()
        .unwrap();
    server.push(Reply::json(503, json!({"message": "busy"})));
    server.push(Reply::json(200, json!({"tx-id": 1})));
    let err = db
        .transact(tx("goals", GOAL).update(json!({"a": 1})))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(server.take_requests().len(), 1);
    assert_eq!(
        server.pending_replies(),
        1,
        "the second reply was never asked for"
    );

    server.take_requests();
    let server = ScriptedServer::start().await;
    let db = builder(&server)
        .admin_token(ADMIN_TOKEN)
        .retry_policy(RetryPolicy::default().with_initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    server.push(Reply::json(
        429,
        json!({"type": "rate-limited", "message": "slow down"}),
    ));
    server.push(ok_query());
    db.query(json!({"goals": {}})).send().await.unwrap();
    assert_eq!(server.take_requests().len(), 2, "the 429 was retried");
}

#[tokio::test]
async fn malformed_answers_name_the_endpoint_and_show_the_body() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(200, json!({"tx-id": "not a number"})));
    let err = admin(&server)
        .transact(tx("goals", GOAL).delete())
        .send()
        .await
        .unwrap_err();
    assert!(err.is_decode(), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("tx-id") && text.contains("not a number"),
        "{text}"
    );
    assert_eq!(err.endpoint(), Some("POST /admin/transact"));
}

#[tokio::test]
async fn local_validation_with_a_schema_and_the_builder_send_nothing() {
    use instantdb_schema::i;
    let server = ScriptedServer::start().await;
    let schema = i::schema().entities([("goals", i::entity([("title", i::string())]))]);
    let db = builder(&server)
        .admin_token(ADMIN_TOKEN)
        .schema(schema)
        .build()
        .unwrap();
    let err = db.query(json!({"todos": {}})).send().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "At path 'todos': Entity 'todos' does not exist in schema. Available entities: goals"
    );
    let err = db
        .transact(tx("goals", GOAL).update(json!({"title": 5})))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_transaction_validation(), "{err}");
    let nested_offset = InstaQl::new().namespace(
        "goals",
        Select::new().link("todos", Select::new().offset(1)),
    );
    assert!(
        db.query(nested_offset)
            .send()
            .await
            .unwrap_err()
            .is_query_validation()
    );
    assert!(server.requests().is_empty());

    // With the schema, both flags are on; the schema itself is never sent.
    server.push(ok_query());
    server.push(Reply::json(200, json!({"tx-id": 2})));
    db.query(json!({"goals": {}})).send().await.unwrap();
    db.transact(tx("goals", GOAL).update(json!({"title": "x"})))
        .send()
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests[0].json().unwrap()["inference?"], true);
    assert_eq!(requests[1].json().unwrap()["throw-on-missing-attrs?"], true);
}

#[tokio::test]
async fn secrets_stay_out_of_debug_output() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(
        200,
        json!({"user": {"id": GOAL, "email": "a@b.c", "refresh_token": REFRESH_TOKEN, "isGuest": false, "nickname": "al"}}),
    ));
    let db = admin(&server);
    let impersonated = db.as_user(Impersonate::token(REFRESH_TOKEN));
    let user = db.auth().verify_token(REFRESH_TOKEN).send().await.unwrap();
    assert_eq!(user.extra["nickname"], "al");
    assert_eq!(user.refresh_token.as_ref().unwrap().expose(), REFRESH_TOKEN);
    let shown = format!(
        "{db:?} {impersonated:?} {user:?} {:?}",
        builder(&server).admin_token(ADMIN_TOKEN)
    );
    assert!(
        !shown.contains(ADMIN_TOKEN) && !shown.contains(REFRESH_TOKEN),
        "{shown}"
    );
}

#[tokio::test]
async fn requests_and_their_futures_can_move_to_other_tasks() {
    fn movable<T: Send + 'static>(_: &T) {}
    let server = ScriptedServer::start().await;
    let db = admin(&server);
    let query = db.query(json!({"goals": {}}));
    movable(&query);
    movable(&query.send());
    let transact = db.transact(tx("goals", GOAL).delete());
    movable(&transact);
    movable(&transact.send());
    movable(&db.subscribe_query(json!({"goals": {}})).send());
    movable(&db.storage().upload_file("a", "b").send());
    movable(&db.auth().verify_token(REFRESH_TOKEN));
    movable(&db.auth().create_token(UserRef::email("a@b.c")).send());
    movable(&db.query_perms_check(json!({"goals": {}})).send());
    assert!(
        server.requests().is_empty(),
        "nothing is sent until awaited"
    );
}
