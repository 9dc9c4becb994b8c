//! Webhook management (`/dash/apps/:app_id/webhooks…`, `dash/routes.clj`, `model/webhook.clj`),
//! events (list, get, resend), the payload endpoint (`webhook_routes.clj`) and the signing
//! keys. Events are made and delivered by `deliveries.rs`.

use std::sync::Arc;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::{self, Role, Scope};
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::platform::deliveries;
use crate::platform::routes::path_uuid;
use crate::server::{Reply, Request, Shared};
use crate::store::{App, Webhook, WebhookEvent};

/// At most this many active webhooks per app (`maximum-active-webhooks`).
const MAX_ACTIVE: usize = 100;

const ACTIONS: [&str; 3] = ["create", "update", "delete"];

fn row(webhook: &Webhook) -> Value {
    json!({
        "id": webhook.id,
        "sink": { "url": webhook.url },
        "namespaces": webhook.namespaces,
        "actions": webhook.actions,
        "status": if webhook.enabled { "active" } else { "disabled" },
        "disabled_reason": webhook.disabled_reason,
        "created_at": clock::iso(webhook.created_at),
        "updated_at": clock::iso(webhook.updated_at),
    })
}

fn invalid(input: Value, message: &str) -> ApiError {
    ApiError::validation_msg("webhook", input, message)
}

/// Whether `url` is `http` on a loopback host, the only non-https URLs the emulator accepts
/// (with [`crate::EmulatorBuilder::allow_loopback_webhooks`]).
fn is_loopback_http(url: &url::Url) -> bool {
    url.scheme() == "http"
        && match url.host() {
            Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
}

/// `assert-valid-url!`: https and not loopback (loopback http when the emulator allows it).
fn check_url(raw: &Value, allow_loopback: bool) -> ApiResult<String> {
    let text = raw
        .as_str()
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .ok_or_else(|| ApiError::param_malformed(&["body", "url"], raw.clone()))?;
    let parsed = url::Url::parse(text)
        .map_err(|_| ApiError::param_malformed(&["body", "url"], raw.clone()))?;
    if allow_loopback && is_loopback_http(&parsed) {
        return Ok(text.to_owned());
    }
    if parsed.scheme() != "https" {
        return Err(invalid(
            json!({ "url": text }),
            "The Webhook url must be https",
        ));
    }
    let local = match parsed.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost" || domain.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_private() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
        None => true,
    };
    if local {
        return Err(invalid(
            json!({ "url": text }),
            "The Webhook url must be a public url, localhost is not allowed.",
        ));
    }
    Ok(text.to_owned())
}

fn string_list(body: &Value, key: &str) -> ApiResult<Vec<String>> {
    let raw =
        Request::body_field(body, key).ok_or_else(|| ApiError::param_missing(&["body", key]))?;
    raw.as_array()
        .and_then(|items| {
            items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .ok_or_else(|| ApiError::param_malformed(&["body", key], raw.clone()))
}

fn check_namespaces(app: &App, namespaces: &[String]) -> ApiResult<()> {
    if namespaces.is_empty() {
        return Err(invalid(
            json!({ "namespaces": namespaces }),
            "Webhook must have at least one table.",
        ));
    }
    for namespace in namespaces {
        if !app
            .meta
            .attrs
            .iter()
            .any(|attr| attr.forward.etype == *namespace)
        {
            return Err(ApiError::validation_msg(
                "webhook",
                json!({ "namespaces": namespaces }),
                format!("Could not find matching table for {namespace}"),
            ));
        }
    }
    Ok(())
}

fn check_actions(actions: &[String]) -> ApiResult<()> {
    if actions.is_empty() {
        return Err(invalid(
            json!({ "actions": actions }),
            "Webhook must have at least one action.",
        ));
    }
    if let Some(bad) = actions
        .iter()
        .find(|action| !ACTIONS.contains(&action.as_str()))
    {
        return Err(ApiError::param_malformed(&["body", "actions"], json!(bad)));
    }
    Ok(())
}

fn check_unique(app: &App, candidate: &Webhook) -> ApiResult<()> {
    let same = |a: &[String], b: &[String]| {
        let (mut a, mut b) = (a.to_vec(), b.to_vec());
        a.sort();
        b.sort();
        a == b
    };
    let duplicate = app.meta.webhooks.iter().any(|other| {
        other.id != candidate.id
            && other.url == candidate.url
            && same(&other.namespaces, &candidate.namespaces)
            && same(&other.actions, &candidate.actions)
    });
    if duplicate {
        return Err(ApiError::validation_msg(
            "webhooks",
            json!({ "url": candidate.url }),
            "A webhook already exists with all of the same properties",
        ));
    }
    Ok(())
}

fn authed(
    state: &crate::store::State,
    req: &Request,
    app_id: &str,
    scope: Scope,
) -> ApiResult<Uuid> {
    let app_id = path_uuid(app_id, "app_id")?;
    auth::superadmin_app(state, req, app_id, scope, Role::Collaborator)
}

/// `GET /dash/apps/:app_id/webhooks`.
pub(crate) fn list(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let state = shared.read();
    let app_id = authed(&state, req, app_id, Scope::DataRead)?;
    let app = state.require_app(&app_id)?;
    let rows: Vec<Value> = app.meta.webhooks.iter().map(row).collect();
    Ok(Reply::Json(json!({ "webhooks": rows })))
}

/// `POST /dash/apps/:app_id/webhooks` with `{url, namespaces, actions}`.
pub(crate) fn create(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let body = req.json()?;
    shared.write(|state| {
        let app_id = authed(state, req, app_id, Scope::DataWrite)?;
        let url = check_url(
            Request::body_field(&body, "url")
                .ok_or_else(|| ApiError::param_missing(&["body", "url"]))?,
            shared.config.webhook_loopback,
        )?;
        let namespaces = string_list(&body, "namespaces")?;
        let actions = string_list(&body, "actions")?;
        let app = state.require_app_mut(&app_id)?;
        check_namespaces(app, &namespaces)?;
        check_actions(&actions)?;
        if app.meta.webhooks.iter().filter(|w| w.enabled).count() >= MAX_ACTIVE {
            return Err(ApiError::validation_msg(
                "webhooks",
                json!({ "app-id": app_id }),
                format!("An app may not have more than {MAX_ACTIVE} active webhooks."),
            ));
        }
        let now = clock::now_ms();
        let webhook = Webhook {
            id: Uuid::new_v4(),
            url,
            namespaces,
            actions,
            enabled: true,
            disabled_reason: None,
            created_at: now,
            updated_at: now,
            events: Vec::new(),
        };
        check_unique(app, &webhook)?;
        let reply = row(&webhook);
        app.meta.webhooks.push(webhook);
        Ok(Reply::Json(json!({ "webhook": reply })))
    })
}

/// Everything under `/dash/apps/:app_id/webhooks/:webhook_id`.
pub(crate) fn one(
    shared: &Arc<Shared>,
    req: &Request,
    app_id: &str,
    webhook_id: &str,
    rest: &[&str],
) -> ApiResult<Reply> {
    let webhook_id = path_uuid(webhook_id, "webhook_id")?;
    let method = req.method.as_str();
    if method == "GET" {
        let state = shared.read();
        let app_id = authed(&state, req, app_id, Scope::DataRead)?;
        let app = state.require_app(&app_id)?;
        let webhook = app
            .meta
            .webhooks
            .iter()
            .find(|w| w.id == webhook_id)
            .ok_or_else(|| webhook_not_found(&webhook_id))?;
        return match rest {
            ["events"] => events_page(webhook, req.query_param("after")),
            ["events", isn @ ..] if !isn.is_empty() => {
                let isn = path_isn(isn);
                let event = webhook
                    .events
                    .iter()
                    .find(|event| event.isn == isn)
                    .ok_or_else(|| event_not_found(&app_id, &webhook_id, &isn))?;
                Ok(Reply::Json(
                    json!({ "event": deliveries::event_json(event) }),
                ))
            }
            _ => Err(ApiError::route_not_found()),
        };
    }
    let body = req.json()?;
    shared.write(|state| {
        let app_id = authed(state, req, app_id, Scope::DataWrite)?;
        let app = state.require_app_mut(&app_id)?;
        let index = app
            .meta
            .webhooks
            .iter()
            .position(|w| w.id == webhook_id)
            .ok_or_else(|| webhook_not_found(&webhook_id))?;
        let now = clock::now_ms();
        match (method, rest) {
            ("POST", []) => {
                let mut updated = app.meta.webhooks[index].clone();
                if let Some(raw) = body.get("url") {
                    updated.url = check_url(raw, shared.config.webhook_loopback)?;
                }
                if body.get("namespaces").is_some() {
                    updated.namespaces = string_list(&body, "namespaces")?;
                    check_namespaces(app, &updated.namespaces)?;
                }
                if body.get("actions").is_some() {
                    updated.actions = string_list(&body, "actions")?;
                    check_actions(&updated.actions)?;
                }
                check_unique(app, &updated)?;
                updated.updated_at = now;
                app.meta.webhooks[index] = updated;
            }
            ("DELETE", []) => {
                let removed = app.meta.webhooks.remove(index);
                return Ok(Reply::Json(json!({ "webhook": row(&removed) })));
            }
            ("POST", ["enable"]) => {
                let webhook = &mut app.meta.webhooks[index];
                webhook.enabled = true;
                webhook.disabled_reason = None;
                webhook.updated_at = now;
            }
            ("POST", ["disable"]) => {
                let reason = body
                    .get("reason")
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|reason| !reason.is_empty())
                    .map(str::to_owned);
                let webhook = &mut app.meta.webhooks[index];
                webhook.enabled = false;
                webhook.disabled_reason = reason;
                webhook.updated_at = now;
            }
            ("POST", ["events", isn @ ..]) if !isn.is_empty() => {
                let isn = path_isn(isn);
                let webhook = &mut app.meta.webhooks[index];
                // `requeue!` skips an event a worker holds; upstream then asks to wait.
                let Some(event) = webhook
                    .events
                    .iter_mut()
                    .find(|event| event.isn == isn && event.status != "processing")
                else {
                    return Err(ApiError::validation_msg(
                        "webhook-events",
                        json!({ "app-id": app_id, "webhook-id": webhook_id, "isn": isn }),
                        "Could not resend event. Try again in one minute.",
                    ));
                };
                event.status = "pending".into();
                event.next_attempt_after = None;
                event.updated_at = now;
                let reply = deliveries::event_json(event);
                let _ = shared.deliveries.send(deliveries::Delivery {
                    app_id,
                    webhook_id,
                    isn,
                });
                return Ok(Reply::Json(json!({ "event": reply })));
            }
            _ => return Err(ApiError::route_not_found()),
        }
        Ok(Reply::Json(
            json!({ "webhook": row(&app.meta.webhooks[index]) }),
        ))
    })
}

/// Events come 100 to a page (`webhook-events-page-size`).
const EVENTS_PAGE_SIZE: usize = 100;

/// The ISN of a path: its remaining segments (`0/…` arrives as two segments, or as one with
/// `%2F`), percent-decoded.
fn path_isn(segments: &[&str]) -> String {
    let joined = segments.join("/");
    percent_encoding_decode(&joined)
}

fn percent_encoding_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("v={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

fn webhook_not_found(webhook_id: &Uuid) -> ApiError {
    ApiError::record_not_found("webhook", Some(json!({ "webhook-id": webhook_id })))
}

fn event_not_found(app_id: &Uuid, webhook_id: &Uuid, isn: &str) -> ApiError {
    ApiError::record_not_found(
        "webhook-event",
        Some(json!({ "args": [{ "app-id": app_id, "webhook-id": webhook_id, "isn": isn }] })),
    )
}

/// `encode-events-cursor`: base64url of epoch seconds (8 bytes), nanoseconds (4) and the ISN.
fn encode_cursor(created_at: i64, isn: &str) -> String {
    let mut bytes = Vec::with_capacity(12 + isn.len());
    bytes.extend_from_slice(&created_at.div_euclid(1000).to_be_bytes());
    let nanos = u32::try_from(created_at.rem_euclid(1000) * 1_000_000).unwrap_or(0);
    bytes.extend_from_slice(&nanos.to_be_bytes());
    bytes.extend_from_slice(isn.as_bytes());
    crate::crypto::base64url(&bytes)
}

/// `decode-events-cursor`; an undecodable cursor reads as none, as upstream.
fn decode_cursor(cursor: &str) -> Option<(i64, String)> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor.trim_end_matches('='))
        .ok()?;
    if bytes.len() < 12 {
        return None;
    }
    let seconds = i64::from_be_bytes(bytes[..8].try_into().ok()?);
    let nanos = u32::from_be_bytes(bytes[8..12].try_into().ok()?);
    let isn = String::from_utf8(bytes[12..].to_vec()).ok()?;
    Some((seconds * 1000 + i64::from(nanos / 1_000_000), isn))
}

/// `GET …/webhooks/:id/events?after=`: newest first, 100 a page, with cursors.
fn events_page(webhook: &Webhook, after: Option<&str>) -> ApiResult<Reply> {
    let after = after.and_then(decode_cursor);
    let mut events: Vec<&WebhookEvent> = webhook
        .events
        .iter()
        .filter(|event| match &after {
            None => true,
            Some((created_at, isn)) => {
                (event.created_at, event.isn.as_str()) < (*created_at, isn.as_str())
            }
        })
        .collect();
    events.sort_by(|a, b| (b.created_at, &b.isn).cmp(&(a.created_at, &a.isn)));
    let has_next_page = events.len() > EVENTS_PAGE_SIZE;
    events.truncate(EVENTS_PAGE_SIZE);
    let cursor = |event: Option<&&WebhookEvent>| {
        event.map(|event| encode_cursor(event.created_at, &event.isn))
    };
    Ok(Reply::Json(json!({
        "events": events.iter().map(|event| deliveries::event_json(event)).collect::<Vec<_>>(),
        "pageInfo": {
            "startCursor": cursor(events.first()),
            "endCursor": cursor(events.last()),
            "hasNextPage": has_next_page,
        },
    })))
}

/// `GET /.well-known/webhooks/jwks.json`: the key deliveries are signed with.
pub(crate) fn jwks(shared: &Arc<Shared>) -> ApiResult<Reply> {
    Ok(Reply::Json(shared.webhook_key.jwks()))
}

/// `GET /webhooks/payload/:app_id/:webhook_id/<isn>`: an event's records, for the delivery's
/// token (a JWT) or any token that may read the app's data.
pub(crate) fn payload(
    shared: &Arc<Shared>,
    req: &Request,
    app_id: &str,
    webhook_id: &str,
    isn: &[&str],
) -> ApiResult<Reply> {
    let webhook_id = path_uuid(webhook_id, "webhook_id")?;
    if isn.is_empty() {
        return Err(ApiError::param_missing(&["params", "*"]));
    }
    let isn = path_isn(isn);
    let path_app = path_uuid(app_id, "app_id")?;
    let state = shared.read();
    let bearer = req
        .header("authorization")
        .map(|header| header.rsplit("Bearer ").next().unwrap_or(header).trim());
    let app_id = match bearer {
        Some(token) if token.starts_with("eyJ") => {
            deliveries::verify_payload_token(
                &shared.webhook_key,
                &shared.base_url,
                token,
                &path_app,
                &webhook_id,
                &isn,
            )?;
            path_app
        }
        _ => authed(&state, req, app_id, Scope::DataRead)?,
    };
    let app = state.require_app(&app_id)?;
    let webhook = app
        .meta
        .webhooks
        .iter()
        .find(|w| w.id == webhook_id)
        .ok_or_else(|| webhook_not_found(&webhook_id))?;
    // Upstream answers `data: null` for an ISN it has no history for.
    let data = webhook
        .events
        .iter()
        .find(|event| event.isn == isn)
        .map_or(Value::Null, |event| Value::Array(event.records.clone()));
    Ok(Reply::Json(json!({
        "data": data,
        "idempotencyKey": deliveries::payload_key(&webhook_id, &isn),
    })))
}
