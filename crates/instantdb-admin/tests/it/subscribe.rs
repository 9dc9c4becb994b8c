//! Live queries against the scripted server: a snapshot, two refreshes, an error message, a
//! dropped connection followed by a reconnect and a new snapshot; terminal errors; and dropping
//! the stream closing the connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::StatusCode;
use instantdb_admin::{AdminClient, Reconnect};
use instantdb_http::Body;
use instantdb_test_support::{Reply, ScriptedServer};
use serde_json::{Value, json};

use crate::support::{ADMIN_TOKEN, APP_ID, admin};

fn event(message: Value) -> String {
    format!("data: {message}\n\n")
}

fn init(session: &str) -> String {
    event(json!({"op": "sse-init", "machine-id": "m1", "session-id": session, "sse-token": "t"}))
}

fn snapshot(title: &str) -> Value {
    json!({"goals": [{"id": "g1", "title": title}]})
}

fn refresh(title: &str) -> Value {
    json!({
        "op": "refresh-ok",
        "computations": [{"instaql-result": snapshot(title), "result-meta": {"page-info": {}}}],
        "attrs": []
    })
}

async fn next(
    subscription: &mut instantdb_admin::Subscription,
) -> Option<Result<instantdb_admin::QueryUpdate, instantdb_admin::Error>> {
    tokio::time::timeout(Duration::from_secs(10), subscription.next())
        .await
        .expect("no live-query item within 10 s")
}

#[tokio::test]
async fn snapshot_refreshes_error_then_reconnect_with_a_new_snapshot() {
    let server = ScriptedServer::start().await;
    let first_connection = [
        // The server's reconnection time, as Instant sends it (500 ms there; short here).
        "retry: 20\n\n".to_owned(),
        init("s1"),
        event(json!({
            "op": "add-query-ok",
            "result": snapshot("first"),
            "result-meta": {"page-info": {"goals": {
                "start-cursor": ["g1", "a", "first", 1], "end-cursor": ["g1", "a", "first", 1],
                "has-next-page?": false, "has-previous-page?": false
            }}}
        })),
        ": keep-alive comment\n\n".to_owned(),
        event(refresh("second")),
        // Only the attributes changed: nothing to deliver.
        event(json!({"op": "refresh-ok", "computations": []})),
        // A message may be an array of messages.
        event(json!([refresh("third")])),
        event(json!({
            "op": "error", "status": 400, "type": "permission-evaluation-failed",
            "message": "Could not evaluate permission rule", "hint": {"rule": ["goals", "view"]}
        })),
    ]
    .concat();
    // The server then closes the stream: a dropped connection.
    server.push(Reply::sse_raw(first_connection).chunked(64, Duration::from_millis(1)));
    let second_connection = [
        init("s2"),
        event(
            json!({"op": "add-query-ok", "result": snapshot("after reconnect"), "result-meta": {}}),
        ),
    ]
    .concat();
    server.push(Reply::sse_raw(second_connection).keep_open());

    let db = admin(&server);
    let mut live = db
        .subscribe_query(json!({"goals": {}}))
        .rule_params(json!({"k": "v"}))
        .send()
        .await
        .unwrap();

    let first = next(&mut live).await.unwrap().unwrap();
    assert_eq!(first.data, snapshot("first"));
    assert_eq!(first.session.as_ref().unwrap().session_id, "s1");
    assert_eq!(
        first.page_info["goals"].start_cursor,
        json!(["g1", "a", "first", 1])
    );
    assert_eq!(
        next(&mut live).await.unwrap().unwrap().data,
        snapshot("second")
    );
    assert_eq!(
        next(&mut live).await.unwrap().unwrap().data,
        snapshot("third")
    );
    let err = next(&mut live).await.unwrap().unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::BAD_REQUEST));
    assert_eq!(
        err.api_error().unwrap().error_type(),
        Some("permission-evaluation-failed")
    );
    let again = next(&mut live).await.unwrap().unwrap();
    assert_eq!(again.data, snapshot("after reconnect"));
    assert_eq!(again.session.as_ref().unwrap().session_id, "s2");

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.path, "/admin/subscribe-query");
        assert_eq!(request.header("app-id"), Some(APP_ID));
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {ADMIN_TOKEN}").as_str())
        );
        assert_eq!(request.header("cache-control"), Some("no-cache"));
        assert_eq!(
            request.json().unwrap(),
            json!({
                "query": {"$$ruleParams": {"k": "v"}, "goals": {}},
                "inference?": false,
                "versions": {"@instantdb/admin": "v1.0.67", "@instantdb/core": "v1.0.67"}
            })
        );
    }
    // The same local connection id across reconnects, and only that in the query string.
    assert_eq!(requests[0].query, requests[1].query);
    assert!(
        requests[0]
            .query
            .as_deref()
            .unwrap()
            .starts_with("local_connection_id=")
    );
}

#[tokio::test]
async fn a_refused_connection_is_an_error_and_a_refused_reconnect_ends_the_stream() {
    let server = ScriptedServer::start().await;
    let refusal = json!({"type": "param-missing", "message": "Missing parameter: [\"headers\",\"authorization\"]", "hint": {"in": ["headers", "authorization"]}});
    server.push(Reply::json(400, refusal.clone()));
    let db = admin(&server);
    let err = db
        .subscribe_query(json!({"goals": {}}))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_auth_failure(), "{err}");

    server.push(Reply::sse_raw(format!("retry: 5\n\n{}", init("s1"))));
    server.push(Reply::json(400, refusal));
    let mut live = db
        .subscribe_query(json!({"goals": {}}))
        .send()
        .await
        .unwrap();
    let err = next(&mut live).await.unwrap().unwrap_err();
    assert!(err.is_auth_failure(), "{err}");
    assert!(
        next(&mut live).await.is_none(),
        "a refused reconnect is terminal"
    );
}

#[tokio::test]
async fn reconnects_give_up_after_max_attempts() {
    let server = ScriptedServer::start().await;
    server.push(Reply::sse_raw(init("s1")));
    server.set_fallback(Some(Reply::fault(instantdb_test_support::Fault::Reset)));
    let mut live = admin(&server)
        .subscribe_query(json!({"goals": {}}))
        .reconnect(
            Reconnect::default()
                .initial_delay(Duration::from_millis(5))
                .max_attempts(2),
        )
        .send()
        .await
        .unwrap();
    assert!(next(&mut live).await.unwrap().unwrap_err().is_transient());
    assert!(next(&mut live).await.unwrap().is_err());
    assert!(next(&mut live).await.is_none());
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    /// Sets the flag when the response body is dropped, i.e. when the connection is let go.
    struct Guard(Arc<AtomicBool>);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    let dropped = Arc::new(AtomicBool::new(false));
    let flag = dropped.clone();
    let transport = instantdb_http::transport_fn(move |_request: http::Request<Body>| {
        let guard = Guard(flag.clone());
        async move {
            let first = Bytes::from(format!(
                "{}{}",
                init("s1"),
                event(json!({"op": "add-query-ok", "result": snapshot("x")}))
            ));
            let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(first)])
                .chain(futures_util::stream::pending())
                .map(move |chunk| {
                    let _keep = &guard;
                    chunk
                });
            let mut response = http::Response::new(Body::from_stream(stream, None));
            response.headers_mut().insert(
                "content-type",
                http::HeaderValue::from_static("text/event-stream"),
            );
            Ok(response)
        }
    });
    let db = AdminClient::builder(APP_ID)
        .admin_token(ADMIN_TOKEN)
        .api_uri("http://instant.test")
        .transport(transport)
        .build()
        .unwrap();
    let mut live = db
        .subscribe_query(json!({"goals": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(next(&mut live).await.unwrap().unwrap().data, snapshot("x"));
    assert!(!dropped.load(Ordering::SeqCst));
    drop(live);
    assert!(dropped.load(Ordering::SeqCst), "the body was not released");
}
