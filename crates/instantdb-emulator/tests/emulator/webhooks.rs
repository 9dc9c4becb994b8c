//! Webhook deliveries: events from transactions, signatures checked against the JWKS, the
//! payload endpoint, events, resends, retries, 410s, and the loopback-only rule.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use instantdb_emulator::Emulator;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::support::{AdminApp, Client, Platform, uuid};

/// A delivery as the receiver got it.
#[derive(Debug)]
struct Received {
    signature: String,
    idempotency_key: String,
    body: Bytes,
}

/// A local webhook receiver answering each delivery with the next scripted status (200 once
/// the script runs out).
async fn receiver(script: Vec<u16>) -> (String, mpsc::UnboundedReceiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/instant", listener.local_addr().unwrap());
    let (sender, received) = mpsc::unbounded_channel();
    let script = Arc::new(Mutex::new(script));
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (sender, script) = (sender.clone(), script.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: http::Request<hyper::body::Incoming>| {
                        let (sender, script) = (sender.clone(), script.clone());
                        async move {
                            let header = |name: &str| {
                                request
                                    .headers()
                                    .get(name)
                                    .map(|v| v.to_str().unwrap().to_owned())
                                    .unwrap_or_default()
                            };
                            let (signature, idempotency_key) =
                                (header("instant-signature"), header("idempotency-key"));
                            assert_eq!(header("content-type"), "application/json; charset=utf-8");
                            assert_eq!(request.uri().path(), "/hooks/instant");
                            let body = request.into_body().collect().await.unwrap().to_bytes();
                            let _ = sender.send(Received {
                                signature,
                                idempotency_key,
                                body,
                            });
                            let status = {
                                let mut script = script.lock().unwrap();
                                if script.is_empty() {
                                    200
                                } else {
                                    script.remove(0)
                                }
                            };
                            let mut response =
                                http::Response::new(Full::new(Bytes::from("thanks")));
                            *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
                            Ok::<_, Infallible>(response)
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, received)
}

async fn next(received: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("no delivery within 10 s")
        .unwrap()
}

/// Checks `Instant-Signature` against the emulator's JWKS, as a receiver would; returns `t`.
async fn verify(base: &str, delivery: &Received) -> i64 {
    let parts: Vec<(&str, &str)> = delivery
        .signature
        .split(',')
        .map(|part| part.split_once('=').unwrap())
        .collect();
    let field = |name: &str| parts.iter().find(|(k, _)| *k == name).unwrap().1;
    let jwks = Client::new(base)
        .get("/.well-known/webhooks/jwks.json", &[])
        .await
        .ok();
    let key = &jwks["keys"][0];
    assert_eq!(
        (&key["kty"], &key["crv"], &key["alg"], &key["use"]),
        (
            &json!("OKP"),
            &json!("Ed25519"),
            &json!("EdDSA"),
            &json!("sig")
        )
    );
    assert_eq!(key["kid"], field("kid"));
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(key["x"].as_str().unwrap())
        .unwrap();
    let signature: Vec<u8> = (0..field("v1").len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&field("v1")[i..i + 2], 16).unwrap())
        .collect();
    let mut message = field("t").as_bytes().to_vec();
    message.push(b'.');
    message.extend_from_slice(&delivery.body);
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, x)
        .verify(&message, &signature)
        .expect("the signature verifies with the JWKS key");
    field("t").parse().unwrap()
}

/// Fetches a delivery's payload with its token.
async fn payload(base: &str, delivery: &Received) -> Value {
    let body = delivery_body(delivery);
    let url = body["payloadUrl"].as_str().unwrap();
    let token = body["token"].as_str().unwrap();
    let path = url.strip_prefix(base).unwrap();
    Client::new(base)
        .get(path, &[("authorization", &format!("Bearer {token}"))])
        .await
        .ok()
}

/// A delivery's JSON body, `{payloadUrl, token}`.
fn delivery_body(delivery: &Received) -> Value {
    serde_json::from_slice(&delivery.body).unwrap()
}

/// The claims of a delivery body's payload token (the signature is checked by [`verify`]).
fn token_claims(body: &Value) -> Value {
    let token = body["token"].as_str().unwrap();
    let claims = token.split('.').nth(1).unwrap();
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims)
        .unwrap();
    serde_json::from_slice(&claims).unwrap()
}

/// The webhook's events page once `ready` holds for it. Deliveries are recorded after the
/// receiver answers, so a fixed sleep raced the emulator on a loaded 2-core CI machine; this
/// polls for up to 10 s instead.
async fn events_when(
    platform: &mut Platform,
    hooks: &str,
    hook_id: &str,
    ready: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let page = platform
            .call("GET", &format!("{hooks}/{hook_id}/events"), None)
            .await
            .ok();
        if ready(&page) || tokio::time::Instant::now() >= deadline {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Whether the newest event has reached `status`.
fn newest_is(status: &'static str) -> impl Fn(&Value) -> bool {
    move |page| page["events"][0]["status"] == status
}

async fn loopback_emulator() -> Emulator {
    Emulator::builder()
        .allow_loopback_webhooks(true)
        .webhook_retry_delay(Duration::from_millis(50))
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn transactions_are_delivered_signed_and_their_payload_fetched() {
    let emu = loopback_emulator().await;
    let base = emu.base_url().to_owned();
    let creds = emu.create_app("hooked").unwrap();
    let app_id = creds.app_id.to_string();
    let mut admin = AdminApp::new(&base, &creds);
    let (todo, other) = (uuid(), uuid());
    admin
        .transact(json!([["update", "todos", other, { "text": "before the hook" }]]))
        .await
        .ok();
    let (url, mut received) = receiver(vec![]).await;
    let mut platform = Platform::new(&base, emu.platform_token());
    let hooks = format!("/dash/apps/{app_id}/webhooks");
    let created = platform
        .call(
            "POST",
            &hooks,
            Some(json!({ "url": url, "namespaces": ["todos"], "actions": ["create", "update", "delete"] })),
        )
        .await
        .ok();
    let hook_id = created["webhook"]["id"].as_str().unwrap().to_owned();

    // A create.
    admin
        .transact(json!([["update", "todos", todo, { "text": "hello", "done": false }]]))
        .await
        .ok();
    let first = next(&mut received).await;
    let t = verify(&base, &first).await;
    assert!((t - std::time::UNIX_EPOCH.elapsed().unwrap().as_secs() as i64).abs() < 10);
    let data = payload(&base, &first).await;
    assert_eq!(data["idempotencyKey"], first.idempotency_key);
    let records = data["data"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["namespace"], "todos");
    assert_eq!(records[0]["action"], "create");
    assert_eq!(records[0]["id"], json!(todo));
    assert_eq!(records[0]["before"], Value::Null);
    assert_eq!(
        records[0]["after"],
        json!({ "id": todo, "text": "hello", "done": false })
    );
    assert!(records[0]["idempotencyKey"].is_string());

    // A link alone reports nothing; an update and a delete do, with before and after.
    admin
        .transact(json!([["link", "todos", todo, { "tags": uuid() }]]))
        .await
        .ok();
    admin
        .transact(json!([["update", "todos", todo, { "done": true }], ["delete", "todos", other]]))
        .await
        .ok();
    let second = next(&mut received).await;
    let records = payload(&base, &second).await["data"].clone();
    assert_eq!(records[0]["action"], "update");
    assert_eq!(records[0]["before"]["done"], false);
    assert_eq!(records[0]["after"]["done"], true);
    assert_eq!(records[1]["action"], "delete");
    assert_eq!(records[1]["before"]["text"], "before the hook");
    assert_eq!(records[1]["after"], Value::Null);
    // The link created a `tags` entity, but the webhook only watches `todos`.
    assert!(records.as_array().unwrap().len() == 2);

    // Events: newest first, delivered.
    let page = events_when(&mut platform, &hooks, &hook_id, |page| {
        page["events"].as_array().is_some_and(|events| {
            events.len() == 2 && events.iter().all(|event| event["status"] == "success")
        })
    })
    .await;
    let events = page["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["status"], "success");
    assert_eq!(events[0]["attempts"][0]["status-code"], 200);
    assert_eq!(events[0]["attempts"][0]["success?"], true);
    assert_eq!(events[0]["attempts"][0]["response-text"], "thanks");
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
    let newest_isn = events[0]["isn"].as_str().unwrap().to_owned();
    let encoded: String = url::form_urlencoded::byte_serialize(newest_isn.as_bytes()).collect();
    let older = platform
        .call(
            "GET",
            &format!(
                "{hooks}/{hook_id}/events?after={}",
                page["pageInfo"]["startCursor"].as_str().unwrap()
            ),
            None,
        )
        .await
        .ok();
    assert_eq!(older["events"].as_array().unwrap().len(), 1);
    assert_eq!(older["events"][0]["isn"], events[1]["isn"]);
    let one = platform
        .call("GET", &format!("{hooks}/{hook_id}/events/{encoded}"), None)
        .await
        .ok();
    assert_eq!(one["event"]["isn"], json!(newest_isn));
    // The ISN may also come with its slash unencoded.
    platform
        .call(
            "GET",
            &format!("{hooks}/{hook_id}/events/{newest_isn}"),
            None,
        )
        .await
        .ok();

    // A resend delivers the same payload again.
    let resent = platform
        .call(
            "POST",
            &format!("{hooks}/{hook_id}/events/{encoded}"),
            Some(json!({})),
        )
        .await
        .ok();
    assert_eq!(resent["event"]["status"], "pending");
    let again = next(&mut received).await;
    assert_eq!(again.idempotency_key, second.idempotency_key);
    assert_eq!(payload(&base, &again).await["data"], records);

    // A delivery's token reads only its own event; platform and admin tokens read any.
    let body: Value = serde_json::from_slice(&first.body).unwrap();
    let token = body["token"].as_str().unwrap();
    let wrong = Client::new(&base)
        .get(
            &format!("/webhooks/payload/{app_id}/{hook_id}/{newest_isn}"),
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await
        .err(400, "validation-failed");
    assert!(!wrong.to_string().contains(token));
    let by_admin = platform
        .call(
            "GET",
            &format!("/webhooks/payload/{app_id}/{hook_id}/{newest_isn}"),
            None,
        )
        .await
        .ok();
    assert_eq!(by_admin["data"], records);
}

#[tokio::test]
async fn failed_deliveries_retry_and_a_410_disables_the_webhook() {
    let emu = loopback_emulator().await;
    let base = emu.base_url().to_owned();
    let creds = emu.create_app("flaky").unwrap();
    let app_id = creds.app_id.to_string();
    let mut admin = AdminApp::new(&base, &creds);
    admin
        .transact(json!([["update", "notes", uuid(), { "body": "x" }]]))
        .await
        .ok();
    let (url, mut received) = receiver(vec![500, 200, 410]).await;
    let mut platform = Platform::new(&base, emu.platform_token());
    let hooks = format!("/dash/apps/{app_id}/webhooks");
    let created = platform
        .call(
            "POST",
            &hooks,
            Some(json!({ "url": url, "namespaces": ["notes"], "actions": ["create"] })),
        )
        .await
        .ok();
    let hook_id = created["webhook"]["id"].as_str().unwrap().to_owned();

    admin
        .transact(json!([["update", "notes", uuid(), { "body": "first" }]]))
        .await
        .ok();
    let failed = next(&mut received).await;
    let retried = next(&mut received).await;
    // A retry is the same event: same payload URL and idempotency key, and a token with the
    // same claims. Only `exp` may differ, because each attempt mints its token afresh (so a
    // late retry never carries a nearly expired one); comparing bytes failed whenever the two
    // attempts straddled a second boundary.
    let (first, again) = (delivery_body(&failed), delivery_body(&retried));
    assert_eq!(first["payloadUrl"], again["payloadUrl"]);
    assert_eq!(failed.idempotency_key, retried.idempotency_key);
    let (mut first_claims, mut again_claims) = (token_claims(&first), token_claims(&again));
    let (first_exp, again_exp) = (first_claims["exp"].take(), again_claims["exp"].take());
    assert!(first_exp.as_i64().unwrap() <= again_exp.as_i64().unwrap());
    verify(&base, &retried).await;
    assert_eq!(
        first_claims, again_claims,
        "a retry carries the same claims"
    );
    let events = events_when(&mut platform, &hooks, &hook_id, newest_is("success")).await;
    let attempts = events["events"][0]["attempts"].as_array().unwrap();
    assert_eq!(events["events"][0]["status"], "success");
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0]["status-code"], 500);
    assert_eq!(attempts[0]["success?"], false);

    admin
        .transact(json!([["update", "notes", uuid(), { "body": "second" }]]))
        .await
        .ok();
    next(&mut received).await;
    let events = events_when(&mut platform, &hooks, &hook_id, newest_is("failed")).await;
    assert_eq!(events["events"][0]["status"], "failed");
    // The same write that failed the event disabled the hook.
    let hook = platform.call("GET", &hooks, None).await.ok();
    assert_eq!(hook["webhooks"][0]["status"], "disabled");
    assert_eq!(
        hook["webhooks"][0]["disabled_reason"],
        "Endpoint returned 410 status code."
    );
    // Disabled: new writes make no events.
    admin
        .transact(json!([["update", "notes", uuid(), { "body": "third" }]]))
        .await
        .ok();
    let events = platform
        .call("GET", &format!("{hooks}/{hook_id}/events"), None)
        .await
        .ok();
    assert_eq!(events["events"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn only_loopback_receivers_are_contacted_and_only_when_allowed() {
    let strict = Emulator::builder().start().await.unwrap();
    let creds = strict.create_app("strict").unwrap();
    AdminApp::new(strict.base_url(), &creds)
        .transact(json!([["update", "notes", uuid(), { "body": "x" }]]))
        .await
        .ok();
    let mut platform = Platform::new(strict.base_url(), strict.platform_token());
    let hooks = format!("/dash/apps/{}/webhooks", creds.app_id);
    let body = platform
        .call(
            "POST",
            &hooks,
            Some(json!({ "url": "http://127.0.0.1:9/x", "namespaces": ["notes"], "actions": ["create"] })),
        )
        .await
        .err(400, "validation-failed");
    assert!(body["message"].as_str().unwrap().contains("must be https"));

    // A public URL is accepted but never contacted: the attempt fails without a connection.
    let created = platform
        .call(
            "POST",
            &hooks,
            Some(json!({ "url": "https://hooks.example.com/x", "namespaces": ["notes"], "actions": ["create"] })),
        )
        .await
        .ok();
    let hook_id = created["webhook"]["id"].as_str().unwrap().to_owned();
    AdminApp::new(strict.base_url(), &creds)
        .transact(json!([["update", "notes", uuid(), { "body": "y" }]]))
        .await
        .ok();
    let page = events_when(&mut platform, &hooks, &hook_id, |page| {
        page["events"][0]["attempts"].is_array()
    })
    .await;
    let event = &page["events"][0];
    assert_eq!(event["status"], "error", "{event}");
    assert_eq!(event["attempts"][0]["error-type"], "connect");
    assert!(
        event["next_attempt_after"].is_string(),
        "a retry is scheduled"
    );
}
