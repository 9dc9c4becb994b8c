//! The client-side schema diff behind overwrite pushes and `instant-cli push` (upstream
//! `migrations.ts`).
//!
//! Three stages, as upstream:
//! 1. [`diff_schemas`] compares the app's current schema (usually
//!    [`api_schema_to_schema_def`](crate::api_schema_to_schema_def) of the server's) with the new
//!    one and returns name-based [`MigrationTx`]s. Renames are decided by a [`RenameResolver`]:
//!    [`RenameSelector`] implements upstream's `buildAutoRenameSelector` over `"etype.old:etype.new"`
//!    commands; an interactive CLI can implement its own.
//! 2. [`convert_tx_steps`] resolves names to attribute ids against the app's attributes
//!    ([`api_schema_to_attrs`](crate::api_schema_to_attrs)) and returns the [`PlanStep`]s the
//!    server applies. New attribute ids come from a caller-supplied generator (upstream uses
//!    random UUID v4s; tests use counters).
//! 3. [`PlanStep::friendly_description`] describes each step as upstream's `translatePlanSteps`.
//!
//! Everything walks entities, attributes and links in JS object order and emits steps in
//! upstream's order, so the output can be compared step for step with the official SDK's.

mod steps;
mod tx;

use crate::api::{ApiAttr, AttrValueType, CheckedDataType, Ident, link_constraints};
use crate::error::Error;
use crate::js;
use crate::model::{AttrDef, Has, LinkDef, SchemaDef, ValueType};
use crate::validate::SystemCatalogIdentNames;

pub use steps::{AttrRef, AttrUpdate, CheckDataType, NewAttr, PlanStep};
pub use tx::{AddAttrTx, Identifier, MigrationTx, PartialAttr};

/// What is being resolved when a [`RenameResolver`] is asked about a created name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenameContext<'a> {
    /// A data attribute of `entity_name`; names are labels.
    Attribute {
        /// The entity.
        entity_name: &'a str,
    },
    /// A link between two entities; names are `fwdEtype.fwdLabel<->revEtype.revLabel`.
    Link {
        /// `forward.on` of the group's first old link.
        forward_entity_name: &'a str,
        /// `reverse.on` of the group's first old link.
        reverse_entity_name: &'a str,
    },
}

/// A resolver's answer for one created name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenameChoice {
    /// The name is new: create it.
    Create,
    /// The name is the old name `from`, renamed. `from` must be one of the candidates.
    ///
    /// Upstream quirk, kept: answering with the created name itself (`from == created`)
    /// neither creates nor renames anything, so the new attribute or link is dropped from the
    /// plan. [`RenameSelector`] does that for a command like `posts.x:posts.x` when `x` is new.
    RenameFrom(String),
}

/// Decides, for each name only in the new schema, whether it is a rename of a name only in the
/// old schema (upstream's `resolveFn`).
pub trait RenameResolver {
    /// `created` is a name only in the new schema; `candidates` are the old names not yet claimed
    /// by an earlier rename, in order.
    fn resolve(
        &mut self,
        created: &str,
        candidates: &[String],
        context: &RenameContext<'_>,
    ) -> RenameChoice;
}

impl<F> RenameResolver for F
where
    F: FnMut(&str, &[String], &RenameContext<'_>) -> RenameChoice,
{
    fn resolve(
        &mut self,
        created: &str,
        candidates: &[String],
        context: &RenameContext<'_>,
    ) -> RenameChoice {
        self(created, candidates, context)
    }
}

/// Upstream's `buildAutoRenameSelector`: renames declared as `"etype.old:etype.new"` commands.
///
/// - Parsing: split on `:` (only the first two parts count) and trim; each side must look like
///   `etype.label`. Malformed commands give upstream's messages, typos included.
/// - Attributes: a created label `new` of entity `e` is a rename when a command's `to` is
///   `e.new`; the `from` side's last `.`-segment is the old label (its entity is not checked).
/// - Links: the created link is looked up by its forward `etype.label`, then its reverse one;
///   the old link is the first candidate with the command's `from` as either end. So a link
///   rename can name either side.
/// - Everything else is created. With no commands, everything is created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenameSelector {
    /// `to` → `from`; a later command with the same `to` wins.
    renames: indexmap::IndexMap<String, String>,
}

impl RenameSelector {
    /// Parses rename commands such as `"posts.name:posts.title"`.
    pub fn parse<S: AsRef<str>>(commands: &[S]) -> Result<RenameSelector, Error> {
        let mut renames = indexmap::IndexMap::new();
        for command in commands {
            let command = command.as_ref();
            let mut sides = command.split(':').map(js_trim);
            let (from, to) = match (sides.next(), sides.next()) {
                (Some(from), Some(to)) if !from.is_empty() && !to.is_empty() => (from, to),
                _ => {
                    return Err(Error::RenameCommand(format!(
                        "Invalid rename command: {command}. We could not parse a distinct 'from' and 'to'. The structure should look like 'from:to'. For example: 'posts.name:posts.title'"
                    )));
                }
            };
            validate_lookup(from)?;
            validate_lookup(to)?;
            renames.insert(to.to_owned(), from.to_owned());
        }
        Ok(RenameSelector { renames })
    }
}

fn validate_lookup(lookup: &str) -> Result<(), Error> {
    let mut parts = lookup.split('.').map(js_trim);
    match (parts.next(), parts.next()) {
        (Some(etype), Some(label)) if !etype.is_empty() && !label.is_empty() => Ok(()),
        _ => Err(Error::RenameCommand(format!(
            "Invalid lookup. Got '{lookup}'. We expect a pattern like 'entityname.columname;.For example: posts.title"
        ))),
    }
}

/// JS `String.prototype.trim`: White_Space plus U+FEFF, but not U+0085.
fn js_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c == '\u{feff}' || (c.is_whitespace() && c != '\u{85}'))
}

impl RenameResolver for RenameSelector {
    fn resolve(
        &mut self,
        created: &str,
        candidates: &[String],
        context: &RenameContext<'_>,
    ) -> RenameChoice {
        // promptData upstream: the created name itself, then one item per candidate.
        let prompt = std::iter::once(created).chain(candidates.iter().map(String::as_str));
        match context {
            RenameContext::Attribute { entity_name } => {
                let Some(from) = self.renames.get(&format!("{entity_name}.{created}")) else {
                    return RenameChoice::Create;
                };
                let from_label = from.rsplit('.').next().unwrap_or_default();
                if !from_label.is_empty() && prompt.clone().any(|item| item == from_label) {
                    RenameChoice::RenameFrom(from_label.to_owned())
                } else {
                    RenameChoice::Create
                }
            }
            RenameContext::Link { .. } => {
                let Some(from) = created
                    .split("<->")
                    .take(2)
                    .find_map(|half| self.renames.get(half))
                else {
                    return RenameChoice::Create;
                };
                let matching = prompt.clone().find(|item| {
                    let mut halves = item.split("<->");
                    halves.next() == Some(from.as_str()) || halves.next() == Some(from.as_str())
                });
                match matching {
                    Some(item) => RenameChoice::RenameFrom(item.to_owned()),
                    None => RenameChoice::Create,
                }
            }
        }
    }
}

/// Upstream's `resolveRenames` result.
struct Resolved {
    created: Vec<String>,
    deleted: Vec<String>,
    renamed: Vec<(String, String)>,
}

fn resolve_renames(
    added: Vec<String>,
    removed: Vec<String>,
    resolver: &mut dyn RenameResolver,
    context: &RenameContext<'_>,
) -> Result<Resolved, Error> {
    if added.is_empty() || removed.is_empty() {
        return Ok(Resolved {
            created: added,
            deleted: removed,
            renamed: Vec::new(),
        });
    }
    let mut resolved = Resolved {
        created: Vec::new(),
        deleted: Vec::new(),
        renamed: Vec::new(),
    };
    let mut left = removed;
    for created in added {
        match resolver.resolve(&created, &left, context) {
            RenameChoice::Create => resolved.created.push(created),
            RenameChoice::RenameFrom(from) => {
                if let Some(i) = left.iter().position(|m| *m == from) {
                    left.remove(i);
                    resolved.renamed.push((from, created));
                } else if from != created {
                    return Err(Error::InvalidRenameChoice { created, from });
                }
                // from == created: upstream's quirk, the item is dropped (see RenameChoice).
            }
        }
    }
    resolved.deleted = left;
    Ok(resolved)
}

/// Upstream's `diffSchemas`: the migration from `old` to `new`, in upstream's order.
///
/// 1. Entities only in `old`: `delete-attr` for each attribute, then for `id`.
/// 2. Entities only in `new`: `add-attr` for `id` (unique, required), then for each attribute.
/// 3. Entities in both: constraint and type changes of common attributes, then deletions,
///    creations and renames (as the resolver decides).
/// 4. Links, grouped by `(forward.on, reverse.on)`: changes, then deletions, creations and
///    renames within each group.
///
/// System attributes (`system_catalog_ident_names`) are never touched, and links whose forward
/// side is one are ignored. Fails only when the resolver answers with a name it was not offered.
pub fn diff_schemas(
    old: &SchemaDef,
    new: &SchemaDef,
    resolver: &mut dyn RenameResolver,
    system_catalog_ident_names: &SystemCatalogIdentNames,
) -> Result<Vec<MigrationTx>, Error> {
    let sys = system_catalog_ident_names;
    let mut txs = Vec::new();
    let old_names = js::ordered(&old.entities);
    let new_names = js::ordered(&new.entities);

    for &(etype, entity) in old_names
        .iter()
        .filter(|(e, _)| !new.entities.contains_key(*e))
    {
        for (label, _) in js::ordered(&entity.attrs) {
            if !sys.contains(etype, label) {
                txs.push(MigrationTx::DeleteAttr(Identifier::new(etype, label)));
            }
        }
        if !sys.contains(etype, "id") {
            txs.push(MigrationTx::DeleteAttr(Identifier::new(etype, "id")));
        }
    }

    for &(etype, entity) in new_names
        .iter()
        .filter(|(e, _)| !old.entities.contains_key(*e))
    {
        if !sys.contains(etype, "id") {
            txs.push(MigrationTx::AddAttr(AddAttrTx {
                identifier: Identifier::new(etype, "id"),
                forward_identity: Identifier::new(etype, "id"),
                reverse_identity: None,
                value_type: AttrValueType::Blob,
                cardinality: Has::One,
                unique: true,
                index: false,
                required: true,
                on_delete: None,
                on_delete_reverse: None,
                checked_data_type: None,
            }));
        }
        for (label, attr) in js::ordered(&entity.attrs) {
            if !sys.contains(etype, label) {
                txs.push(new_attr_tx(attr, etype, label));
            }
        }
    }

    for &(etype, old_entity) in &old_names {
        let Some(new_entity) = new.entities.get(etype) else {
            continue;
        };
        let old_labels = js::ordered(&old_entity.attrs);
        let new_labels = js::ordered(&new_entity.attrs);
        let added: Vec<String> = new_labels
            .iter()
            .filter(|(l, _)| !sys.contains(etype, l) && !old_entity.attrs.contains_key(*l))
            .map(|(l, _)| (*l).to_owned())
            .collect();
        let removed: Vec<String> = old_labels
            .iter()
            .filter(|(l, _)| !sys.contains(etype, l) && !new_entity.attrs.contains_key(*l))
            .map(|(l, _)| (*l).to_owned())
            .collect();
        let context = RenameContext::Attribute { entity_name: etype };
        let resolved = resolve_renames(added, removed, resolver, &context)?;
        for &(label, old_attr) in &old_labels {
            if let Some(new_attr) = new_entity.attrs.get(label)
                && !sys.contains(etype, label)
            {
                compare_blobs(&mut txs, Identifier::new(etype, label), old_attr, new_attr);
            }
        }
        for label in &resolved.deleted {
            txs.push(MigrationTx::DeleteAttr(Identifier::new(etype, label)));
        }
        for label in &resolved.created {
            if let Some(attr) = new_entity.attrs.get(label) {
                txs.push(new_attr_tx(attr, etype, label));
            }
        }
        for (from, to) in &resolved.renamed {
            txs.push(MigrationTx::UpdateAttr {
                identifier: Identifier::new(etype, from),
                partial_attr: PartialAttr {
                    value_type: AttrValueType::Blob,
                    cardinality: Some(Has::One),
                    forward_identity: Some(Identifier::new(etype, to)),
                    reverse_identity: None,
                    on_delete: None,
                    on_delete_reverse: None,
                },
            });
            if let (Some(old_attr), Some(new_attr)) =
                (old_entity.attrs.get(from), new_entity.attrs.get(to))
            {
                compare_blobs(&mut txs, Identifier::new(etype, from), old_attr, new_attr);
            }
        }
    }

    diff_links(&mut txs, old, new, resolver, sys)?;
    Ok(txs)
}

fn diff_links(
    txs: &mut Vec<MigrationTx>,
    old: &SchemaDef,
    new: &SchemaDef,
    resolver: &mut dyn RenameResolver,
    sys: &SystemCatalogIdentNames,
) -> Result<(), Error> {
    let user_links = |schema: &'_ SchemaDef| -> Vec<LinkDef> {
        js::ordered(&schema.links)
            .into_iter()
            .map(|(_, link)| link)
            .filter(|link| !sys.contains(&link.forward.on, &link.forward.label))
            .cloned()
            .collect()
    };
    let group_key = |link: &LinkDef| format!("{}<->{}", link.forward.on, link.reverse.on);
    let identity = |link: &LinkDef| {
        format!(
            "{}.{}<->{}.{}",
            link.forward.on, link.forward.label, link.reverse.on, link.reverse.label
        )
    };
    let group = |links: Vec<LinkDef>| {
        let mut groups: indexmap::IndexMap<String, Vec<LinkDef>> = indexmap::IndexMap::new();
        for link in links {
            groups.entry(group_key(&link)).or_default().push(link);
        }
        groups
    };
    let old_groups = group(user_links(old));
    let new_groups = group(user_links(new));
    let keys: indexmap::IndexSet<&String> = old_groups.keys().chain(new_groups.keys()).collect();
    let empty = Vec::new();
    for key in keys {
        let old_links = old_groups.get(key).unwrap_or(&empty);
        let new_links = new_groups.get(key).unwrap_or(&empty);
        let old_ids: Vec<String> = old_links.iter().map(identity).collect();
        let new_ids: Vec<String> = new_links.iter().map(identity).collect();
        let find =
            |links: &'_ [LinkDef], id: &str| links.iter().find(|l| identity(l) == id).cloned();
        let added: Vec<String> = new_ids
            .iter()
            .filter(|i| !old_ids.contains(i))
            .cloned()
            .collect();
        let removed: Vec<String> = old_ids
            .iter()
            .filter(|i| !new_ids.contains(i))
            .cloned()
            .collect();
        for id in old_ids.iter().filter(|i| new_ids.contains(i)) {
            if let (Some(old_link), Some(new_link)) = (find(old_links, id), find(new_links, id)) {
                let ident = Identifier::new(&old_link.forward.on, &old_link.forward.label);
                compare_links(txs, ident, &old_link, &new_link);
            }
        }
        let (forward_entity_name, reverse_entity_name) = old_links
            .first()
            .map_or(("", ""), |l| (l.forward.on.as_str(), l.reverse.on.as_str()));
        let context = RenameContext::Link {
            forward_entity_name,
            reverse_entity_name,
        };
        let resolved = resolve_renames(added, removed, resolver, &context)?;
        for id in &resolved.deleted {
            if let Some(link) = find(old_links, id) {
                txs.push(MigrationTx::DeleteAttr(Identifier::new(
                    &link.forward.on,
                    &link.forward.label,
                )));
            }
        }
        for id in &resolved.created {
            if let Some(link) = find(new_links, id) {
                txs.push(new_link_tx(&link));
            }
        }
        for (from, to) in &resolved.renamed {
            let (Some(old_link), Some(new_link)) = (find(old_links, from), find(new_links, to))
            else {
                continue;
            };
            let ident = Identifier::new(&old_link.forward.on, &old_link.forward.label);
            txs.push(MigrationTx::UpdateAttr {
                identifier: ident.clone(),
                partial_attr: PartialAttr {
                    value_type: AttrValueType::Ref,
                    cardinality: Some(new_link.forward.has),
                    forward_identity: Some(Identifier::new(
                        &new_link.forward.on,
                        &new_link.forward.label,
                    )),
                    reverse_identity: Some(Identifier::new(
                        &new_link.reverse.on,
                        &new_link.reverse.label,
                    )),
                    on_delete: None,
                    on_delete_reverse: None,
                },
            });
            compare_links(txs, ident, &old_link, &new_link);
        }
    }
    Ok(())
}

/// Upstream's `attrDefToNewAttrTx`.
fn new_attr_tx(attr: &AttrDef, etype: &str, label: &str) -> MigrationTx {
    MigrationTx::AddAttr(AddAttrTx {
        identifier: Identifier::new(etype, label),
        forward_identity: Identifier::new(etype, label),
        reverse_identity: None,
        value_type: AttrValueType::Blob,
        cardinality: Has::One,
        unique: attr.unique,
        index: attr.indexed,
        required: attr.required,
        on_delete: None,
        on_delete_reverse: None,
        checked_data_type: Some(CheckedDataType::from_value_type(attr.value_type)),
    })
}

/// Upstream's `linkDefToNewAttrTx`.
fn new_link_tx(link: &LinkDef) -> MigrationTx {
    let (cardinality, unique) = link_constraints(link.forward.has, link.reverse.has);
    MigrationTx::AddAttr(AddAttrTx {
        identifier: Identifier::new(&link.forward.on, &link.forward.label),
        forward_identity: Identifier::new(&link.forward.on, &link.forward.label),
        reverse_identity: Some(Identifier::new(&link.reverse.on, &link.reverse.label)),
        value_type: AttrValueType::Ref,
        cardinality,
        unique,
        index: false,
        required: link.forward.required == Some(true),
        on_delete: link.forward.on_delete,
        on_delete_reverse: link.reverse.on_delete,
        checked_data_type: Some(None),
    })
}

/// Upstream's `compareBlobs`.
fn compare_blobs(txs: &mut Vec<MigrationTx>, ident: Identifier, old: &AttrDef, new: &AttrDef) {
    let flag = |txs: &mut Vec<MigrationTx>,
                was: bool,
                is: bool,
                on: fn(Identifier) -> MigrationTx,
                off: fn(Identifier) -> MigrationTx| {
        if !was && is {
            txs.push(on(ident.clone()));
        } else if was && !is {
            txs.push(off(ident.clone()));
        }
    };
    flag(
        txs,
        old.indexed,
        new.indexed,
        MigrationTx::Index,
        MigrationTx::RemoveIndex,
    );
    flag(
        txs,
        old.unique,
        new.unique,
        MigrationTx::Unique,
        MigrationTx::RemoveUnique,
    );
    flag(
        txs,
        old.required,
        new.required,
        MigrationTx::Required,
        MigrationTx::RemoveRequired,
    );
    if old.value_type != ValueType::Json && new.value_type == ValueType::Json {
        txs.push(MigrationTx::RemoveDataType(ident));
    } else if old.value_type != new.value_type
        && let Some(checked) = CheckedDataType::from_value_type(new.value_type)
    {
        txs.push(MigrationTx::CheckDataType {
            identifier: ident,
            checked_data_type: checked,
        });
    }
}

/// Upstream's `compareLinks`.
fn compare_links(txs: &mut Vec<MigrationTx>, ident: Identifier, old: &LinkDef, new: &LinkDef) {
    let (old_cardinality, old_unique) = link_constraints(old.forward.has, old.reverse.has);
    let (new_cardinality, new_unique) = link_constraints(new.forward.has, new.reverse.has);
    let old_required = old.forward.required == Some(true);
    let new_required = new.forward.required == Some(true);
    if !old_unique && new_unique {
        txs.push(MigrationTx::Unique(ident.clone()));
    }
    if !new_unique && old_unique {
        txs.push(MigrationTx::RemoveUnique(ident.clone()));
    }
    if new_required != old_required {
        txs.push(if new_required {
            MigrationTx::Required(ident.clone())
        } else {
            MigrationTx::RemoveRequired(ident.clone())
        });
    }
    if old.reverse.on_delete != new.reverse.on_delete
        || old.forward.on_delete != new.forward.on_delete
        || old_cardinality != new_cardinality
    {
        txs.push(MigrationTx::UpdateAttr {
            identifier: ident,
            partial_attr: PartialAttr {
                value_type: AttrValueType::Ref,
                cardinality: Some(new_cardinality),
                forward_identity: None,
                reverse_identity: None,
                on_delete: new.forward.on_delete,
                on_delete_reverse: new.reverse.on_delete,
            },
        });
    }
}

/// Upstream's `convertTxSteps`: resolves each migration step's names to the attribute ids of
/// `existing_attrs` (the app's attributes, [`api_schema_to_attrs`](crate::api_schema_to_attrs))
/// and returns the plan steps to send.
///
/// `new_id` makes the ids of new attributes (upstream: a random UUID v4 each, attribute id first,
/// then the reverse ident's); the forward ident id of a new attribute is its attribute id, and
/// renamed idents reuse the attribute id too, as upstream. A new attribute expands to an
/// unconstrained `add-attr` followed by `unique`, `required` and `index` steps as needed.
///
/// Fails with [`Error::AttributeNotFound`] when a step names an attribute that is not in
/// `existing_attrs` (upstream's message).
pub fn convert_tx_steps(
    txs: &[MigrationTx],
    existing_attrs: &[ApiAttr],
    mut new_id: impl FnMut() -> String,
) -> Result<Vec<PlanStep>, Error> {
    let find = |ident: &Identifier| -> Result<&ApiAttr, Error> {
        existing_attrs
            .iter()
            .find(|attr| {
                attr.forward_identity.etype == ident.namespace
                    && attr.forward_identity.label == ident.attr_name
            })
            .ok_or_else(|| Error::AttributeNotFound {
                namespace: ident.namespace.clone(),
                attr_name: ident.attr_name.clone(),
            })
    };
    let attr_ref = |ident: &Identifier| -> Result<AttrRef, Error> {
        let found = find(ident)?;
        Ok(AttrRef {
            attr_id: found.id.clone(),
            forward_identity: found.forward_identity.clone(),
            job_id: None,
        })
    };
    let mut steps = Vec::new();
    for tx in txs {
        let step = match tx {
            MigrationTx::AddAttr(add) => {
                let id = new_id();
                let forward = Ident::new(&id, &add.identifier.namespace, &add.identifier.attr_name);
                let reverse = add
                    .reverse_identity
                    .as_ref()
                    .map(|r| Ident::new(new_id(), &r.namespace, &r.attr_name));
                steps.push(PlanStep::AddAttr(NewAttr {
                    id: id.clone(),
                    forward_identity: forward.clone(),
                    reverse_identity: reverse,
                    inferred_types: None,
                    value_type: add.value_type,
                    cardinality: add.cardinality,
                    index: false,
                    required: false,
                    unique: false,
                    catalog: crate::api::Catalog::User,
                    on_delete: add.on_delete,
                    on_delete_reverse: add.on_delete_reverse,
                    checked_data_type: add.checked_data_type,
                }));
                let new_ref = || AttrRef {
                    attr_id: id.clone(),
                    forward_identity: forward.clone(),
                    job_id: None,
                };
                if add.unique {
                    steps.push(PlanStep::Unique(new_ref()));
                }
                if add.required {
                    steps.push(PlanStep::Required(new_ref()));
                }
                if add.index {
                    steps.push(PlanStep::Index(new_ref()));
                }
                continue;
            }
            MigrationTx::DeleteAttr(ident) => PlanStep::DeleteAttr(find(ident)?.id.clone()),
            MigrationTx::UpdateAttr {
                identifier,
                partial_attr,
            } => {
                let found = find(identifier)?;
                let ident = |i: &Identifier| Ident::new(&found.id, &i.namespace, &i.attr_name);
                PlanStep::UpdateAttr(AttrUpdate {
                    id: found.id.clone(),
                    forward_identity: partial_attr.forward_identity.as_ref().map(ident),
                    reverse_identity: partial_attr.reverse_identity.as_ref().map(ident),
                    cardinality: partial_attr.cardinality,
                    on_delete: partial_attr.on_delete,
                    on_delete_reverse: partial_attr.on_delete_reverse,
                    unique: None,
                })
            }
            MigrationTx::CheckDataType {
                identifier,
                checked_data_type,
            } => {
                let found = find(identifier)?;
                PlanStep::CheckDataType(CheckDataType {
                    attr_id: found.id.clone(),
                    checked_data_type: *checked_data_type,
                    forward_identity: found.forward_identity.clone(),
                    job_id: None,
                })
            }
            MigrationTx::Index(i) => PlanStep::Index(attr_ref(i)?),
            MigrationTx::RemoveIndex(i) => PlanStep::RemoveIndex(attr_ref(i)?),
            MigrationTx::Unique(i) => PlanStep::Unique(attr_ref(i)?),
            MigrationTx::RemoveUnique(i) => PlanStep::RemoveUnique(attr_ref(i)?),
            MigrationTx::Required(i) => PlanStep::Required(attr_ref(i)?),
            MigrationTx::RemoveRequired(i) => PlanStep::RemoveRequired(attr_ref(i)?),
            MigrationTx::RemoveDataType(i) => PlanStep::RemoveDataType(attr_ref(i)?),
        };
        steps.push(step);
    }
    Ok(steps)
}

/// Distinguishes an absent key (`None`) from `null` (`Some(None)`) when deserializing.
fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i;

    /// upstream rename.test.ts: `speccies` → `species`, and link `mother` → `parent`.
    fn animals(attr: &str, link_label: &str) -> SchemaDef {
        i::schema()
            .entities([(
                "animals",
                i::entity([
                    ("name", i::string()),
                    ("age", i::number()),
                    (attr, i::string()),
                ]),
            )])
            .links([(
                "friend",
                i::link(
                    i::forward("animals", Has::One, link_label),
                    i::reverse("animals", Has::Many, "child"),
                ),
            )])
    }

    #[track_caller]
    fn check_renames(renames: &[&str], expected: &[&str]) {
        let mut selector = RenameSelector::parse(renames).unwrap();
        let txs = diff_schemas(
            &animals("speccies", "mother"),
            &animals("species", "parent"),
            &mut selector,
            &SystemCatalogIdentNames::default(),
        )
        .unwrap();
        let types: Vec<&str> = txs.iter().map(MigrationTx::type_name).collect();
        assert_eq!(types, expected, "{renames:?}");
    }

    #[test]
    fn upstream_rename_tests() {
        let none = ["delete-attr", "add-attr", "delete-attr", "add-attr"];
        check_renames(&[], &none);
        check_renames(&["animals.favoriteFood:animals.favoriteFood"], &none);
        check_renames(
            &["animals.speccies:animals.species"],
            &["update-attr", "delete-attr", "add-attr"],
        );
        check_renames(
            &["animals.mother:animals.parent"],
            &["delete-attr", "add-attr", "update-attr"],
        );
        // Naming the link by its unchanged reverse end makes the created link its own "old"
        // link: upstream drops it, leaving only the deletion (checked against Node).
        check_renames(
            &[
                "animals.speccies:animals.species",
                "animals.child:animals.child",
            ],
            &["update-attr", "delete-attr"],
        );
        check_renames(
            &[
                "animals.speccies:animals.species",
                "animals.mother:animals.parent",
            ],
            &["update-attr", "update-attr"],
        );
    }

    #[test]
    fn renaming_to_itself_drops_the_created_item() {
        // Upstream quirk: the selector answers {from: x, to: x}, so `species` is neither
        // created nor renamed, and `speccies` is deleted.
        let mut selector = RenameSelector::parse(&["animals.species:animals.species"]).unwrap();
        let old = animals("speccies", "mother");
        let new = animals("species", "mother");
        let txs = diff_schemas(
            &old,
            &new,
            &mut selector,
            &SystemCatalogIdentNames::default(),
        )
        .unwrap();
        assert_eq!(
            txs,
            [MigrationTx::DeleteAttr(Identifier::new(
                "animals", "speccies"
            ))]
        );
    }

    #[test]
    fn resolver_answers_must_be_candidates() {
        let mut resolver = |_: &str, _: &[String], _: &RenameContext<'_>| {
            RenameChoice::RenameFrom("nope".to_owned())
        };
        let err = diff_schemas(
            &animals("speccies", "mother"),
            &animals("species", "mother"),
            &mut resolver,
            &SystemCatalogIdentNames::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::InvalidRenameChoice { ref from, .. } if from == "nope"));
    }

    #[test]
    fn resolver_sees_candidates_and_context() {
        let mut asked = Vec::new();
        let mut resolver = |created: &str, candidates: &[String], ctx: &RenameContext<'_>| {
            asked.push((created.to_owned(), candidates.to_vec(), format!("{ctx:?}")));
            RenameChoice::Create
        };
        diff_schemas(
            &animals("speccies", "mother"),
            &animals("species", "parent"),
            &mut resolver,
            &SystemCatalogIdentNames::default(),
        )
        .unwrap();
        assert_eq!(asked.len(), 2);
        assert_eq!(asked[0].0, "species");
        assert_eq!(asked[0].1, ["speccies"]);
        assert_eq!(asked[1].0, "animals.parent<->animals.child");
        assert_eq!(asked[1].1, ["animals.mother<->animals.child"]);
        assert!(asked[1].2.contains("forward_entity_name: \"animals\""));
    }

    #[test]
    fn system_attrs_are_never_touched() {
        let sys: SystemCatalogIdentNames = [("$users", "id"), ("$users", "email")]
            .into_iter()
            .collect();
        let old = i::schema().entities([("$users", i::entity([("email", i::string())]))]);
        let new = i::schema().entities([(
            "$users",
            i::entity([("email", i::number()), ("fullName", i::string().optional())]),
        )]);
        let txs = diff_schemas(&old, &new, &mut RenameSelector::default(), &sys).unwrap();
        assert_eq!(txs.len(), 1);
        assert_eq!(txs[0].identifier(), &Identifier::new("$users", "fullName"));
    }

    #[test]
    fn convert_reports_missing_attrs_with_upstream_message() {
        let txs = [MigrationTx::Index(Identifier::new("posts", "title"))];
        let err = convert_tx_steps(&txs, &[], || "id".to_owned()).unwrap_err();
        assert_eq!(err.to_string(), "Attribute posts.title not found");
    }

    #[test]
    fn new_required_link_is_created_unconstrained_then_required() {
        // upstream migrations.test.ts "create required link".
        let old = i::schema().entities([("albums", i::entity([])), ("songs", i::entity([]))]);
        let new = old.clone().links([(
            "albumSongs",
            i::link(
                i::forward("songs", Has::One, "album").required(),
                i::reverse("albums", Has::Many, "songs"),
            ),
        )]);
        let txs = diff_schemas(
            &old,
            &new,
            &mut RenameSelector::default(),
            &SystemCatalogIdentNames::default(),
        )
        .unwrap();
        let mut ids = 0;
        let steps = convert_tx_steps(&txs, &[], || {
            ids += 1;
            format!("id{ids}")
        })
        .unwrap();
        assert_eq!(
            serde_json::to_string(&steps).unwrap(),
            r#"[["add-attr",{"forward-identity":["id1","songs","album"],"reverse-identity":["id2","albums","songs"],"inferred-types":null,"value-type":"ref","id":"id1","cardinality":"one","index?":false,"required?":false,"unique?":false,"catalog":"user","checked-data-type":null}],["required",{"attr-id":"id1","forward-identity":["id1","songs","album"]}]]"#
        );
        assert_eq!(
            steps[0].friendly_description(&[]),
            "Link songs.album to albums.songs."
        );
        assert!(steps[1].is_background() && !steps[0].is_background());
        let PlanStep::AddAttr(new_attr) = steps[0].clone() else {
            panic!("{:?}", steps[0])
        };
        let stored = ApiAttr::from(new_attr);
        assert_eq!(stored.reverse_identity.unwrap().name(), "albums.songs");
        assert_eq!(stored.checked_data_type, None);
    }

    #[test]
    fn js_trim_matches_string_prototype_trim() {
        assert_eq!(js_trim("\u{feff}\u{a0} a.b \n\u{2028}"), "a.b");
        assert_eq!(js_trim("\u{85}a"), "\u{85}a");
    }
}
