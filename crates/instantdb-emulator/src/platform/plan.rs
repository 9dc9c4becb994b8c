//! Schema push on the server side (`model/schema.clj`): reading the wire schema the SDK sends,
//! planning the additive push (`schemas->ops`, `plan-errors`), the API schema (`attrs->schema`),
//! and applying plan steps — additive plans and the overwrite mode's client-computed steps
//! (`apply-plan!`, `apply-plan-with-deletes!`).
//!
//! The wire schema is read into `instantdb_schema::SchemaDef` by this module's own lenient
//! reader (the server reads `config.unique`, `config.indexed`, `required === true` and
//! `valueType`; it ignores `isIndexed`, link names, entity `links` and rooms). The emulator does
//! not use the client crates' wire code, so a casing bug there cannot hide behind agreement.

use indexmap::IndexMap;
use instantdb_schema::{
    AttrDef, EntityDef, Has, LinkDef, LinkForward, LinkReverse, OnDelete, SchemaDef, ValueType,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::store::App;
use crate::store::attrs::{
    Attr, Attrs, Cardinality, DataType, Ident, ValueKind, is_hidden, is_reserved_ident,
};
use crate::store::data::Journal;

// ---- Reading the wire schema ----------------------------------------------------------------

fn read_has(value: Option<&Value>) -> Has {
    match value.and_then(Value::as_str) {
        Some("one") => Has::One,
        _ => Has::Many,
    }
}

fn read_on_delete(value: Option<&Value>) -> Option<OnDelete> {
    (value.and_then(Value::as_str) == Some("cascade")).then_some(OnDelete::Cascade)
}

/// Reads `JSON.stringify(i.schema(...))` the way `defs->schema` does.
pub(crate) fn read_wire_schema(value: &Value) -> ApiResult<SchemaDef> {
    let object = value.as_object().ok_or_else(|| {
        ApiError::validation_msg("schema", value.clone(), "The schema must be an object.")
    })?;
    let mut schema = SchemaDef::default();
    if let Some(entities) = object.get("entities").and_then(Value::as_object) {
        for (etype, entity) in entities {
            let mut def = EntityDef::default();
            if let Some(attrs) = entity.get("attrs").and_then(Value::as_object) {
                for (label, attr) in attrs {
                    let config = attr.get("config");
                    let flag = |key: &str| {
                        config
                            .and_then(|c| c.get(key))
                            .is_some_and(|v| !matches!(v, Value::Null | Value::Bool(false)))
                    };
                    let value_type = match attr.get("valueType").and_then(Value::as_str) {
                        Some("string") => ValueType::String,
                        Some("number") => ValueType::Number,
                        Some("boolean") => ValueType::Boolean,
                        Some("date") => ValueType::Date,
                        _ => ValueType::Json,
                    };
                    def.attrs.insert(
                        label.clone(),
                        AttrDef {
                            value_type,
                            required: attr.get("required") == Some(&Value::Bool(true)),
                            indexed: flag("indexed"),
                            unique: flag("unique"),
                            metadata: Map::new(),
                        },
                    );
                }
            }
            schema.entities.insert(etype.clone(), def);
        }
    }
    if let Some(links) = object.get("links").and_then(Value::as_object) {
        for (name, link) in links {
            let (Some(forward), Some(reverse)) = (link.get("forward"), link.get("reverse")) else {
                continue;
            };
            let text = |side: &Value, key: &str| {
                side.get(key)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            schema.links.insert(
                name.clone(),
                LinkDef {
                    forward: LinkForward {
                        on: text(forward, "on"),
                        has: read_has(forward.get("has")),
                        label: text(forward, "label"),
                        required: forward.get("required").and_then(Value::as_bool),
                        on_delete: read_on_delete(forward.get("onDelete")),
                    },
                    reverse: LinkReverse {
                        on: text(reverse, "on"),
                        has: read_has(reverse.get("has")),
                        label: text(reverse, "label"),
                        on_delete: read_on_delete(reverse.get("onDelete")),
                    },
                },
            );
        }
    }
    Ok(schema)
}

// ---- Desired state ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DesiredBlob {
    unique: bool,
    index: bool,
    required: bool,
    data_type: Option<DataType>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DesiredRef {
    cardinality: Cardinality,
    unique: bool,
    required: bool,
    on_delete: bool,
    on_delete_reverse: bool,
}

/// `defs->schema` after `remove-system-namespaces`: blobs by etype and label, refs by
/// `[fwd-etype fwd-label rev-etype rev-label]`.
#[derive(Debug, Default)]
pub(crate) struct Desired {
    blobs: IndexMap<String, IndexMap<String, DesiredBlob>>,
    refs: IndexMap<[String; 4], DesiredRef>,
}

fn is_system_link(link: &LinkDef) -> bool {
    let system = [
        (
            "$users",
            Has::One,
            "linkedPrimaryUser",
            "$users",
            Has::Many,
            "linkedGuestUsers",
        ),
        (
            "$streams",
            Has::Many,
            "$files",
            "$files",
            Has::One,
            "$stream",
        ),
    ];
    system.iter().any(|(on, has, label, r_on, r_has, r_label)| {
        link.forward.on == *on
            && link.forward.has == *has
            && link.forward.label == *label
            && link.reverse.on == *r_on
            && link.reverse.has == *r_has
            && link.reverse.label == *r_label
    })
}

pub(crate) fn desired(schema: &SchemaDef) -> Desired {
    let mut out = Desired::default();
    for (etype, entity) in &schema.entities {
        let mut blobs = IndexMap::new();
        for (label, attr) in &entity.attrs {
            if is_reserved_ident(etype, label) {
                continue;
            }
            let data_type = match attr.value_type {
                ValueType::String => Some(DataType::String),
                ValueType::Number => Some(DataType::Number),
                ValueType::Boolean => Some(DataType::Boolean),
                ValueType::Date => Some(DataType::Date),
                ValueType::Json => None,
            };
            blobs.insert(
                label.clone(),
                DesiredBlob {
                    unique: attr.unique,
                    index: attr.indexed,
                    required: attr.required,
                    data_type,
                },
            );
        }
        // Entities without attributes are dropped here, so the additive push never creates
        // them (upstream quirk, platform §16 #16).
        if !blobs.is_empty() {
            out.blobs.insert(etype.clone(), blobs);
        }
    }
    for link in schema.links.values() {
        if is_system_link(link) {
            continue;
        }
        out.refs.insert(
            [
                link.forward.on.clone(),
                link.forward.label.clone(),
                link.reverse.on.clone(),
                link.reverse.label.clone(),
            ],
            DesiredRef {
                cardinality: if link.forward.has == Has::One {
                    Cardinality::One
                } else {
                    Cardinality::Many
                },
                unique: link.reverse.has == Has::One,
                required: link.forward.required == Some(true),
                on_delete: link.forward.on_delete.is_some(),
                on_delete_reverse: link.reverse.on_delete.is_some(),
            },
        );
    }
    out
}

// ---- The API schema --------------------------------------------------------------------------

/// Clojure's `str` of a ref key vector: `["a" "b" "c" "d"]`.
pub(crate) fn ref_key(parts: &[&str; 4]) -> String {
    crate::error::clojure_vector(parts)
}

/// An attr as the API schema shows it: `$files.url` is reported as required, since queries
/// always derive it.
fn schema_attr_json(attr: &Attr) -> Value {
    let mut json = attr.to_api_json();
    if attr.system && attr.forward.etype == "$files" && attr.forward.label == "url" {
        json["required?"] = json!(true);
    }
    json
}

/// `attrs->schema`: `{blobs: {etype: {label: attr}}, refs: {key: attr}}`. `join_keys` gives
/// `/admin/schema`'s `fwd-etype-fwd-label-rev-etype-rev-label` ref keys instead.
pub(crate) fn api_schema(attrs: &Attrs, join_keys: bool) -> Value {
    let mut blobs: Map<String, Value> = Map::new();
    let mut refs: Map<String, Value> = Map::new();
    for attr in attrs.iter().filter(|attr| !is_hidden(attr)) {
        let json = schema_attr_json(attr);
        if let Some(reverse) = attr.reverse.as_ref().filter(|_| attr.is_ref()) {
            let parts = [
                attr.forward.etype.as_str(),
                attr.forward.label.as_str(),
                reverse.etype.as_str(),
                reverse.label.as_str(),
            ];
            let key = if join_keys {
                parts.join("-")
            } else {
                ref_key(&parts)
            };
            refs.insert(key, json);
        } else {
            let entry = blobs
                .entry(attr.forward.etype.clone())
                .or_insert_with(|| json!({}));
            if let Some(map) = entry.as_object_mut() {
                map.insert(attr.forward.label.clone(), json);
            }
        }
    }
    json!({ "blobs": blobs, "refs": refs })
}

/// `new-schema` of a plan response: the desired schema in API form (ids `null`).
fn desired_json(desired: &Desired) -> Value {
    let mut blobs = Map::new();
    for (etype, attrs) in &desired.blobs {
        let mut labels = Map::new();
        for (label, blob) in attrs {
            let mut attr = json!({
                "id": null,
                "value-type": "blob",
                "cardinality": "one",
                "forward-identity": [null, etype, label],
                "unique?": blob.unique,
                "index?": blob.index,
                "required?": blob.required,
                "checked-data-type": blob.data_type.map(DataType::as_str),
            });
            if etype.starts_with('$') {
                attr["catalog"] = json!("system");
            } else {
                attr["catalog"] = json!("user");
            }
            labels.insert(label.clone(), attr);
        }
        blobs.insert(etype.clone(), Value::Object(labels));
    }
    let mut refs = Map::new();
    for (key, link) in &desired.refs {
        refs.insert(
            ref_key(&[&key[0], &key[1], &key[2], &key[3]]),
            json!({
                "id": null,
                "value-type": "ref",
                "index?": false,
                "on-delete": link.on_delete.then_some("cascade"),
                "on-delete-reverse": link.on_delete_reverse.then_some("cascade"),
                "forward-identity": [null, key[0], key[1]],
                "reverse-identity": [null, key[2], key[3]],
                "cardinality": cardinality_str(link.cardinality),
                "unique?": link.unique,
                "required?": link.required,
            }),
        );
    }
    json!({ "blobs": blobs, "refs": refs })
}

fn cardinality_str(cardinality: Cardinality) -> &'static str {
    match cardinality {
        Cardinality::One => "one",
        Cardinality::Many => "many",
    }
}

// ---- Planning --------------------------------------------------------------------------------

/// One plan step: `[type, payload]`.
pub(crate) type Step = (String, Value);

fn ident_json(id: Option<Uuid>, etype: &str, label: &str) -> Value {
    json!([id, etype, label])
}

/// `kind` when a constraint is being added, `remove-kind` when it is being dropped.
fn toggled(on: bool, kind: &str) -> String {
    if on {
        kind.to_owned()
    } else {
        format!("remove-{kind}")
    }
}

fn job_step(kind: &str, attr: &Attr) -> Step {
    (
        kind.to_owned(),
        json!({
            "attr-id": attr.id,
            "forward-identity": ident_json(Some(attr.forward.id), &attr.forward.etype, &attr.forward.label),
        }),
    )
}

/// `schemas->ops`.
fn schemas_to_ops(
    attrs: &Attrs,
    desired: &Desired,
    check_types: bool,
    background: bool,
) -> Vec<Step> {
    let current_blob = |etype: &str, label: &str| {
        attrs
            .by_fwd(etype, label)
            .filter(|attr| !attr.is_ref() && !is_hidden(attr))
    };
    let mut steps = Vec::new();
    for etype in desired.blobs.keys() {
        if !attrs
            .iter()
            .any(|attr| !attr.is_ref() && attr.forward.etype == *etype)
        {
            steps.push((
                "add-attr".to_owned(),
                json!({
                    "value-type": "blob",
                    "cardinality": "one",
                    "id": Uuid::new_v4(),
                    "forward-identity": ident_json(Some(Uuid::new_v4()), etype, "id"),
                    "unique?": true,
                    "index?": false,
                }),
            ));
        }
    }
    for (etype, labels) in &desired.blobs {
        for (label, new) in labels {
            if label == "id" {
                continue;
            }
            let Some(current) = current_blob(etype, label) else {
                let mut attr = json!({
                    "value-type": "blob",
                    "cardinality": "one",
                    "id": Uuid::new_v4(),
                    "forward-identity": ident_json(Some(Uuid::new_v4()), etype, label),
                    "unique?": new.unique,
                    "index?": new.index,
                    "required?": new.required,
                });
                if let (true, Some(data_type)) = (check_types, new.data_type) {
                    attr["checked-data-type"] = json!(data_type.as_str());
                }
                steps.push(("add-attr".to_owned(), attr));
                continue;
            };
            let changed_unique = new.unique != current.unique;
            let changed_index = new.index != current.index;
            let changed_required = new.required != current.required;
            let changed_type = check_types && new.data_type != current.checked_data_type;
            if (changed_unique || changed_index || changed_required) && !background {
                steps.push((
                    "update-attr".to_owned(),
                    json!({
                        "value-type": "blob",
                        "cardinality": "one",
                        "id": current.id,
                        "forward-identity": ident_json(Some(current.forward.id), etype, label),
                        "unique?": new.unique,
                        "index?": new.index,
                        "required?": new.required,
                    }),
                ));
            }
            if background {
                if changed_index {
                    steps.push(job_step(&toggled(new.index, "index"), current));
                }
                if changed_unique {
                    steps.push(job_step(&toggled(new.unique, "unique"), current));
                }
                if changed_required {
                    steps.push(job_step(&toggled(new.required, "required"), current));
                }
            }
            if changed_type && !current.system {
                match new.data_type {
                    Some(data_type) => {
                        let (kind, mut payload) = job_step("check-data-type", current);
                        payload["checked-data-type"] = json!(data_type.as_str());
                        steps.push((kind, payload));
                    }
                    None => steps.push(job_step("remove-data-type", current)),
                }
            }
        }
    }
    for (key, new) in &desired.refs {
        let current = attrs.iter().find(|attr| {
            attr.is_ref()
                && attr.forward.etype == key[0]
                && attr.forward.label == key[1]
                && attr
                    .reverse
                    .as_ref()
                    .is_some_and(|r| r.etype == key[2] && r.label == key[3])
        });
        let Some(current) = current else {
            steps.push((
                "add-attr".to_owned(),
                json!({
                    "value-type": "ref",
                    "id": Uuid::new_v4(),
                    "forward-identity": ident_json(Some(Uuid::new_v4()), &key[0], &key[1]),
                    "reverse-identity": ident_json(Some(Uuid::new_v4()), &key[2], &key[3]),
                    "cardinality": cardinality_str(new.cardinality),
                    "unique?": new.unique,
                    "index?": false,
                    "required?": new.required,
                    "on-delete": new.on_delete.then_some("cascade"),
                    "on-delete-reverse": new.on_delete_reverse.then_some("cascade"),
                }),
            ));
            continue;
        };
        let changed_required = new.required != current.required;
        let changed_updatable = new.cardinality != current.cardinality
            || new.unique != current.unique
            || new.on_delete != current.on_delete
            || new.on_delete_reverse != current.on_delete_reverse;
        if !changed_required && !changed_updatable {
            continue;
        }
        if changed_required && background {
            steps.push(job_step(&toggled(new.required, "required"), current));
        }
        if changed_updatable || !background {
            steps.push((
                "update-attr".to_owned(),
                json!({
                    "value-type": "ref",
                    "id": current.id,
                    "forward-identity": ident_json(Some(current.forward.id), &key[0], &key[1]),
                    "reverse-identity": current.reverse.as_ref().map(|r| ident_json(Some(r.id), &r.etype, &r.label)),
                    "cardinality": cardinality_str(new.cardinality),
                    "unique?": new.unique,
                    "index?": false,
                    "required?": new.required,
                    "on-delete": new.on_delete.then_some("cascade"),
                    "on-delete-reverse": new.on_delete_reverse.then_some("cascade"),
                }),
            ));
        }
    }
    steps
}

fn ident_name(value: Option<&Value>) -> Option<(String, String)> {
    let items = value?.as_array()?;
    Some((
        items.get(1)?.as_str()?.to_owned(),
        items.get(2)?.as_str()?.to_owned(),
    ))
}

const DASH: &str =
    "Check your full schema in the dashboard: https://www.instantdb.com/dash?s=main&t=explorer";

/// `plan-errors`: conflicting or duplicate links and cascades on `many` links.
fn plan_errors(attrs: &Attrs, steps: &[Step]) -> Vec<Value> {
    let links: Vec<((String, String), (String, String))> = attrs
        .iter()
        .filter(|attr| attr.is_ref())
        .filter_map(|attr| {
            let reverse = attr.reverse.as_ref()?;
            Some((
                (attr.forward.etype.clone(), attr.forward.label.clone()),
                (reverse.etype.clone(), reverse.label.clone()),
            ))
        })
        .collect();
    let blob_idents: Vec<(String, String)> = attrs
        .iter()
        .filter(|attr| !attr.is_ref())
        .map(|attr| (attr.forward.etype.clone(), attr.forward.label.clone()))
        .collect();
    let dup = |(etype, label): &(String, String)| {
        format!(
            "{etype}->{label}: Duplicate entry found for attribute. Check your schema file for duplicate link definitions. If it's not in the schema file, it may have been generated by the backend. {DASH}"
        )
    };
    let cascade = |(etype, label): &(String, String)| {
        format!(
            "{etype}->{label}: Cascade delete is only possible on links with `has: 'one'`. {DASH}"
        )
    };
    let mut errors = Vec::new();
    for (kind, attr) in steps {
        let fwd = ident_name(attr.get("forward-identity"));
        let rev = ident_name(attr.get("reverse-identity"));
        if kind == "add-attr" {
            let Some(fwd) = fwd.clone() else { continue };
            let current_rev = links
                .iter()
                .find(|(_, r)| *r == fwd)
                .map(|(f, _)| f.clone());
            let message = if (rev.is_some() || current_rev.is_some()) && rev == current_rev {
                Some(format!(
                    "{}->{}: Conflicting link found for attribute. It's possible that you already have a link with the same label names, but in the reverse direction. We cannot automatically swap the direction of the link. To fix this, can: a) swap the `forward` and `reverse` parameters for this link in your schema file, or b) delete the existing link in the dashboard.Check your full schema in the dashboard for a link with the same label names: https://www.instantdb.com/dash?s=main&t=explorer",
                    fwd.0, fwd.1
                ))
            } else if links.iter().any(|(f, r)| *f == fwd || *r == fwd) {
                Some(dup(&fwd))
            } else if let Some(rev) = rev
                .as_ref()
                .filter(|rev| links.iter().any(|(f, r)| f == *rev || r == *rev))
            {
                Some(dup(rev))
            } else if blob_idents.contains(&fwd) {
                Some(dup(&fwd))
            } else {
                None
            };
            if let Some(message) = message {
                errors.push(json!({ "in": ["schema"], "message": message }));
            }
        }
        if kind == "add-attr" || kind == "update-attr" {
            let is_ref = attr.get("value-type").and_then(Value::as_str) == Some("ref");
            let cascade_fwd = attr.get("on-delete").and_then(Value::as_str) == Some("cascade");
            let cascade_rev =
                attr.get("on-delete-reverse").and_then(Value::as_str) == Some("cascade");
            let many = attr.get("cardinality").and_then(Value::as_str) == Some("many");
            let unique = attr
                .get("unique?")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if is_ref && many && cascade_fwd {
                if let Some(fwd) = &fwd {
                    errors.push(json!({ "in": ["schema"], "message": cascade(fwd) }));
                }
            } else if is_ref
                && !unique
                && cascade_rev
                && let Some(rev) = &rev
            {
                errors.push(json!({ "in": ["schema"], "message": cascade(rev) }));
            }
        }
    }
    errors
}

/// A computed additive plan.
pub(crate) struct Plan {
    pub(crate) steps: Vec<Step>,
    pub(crate) response: Map<String, Value>,
}

/// `plan!`: reads the body's schema and plans it against the app's attributes.
pub(crate) fn plan(
    app: &App,
    schema: &Value,
    check_types: bool,
    background: bool,
) -> ApiResult<Plan> {
    let def = read_wire_schema(schema)?;
    let desired = desired(&def);
    let attrs = &app.meta.attrs;
    let steps = schemas_to_ops(attrs, &desired, check_types, background);
    let errors = plan_errors(attrs, &steps);
    if !errors.is_empty() {
        return Err(ApiError::validation("schema", json!("plan"), errors));
    }
    let mut response = Map::new();
    response.insert("new-schema".into(), desired_json(&desired));
    response.insert("current-schema".into(), api_schema(attrs, false));
    response.insert(
        "current-attrs".into(),
        Value::Array(attrs.iter().map(Attr::to_api_json).collect()),
    );
    response.insert("steps".into(), steps_json(&steps));
    Ok(Plan { steps, response })
}

pub(crate) fn steps_json(steps: &[Step]) -> Value {
    Value::Array(
        steps
            .iter()
            .map(|(kind, payload)| json!([kind, payload]))
            .collect(),
    )
}

// ---- Applying --------------------------------------------------------------------------------

/// The background job types (`indexing-jobs/jobs`).
pub(crate) const JOB_TYPES: [&str; 8] = [
    "index",
    "remove-index",
    "unique",
    "remove-unique",
    "required",
    "remove-required",
    "check-data-type",
    "remove-data-type",
];

/// Applies the transactional steps (`add-attr`, `update-attr`, and with `allow_deletes`
/// `delete-attr`) of a plan; returns the steps left for background jobs, in order, with their
/// position in `steps`.
pub(crate) fn apply_steps(app: &mut App, steps: &[Step], allow_deletes: bool) -> ApiResult<()> {
    let mut journal = Journal::default();
    journal.save_attrs(&app.meta.attrs);
    let result = (|| {
        for (kind, payload) in steps {
            match kind.as_str() {
                "add-attr" => {
                    let attr = Attr::from_api_json(payload).map_err(|message| {
                        ApiError::validation_msg("tx-steps", payload.clone(), message)
                    })?;
                    crate::admin::transact::validate_new_attr(&app.meta.attrs, &attr, payload)?;
                    app.meta.attrs.insert(attr);
                }
                "update-attr" => update_attr(app, payload, &mut journal)?,
                "delete-attr" if allow_deletes => {
                    let id = payload
                        .as_str()
                        .and_then(|text| Uuid::parse_str(text).ok())
                        .ok_or_else(|| {
                            ApiError::validation_msg(
                                "tx-steps",
                                payload.clone(),
                                "delete-attr takes an attr id",
                            )
                        })?;
                    if app.meta.attrs.get(&id).is_some_and(|attr| attr.system) {
                        return Err(ApiError::validation_msg(
                            "tx-steps",
                            payload.clone(),
                            "System attributes can't be deleted.",
                        ));
                    }
                    if let Some(attr) = app.meta.attrs.by_id.shift_remove(&id) {
                        app.data.drop_attr(&attr, &mut journal);
                    }
                }
                kind if JOB_TYPES.contains(&kind) => {
                    let attr_id = payload
                        .get("attr-id")
                        .and_then(Value::as_str)
                        .and_then(|text| Uuid::parse_str(text).ok());
                    if attr_id.is_none_or(|id| app.meta.attrs.get(&id).is_none()) {
                        return Err(ApiError::record_not_found(
                            "attrs",
                            Some(json!({ "attr-id": payload.get("attr-id") })),
                        ));
                    }
                    if kind == "check-data-type"
                        && payload
                            .get("checked-data-type")
                            .and_then(Value::as_str)
                            .and_then(DataType::parse)
                            .is_none()
                    {
                        return Err(ApiError::validation_msg(
                            "tx-steps",
                            payload.clone(),
                            "check-data-type needs a `checked-data-type` of string, number, boolean or date",
                        ));
                    }
                }
                other => {
                    return Err(ApiError::validation_msg(
                        "tx-steps",
                        json!([other, payload]),
                        format!("Unsupported schema step {other}"),
                    ));
                }
            }
        }
        Ok(())
    })();
    if result.is_err() {
        journal.rollback(&mut app.data, &mut app.meta.attrs);
    }
    result
}

/// `update-attr`: renames (moving data between namespaces if the etype changes), cardinality,
/// constraints and cascades. As upstream, `on-delete`/`on-delete-reverse` are always written,
/// so a step that omits them clears the cascade (platform §16 #11).
fn update_attr(app: &mut App, payload: &Value, journal: &mut Journal) -> ApiResult<()> {
    let id = payload
        .get("id")
        .and_then(Value::as_str)
        .and_then(|text| Uuid::parse_str(text).ok())
        .ok_or_else(|| {
            ApiError::validation_msg("tx-steps", payload.clone(), "update-attr needs an `id`")
        })?;
    let Some(mut attr) = app.meta.attrs.get(&id).cloned() else {
        return Err(ApiError::record_not_found(
            "attrs",
            Some(json!({ "attr-id": id })),
        ));
    };
    let old_etype = attr.forward.etype.clone();
    let rename = |ident: &mut Ident, value: Option<&Value>| {
        if let Some((etype, label)) = ident_name(value) {
            ident.etype = etype;
            ident.label = label;
        }
    };
    rename(&mut attr.forward, payload.get("forward-identity"));
    if let Some(reverse) = attr.reverse.as_mut() {
        rename(reverse, payload.get("reverse-identity"));
    }
    if attr.system
        && (attr.forward.etype != old_etype
            || payload.get("forward-identity").is_some_and(|f| {
                ident_name(Some(f)).is_some_and(|(_, label)| label != attr.forward.label)
            }))
    {
        return Err(ApiError::validation_msg(
            "tx-steps",
            payload.clone(),
            "System attributes can't be renamed.",
        ));
    }
    match payload.get("cardinality").and_then(Value::as_str) {
        Some("one") => attr.cardinality = Cardinality::One,
        Some("many") => attr.cardinality = Cardinality::Many,
        _ => {}
    }
    for (key, slot) in [
        ("unique?", &mut attr.unique),
        ("index?", &mut attr.index),
        ("required?", &mut attr.required),
    ] {
        if let Some(flag) = payload.get(key).and_then(Value::as_bool) {
            *slot = flag;
        }
    }
    if attr.value_type == ValueKind::Ref {
        attr.on_delete = crate::store::attrs::is_cascade(payload.get("on-delete"));
        attr.on_delete_reverse = crate::store::attrs::is_cascade(payload.get("on-delete-reverse"));
    }
    let new_etype = attr.forward.etype.clone();
    app.meta.attrs.insert(attr);
    if new_etype != old_etype {
        app.data.move_attr(id, &old_etype, &new_etype, journal);
    }
    Ok(())
}
