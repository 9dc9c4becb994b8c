//! Who is calling: bearer tokens, app ids and impersonation headers, resolved the way the
//! server's `req->app-id-authed!`, `get-perms!`, `req->superadmin-user!` and
//! `req->superadmin-app!` do.
//!
//! Token kinds are decided by prefix (`util/token.clj`): `pat_` is an OAuth access token
//! (scope-checked), `per_` a personal access token (no scope checks), anything else must be a
//! UUID: an app admin token, or a legacy personal access token. Tokens never appear in error
//! hints or logs here (upstream echoes the admin token in `hint.args`; we leave it out).

use serde_json::json;
use uuid::Uuid;

use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::server::Request;
use crate::store::State;

/// An OAuth scope a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    AppsRead,
    AppsWrite,
    DataRead,
    DataWrite,
    StorageRead,
    StorageWrite,
}

impl Scope {
    /// Every scope, in upstream's order.
    pub(crate) const ALL: [Scope; 6] = [
        Scope::AppsRead,
        Scope::AppsWrite,
        Scope::DataRead,
        Scope::DataWrite,
        Scope::StorageRead,
        Scope::StorageWrite,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scope::AppsRead => "apps-read",
            Scope::AppsWrite => "apps-write",
            Scope::DataRead => "data-read",
            Scope::DataWrite => "data-write",
            Scope::StorageRead => "storage-read",
            Scope::StorageWrite => "storage-write",
        }
    }

    /// `satisfies-scope?`: a `*-read` need is met by `*-read` or `*-write`.
    fn satisfied_by(self, granted: &[String]) -> bool {
        let wanted = self.as_str();
        granted.iter().any(|scope| {
            scope == wanted
                || wanted
                    .strip_suffix("-read")
                    .is_some_and(|area| *scope == format!("{area}-write"))
        })
    }

    /// Parses one scope name.
    pub(crate) fn parse(text: &str) -> Option<Scope> {
        Some(match text {
            "apps-read" => Scope::AppsRead,
            "apps-write" => Scope::AppsWrite,
            "data-read" => Scope::DataRead,
            "data-write" => Scope::DataWrite,
            "storage-read" => Scope::StorageRead,
            "storage-write" => Scope::StorageWrite,
            _ => return None,
        })
    }
}

/// The kind of a bearer token, by its prefix.
enum Token<'a> {
    OAuth(&'a str),
    Personal(&'a str),
    Uuid(Uuid),
}

/// The bearer token of a request (`req->bearer-token!`).
fn bearer(req: &Request) -> ApiResult<Token<'_>> {
    let header = req
        .header("authorization")
        .ok_or_else(|| ApiError::param_missing(&["headers", "authorization"]))?;
    let token = header.rsplit("Bearer ").next().unwrap_or(header).trim();
    if token.starts_with("pat_") {
        Ok(Token::OAuth(token))
    } else if token.starts_with("per_") {
        Ok(Token::Personal(token))
    } else {
        Uuid::parse_str(token).map(Token::Uuid).map_err(|_| {
            ApiError::param_malformed(&["headers", "authorization"], json!("<redacted>"))
        })
    }
}

fn is_platform_token(req: &Request) -> bool {
    req.header("authorization").is_some_and(|header| {
        let token = header.rsplit("Bearer ").next().unwrap_or(header).trim();
        token.starts_with("pat_") || token.starts_with("per_")
    })
}

/// The app id from the `app-id` header or the `app_id` query parameter, unauthenticated.
pub(crate) fn app_id_untrusted(req: &Request) -> ApiResult<Uuid> {
    let (raw, path): (&str, [&str; 2]) = if let Some(value) = req.header("app-id") {
        (value, ["headers", "app-id"])
    } else if let Some(value) = req.query_param("app_id") {
        (value, ["query-params", "app_id"])
    } else {
        return Err(ApiError::param_missing(&["headers", "app-id"]));
    };
    Uuid::parse_str(raw.trim()).map_err(|_| ApiError::param_malformed(&path, json!(raw)))
}

/// `req->superadmin-user!`: the platform user behind an OAuth or personal access token.
pub(crate) fn superadmin_user(state: &State, req: &Request, scope: Scope) -> ApiResult<Uuid> {
    match bearer(req)? {
        Token::OAuth(token) => {
            let record = state
                .server
                .oauth_tokens
                .get(token)
                .ok_or_else(|| ApiError::record_not_found("oauth-access-token", None))?;
            if record.expires_at <= clock::now_ms() {
                return Err(ApiError::record_expired("oauth-access-token"));
            }
            if !scope.satisfied_by(&record.scopes) {
                return Err(ApiError::missing_scope(scope.as_str()));
            }
            Ok(record.user_id)
        }
        Token::Personal(token) => personal_token_user(state, token),
        Token::Uuid(token) => personal_token_user(state, &token.to_string()),
    }
}

fn personal_token_user(state: &State, token: &str) -> ApiResult<Uuid> {
    state
        .server
        .personal_tokens
        .get(token)
        .copied()
        .ok_or_else(|| ApiError::record_not_found("instant-user", None))
}

/// A role on an app, ordered `collaborator < admin < owner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Role {
    Collaborator,
    Admin,
    Owner,
}

impl Role {
    fn parse(text: &str) -> Role {
        match text {
            "owner" => Role::Owner,
            "admin" => Role::Admin,
            _ => Role::Collaborator,
        }
    }
}

/// The role `user` has on `app_id`: owner of a personal app, or their org role.
fn role_on_app(state: &State, user: Uuid, app_id: &Uuid) -> Option<Role> {
    let app = state.app(app_id)?;
    if app.meta.creator_id == Some(user) {
        return Some(Role::Owner);
    }
    let org = state.server.orgs.get(&app.meta.org_id?)?;
    org.members.get(&user).map(|role| Role::parse(role))
}

/// `get-app-with-role!`.
pub(crate) fn app_with_role(
    state: &State,
    user: Uuid,
    app_id: Uuid,
    role: Role,
) -> ApiResult<Uuid> {
    if state.app(&app_id).is_none() {
        return Err(ApiError::record_not_found("app", None));
    }
    match role_on_app(state, user, &app_id) {
        None => Err(ApiError::validation_msg(
            "user-role",
            json!(null),
            format!("User is missing role {}.", role_name(role)),
        )),
        Some(actual) if actual < role => Err(ApiError::permission_denied(
            "allowed-member-role?",
            json!(role_name(role)),
        )),
        Some(_) => Ok(app_id),
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Collaborator => "collaborator",
        Role::Admin => "admin",
        Role::Owner => "owner",
    }
}

/// `req->superadmin-app!`: an app-scoped platform route. Platform tokens need `scope` and
/// `role`; the app's admin token works with no role check but only for its own app.
pub(crate) fn superadmin_app(
    state: &State,
    req: &Request,
    app_id: Uuid,
    scope: Scope,
    role: Role,
) -> ApiResult<Uuid> {
    match bearer(req)? {
        Token::OAuth(_) | Token::Personal(_) => {
            let user = superadmin_user(state, req, scope)?;
            app_with_role(state, user, app_id, role)
        }
        Token::Uuid(token) => {
            if let Some(&user) = state.server.personal_tokens.get(&token.to_string()) {
                return app_with_role(state, user, app_id, role);
            }
            if let Some(app) = state.app_by_admin_token(&token) {
                if app.meta.id != app_id {
                    return Err(ApiError::validation_plain(
                        format!(
                            "This admin token does not belong to app {app_id}. Admin tokens are bound to a single app. Use a personal access token to manage other apps."
                        ),
                        json!({ "reason": "admin-token-mismatch" }),
                    ));
                }
                return Ok(app.meta.id);
            }
            // Last, a dashboard refresh token (the CLI's login token), with the role check.
            match state.server.dashboard_tokens.get(&token) {
                Some(&user) => app_with_role(state, user, app_id, role),
                None => Err(ApiError::unknown_user_token()),
            }
        }
    }
}

/// `req->auth-user!`: the platform user behind a dashboard refresh token (what the CLI's ticket
/// login returns). Personal and OAuth tokens are not accepted here, as upstream; an unknown
/// token is the API's one 401.
pub(crate) fn auth_user(state: &State, req: &Request) -> ApiResult<Uuid> {
    let header = req
        .header("authorization")
        .ok_or_else(|| ApiError::param_missing(&["headers", "authorization"]))?;
    let token = header.rsplit("Bearer ").next().unwrap_or(header).trim();
    Uuid::parse_str(token)
        .ok()
        .and_then(|token| state.server.dashboard_tokens.get(&token).copied())
        .ok_or_else(ApiError::unknown_user_token)
}

/// `req->auth-user-accepting-superadmin-token!`: a UUID is a dashboard refresh token, anything
/// else a platform token checked for `scope`.
pub(crate) fn auth_user_or_superadmin(
    state: &State,
    req: &Request,
    scope: Scope,
) -> ApiResult<Uuid> {
    match bearer(req)? {
        Token::Uuid(_) => auth_user(state, req),
        Token::OAuth(_) | Token::Personal(_) => superadmin_user(state, req, scope),
    }
}

/// `req->app-id-authed!` (`admin/routes.clj` line 59): the app of an admin route, checked
/// against its admin token, or for a platform token, the app must have been created by the
/// token's user (`app-model/get-by-id-and-creator!`: an org role is not enough).
pub(crate) fn app_id_authed(state: &State, req: &Request, scope: Scope) -> ApiResult<Uuid> {
    let app_id = app_id_untrusted(req)?;
    if is_platform_token(req) {
        let user = superadmin_user(state, req, scope)?;
        return match state.app(&app_id) {
            Some(app) if app.meta.creator_id == Some(user) && app.is_live() => Ok(app_id),
            _ => Err(ApiError::record_not_found(
                "app",
                Some(json!({ "args": [{ "user-id": user, "app-id": app_id }] })),
            )),
        };
    }
    let Token::Uuid(token) = bearer(req)? else {
        return Err(ApiError::param_malformed(
            &["headers", "authorization"],
            json!("<redacted>"),
        ));
    };
    match state.app(&app_id) {
        Some(app) if app.meta.admin_token == token => Ok(app_id),
        _ => Err(ApiError::record_not_found(
            "app-admin-token",
            Some(json!({
                "args": [{ "app-id": app_id }],
                "message": "This admin token may be expired or invalid. Or you may have provided an incorrect app ID.",
            })),
        )),
    }
}

/// Who a data request runs as (`get-perms!`).
#[derive(Debug, Clone)]
pub(crate) struct Perms {
    pub(crate) app_id: Uuid,
    /// Admins bypass permission rules.
    pub(crate) admin: bool,
    /// The impersonated app user (`$users` entity id), `None` for guests and admins.
    pub(crate) user: Option<Uuid>,
}

/// `get-perms!`: `as-token` > `as-email` > `as-guest` > admin.
pub(crate) fn perms(state: &State, req: &Request, scope: Scope) -> ApiResult<Perms> {
    if let Some(as_token) = req.header("as-token") {
        let app_id = app_id_untrusted(req)?;
        let token = Uuid::parse_str(as_token.trim())
            .map_err(|_| ApiError::param_malformed(&["asUser", "token"], json!("<redacted>")))?;
        let user = state
            .app(&app_id)
            .and_then(|app| app.meta.refresh_tokens.get(&token).copied())
            .ok_or_else(|| ApiError::record_not_found("app-user", None))?;
        return Ok(Perms {
            app_id,
            admin: false,
            user: Some(user),
        });
    }
    if let Some(email) = req.header("as-email") {
        let app_id = app_id_authed(state, req, scope)?;
        let user = state
            .app(&app_id)
            .and_then(|app| crate::admin::users::find_by_email(app, email))
            .ok_or_else(|| ApiError::record_not_found("app-user", None))?;
        return Ok(Perms {
            app_id,
            admin: false,
            user: Some(user),
        });
    }
    if req
        .header("as-guest")
        .is_some_and(|value| !value.is_empty())
    {
        let app_id = app_id_untrusted(req)?;
        if state.app(&app_id).is_none() {
            return Err(ApiError::record_not_found("app", None));
        }
        return Ok(Perms {
            app_id,
            admin: false,
            user: None,
        });
    }
    let app_id = app_id_authed(state, req, scope)?;
    Ok(Perms {
        app_id,
        admin: true,
        user: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_scopes_imply_read() {
        let granted = vec!["data-write".to_owned()];
        assert!(Scope::DataRead.satisfied_by(&granted));
        assert!(Scope::DataWrite.satisfied_by(&granted));
        assert!(!Scope::AppsRead.satisfied_by(&granted));
        assert!(!Scope::DataWrite.satisfied_by(&["data-read".to_owned()]));
    }
}
