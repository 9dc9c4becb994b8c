//! The dashboard routes `instant-cli` uses (`dash/routes.clj`): the ticket login
//! (`/dash/cli/auth/*`), `GET /dash`, `GET /dash/me`, app creation, reading and deletion with a
//! dashboard token, and claiming a temporary app.
//!
//! The emulator has no dashboard web page: a ticket is approved through
//! [`crate::Emulator::approve_cli_login`], through `POST /dash/cli/auth/claim` with a dashboard
//! token, or at once when the emulator was built with
//! [`crate::EmulatorBuilder::auto_approve_cli_login`].

use std::sync::Arc;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::{self, Role, Scope};
use crate::clock;
use crate::crypto::sha256_hex;
use crate::error::{ApiError, ApiResult};
use crate::platform::routes::{self, app_row};
use crate::server::{Reply, Request, Shared};
use crate::store::{CliLogin, State};

/// What `GET /dash/cli/version` answers: the oldest CLI the server still talks to.
const CLI_MIN_VERSION: &str = "v0.19.0";

/// A required UUID in the body (`ex/get-param!` with `uuid-util/coerce`).
fn body_uuid(body: &Value, key: &str) -> ApiResult<Uuid> {
    let raw =
        Request::body_field(body, key).ok_or_else(|| ApiError::param_missing(&["body", key]))?;
    raw.as_str()
        .and_then(|text| Uuid::parse_str(text.trim()).ok())
        .ok_or_else(|| ApiError::param_malformed(&["body", key], raw.clone()))
}

/// Registers a login: used by the route and by nothing else, so auto-approval sits here.
fn register(state: &mut State, auto_approve_for: Option<Uuid>, ttl_ms: i64) -> (Uuid, Uuid) {
    let now = clock::now_ms();
    let server = state.server_mut();
    // Forget logins nobody can use any more, so a long-running emulator does not grow.
    server
        .cli_logins
        .retain(|_, login| now - login.created_at <= ttl_ms);
    let (secret, ticket) = (Uuid::new_v4(), Uuid::new_v4());
    server.cli_logins.insert(
        ticket,
        CliLogin {
            secret_sha256: sha256_hex(secret.to_string().as_bytes()),
            user_id: auto_approve_for,
            used: false,
            created_at: now,
        },
    );
    (secret, ticket)
}

/// `POST /dash/cli/auth/register` (no auth) → `{secret, ticket}`.
pub(crate) fn cli_register(shared: &Arc<Shared>) -> ApiResult<Reply> {
    let auto = shared.config.cli_auto_approve;
    let ttl_ms = shared.config.cli_login_ttl_ms();
    shared.write(|state| {
        let approver = if auto {
            Some(shared.config.default_user)
        } else {
            None
        };
        let (secret, ticket) = register(state, approver, ttl_ms);
        tracing::info!(%ticket, auto_approved = auto, "CLI login registered");
        Ok(Reply::Json(json!({ "secret": secret, "ticket": ticket })))
    })
}

/// A validation failure of a CLI login, as `instant-cli-login-model/use!` throws them.
fn login_error(input: Value, issue: &str, message: &str) -> ApiError {
    ApiError::validation(
        "instant-cli-login",
        input,
        vec![json!({ "issue": issue, "message": message })],
    )
}

/// `POST /dash/cli/auth/check {secret}` → `{token, email}` once approved. Every other outcome is
/// a 400 the CLI reads: `waiting-for-user` (keep polling), `user-voided-request`,
/// `user-already-claimed`, `record-expired`, `record-not-found`.
pub(crate) fn cli_check(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let body = req.json()?;
    let secret = body_uuid(&body, "secret")?;
    let hash = sha256_hex(secret.to_string().as_bytes());
    let ttl_ms = shared.config.cli_login_ttl_ms();
    shared.write(|state| {
        let (ticket, login) = state
            .server
            .cli_logins
            .iter()
            .find(|(_, login)| login.secret_sha256 == hash)
            .map(|(ticket, login)| (*ticket, login.clone()))
            .ok_or_else(|| ApiError::record_not_found("instant-cli-login", None))?;
        if clock::now_ms() - login.created_at >= ttl_ms {
            return Err(ApiError::record_expired_with_hint(
                "instant-cli-login",
                json!({ "args": [ticket] }),
            ));
        }
        let Some(user_id) = login.user_id else {
            return Err(if login.used {
                login_error(
                    json!(ticket),
                    "user-voided-request",
                    "This request has been denied",
                )
            } else {
                login_error(
                    json!(ticket),
                    "waiting-for-user",
                    "Waiting for a user to accept this request",
                )
            });
        };
        if login.used {
            // Upstream passes the keyword `:id` as the input here, not the ticket.
            return Err(login_error(
                json!("id"),
                "user-already-claimed",
                "This request has already been claimed",
            ));
        }
        let email = state
            .server
            .users
            .get(&user_id)
            .map(|user| user.email.clone())
            .ok_or_else(|| ApiError::record_not_found("instant-user", None))?;
        let server = state.server_mut();
        if let Some(login) = server.cli_logins.get_mut(&ticket) {
            login.used = true;
        }
        let token = Uuid::new_v4();
        server.dashboard_tokens.insert(token, user_id);
        Ok(Reply::Json(json!({ "token": token, "email": email })))
    })
}

/// Claims (approves) or voids (denies) a ticket the way the dashboard's `claim!`/`void!` do: an
/// unknown ticket changes nothing and is not an error.
pub(crate) fn decide(state: &mut State, ticket: Uuid, approver: Option<Uuid>) -> bool {
    let Some(login) = state.server_mut().cli_logins.get_mut(&ticket) else {
        return false;
    };
    match approver {
        Some(user) => login.user_id = Some(user),
        None => login.used = true,
    }
    true
}

/// `POST /dash/cli/auth/claim {ticket}` with a dashboard token → `{ticket}`.
pub(crate) fn cli_claim(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let body = req.json()?;
    shared.write(|state| {
        let user = auth::auth_user(state, req)?;
        let ticket = body_uuid(&body, "ticket")?;
        decide(state, ticket, Some(user));
        Ok(Reply::Json(json!({ "ticket": ticket })))
    })
}

/// `POST /dash/cli/auth/void {ticket}` with a dashboard token → `{}`.
pub(crate) fn cli_void(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let body = req.json()?;
    shared.write(|state| {
        auth::auth_user(state, req)?;
        let ticket = body_uuid(&body, "ticket")?;
        decide(state, ticket, None);
        Ok(Reply::Json(json!({})))
    })
}

/// `GET /dash/cli/version`.
pub(crate) fn cli_version() -> ApiResult<Reply> {
    Ok(Reply::Json(json!({ "min-version": CLI_MIN_VERSION })))
}

/// The `instant_users` row of a platform user.
fn user_row(state: &State, user: Uuid) -> ApiResult<Value> {
    let record = state
        .server
        .users
        .get(&user)
        .ok_or_else(|| ApiError::record_not_found("instant-user", None))?;
    Ok(json!({
        "id": record.id,
        "email": record.email,
        "created_at": clock::iso(record.created_at),
    }))
}

/// `GET /dash/me` with a dashboard token → `{user}`.
pub(crate) fn me(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let state = shared.read();
    let user = auth::auth_user(&state, req)?;
    Ok(Reply::Json(json!({ "user": user_row(&state, user)? })))
}

/// `GET /dash` with a dashboard token: the user's personal apps (with `admin_token`, `rules`
/// and `user_app_role`, as `app-model/get-all-for-user` selects them), orgs and profile.
pub(crate) fn home(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let state = shared.read();
    let user = auth::auth_user(&state, req)?;
    let apps: Vec<Value> = state
        .apps
        .values()
        .filter(|app| app.is_live() && app.meta.org_id.is_none())
        .filter(|app| app.meta.creator_id == Some(user))
        .map(|app| {
            let mut row = app_row(app);
            row.insert("admin_token".into(), json!(app.meta.admin_token));
            row.insert(
                "rules".into(),
                app.meta.perms.clone().unwrap_or(Value::Null),
            );
            row.insert("org".into(), Value::Null);
            row.insert("pro".into(), json!(false));
            row.insert("user_app_role".into(), json!("owner"));
            row.insert("status".into(), json!("active"));
            row.insert("effective_status".into(), json!("active"));
            Value::Object(row)
        })
        .collect();
    let orgs = super::routes::user_orgs(&state, &user);
    let user_row = user_row(&state, user)?;
    Ok(Reply::Json(json!({
        "apps": apps,
        "superuser": false,
        "orgs": orgs,
        "profile": null,
        "invites": [],
        "user": { "id": user_row["id"], "email": user_row["email"] },
    })))
}

/// `POST /dash/apps {id, title, admin_token, org_id?, schema?, rules?: {code}}`: the client
/// chooses the app id and admin token (`instant-cli init-without-files`) → `{app}`.
pub(crate) fn create_app(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let body = req.json()?;
    shared.write(|state| {
        let user = auth::auth_user_or_superadmin(state, req, Scope::AppsWrite)?;
        let title = routes::non_blank_title(&body)?;
        let id = body_uuid(&body, "id")?;
        let admin_token = body_uuid(&body, "admin_token")?;
        let org_id = match Request::body_field(&body, "org_id") {
            None => None,
            Some(_) => Some(body_uuid(&body, "org_id")?),
        };
        let rules_code = body.get("rules").and_then(|rules| rules.get("code"));
        let perms = routes::validated_perms(rules_code, "rule")?;
        if let Some(org_id) = org_id {
            let member = state
                .server
                .orgs
                .get(&org_id)
                .is_some_and(|org| org.members.contains_key(&user));
            if !member {
                return Err(ApiError::record_not_found("org", None));
            }
        }
        if state.apps.contains_key(&id) || state.app_by_admin_token(&admin_token).is_some() {
            return Err(ApiError::record_not_unique(
                "Record not unique: app".to_owned(),
                json!({ "record-type": "app" }),
            ));
        }
        let creator = if org_id.is_some() { None } else { Some(user) };
        let app_id = routes::create_app_with(
            state,
            &title,
            creator,
            org_id,
            perms,
            body.get("schema"),
            Some((id, admin_token)),
        )?;
        let app = state.require_app(&app_id)?;
        // `app-model/create!` selects the new token with the row (`model/app.clj` line 83).
        let mut row = app_row(app);
        row.insert("admin-token".into(), json!(app.meta.admin_token));
        Ok(Reply::Json(json!({ "app": row })))
    })
}

/// `GET /dash/apps/:app_id` (platform, admin or dashboard token) → `{app}`.
pub(crate) fn get_app(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let app_id = routes::path_uuid(app_id, "app_id")?;
    let state = shared.read();
    let app_id = auth::superadmin_app(&state, req, app_id, Scope::AppsRead, Role::Collaborator)?;
    let app = state.require_app(&app_id)?;
    Ok(Reply::Json(json!({ "app": app_row(app) })))
}

/// `DELETE /dash/apps/:app_id` with a dashboard token: admins of the app, owners for personal
/// apps → `{app}`.
pub(crate) fn delete_app(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let app_id = routes::path_uuid(app_id, "app_id")?;
    shared.write(|state| {
        let user = auth::auth_user(state, req)?;
        routes::mark_deleted(state, user, app_id)
    })
}

/// `POST /dash/apps/ephemeral/:app_id/claim {token}` (and `/dash/apps/:app_id/claim`) with a
/// dashboard token: the user becomes the owner of a temporary app whose admin token they hold
/// (`instant-cli claim`) → `{}`.
pub(crate) fn claim_app(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let app_id = routes::path_uuid(app_id, "app_id")?;
    let body = req.json()?;
    shared.write(|state| {
        let token = body_uuid(&body, "token")?;
        let user = auth::auth_user(state, req)?;
        let app = state.require_app(&app_id)?;
        let ephemeral = app.meta.ephemeral
            && app.meta.creator_id.is_some()
            && app.meta.creator_id == state.server.ephemeral_creator;
        if !ephemeral {
            return Err(ApiError::permission_denied("claimable-app?", json!(app_id)));
        }
        if app.meta.admin_token != token {
            return Err(ApiError::record_not_found(
                "app-admin-token",
                Some(json!({ "args": [{ "app-id": app_id }] })),
            ));
        }
        let app = state.require_app_mut(&app_id)?;
        app.meta.creator_id = Some(user);
        app.meta.ephemeral = false;
        Ok(Reply::Json(json!({})))
    })
}
