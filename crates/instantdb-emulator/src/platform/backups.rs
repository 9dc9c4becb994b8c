//! Backups (`backup.clj`, the `/dash/apps/:app_id/backups…` routes of `dash/routes.clj`).
//!
//! [`create`] takes a backup the way upstream's backup job writes one: `config.json` (counts,
//! triple count, schema defs, rules, webhooks, title, ids, time, description) and one
//! `entities/<etype>.jsonl` shard per namespace, one line per entity
//! (`{"entity": {label: value, …}, "createdAt": ms}`, labels in attribute-id order, links as
//! ids, many-links as arrays), each zstd-compressed. The files are kept in the app's file store
//! under `backup/<backup-id>/<name>` and served, with `Content-Encoding: zstd` as S3 serves
//! them, at an unguessable URL (upstream presigns S3 URLs). Storage files are not copied: the
//! storage listing points at the app's live files, as upstream's does.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::auth::{self, Role, Scope};
use crate::clock;
use crate::crypto;
use crate::error::{ApiError, ApiResult};
use crate::platform::routes::path_uuid;
use crate::server::{Reply, Request, Shared};
use crate::store::attrs::{Attrs, Cardinality, is_hidden};
use crate::store::{App, Backup, State};

/// What a backup is called when nobody described it (`complete-streams`).
const DEFAULT_DESCRIPTION: &str = "Automated Daily Snapshot";

/// The key of a backup file in [`App::files`].
fn file_key(backup: &Uuid, name: &str) -> String {
    format!("backup/{backup}/{name}")
}

/// `schema/schema->defs`: the app's schema as `{entities, links}` defs (hidden attributes and
/// `id` left out, untyped attributes as `any`).
fn schema_defs(attrs: &Attrs) -> Value {
    let mut entities: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut links = Map::new();
    for attr in attrs.iter().filter(|attr| !is_hidden(attr)) {
        let (etype, label) = (&attr.forward.etype, &attr.forward.label);
        if let Some(reverse) = attr.reverse.as_ref().filter(|_| attr.is_ref()) {
            let mut forward = json!({
                "on": etype,
                "label": label,
                "has": if attr.cardinality == Cardinality::Many { "many" } else { "one" },
            });
            if attr.required {
                forward["required"] = json!(true);
            }
            if attr.on_delete {
                forward["onDelete"] = json!("cascade");
            }
            let mut back = json!({
                "on": reverse.etype,
                "label": reverse.label,
                "has": if attr.unique { "one" } else { "many" },
            });
            if attr.on_delete_reverse {
                back["onDelete"] = json!("cascade");
            }
            let mut chars = label.chars();
            let link_name = match chars.next() {
                Some(first) => format!("{etype}{}{}", first.to_uppercase(), chars.as_str()),
                None => etype.clone(),
            };
            links.insert(link_name, json!({ "forward": forward, "reverse": back }));
            continue;
        }
        let attrs_of = entities.entry(etype.clone()).or_default();
        if label == "id" {
            continue;
        }
        let mut def = json!({
            "valueType": attr.checked_data_type.map_or("any", |t| t.as_str()),
            "config": { "unique": attr.unique, "indexed": attr.index },
        });
        if attr.required {
            def["required"] = json!(true);
        }
        attrs_of.insert(label.clone(), def);
    }
    let entities: Map<String, Value> = entities
        .into_iter()
        .map(|(etype, attrs)| (etype, json!({ "attrs": attrs })))
        .collect();
    json!({ "entities": entities, "links": links })
}

/// One namespace's shard, uncompressed, with its entity and triple counts.
fn shard(app: &App, etype: &str) -> (Vec<u8>, u64, u64) {
    let mut ids: Vec<&Uuid> = app.data.entities_of(etype).map(|(id, _)| id).collect();
    ids.sort();
    let id_attr = app.meta.attrs.by_fwd(etype, "id").map(|attr| attr.id);
    let (mut out, mut triples) = (Vec::new(), 0u64);
    for id in &ids {
        let Some(entity) = app.data.entity(etype, id) else {
            continue;
        };
        // Triples in upstream's order (by attribute id), the `id` triple included.
        let mut fields: Vec<(Uuid, &str, Value)> = Vec::new();
        fields.push((id_attr.unwrap_or(Uuid::nil()), "id", json!(id)));
        for (attr_id, value) in &entity.values {
            if let Some(attr) = app.meta.attrs.get(attr_id) {
                fields.push((*attr_id, &attr.forward.label, value.clone()));
            }
        }
        for (attr_id, targets) in &entity.refs {
            let Some(attr) = app.meta.attrs.get(attr_id) else {
                continue;
            };
            if targets.is_empty() {
                continue;
            }
            let value = if attr.cardinality == Cardinality::Many {
                json!(targets.iter().collect::<Vec<_>>())
            } else {
                json!(targets.first())
            };
            fields.push((*attr_id, &attr.forward.label, value));
        }
        fields.sort_by_key(|(attr_id, _, _)| *attr_id);
        let mut object = Map::new();
        for (_, label, value) in fields {
            triples += match &value {
                Value::Array(items) => items.len() as u64,
                _ => 1,
            };
            object.insert(label.to_owned(), value);
        }
        let line = json!({ "entity": object, "createdAt": entity.created_at });
        out.extend_from_slice(line.to_string().as_bytes());
        out.push(b'\n');
    }
    (out, ids.len() as u64, triples)
}

fn zstd(bytes: &[u8]) -> Bytes {
    Bytes::from(ruzstd::encoding::compress_to_vec(
        bytes,
        ruzstd::encoding::CompressionLevel::Fastest,
    ))
}

/// Takes a backup of `app_id` now; returns its id. `ttl_ms` is how long it stays listed.
pub(crate) fn create(
    state: &mut State,
    app_id: Uuid,
    description: Option<&str>,
    ttl_ms: i64,
) -> ApiResult<Uuid> {
    let isn = crate::store::isn(state.tx_seq);
    let app = state.require_app_mut(&app_id)?;
    let now = clock::now_ms();
    prune(app, now);
    let id = Uuid::new_v4();
    let description = description.unwrap_or(DEFAULT_DESCRIPTION).to_owned();
    let mut etypes: Vec<String> = app.data.etypes().map(str::to_owned).collect();
    // S3 lists keys in byte order.
    etypes.sort();
    let (mut counts, mut triple_count) = (BTreeMap::new(), 0u64);
    let mut stored: Vec<(String, Bytes)> = Vec::new();
    let mut uncompressed = 0u64;
    for etype in &etypes {
        let (raw, entities, triples) = shard(app, etype);
        counts.insert(etype.clone(), entities);
        triple_count += triples;
        uncompressed += raw.len() as u64;
        stored.push((format!("entities/{etype}.jsonl"), zstd(&raw)));
    }
    let webhooks: Vec<Value> = app
        .meta
        .webhooks
        .iter()
        .map(|webhook| {
            json!({
                "namespaces": webhook.namespaces,
                "sink": { "url": webhook.url },
                "status": if webhook.enabled { "active" } else { "disabled" },
                "actions": webhook.actions,
            })
        })
        .collect();
    let config = json!({
        "counts": counts,
        "tripleCount": triple_count,
        "schema": schema_defs(&app.meta.attrs),
        "rules": app.meta.perms,
        "webhooks": webhooks,
        "emailTemplates": [],
        "authorizedRedirectOrigins": [],
        "title": app.meta.title,
        "appId": app_id,
        "backupAt": clock::iso(now),
        "isn": isn,
        "description": description,
    });
    let config = config.to_string().into_bytes();
    let db_size = uncompressed;
    uncompressed += config.len() as u64;
    stored.insert(0, ("config.json".to_owned(), zstd(&config)));
    let storage: Vec<(String, String)> = storage_files(app);
    let files_size: u64 = app.meta.file_sizes.values().map(|size| *size as u64).sum();
    let mut files = Vec::new();
    for (name, bytes) in stored {
        files.push((name.clone(), bytes.len() as u64));
        app.files.insert(file_key(&id, &name), bytes);
    }
    app.meta.backups.push(Backup {
        id,
        isn,
        backup_at: now,
        expires_at: now.saturating_add(ttl_ms),
        description,
        files: files.clone(),
        files_size: (!app.meta.file_sizes.is_empty()).then_some(files_size),
        db_size,
        uncompressed_size: uncompressed,
        storage,
        url_token: crypto::random_hex(16),
        deleted: false,
        job_id: None,
    });
    for (name, _) in files {
        state.dirty.files.insert((app_id, file_key(&id, &name)));
    }
    tracing::info!(%app_id, backup = %id, "backup taken");
    Ok(id)
}

/// `(location id, path)` of every `$files` entity with a stored location.
fn storage_files(app: &App) -> Vec<(String, String)> {
    let (Some(path), Some(location)) = (
        app.meta.attrs.by_fwd("$files", "path").map(|a| a.id),
        app.meta.attrs.by_fwd("$files", "location-id").map(|a| a.id),
    ) else {
        return Vec::new();
    };
    let mut out: Vec<(String, String)> = app
        .data
        .entities_of("$files")
        .filter_map(|(_, entity)| {
            let location = entity.values.get(&location)?.as_str()?.to_owned();
            let path = entity.values.get(&path)?.as_str()?.to_owned();
            Some((location, path))
        })
        .collect();
    out.sort();
    out
}

/// Drops the files of backups that expired or were deleted (their rows stay, as upstream's).
fn prune(app: &mut App, now: i64) {
    let gone: Vec<(Uuid, Vec<String>)> = app
        .meta
        .backups
        .iter()
        .filter(|backup| backup.deleted || backup.expires_at <= now)
        .map(|backup| {
            (
                backup.id,
                backup.files.iter().map(|(n, _)| n.clone()).collect(),
            )
        })
        .collect();
    for (id, names) in gone {
        for name in names {
            app.files.remove(&file_key(&id, &name));
        }
    }
}

/// `app-backup-row->response`.
fn row(backup: &Backup) -> Value {
    json!({
        "id": backup.id,
        "isn": backup.isn,
        "backup_at": clock::iso(backup.backup_at),
        "files_size": backup.files_size,
        "db_size": backup.db_size,
        "uncompressed_size": backup.uncompressed_size,
        "description": backup.description,
        "expires_at": clock::iso(backup.expires_at),
    })
}

/// `get-active-app-backup!`.
fn active<'a>(app: &'a App, raw_id: &str) -> ApiResult<&'a Backup> {
    let id = path_uuid(raw_id, "backup_id")?;
    let backup = app
        .meta
        .backups
        .iter()
        .find(|backup| backup.id == id && !backup.deleted)
        .ok_or_else(|| ApiError::record_not_found("app-backup", Some(json!({ "id": id }))))?;
    if backup.expires_at <= clock::now_ms() {
        return Err(ApiError::record_expired_with_hint(
            "app-backup",
            json!({ "id": id }),
        ));
    }
    Ok(backup)
}

fn percent_encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// The URL a backup file is served at.
fn file_url(base: &str, app_id: &Uuid, backup: &Backup, name: &str) -> String {
    let name: Vec<String> = name.split('/').map(percent_encode).collect();
    format!(
        "{base}/backups/{app_id}/{}/{}/{}",
        backup.id,
        backup.url_token,
        name.join("/")
    )
}

/// The `/dash/apps/:app_id/backups…` GET routes (`data-read`, collaborator, admin tokens too).
pub(crate) fn get(
    shared: &Arc<Shared>,
    req: &Request,
    app_id: &str,
    rest: &[&str],
) -> ApiResult<Reply> {
    let app_id = path_uuid(app_id, "app_id")?;
    let state = shared.read();
    let app_id = auth::superadmin_app(&state, req, app_id, Scope::DataRead, Role::Collaborator)?;
    let app = state.require_app(&app_id)?;
    let now = clock::now_ms();
    match rest {
        [] => {
            let mut listed: Vec<&Backup> = app
                .meta
                .backups
                .iter()
                .filter(|backup| !backup.deleted && backup.expires_at > now)
                .collect();
            listed.sort_by_key(|backup| std::cmp::Reverse(backup.backup_at));
            let rows: Vec<Value> = listed.into_iter().map(row).collect();
            Ok(Reply::Json(json!({ "backups": rows })))
        }
        [backup_id, "files"] => {
            let backup = active(app, backup_id)?;
            let files: Vec<Value> = backup
                .files
                .iter()
                .map(|(name, size)| json!({ "name": name, "size": size }))
                .collect();
            Ok(Reply::Json(json!({ "files": files })))
        }
        [backup_id, "file-url"] => {
            let backup = active(app, backup_id)?;
            let name = match req.query_param("name").map(str::trim) {
                None => return Err(ApiError::param_missing(&["params", "name"])),
                Some("") => {
                    return Err(ApiError::param_malformed(&["params", "name"], json!("")));
                }
                Some(name) => name,
            };
            Ok(Reply::Json(
                json!({ "url": file_url(&shared.base_url, &app_id, backup, name) }),
            ))
        }
        [backup_id, "storage-files"] => {
            let backup = active(app, backup_id)?;
            let mut out = String::new();
            for (location, path) in &backup.storage {
                let url = crate::storage::download_url(&shared.base_url, &app_id, location);
                out.push_str(
                    &json!({ "locationId": location, "path": path, "url": url }).to_string(),
                );
                out.push('\n');
            }
            out.push_str("{\"done\":true}\n");
            Ok(Reply::File {
                content_type: Some("application/x-ndjson".to_owned()),
                content_disposition: None,
                content_encoding: None,
                bytes: Bytes::from(out),
            })
        }
        _ => Err(ApiError::route_not_found()),
    }
}

/// `app-backup-jobs/job->client-format` of the job that took `backup` (on-demand jobs run to
/// completion before the request returns).
fn job_json(app_id: &Uuid, backup: &Backup) -> Value {
    json!({
        "id": backup.job_id,
        "app_id": app_id,
        "app_backup_id": backup.id,
        "job_status": "completed",
        "description": backup.description,
        "work_estimate": 1,
        "work_completed": 1,
        "created_at": clock::iso(backup.backup_at),
        "updated_at": clock::iso(backup.backup_at),
        "done_at": clock::iso(backup.backup_at),
    })
}

/// `POST /dash/apps/:app_id/backups {description?}` (`apps-write`, collaborator): an on-demand
/// backup. Upstream queues a job that a worker runs; the emulator takes the backup at once and
/// answers `{job}` already `completed`.
pub(crate) fn create_on_demand(
    shared: &Arc<Shared>,
    req: &Request,
    app_id: &str,
) -> ApiResult<Reply> {
    let app_id = path_uuid(app_id, "app_id")?;
    let body = req.json()?;
    let ttl_ms = shared.config.backup_ttl_ms();
    shared.write(|state| {
        let app_id =
            auth::superadmin_app(state, req, app_id, Scope::AppsWrite, Role::Collaborator)?;
        let description = match Request::body_field(&body, "description") {
            None => None,
            Some(Value::String(text)) if !text.trim().is_empty() => Some(text.trim().to_owned()),
            Some(other) => {
                return Err(ApiError::param_malformed(
                    &["body", "description"],
                    other.clone(),
                ));
            }
        };
        if state.require_app(&app_id)?.meta.ephemeral {
            return Err(ApiError::validation_msg(
                "app-backup-job",
                json!({ "app-id": app_id }),
                "Ephemeral apps can't be backed up.",
            ));
        }
        let id = create(state, app_id, description.as_deref(), ttl_ms)?;
        let app = state.require_app_mut(&app_id)?;
        let backup = app
            .meta
            .backups
            .iter_mut()
            .find(|backup| backup.id == id)
            .ok_or_else(ApiError::internal)?;
        backup.job_id = Some(Uuid::new_v4());
        Ok(Reply::Json(json!({ "job": job_json(&app_id, backup) })))
    })
}

/// `GET /dash/apps/:app_id/backup-jobs[/:job_id]` (`apps-read`): the in-progress jobs (always
/// none: on-demand backups finish within their request), or one job.
pub(crate) fn jobs(
    shared: &Arc<Shared>,
    req: &Request,
    app_id: &str,
    job_id: Option<&str>,
) -> ApiResult<Reply> {
    let app_id = path_uuid(app_id, "app_id")?;
    let state = shared.read();
    let app_id = auth::superadmin_app(&state, req, app_id, Scope::AppsRead, Role::Collaborator)?;
    let app = state.require_app(&app_id)?;
    let Some(job_id) = job_id else {
        return Ok(Reply::Json(json!({ "jobs": [] })));
    };
    let job_id = path_uuid(job_id, "job_id")?;
    // `get-by-id-for-client` answers nil for an unknown job.
    let job = app
        .meta
        .backups
        .iter()
        .find(|backup| backup.job_id == Some(job_id))
        .map_or(Value::Null, |backup| job_json(&app_id, backup));
    Ok(Reply::Json(json!({ "job": job })))
}

/// `DELETE /dash/apps/:app_id/backups/:backup_id` (admins, `apps-write`): a soft delete →
/// `{id}`.
pub(crate) fn delete(
    shared: &Arc<Shared>,
    req: &Request,
    app_id: &str,
    backup_id: &str,
) -> ApiResult<Reply> {
    let app_id = path_uuid(app_id, "app_id")?;
    let id = path_uuid(backup_id, "backup_id")?;
    shared.write(|state| {
        let app_id = auth::superadmin_app(state, req, app_id, Scope::AppsWrite, Role::Admin)?;
        let app = state.require_app_mut(&app_id)?;
        let backup = app
            .meta
            .backups
            .iter_mut()
            .find(|backup| backup.id == id && !backup.deleted)
            .ok_or_else(|| ApiError::record_not_found("app-backup", Some(json!({ "id": id }))))?;
        backup.deleted = true;
        let keys: Vec<String> = backup
            .files
            .iter()
            .map(|(name, _)| file_key(&id, name))
            .collect();
        for key in &keys {
            app.files.remove(key);
        }
        for key in keys {
            state.dirty.files.insert((app_id, key));
        }
        Ok(Reply::Json(json!({ "id": id })))
    })
}

/// `GET /backups/<app-id>/<backup-id>/<token>/<name…>`: a backup file, zstd-encoded.
pub(crate) fn download(shared: &Arc<Shared>, parts: &[&str]) -> ApiResult<Reply> {
    let not_found = || ApiError::record_not_found("app-backup-file", None);
    let [app_id, backup_id, token, name @ ..] = parts else {
        return Err(not_found());
    };
    let (Ok(app_id), Ok(backup_id)) = (Uuid::parse_str(app_id), Uuid::parse_str(backup_id)) else {
        return Err(not_found());
    };
    let name: Vec<String> = name
        .iter()
        .map(|segment| {
            url::form_urlencoded::parse(format!("s={}", segment.replace('+', "%2B")).as_bytes())
                .next()
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default()
        })
        .collect();
    let name = name.join("/");
    let state = shared.read();
    let app = state.app(&app_id).ok_or_else(not_found)?;
    let backup = app
        .meta
        .backups
        .iter()
        .find(|backup| backup.id == backup_id && !backup.deleted)
        .filter(|backup| crypto::constant_eq(backup.url_token.as_bytes(), token.as_bytes()))
        .ok_or_else(not_found)?;
    let bytes = app
        .files
        .get(&file_key(&backup.id, &name))
        .cloned()
        .ok_or_else(not_found)?;
    let content_type = if name == "config.json" {
        "application/json"
    } else {
        "application/x-jsonlines"
    };
    Ok(Reply::File {
        content_type: Some(content_type.to_owned()),
        content_disposition: None,
        content_encoding: Some("zstd"),
        bytes,
    })
}
