//! A schema push's plan and its background jobs in words, as `instant-cli push` shows them
//! (`renderSchemaPlan.ts`, `groupSteps`, and the job messages of `old.js`), without colours.

use instantdb_platform::{BackgroundJob, JobStatus, SchemaStep};
use instantdb_schema::Has;
use instantdb_schema::api::{ApiAttr, AttrValueType};
use instantdb_schema::diff::{Identifier, MigrationTx, PlanStep};
use serde_json::Value;

/// The plan's lines: one per change, with indented details. An entity gaining its `id` is one
/// `+ CREATE NAMESPACE` with its attributes below it; an entity losing its `id` is one
/// `- DELETE NAMESPACE`.
pub(crate) fn render(txs: &[MigrationTx], current_attrs: &[ApiAttr]) -> Vec<String> {
    // Steps name attributes by their old names; a constraint on a renamed attribute reads
    // better under its new one.
    let renames: Vec<(&Identifier, &Identifier)> = txs
        .iter()
        .filter_map(|tx| match tx {
            MigrationTx::UpdateAttr {
                identifier,
                partial_attr,
            } => partial_attr
                .forward_identity
                .as_ref()
                .map(|to| (identifier, to)),
            _ => None,
        })
        .collect();
    let current = |id: &Identifier| {
        renames
            .iter()
            .find(|(from, _)| *from == id)
            .map_or_else(|| dotted(id), |(_, to)| dotted(to))
    };
    let render_one = |tx: &MigrationTx, attrs: &[ApiAttr]| render_one(tx, attrs, &current);
    let mut lines = Vec::new();
    // Adds and deletes grouped by entity (in first-seen order), then everything else.
    let mut groups: Vec<(&str, Vec<&MigrationTx>)> = Vec::new();
    for tx in txs {
        if matches!(tx, MigrationTx::AddAttr(_) | MigrationTx::DeleteAttr(_)) {
            let namespace = tx.identifier().namespace.as_str();
            match groups.iter_mut().find(|(ns, _)| *ns == namespace) {
                Some((_, group)) => group.push(tx),
                None => groups.push((namespace, vec![tx])),
            }
        }
    }
    for (namespace, group) in &groups {
        let has_id = |deleting: bool| {
            group.iter().any(|tx| match tx {
                MigrationTx::DeleteAttr(id) => deleting && id.attr_name == "id",
                MigrationTx::AddAttr(add) => !deleting && add.identifier.attr_name == "id",
                _ => false,
            })
        };
        if has_id(true) {
            lines.push(format!("- DELETE NAMESPACE {namespace}"));
        } else if has_id(false) {
            lines.push(format!("+ CREATE NAMESPACE {namespace}"));
            for tx in group {
                for line in render_one(tx, current_attrs) {
                    lines.push(format!("    {line}"));
                }
            }
        } else {
            for tx in group {
                lines.extend(render_one(tx, current_attrs));
            }
        }
    }
    for tx in txs {
        if !matches!(tx, MigrationTx::AddAttr(_) | MigrationTx::DeleteAttr(_)) {
            lines.extend(render_one(tx, current_attrs));
        }
    }
    lines
}

fn dotted(id: &Identifier) -> String {
    format!("{}.{}", id.namespace, id.attr_name)
}

fn find_attr<'a>(attrs: &'a [ApiAttr], id: &Identifier) -> Option<&'a ApiAttr> {
    attrs.iter().find(|attr| {
        attr.forward_identity.etype == id.namespace && attr.forward_identity.label == id.attr_name
    })
}

fn render_one(
    tx: &MigrationTx,
    current_attrs: &[ApiAttr],
    current: &dyn Fn(&Identifier) -> String,
) -> Vec<String> {
    let detail = |text: &str| format!("    {text}");
    match tx {
        MigrationTx::AddAttr(add) => match (&add.value_type, &add.reverse_identity) {
            (AttrValueType::Ref, Some(reverse)) => {
                let (from, to) = match (add.cardinality, add.unique) {
                    (Has::Many, false) => ("MANY", "MANY"),
                    (Has::One, true) => ("ONE", "ONE"),
                    (Has::Many, true) => ("MANY", "ONE"),
                    (Has::One, false) => ("ONE", "MANY"),
                };
                let mut lines = vec![
                    format!(
                        "+ CREATE LINK {} <-> {}",
                        dotted(&add.identifier),
                        dotted(reverse)
                    ),
                    detail(&format!("{from} <-> {to}")),
                ];
                if add.required {
                    lines.push(detail("REQUIRED"));
                }
                lines
            }
            _ => {
                let mut lines = vec![format!("+ CREATE ATTR {}", dotted(&add.identifier))];
                if let Some(Some(data_type)) = add.checked_data_type {
                    lines.push(detail(&format!("DATA TYPE: {}", data_type.as_str())));
                }
                if add.unique && add.identifier.attr_name != "id" {
                    lines.push(detail("UNIQUE"));
                }
                if !add.required {
                    lines.push(detail("OPTIONAL"));
                }
                if add.index {
                    lines.push(detail("INDEXED"));
                }
                lines
            }
        },
        MigrationTx::DeleteAttr(id) => {
            let is_link = find_attr(current_attrs, id)
                .is_some_and(|attr| attr.value_type == AttrValueType::Ref);
            let what = if is_link { "LINK" } else { "ATTR" };
            vec![format!("- DELETE {what} {}", dotted(id))]
        }
        MigrationTx::UpdateAttr {
            identifier,
            partial_attr,
        } => {
            let renamed_to = partial_attr
                .forward_identity
                .as_ref()
                .filter(|to| to.attr_name != identifier.attr_name);
            if partial_attr.value_type != AttrValueType::Ref {
                return vec![match renamed_to {
                    Some(to) => format!("* RENAME ATTR {} -> {}", dotted(identifier), dotted(to)),
                    None => format!("* UPDATE ATTR {}", dotted(identifier)),
                }];
            }
            let old = find_attr(current_attrs, identifier);
            let old_reverse = old.and_then(|attr| attr.reverse_identity.as_ref());
            let reverse_renamed = match (&partial_attr.reverse_identity, old_reverse) {
                (Some(new), Some(old)) => new.attr_name != old.label,
                _ => false,
            };
            let change = if reverse_renamed {
                "RENAME REVERSE"
            } else if renamed_to.is_some() {
                "RENAME"
            } else {
                "UPDATE"
            };
            let mut line = format!("* {change} ATTR {}", dotted(identifier));
            if let Some(reverse) = old_reverse {
                line.push_str(&format!(" <-> {}.{}", reverse.etype, reverse.label));
            }
            if let Some(to) = renamed_to {
                line.push_str(&format!(" (now {})", dotted(to)));
            }
            vec![line]
        }
        MigrationTx::Index(id) => vec![format!("+ CREATE INDEX {}", current(id))],
        MigrationTx::RemoveIndex(id) => vec![format!("- DELETE INDEX {}", current(id))],
        MigrationTx::Required(id) => vec![format!("+ MAKE REQUIRED {}", current(id))],
        MigrationTx::RemoveRequired(id) => vec![format!("- MAKE OPTIONAL {}", current(id))],
        MigrationTx::Unique(id) => vec![format!("* MAKE UNIQUE {}", current(id))],
        MigrationTx::RemoveUnique(id) => {
            vec![format!("- REMOVE UNIQUE CONSTRAINT {}", current(id))]
        }
        MigrationTx::CheckDataType {
            identifier,
            checked_data_type,
        } => vec![format!(
            "+ SET DATA TYPE {} {}",
            current(identifier),
            checked_data_type.as_str()
        )],
        MigrationTx::RemoveDataType(id) => {
            vec![format!("- REMOVE DATA TYPE CONSTRAINT {}", current(id))]
        }
    }
}

/// Whether the plan loses data: an attribute, link or entity deleted.
pub(crate) fn deletes(txs: &[MigrationTx]) -> bool {
    txs.iter()
        .any(|tx| matches!(tx, MigrationTx::DeleteAttr(_)))
}

/// What a background job does, in upstream's words (`adding index to todos.title`).
fn job_action(job: &BackgroundJob, attr_name: &str) -> String {
    match job.job_type.as_str() {
        "check-data-type" => format!(
            "setting type of {attr_name} to {}",
            job.checked_data_type.map_or("?", |t| t.as_str())
        ),
        "remove-data-type" => format!("removing type from {attr_name}"),
        "index" => format!("adding index to {attr_name}"),
        "remove-index" => format!("removing index from {attr_name}"),
        "unique" => format!("adding uniqueness constraint to {attr_name}"),
        "remove-unique" => format!("removing uniqueness constraint from {attr_name}"),
        "required" => format!("adding required constraint to {attr_name}"),
        "remove-required" => format!("removing required constraint from {attr_name}"),
        other => format!("running the unexpected job type {other} (job {})", job.id),
    }
}

/// The attribute a background step is about, as `etype.label`: its name after the push when
/// `after` knows its id (a renamed attribute), else the name in the step.
fn step_attr_name(step: &PlanStep, after: &[ApiAttr]) -> String {
    if let Some(attr) = after.iter().find(|attr| attr.id == step.attr_id()) {
        return attr.forward_name();
    }
    match step {
        PlanStep::CheckDataType(check) => check.forward_identity.name(),
        PlanStep::Index(r)
        | PlanStep::RemoveIndex(r)
        | PlanStep::Unique(r)
        | PlanStep::RemoveUnique(r)
        | PlanStep::Required(r)
        | PlanStep::RemoveRequired(r)
        | PlanStep::RemoveDataType(r) => r.forward_identity.name(),
        PlanStep::AddAttr(_) | PlanStep::UpdateAttr(_) | PlanStep::DeleteAttr(_) => String::new(),
    }
}

/// JavaScript's `s.length > n ? s.substr(0, n - 3) + "..." : s`, in characters.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        let kept: String = text.chars().take(max - 3).collect();
        format!("{kept}...")
    } else {
        text.to_owned()
    }
}

fn pad(text: &str, width: usize) -> String {
    let kept: String = text.chars().take(width).collect();
    let len = kept.chars().count();
    format!("{kept}{}", " ".repeat(width - len))
}

/// How a finished background job ended, as instant-cli reports it: `Finished adding index to
/// todos.title.`, or for a failure `INVALID DATA ...` with the server's error and the first
/// offending rows. `None` for steps without a job. `after` are the app's attributes after the
/// push, which name renamed attributes.
pub(crate) fn job_report(step: &SchemaStep, after: &[ApiAttr]) -> Option<String> {
    let job = step.background_job.as_ref()?;
    let attr_name = step_attr_name(&step.step, after);
    let action = job_action(job, &attr_name);
    Some(match &job.status {
        JobStatus::Completed => format!("Finished {action}."),
        JobStatus::Other(status) if status == "canceled" => {
            format!("Canceled {action} before it could finish.")
        }
        JobStatus::Errored => errored_report(job, &attr_name, &action),
        _ => format!("Still {action} ({}).", job.status),
    })
}

fn errored_report(job: &BackgroundJob, attr_name: &str, action: &str) -> String {
    let error = job.error.as_deref().unwrap_or("unknown error");
    let samples = job.invalid_triples_sample.as_deref().unwrap_or_default();
    if samples.is_empty() {
        return format!("Error {action}: {error}.");
    }
    let mut msg = format!("INVALID DATA {action} ({error}).\n");
    if let Some(value) = &job.invalid_unique_value {
        msg.push_str(&format!(
            "  Found multiple entities with value {}.\n",
            truncate(&value.to_string(), 64)
        ));
    }
    if error == "triple-too-large-error" {
        msg.push_str("  Some of the existing data is too large to index.\n");
    }
    let (etype, label) = attr_name.split_once('.').unwrap_or((attr_name, ""));
    let rows: Vec<(String, String, String)> = samples
        .iter()
        .take(3)
        .map(|triple| {
            let value = match &triple.value {
                Value::Null => "null".to_owned(),
                value => value.to_string(),
            };
            (
                triple.entity_id.clone(),
                truncate(&value, 32),
                triple.json_type.clone(),
            )
        })
        .collect();
    let value_width = rows
        .iter()
        .map(|(_, value, _)| value.chars().count())
        .chain([label.chars().count()])
        .max()
        .unwrap_or(0)
        + 2;
    let widths = [15, 37, value_width, 8];
    let row = |cells: [&str; 4]| {
        let cells: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| pad(cell, width))
            .collect();
        format!("  {}\n", cells.join(" | "))
    };
    msg.push_str("  First few examples:\n");
    msg.push_str(&row(["namespace", "id", label, "type"]));
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    msg.push_str(&format!("  {}\n", rule.join("-|-")));
    for (id, value, json_type) in &rows {
        msg.push_str(&row([etype, id, value, json_type]));
    }
    msg.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use instantdb_schema::diff::{RenameSelector, diff_schemas};
    use instantdb_schema::{SchemaDef, SystemCatalogIdentNames, i};

    fn plan(old: &SchemaDef, new: &SchemaDef, renames: &[&str]) -> Vec<String> {
        let mut selector = RenameSelector::parse(renames).unwrap();
        let txs =
            diff_schemas(old, new, &mut selector, &SystemCatalogIdentNames::default()).unwrap();
        render(&txs, &[])
    }

    #[test]
    fn plans_read_like_instant_clis() {
        let empty = i::schema();
        let todos = i::schema().entities([(
            "todos",
            i::entity([("name", i::string()), ("done", i::boolean().optional())]),
        )]);
        assert_eq!(
            plan(&empty, &todos, &[]),
            [
                "+ CREATE NAMESPACE todos",
                "    + CREATE ATTR todos.id",
                "    + CREATE ATTR todos.name",
                "        DATA TYPE: string",
                "    + CREATE ATTR todos.done",
                "        DATA TYPE: boolean",
                "        OPTIONAL",
            ]
        );
        let renamed =
            i::schema().entities([("todos", i::entity([("title", i::string().indexed())]))]);
        assert_eq!(
            plan(&todos, &renamed, &["todos.name:todos.title"]),
            [
                "- DELETE ATTR todos.done",
                "* RENAME ATTR todos.name -> todos.title",
                "+ CREATE INDEX todos.title",
            ]
        );
        assert_eq!(plan(&todos, &empty, &[]), ["- DELETE NAMESPACE todos"]);
    }
}
