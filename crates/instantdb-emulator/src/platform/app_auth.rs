//! An app's sign-in configuration, the `/dash/apps/:app_id/auth` family of
//! `server/src/instant/dash/routes.clj` (`dash-apps-auth-get`, lines 720–855): authorized
//! redirect origins, OAuth service providers and OAuth clients, as `instant-cli auth origin` and
//! `instant-cli auth client` manage them.
//!
//! Upstream keeps origins in a table and providers and clients as `$oauthProviders` /
//! `$oauthClients` system entities; the emulator keeps all three in the app's metadata, which is
//! what the routes observe. The emulator never signs anyone in with them, so client secrets are
//! stored only as a SHA-256 hash, and a `discovery_endpoint` is not fetched (upstream checks
//! that it answers with an `issuer`; the emulator makes no outbound requests).

use std::sync::Arc;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::auth::{self, Role, Scope};
use crate::clock;
use crate::crypto;
use crate::error::{ApiError, ApiResult};
use crate::platform::routes::path_uuid;
use crate::server::{Reply, Request, Shared};
use crate::store::{AppOAuthClient, OAuthProvider, RedirectOrigin, State};

/// The IANA URI schemes an app may not claim as a custom scheme (upstream's
/// `server/resources/uri-schemes.edn`, one per line).
const RESERVED_SCHEMES: &str = include_str!("uri_schemes.txt");

fn is_reserved_scheme(scheme: &str) -> bool {
    RESERVED_SCHEMES.lines().any(|line| line == scheme)
}

/// `app-authorized-redirect-origin-model/validation-error`, message for message.
fn origin_error(service: &str, params: &[Value]) -> Option<String> {
    let all_strings = params.iter().all(Value::is_string);
    let (count, count_msg, type_msg) = match service {
        "netlify" => (
            1,
            "Netlify should have only the site name param.",
            "Netlify site-name should be a string.",
        ),
        "vercel" => (
            2,
            "Vercel should have deployment suffix and project name params.",
            "Vercel deployment suffix and project name should both be strings.",
        ),
        "generic" => (
            1,
            "Host should be the only parameter.",
            "Host should be a string.",
        ),
        "custom-scheme" => (
            1,
            "Custom scheme should have only one parameter.",
            "Custom scheme should be a string.",
        ),
        other => return Some(format!("Unrecognized service {other}")),
    };
    if params.len() != count {
        return Some(count_msg.to_owned());
    }
    if !all_strings {
        return Some(type_msg.to_owned());
    }
    if service == "custom-scheme"
        && let Some(scheme) = params[0].as_str()
        && is_reserved_scheme(scheme)
    {
        return Some(format!("The scheme `{scheme}` is not allowed."));
    }
    None
}

fn origin_json(origin: &RedirectOrigin) -> Value {
    json!({
        "id": origin.id,
        "service": origin.service,
        "params": origin.params,
        "created_at": clock::iso(origin.created_at),
    })
}

fn provider_json(provider: &OAuthProvider) -> Value {
    json!({
        "id": provider.id,
        "provider_name": provider.name,
        "created_at": clock::iso(provider.created_at),
    })
}

/// The client as `get-dash-auth-data` lists it; the write routes `select-keys` fewer fields.
fn client_json(client: &AppOAuthClient) -> Map<String, Value> {
    let mut row = Map::new();
    row.insert("id".into(), json!(client.id));
    row.insert("client_name".into(), json!(client.name));
    row.insert("client_id".into(), json!(client.client_id));
    row.insert("provider_id".into(), json!(client.provider_id));
    row.insert("meta".into(), client.meta.clone().unwrap_or(Value::Null));
    row.insert(
        "discovery_endpoint".into(),
        json!(client.discovery_endpoint),
    );
    row.insert("created_at".into(), json!(clock::iso(client.created_at)));
    row.insert("redirect_to".into(), json!(client.redirect_to));
    row.insert(
        "use_shared_credentials".into(),
        json!(client.use_shared_credentials),
    );
    row
}

fn select(row: Map<String, Value>, keys: &[&str]) -> Value {
    Value::Object(
        row.into_iter()
            .filter(|(key, _)| keys.contains(&key.as_str()))
            .collect(),
    )
}

/// `req->app-accepting-superadmin-or-ref-token!` with `:collaborator`.
fn authed(state: &State, req: &Request, app_id: &str, scope: Scope) -> ApiResult<Uuid> {
    let app_id = path_uuid(app_id, "app_id")?;
    auth::superadmin_app(state, req, app_id, scope, Role::Collaborator)
}

/// `string-util/coerce-non-blank-str` on an optional body field: blank is absent.
fn non_blank(body: &Value, key: &str) -> Option<String> {
    Request::body_field(body, key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

fn required_non_blank(body: &Value, key: &str) -> ApiResult<String> {
    let raw =
        Request::body_field(body, key).ok_or_else(|| ApiError::param_missing(&["body", key]))?;
    non_blank(body, key).ok_or_else(|| ApiError::param_malformed(&["body", key], raw.clone()))
}

fn body_uuid(body: &Value, key: &str) -> ApiResult<Uuid> {
    let raw =
        Request::body_field(body, key).ok_or_else(|| ApiError::param_missing(&["body", key]))?;
    raw.as_str()
        .and_then(|text| Uuid::parse_str(text.trim()).ok())
        .ok_or_else(|| ApiError::param_malformed(&["body", key], raw.clone()))
}

/// `url-util/redirect-url-validation-errors` with `:allow-localhost? true`; the errors are
/// bare strings in `hint.errors`, as upstream passes them to `assert-valid!`.
fn check_redirect_to(redirect_to: &str) -> ApiResult<()> {
    let errors = crate::platform::oauth::redirect_uri_errors(redirect_to, true);
    if errors.is_empty() {
        return Ok(());
    }
    Err(ApiError::validation(
        "redirect_to",
        json!(redirect_to),
        errors.into_iter().map(|e| json!(e)).collect(),
    ))
}

/// `GET /dash/apps/:app_id/auth` → `{oauth_service_providers, oauth_clients,
/// authorized_redirect_origins, default_sender_email}`. As upstream's `json_agg`, no origins is
/// `null`, newest first otherwise.
pub(crate) fn get(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let state = shared.read();
    let app_id = authed(&state, req, app_id, Scope::AppsRead)?;
    let app = state.require_app(&app_id)?;
    let origins: Vec<Value> = app
        .meta
        .redirect_origins
        .iter()
        .rev()
        .map(origin_json)
        .collect();
    Ok(Reply::Json(json!({
        "oauth_service_providers": app.meta.oauth_providers.iter().map(provider_json).collect::<Vec<_>>(),
        "oauth_clients": app.meta.oauth_clients.iter().map(|c| Value::Object(client_json(c))).collect::<Vec<_>>(),
        "authorized_redirect_origins": if origins.is_empty() { Value::Null } else { json!(origins) },
        // Upstream's `config/app-email-sender`; the emulator sends no email.
        "default_sender_email": Value::Null,
    })))
}

/// `POST /dash/apps/:app_id/authorized_redirect_origins {service, params}` → `{origin}`.
pub(crate) fn add_origin(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let body = req.json()?;
    shared.write(|state| {
        let app_id = authed(state, req, app_id, Scope::AppsWrite)?;
        let service = required_non_blank(&body, "service")?;
        let raw = Request::body_field(&body, "params")
            .ok_or_else(|| ApiError::param_missing(&["body", "params"]))?;
        // `#(when (coll? %) %)`: a map would pass too, and then fail the count or type check.
        let params: Vec<Value> = match raw {
            Value::Array(items) => items.clone(),
            Value::Object(map) => map.values().cloned().collect(),
            _ => return Err(ApiError::param_malformed(&["body", "params"], raw.clone())),
        };
        if let Some(message) = origin_error(&service, &params) {
            return Err(ApiError::validation(
                "origin-request",
                json!({ "app-id": app_id, "service": service, "params": raw }),
                vec![json!(message)],
            ));
        }
        let origin = RedirectOrigin {
            id: Uuid::new_v4(),
            service,
            params: params
                .iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect(),
            created_at: clock::now_ms(),
        };
        let reply = origin_json(&origin);
        state
            .require_app_mut(&app_id)?
            .meta
            .redirect_origins
            .push(origin);
        Ok(Reply::Json(json!({ "origin": reply })))
    })
}

/// `DELETE /dash/apps/:app_id/authorized_redirect_origins/:id` → `{origin}`.
pub(crate) fn delete_origin(
    shared: &Arc<Shared>,
    req: &Request,
    app_id: &str,
    id: &str,
) -> ApiResult<Reply> {
    shared.write(|state| {
        let app_id = authed(state, req, app_id, Scope::AppsWrite)?;
        let id = path_uuid(id, "id")?;
        let app = state.require_app_mut(&app_id)?;
        let Some(index) = app.meta.redirect_origins.iter().position(|o| o.id == id) else {
            return Err(ApiError::record_not_found(
                "app-authorized-redirect-origin",
                Some(json!({ "args": [{ "id": id, "app-id": app_id }] })),
            ));
        };
        let origin = app.meta.redirect_origins.remove(index);
        Ok(Reply::Json(json!({ "origin": origin_json(&origin) })))
    })
}

/// `POST /dash/apps/:app_id/oauth_service_providers {provider_name}` → `{provider}`. The name
/// is unique per app (`$oauthProviders.name` is a unique attribute).
pub(crate) fn add_provider(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let body = req.json()?;
    shared.write(|state| {
        let app_id = authed(state, req, app_id, Scope::AppsWrite)?;
        let name = required_non_blank(&body, "provider_name")?;
        let app = state.require_app_mut(&app_id)?;
        if app.meta.oauth_providers.iter().any(|p| p.name == name) {
            return Err(ApiError::record_not_unique(
                format!(
                    "`name` is a unique attribute on `$oauthProviders` and an entity already exists with `$oauthProviders.name` = {}",
                    json!(name)
                ),
                json!({ "record-type": "triple", "etype": "$oauthProviders", "label": "name", "value": name }),
            ));
        }
        let provider = OAuthProvider {
            id: Uuid::new_v4(),
            name,
            created_at: clock::now_ms(),
        };
        let reply = provider_json(&provider);
        app.meta.oauth_providers.push(provider);
        Ok(Reply::Json(json!({ "provider": reply })))
    })
}

const CLIENT_KEYS: [&str; 8] = [
    "id",
    "provider_id",
    "client_name",
    "client_id",
    "created_at",
    "meta",
    "discovery_endpoint",
    "use_shared_credentials",
];

/// `POST /dash/apps/:app_id/oauth_clients` → `{client}` (`oauth-clients-post`): the provider
/// must exist, and every provider but GitHub needs a `discovery_endpoint`.
pub(crate) fn add_client(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let body = req.json()?;
    shared.write(|state| {
        let app_id = authed(state, req, app_id, Scope::AppsWrite)?;
        let provider_id = body_uuid(&body, "provider_id")?;
        let name = required_non_blank(&body, "client_name")?;
        let client_id = non_blank(&body, "client_id");
        let secret = non_blank(&body, "client_secret");
        let meta = Request::body_field(&body, "meta").filter(|m| m.is_object()).cloned();
        let use_shared = body
            .get("use_shared_credentials")
            .is_some_and(|v| !v.is_null() && v != &Value::Bool(false));
        let redirect_to = non_blank(&body, "redirect_to");
        if let Some(redirect_to) = &redirect_to {
            check_redirect_to(redirect_to)?;
        }
        let app = state.require_app_mut(&app_id)?;
        let Some(provider) = app.meta.oauth_providers.iter().find(|p| p.id == provider_id) else {
            return Err(ApiError::record_not_found(
                "oauth-service-provider",
                Some(json!({ "provider-id": provider_id })),
            ));
        };
        let discovery_endpoint = if provider.name == "github" {
            None
        } else {
            Some(required_non_blank(&body, "discovery_endpoint")?)
        };
        if app.meta.oauth_clients.iter().any(|c| c.name == name) {
            return Err(ApiError::record_not_unique(
                format!(
                    "`name` is a unique attribute on `$oauthClients` and an entity already exists with `$oauthClients.name` = {}",
                    json!(name)
                ),
                json!({ "record-type": "triple", "etype": "$oauthClients", "label": "name", "value": name }),
            ));
        }
        let client = AppOAuthClient {
            id: Uuid::new_v4(),
            provider_id,
            name,
            client_id,
            secret_hash: secret.map(|s| crypto::sha256_hex(s.as_bytes())),
            discovery_endpoint,
            meta,
            redirect_to,
            use_shared_credentials: use_shared,
            created_at: clock::now_ms(),
        };
        let reply = select(client_json(&client), &CLIENT_KEYS);
        app.meta.oauth_clients.push(client);
        Ok(Reply::Json(json!({ "client": reply })))
    })
}

/// `POST /dash/apps/:app_id/oauth_clients/:id` → `{client}` (`update-oauth-client`): only the
/// keys present in the body change (a `null` clears), `meta` is deep-merged.
pub(crate) fn update_client(
    shared: &Arc<Shared>,
    req: &Request,
    app_id: &str,
    id: &str,
) -> ApiResult<Reply> {
    let body = req.json()?;
    shared.write(|state| {
        let app_id = authed(state, req, app_id, Scope::AppsWrite)?;
        let id = path_uuid(id, "id")?;
        let redirect_to = non_blank(&body, "redirect_to");
        if let Some(redirect_to) = &redirect_to {
            check_redirect_to(redirect_to)?;
        }
        let app = state.require_app_mut(&app_id)?;
        let Some(client) = app.meta.oauth_clients.iter_mut().find(|c| c.id == id) else {
            return Err(ApiError::record_not_found(
                "app-oauth-client",
                Some(json!({ "app-id": app_id, "id": id })),
            ));
        };
        let has = |key: &str| body.get(key).is_some();
        if has("meta") {
            let patch = Request::body_field(&body, "meta").filter(|m| m.is_object());
            client.meta = match (client.meta.take(), patch) {
                (Some(mut current), Some(patch)) => {
                    deep_merge(&mut current, patch);
                    Some(current)
                }
                (_, patch) => patch.cloned(),
            };
        }
        if has("redirect_to") {
            client.redirect_to = redirect_to;
        }
        if has("client_id") {
            client.client_id = non_blank(&body, "client_id");
        }
        if has("client_secret") {
            client.secret_hash =
                non_blank(&body, "client_secret").map(|s| crypto::sha256_hex(s.as_bytes()));
        }
        if has("discovery_endpoint") {
            client.discovery_endpoint = non_blank(&body, "discovery_endpoint");
        }
        if has("use_shared_credentials") {
            client.use_shared_credentials = body
                .get("use_shared_credentials")
                .is_some_and(|v| !v.is_null() && v != &Value::Bool(false));
        }
        let mut keys = CLIENT_KEYS.to_vec();
        keys.push("redirect_to");
        Ok(Reply::Json(
            json!({ "client": select(client_json(client), &keys) }),
        ))
    })
}

/// `DELETE /dash/apps/:app_id/oauth_clients/:id` → `{client}`.
pub(crate) fn delete_client(
    shared: &Arc<Shared>,
    req: &Request,
    app_id: &str,
    id: &str,
) -> ApiResult<Reply> {
    shared.write(|state| {
        let app_id = authed(state, req, app_id, Scope::AppsWrite)?;
        let id = path_uuid(id, "id")?;
        let app = state.require_app_mut(&app_id)?;
        let Some(index) = app.meta.oauth_clients.iter().position(|c| c.id == id) else {
            return Err(ApiError::record_not_found(
                "app-oauth-client",
                Some(json!({ "args": [{ "id": id, "app-id": app_id }] })),
            ));
        };
        let client = app.meta.oauth_clients.remove(index);
        Ok(Reply::Json(json!({
            "client": select(client_json(&client), &["id", "provider_id", "client_name", "client_id", "created_at"]),
        })))
    })
}

/// `:deep-merge-triple`: objects merge key by key, anything else replaces; `null` removes.
fn deep_merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    deep_merge(target.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Messages of `app_authorized_redirect_origin.clj` `validation-error`.
    #[test]
    fn origin_validation_follows_upstream() {
        assert_eq!(origin_error("generic", &[json!("example.com")]), None);
        assert_eq!(
            origin_error("generic", &[]).as_deref(),
            Some("Host should be the only parameter.")
        );
        assert_eq!(
            origin_error("generic", &[json!(1)]).as_deref(),
            Some("Host should be a string.")
        );
        assert_eq!(
            origin_error("vercel", &[json!("vercel.app")]).as_deref(),
            Some("Vercel should have deployment suffix and project name params.")
        );
        assert_eq!(
            origin_error("custom-scheme", &[json!("https")]).as_deref(),
            Some("The scheme `https` is not allowed.")
        );
        assert_eq!(origin_error("custom-scheme", &[json!("myapp")]), None);
        assert_eq!(
            origin_error("ftp-site", &[]).as_deref(),
            Some("Unrecognized service ftp-site")
        );
    }

    #[test]
    fn deep_merge_merges_objects_and_removes_nulls() {
        let mut target = json!({"a": {"b": 1, "c": 2}, "d": 3});
        deep_merge(&mut target, &json!({"a": {"b": 5, "c": null}, "e": [1]}));
        assert_eq!(target, json!({"a": {"b": 5}, "d": 3, "e": [1]}));
    }
}
