//! Platform routes (`superadmin/routes.clj`, the SDK's `/dash/*` routes): apps, orgs,
//! temporary apps, schema, perms, schema push and background jobs.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::auth::{self, Role, Scope};
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::jobs;
use crate::platform::plan::{self, Step};
use crate::rules;
use crate::server::{Reply, Request, Shared};
use crate::store::{App, State};

/// Temporary apps live for 14 days (`expiration-days`).
const EPHEMERAL_LIFETIME_MS: i64 = 14 * 24 * 60 * 60 * 1000;

pub(crate) fn path_uuid(raw: &str, param: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::param_malformed(&["params", param], json!(raw)))
}

/// The app row (`apps.*`).
pub(crate) fn app_row(app: &App) -> Map<String, Value> {
    let mut row = Map::new();
    row.insert("id".into(), json!(app.meta.id));
    row.insert("creator_id".into(), json!(app.meta.creator_id));
    row.insert("title".into(), json!(app.meta.title));
    row.insert("created_at".into(), json!(clock::iso(app.meta.created_at)));
    row.insert("org_id".into(), json!(app.meta.org_id));
    row.insert(
        "deletion_marked_at".into(),
        app.meta
            .deletion_marked_at
            .map_or(Value::Null, |ms| json!(clock::iso(ms))),
    );
    row
}

pub(crate) fn non_blank_title(body: &Value) -> ApiResult<String> {
    let raw = Request::body_field(body, "title")
        .ok_or_else(|| ApiError::param_missing(&["body", "title"]))?;
    raw.as_str()
        .map(str::trim)
        .filter(|title| !title.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ApiError::param_malformed(&["body", "title"], raw.clone()))
}

/// `?include=perms,schema` on app listings.
fn enhance(app: &App, row: &mut Map<String, Value>, req: &Request) {
    let includes: Vec<&str> = req
        .query_param("include")
        .map(|value| value.split(',').map(str::trim).collect())
        .unwrap_or_default();
    if includes.contains(&"schema") {
        row.insert("schema".into(), plan::api_schema(&app.meta.attrs, false));
    }
    if includes.contains(&"perms") {
        row.insert(
            "perms".into(),
            app.meta.perms.clone().unwrap_or(Value::Null),
        );
    }
}

/// `GET /superadmin/apps` and `GET /superadmin/orgs/:org_id/apps`.
pub(crate) fn list_apps(
    shared: &Arc<Shared>,
    req: &Request,
    org: Option<&str>,
) -> ApiResult<Reply> {
    let state = shared.read();
    let user = auth::superadmin_user(&state, req, Scope::AppsRead)?;
    let org_id = org.map(|raw| path_uuid(raw, "org_id")).transpose()?;
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
    let apps: Vec<Value> = state
        .apps
        .values()
        .filter(|app| app.is_live())
        .filter(|app| match org_id {
            Some(org_id) => app.meta.org_id == Some(org_id),
            None => app.meta.creator_id == Some(user),
        })
        .map(|app| {
            let mut row = app_row(app);
            enhance(app, &mut row, req);
            Value::Object(row)
        })
        .collect();
    Ok(Reply::Json(json!({ "apps": apps })))
}

/// `GET /superadmin/orgs`.
pub(crate) fn list_orgs(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let state = shared.read();
    let user = auth::superadmin_user(&state, req, Scope::AppsRead)?;
    Ok(Reply::Json(json!({ "orgs": user_orgs(&state, &user) })))
}

/// The orgs `user` belongs to, with their role (`GET /superadmin/orgs` and `GET /dash`).
pub(crate) fn user_orgs(state: &State, user: &Uuid) -> Vec<Value> {
    state
        .server
        .orgs
        .values()
        .filter_map(|org| {
            let role = org.members.get(user)?;
            Some(json!({
                "id": org.id,
                "title": org.title,
                "created_at": clock::iso(org.created_at),
                "role": role,
            }))
        })
        .collect()
}

/// Creates an app with optional perms and schema (planned with check-types on and background
/// updates off, so constraints apply at once). Planning runs before the app is stored, so a bad
/// schema leaves nothing behind.
/// `ids` are a client-chosen app id and admin token (`POST /dash/apps`).
pub(crate) fn create_app_with(
    state: &mut State,
    title: &str,
    creator: Option<Uuid>,
    org: Option<Uuid>,
    perms: Option<Value>,
    schema: Option<&Value>,
    ids: Option<(Uuid, Uuid)>,
) -> ApiResult<Uuid> {
    let mut app = App::new(title, creator, org);
    if let Some((id, admin_token)) = ids {
        app.meta.id = id;
        app.meta.admin_token = admin_token;
    }
    app.meta.perms = perms;
    if let Some(schema) = schema.filter(|s| !s.is_null()) {
        let planned = plan::plan(&app, schema, true, false)?;
        plan::apply_steps(&mut app, &planned.steps, false)?;
    }
    Ok(state.insert_app(app))
}

pub(crate) fn validated_perms(raw: Option<&Value>, data_type: &str) -> ApiResult<Option<Value>> {
    match raw.filter(|v| !v.is_null()) {
        None => Ok(None),
        Some(code) => {
            let errors = rules::validation_errors(code);
            if errors.is_empty() {
                Ok(Some(code.clone()))
            } else {
                Err(ApiError::validation(data_type, code.clone(), errors))
            }
        }
    }
}

/// `POST /superadmin/apps`.
pub(crate) fn create_app(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let body = req.json()?;
    shared.write(|state| {
        let user = auth::superadmin_user(state, req, Scope::AppsWrite)?;
        let title = non_blank_title(&body)?;
        let org_id = match Request::body_field(&body, "org_id") {
            None => None,
            Some(raw) => Some(
                raw.as_str()
                    .and_then(|text| Uuid::parse_str(text).ok())
                    .ok_or_else(|| ApiError::param_malformed(&["body", "org_id"], raw.clone()))?,
            ),
        };
        if let Some(org_id) = org_id {
            let role = state
                .server
                .orgs
                .get(&org_id)
                .and_then(|org| org.members.get(&user))
                .ok_or_else(|| ApiError::record_not_found("org", None))?;
            if role != "admin" && role != "owner" {
                return Err(ApiError::permission_denied(
                    "allowed-member-role?",
                    json!("admin"),
                ));
            }
        }
        let perms = validated_perms(body.get("perms"), "perms")?;
        let creator = if org_id.is_some() { None } else { Some(user) };
        let app_id = create_app_with(
            state,
            &title,
            creator,
            org_id,
            perms,
            body.get("schema"),
            None,
        )?;
        let app = state.require_app(&app_id)?;
        let mut row = app_row(app);
        row.insert("admin-token".into(), json!(app.meta.admin_token));
        row.insert(
            "perms".into(),
            app.meta.perms.clone().unwrap_or(Value::Null),
        );
        row.insert("schema".into(), plan::api_schema(&app.meta.attrs, false));
        Ok(Reply::Json(json!({ "app": row })))
    })
}

/// `POST /dash/apps/ephemeral`: no auth; the app belongs to the emulator's ephemeral user.
pub(crate) fn create_ephemeral(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    if !shared.config.ephemeral_apps {
        return Err(ApiError::permission_denied(
            "ephemeral-app-creation",
            Value::Null,
        ));
    }
    let body = req.json()?;
    shared.write(|state| {
        let title = non_blank_title(&body)?;
        let rules_code = body.get("rules").and_then(|rules| rules.get("code"));
        let perms = validated_perms(rules_code, "rule")?;
        let creator = match state.server.ephemeral_creator {
            Some(id) => id,
            None => {
                let (id, _) = state.create_platform_user("hello+ephemeralapps@instantdb.com", None);
                state.server_mut().ephemeral_creator = Some(id);
                id
            }
        };
        let app_id = create_app_with(
            state,
            &title,
            Some(creator),
            None,
            perms,
            body.get("schema"),
            None,
        )?;
        let app = state.require_app_mut(&app_id)?;
        app.meta.ephemeral = true;
        let mut row = app_row(app);
        row.insert("admin-token".into(), json!(app.meta.admin_token));
        Ok(Reply::Json(json!({
            "app": row,
            "expires_ms": app.meta.created_at + EPHEMERAL_LIFETIME_MS,
        })))
    })
}

/// `GET /superadmin/apps/:app_id`.
pub(crate) fn get_app(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let app_id = path_uuid(app_id, "app_id")?;
    let state = shared.read();
    let app_id = auth::superadmin_app(&state, req, app_id, Scope::AppsRead, Role::Collaborator)?;
    let app = state.require_app(&app_id)?;
    Ok(Reply::Json(json!({ "app": app_row(app) })))
}

/// `POST /superadmin/apps/:app_id` (rename).
pub(crate) fn update_app(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let app_id = path_uuid(app_id, "app_id")?;
    let body = req.json()?;
    shared.write(|state| {
        let app_id = auth::superadmin_app(state, req, app_id, Scope::AppsWrite, Role::Admin)?;
        let title = non_blank_title(&body)?;
        let app = state.require_app_mut(&app_id)?;
        app.meta.title = title;
        Ok(Reply::Json(json!({ "app": app_row(app) })))
    })
}

/// `DELETE /superadmin/apps/:app_id`: platform tokens only; owners only for personal apps.
pub(crate) fn delete_app(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let app_id = path_uuid(app_id, "app_id")?;
    shared.write(|state| {
        let user = auth::superadmin_user(state, req, Scope::AppsWrite)?;
        mark_deleted(state, user, app_id)
    })
}

/// Marks an app for deletion for `user`: admins of the app, owners for personal apps.
pub(crate) fn mark_deleted(state: &mut State, user: Uuid, app_id: Uuid) -> ApiResult<Reply> {
    auth::app_with_role(state, user, app_id, Role::Admin)?;
    let app = state.require_app_mut(&app_id)?;
    if app.meta.creator_id.is_some_and(|creator| creator != user) {
        return Err(ApiError::permission_denied(
            "allowed-member-role?",
            json!("owner"),
        ));
    }
    app.meta.deletion_marked_at = Some(clock::now_ms());
    Ok(Reply::Json(json!({ "app": app_row(app) })))
}

/// `GET /superadmin/apps/:app_id/schema`.
pub(crate) fn get_schema(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let app_id = path_uuid(app_id, "app_id")?;
    let state = shared.read();
    let app_id = auth::superadmin_app(&state, req, app_id, Scope::AppsRead, Role::Collaborator)?;
    let app = state.require_app(&app_id)?;
    Ok(Reply::Json(
        json!({ "schema": plan::api_schema(&app.meta.attrs, false) }),
    ))
}

/// `GET /admin/schema` (admin token, app id header): ref keys joined with `-`.
pub(crate) fn admin_schema(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let state = shared.read();
    let app_id = auth::app_id_authed(&state, req, Scope::AppsRead)?;
    let app = state.require_app(&app_id)?;
    Ok(Reply::Json(
        json!({ "schema": plan::api_schema(&app.meta.attrs, true) }),
    ))
}

/// `GET /dash/apps/:app_id/schema/pull` (the CLI's pull).
pub(crate) fn schema_pull(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let app_id = path_uuid(app_id, "app_id")?;
    let state = shared.read();
    let app_id = auth::superadmin_app(&state, req, app_id, Scope::AppsRead, Role::Collaborator)?;
    let app = state.require_app(&app_id)?;
    let attrs: Vec<Value> = app.meta.attrs.iter().map(|a| a.to_api_json()).collect();
    Ok(Reply::Json(json!({
        "schema": plan::api_schema(&app.meta.attrs, false),
        "attrs": attrs,
        "app-title": app.meta.title,
    })))
}

/// `GET /superadmin/apps/:app_id/perms`.
pub(crate) fn get_perms(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let app_id = path_uuid(app_id, "app_id")?;
    let state = shared.read();
    let app_id = auth::superadmin_app(&state, req, app_id, Scope::AppsRead, Role::Collaborator)?;
    let app = state.require_app(&app_id)?;
    Ok(Reply::Json(json!({ "perms": app.meta.perms })))
}

/// `GET /dash/apps/:app_id/perms/pull` (needs `apps-write`, as upstream).
pub(crate) fn perms_pull(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let app_id = path_uuid(app_id, "app_id")?;
    let state = shared.read();
    let app_id = auth::superadmin_app(&state, req, app_id, Scope::AppsWrite, Role::Collaborator)?;
    let app = state.require_app(&app_id)?;
    Ok(Reply::Json(json!({ "perms": app.meta.perms })))
}

/// `POST /superadmin/apps/:app_id/perms` with `{code}`.
pub(crate) fn push_perms(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let app_id = path_uuid(app_id, "app_id")?;
    let body = req.json()?;
    shared.write(|state| {
        let app_id =
            auth::superadmin_app(state, req, app_id, Scope::AppsWrite, Role::Collaborator)?;
        let code = Request::body_field(&body, "code")
            .ok_or_else(|| ApiError::param_missing(&["body", "code"]))?;
        let code = validated_perms(Some(code), "rule")?.unwrap_or(Value::Null);
        let app = state.require_app_mut(&app_id)?;
        app.meta.perms = Some(code.clone());
        Ok(Reply::Json(
            json!({ "rules": { "app_id": app_id, "code": code } }),
        ))
    })
}

fn push_flags(body: &Value) -> (bool, bool) {
    (
        Request::flag(body, "check_types"),
        Request::flag(body, "supports_background_updates"),
    )
}

/// `POST …/schema/push/plan`.
pub(crate) fn plan(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let app_id = path_uuid(app_id, "app_id")?;
    let body = req.json()?;
    let state = shared.read();
    let app_id = auth::superadmin_app(&state, req, app_id, Scope::AppsRead, Role::Collaborator)?;
    let app = state.require_app(&app_id)?;
    let (check_types, background) = push_flags(&body);
    let schema = body.get("schema").cloned().unwrap_or(Value::Null);
    let planned = plan::plan(app, &schema, check_types, background)?;
    Ok(Reply::Json(Value::Object(planned.response)))
}

/// Applies steps, turns background steps into one job group, and starts it. Returns
/// `{transaction, steps, indexing-jobs}`.
fn apply_and_schedule(
    state: &mut State,
    app_id: Uuid,
    steps: Vec<Step>,
    allow_deletes: bool,
) -> ApiResult<(Map<String, Value>, Option<Uuid>)> {
    let tx_id = state.next_tx_id();
    let app = state.require_app_mut(&app_id)?;
    plan::apply_steps(app, &steps, allow_deletes)?;
    let group_id = Uuid::new_v4();
    let mut out_steps = Vec::with_capacity(steps.len());
    let mut rows = Vec::new();
    for (kind, mut payload) in steps {
        if plan::JOB_TYPES.contains(&kind.as_str()) {
            let attr_id = payload
                .get("attr-id")
                .and_then(Value::as_str)
                .and_then(|text| Uuid::parse_str(text).ok())
                .unwrap_or_default();
            let data_type = payload
                .get("checked-data-type")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let job = jobs::new_job(app, group_id, attr_id, &kind, data_type.as_deref());
            payload["job-id"] = json!(job.id);
            rows.push(jobs::raw_row(&app_id, &job));
            app.meta.jobs.push(job);
        }
        out_steps.push((kind, payload));
    }
    let has_tx_steps = out_steps
        .iter()
        .any(|(kind, _)| matches!(kind.as_str(), "add-attr" | "update-attr" | "delete-attr"));
    let mut out = Map::new();
    out.insert(
        "transaction".into(),
        if has_tx_steps {
            json!({ "id": tx_id, "app_id": app_id, "created_at": clock::iso(clock::now_ms()) })
        } else {
            json!({})
        },
    );
    out.insert("steps".into(), plan::steps_json(&out_steps));
    let group = if rows.is_empty() {
        out.insert("indexing-jobs".into(), Value::Null);
        None
    } else {
        out.insert(
            "indexing-jobs".into(),
            json!({ "group-id": group_id, "jobs": rows }),
        );
        Some(group_id)
    };
    Ok((out, group))
}

/// `POST …/schema/push/apply` (additive mode).
pub(crate) fn apply(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let app_id = path_uuid(app_id, "app_id")?;
    let body = req.json()?;
    let (response, group) = shared.write(|state| {
        let app_id =
            auth::superadmin_app(state, req, app_id, Scope::AppsWrite, Role::Collaborator)?;
        let (check_types, background) = push_flags(&body);
        let schema = body.get("schema").cloned().unwrap_or(Value::Null);
        let planned = plan::plan(
            state.require_app(&app_id)?,
            &schema,
            check_types,
            background,
        )?;
        let (applied, group) = apply_and_schedule(state, app_id, planned.steps, false)?;
        let mut response = planned.response;
        response.extend(applied);
        Ok((response, group.map(|group| (app_id, group))))
    })?;
    if let Some((app_id, group)) = group {
        jobs::spawn_group(shared, app_id, group);
    }
    Ok(Reply::Json(Value::Object(response)))
}

/// `POST /dash/apps/:app_id/schema/steps/apply` (overwrite mode: the client's steps, deletes
/// and renames included).
pub(crate) fn steps_apply(shared: &Arc<Shared>, req: &Request, app_id: &str) -> ApiResult<Reply> {
    let app_id = path_uuid(app_id, "app_id")?;
    let body = req.json()?;
    let raw = Request::array_param(&body, "steps")?;
    let mut steps = Vec::with_capacity(raw.len());
    for step in &raw {
        match step.as_array().map(Vec::as_slice) {
            Some([Value::String(kind), payload]) => steps.push((kind.clone(), payload.clone())),
            _ => {
                return Err(ApiError::validation(
                    "steps",
                    Value::Array(raw.clone()),
                    vec![
                        json!({ "message": "Each step must be a [type, payload] pair.", "in": [] }),
                    ],
                ));
            }
        }
    }
    let (response, group) = shared.write(|state| {
        let app_id =
            auth::superadmin_app(state, req, app_id, Scope::AppsWrite, Role::Collaborator)?;
        let (response, group) = apply_and_schedule(state, app_id, steps, true)?;
        Ok((response, group.map(|group| (app_id, group))))
    })?;
    if let Some((app_id, group)) = group {
        jobs::spawn_group(shared, app_id, group);
    }
    Ok(Reply::Json(Value::Object(response)))
}

/// `GET /dash/apps/:app_id/indexing-jobs/group/:group_id` (needs `apps-write`, as upstream).
pub(crate) fn jobs_group(
    shared: &Arc<Shared>,
    req: &Request,
    app_id: &str,
    group_id: &str,
) -> ApiResult<Reply> {
    let app_id = path_uuid(app_id, "app_id")?;
    let group_id = path_uuid(group_id, "group_id")?;
    let state = shared.read();
    let app_id = auth::superadmin_app(&state, req, app_id, Scope::AppsWrite, Role::Collaborator)?;
    let app = state.require_app(&app_id)?;
    let rows: Vec<Value> = app
        .meta
        .jobs
        .iter()
        .filter(|job| job.group_id == group_id)
        .map(|job| jobs::client_row(&app_id, job))
        .collect();
    Ok(Reply::Json(json!({ "jobs": rows })))
}

/// `GET /dash/apps/:app_id/indexing-jobs/:job_id`.
pub(crate) fn job_get(
    shared: &Arc<Shared>,
    req: &Request,
    app_id: &str,
    job_id: &str,
) -> ApiResult<Reply> {
    let app_id = path_uuid(app_id, "app_id")?;
    let job_id = path_uuid(job_id, "job_id")?;
    let state = shared.read();
    let app_id = auth::superadmin_app(&state, req, app_id, Scope::AppsRead, Role::Collaborator)?;
    let app = state.require_app(&app_id)?;
    let job = app
        .meta
        .jobs
        .iter()
        .find(|job| job.id == job_id)
        .ok_or_else(|| ApiError::record_not_found("indexing-job", None))?;
    Ok(Reply::Json(
        json!({ "job": jobs::client_row(&app_id, job) }),
    ))
}

/// `GET /platform/oauth/token-info?access_token=pat_…` (no auth header).
pub(crate) fn token_info(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let token = match req.query_param("access_token").map(str::trim) {
        None => return Err(ApiError::param_missing(&["access_token"])),
        Some("") => return Err(ApiError::param_malformed(&["access_token"], json!(""))),
        Some(token) => token,
    };
    if !token.starts_with("pat_") {
        return Err(ApiError::validation_msg(
            "access_token",
            json!({}),
            "The access_token is not a valid platform OAuth access token.",
        ));
    }
    let state = shared.read();
    let record = state
        .server
        .oauth_tokens
        .get(token)
        .ok_or_else(|| ApiError::record_not_found("oauth-access-token", None))?;
    let expires_in = (record.expires_at - clock::now_ms()) / 1000;
    if expires_in <= 0 {
        return Err(ApiError::record_expired("oauth-access-token"));
    }
    Ok(Reply::Json(json!({
        "expires_in": expires_in,
        "token_type": "Bearer",
        "scopes": record.scopes.join(" "),
    })))
}

/// `GET /dash/apps/ephemeral/:app_id` (no auth): a temporary app and its expiry.
pub(crate) fn get_ephemeral(shared: &Arc<Shared>, app_id: &str) -> ApiResult<Reply> {
    let app_id = path_uuid(app_id, "app_id")?;
    let state = shared.read();
    let app = state.require_app(&app_id)?;
    if !app.meta.ephemeral {
        return Err(ApiError::permission_denied("ephemeral-app?", json!(app_id)));
    }
    Ok(Reply::Json(json!({
        "app": app_row(app),
        "expires_ms": app.meta.created_at + EPHEMERAL_LIFETIME_MS,
    })))
}

/// `GET /admin/soft_deleted_attrs`: always empty, since the emulator deletes attributes for good.
pub(crate) fn soft_deleted_attrs(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let state = shared.read();
    auth::app_id_authed(&state, req, Scope::DataRead)?;
    Ok(Reply::Json(json!({ "attrs": [], "grace-period-days": 2 })))
}
