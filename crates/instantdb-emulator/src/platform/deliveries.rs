//! Webhook events and their delivery (`model/webhook.clj`, `webhook_processor.clj`,
//! `webhook_sender.clj`, `webhook_jwt.clj`).
//!
//! Upstream reads the write-ahead log; the emulator sees every committed write in
//! [`collect`], called by `Shared::write` with the state before each changed entity. A write
//! that creates, updates (blob values, not only links) or deletes entities of a webhook's
//! namespaces, for the webhook's actions, becomes one event holding the payload's records.
//! The event is then delivered by [`run`]'s tasks: a POST of `{payloadUrl, token}` signed with
//! `Instant-Signature: t=…,kid=…,v1=<hex Ed25519 over "{t}.{body}">`, retried on failure on
//! upstream's schedule (scaled by the builder's first retry delay), at most 11 attempts; a 410
//! disables the webhook.
//!
//! The emulator connects to loopback addresses only (`127.0.0.1`, `[::1]`, `localhost`), over
//! plain HTTP: a delivery to any other URL is recorded as a failed attempt without a
//! connection being made.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

use crate::clock;
use crate::crypto::{self, SigningKey};
use crate::error::{ApiError, ApiResult};
use crate::server::Shared;
use crate::store::attrs::Attrs;
use crate::store::data::Entity;
use crate::store::{self, App, State, WebhookAttempt, WebhookEvent};

/// Events kept per webhook (upstream keeps 60 days of them); the oldest go first.
const MAX_EVENTS_PER_WEBHOOK: usize = 1000;

/// Attempts before an event is `failed` (`max-attempts`).
const MAX_ATTEMPTS: usize = 11;

/// How long one delivery may take, connection included.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a payload token is valid.
const PAYLOAD_TOKEN_TTL_S: i64 = 3600;

/// An event to deliver.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub(crate) app_id: Uuid,
    pub(crate) webhook_id: Uuid,
    pub(crate) isn: String,
}

/// SHA-256 of the parts, its first 16 bytes as a UUID (`record-idempotency-key`,
/// `payload-idempotency-key`).
fn idempotency_key(parts: &[&[u8]]) -> Uuid {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    for part in parts {
        context.update(part);
    }
    let digest = context.finish();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.as_ref()[..16]);
    Uuid::from_bytes(bytes)
}

/// The payload's idempotency key of an event.
pub(crate) fn payload_key(webhook_id: &Uuid, isn: &str) -> Uuid {
    idempotency_key(&[webhook_id.as_bytes(), isn.as_bytes()])
}

/// `uuids->labels`: an entity's blob values by label, `id` included.
fn labels(attrs: &Attrs, etype: &str, id: &Uuid, entity: &Entity) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    for (attr_id, value) in &entity.values {
        if let Some(attr) = attrs
            .get(attr_id)
            .filter(|attr| !attr.is_ref() && attr.forward.etype == etype)
        {
            out.insert(attr.forward.label.clone(), value.clone());
        }
    }
    out
}

/// `add-file-urls`: `$files` records carry their download URL.
fn with_url(base_url: &str, app_id: &Uuid, mut object: Map<String, Value>) -> Value {
    if let Some(location) = object.get("location-id").and_then(Value::as_str) {
        let url = crate::storage::download_url(base_url, app_id, location);
        object.insert("url".into(), json!(url));
    }
    Value::Object(object)
}

/// One changed entity as a payload record, before the webhook filters: `None` when nothing a
/// webhook reports changed (a link-only update, a change rolled back).
fn record(
    app: &App,
    base_url: &str,
    etype: &str,
    id: &Uuid,
    before: Option<&Entity>,
) -> Option<(String, Value)> {
    let attrs = &app.meta.attrs;
    let after = app.data.entity(etype, id);
    let (action, before, after) = match (before, after) {
        (None, Some(after)) => ("create", None, Some(labels(attrs, etype, id, after))),
        (Some(before), Some(after)) => {
            let (before, after) = (
                labels(attrs, etype, id, before),
                labels(attrs, etype, id, after),
            );
            if before == after {
                return None;
            }
            ("update", Some(before), Some(after))
        }
        (Some(before), None) => ("delete", Some(labels(attrs, etype, id, before)), None),
        (None, None) => return None,
    };
    let wrap = |object: Option<Map<String, Value>>| match object {
        None => Value::Null,
        Some(object) if etype == "$files" => with_url(base_url, &app.meta.id, object),
        Some(object) => Value::Object(object),
    };
    Some((
        action.to_owned(),
        json!({
            "namespace": etype,
            "action": action,
            "id": id,
            "before": wrap(before),
            "after": wrap(after),
        }),
    ))
}

/// Turns the entity changes of the write that just ran into webhook events; returns what to
/// deliver. Called by `Shared::write` with the lock held.
pub(crate) fn collect(state: &mut State, base_url: &str) -> Vec<Delivery> {
    let mut pending: Vec<(Uuid, Vec<(String, Value)>)> = Vec::new();
    for (app_id, app) in state.apps.iter_mut() {
        let changes = app.data.take_changes();
        if changes.is_empty() || !app.is_live() || !app.meta.webhooks.iter().any(|w| w.enabled) {
            continue;
        }
        let mut records = Vec::new();
        for ((etype, id), before) in &changes {
            if let Some(found) = record(app, base_url, etype, id, before.as_ref()) {
                records.push(found);
            }
        }
        // Upstream lists creations and updates, then deletions.
        records.sort_by_key(|(action, _)| action == "delete");
        if !records.is_empty() {
            pending.push((*app_id, records));
        }
    }
    let mut deliveries = Vec::new();
    for (app_id, records) in pending {
        let isn = store::isn(state.next_tx_id());
        let now = clock::now_ms();
        let Some(app) = state.app_mut(&app_id) else {
            continue;
        };
        for webhook in app.meta.webhooks.iter_mut().filter(|w| w.enabled) {
            let data: Vec<Value> = records
                .iter()
                .filter(|(action, record)| {
                    webhook.actions.contains(action)
                        && record["namespace"]
                            .as_str()
                            .is_some_and(|ns| webhook.namespaces.iter().any(|n| n == ns))
                })
                .map(|(action, record)| {
                    let mut record = record.clone();
                    let id = record["id"]
                        .as_str()
                        .and_then(|id| Uuid::parse_str(id).ok())
                        .unwrap_or_default();
                    let namespace = record["namespace"].as_str().unwrap_or_default().to_owned();
                    record["idempotencyKey"] = json!(idempotency_key(&[
                        namespace.as_bytes(),
                        action.as_bytes(),
                        id.as_bytes(),
                        isn.as_bytes(),
                    ]));
                    record
                })
                .collect();
            if data.is_empty() {
                continue;
            }
            webhook.events.push(WebhookEvent {
                isn: isn.clone(),
                status: "pending".into(),
                attempts: Vec::new(),
                next_attempt_after: None,
                created_at: now,
                updated_at: now,
                records: data,
            });
            if webhook.events.len() > MAX_EVENTS_PER_WEBHOOK {
                let excess = webhook.events.len() - MAX_EVENTS_PER_WEBHOOK;
                webhook.events.drain(..excess);
            }
            deliveries.push(Delivery {
                app_id,
                webhook_id: webhook.id,
                isn: isn.clone(),
            });
        }
    }
    deliveries
}

/// `webhook-payload-jwt`: an EdDSA JWT the receiver fetches the payload with (1 hour).
pub(crate) fn payload_token(
    key: &SigningKey,
    issuer: &str,
    app_id: &Uuid,
    webhook_id: &Uuid,
    isn: &str,
) -> String {
    let header = json!({ "kid": key.kid, "typ": "JWT", "alg": "EdDSA" });
    let claims = json!({
        "iss": issuer,
        "sub": app_id,
        "exp": clock::now_ms() / 1000 + PAYLOAD_TOKEN_TTL_S,
        "app-id": app_id,
        "webhook-id": webhook_id,
        "isn": isn,
    });
    let signing_input = format!(
        "{}.{}",
        crypto::base64url(header.to_string().as_bytes()),
        crypto::base64url(claims.to_string().as_bytes())
    );
    let signature = crypto::base64url(&key.sign(signing_input.as_bytes()));
    format!("{signing_input}.{signature}")
}

fn invalid_jwt(message: &str) -> ApiError {
    ApiError::validation(
        "jwt",
        json!("<redacted token>"),
        vec![json!({ "message": message })],
    )
}

/// `verify-webhook-payload-jwt`: our signature, not expired, and claims equal to the request's.
pub(crate) fn verify_payload_token(
    key: &SigningKey,
    issuer: &str,
    token: &str,
    app_id: &Uuid,
    webhook_id: &Uuid,
    isn: &str,
) -> ApiResult<()> {
    use base64::Engine;
    let decode = |part: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part);
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid_jwt("Invalid JWT."));
    };
    let signature = decode(signature).map_err(|_| invalid_jwt("Invalid JWT."))?;
    let signing_input = format!("{header}.{claims}");
    if !key.verify(signing_input.as_bytes(), &signature) {
        return Err(invalid_jwt("Invalid JWT."));
    }
    let claims: Value = decode(claims)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| invalid_jwt("Invalid JWT."))?;
    match claims["exp"].as_i64() {
        None => return Err(invalid_jwt("JWT missing required claims: [exp]")),
        Some(exp) if exp <= clock::now_ms() / 1000 => return Err(invalid_jwt("Expired JWT")),
        Some(_) => {}
    }
    let expected = [
        ("iss", issuer.to_owned()),
        ("sub", app_id.to_string()),
        ("app-id", app_id.to_string()),
        ("webhook-id", webhook_id.to_string()),
        ("isn", isn.to_owned()),
    ];
    for (claim, value) in expected {
        if claims[claim].as_str() != Some(value.as_str()) {
            return Err(invalid_jwt(&format!(
                "JWT {claim} claim has value {}, must be {value}",
                claims[claim]
            )));
        }
    }
    Ok(())
}

/// Receives deliveries until the emulator stops; each runs in its own task.
pub(crate) async fn run(
    shared: Arc<Shared>,
    mut queue: mpsc::UnboundedReceiver<Delivery>,
    mut closing: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            next = queue.recv() => {
                let Some(delivery) = next else { break };
                tokio::spawn(deliver(Arc::clone(&shared), delivery));
            }
            _ = closing.changed() => break,
        }
    }
}

/// What to send, read under the lock: the URL, whether the webhook is enabled, and the number
/// of attempts so far. `None` when the event is gone or not waiting for a delivery.
fn claim(shared: &Shared, delivery: &Delivery) -> Option<(String, bool, usize)> {
    shared
        .write(|state| {
            let found = state.app_mut(&delivery.app_id).and_then(|app| {
                let webhook = app
                    .meta
                    .webhooks
                    .iter_mut()
                    .find(|w| w.id == delivery.webhook_id)?;
                let (url, enabled) = (webhook.url.clone(), webhook.enabled);
                let event = webhook
                    .events
                    .iter_mut()
                    .find(|event| event.isn == delivery.isn)?;
                if event.status != "pending" && event.status != "error" {
                    return None;
                }
                event.status = "processing".into();
                event.next_attempt_after = None;
                event.updated_at = clock::now_ms();
                Some((url, enabled, event.attempts.len()))
            });
            Ok(found)
        })
        .ok()
        .flatten()
}

async fn deliver(shared: Arc<Shared>, delivery: Delivery) {
    let Some((url, enabled, attempts_before)) = claim(&shared, &delivery) else {
        return;
    };
    let started = clock::now_ms();
    let attempt = if enabled {
        let body = json!({
            "payloadUrl": format!(
                "{}/webhooks/payload/{}/{}/{}",
                shared.base_url, delivery.app_id, delivery.webhook_id, delivery.isn
            ),
            "token": payload_token(
                &shared.webhook_key,
                &shared.base_url,
                &delivery.app_id,
                &delivery.webhook_id,
                &delivery.isn,
            ),
        })
        .to_string();
        let t = (clock::now_ms() / 1000).to_string();
        let signature = crypto::hex(&shared.webhook_key.sign(format!("{t}.{body}").as_bytes()));
        let header = format!("t={t},kid={},v1={signature}", shared.webhook_key.kid);
        let key = payload_key(&delivery.webhook_id, &delivery.isn);
        post(&url, &header, &key.to_string(), body, started).await
    } else {
        failure(started, Instant::now(), "disabled", "Webhook is disabled.")
    };
    let retry = record_attempt(&shared, &delivery, attempt, attempts_before);
    if let Some(delay) = retry {
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let mut closing = shared.closing.clone();
            tokio::select! {
                _ = tokio::time::sleep(delay) => {
                    let _ = shared.deliveries.send(delivery);
                }
                _ = closing.changed() => {}
            }
        });
    }
}

fn failure(started: i64, clock: Instant, error_type: &str, message: &str) -> WebhookAttempt {
    WebhookAttempt {
        attempt_at: started,
        duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
        success: false,
        status_code: None,
        response_text: None,
        error_type: Some(error_type.to_owned()),
        error_message: Some(message.to_owned()),
    }
}

/// Upstream's retry schedule (Stripe's), as multiples of the first delay (1 minute upstream).
fn retry_factor(previous_attempts: usize) -> u32 {
    match previous_attempts {
        0 => 1,
        1 => 5,
        2 => 30,
        3 => 120,
        4 => 300,
        5 => 600,
        _ => 720,
    }
}

/// `record-attempt!`; returns the delay before a retry, if any.
fn record_attempt(
    shared: &Shared,
    delivery: &Delivery,
    attempt: WebhookAttempt,
    attempts_before: usize,
) -> Option<Duration> {
    let gone = attempt.status_code == Some(410);
    let status = if attempt.success {
        "success"
    } else if gone
        || attempt.error_type.as_deref() == Some("disabled")
        || attempts_before + 1 >= MAX_ATTEMPTS
    {
        "failed"
    } else {
        "error"
    };
    let delay = (status == "error")
        .then(|| shared.config.webhook_retry_delay * retry_factor(attempts_before));
    let recorded = shared.write(|state| {
        let now = clock::now_ms();
        let Some(app) = state.app_mut(&delivery.app_id) else {
            return Ok(false);
        };
        let Some(webhook) = app
            .meta
            .webhooks
            .iter_mut()
            .find(|w| w.id == delivery.webhook_id)
        else {
            return Ok(false);
        };
        if gone {
            webhook.enabled = false;
            webhook.disabled_reason = Some("Endpoint returned 410 status code.".into());
            webhook.updated_at = now;
        }
        let Some(event) = webhook
            .events
            .iter_mut()
            .find(|event| event.isn == delivery.isn)
        else {
            return Ok(false);
        };
        event.attempts.push(attempt);
        event.status = status.into();
        event.next_attempt_after = delay
            .map(|delay| now.saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX)));
        event.updated_at = now;
        Ok(true)
    });
    tracing::debug!(app_id = %delivery.app_id, webhook_id = %delivery.webhook_id, isn = %delivery.isn, status, "webhook delivery attempt");
    match recorded {
        Ok(true) => delay,
        _ => None,
    }
}

/// The loopback address to connect to for `url`, or why not.
fn loopback_target(url: &url::Url) -> Result<(String, u16), (&'static str, &'static str)> {
    let port = url.port_or_known_default().unwrap_or(80);
    let host = match url.host() {
        Some(url::Host::Ipv4(ip)) if ip.is_loopback() => ip.to_string(),
        Some(url::Host::Ipv6(ip)) if ip.is_loopback() => format!("[{ip}]"),
        Some(url::Host::Domain(domain)) if domain.eq_ignore_ascii_case("localhost") => {
            "127.0.0.1".to_owned()
        }
        _ => return Err(("connect", "Could not connect to server.")),
    };
    if url.scheme() != "http" {
        return Err(("tls", "TLS handshake failed."));
    }
    Ok((host, port))
}

/// POSTs one delivery; never fails, the outcome is the attempt.
async fn post(
    url: &str,
    signature: &str,
    idempotency_key: &str,
    body: String,
    started: i64,
) -> WebhookAttempt {
    let clock_start = Instant::now();
    let Ok(parsed) = url::Url::parse(url) else {
        return failure(started, clock_start, "unknown", "Unknown error.");
    };
    let (host, port) = match loopback_target(&parsed) {
        Ok(target) => target,
        Err((error_type, message)) => {
            tracing::warn!(%url, "the emulator delivers webhooks to loopback http URLs only");
            return failure(started, clock_start, error_type, message);
        }
    };
    let exchange = async {
        let stream = TcpStream::connect((host.trim_matches(['[', ']']), port))
            .await
            .map_err(|_| ("connect", "Could not connect to server."))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|_| ("protocol", "Invalid HTTP response."))?;
        tokio::spawn(connection);
        let target = match parsed.query() {
            Some(query) => format!("{}?{query}", parsed.path()),
            None => parsed.path().to_owned(),
        };
        let request = http::Request::post(target)
            .header(http::header::HOST, format!("{host}:{port}"))
            .header(http::header::USER_AGENT, "InstantDB Webhook Sender")
            .header("Instant-Signature", signature)
            .header("Idempotency-Key", idempotency_key)
            .header(
                http::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(Full::new(Bytes::from(body)))
            .map_err(|_| ("unknown", "Unknown error."))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|_| ("network", "Network error."))?;
        let status = response.status();
        // `peekBody(256)`: only the start of the answer is kept.
        let mut text = Vec::new();
        let mut body = response.into_body();
        while text.len() < 256 {
            match body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        text.extend_from_slice(&data);
                    }
                }
                _ => break,
            }
        }
        text.truncate(256);
        Ok::<_, (&str, &str)>((status, String::from_utf8_lossy(&text).into_owned()))
    };
    match tokio::time::timeout(DELIVERY_TIMEOUT, exchange).await {
        Ok(Ok((status, text))) => WebhookAttempt {
            attempt_at: started,
            duration_ms: u64::try_from(clock_start.elapsed().as_millis()).unwrap_or(u64::MAX),
            success: status.is_success(),
            status_code: Some(status.as_u16()),
            response_text: Some(text),
            error_type: None,
            error_message: None,
        },
        Ok(Err((error_type, message))) => failure(started, clock_start, error_type, message),
        Err(_) => failure(started, clock_start, "timeout", "Request timed out."),
    }
}

/// The attempt as the API shows it (kebab-case keys with `?`, as upstream's record).
pub(crate) fn attempt_json(attempt: &WebhookAttempt) -> Value {
    json!({
        "attempt-at": clock::iso(attempt.attempt_at),
        "duration-ms": attempt.duration_ms,
        "success?": attempt.success,
        "status-code": attempt.status_code,
        "response-text": attempt.response_text,
        "error-type": attempt.error_type,
        "error-message": attempt.error_message,
    })
}

/// `webhook-event-row->response`.
pub(crate) fn event_json(event: &WebhookEvent) -> Value {
    let attempts: Value = if event.attempts.is_empty() {
        Value::Null
    } else {
        Value::Array(event.attempts.iter().map(attempt_json).collect())
    };
    json!({
        "isn": event.isn,
        "status": event.status,
        "attempts": attempts,
        "next_attempt_after": event.next_attempt_after.map(clock::iso),
        "created_at": clock::iso(event.created_at),
        "updated_at": clock::iso(event.updated_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_tokens_verify_only_for_their_event() {
        let (key, _) = SigningKey::load_or_generate(None).unwrap();
        let (app, hook) = (Uuid::new_v4(), Uuid::new_v4());
        let token = payload_token(&key, "http://127.0.0.1:1", &app, &hook, "0/1");
        assert!(
            verify_payload_token(&key, "http://127.0.0.1:1", &token, &app, &hook, "0/1").is_ok()
        );
        let wrong_isn =
            verify_payload_token(&key, "http://127.0.0.1:1", &token, &app, &hook, "0/2");
        assert!(wrong_isn.unwrap_err().message().contains("isn claim"));
        let (other, _) = SigningKey::load_or_generate(None).unwrap();
        assert!(
            verify_payload_token(&other, "http://127.0.0.1:1", &token, &app, &hook, "0/1").is_err()
        );
        let tampered = format!("{token}x");
        assert!(
            verify_payload_token(&key, "http://127.0.0.1:1", &tampered, &app, &hook, "0/1")
                .is_err()
        );
    }

    #[test]
    fn only_loopback_http_is_reachable() {
        let target = |text: &str| loopback_target(&url::Url::parse(text).unwrap());
        assert_eq!(target("http://127.0.0.1:9/x"), Ok(("127.0.0.1".into(), 9)));
        assert_eq!(target("http://localhost:9/x"), Ok(("127.0.0.1".into(), 9)));
        assert_eq!(target("http://[::1]:9/x"), Ok(("[::1]".into(), 9)));
        assert!(target("https://hooks.example.com/x").is_err());
        assert!(target("http://10.0.0.1/x").is_err());
        assert!(target("https://127.0.0.1:9/x").is_err());
    }

    #[test]
    fn idempotency_keys_are_stable_and_distinct() {
        let hook = Uuid::new_v4();
        assert_eq!(payload_key(&hook, "0/1"), payload_key(&hook, "0/1"));
        assert_ne!(payload_key(&hook, "0/1"), payload_key(&hook, "0/2"));
    }
}
