//! JSON round trips, request shape on the wire, keep-alive.

use http::StatusCode;
use instantdb_http::{ApiPath, Secret};
use instantdb_test_support::{Reply, ScriptedServer};
use serde::Deserialize;
use serde_json::json;

use crate::support::client;

#[derive(Debug, Deserialize, PartialEq)]
struct Apps {
    apps: Vec<App>,
}

#[derive(Debug, Deserialize, PartialEq)]
struct App {
    id: String,
    title: String,
}

#[tokio::test]
async fn json_round_trip_sends_the_expected_request() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(
        200,
        json!({"apps": [{"id": "a1", "title": "Todo"}]}),
    ));
    let token = Secret::new("test-oauth-token");
    let client = client(&server)
        .default_header("x-instant-source", "rust-sdk")
        .build()
        .unwrap();
    let apps: Apps = client
        .post(ApiPath::new("/superadmin/apps").segment("a/b c"))
        .bearer_auth(&token)
        .query("include", "perms,schema")
        .query("email", "alyssa+test@example.com")
        .json(&json!({"title": "Todo", "org_id": null}))
        .send_json()
        .await
        .unwrap();
    assert_eq!(
        apps.apps,
        vec![App {
            id: "a1".into(),
            title: "Todo".into()
        }]
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/superadmin/apps/a%2Fb%20c");
    assert_eq!(
        request.query.as_deref(),
        Some("include=perms%2Cschema&email=alyssa%2Btest%40example.com")
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.header("authorization"),
        Some("Bearer test-oauth-token")
    );
    assert_eq!(request.header("x-instant-source"), Some("rust-sdk"));
    assert!(
        request
            .header("user-agent")
            .unwrap()
            .starts_with("instantdb-rs/")
    );
    assert_eq!(request.header("content-length"), Some("30"));
    // Key order is kept (serde_json's preserve_order), as JSON.stringify keeps it.
    assert_eq!(request.text(), r#"{"title":"Todo","org_id":null}"#);
}

#[tokio::test]
async fn trailing_slash_in_the_base_url_gives_no_double_slash() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(200, json!({})));
    let client = crate::support::client_for(&format!("{}/", server.url()))
        .build()
        .unwrap();
    let _: serde_json::Value = client.get("/superadmin/apps").send_json().await.unwrap();
    assert_eq!(server.requests()[0].path, "/superadmin/apps");
}

#[tokio::test]
async fn keep_alive_reuses_one_connection() {
    let server = ScriptedServer::start().await;
    let client = client(&server).build().unwrap();
    for i in 0..5 {
        server.push(Reply::json(200, json!({"n": i})));
        let value: serde_json::Value = client.get("/x").send_json().await.unwrap();
        assert_eq!(value["n"], i);
    }
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn other_success_statuses_only_when_expected() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(201, json!({"ok": true})));
    server.push(Reply::json(201, json!({"ok": true})));
    let client = client(&server).build().unwrap();
    let err = client.post("/x").send().await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::CREATED));
    let response = client
        .post("/x")
        .expect_statuses([StatusCode::OK, StatusCode::CREATED])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn streamed_and_replayable_bodies() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(200, json!({})));
    server.push(Reply::json(200, json!({})));
    let client = client(&server).build().unwrap();
    let chunks = futures_util::stream::iter(vec![
        Ok::<_, std::io::Error>(bytes::Bytes::from("hello ")),
        Ok(bytes::Bytes::from("world")),
    ]);
    client
        .put("/admin/storage/upload")
        .header("path", "notes/a.txt")
        .body(instantdb_http::Body::from_stream(chunks, None))
        .send()
        .await
        .unwrap();
    let reader = std::io::Cursor::new(b"from a reader".to_vec());
    client
        .put("/admin/storage/upload")
        .body(instantdb_http::Body::from_reader(reader, Some(13)))
        .send()
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests[0].text(), "hello world");
    assert_eq!(requests[0].header("transfer-encoding"), Some("chunked"));
    assert_eq!(requests[1].text(), "from a reader");
    assert_eq!(requests[1].header("content-length"), Some("13"));
}

#[tokio::test]
async fn a_stream_shorter_than_announced_fails_the_request() {
    let server = ScriptedServer::start().await;
    server.set_fallback(Some(Reply::json(200, json!({}))));
    let client = client(&server).build().unwrap();
    let chunks =
        futures_util::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from("abc"))]);
    let err = client
        .put("/upload")
        .body(instantdb_http::Body::from_stream(chunks, Some(10)))
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_status(), "{err:?}");
}

#[tokio::test]
async fn files_are_streamed_and_replayed_on_retry() {
    let dir = std::env::temp_dir().join(format!("instantdb-http-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("upload.bin");
    std::fs::write(&path, vec![7u8; 200_000]).unwrap();
    let server = ScriptedServer::start().await;
    server.push(Reply::json(503, json!({})));
    server.push(Reply::json(200, json!({"data": {"id": "f1"}})));
    let client = client(&server).build().unwrap();
    let body = instantdb_http::Body::from_file(&path).await.unwrap();
    assert!(body.is_replayable());
    let value: serde_json::Value = client
        .put("/admin/storage/upload")
        .body(body)
        .idempotent(true)
        .send_json()
        .await
        .unwrap();
    assert_eq!(value["data"]["id"], "f1");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.body_len, 200_000);
        assert_eq!(request.header("content-length"), Some("200000"));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
