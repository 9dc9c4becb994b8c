//! App users (`$users` entities), their refresh tokens and magic codes, and presence.
//!
//! Routes: `/admin/refresh_tokens`, `/admin/sign_out`, `/admin/magic_code`,
//! `/admin/send_magic_code`, `/admin/verify_magic_code`, `/admin/sign_in_guest`,
//! `GET|DELETE /admin/users`, `/runtime/auth/verify_refresh_token`, `/admin/rooms/presence`.
//! They always authenticate with the admin token (helper A) and ignore impersonation.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::auth::{self, Scope};
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::server::{Reply, Request, SentMagicCode, Shared};
use crate::store::data::{Entity, Journal};
use crate::store::{App, MagicCode, State};

/// How long a magic code stays valid.
const MAGIC_CODE_TTL_MS: i64 = 10 * 60 * 1000;

/// The user object the server returns (`triples->db-format`): `app_id`, `id`, `created_at`,
/// then the user's attributes, then the computed `isGuest`.
pub(crate) fn user_json(app: &App, id: &Uuid) -> Option<Value> {
    let entity = app.data.entity("$users", id)?;
    let mut out = Map::new();
    out.insert("app_id".into(), json!(app.meta.id));
    out.insert("id".into(), json!(id));
    out.insert("created_at".into(), json!(clock::iso(entity.created_at)));
    let mut user_type = None;
    for attr in app.meta.attrs.blobs_of("$users") {
        if attr.forward.label == "id" {
            continue;
        }
        if let Some(value) = entity.values.get(&attr.id) {
            if attr.forward.label == "type" {
                user_type = value.as_str().map(str::to_owned);
            }
            out.insert(attr.forward.label.clone(), value.clone());
        }
    }
    if let Some(primary) = app
        .meta
        .attrs
        .by_fwd("$users", "linkedPrimaryUser")
        .and_then(|attr| entity.refs.get(&attr.id))
        .and_then(|links| links.first())
    {
        out.insert("linkedPrimaryUser".into(), json!(primary));
    }
    out.insert(
        "isGuest".into(),
        json!(user_type.as_deref() == Some("guest")),
    );
    Some(Value::Object(out))
}

fn with_refresh_token(mut user: Value, token: Uuid) -> Value {
    if let Some(map) = user.as_object_mut() {
        map.insert("refresh_token".into(), json!(token));
    }
    user
}

/// The id of the `$users` entity with `email` (case-insensitive, as emails are stored lowered).
pub(crate) fn find_by_email(app: &App, email: &str) -> Option<Uuid> {
    let email = email.trim().to_lowercase();
    let attr = app.meta.attrs.by_fwd("$users", "email")?;
    app.data
        .with_value(attr.id, &json!(email))?
        .iter()
        .find(|id| app.data.contains("$users", id))
        .copied()
}

/// `email/coerce`: trimmed, lower-cased, shaped like an address.
fn coerce_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let valid = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace);
    valid.then_some(email)
}

fn email_param(body: &Value, path: &[&str]) -> ApiResult<String> {
    let raw = Request::body_field(body, path[1]).ok_or_else(|| ApiError::param_missing(path))?;
    raw.as_str()
        .and_then(coerce_email)
        .ok_or_else(|| ApiError::param_malformed(path, raw.clone()))
}

fn uuid_param(raw: &Value, path: &[&str]) -> ApiResult<Uuid> {
    raw.as_str()
        .and_then(|text| Uuid::parse_str(text.trim()).ok())
        .ok_or_else(|| ApiError::param_malformed(path, raw.clone()))
}

/// Checks `extra-fields` against the app's `$users` attributes (`validate-extra-fields!`).
fn validate_extra_fields(app: &App, extra: Option<&Value>) -> ApiResult<Map<String, Value>> {
    let Some(extra) = extra.filter(|v| !v.is_null()) else {
        return Ok(Map::new());
    };
    let Some(fields) = extra.as_object() else {
        return Err(ApiError::validation_msg(
            "extra-fields",
            extra.clone(),
            "extra-fields must be an object",
        ));
    };
    for key in fields.keys() {
        match app.meta.attrs.by_fwd("$users", key) {
            None => {
                return Err(ApiError::validation_msg(
                    "extra-fields",
                    extra.clone(),
                    format!("Unknown field: {key}. It must be defined in your $users schema."),
                ));
            }
            Some(attr) if attr.system => {
                return Err(ApiError::validation_msg(
                    "extra-fields",
                    extra.clone(),
                    format!("Cannot set system field: {key}"),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(fields.clone())
}

/// Creates a `$users` entity.
fn create_user(
    app: &mut App,
    id: Uuid,
    email: Option<&str>,
    user_type: Option<&str>,
    extra: &Map<String, Value>,
) -> Uuid {
    let mut entity = Entity {
        created_at: clock::now_ms(),
        ..Entity::default()
    };
    let mut set = |label: &str, value: Value| {
        if let Some(attr) = app.meta.attrs.by_fwd("$users", label) {
            entity.values.insert(attr.id, value);
        }
    };
    if let Some(email) = email {
        set("email", json!(email));
    }
    if let Some(user_type) = user_type {
        set("type", json!(user_type));
    }
    for (key, value) in extra {
        set(key, value.clone());
    }
    let mut journal = Journal::default();
    app.data
        .put_entity("$users", id, Some(entity), &mut journal);
    id
}

fn new_refresh_token(app: &mut App, user: Uuid) -> Uuid {
    let token = Uuid::new_v4();
    app.meta.refresh_tokens.insert(token, user);
    token
}

fn authed_app<'s>(state: &'s mut State, req: &Request, scope: Scope) -> ApiResult<&'s mut App> {
    let app_id = auth::app_id_authed(state, req, scope)?;
    state.require_app_mut(&app_id)
}

/// `POST /admin/refresh_tokens`: a token for the user with `email` or `id`, created if needed.
pub(crate) fn refresh_tokens(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let body = req.json()?;
    shared.write(|state| {
        let app = authed_app(state, req, Scope::DataWrite)?;
        let email = match Request::body_field(&body, "email") {
            Some(_) => Some(email_param(&body, &["body", "email"])?),
            None => None,
        };
        let id = match Request::body_field(&body, "id") {
            Some(raw) => Some(uuid_param(raw, &["body", "id"])?),
            None => None,
        };
        let existing = match (&email, id) {
            (Some(email), _) => find_by_email(app, email),
            (None, Some(id)) => app.data.contains("$users", &id).then_some(id),
            (None, None) => {
                return Err(ApiError::validation_msg(
                    "body",
                    body.clone(),
                    "Please provide an `email` or `id`",
                ));
            }
        };
        let created = existing.is_none();
        let user = match existing {
            Some(user) => user,
            None => {
                let extra = validate_extra_fields(app, body.get("extra-fields"))?;
                create_user(
                    app,
                    id.unwrap_or_else(Uuid::new_v4),
                    email.as_deref(),
                    None,
                    &extra,
                )
            }
        };
        let token = new_refresh_token(app, user);
        let user_object = user_json(app, &user).unwrap_or(Value::Null);
        Ok(Reply::Json(json!({
            "user": with_refresh_token(user_object, token),
            "created": created,
        })))
    })
}

/// `POST /admin/sign_out`: by `id` (all tokens), `email` (all tokens) or `refresh_token` (one).
pub(crate) fn sign_out(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let body = req.json()?;
    shared.write(|state| {
        let app = authed_app(state, req, Scope::DataWrite)?;
        if let Some(raw) = Request::body_field(&body, "id") {
            let id = uuid_param(raw, &["body", "id"])?;
            app.meta.refresh_tokens.retain(|_, user| *user != id);
        } else if Request::body_field(&body, "email").is_some() {
            let email = email_param(&body, &["body", "email"])?;
            let id = find_by_email(app, &email)
                .ok_or_else(|| ApiError::record_not_found("app-user", None))?;
            app.meta.refresh_tokens.retain(|_, user| *user != id);
        } else if let Some(raw) = Request::body_field(&body, "refresh_token") {
            let token = uuid_param(raw, &["body", "refresh_token"])?;
            app.meta.refresh_tokens.shift_remove(&token);
        } else {
            return Err(ApiError::validation_msg(
                "body",
                body.clone(),
                "Please provide an `id`, `email`, or `refresh_token`",
            ));
        }
        Ok(Reply::Json(json!({ "ok": true })))
    })
}

/// `POST /admin/magic_code` and `/admin/send_magic_code`. Both return the code; "sending" logs
/// it and hands it to mail subscribers, since the emulator has no mail server.
pub(crate) fn magic_code(shared: &Arc<Shared>, req: &Request, send: bool) -> ApiResult<Reply> {
    let body = req.json()?;
    let (app_id, email, code) = shared.write(|state| {
        let app = authed_app(state, req, Scope::DataWrite)?;
        let email = email_param(&body, &["body", "email"])?;
        let code = format!("{:06}", Uuid::new_v4().as_u128() % 1_000_000);
        app.meta.magic_codes.push(MagicCode {
            email: email.clone(),
            code: code.clone(),
            created_at: clock::now_ms(),
        });
        Ok((app.meta.id, email, code))
    })?;
    if send {
        tracing::info!(%app_id, %email, %code, "magic code sent (the emulator does not mail it)");
        let _ = shared.mail.send(SentMagicCode {
            app_id,
            email,
            code: code.clone(),
        });
    }
    Ok(Reply::Json(json!({ "code": code })))
}

/// `POST /admin/verify_magic_code`: consumes the code, creating the user on first sign-in.
pub(crate) fn verify_magic_code(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let body = req.json()?;
    shared.write(|state| {
        let app = authed_app(state, req, Scope::DataWrite)?;
        let email = email_param(&body, &["body", "email"])?;
        let code = Request::body_field(&body, "code")
            .ok_or_else(|| ApiError::param_missing(&["body", "code"]))?;
        let code = code
            .as_str()
            .map(|c| c.trim().to_owned())
            .ok_or_else(|| ApiError::param_malformed(&["body", "code"], code.clone()))?;
        let guest = match Request::body_field(&body, "refresh-token") {
            Some(raw) => {
                let token = uuid_param(raw, &["body", "refresh-token"])?;
                let user = app
                    .meta
                    .refresh_tokens
                    .get(&token)
                    .copied()
                    .ok_or_else(|| ApiError::record_not_found("app-user", None))?;
                let is_guest = user_json(app, &user)
                    .and_then(|u| u.get("isGuest").and_then(Value::as_bool))
                    .unwrap_or(false);
                is_guest.then_some(user)
            }
            None => None,
        };
        let position = app
            .meta
            .magic_codes
            .iter()
            .position(|m| m.email == email && m.code == code)
            .ok_or_else(|| ApiError::record_not_found("app-user-magic-code", None))?;
        let record = app.meta.magic_codes.remove(position);
        if clock::now_ms() - record.created_at > MAGIC_CODE_TTL_MS {
            return Err(ApiError::record_expired("app-user-magic-code"));
        }
        let existing = find_by_email(app, &email);
        let created = existing.is_none();
        let user = match (existing, guest) {
            (Some(user), _) => user,
            (None, Some(guest)) => {
                // Upgrading a guest keeps its id: it becomes a full user with this email.
                if let Some(mut entity) = app.data.entity("$users", &guest).cloned() {
                    for (label, value) in [("email", json!(email)), ("type", json!("user"))] {
                        if let Some(attr) = app.meta.attrs.by_fwd("$users", label) {
                            entity.values.insert(attr.id, value);
                        }
                    }
                    app.data
                        .put_entity("$users", guest, Some(entity), &mut Journal::default());
                }
                guest
            }
            (None, None) => {
                let extra = validate_extra_fields(app, body.get("extra-fields"))?;
                create_user(app, Uuid::new_v4(), Some(&email), Some("user"), &extra)
            }
        };
        let token = new_refresh_token(app, user);
        let user_object = user_json(app, &user).unwrap_or(Value::Null);
        Ok(Reply::Json(json!({
            "user": with_refresh_token(user_object, token),
            "created": created,
        })))
    })
}

/// `POST /admin/sign_in_guest`.
pub(crate) fn sign_in_guest(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let body = req.json()?;
    shared.write(|state| {
        let app = authed_app(state, req, Scope::DataWrite)?;
        let extra = validate_extra_fields(app, body.get("extra-fields"))?;
        let user = create_user(app, Uuid::new_v4(), None, Some("guest"), &extra);
        let token = new_refresh_token(app, user);
        let user_object = user_json(app, &user).unwrap_or(Value::Null);
        Ok(Reply::Json(
            json!({ "user": with_refresh_token(user_object, token) }),
        ))
    })
}

/// The user named by `?email=`, `?refresh_token=` or `?id=` (that precedence).
fn user_from_params(app: &App, req: &Request) -> ApiResult<Option<Uuid>> {
    if let Some(raw) = req.query_param("email") {
        let email = coerce_email(raw)
            .ok_or_else(|| ApiError::param_malformed(&["params", "email"], json!(raw)))?;
        return Ok(find_by_email(app, &email));
    }
    if let Some(raw) = req.query_param("refresh_token") {
        let token = Uuid::parse_str(raw.trim()).map_err(|_| {
            ApiError::param_malformed(&["params", "refresh_token"], json!("<redacted>"))
        })?;
        return Ok(app.meta.refresh_tokens.get(&token).copied());
    }
    if let Some(raw) = req.query_param("id") {
        let id = Uuid::parse_str(raw.trim())
            .map_err(|_| ApiError::param_malformed(&["params", "id"], json!(raw)))?;
        return Ok(app.data.contains("$users", &id).then_some(id));
    }
    let params: Map<String, Value> = ["email", "refresh_token", "id"]
        .iter()
        .filter_map(|key| req.query_param(key).map(|v| ((*key).to_owned(), json!(v))))
        .collect();
    Err(ApiError::validation_msg(
        "params",
        Value::Object(params),
        "Please provide a user id, email, or refresh_token",
    ))
}

/// `GET /admin/users`: `{"user": <user or null>}`.
pub(crate) fn get_user(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let state = shared.read();
    let app_id = auth::app_id_authed(&state, req, Scope::DataRead)?;
    let app = state.require_app(&app_id)?;
    let user = user_from_params(app, req)?.and_then(|id| user_json(app, &id));
    Ok(Reply::Json(json!({ "user": user })))
}

/// `DELETE /admin/users`: `{"deleted": <user or null>}`; the user's tokens go with it.
pub(crate) fn delete_user(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    shared.write(|state| {
        let app = authed_app(state, req, Scope::DataWrite)?;
        let Some(id) = user_from_params(app, req)? else {
            return Ok(Reply::Json(json!({ "deleted": null })));
        };
        let deleted = user_json(app, &id);
        app.data
            .put_entity("$users", id, None, &mut Journal::default());
        app.meta.refresh_tokens.retain(|_, user| *user != id);
        Ok(Reply::Json(json!({ "deleted": deleted })))
    })
}

/// `POST /runtime/auth/verify_refresh_token`: no auth headers; `{app-id, refresh-token}`.
pub(crate) fn verify_refresh_token(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let body = req.json()?;
    let app_id = Request::body_field(&body, "app-id")
        .ok_or_else(|| ApiError::param_missing(&["body", "app-id"]))
        .and_then(|raw| uuid_param(raw, &["body", "app-id"]))?;
    let token = Request::body_field(&body, "refresh-token")
        .ok_or_else(|| ApiError::param_missing(&["body", "refresh-token"]))?;
    let token = token
        .as_str()
        .and_then(|text| Uuid::parse_str(text.trim()).ok())
        .ok_or_else(|| {
            ApiError::param_malformed(&["body", "refresh-token"], json!("<redacted>"))
        })?;
    let state = shared.read();
    let user = state
        .app(&app_id)
        .and_then(|app| {
            let user = app.meta.refresh_tokens.get(&token)?;
            user_json(app, user)
        })
        .ok_or_else(|| ApiError::record_not_found("app-user", None))?;
    Ok(Reply::Json(
        json!({ "user": with_refresh_token(user, token) }),
    ))
}

/// `GET /admin/rooms/presence` (`admin/routes.clj` `presence-get`): the room's sessions as
/// `{session-id: {peer-id, user, data}}` with each user's `$users` row, or `null` for a room
/// nobody is in. The emulator has no realtime connections: presence is set with
/// [`crate::Emulator::set_presence`].
pub(crate) fn presence(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let state = shared.read();
    let app_id = auth::app_id_authed(&state, req, Scope::DataRead)?;
    let mut room = String::new();
    for key in ["room-type", "room-id"] {
        match req.query_param(key) {
            None => return Err(ApiError::param_missing(&["params", key])),
            Some(value) if value.trim().is_empty() => {
                return Err(ApiError::param_malformed(&["params", key], json!(value)));
            }
            Some(value) => room = value.trim().to_owned(),
        }
    }
    let app = state.require_app(&app_id)?;
    let sessions = state
        .presence
        .get(&(app_id, room))
        .filter(|sessions| !sessions.is_empty())
        .map(|sessions| {
            let rows: Map<String, Value> = sessions
                .iter()
                .map(|(session, entry)| {
                    let mut row = Map::new();
                    row.insert("peer-id".into(), json!(session));
                    if let Some(user) = entry.user {
                        row.insert("user".into(), user_json(app, &user).unwrap_or(Value::Null));
                    }
                    row.insert("data".into(), entry.data.clone());
                    (session.clone(), Value::Object(row))
                })
                .collect();
            Value::Object(rows)
        });
    Ok(Reply::Json(
        json!({ "sessions": sessions.unwrap_or(Value::Null) }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowered_and_checked() {
        assert_eq!(
            coerce_email("  Alyssa@Example.com "),
            Some("alyssa@example.com".into())
        );
        assert_eq!(coerce_email("nope"), None);
        assert_eq!(coerce_email("a@b"), None);
        assert_eq!(coerce_email("a b@c.d"), None);
    }
}
