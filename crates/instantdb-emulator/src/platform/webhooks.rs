//! Webhook management (`/dash/apps/:app_id/webhooks…`, `dash/routes.clj`, `model/webhook.clj`).
//!
//! Registrations are stored, validated and listed as upstream does, but the emulator never
//! delivers anything: it makes no outbound connections, so every webhook's event list is
//! empty and single events are `record-not-found`.

use std::sync::Arc;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::{self, Role, Scope};
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::server::{Reply, Request, Shared};
use crate::store::{App, Webhook};

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

/// `assert-valid-url!`: https and not loopback.
fn check_url(raw: &Value) -> ApiResult<String> {
    let text = raw
        .as_str()
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .ok_or_else(|| ApiError::param_malformed(&["body", "url"], raw.clone()))?;
    let parsed = url::Url::parse(text)
        .map_err(|_| ApiError::param_malformed(&["body", "url"], raw.clone()))?;
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
    let app_id = Uuid::parse_str(app_id)
        .map_err(|_| ApiError::param_malformed(&["params", "app_id"], json!(app_id)))?;
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
    let webhook_id = Uuid::parse_str(webhook_id)
        .map_err(|_| ApiError::param_malformed(&["params", "webhook_id"], json!(webhook_id)))?;
    let method = req.method.as_str();
    if method == "GET" {
        // Events: the emulator never delivers, so there are none.
        let state = shared.read();
        let app_id = authed(&state, req, app_id, Scope::DataRead)?;
        let app = state.require_app(&app_id)?;
        if !app.meta.webhooks.iter().any(|w| w.id == webhook_id) {
            return Err(ApiError::record_not_found(
                "webhook",
                Some(json!({ "webhook-id": webhook_id })),
            ));
        }
        return match rest {
            ["events"] => Ok(Reply::Json(json!({
                "events": [],
                "pageInfo": { "startCursor": null, "endCursor": null, "hasNextPage": false },
            }))),
            ["events", _isn] => Err(ApiError::record_not_found("webhook-event", None)),
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
            .ok_or_else(|| {
                ApiError::record_not_found("webhook", Some(json!({ "webhook-id": webhook_id })))
            })?;
        let now = clock::now_ms();
        match (method, rest) {
            ("POST", []) => {
                let mut updated = app.meta.webhooks[index].clone();
                if let Some(raw) = body.get("url") {
                    updated.url = check_url(raw)?;
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
            ("POST", ["events", _isn]) => {
                return Err(ApiError::record_not_found("webhook-event", None));
            }
            _ => return Err(ApiError::route_not_found()),
        }
        Ok(Reply::Json(
            json!({ "webhook": row(&app.meta.webhooks[index]) }),
        ))
    })
}
