//! Timeouts fire: never before their limit, and soon after it.

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use instantdb_test_support::{Fault, Reply, ScriptedServer};
use serde_json::json;

use crate::support::client;

const LIMIT: Duration = Duration::from_millis(300);

/// How late a timeout may fire. The stalls below never end, so anything short of a hang proves
/// the timer works; a second of slack keeps a loaded 2-core CI runner, where the whole suite
/// runs in parallel, from failing a test that is right.
const SLACK: Duration = Duration::from_secs(1);

fn assert_fired_on_time(started: Instant) {
    let elapsed = started.elapsed();
    assert!(
        elapsed >= LIMIT && elapsed < LIMIT + SLACK,
        "took {elapsed:?} for a {LIMIT:?} limit"
    );
}

#[tokio::test]
async fn a_stalled_server_ends_in_a_total_timeout() {
    let server = ScriptedServer::start().await;
    server.push(Reply::fault(Fault::Stall));
    let client = client(&server).timeout(LIMIT).build().unwrap();
    let started = Instant::now();
    let err = client.get("/superadmin/apps").send().await.unwrap_err();
    assert_fired_on_time(started);
    assert!(
        err.is_timeout() && !err.is_connect() && !err.is_transient_and_not_sent(),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "GET /superadmin/apps: request timeout of 300ms elapsed"
    );
}

#[tokio::test]
async fn the_total_timeout_covers_buffered_bodies() {
    let server = ScriptedServer::start().await;
    server.push(Reply::fault(Fault::StallBody {
        body: Bytes::from("{\"a\":"),
        declared: 100,
    }));
    let client = client(&server)
        .timeout(LIMIT)
        .read_timeout(None)
        .build()
        .unwrap();
    let started = Instant::now();
    let response = client.get("/x").send().await.unwrap();
    let err = response.json::<serde_json::Value>().await.unwrap_err();
    assert_fired_on_time(started);
    assert!(err.is_timeout(), "{err:?}");
}

#[tokio::test]
async fn a_body_that_goes_silent_ends_in_an_idle_read_timeout() {
    let server = ScriptedServer::start().await;
    server.push(Reply::fault(Fault::StallBody {
        body: Bytes::from("{\"a\":"),
        declared: 100,
    }));
    let client = client(&server)
        .timeout(None)
        .read_timeout(LIMIT)
        .build()
        .unwrap();
    let response = client.get("/x").send().await.unwrap();
    let started = Instant::now();
    let err = response.bytes().await.unwrap_err();
    assert_fired_on_time(started);
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.to_string().contains("idle read timeout"), "{err}");
}

#[tokio::test]
async fn slow_bodies_within_the_limits_succeed() {
    let server = ScriptedServer::start().await;
    let body = json!({"goals": [1, 2, 3, 4, 5, 6, 7, 8]}).to_string();
    server.push(Reply::text(200, body.clone()).chunked(4, Duration::from_millis(20)));
    let client = client(&server)
        .timeout(Duration::from_secs(5))
        .read_timeout(LIMIT)
        .build()
        .unwrap();
    let text = client.get("/x").send().await.unwrap().text().await.unwrap();
    assert_eq!(text, body);
}

#[tokio::test]
async fn event_streams_are_bounded_by_the_idle_timeout_only() {
    let server = ScriptedServer::start().await;
    server.push(Reply::sse([json!({"op": "sse-init"})]).keep_open());
    // The total timeout is shorter than the stream's life: it does not apply to streamed bodies.
    let client = client(&server)
        .timeout(Duration::from_millis(100))
        .read_timeout(LIMIT)
        .build()
        .unwrap();
    let mut events = client
        .post("/admin/subscribe-query")
        .send()
        .await
        .unwrap()
        .sse();
    let first = events.next().await.unwrap().unwrap();
    assert_eq!(first.data, r#"{"op":"sse-init"}"#);
    let started = Instant::now();
    let err = events.next().await.unwrap().unwrap_err();
    assert_fired_on_time(started);
    assert!(err.is_timeout());
    assert!(events.next().await.is_none());
}

#[tokio::test]
async fn per_request_timeouts_override_the_client() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(200, json!({})).delay(Duration::from_millis(200)));
    server.push(Reply::json(200, json!({})).delay(Duration::from_millis(200)));
    let client = client(&server)
        .timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let ok = client
        .get("/x")
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(ok.is_ok(), "{ok:?}");
    let err = client.get("/x").send().await.unwrap_err();
    assert!(err.is_timeout());
}

#[tokio::test]
async fn a_connection_that_is_never_accepted_ends_in_a_connect_timeout() {
    // A listener with a backlog of one that never accepts: once the queue is full, the kernel
    // drops further SYNs, so a connect hangs until the client's connect timeout.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    socket.listen(1).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        let filler =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        filler.set_nonblocking(true).unwrap();
        let _ = filler.connect(&addr.into());
        fillers.push(filler);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let client = crate::support::client_for(&format!("http://{addr}"))
        .connect_timeout(LIMIT)
        .timeout(Duration::from_secs(10))
        .retry_policy(instantdb_http::RetryPolicy::none())
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.post("/admin/transact").send().await.unwrap_err();
    let elapsed = started.elapsed();
    if !err.is_timeout() {
        // Some kernels answer an overflowing backlog differently; the point is only that the
        // client does not hang.
        eprintln!("backlog overflow did not stall the connect here: {err:?}");
        return;
    }
    assert!(
        err.is_connect() && err.is_transient_and_not_sent(),
        "{err:?}"
    );
    assert!(
        elapsed >= LIMIT && elapsed < LIMIT + SLACK,
        "took {elapsed:?}"
    );
}
