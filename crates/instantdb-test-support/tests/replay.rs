//! The test support itself: wire-catalog replay (positive and negative), the in-memory
//! transport's faults, and the proxy's loopback-only rule. These calls imitate what the
//! platform and admin crates will do, with instantdb-http directly.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use futures_util::StreamExt;
use instantdb_http::{Client, ClientBuilder, PROTOCOL_VERSION, Proxy, Secret};
use instantdb_test_support::{
    CheckOptions, ConnectProxy, Fault, ReplayTransport, Reply, ScriptedServer, WireCatalog,
};
use serde_json::json;

/// A client for `server` that ignores proxy variables.
fn builder(server: &ScriptedServer) -> ClientBuilder {
    Client::builder()
        .base_url(server.url())
        .proxy(Proxy::none())
}

/// What an admin client sends on every request in the catalog.
fn admin_client(server: &ScriptedServer) -> Client {
    builder(server)
        .bearer_auth(&Secret::new("test-admin-token"))
        .default_header("app-id", "00000000-0000-0000-0000-0000000000aa")
        .build()
        .unwrap()
}

fn platform_client(server: &ScriptedServer) -> Client {
    builder(server)
        .bearer_auth(&Secret::new("test-oauth-token"))
        .default_header("instant-platform-version", PROTOCOL_VERSION)
        .default_header("instant-core-version", PROTOCOL_VERSION)
        .default_header("x-instant-source", "platform-sdk")
        .default_header("x-instant-version", PROTOCOL_VERSION)
        .build()
        .unwrap()
}

#[tokio::test]
async fn replays_platform_get_apps_and_checks_the_request() {
    let catalog = WireCatalog::load();
    // The 160 scenarios first recorded, plus those `cargo xtask conformance record` added.
    assert!(catalog.scenarios().len() >= 160);
    let scenario = catalog.scenario("platform.getApps.includeBoth");
    let server = ScriptedServer::start().await;
    server.serve_scenario(scenario);
    let apps: serde_json::Value = platform_client(&server)
        .get("/superadmin/apps")
        .query("include", "perms,schema")
        .send_json()
        .await
        .unwrap();
    assert_eq!(apps["apps"][0]["title"], "Wire Catalog App");
    server.assert_scenario(scenario);
}

#[tokio::test]
async fn reports_every_difference() {
    let catalog = WireCatalog::load();
    let scenario = catalog.scenario("platform.createApp.plain");
    let server = ScriptedServer::start().await;
    server.serve_scenario(scenario);
    let expected_body = scenario.requests[0]["body"].clone();
    // Wrong key order, a missing SDK header, a wrong SDK version, an extra header, an extra
    // query parameter.
    let mut reordered = serde_json::Map::new();
    for (key, value) in expected_body.as_object().unwrap().iter().rev() {
        reordered.insert(key.clone(), value.clone());
    }
    let client = builder(&server)
        .bearer_auth(&Secret::new("test-oauth-token"))
        .build()
        .unwrap();
    let _ = client
        .post("/superadmin/apps")
        .query("x", "1")
        .header("x-extra", "1")
        .header("instant-core-version", "v0.1.0")
        .json(&reordered)
        .send()
        .await
        .unwrap();
    let report = scenario
        .check_requests(&server.requests(), &server.url())
        .unwrap_err();
    assert!(
        report.contains("header `x-instant-source` missing"),
        "{report}"
    );
    assert!(report.contains("unexpected header `x-extra`"), "{report}");
    assert!(
        report.contains("header `instant-core-version`: expected `v1.0.67`, got `v0.1.0`"),
        "{report}"
    );
    assert!(report.contains("query: expected []"), "{report}");
    if expected_body.as_object().unwrap().len() > 1 {
        assert!(report.contains("key order"), "{report}");
        let relaxed = CheckOptions {
            ignore_key_order: true,
            ignore_headers: vec!["x-extra".into()],
            ..CheckOptions::default()
        };
        let report = scenario
            .check_requests_with(&server.requests(), &server.url(), &relaxed)
            .unwrap_err();
        assert!(
            !report.contains("key order") && !report.contains("x-extra"),
            "{report}"
        );
    }
}

#[tokio::test]
async fn uuid_placeholders_bind_consistently() {
    let catalog = WireCatalog::load();
    let scenario = catalog.scenario("admin.subscribeQuery");
    let server = ScriptedServer::start().await;
    server.serve_scenario(scenario);
    let client = admin_client(&server);
    let mut events = client
        .post("/admin/subscribe-query")
        .query(
            "local_connection_id",
            "6f1c2a0e-9b7d-4c41-8e2f-0a1b2c3d4e5f",
        )
        .header("cache-control", "no-cache")
        .header("pragma", "no-cache")
        .json(&scenario.requests[0]["body"])
        .send()
        .await
        .unwrap()
        .sse();
    let first = events.next().await.unwrap().unwrap();
    assert!(first.data.contains("sse-init"));
    drop(events);
    server.assert_scenario(scenario);

    // A value that is not a UUID does not match a placeholder.
    let server = ScriptedServer::start().await;
    server.serve_scenario(scenario);
    let client = admin_client(&server);
    let _ = client
        .post("/admin/subscribe-query")
        .query("local_connection_id", "not-a-uuid")
        .header("cache-control", "no-cache")
        .header("pragma", "no-cache")
        .json(&scenario.requests[0]["body"])
        .send()
        .await
        .unwrap();
    let report = scenario
        .check_requests(&server.requests(), &server.url())
        .unwrap_err();
    assert!(report.contains("local_connection_id"), "{report}");
}

#[tokio::test]
async fn explicit_accept_headers_are_compared_but_node_defaults_are_not() {
    let catalog = WireCatalog::load();
    // Request 1 has Node's `accept: */*`, request 2 an explicit `accept: application/json`.
    let scenario = catalog.scenario("platform.webhooks.processRequest");
    let server = ScriptedServer::start().await;
    server.serve_scenario(scenario);
    let client = builder(&server).build().unwrap();
    // Replay each request exactly, except that no `accept` or `user-agent` is copied.
    for request in &scenario.requests {
        let method = request["method"].as_str().unwrap().parse().unwrap();
        let mut builder = client.request(method, request["path"].as_str().unwrap());
        for (name, value) in request["headers"].as_object().unwrap() {
            if name != "accept" && name != "user-agent" {
                builder = builder.header(name.as_str(), value.as_str().unwrap());
            }
        }
        if !request["body"].is_null() {
            builder = builder.json(&request["body"]);
        }
        let _ = builder.send().await;
    }
    let report = scenario
        .check_requests(&server.requests(), &server.url())
        .unwrap_err();
    assert!(report.contains("request 2"), "{report}");
    assert!(report.contains("header `accept` missing"), "{report}");
    assert!(!report.contains("request 1"), "{report}");
    assert!(!report.contains("user-agent"), "{report}");
}

/// The deterministic UUIDs a test's code under test would use for `<uuid#N>`.
fn test_uuid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

#[tokio::test]
async fn sse_push_replies_arrive_on_the_open_stream() {
    let catalog = WireCatalog::load();
    let scenario = catalog.scenario("admin.streams.createWriteStream");
    let server = ScriptedServer::start().await;
    server.push_all(scenario.replies_with_uuids(&server.url(), test_uuid));
    let client = builder(&server).build().unwrap();
    let with_uuids = |value: &serde_json::Value| -> serde_json::Value {
        let mut text = value.to_string();
        for n in 1..=9 {
            text = text.replace(&format!("<uuid#{n}>"), &test_uuid(n));
        }
        serde_json::from_str(&text).unwrap()
    };
    let open = &scenario.requests[0];
    let mut events = client
        .post("/admin/sse")
        .query("app_id", "00000000-0000-0000-0000-0000000000aa")
        .bearer_auth(&Secret::new("test-admin-token"))
        .header("app-id", "00000000-0000-0000-0000-0000000000aa")
        .header("cache-control", "no-cache")
        .header("pragma", "no-cache")
        .json(&open["body"])
        .send()
        .await
        .unwrap()
        .sse();
    let init: serde_json::Value =
        serde_json::from_str(&events.next().await.unwrap().unwrap().data).unwrap();
    assert_eq!(init["op"], "sse-init");
    for push in &scenario.requests[1..] {
        let answer: serde_json::Value = client
            .post("/admin/sse/push")
            .query("app_id", "00000000-0000-0000-0000-0000000000aa")
            .json(&with_uuids(&push["body"]))
            .send_json()
            .await
            .unwrap();
        assert_eq!(answer, json!({}));
        for expected in push["sse_replies"].as_array().unwrap() {
            let event = events.next().await.unwrap().unwrap();
            let got: serde_json::Value = serde_json::from_str(&event.data).unwrap();
            assert_eq!(got, with_uuids(expected));
        }
    }
    server.assert_scenario(scenario);
}

#[tokio::test]
async fn text_error_responses_replay_as_text() {
    let catalog = WireCatalog::load();
    let scenario = catalog.scenario("platform.error.500.textBody");
    let server = ScriptedServer::start().await;
    server.serve_scenario(scenario);
    let err = platform_client(&server)
        .get("/superadmin/orgs")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.api_error().unwrap().message(), "upstream exploded");
    assert_eq!(
        scenario.error.as_ref().unwrap()["message"],
        "upstream exploded"
    );
    server.assert_scenario(scenario);
}

#[tokio::test]
async fn every_scenario_converts_to_replies() {
    let catalog = WireCatalog::load();
    let mut sse = 0;
    for scenario in catalog.scenarios() {
        let replies = scenario.replies("http://127.0.0.1:1");
        assert_eq!(replies.len(), scenario.requests.len(), "{}", scenario.name);
        for reply in &replies {
            assert!(
                !String::from_utf8_lossy(reply.body()).contains("{API}"),
                "{}",
                scenario.name
            );
            if String::from_utf8_lossy(reply.body()).starts_with("data: ") {
                sse += 1;
            }
        }
    }
    assert_eq!(sse, 4);
}

#[tokio::test]
async fn replay_transport_faults_map_to_typed_errors() {
    let transport = ReplayTransport::new();
    transport.push_all([
        Reply::fault(Fault::Reset),
        Reply::fault(Fault::Truncated {
            body: bytes::Bytes::from("{\"a\""),
            declared: 10,
        }),
        Reply::json(
            404,
            json!({"message": "Oops! We couldn't match this route."}),
        ),
    ]);
    let client = Client::builder()
        .base_url("http://instant.test")
        .transport(transport.clone())
        .build()
        .unwrap();
    let err = client.post("/a").send().await.unwrap_err();
    assert!(err.is_transient() && !err.is_status());
    let err = client
        .get("/b")
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert!(err.is_body(), "{err:?}");
    let err = client.get("/c").send().await.unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 404);
    let paths: Vec<String> = transport.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/a", "/b", "/c"]);
    // An empty queue answers with a 500 that names the request.
    let err = client.get("/d").send().await.unwrap_err();
    assert!(
        err.to_string().contains("no reply queued for GET /d"),
        "{err}"
    );
}

#[tokio::test]
async fn the_proxy_refuses_non_loopback_destinations() {
    let proxy = ConnectProxy::start().await;
    let client = Client::builder()
        .base_url("http://example.com")
        .proxy(Proxy::custom().with_http(proxy.url()))
        .retry_policy(instantdb_http::RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.get("/").send().await.unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 403);
    assert_eq!(proxy.connections()[0].target, "example.com");
}
