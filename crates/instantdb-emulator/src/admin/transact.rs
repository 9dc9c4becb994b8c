//! `POST /admin/transact`: InstaML steps in, `{"tx-id"}` out.
//!
//! The pipeline follows `admin/model.clj` and `db/transaction.clj`:
//! 1. [`parse_steps`] checks the op grammar (`::ops` spec) and reports bad entity ids first;
//! 2. [`create_missing_attrs`] adds the attributes the steps need (lookup attrs first, then
//!    `etype.id`, blob attrs for update keys and ref attrs for unknown link labels), or refuses
//!    with "Attributes are missing in your schema" under `throw-on-missing-attrs?`;
//! 3. [`Tx::apply`] runs each op against the app's entities through the journal, checking
//!    types, uniqueness and system-attribute protection as it goes;
//! 4. required attributes and, for impersonated requests, permission rules are checked on every
//!    touched entity; any failure rolls the whole request back.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::admin::entity_object;
use crate::auth::{self, Perms, Scope};
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::rules::{self, RuleInput};
use crate::server::{Reply, Request, Shared};
use crate::store::attrs::{Attr, Cardinality, json_type};
use crate::store::data::{Entity, Journal};
use crate::store::{App, State};

/// An entity reference: an id or a lookup `[attr, value]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Eid {
    Id(Uuid),
    Lookup(String, Value),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Create,
    Update,
    Upsert,
}

#[derive(Debug, Clone)]
enum Op {
    Write {
        action: &'static str,
        etype: String,
        eid: Eid,
        args: Map<String, Value>,
        mode: Mode,
    },
    Link {
        unlink: bool,
        etype: String,
        eid: Eid,
        links: Vec<(String, Vec<Eid>)>,
    },
    Delete {
        etype: String,
        eid: Eid,
    },
    RuleParams {
        etype: String,
        eid: Eid,
        params: Value,
    },
    AddAttr(Value),
    DeleteAttr(Uuid),
}

impl Op {
    fn etype_and_eid(&self) -> Option<(&str, &Eid)> {
        match self {
            Op::Write { etype, eid, .. }
            | Op::Link { etype, eid, .. }
            | Op::Delete { etype, eid }
            | Op::RuleParams { etype, eid, .. } => Some((etype, eid)),
            _ => None,
        }
    }
}

pub(crate) fn handle(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let body = req.json()?;
    let steps = Request::array_param(&body, "steps")?;
    let throw_on_missing = Request::flag(&body, "throw-on-missing-attrs?");
    shared.write(|state| {
        let perms = auth::perms(state, req, Scope::DataWrite)?;
        let options = TxOptions {
            throw_on_missing,
            base_url: &shared.base_url,
            debug: None,
        };
        let outcome = transact(state, &perms, &steps, &options)?;
        Ok(Reply::Json(json!({ "tx-id": outcome.tx_id })))
    })
}

/// How a transaction runs.
pub(crate) struct TxOptions<'a> {
    pub(crate) throw_on_missing: bool,
    pub(crate) base_url: &'a str,
    /// `Some` for `/admin/transact_perms_check`: every rule is evaluated and reported instead
    /// of the first failure aborting, and the changes are kept only on request.
    pub(crate) debug: Option<DebugOptions>,
}

/// The `/admin/transact_perms_check` knobs.
pub(crate) struct DebugOptions {
    /// Rules to evaluate instead of the app's (`rules-override`).
    pub(crate) rules_override: Option<Value>,
    /// `dangerously-commit-tx`: keep the changes when every check passes.
    pub(crate) commit: bool,
}

/// One evaluated rule.
pub(crate) struct PermCheck {
    pub(crate) etype: String,
    pub(crate) eid: Uuid,
    pub(crate) action: &'static str,
    pub(crate) code: Option<String>,
    pub(crate) record: Value,
    pub(crate) pass: bool,
}

impl PermCheck {
    /// The `check-results` entry of `/admin/transact_perms_check`.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "scope": "object",
            "action": self.action,
            "etype": self.etype,
            "eid": self.eid,
            "entity": self.etype,
            "id": self.eid,
            "record": self.record,
            "program": self.code.as_ref().map(|code| json!({
                "etype": self.etype,
                "action": self.action,
                "code": code,
                "display-code": code,
            })),
            "check-result": self.pass,
            "check-pass?": self.pass,
        })
    }
}

/// What a transaction did.
pub(crate) struct TxOutcome {
    pub(crate) tx_id: i64,
    pub(crate) checks: Vec<PermCheck>,
    pub(crate) committed: bool,
}

/// The checks both perms-check endpoints make first: a valid admin token (helper A), an
/// impersonation header, and a structurally valid `rules-override`.
pub(crate) fn debug_perms(
    state: &State,
    req: &Request,
    scope: Scope,
    body: &Value,
) -> ApiResult<(Perms, Option<Value>)> {
    auth::app_id_authed(state, req, scope)?;
    let perms = auth::perms(state, req, scope)?;
    if perms.admin {
        return Err(ApiError::validation(
            "non-admin",
            json!("non-admin"),
            vec![json!({ "message": "Cannot test perms as admin" })],
        ));
    }
    let rules_override = Request::body_field(body, "rules-override").cloned();
    if let Some(rules) = &rules_override {
        let errors = rules::validation_errors(rules);
        if !errors.is_empty() {
            return Err(ApiError::validation("rule", rules.clone(), errors));
        }
    }
    Ok((perms, rules_override))
}

/// `POST /admin/transact_perms_check` (`debugTransact`): a dry run that reports every rule it
/// evaluated; `dangerously-commit-tx` keeps the changes when all checks pass.
pub(crate) fn handle_perms_check(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let body = req.json()?;
    shared.write(|state| {
        let (perms, rules_override) = debug_perms(state, req, Scope::DataWrite, &body)?;
        let steps = Request::array_param(&body, "steps")?;
        let options = TxOptions {
            throw_on_missing: Request::flag(&body, "throw-on-missing-attrs?"),
            base_url: &shared.base_url,
            debug: Some(DebugOptions {
                rules_override,
                commit: Request::flag(&body, "dangerously-commit-tx"),
            }),
        };
        let outcome = transact(state, &perms, &steps, &options)?;
        Ok(Reply::Json(json!({
            "tx-id": outcome.tx_id,
            "all-checks-ok?": outcome.checks.iter().all(|check| check.pass),
            "committed?": outcome.committed,
            "check-results": outcome.checks.iter().map(PermCheck::to_json).collect::<Vec<_>>(),
        })))
    })
}

/// Runs `steps` as one transaction for `perms`.
pub(crate) fn transact(
    state: &mut State,
    perms: &Perms,
    steps: &[Value],
    options: &TxOptions<'_>,
) -> ApiResult<TxOutcome> {
    let TxOptions {
        throw_on_missing,
        base_url,
        ref debug,
    } = *options;
    let ops = parse_steps(steps)?;
    let app = state.require_app_mut(&perms.app_id)?;
    let input = Value::Array(steps.to_vec());
    let mut journal = Journal::default();
    journal.save_attrs(&app.meta.attrs);
    let created = create_missing_attrs(&mut app.meta.attrs, &ops);
    if throw_on_missing && !created.is_empty() {
        journal.rollback(&mut app.data, &mut app.meta.attrs);
        return Err(ApiError::validation(
            "steps",
            input,
            vec![json!({
                "message": "Attributes are missing in your schema",
                "hint": { "attributes": created },
            })],
        ));
    }
    let mut tx = Tx {
        app,
        journal,
        now: clock::now_ms(),
        input,
        rule_params: HashMap::new(),
        base_url,
    };
    let result = tx
        .apply_all(&ops)
        .and_then(|()| tx.check_required())
        .and_then(|()| {
            if perms.admin && debug.is_none() {
                return Ok(Vec::new());
            }
            let rules = match debug {
                Some(DebugOptions {
                    rules_override: Some(rules),
                    ..
                }) => Some(rules),
                _ => tx.app.meta.perms.as_ref(),
            };
            let checks = tx.check_permissions(perms.user, rules, debug.is_some())?;
            if debug.is_none()
                && let Some(failed) = checks.iter().find(|check| !check.pass)
            {
                return Err(ApiError::permission_denied(
                    "perms-pass?",
                    json!([failed.etype, failed.action]),
                ));
            }
            Ok(checks)
        });
    let Tx { app, journal, .. } = tx;
    let keep = match (&result, debug) {
        (Ok(checks), Some(debug)) => debug.commit && checks.iter().all(|check| check.pass),
        (Ok(_), None) => true,
        (Err(_), _) => false,
    };
    match result {
        Ok(checks) if !keep => {
            journal.rollback(&mut app.data, &mut app.meta.attrs);
            Ok(TxOutcome {
                tx_id: state.next_tx_id(),
                checks,
                committed: false,
            })
        }
        Ok(checks) => {
            let removed_files = removed_files(app, &journal);
            for location in &removed_files {
                app.files.remove(location);
                app.meta.file_sizes.shift_remove(location);
            }
            let removed_users = removed_users(app, &journal);
            app.meta
                .refresh_tokens
                .retain(|_, user| !removed_users.contains(user));
            let app_id = app.meta.id;
            for location in removed_files {
                state.dirty.files.insert((app_id, location));
            }
            Ok(TxOutcome {
                tx_id: state.next_tx_id(),
                checks,
                committed: true,
            })
        }
        Err(err) => {
            journal.rollback(&mut app.data, &mut app.meta.attrs);
            Err(err)
        }
    }
}

/// Location ids of `$files` entities this transaction deleted.
fn removed_files(app: &App, journal: &Journal) -> Vec<String> {
    let Some(location_attr) = app.meta.attrs.by_fwd("$files", "location-id").map(|a| a.id) else {
        return Vec::new();
    };
    journal
        .touched()
        .filter(|(etype, eid)| *etype == "$files" && !app.data.contains(etype, eid))
        .filter_map(|(etype, eid)| journal.before(etype, eid).flatten())
        .filter_map(|entity| {
            entity
                .values
                .get(&location_attr)?
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

fn removed_users(app: &App, journal: &Journal) -> Vec<Uuid> {
    journal
        .touched()
        .filter(|(etype, eid)| {
            *etype == "$users"
                && !app.data.contains(etype, eid)
                && journal.existed_before(etype, eid) == Some(true)
        })
        .map(|(_, eid)| *eid)
        .collect()
}

// ---- Parsing --------------------------------------------------------------------------------

fn spec_error(steps: &[Value], expected: &str, at: Value) -> ApiError {
    ApiError::validation(
        "steps",
        Value::Array(steps.to_vec()),
        vec![json!({ "expected": expected, "in": at })],
    )
}

/// Parses an entity id position: a UUID, `lookup__attr__<json>`, `[attr, value]` or
/// `{attr: value}`. `Ok(None)` means "not an eid at all".
pub(crate) fn parse_eid(value: &Value) -> ApiResult<Option<Eid>> {
    Ok(match value {
        Value::String(text) if text.starts_with("lookup__") => {
            let mut parts = text.split("__");
            parts.next();
            let label = parts.next().unwrap_or("").to_owned();
            let json_text = parts.collect::<Vec<_>>().join("__");
            match serde_json::from_str::<Value>(&json_text) {
                Ok(value) => Some(Eid::Lookup(label.clone(), value)),
                Err(_) => {
                    return Err(ApiError::validation(
                        "lookup",
                        json!(text),
                        vec![json!({
                            "message": "lookup value is invalid",
                            "hint": { "attribute": label, "value": json_text },
                        })],
                    ));
                }
            }
        }
        Value::String(text) => Uuid::parse_str(text).ok().map(Eid::Id),
        Value::Array(pair) => match pair.as_slice() {
            [Value::String(label), value] => Some(Eid::Lookup(label.clone(), value.clone())),
            _ => None,
        },
        Value::Object(map) => {
            if map.len() != 1 {
                return Err(ApiError::validation_msg(
                    "lookup",
                    value.clone(),
                    "lookup must be an object with a single unique attr and value.",
                ));
            }
            map.iter()
                .next()
                .map(|(label, value)| Eid::Lookup(label.clone(), value.clone()))
        }
        _ => None,
    })
}

const OPS_WITH_EID: [&str; 7] = [
    "create",
    "update",
    "merge",
    "link",
    "unlink",
    "delete",
    "ruleParams",
];

fn parse_steps(steps: &[Value]) -> ApiResult<Vec<Op>> {
    // `check-for-invalid-entity-ids!` runs before the generic spec errors.
    for (idx, step) in steps.iter().enumerate() {
        let Some(items) = step.as_array() else {
            continue;
        };
        let action = items.first().and_then(Value::as_str).unwrap_or("");
        if items.len() >= 3 && OPS_WITH_EID.contains(&action) {
            let eid = &items[2];
            let plausible = matches!(eid, Value::Array(_) | Value::Object(_))
                || eid.as_str().is_some_and(|text| {
                    text.starts_with("lookup__") || Uuid::parse_str(text).is_ok()
                });
            if !plausible {
                let shown = eid.as_str().map_or_else(|| eid.to_string(), str::to_owned);
                return Err(ApiError::validation(
                    "steps",
                    Value::Array(steps.to_vec()),
                    vec![json!({
                        "message": format!("Invalid entity ID '{shown}'. Entity IDs must be UUIDs or lookup references."),
                        "in": [idx, 2],
                    })],
                ));
            }
        }
    }
    steps
        .iter()
        .enumerate()
        .map(|(idx, step)| parse_step(steps, idx, step))
        .collect()
}

fn parse_step(steps: &[Value], idx: usize, step: &Value) -> ApiResult<Op> {
    let Some(items) = step.as_array() else {
        return Err(spec_error(steps, "coll?", json!([idx])));
    };
    let Some(action) = items.first().and_then(Value::as_str) else {
        return Err(spec_error(steps, "string?", json!([idx, 0])));
    };
    let etype = || -> ApiResult<String> {
        items
            .get(1)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| spec_error(steps, "string?", json!([idx, 1])))
    };
    let eid = || -> ApiResult<Eid> {
        let raw = items.get(2).unwrap_or(&Value::Null);
        parse_eid(raw)?.ok_or_else(|| spec_error(steps, "lookup", json!([idx, 2])))
    };
    let map_arg = || -> ApiResult<Map<String, Value>> {
        let mut args = items
            .get(3)
            .and_then(Value::as_object)
            .cloned()
            .ok_or_else(|| spec_error(steps, "map?", json!([idx, 3])))?;
        // `remove-id-from-step`: an "id" key in args is ignored.
        args.remove("id");
        Ok(args)
    };
    match action {
        "create" | "update" | "merge" => {
            let max_len = if action == "create" { 4 } else { 5 };
            if items.len() < 4 || items.len() > max_len {
                return Err(spec_error(steps, "valid op arity", json!([idx])));
            }
            let mode = if action == "create" {
                Mode::Create
            } else {
                match items.get(4) {
                    None | Some(Value::Null) => Mode::Upsert,
                    Some(Value::Object(opts)) => match opts.get("upsert") {
                        None | Some(Value::Null) => Mode::Upsert,
                        Some(Value::Bool(true)) => Mode::Upsert,
                        Some(Value::Bool(false)) => Mode::Update,
                        Some(_) => {
                            return Err(spec_error(steps, "boolean?", json!([idx, 4, "upsert"])));
                        }
                    },
                    Some(_) => return Err(spec_error(steps, "map?", json!([idx, 4]))),
                }
            };
            Ok(Op::Write {
                action: match action {
                    "create" => "create",
                    "update" => "update",
                    _ => "merge",
                },
                etype: etype()?,
                eid: eid()?,
                args: map_arg()?,
                mode,
            })
        }
        "link" | "unlink" => {
            if items.len() != 4 {
                return Err(spec_error(steps, "valid op arity", json!([idx])));
            }
            let args = map_arg()?;
            let mut links = Vec::new();
            for (label, value) in args {
                let targets = match &value {
                    Value::Array(items) => items.clone(),
                    other => vec![other.clone()],
                };
                let mut eids = Vec::new();
                for target in &targets {
                    eids.push(
                        parse_eid(target)?
                            .ok_or_else(|| spec_error(steps, "lookup", json!([idx, 3, label])))?,
                    );
                }
                links.push((label, eids));
            }
            Ok(Op::Link {
                unlink: action == "unlink",
                etype: etype()?,
                eid: eid()?,
                links,
            })
        }
        "delete" => {
            if items.len() < 3 {
                return Err(spec_error(steps, "valid op arity", json!([idx])));
            }
            Ok(Op::Delete {
                etype: etype()?,
                eid: eid()?,
            })
        }
        "ruleParams" => {
            if items.len() != 4 {
                return Err(spec_error(steps, "valid op arity", json!([idx])));
            }
            Ok(Op::RuleParams {
                etype: etype()?,
                eid: eid()?,
                params: Value::Object(map_arg()?),
            })
        }
        "add-attr" => match items.get(1) {
            Some(attr @ Value::Object(_)) if items.len() == 2 => Ok(Op::AddAttr(attr.clone())),
            _ => Err(spec_error(steps, "map?", json!([idx, 1]))),
        },
        "delete-attr" => match items.get(1).and_then(Value::as_str).map(Uuid::parse_str) {
            Some(Ok(id)) if items.len() == 2 => Ok(Op::DeleteAttr(id)),
            _ => Err(spec_error(steps, "uuid?", json!([idx, 1]))),
        },
        "update-attr" => Err(ApiError::validation(
            "action",
            json!(action),
            vec![
                json!({ "message": "Unsupported action update-attr", "hint": { "value": action } }),
            ],
        )),
        _ => Err(spec_error(steps, "valid action", json!([idx, 0]))),
    }
}

// ---- Attribute creation -----------------------------------------------------------------------

/// Whether `[label value]` on `etype` is a ref lookup (`"owner.id"`): a dotted label that is not
/// itself an attribute.
fn is_ref_lookup(attrs: &crate::store::attrs::Attrs, etype: &str, label: &str) -> bool {
    label.contains('.') && attrs.by_fwd(etype, label).is_none()
}

/// The link label of a ref lookup `link.id`.
fn ref_lookup_label(label: &str) -> Option<&str> {
    match label.split('.').collect::<Vec<_>>().as_slice() {
        [link, "id"] => Some(link),
        _ => None,
    }
}

/// `create-missing-attrs`; returns the `etype.label` of every attribute it created.
fn create_missing_attrs(attrs: &mut crate::store::attrs::Attrs, ops: &[Op]) -> Vec<String> {
    let mut created = Vec::new();
    let mut add = |attrs: &mut crate::store::attrs::Attrs, attr: Attr| {
        created.push(attr.fwd_name());
        attrs.insert(attr);
    };
    let ensure_ref_lookup = |attrs: &mut crate::store::attrs::Attrs,
                             add: &mut dyn FnMut(&mut crate::store::attrs::Attrs, Attr),
                             etype: &str,
                             label: &str| {
        if attrs.by_fwd(etype, label).is_none() && attrs.by_rev(etype, label).is_none() {
            add(
                attrs,
                Attr {
                    unique: true,
                    index: true,
                    cardinality: Cardinality::One,
                    ..Attr::new_ref(etype, label)
                },
            );
        }
    };
    let ensure_lookup = |attrs: &mut crate::store::attrs::Attrs,
                         add: &mut dyn FnMut(&mut crate::store::attrs::Attrs, Attr),
                         etype: &str,
                         label: &str| {
        if is_ref_lookup(attrs, etype, label) {
            if let Some(link) = ref_lookup_label(label) {
                ensure_ref_lookup(attrs, add, etype, link);
            }
        } else if attrs.by_fwd(etype, label).is_none() {
            add(
                attrs,
                Attr {
                    unique: true,
                    index: true,
                    ..Attr::new_blob(etype, label)
                },
            );
        }
    };
    // Lookups first.
    for op in ops {
        if let Some((etype, Eid::Lookup(label, _))) = op.etype_and_eid()
            && !matches!(op, Op::RuleParams { .. })
        {
            ensure_lookup(attrs, &mut add, etype, label);
        }
        if let Op::Link {
            unlink: false,
            etype,
            links,
            ..
        } = op
        {
            for (link_label, eids) in links {
                for eid in eids {
                    if let Eid::Lookup(label, _) = eid {
                        ensure_ref_lookup(attrs, &mut add, etype, link_label);
                        let link_etype = attrs
                            .by_fwd(etype, link_label)
                            .and_then(|attr| attr.reverse.as_ref().map(|r| r.etype.clone()))
                            .or_else(|| {
                                attrs
                                    .by_rev(etype, link_label)
                                    .map(|attr| attr.forward.etype.clone())
                            })
                            .unwrap_or_else(|| link_label.clone());
                        ensure_lookup(attrs, &mut add, &link_etype, label);
                    }
                }
            }
        }
    }
    // Then the objects of create/update/merge/link/unlink.
    for op in ops {
        let (etype, labels, is_update): (&str, Vec<&String>, bool) = match op {
            Op::Write { etype, args, .. } => (etype, args.keys().collect(), true),
            Op::Link { etype, links, .. } => (etype, links.iter().map(|(l, _)| l).collect(), false),
            _ => continue,
        };
        if attrs.by_fwd(etype, "id").is_none() {
            add(
                attrs,
                Attr {
                    unique: true,
                    ..Attr::new_blob(etype, "id")
                },
            );
        }
        for label in labels {
            let fwd = attrs.by_fwd(etype, label).is_some();
            if is_update && !fwd {
                add(attrs, Attr::new_blob(etype, label));
            } else if !is_update && !fwd && attrs.by_rev(etype, label).is_none() {
                add(attrs, Attr::new_ref(etype, label));
            }
        }
    }
    created
}

// ---- Applying ---------------------------------------------------------------------------------

struct Tx<'a> {
    app: &'a mut App,
    journal: Journal,
    now: i64,
    input: Value,
    rule_params: HashMap<(String, Uuid), Value>,
    base_url: &'a str,
}

/// A resolved entity reference.
struct Resolved {
    id: Uuid,
    /// The lookup attribute and value, when the reference was a lookup.
    lookup: Option<(Uuid, Value)>,
}

impl Tx<'_> {
    fn tx_error(&self, message: String) -> ApiError {
        ApiError::validation(
            "tx-step",
            self.input.clone(),
            vec![json!({ "message": message })],
        )
    }

    fn apply_all(&mut self, ops: &[Op]) -> ApiResult<()> {
        for op in ops {
            self.apply(op)?;
        }
        Ok(())
    }

    fn apply(&mut self, op: &Op) -> ApiResult<()> {
        match op {
            Op::Write {
                action,
                etype,
                eid,
                args,
                mode,
            } => self.write(action, etype, eid, args, *mode),
            Op::Link {
                unlink,
                etype,
                eid,
                links,
            } => {
                for (label, targets) in links {
                    for target in targets {
                        self.link(*unlink, etype, eid, label, target)?;
                    }
                }
                Ok(())
            }
            Op::Delete { etype, eid } => {
                let resolved = self.resolve(etype, eid)?;
                if self.app.data.contains(etype, &resolved.id) {
                    self.delete_entity(etype, resolved.id);
                }
                Ok(())
            }
            Op::RuleParams { etype, eid, params } => {
                let resolved = self.resolve(etype, eid)?;
                self.rule_params
                    .insert((etype.clone(), resolved.id), params.clone());
                Ok(())
            }
            Op::AddAttr(raw) => self.add_attr(raw),
            Op::DeleteAttr(id) => self.delete_attr(*id),
        }
    }

    /// Resolves an entity reference (`extract-lookup`). A lookup that matches nothing gets a
    /// fresh id; the caller decides whether that creates an entity.
    fn resolve(&self, etype: &str, eid: &Eid) -> ApiResult<Resolved> {
        let (label, value) = match eid {
            Eid::Id(id) => {
                return Ok(Resolved {
                    id: *id,
                    lookup: None,
                });
            }
            Eid::Lookup(label, value) => (label.as_str(), value),
        };
        let attrs = &self.app.meta.attrs;
        let attr = if is_ref_lookup(attrs, etype, label) {
            let link = ref_lookup_label(label).ok_or_else(|| {
                ApiError::validation_msg(
                    "lookup",
                    json!([label, value]),
                    format!("{label} is not a valid lookup attribute."),
                )
            })?;
            attrs.by_fwd(etype, link)
        } else {
            attrs.by_fwd(etype, label)
        };
        let attr = match attr {
            Some(attr) if attr.unique => attr,
            _ => {
                return Err(ApiError::validation_msg(
                    "lookup",
                    json!([label, value]),
                    format!("{label} is not a unique attribute on {etype}"),
                ));
            }
        };
        if attr.forward.label == "id" {
            let id = value.as_str().and_then(|text| Uuid::parse_str(text).ok()).ok_or_else(|| {
                self.tx_error(format!(
                    "Invalid lookup '{}'. The lookup attribute is '{etype}.id', but the lookup value is not a valid UUID.",
                    json!([label, value])
                ))
            })?;
            return Ok(Resolved { id, lookup: None });
        }
        let found = if attr.is_ref() {
            let target = value
                .as_str()
                .and_then(|text| Uuid::parse_str(text).ok())
                .ok_or_else(|| self.tx_error("Linked value must be a valid uuid.".to_owned()))?;
            self.app
                .data
                .sources(attr.id, &target)
                .find(|source| self.app.data.contains(etype, source))
                .copied()
        } else {
            self.app.data.with_value(attr.id, value).and_then(|ids| {
                ids.iter()
                    .find(|id| self.app.data.contains(etype, id))
                    .copied()
            })
        };
        Ok(Resolved {
            id: found.unwrap_or_else(Uuid::new_v4),
            lookup: Some((attr.id, value.clone())),
        })
    }

    fn fresh_entity(&self) -> Entity {
        Entity {
            created_at: self.now,
            ..Entity::default()
        }
    }

    /// Writes the lookup value of a lookup-created entity.
    fn apply_lookup(
        &mut self,
        etype: &str,
        entity: &mut Entity,
        eid: Uuid,
        lookup: &Option<(Uuid, Value)>,
    ) -> ApiResult<()> {
        if let Some((attr_id, value)) = lookup {
            let is_ref = self.app.meta.attrs.get(attr_id).is_some_and(Attr::is_ref);
            if is_ref {
                if let Some(target) = value.as_str().and_then(|text| Uuid::parse_str(text).ok()) {
                    entity.refs.entry(*attr_id).or_default().insert(target);
                }
            } else {
                self.set_value(etype, eid, entity, *attr_id, value.clone())?;
            }
        }
        Ok(())
    }

    fn write(
        &mut self,
        action: &str,
        etype: &str,
        eid: &Eid,
        args: &Map<String, Value>,
        mode: Mode,
    ) -> ApiResult<()> {
        let resolved = self.resolve(etype, eid)?;
        let existing = self.app.data.entity(etype, &resolved.id).cloned();
        match (mode, &existing) {
            (Mode::Create, Some(_)) => {
                return Err(self.tx_error(format!("Creating entities that exist: {}", resolved.id)));
            }
            (Mode::Update, None) => {
                return Err(self.tx_error(format!(
                    "Updating entities that don't exist: {}",
                    resolved.id
                )));
            }
            _ => {}
        }
        if existing.is_none()
            && let (Eid::Lookup(label, value), Some(_)) = (eid, &resolved.lookup)
            && args.get(label).is_some_and(|new| new != value)
        {
            return Err(self.tx_error(
                        "Updates with lookups can only update the lookup attribute if an entity with the unique attribute value already exists."
                            .to_owned(),
                    ));
        }
        let mut entity = existing.clone().unwrap_or_else(|| self.fresh_entity());
        if existing.is_none() {
            self.apply_lookup(etype, &mut entity, resolved.id, &resolved.lookup)?;
        }
        for (label, value) in args {
            let Some(attr) = self.app.meta.attrs.by_fwd(etype, label).cloned() else {
                continue;
            };
            if attr.is_ref() {
                let target = value
                    .as_str()
                    .and_then(|text| Uuid::parse_str(text).ok())
                    .ok_or_else(|| {
                        self.tx_error("Linked value must be a valid uuid.".to_owned())
                    })?;
                let links = entity.refs.entry(attr.id).or_default();
                if attr.cardinality == Cardinality::One {
                    links.clear();
                }
                links.insert(target);
                continue;
            }
            let new_value = if action == "merge" {
                deep_merge(entity.values.get(&attr.id), value)
            } else {
                value.clone()
            };
            self.set_value(etype, resolved.id, &mut entity, attr.id, new_value)?;
        }
        self.app
            .data
            .put_entity(etype, resolved.id, Some(entity), &mut self.journal);
        Ok(())
    }

    /// Sets a blob value after the checks the database constraints make upstream.
    fn set_value(
        &mut self,
        etype: &str,
        eid: Uuid,
        entity: &mut Entity,
        attr_id: Uuid,
        value: Value,
    ) -> ApiResult<()> {
        let Some(attr) = self.app.meta.attrs.get(&attr_id).cloned() else {
            return Ok(());
        };
        let label = attr.forward.label.as_str();
        if attr.system && !(label == "id" || (etype == "$files" && label == "path")) {
            return Err(self.tx_error(format!(
                "The `{etype}.{label}` attribute is managed by Instant and can't be changed in a transaction."
            )));
        }
        if label == "id" {
            return Ok(());
        }
        if let Some(data_type) = attr.checked_data_type
            && !data_type.accepts(&value)
        {
            return Err(ApiError::validation_plain(
                format!(
                    "Invalid value type for {etype}.{label}. Value must be a {} but the provided value type is {}.",
                    data_type.as_str(),
                    json_type(&value)
                ),
                json!({
                    "namespace": etype,
                    "attribute": label,
                    "value": value,
                    "checked-data-type": data_type.as_str(),
                    "attr-id": attr_id,
                    "entity-id": eid,
                }),
            ));
        }
        if value.as_str().is_some_and(|text| text.contains('\0')) {
            return Err(self.tx_error(
                "A value in the transaction contains null bytes, which cannot be stored."
                    .to_owned(),
            ));
        }
        if attr.unique && !value.is_null() {
            let taken = self
                .app
                .data
                .with_value(attr_id, &value)
                .is_some_and(|holders| {
                    holders
                        .iter()
                        .any(|holder| *holder != eid && self.app.data.contains(etype, holder))
                });
            if taken {
                return Err(not_unique(etype, label, attr_id, &value));
            }
        }
        if let Some(attr) = self.app.meta.attrs.by_id.get_mut(&attr_id)
            && (attr.inferred == 0 || !value.is_null())
        {
            attr.infer(&value);
        }
        entity.values.insert(attr_id, value);
        Ok(())
    }

    fn link(
        &mut self,
        unlink: bool,
        etype: &str,
        eid: &Eid,
        label: &str,
        target: &Eid,
    ) -> ApiResult<()> {
        let Some(side) = self.app.meta.attrs.link(etype, label) else {
            return Ok(());
        };
        let attr = side.attr.clone();
        let forward = side.forward;
        let other_etype = side.target_etype().to_owned();
        let a = self.resolve(etype, eid)?;
        let b = self.resolve(&other_etype, target)?;
        if unlink {
            let (source_etype, source, target) = if forward {
                (etype, a.id, b.id)
            } else {
                (other_etype.as_str(), b.id, a.id)
            };
            if let Some(mut entity) = self.app.data.entity(source_etype, &source).cloned() {
                if let Some(links) = entity.refs.get_mut(&attr.id) {
                    links.shift_remove(&target);
                    if links.is_empty() {
                        entity.refs.shift_remove(&attr.id);
                    }
                }
                self.app
                    .data
                    .put_entity(source_etype, source, Some(entity), &mut self.journal);
            }
            return Ok(());
        }
        // Lookup-referenced entities that do not exist yet are created with their lookup value.
        for (e, resolved) in [(etype, &a), (other_etype.as_str(), &b)] {
            if resolved.lookup.is_some() && !self.app.data.contains(e, &resolved.id) {
                let mut entity = self.fresh_entity();
                self.apply_lookup(e, &mut entity, resolved.id, &resolved.lookup)?;
                self.app
                    .data
                    .put_entity(e, resolved.id, Some(entity), &mut self.journal);
            }
        }
        let (source_etype, source, target) = if forward {
            (etype.to_owned(), a.id, b.id)
        } else {
            (other_etype.clone(), b.id, a.id)
        };
        if attr.unique {
            let taken = self
                .app
                .data
                .sources(attr.id, &target)
                .any(|other| *other != source && self.app.data.contains(&source_etype, other));
            if taken {
                return Err(not_unique(
                    &attr.forward.etype,
                    &attr.forward.label,
                    attr.id,
                    &json!(target),
                ));
            }
        }
        let mut entity = self
            .app
            .data
            .entity(&source_etype, &source)
            .cloned()
            .unwrap_or_else(|| self.fresh_entity());
        let links = entity.refs.entry(attr.id).or_default();
        if attr.cardinality == Cardinality::One {
            links.clear();
        }
        links.insert(target);
        self.app
            .data
            .put_entity(&source_etype, source, Some(entity), &mut self.journal);
        Ok(())
    }

    /// Deletes an entity, its links, and cascades per `on-delete` / `on-delete-reverse`.
    fn delete_entity(&mut self, etype: &str, eid: Uuid) {
        let attrs: Vec<Attr> = self
            .app
            .meta
            .attrs
            .iter()
            .filter(|a| a.is_ref())
            .cloned()
            .collect();
        // An explicit work list rather than recursion: a long chain of cascading links must not
        // exhaust the stack.
        let mut pending = vec![(etype.to_owned(), eid)];
        while let Some((etype, eid)) = pending.pop() {
            let Some(entity) = self.app.data.entity(&etype, &eid).cloned() else {
                continue;
            };
            self.app
                .data
                .put_entity(&etype, eid, None, &mut self.journal);
            // Entities pointing at this one: deleted when the link cascades, unlinked otherwise.
            for attr in &attrs {
                if attr
                    .reverse
                    .as_ref()
                    .is_none_or(|reverse| reverse.etype != etype)
                {
                    continue;
                }
                let source_etype = attr.forward.etype.clone();
                let sources: Vec<Uuid> = self.app.data.sources(attr.id, &eid).copied().collect();
                for source in sources {
                    if attr.on_delete {
                        pending.push((source_etype.clone(), source));
                    } else if let Some(mut holder) =
                        self.app.data.entity(&source_etype, &source).cloned()
                    {
                        if let Some(links) = holder.refs.get_mut(&attr.id) {
                            links.shift_remove(&eid);
                            if links.is_empty() {
                                holder.refs.shift_remove(&attr.id);
                            }
                        }
                        self.app.data.put_entity(
                            &source_etype,
                            source,
                            Some(holder),
                            &mut self.journal,
                        );
                    }
                }
            }
            // Entities this one points at, when the link cascades that way.
            for (attr_id, targets) in &entity.refs {
                let Some(attr) = attrs.iter().find(|a| a.id == *attr_id) else {
                    continue;
                };
                if let (true, Some(reverse)) = (attr.on_delete_reverse, &attr.reverse) {
                    pending.extend(
                        targets
                            .iter()
                            .map(|target| (reverse.etype.clone(), *target)),
                    );
                }
            }
        }
    }

    fn add_attr(&mut self, raw: &Value) -> ApiResult<()> {
        let attr = Attr::from_api_json(raw).map_err(|message| {
            ApiError::validation(
                "tx-steps",
                self.input.clone(),
                vec![json!({ "message": message })],
            )
        })?;
        validate_new_attr(&self.app.meta.attrs, &attr, &self.input)?;
        self.journal.save_attrs(&self.app.meta.attrs);
        self.app.meta.attrs.insert(attr);
        Ok(())
    }

    fn delete_attr(&mut self, id: Uuid) -> ApiResult<()> {
        match self.app.meta.attrs.get(&id) {
            None => Ok(()),
            Some(attr) if attr.system => {
                Err(self.tx_error("System attributes can't be deleted.".to_owned()))
            }
            Some(_) => {
                self.journal.save_attrs(&self.app.meta.attrs);
                if let Some(attr) = self.app.meta.attrs.by_id.shift_remove(&id) {
                    self.app.data.drop_attr(&attr, &mut self.journal);
                }
                Ok(())
            }
        }
    }

    /// `validate-required!`: every live touched entity has its required attributes.
    fn check_required(&self) -> ApiResult<()> {
        let mut missing: Vec<(String, String, Uuid)> = Vec::new();
        for (etype, eid) in self.journal.touched() {
            let Some(entity) = self.app.data.entity(etype, eid) else {
                continue;
            };
            for attr in self.app.meta.attrs.iter() {
                if !attr.required || attr.forward.etype != etype || attr.forward.label == "id" {
                    continue;
                }
                if etype == "$files" && attr.forward.label == "url" {
                    continue;
                }
                let present = if attr.is_ref() {
                    entity
                        .refs
                        .get(&attr.id)
                        .is_some_and(|links| !links.is_empty())
                } else {
                    entity
                        .values
                        .get(&attr.id)
                        .is_some_and(|value| !value.is_null())
                };
                if !present {
                    missing.push((etype.to_owned(), attr.forward.label.clone(), *eid));
                }
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        Err(ApiError::validation_plain(
            missing_required_message(&missing),
            json!({
                "records": missing
                    .iter()
                    .map(|(etype, label, eid)| json!({ "entity_id": eid, "etype": etype, "label": label }))
                    .collect::<Vec<_>>(),
            }),
        ))
    }

    /// Runs `create`/`update`/`delete` rules on every entity this transaction changed.
    /// Evaluates `create`/`update`/`delete` rules on every changed entity. Stops at the first
    /// failure unless `all` (the perms-check endpoint reports every result).
    fn check_permissions(
        &self,
        user: Option<Uuid>,
        perms: Option<&Value>,
        all: bool,
    ) -> ApiResult<Vec<PermCheck>> {
        let mut checks = Vec::new();
        let auth = user.and_then(|id| crate::admin::users::user_json(self.app, &id));
        let empty = json!({});
        for (etype, eid) in self.journal.touched() {
            let before = self.journal.before(etype, eid).flatten();
            let after = self.app.data.entity(etype, eid);
            let object = |entity: &Entity| {
                Value::Object(entity_object(
                    self.app,
                    self.base_url,
                    etype,
                    eid,
                    entity,
                    None,
                ))
            };
            let (action, data, new_data) = match (before, after) {
                (None, Some(after)) => ("create", object(after), None),
                (Some(before), None) => ("delete", object(before), None),
                (Some(before), Some(after)) if before != after => {
                    ("update", object(before), Some(object(after)))
                }
                _ => continue,
            };
            let params = self
                .rule_params
                .get(&(etype.to_owned(), *eid))
                .unwrap_or(&empty);
            let refs = crate::admin::EntityRefs {
                app: self.app,
                etype,
                eid: Some(*eid),
                user,
            };
            let input = RuleInput {
                auth: auth.as_ref(),
                data: &data,
                new_data: new_data.as_ref(),
                rule_params: params,
                refs: &refs,
            };
            let pass = rules::allowed(perms, etype, action, &input)?;
            checks.push(PermCheck {
                etype: etype.to_owned(),
                eid: *eid,
                action,
                code: rules::program(perms, etype, action),
                record: data,
                pass,
            });
            if !pass && !all {
                break;
            }
        }
        Ok(checks)
    }
}

/// The server's unique-violation message.
fn not_unique(etype: &str, label: &str, attr_id: Uuid, value: &Value) -> ApiError {
    ApiError::record_not_unique(
        format!(
            "`{label}` is a unique attribute on `{etype}` and an entity already exists with `{etype}.{label}` = {value}"
        ),
        json!({
            "record-type": "triple",
            "attr-id": attr_id,
            "etype": etype,
            "label": label,
            "value": value,
        }),
    )
}

/// `Missing required attribute `etype/label`: id` joined with `. `.
pub(crate) fn missing_required_message(missing: &[(String, String, Uuid)]) -> String {
    let mut groups: Vec<((&str, &str), Vec<Uuid>)> = Vec::new();
    for (etype, label, eid) in missing {
        match groups
            .iter_mut()
            .find(|((e, l), _)| e == etype && l == label)
        {
            Some((_, ids)) => ids.push(*eid),
            None => groups.push(((etype, label), vec![*eid])),
        }
    }
    groups
        .iter()
        .map(|((etype, label), ids)| {
            if ids.len() == 1 {
                format!("Missing required attribute `{etype}/{label}`: {}", ids[0])
            } else {
                let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
                format!(
                    "Missing required attributes `{etype}/{label}`: {}",
                    ids.join(", ")
                )
            }
        })
        .collect::<Vec<_>>()
        .join(". ")
}

/// Refuses attributes whose identities clash with existing ones or with the system catalog.
pub(crate) fn validate_new_attr(
    attrs: &crate::store::attrs::Attrs,
    attr: &Attr,
    input: &Value,
) -> ApiResult<()> {
    let mut idents = vec![&attr.forward];
    idents.extend(attr.reverse.as_ref());
    for ident in idents {
        if crate::store::attrs::is_reserved_ident(&ident.etype, &ident.label) {
            return Err(ApiError::validation(
                "tx-steps",
                input.clone(),
                vec![json!({
                    "message": format!("The `{}.{}` attribute is reserved by the system catalog.", ident.etype, ident.label),
                })],
            ));
        }
        if attrs.by_fwd(&ident.etype, &ident.label).is_some()
            || attrs.by_rev(&ident.etype, &ident.label).is_some()
        {
            return Err(ApiError::record_not_unique(
                "Record not unique: ident".to_owned(),
                json!({ "record-type": "ident", "etype": ident.etype, "label": ident.label }),
            ));
        }
    }
    if attrs.get(&attr.id).is_some() {
        return Err(ApiError::record_not_unique(
            "Record not unique: attr".to_owned(),
            json!({ "record-type": "attr", "attr-id": attr.id }),
        ));
    }
    Ok(())
}

/// `deep-merge-triple`: objects merge key by key (a `null` deletes the key); anything else
/// replaces.
fn deep_merge(old: Option<&Value>, new: &Value) -> Value {
    match (old, new) {
        (Some(Value::Object(old)), Value::Object(patch)) => {
            let mut merged = old.clone();
            for (key, value) in patch {
                if value.is_null() {
                    merged.remove(key);
                } else {
                    let next = deep_merge(merged.get(key), value);
                    merged.insert(key.clone(), next);
                }
            }
            Value::Object(merged)
        }
        (_, Value::Object(patch)) => {
            let mut clean = Map::new();
            for (key, value) in patch {
                if !value.is_null() {
                    clean.insert(key.clone(), deep_merge(None, value));
                }
            }
            Value::Object(clean)
        }
        _ => new.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eids_parse_in_every_form() {
        let id = Uuid::new_v4();
        assert_eq!(parse_eid(&json!(id)).unwrap(), Some(Eid::Id(id)));
        assert_eq!(
            parse_eid(&json!("lookup__email__\"a__b@c.d\"")).unwrap(),
            Some(Eid::Lookup("email".into(), json!("a__b@c.d")))
        );
        assert_eq!(
            parse_eid(&json!(["email", "x"])).unwrap(),
            Some(Eid::Lookup("email".into(), json!("x")))
        );
        assert_eq!(
            parse_eid(&json!({"slug": 3})).unwrap(),
            Some(Eid::Lookup("slug".into(), json!(3)))
        );
        assert!(parse_eid(&json!({"a": 1, "b": 2})).is_err());
        assert!(parse_eid(&json!("lookup__email__{bad")).is_err());
        assert_eq!(parse_eid(&json!("12345")).unwrap(), None);
    }

    #[test]
    fn invalid_ids_are_reported_first() {
        let err = parse_steps(&[json!(["update", "goals", "12345", {}])]).unwrap_err();
        assert_eq!(
            err.message(),
            "Validation failed for steps: Invalid entity ID '12345'. Entity IDs must be UUIDs or lookup references."
        );
        assert!(parse_steps(&[json!(["updatez", "goals", Uuid::new_v4(), {}])]).is_err());
        assert!(parse_steps(&[json!(["create", "goals", Uuid::new_v4(), {}, {}])]).is_err());
        let err = parse_steps(&[json!(["update-attr", {}])]).unwrap_err();
        assert_eq!(
            err.message(),
            "Validation failed for action: Unsupported action update-attr"
        );
    }

    #[test]
    fn merge_is_deep_and_null_deletes() {
        let merged = deep_merge(
            Some(&json!({"a": {"b": 1, "c": 2}, "d": [1]})),
            &json!({"a": {"b": null, "e": 3}, "d": [2]}),
        );
        assert_eq!(merged, json!({"a": {"c": 2, "e": 3}, "d": [2]}));
    }

    #[test]
    fn missing_required_groups_by_attribute() {
        let (a, b) = (Uuid::nil(), Uuid::max());
        let msg = missing_required_message(&[
            ("goals".into(), "title".into(), a),
            ("goals".into(), "title".into(), b),
        ]);
        assert!(
            msg.starts_with("Missing required attributes `goals/title`: "),
            "{msg}"
        );
    }
}
