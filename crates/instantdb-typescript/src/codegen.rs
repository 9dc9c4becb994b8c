//! `generateSchemaTypescriptFile` and `generatePermsTypescriptFile`: the raw text upstream's
//! generator produces, byte for byte.
//!
//! The templates, the indentation helper (which also indents empty lines) and the separators
//! are upstream's (`@instantdb/platform` `schema.ts`, `perms.ts`, `util.ts`). Entity and attribute
//! names are sorted with [`locale_compare`] (ICU, as JS `localeCompare`) with a stable sort over JS
//! object order, which is what `Object.entries(o).sort(...)` does.

use instantdb_schema::perms::Rules;
use instantdb_schema::{AttrDef, EntityDef, RoomDef, SchemaDef, locale_compare};
use serde_json::Value;

use crate::js;

/// The module the generated files import from when none is given (upstream's default).
pub const DEFAULT_MODULE: &str = "@instantdb/core";

/// The `rules` placeholder upstream writes when the rules are null or empty.
pub(crate) const EMPTY_RULES_PLACEHOLDER: &str = "{
  /**
   * Welcome to Instant's permission system!
   * Right now your rules are empty. To start filling them in, check out the docs:
   * https://www.instantdb.com/docs/permissions
   *
   * Here's an example to give you a feel:
   * posts: {
   *   allow: {
   *     view: \"true\",
   *     create: \"isOwner\",
   *     update: \"isOwner\",
   *     delete: \"isOwner\",
   *   },
   *   bind: {\"isOwner\": \"auth.id != null && auth.id == data.ownerId\"},
   * },
   */
}";

/// `generateSchemaTypescriptFile(prev, schema, module)`: the `instant.schema.ts` upstream writes
/// before the CLI runs prettier over it.
///
/// Only the rooms are taken from `prev` (the server does not store rooms); `schema.rooms` is
/// ignored, as upstream ignores it. Attributes print as `i.<type>()` where the type is
/// `metadata.derivedType.type` when set (so API-derived untyped attributes print as `i.any()`)
/// and the value type otherwise (so a user-built `i.any()` prints as `i.json()`).
///
/// One deliberate difference: names are written inside `"..."` with `"`, `\`, line feeds and
/// carriage returns escaped, where upstream pastes them in verbatim and produces a file that
/// does not parse (or parses to another name). For every other name the output is upstream's.
///
/// Links print in the key order of the model's wire JSON (`on, has, label, required, onDelete`),
/// which is the order `i.schema` documentation, `apiSchemaToInstantSchemaDef` and this crate's
/// parser produce. To keep the order of hand-written wire JSON, as upstream does, use
/// [`generate_schema_typescript_file_from_wire_json`].
pub fn generate_schema_typescript_file(
    prev: Option<&SchemaDef>,
    schema: &SchemaDef,
    module: &str,
) -> String {
    schema_file(prev, schema, &links_value(schema), module)
}

/// [`generate_schema_typescript_file`] for a schema given as wire JSON
/// (`JSON.stringify(i.schema(...))`), printing its `links` exactly as given (key order and keys
/// the model does not know included), as upstream prints them.
pub fn generate_schema_typescript_file_from_wire_json(
    prev: Option<&SchemaDef>,
    wire_json: &str,
    module: &str,
) -> Result<String, instantdb_schema::Error> {
    let (schema, links) = read_wire(wire_json)?;
    Ok(schema_file(prev, &schema, &links, module))
}

/// The schema in `wire_json` and its `links` as given (`{}` when absent).
pub(crate) fn read_wire(wire_json: &str) -> Result<(SchemaDef, Value), instantdb_schema::Error> {
    let schema = SchemaDef::from_wire_json(wire_json)?;
    // The model accepted it, so it is a JSON object.
    let value: Value = serde_json::from_str(wire_json).unwrap_or(Value::Null);
    let links = match value.get("links") {
        Some(links @ Value::Object(_)) => links.clone(),
        _ => Value::Object(serde_json::Map::new()),
    };
    Ok((schema, links))
}

fn schema_file(
    prev: Option<&SchemaDef>,
    schema: &SchemaDef,
    links: &Value,
    module: &str,
) -> String {
    let entities: Vec<String> = sorted(&schema.entities)
        .into_iter()
        .map(|(name, entity)| entity_snippet(name, entity))
        .collect();
    let entities_code = format!(
        "{{\n{}\n}}",
        indent_lines(&join_with_trailing_sep(&entities, ",\n", ","), 2)
    );
    let links_code = js::stringify_pretty(links);
    let rooms_code = rooms_snippet(prev);
    let kv = |key: &str, value: &str| indent_lines(&format!("{key}: {value}"), 2);
    format!(
        "// Docs: https://www.instantdb.com/docs/modeling-data

import {{ i }} from {module};

const _schema = i.schema({{
{entities},
{links},
{rooms}
}});

// This helps TypeScript display nicer intellisense
type _AppSchema = typeof _schema;
interface AppSchema extends _AppSchema {{}}
const schema: AppSchema = _schema;

export type {{ AppSchema }}
export default schema;
",
        module = format_key(module),
        entities = kv("entities", &entities_code),
        links = kv("links", &links_code),
        rooms = kv("rooms", &rooms_code),
    )
}

/// `generatePermsTypescriptFile(rules, module)`: the `instant.perms.ts` upstream writes before
/// the CLI runs prettier over it. `None` and empty rules give upstream's commented placeholder.
pub fn generate_perms_typescript_file(rules: Option<&Rules>, module: &str) -> String {
    let value = rules.map(Rules::to_value);
    generate_perms_from_value(value.as_ref(), module)
}

/// [`generate_perms_typescript_file`] for rules given as JSON (any value upstream would accept:
/// `null` or an empty object give the placeholder).
pub(crate) fn generate_perms_from_value(rules: Option<&Value>, module: &str) -> String {
    let rules_code = match rules {
        Some(value) if has_own_keys(value) => js::stringify_pretty(value),
        _ => EMPTY_RULES_PLACEHOLDER.to_owned(),
    };
    format!(
        "// Docs: https://www.instantdb.com/docs/permissions

import type {{ InstantRules }} from {module};

const rules = {rules_code} satisfies InstantRules;

export default rules;
",
        module = format_key(module),
    )
}

/// `permsCode && Object.keys(permsCode).length`.
fn has_own_keys(value: &Value) -> bool {
    match value {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::String(s) => !s.is_empty(),
        _ => false,
    }
}

/// The schema's `links` as `JSON.stringify` sees them (JS key order, absent options omitted).
pub(crate) fn links_value(schema: &SchemaDef) -> Value {
    schema
        .to_wire_value()
        .get_mut("links")
        .map(Value::take)
        .unwrap_or_else(|| Value::Object(serde_json::Map::new()))
}

/// `Object.entries(map).sort(([a], [b]) => a.localeCompare(b))`.
fn sorted<V>(map: &instantdb_schema::IndexMap<String, V>) -> Vec<(&str, &V)> {
    let mut entries = js::js_order(map.iter().map(|(k, v)| (k.as_str(), v)));
    entries.sort_by(|(a, _), (b, _)| locale_compare(a, b));
    entries
}

fn entity_snippet(name: &str, entity: &EntityDef) -> String {
    let attrs: Vec<String> = sorted(&entity.attrs)
        .into_iter()
        .map(|(label, attr)| attr_snippet(label, attr))
        .collect();
    let block = join_with_trailing_sep(&attrs, ",\n", ",");
    let newline = if block.is_empty() { "" } else { "\n" };
    format!(
        "{}: i.entity({{{newline}{}{newline}}})",
        format_key(name),
        indent_lines(&block, 2)
    )
}

fn attr_snippet(label: &str, attr: &AttrDef) -> String {
    let type_name = attr_type_name(attr);
    format!(
        "{}: i.{type_name}(){}{}{}",
        format_key(label),
        if attr.unique { ".unique()" } else { "" },
        if attr.indexed { ".indexed()" } else { "" },
        if attr.required { "" } else { ".optional()" },
    )
}

/// `attr.metadata.derivedType?.type || attr.valueType`: the builder an attribute prints as.
pub(crate) fn attr_type_name(attr: &AttrDef) -> String {
    derived_type(attr).unwrap_or_else(|| attr.value_type.as_str().to_owned())
}

/// `attr.metadata.derivedType?.type`, when truthy, as JS would interpolate it.
fn derived_type(attr: &AttrDef) -> Option<String> {
    let derived = attr.metadata.get("derivedType")?.as_object()?;
    let value = derived.get("type")?;
    js::is_truthy(value).then(|| js::to_js_string(value))
}

fn rooms_snippet(prev: Option<&SchemaDef>) -> String {
    let mut out = String::from("{");
    if let Some(prev) = prev {
        for (name, room) in js::js_order(prev.rooms.iter().map(|(k, v)| (k.as_str(), v))) {
            out.push_str(&format!(
                "\n  {}: {},",
                format_key(name),
                room_snippet(room)
            ));
        }
    }
    out.push_str(if out == "{" { "}" } else { "\n}" });
    out
}

fn room_snippet(room: &RoomDef) -> String {
    let mut out = String::from("{");
    out.push_str(&format!(
        "\n{},",
        indent_lines(&entity_snippet("presence", &room.presence), 4)
    ));
    if let Some(topics) = &room.topics {
        out.push_str("\n    \"topics\": {");
        for (name, topic) in js::js_order(topics.iter().map(|(k, v)| (k.as_str(), v))) {
            out.push_str(&format!(
                "\n{},",
                indent_lines(&entity_snippet(name, topic), 6)
            ));
        }
        out.push_str("\n    }");
    }
    out.push_str(if out == "{" { "}" } else { "\n  }" });
    out
}

/// `formatKey`: `"` + key + `"`, escaping only what would otherwise break the string literal
/// (upstream escapes nothing).
pub(crate) fn format_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 2);
    out.push('"');
    for c in key.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `indentLines`: prefixes every line, empty ones included, with `n` spaces; an empty string
/// stays empty.
fn indent_lines(s: &str, n: usize) -> String {
    if s.is_empty() {
        return String::new();
    }
    let space = " ".repeat(n);
    s.split('\n')
        .map(|line| format!("{space}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `joinWithTrailingSep`.
fn join_with_trailing_sep(items: &[String], sep: &str, trailing: &str) -> String {
    let mut joined = items.join(sep);
    if !items.is_empty() {
        joined.push_str(trailing);
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;
    use instantdb_schema::i;

    #[test]
    fn keys_are_escaped_only_where_upstream_would_break() {
        assert_eq!(format_key("a-b é$"), "\"a-b é$\"");
        assert_eq!(format_key("a\"b\\c\nd\re\tf"), "\"a\\\"b\\\\c\\nd\\re\tf\"");
    }

    #[test]
    fn indent_lines_indents_empty_lines_but_not_empty_strings() {
        assert_eq!(indent_lines("", 2), "");
        assert_eq!(indent_lines("a\n\nb", 2), "  a\n  \n  b");
    }

    #[test]
    fn attributes_sort_by_locale_and_print_modifiers_in_fixed_order() {
        let schema = i::schema().entities([(
            "e",
            i::entity([
                ("b", i::string()),
                ("B", i::number().optional().indexed().unique()),
                ("a_b", i::any()),
                ("10", i::date()),
                ("9", i::boolean()),
            ]),
        )]);
        let code = generate_schema_typescript_file(None, &schema, DEFAULT_MODULE);
        let expected = r#"    "e": i.entity({
      "10": i.date(),
      "9": i.boolean(),
      "a_b": i.json(),
      "b": i.string(),
      "B": i.number().unique().indexed().optional(),
    }),"#;
        assert!(code.contains(expected), "{code}");
    }
}
