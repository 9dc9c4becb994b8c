//! Storage: uploads (`PUT /admin/storage/upload`), deletes, the legacy listing and signed URLs,
//! and the download route the `$files.url` values point at.
//!
//! Files are `$files` entities (`path`, `size`, `content-type`, `content-disposition`,
//! `location-id`) plus bytes keyed by location id. Re-uploading a path keeps the entity id and
//! gets a new location id, as upstream does. The download URL is served by the emulator itself
//! at `/storage/<app-id>/<location-id>`; location ids are random UUIDs, which makes the URL as
//! unguessable as a presigned one (it does not expire).

use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::admin::entity_object;
use crate::auth::{self, Perms, Scope};
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::rules::{self, RuleInput};
use crate::server::{Reply, Request, Shared};
use crate::store::data::{Entity, Journal};
use crate::store::{App, State};

/// The URL a `$files` row's `url` carries.
pub(crate) fn download_url(base_url: &str, app_id: &Uuid, location_id: &str) -> String {
    let location: String = url::form_urlencoded::byte_serialize(location_id.as_bytes()).collect();
    format!("{base_url}/storage/{app_id}/{location}")
}

fn label_value<'e>(app: &App, entity: &'e Entity, label: &str) -> Option<&'e Value> {
    let attr = app.meta.attrs.by_fwd("$files", label)?;
    entity.values.get(&attr.id)
}

/// The `$files` entity at `path`.
fn file_by_path(app: &App, path: &str) -> Option<Uuid> {
    let attr = app.meta.attrs.by_fwd("$files", "path")?;
    app.data
        .with_value(attr.id, &json!(path))?
        .iter()
        .find(|id| app.data.contains("$files", id))
        .copied()
}

/// Storage permission for impersonated requests: the `$files` rule with `data.path`.
fn check_storage_rule(app: &App, perms: &Perms, action: &str, data: &Value) -> ApiResult<()> {
    if perms.admin {
        return Ok(());
    }
    let auth = perms
        .user
        .and_then(|id| crate::admin::users::user_json(app, &id));
    let refs = crate::admin::EntityRefs {
        app,
        etype: "$files",
        eid: data
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| Uuid::parse_str(id).ok()),
        user: perms.user,
    };
    let input = RuleInput {
        auth: auth.as_ref(),
        data,
        new_data: None,
        rule_params: &json!({}),
        refs: &refs,
    };
    if rules::allowed(app.meta.perms.as_ref(), "$files", action, &input)? {
        Ok(())
    } else {
        Err(ApiError::permission_denied(
            "has-storage-permission?",
            json!(["$files", action]),
        ))
    }
}

fn non_blank_header<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.header(name)
        .map(str::trim)
        .filter(|value| !value.is_empty() && *value != "null" && *value != "undefined")
}

/// A file to store.
struct NewFile<'r> {
    path: String,
    content_type: Option<String>,
    content_disposition: Option<String>,
    bytes: &'r Bytes,
}

/// Stores a file, upserting its `$files` entity by path (same id, new location id), after the
/// `$files` rule when the caller is impersonated.
fn store_file(state: &mut State, perms: &Perms, file: NewFile<'_>) -> ApiResult<Value> {
    let app_id = perms.app_id;
    let app = state.require_app_mut(&app_id)?;
    let existing = file_by_path(app, &file.path);
    let action = if existing.is_some() {
        "update"
    } else {
        "create"
    };
    check_storage_rule(app, perms, action, &json!({ "path": file.path }))?;
    let id = existing.unwrap_or_else(Uuid::new_v4);
    let mut entity = app.data.entity("$files", &id).cloned().unwrap_or(Entity {
        created_at: clock::now_ms(),
        ..Entity::default()
    });
    let old_location = label_value(app, &entity, "location-id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let location_id = Uuid::new_v4().to_string();
    let size = file.bytes.len();
    let values = [
        ("path", json!(file.path)),
        ("size", json!(size)),
        ("content-type", json!(file.content_type)),
        ("content-disposition", json!(file.content_disposition)),
        ("location-id", json!(location_id)),
    ];
    for (label, value) in values {
        if let Some(attr) = app.meta.attrs.by_fwd("$files", label) {
            if value.is_null() {
                entity.values.shift_remove(&attr.id);
            } else {
                entity.values.insert(attr.id, value);
            }
        }
    }
    app.data
        .put_entity("$files", id, Some(entity), &mut Journal::default());
    app.files.insert(location_id.clone(), file.bytes.clone());
    app.meta.file_sizes.insert(location_id.clone(), size);
    if let Some(old) = &old_location {
        app.files.remove(old);
        app.meta.file_sizes.shift_remove(old);
    }
    state.dirty.files.insert((app_id, location_id.clone()));
    if let Some(old) = old_location {
        state.dirty.files.insert((app_id, old));
    }
    Ok(json!({ "id": id, "location-id": location_id, "size": size }))
}

/// `PUT /admin/storage/upload`.
pub(crate) fn upload(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    shared.write(|state| {
        let perms = auth::perms(state, req, Scope::StorageWrite)?;
        let path = match req.header("path") {
            None => return Err(ApiError::param_missing(&["path"])),
            Some(path) if path.trim().is_empty() => {
                return Err(ApiError::param_malformed(&["path"], json!(path)));
            }
            Some(path) => path.trim().to_owned(),
        };
        let file = NewFile {
            path,
            content_type: non_blank_header(req, "content-type").map(str::to_owned),
            content_disposition: non_blank_header(req, "content-disposition").map(str::to_owned),
            bytes: &req.body,
        };
        let data = store_file(state, &perms, file)?;
        Ok(Reply::Json(json!({ "data": data })))
    })
}

/// How long a signed upload URL stays valid.
const UPLOAD_URL_TTL_MS: i64 = 10 * 60 * 1000;

/// `POST /admin/storage/signed-upload-url` (legacy): a one-time URL to `PUT` the bytes to.
pub(crate) fn signed_upload_url(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let body = req.json()?;
    shared.write(|state| {
        let app_id = auth::app_id_authed(state, req, Scope::StorageWrite)?;
        let raw = Request::body_field(&body, "filename")
            .ok_or_else(|| ApiError::param_missing(&["body", "filename"]))?;
        let path = raw
            .as_str()
            .map(str::trim)
            .filter(|path| !path.is_empty())
            .ok_or_else(|| ApiError::param_malformed(&["body", "filename"], raw.clone()))?
            .to_owned();
        let upload_id = Uuid::new_v4();
        state.pending_uploads.insert(
            upload_id,
            crate::store::PendingUpload {
                app_id,
                path,
                expires_at: clock::now_ms() + UPLOAD_URL_TTL_MS,
            },
        );
        let url = format!("{}/storage/{upload_id}/consume-upload-url", shared.base_url);
        Ok(Reply::Json(json!({ "data": url })))
    })
}

/// `PUT /storage/<upload-id>/consume-upload-url`: the bytes for a signed upload URL.
pub(crate) fn consume_upload_url(
    shared: &Arc<Shared>,
    req: &Request,
    upload_id: &str,
) -> ApiResult<Reply> {
    shared.write(|state| {
        let pending = Uuid::parse_str(upload_id)
            .ok()
            .and_then(|id| state.pending_uploads.remove(&id))
            .filter(|pending| pending.expires_at > clock::now_ms())
            .ok_or_else(|| {
                ApiError::validation_msg(
                    "app-upload-url",
                    json!(upload_id),
                    "The upload URL is expired or invalid.",
                )
            })?;
        let perms = Perms {
            app_id: pending.app_id,
            admin: true,
            user: None,
        };
        let file = NewFile {
            path: pending.path,
            content_type: non_blank_header(req, "content-type").map(str::to_owned),
            content_disposition: None,
            bytes: &req.body,
        };
        let data = store_file(state, &perms, file)?;
        Ok(Reply::Json(json!({ "data": data })))
    })
}

/// Deletes the file at `path`; returns its id when there was one.
fn delete_path(
    state: &mut State,
    perms: &Perms,
    path: &str,
    base_url: &str,
) -> ApiResult<Option<Uuid>> {
    let app_id = perms.app_id;
    let app = state.require_app_mut(&app_id)?;
    let Some(id) = file_by_path(app, path) else {
        return Ok(None);
    };
    let Some(entity) = app.data.entity("$files", &id).cloned() else {
        return Ok(None);
    };
    let data = Value::Object(entity_object(app, base_url, "$files", &id, &entity, None));
    check_storage_rule(app, perms, "delete", &data)?;
    let location = label_value(app, &entity, "location-id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    app.data
        .put_entity("$files", id, None, &mut Journal::default());
    if let Some(location) = location {
        app.files.remove(&location);
        app.meta.file_sizes.shift_remove(&location);
        state.dirty.files.insert((app_id, location));
    }
    Ok(Some(id))
}

/// `DELETE /admin/storage/files?filename=` (deprecated upstream, still served).
pub(crate) fn delete_one(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    shared.write(|state| {
        let perms = auth::perms(state, req, Scope::StorageWrite)?;
        let filename = required_filename(req)?;
        let id = delete_path(state, &perms, &filename, &shared.base_url)?;
        Ok(Reply::Json(json!({ "data": { "id": id } })))
    })
}

/// `POST /admin/storage/files/delete` with `{filenames}`.
pub(crate) fn delete_many(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let body = req.json()?;
    shared.write(|state| {
        let perms = auth::perms(state, req, Scope::StorageWrite)?;
        let names = Request::array_param(&body, "filenames")?;
        let mut ids = Vec::new();
        for name in &names {
            if let Some(path) = name.as_str()
                && let Some(id) = delete_path(state, &perms, path, &shared.base_url)?
            {
                ids.push(id);
            }
        }
        Ok(Reply::Json(json!({ "data": { "ids": ids } })))
    })
}

fn required_filename(req: &Request) -> ApiResult<String> {
    match req.query_param("filename") {
        None => Err(ApiError::param_missing(&["params", "filename"])),
        Some(name) if name.trim().is_empty() => Err(ApiError::param_malformed(
            &["params", "filename"],
            json!(name),
        )),
        Some(name) => Ok(name.trim().to_owned()),
    }
}

/// `GET /admin/storage/files` (legacy listing).
pub(crate) fn list_legacy(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let state = shared.read();
    let app_id = auth::app_id_authed(&state, req, Scope::StorageWrite)?;
    let app = state.require_app(&app_id)?;
    let mut rows: Vec<(i64, Value)> = app
        .data
        .entities_of("$files")
        .map(|(_, entity)| {
            let location = label_value(app, entity, "location-id")
                .and_then(Value::as_str)
                .unwrap_or("");
            (
                entity.created_at,
                json!({
                    "key": format!("{app_id}/0/{location}"),
                    "name": label_value(app, entity, "path"),
                    "size": label_value(app, entity, "size"),
                    "etag": null,
                    "last_modified": null,
                }),
            )
        })
        .collect();
    rows.sort_by_key(|(created_at, _)| *created_at);
    Ok(Reply::Json(
        json!({ "data": rows.into_iter().map(|(_, row)| row).collect::<Vec<_>>() }),
    ))
}

/// `GET /admin/storage/signed-download-url?filename=` (legacy).
pub(crate) fn signed_download_url(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let state = shared.read();
    let app_id = auth::app_id_authed(&state, req, Scope::StorageRead)?;
    let filename = required_filename(req)?;
    let app = state.require_app(&app_id)?;
    let url = file_by_path(app, &filename)
        .and_then(|id| app.data.entity("$files", &id))
        .and_then(|entity| label_value(app, entity, "location-id"))
        .and_then(Value::as_str)
        .map(|location| download_url(&shared.base_url, &app_id, location));
    Ok(Reply::Json(json!({ "data": url })))
}

/// `GET /storage/<app-id>/<location-id>`: the bytes of a stored file.
pub(crate) fn download(shared: &Arc<Shared>, app_id: &str, location_id: &str) -> ApiResult<Reply> {
    let state = shared.read();
    let app_id = Uuid::parse_str(app_id).map_err(|_| ApiError::route_not_found())?;
    let location: String = url::form_urlencoded::parse(format!("l={location_id}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    let app = state
        .app(&app_id)
        .ok_or_else(|| ApiError::record_not_found("file", None))?;
    let bytes: Bytes = app
        .files
        .get(&location)
        .cloned()
        .ok_or_else(|| ApiError::record_not_found("file", None))?;
    let entity = label_attr_owner(app, &location);
    let header = |label: &str| {
        entity
            .and_then(|entity| label_value(app, entity, label))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    Ok(Reply::File {
        content_type: header("content-type"),
        content_disposition: header("content-disposition"),
        content_encoding: None,
        bytes,
    })
}

/// The `$files` entity whose `location-id` is `location`.
fn label_attr_owner<'a>(app: &'a App, location: &str) -> Option<&'a Entity> {
    let attr = app.meta.attrs.by_fwd("$files", "location-id")?;
    let id = app.data.with_value(attr.id, &json!(location))?.first()?;
    app.data.entity("$files", id)
}
