//! Background schema jobs (`db/indexing_jobs.clj`): `index`, `unique`, `required`,
//! `check-data-type` and their removals.
//!
//! A job is created `waiting`, moves to `processing` (setting the attribute's in-progress flag:
//! `indexing?`, `setting-unique?`, `checking-data-type?`), checks the app's data for real, and
//! ends `completed` (the constraint is now on the attribute) or `errored` with upstream's error
//! names and an `invalid_triples_sample` of up to 10 offending triples. Each stage takes
//! [`crate::server::Config::job_stage_delay`] of wall-clock time so clients see the progression.
//! Jobs of a group run one after another; jobs left unfinished by a crash are resumed at start.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::clock;
use crate::error::ApiResult;
use crate::server::Shared;
use crate::store::attrs::{Attr, DataType, json_type};
use crate::store::data::value_key;
use crate::store::{App, Job};

const SAMPLE_SIZE: usize = 10;

/// Creates a job row (status `waiting`).
pub(crate) fn new_job(
    app: &App,
    group_id: Uuid,
    attr_id: Uuid,
    job_type: &str,
    checked_data_type: Option<&str>,
) -> Job {
    let now = clock::now_ms();
    Job {
        id: Uuid::new_v4(),
        group_id,
        attr_id,
        attr_name: app
            .meta
            .attrs
            .get(&attr_id)
            .map(Attr::fwd_name)
            .unwrap_or_default(),
        job_type: job_type.to_owned(),
        status: "waiting".to_owned(),
        stage: first_stage(job_type).to_owned(),
        checked_data_type: checked_data_type.map(str::to_owned),
        work_estimate: None,
        work_completed: None,
        error: None,
        invalid_unique_value: None,
        invalid_triples_sample: None,
        error_data: None,
        created_at: now,
        updated_at: now,
        done_at: None,
    }
}

fn first_stage(job_type: &str) -> &'static str {
    match job_type {
        "check-data-type" => "estimate-work",
        _ => "update-attr-start",
    }
}

fn serial_key(job_type: &str) -> &'static str {
    match job_type {
        "check-data-type" | "remove-data-type" => "data-type",
        "index" | "remove-index" => "index",
        "unique" | "remove-unique" => "unique",
        _ => "required",
    }
}

fn iso_or_null(ms: Option<i64>) -> Value {
    ms.map_or(Value::Null, |ms| json!(clock::iso(ms)))
}

/// The columns both job formats share.
fn common_row(app_id: &Uuid, job: &Job) -> Map<String, Value> {
    let row = json!({
        "id": job.id,
        "app_id": app_id,
        "group_id": job.group_id,
        "attr_id": job.attr_id,
        "job_type": job.job_type,
        "job_status": job.status,
        "job_stage": job.stage,
        "work_estimate": job.work_estimate,
        "work_completed": job.work_completed,
        "error": job.error,
        "checked_data_type": job.checked_data_type,
        "created_at": clock::iso(job.created_at),
        "updated_at": clock::iso(job.updated_at),
        "done_at": iso_or_null(job.done_at),
        "invalid_unique_value": job.invalid_unique_value,
        "error_data": job.error_data,
    });
    match row {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The raw row the apply endpoints return (no `attr_name`, no samples).
pub(crate) fn raw_row(app_id: &Uuid, job: &Job) -> Value {
    let mut row = common_row(app_id, job);
    row.insert("job_serial_key".into(), json!(serial_key(&job.job_type)));
    row.insert("job_dependency".into(), Value::Null);
    row.insert("invalid_entity_id".into(), Value::Null);
    Value::Object(row)
}

/// The client format the polling endpoints return (`job->client-format`).
pub(crate) fn client_row(app_id: &Uuid, job: &Job) -> Value {
    let mut row = common_row(app_id, job);
    row.insert("attr_name".into(), json!(job.attr_name));
    row.insert(
        "invalid_triples_sample".into(),
        job.invalid_triples_sample.clone().unwrap_or(Value::Null),
    );
    Value::Object(row)
}

/// Runs the unfinished jobs of `group_id` in the background.
pub(crate) fn spawn_group(shared: &Arc<Shared>, app_id: Uuid, group_id: Uuid) {
    let shared = Arc::clone(shared);
    shared.runtime.clone().spawn(async move {
        loop {
            let next = {
                let state = shared.read();
                state.app(&app_id).and_then(|app| {
                    app.meta
                        .jobs
                        .iter()
                        .find(|job| job.group_id == group_id && !job.is_done())
                        .map(|job| job.id)
                })
            };
            let Some(job_id) = next else { break };
            tokio::time::sleep(shared.config.job_stage_delay).await;
            if step(&shared, app_id, job_id, start).is_err() {
                break;
            }
            tokio::time::sleep(shared.config.job_stage_delay).await;
            if step(&shared, app_id, job_id, finish).is_err() {
                break;
            }
        }
    });
}

/// Resumes every unfinished job (after loading a data directory).
pub(crate) fn resume_all(shared: &Arc<Shared>) {
    let groups: Vec<(Uuid, Uuid)> = {
        let state = shared.read();
        let mut groups = Vec::new();
        for app in state.apps.values().filter(|app| app.is_live()) {
            for job in app.meta.jobs.iter().filter(|job| !job.is_done()) {
                if !groups.contains(&(app.meta.id, job.group_id)) {
                    groups.push((app.meta.id, job.group_id));
                }
            }
        }
        groups
    };
    for (app_id, group_id) in groups {
        spawn_group(shared, app_id, group_id);
    }
}

fn step(shared: &Arc<Shared>, app_id: Uuid, job_id: Uuid, f: fn(&mut App, usize)) -> ApiResult<()> {
    shared.write(|state| {
        if let Some(app) = state.app_mut(&app_id)
            && let Some(index) = app.meta.jobs.iter().position(|job| job.id == job_id)
        {
            f(app, index);
        }
        Ok(())
    })
}

/// waiting → processing: estimate the work and flag the attribute.
fn start(app: &mut App, index: usize) {
    let job = &app.meta.jobs[index];
    let attr_id = job.attr_id;
    let job_type = job.job_type.clone();
    let estimate = app
        .meta
        .attrs
        .get(&attr_id)
        .map_or(0, |attr| app.data.count(&attr.forward.etype) as u64);
    if let Some(attr) = app.meta.attrs.by_id.get_mut(&attr_id) {
        match job_type.as_str() {
            "index" => attr.indexing = true,
            "unique" => attr.setting_unique = true,
            "check-data-type" => attr.checking_data_type = true,
            _ => {}
        }
    }
    let job = &mut app.meta.jobs[index];
    job.status = "processing".to_owned();
    job.stage = "update-triples".to_owned();
    job.work_estimate = Some(estimate);
    job.work_completed = Some(0);
    job.updated_at = clock::now_ms();
}

/// processing → completed/errored: check the data and set or clear the constraint.
fn finish(app: &mut App, index: usize) {
    let job = app.meta.jobs[index].clone();
    let now = clock::now_ms();
    let outcome = match app.meta.attrs.get(&job.attr_id).cloned() {
        None => Err(("invalid-attr-state-error", None, Vec::new())),
        Some(attr) => check(app, &attr, &job),
    };
    if let Some(attr) = app.meta.attrs.by_id.get_mut(&job.attr_id) {
        attr.indexing = false;
        attr.setting_unique = false;
        attr.checking_data_type = false;
        if outcome.is_ok() {
            match job.job_type.as_str() {
                "index" => attr.index = true,
                "remove-index" => attr.index = false,
                "unique" => attr.unique = true,
                "remove-unique" => attr.unique = false,
                "required" => attr.required = true,
                "remove-required" => attr.required = false,
                "check-data-type" => {
                    attr.checked_data_type =
                        job.checked_data_type.as_deref().and_then(DataType::parse);
                }
                "remove-data-type" => attr.checked_data_type = None,
                _ => {}
            }
        }
    }
    let job = &mut app.meta.jobs[index];
    job.updated_at = now;
    job.done_at = Some(now);
    job.work_completed = job.work_estimate;
    match outcome {
        Ok(()) => {
            job.status = "completed".to_owned();
            job.stage = "update-attr-done".to_owned();
        }
        Err((error, unique_value, sample)) => {
            job.status = "errored".to_owned();
            job.error = Some(error.to_owned());
            job.invalid_unique_value = unique_value;
            job.invalid_triples_sample = Some(Value::Array(sample));
        }
    }
}

type JobFailure = (&'static str, Option<Value>, Vec<Value>);

fn sample_row(eid: &Uuid, value: &Value) -> Value {
    json!({ "entity_id": eid, "value": value, "json_type": json_type(value) })
}

/// The data check of one job.
fn check(app: &App, attr: &Attr, job: &Job) -> Result<(), JobFailure> {
    let etype = attr.forward.etype.as_str();
    match job.job_type.as_str() {
        "unique" => {
            let mut seen: HashMap<String, Vec<(Uuid, Value)>> = HashMap::new();
            for (eid, entity) in app.data.entities_of(etype) {
                let values: Vec<Value> = if attr.is_ref() {
                    entity
                        .refs
                        .get(&attr.id)
                        .map(|links| links.iter().map(|t| json!(t)).collect())
                        .unwrap_or_default()
                } else {
                    entity
                        .values
                        .get(&attr.id)
                        .filter(|v| !v.is_null())
                        .cloned()
                        .into_iter()
                        .collect()
                };
                for value in values {
                    seen.entry(value_key(&value))
                        .or_default()
                        .push((*eid, value));
                }
            }
            let duplicate = app.data.entities_of(etype).find_map(|(eid, _)| {
                seen.values()
                    .find(|holders| holders.len() > 1 && holders.iter().any(|(id, _)| id == eid))
            });
            match duplicate {
                None => Ok(()),
                Some(holders) => {
                    let value = holders[0].1.clone();
                    let sample = holders
                        .iter()
                        .take(SAMPLE_SIZE)
                        .map(|(eid, value)| sample_row(eid, value))
                        .collect();
                    Err(("triple-not-unique-error", Some(value), sample))
                }
            }
        }
        "required" => {
            let sample: Vec<Value> = app
                .data
                .entities_of(etype)
                .filter(|(_, entity)| {
                    if attr.is_ref() {
                        entity
                            .refs
                            .get(&attr.id)
                            .is_none_or(|links| links.is_empty())
                    } else {
                        entity.values.get(&attr.id).is_none_or(Value::is_null)
                    }
                })
                .take(SAMPLE_SIZE)
                .map(|(eid, _)| sample_row(eid, &Value::Null))
                .collect();
            if sample.is_empty() {
                Ok(())
            } else {
                Err(("missing-required-error", None, sample))
            }
        }
        "check-data-type" => {
            let Some(data_type) = job.checked_data_type.as_deref().and_then(DataType::parse) else {
                return Err(("unexpected-error", None, Vec::new()));
            };
            let sample: Vec<Value> = app
                .data
                .entities_of(etype)
                .filter_map(|(eid, entity)| {
                    let value = entity.values.get(&attr.id)?;
                    (!data_type.accepts(value)).then(|| sample_row(eid, value))
                })
                .take(SAMPLE_SIZE)
                .collect();
            if sample.is_empty() {
                Ok(())
            } else {
                Err(("invalid-triple-error", None, sample))
            }
        }
        _ => Ok(()),
    }
}
