//! Receiving webhook deliveries: signatures, the key cache, payloads and handlers.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use instantdb_platform::{
    ErrorKind, PlatformClient, VerifyOptions, WebhookAction, WebhookHandlers,
};
use instantdb_test_support::{Reply, ScriptedServer};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::json;

use crate::support::*;

fn keypair() -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(&[42u8; 32]).unwrap()
}

fn jwks_reply(pair: &Ed25519KeyPair) -> Reply {
    Reply::json(
        200,
        json!({"keys": [
            {"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": "other", "x": "AAAA"},
            {"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": "test-kid",
             "x": URL_SAFE_NO_PAD.encode(pair.public_key().as_ref())},
        ]}),
    )
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn sign(pair: &Ed25519KeyPair, t: u64, kid: &str, body: &str) -> String {
    let signature = pair.sign(format!("{t}.{body}").as_bytes());
    let hex: String = signature
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},kid={kid},v1={hex}")
}

fn receiver(server: &ScriptedServer) -> PlatformClient {
    PlatformClient::builder()
        .api_uri(server.url())
        .build()
        .unwrap()
}

#[tokio::test]
async fn verifies_deliveries_and_caches_the_key() {
    let server = ScriptedServer::start().await;
    let pair = keypair();
    server.push(jwks_reply(&pair));
    let api = receiver(&server);
    let webhooks = api.webhooks(APP_ID);
    let body =
        json!({"payloadUrl": format!("{}/webhooks/payload/x", server.url()), "token": "jwt"})
            .to_string();

    let delivery = webhooks
        .verify_signature(
            &sign(&pair, now(), "test-kid", &body),
            body.as_bytes(),
            VerifyOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(delivery.token.expose(), "jwt");
    assert!(delivery.payload_url.ends_with("/webhooks/payload/x"));
    assert!(!format!("{delivery:?}").contains("jwt"));

    // The key is cached: no second JWKS request, also for a clone of the client.
    api.clone()
        .webhooks(APP_ID)
        .verify_signature(
            &sign(&pair, now(), "test-kid", &body),
            body.as_bytes(),
            VerifyOptions::new(),
        )
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(paths(&requests), ["GET /.well-known/webhooks/jwks.json"]);
    assert_eq!(requests[0].header("authorization"), None);
    assert!(requests[0].header("instant-core-version").is_some());
    assert_eq!(requests[0].header("x-instant-source"), None);

    // A tampered body, a signature over another time, or a stale time fail.
    let tampered = body.replace("jwt", "jwu");
    let err = webhooks
        .verify_signature(
            &sign(&pair, now(), "test-kid", &body),
            tampered.as_bytes(),
            VerifyOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Webhook);
    assert_eq!(err.to_string(), "Instant Signature did not validate");
    let header = sign(&pair, now(), "test-kid", &body).replacen("t=", "t=1", 1);
    assert!(
        webhooks
            .verify_signature(&header, body.as_bytes(), VerifyOptions::new())
            .await
            .is_err()
    );
    let old = now() - 301;
    let err = webhooks
        .verify_signature(
            &sign(&pair, old, "test-kid", &body),
            body.as_bytes(),
            VerifyOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Webhook signature is too old");
    webhooks
        .verify_signature(
            &sign(&pair, old, "test-kid", &body),
            body.as_bytes(),
            VerifyOptions::new().tolerance(Duration::from_secs(600)),
        )
        .await
        .unwrap();
    webhooks
        .verify_signature(
            &sign(&pair, 1_000, "test-kid", &body),
            body.as_bytes(),
            VerifyOptions::new().received_at(SystemTime::UNIX_EPOCH + Duration::from_secs(1_100)),
        )
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn unknown_keys_and_bad_bodies() {
    let server = ScriptedServer::start().await;
    let pair = keypair();
    server.push(jwks_reply(&pair));
    let webhooks = receiver(&server).webhooks(APP_ID);
    let err = webhooks
        .verify_signature(
            &sign(&pair, now(), "rotated", "{}"),
            b"{}",
            VerifyOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Could not find matching signing key (kid rotated)"
    );

    server.push(jwks_reply(&pair));
    let body = r#"{"payloadUrl": 1}"#;
    let err = webhooks
        .verify_signature(
            &sign(&pair, now(), "test-kid", body),
            body.as_bytes(),
            VerifyOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid webhook body, expected an object with payloadUrl and token fields"
    );
    let err = webhooks
        .verify_signature("t=1,kid=test-kid", body.as_bytes(), VerifyOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Invalid Instant-Signature header.");
}

#[tokio::test]
async fn process_request_fetches_the_payload_and_dispatches_by_namespace_and_action() {
    let server = ScriptedServer::start().await;
    let pair = keypair();
    server.push(jwks_reply(&pair));
    let record = |ns: &str, id: &str, action: &str| json!({"namespace": ns, "id": id, "action": action, "before": null, "after": {"id": id}, "idempotencyKey": format!("k-{id}")});
    server.push(Reply::json(
        200,
        json!({"idempotencyKey": "idem", "data": [
            record("goals", "g1", "create"),
            record("goals", "g2", "update"),
            record("todos", "t1", "delete"),
            record("notes", "n1", "create"),
        ]}),
    ));
    let body = json!({"payloadUrl": format!("{}/webhooks/payload/{APP_ID}/w/1", server.url()), "token": "payload-jwt"}).to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = |label: &'static str| {
        let seen = seen.clone();
        move |record: instantdb_platform::WebhookRecord| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(format!("{label}:{}", record.id));
                Ok(())
            }
        }
    };
    let handlers = WebhookHandlers::new()
        .on("goals", WebhookAction::Create, log("goals.create"))
        .on_namespace("goals", log("goals.*"))
        .on_any(log("*"));
    let api = receiver(&server);
    api.webhooks(APP_ID)
        .process_request(
            &handlers,
            &sign(&pair, now(), "test-kid", &body),
            body.as_bytes(),
            VerifyOptions::new(),
        )
        .await
        .unwrap();
    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    assert_eq!(seen, ["*:n1", "*:t1", "goals.*:g2", "goals.create:g1"]);
    let payload_request = &server.requests()[1];
    assert_eq!(
        payload_request.path,
        format!("/webhooks/payload/{APP_ID}/w/1")
    );
    assert_eq!(
        payload_request.header("authorization"),
        Some("Bearer payload-jwt")
    );
    assert_eq!(payload_request.header("accept"), Some("application/json"));

    // A failing handler fails the call, so the receiver answers non-2xx and Instant retries.
    server.push(Reply::json(
        200,
        json!({"idempotencyKey": "idem", "data": [record("goals", "g1", "create")]}),
    ));
    let failing = WebhookHandlers::new().on_any(|_| async { Err("database down".into()) });
    let err = api
        .webhooks(APP_ID)
        .process_request(
            &failing,
            &sign(&pair, now(), "test-kid", &body),
            body.as_bytes(),
            VerifyOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Webhook);
    assert_eq!(err.to_string(), "a webhook handler failed: database down");
    assert_eq!(server.requests().len(), 3);
}
