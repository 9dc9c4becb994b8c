//! Server-sent events over a real socket, delivered in awkward chunks.

use std::time::Duration;

use futures_util::StreamExt;
use instantdb_http::SseEvent;
use instantdb_test_support::{Reply, ScriptedServer};
use serde_json::json;

use crate::support::client;

async fn events_of(reply: Reply) -> (Vec<SseEvent>, Option<Duration>, Option<String>) {
    let server = ScriptedServer::start().await;
    server.push(reply);
    let client = client(&server).build().unwrap();
    let mut stream = client
        .post("/admin/subscribe-query")
        .json(&json!({"query": {"goals": {}}}))
        .send()
        .await
        .unwrap()
        .sse();
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event.unwrap());
    }
    let retry = stream.reconnection_time();
    let id = stream.last_event_id().map(str::to_owned);
    (events, retry, id)
}

#[tokio::test]
async fn instant_style_stream() {
    let (events, _, _) = events_of(Reply::sse([
        json!({"op": "sse-init", "machine-id": "m", "session-id": "s"}),
        json!({"op": "add-query-ok", "result": {"goals": []}}),
    ]))
    .await;
    let ops: Vec<serde_json::Value> = events
        .iter()
        .map(|e| serde_json::from_str(&e.data).unwrap())
        .collect();
    assert_eq!(ops[0]["op"], "sse-init");
    assert_eq!(ops[1]["result"], json!({"goals": []}));
}

#[tokio::test]
async fn edge_cases_split_byte_by_byte() {
    let text = "\u{feff}: keep-alive\r\nretry: 500\r\nevent: refresh\r\ndata: line 1\r\ndata: line 2\r\nid: 42\r\n\r\n\
                data:no space\rdata: é\r\r\
                event: ignored-without-data\n\n\
                data: last\n\n\
                data: never dispatched";
    let (events, retry, id) = events_of(Reply::sse_raw(text).chunked(1, Duration::ZERO)).await;
    assert_eq!(
        events,
        vec![
            SseEvent {
                event: "refresh".into(),
                data: "line 1\nline 2".into(),
                id: Some("42".into())
            },
            SseEvent {
                event: "message".into(),
                data: "no space\né".into(),
                id: Some("42".into())
            },
            SseEvent {
                event: "message".into(),
                data: "last".into(),
                id: Some("42".into())
            },
        ]
    );
    assert_eq!(retry, Some(Duration::from_millis(500)));
    assert_eq!(id.as_deref(), Some("42"));
}

#[tokio::test]
async fn a_stream_that_breaks_yields_an_error_then_ends() {
    let server = ScriptedServer::start().await;
    server.push(Reply::fault(instantdb_test_support::Fault::Truncated {
        body: bytes::Bytes::from("data: one\n\ndata: tw"),
        declared: 1000,
    }));
    let client = client(&server).build().unwrap();
    let mut stream = client.post("/admin/sse").send().await.unwrap().sse();
    assert_eq!(stream.next().await.unwrap().unwrap().data, "one");
    assert!(stream.next().await.unwrap().is_err());
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn an_error_status_before_the_stream_is_a_typed_error() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(
        400,
        json!({"type": "param-missing", "message": "Missing parameter: [\"body\",\"query\"]",
        "hint": {"in": ["body", "query"]}}),
    ));
    let client = client(&server).build().unwrap();
    let err = client
        .post("/admin/subscribe-query")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.api_error().unwrap().error_type(), Some("param-missing"));
}

#[tokio::test]
async fn a_response_that_is_not_an_event_stream_fails_the_stream() {
    let server = ScriptedServer::start().await;
    server.push(Reply::text(200, "<html>login</html>").header("content-type", "text/html"));
    let client = client(&server).build().unwrap();
    let mut stream = client.post("/admin/sse").send().await.unwrap().sse();
    let err = stream.next().await.unwrap().unwrap_err();
    assert!(err.is_decode(), "{err:?}");
    assert_eq!(
        err.to_string(),
        "POST /admin/sse: HTTP 200: expected a text/event-stream body, got `text/html`"
    );
    assert!(stream.next().await.is_none());
}
