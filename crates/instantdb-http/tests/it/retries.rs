//! Retries: idempotent requests are retried on 429/502/503/504, others are not; connection
//! failures are retried for every request; Retry-After is honoured; budgets cap retries.

use std::time::{Duration, Instant};

use instantdb_http::{Body, Client, RetryBudget, RetryPolicy};
use instantdb_test_support::{Fault, ReplayTransport, Reply, ScriptedServer};
use serde_json::json;

use crate::support::{client, client_for, closed_port_url};

#[tokio::test]
async fn idempotent_requests_are_retried_on_transient_statuses() {
    for status in [429, 502, 503, 504] {
        let server = ScriptedServer::start().await;
        server.push(Reply::json(status, json!({"type": "x"})));
        server.push(Reply::json(200, json!({"ok": true})));
        let client = client(&server).build().unwrap();
        let value: serde_json::Value = client.get("/superadmin/apps").send_json().await.unwrap();
        assert_eq!(value["ok"], true, "{status}");
        assert_eq!(server.requests().len(), 2, "{status}");
    }
}

#[tokio::test]
async fn non_idempotent_requests_are_not_retried() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(503, json!({})));
    server.push(Reply::json(200, json!({})));
    let client = client(&server).build().unwrap();
    let err = client
        .post("/admin/transact")
        .json(&json!({"steps": []}))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 503);
    assert_eq!(server.requests().len(), 1);

    // Marked idempotent, the same POST is retried.
    let value: serde_json::Value = client
        .post("/admin/query")
        .idempotent(true)
        .send_json()
        .await
        .unwrap();
    assert_eq!(value, json!({}));
}

#[tokio::test]
async fn attempts_are_bounded_and_500_is_not_retried() {
    let server = ScriptedServer::start().await;
    server.set_fallback(Some(Reply::json(503, json!({}))));
    let client = client(&server).build().unwrap();
    let err = client.get("/x").send().await.unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 503);
    assert_eq!(server.take_requests().len(), 3);

    server.set_fallback(Some(Reply::json(500, json!({"type": "unknown"}))));
    client.get("/x").send().await.unwrap_err();
    assert_eq!(server.take_requests().len(), 1);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(429, json!({"type": "rate-limited"})).header("retry-after", "1"));
    server.push(Reply::json(200, json!({})));
    let client = client(&server).build().unwrap();
    let started = Instant::now();
    client.get("/x").send().await.unwrap();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(950) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );

    // Instant's own hint works the same way when no header is present.
    server.push(Reply::json(
        429,
        json!({"type": "rate-limited", "hint": {"retry-after": 0.3}}),
    ));
    server.push(Reply::json(200, json!({})));
    let started = Instant::now();
    client.get("/x").send().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(280),
        "{:?}",
        started.elapsed()
    );

    // A wait longer than the policy allows ends the retries at once.
    server.push(Reply::json(503, json!({})).header("retry-after", "3600"));
    let started = Instant::now();
    let err = client.get("/x").send().await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn connection_failures_are_retried_for_any_request() {
    // In memory: the first attempt is refused, the second succeeds, even for a transaction.
    let transport = ReplayTransport::new();
    transport.push(Reply::fault(Fault::Refused));
    transport.push(Reply::json(200, json!({"tx-id": 1})));
    let client = Client::builder()
        .base_url("http://instant.test")
        .transport(transport.clone())
        .retry_policy(crate::support::fast_retries())
        .build()
        .unwrap();
    let value: serde_json::Value = client.post("/admin/transact").send_json().await.unwrap();
    assert_eq!(value["tx-id"], 1);
    assert_eq!(transport.requests().len(), 2);

    // Over sockets: a closed port fails after every attempt with a connect error.
    let client = client_for(&closed_port_url().await).build().unwrap();
    let err = client.post("/admin/transact").send().await.unwrap_err();
    assert!(
        err.is_connect() && err.is_transient_and_not_sent(),
        "{err:?}"
    );
}

#[tokio::test]
async fn one_pass_streams_are_never_retried() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(503, json!({})));
    server.push(Reply::json(200, json!({})));
    let client = client(&server).build().unwrap();
    let chunks =
        futures_util::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from("data"))]);
    let err = client
        .put("/admin/storage/upload")
        .idempotent(true)
        .body(Body::from_stream(chunks, Some(4)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 503);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn the_budget_caps_retries_across_requests() {
    let server = ScriptedServer::start().await;
    server.set_fallback(Some(Reply::json(503, json!({}))));
    let client = client(&server)
        .retry_budget(RetryBudget::new(0.0, 1))
        .retry_policy(crate::support::fast_retries().with_max_attempts(5))
        .build()
        .unwrap();
    client.get("/x").send().await.unwrap_err();
    client.get("/x").send().await.unwrap_err();
    // One retry in the reserve, none earned: 2 + 1 attempts in total.
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_request_can_opt_out_of_retries() {
    let server = ScriptedServer::start().await;
    server.set_fallback(Some(Reply::json(503, json!({}))));
    let client = client(&server).build().unwrap();
    client
        .get("/x")
        .retry_policy(RetryPolicy::none())
        .send()
        .await
        .unwrap_err();
    assert_eq!(server.requests().len(), 1);
}
