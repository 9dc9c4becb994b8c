//! `generateSchemaTypescriptFile` and `generatePermsTypescriptFile`: the raw text upstream's
//! generator produces, byte for byte.
//!
//! The templates, the indentation helper (which also indents empty lines) and the separators
//! are upstream's (`@instantdb/platform` `schema.ts`, `perms.ts`, `util.ts`). Entity and attribute
//! names are sorted with [`locale_compare`] (ICU, as JS `localeCompare`) with a stable sort over JS
//! object order, which is what `Object.entries(o).sort(...)` does.

use instantdb_schema::{
    AttrDef, EntityDef, Has, IndexMap, LinkDef, RoomDef, SchemaDef, locale_compare,
};
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

/// Where the links JSON comes from.
pub(crate) enum Links<'a> {
    /// The model, printed in its key order.
    Model(&'a IndexMap<String, LinkDef>),
    /// JSON as given.
    Json(&'a Value),
}

/// `generateSchemaTypescriptFile(prev, schema, module)` (see [`crate::generate_schema_file`]).
pub(crate) fn schema_file(
    prev: Option<&SchemaDef>,
    schema: &SchemaDef,
    links: Links<'_>,
    module: &str,
) -> String {
    // The text is written in one pass at its final indentation, which is what upstream's nested
    // `indentLines` calls produce: entity lines at 4 spaces, attribute lines at 6, every line
    // after the first of the links JSON and of the rooms block shifted by 2.
    let mut out = String::with_capacity(estimated_len(schema));
    out.push_str("// Docs: https://www.instantdb.com/docs/modeling-data\n\nimport { i } from ");
    write_key(&mut out, module);
    out.push_str(";\n\nconst _schema = i.schema({\n  entities: {\n");
    let entities = sorted(&schema.entities);
    if entities.is_empty() {
        // `indentLines` indents the empty middle line of `{\n\n}` too.
        out.push_str("  \n");
    }
    for (name, entity) in entities {
        write_entity(&mut out, name, entity, 4);
        out.push_str(",\n");
    }
    out.push_str("  },\n  links: ");
    match links {
        Links::Model(links) => write_links(&mut out, links),
        // Shifted by one level: every line break in JSON text is layout (strings escape theirs).
        Links::Json(links) => out.push_str(&js::stringify_pretty(links).replace('\n', "\n  ")),
    }
    out.push_str(",\n  rooms: ");
    write_rooms(&mut out, prev);
    out.push_str(
        "\n});

// This helps TypeScript display nicer intellisense
type _AppSchema = typeof _schema;
interface AppSchema extends _AppSchema {}
const schema: AppSchema = _schema;

export type { AppSchema }
export default schema;
",
    );
    out
}

/// About the length of the schema file, so that the text is written without reallocating:
/// the fixed parts, and a line of at most ~40 bytes around each name (attributes are usually
/// `i.string().unique().indexed().optional(),`) and ~300 bytes per link.
fn estimated_len(schema: &SchemaDef) -> usize {
    let entities: usize = schema
        .entities
        .iter()
        .map(|(name, entity)| {
            let attrs: usize = entity.attrs.keys().map(|label| label.len() + 48).sum();
            name.len() + 32 + attrs
        })
        .sum();
    1024 + entities + schema.links.len() * 320
}

/// `generatePermsTypescriptFile(rules, module)` for rules given as JSON (any value upstream
/// would accept: `null` or an empty object give the placeholder).
pub(crate) fn perms_file(rules: Option<&Value>, module: &str) -> String {
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
    // Only the links, not the whole wire JSON; `JSON.stringify` order is applied when printing.
    serde_json::to_value(&schema.links).unwrap_or_else(|_| Value::Object(serde_json::Map::new()))
}

/// `Object.entries(map).sort(([a], [b]) => a.localeCompare(b))`: how both styles order
/// entities and attributes.
pub(crate) fn sorted<V>(map: &instantdb_schema::IndexMap<String, V>) -> Vec<(&str, &V)> {
    let mut entries = js::ordered(map.iter().map(|(k, v)| (k.as_str(), v)));
    entries.sort_by(|(a, _), (b, _)| locale_compare(a, b));
    entries
}

/// `entityDefToCodeStr`, its first line indented by `indent` spaces.
fn write_entity(out: &mut String, name: &str, entity: &EntityDef, indent: usize) {
    push_spaces(out, indent);
    write_key(out, name);
    out.push_str(": i.entity({");
    let attrs = sorted(&entity.attrs);
    if !attrs.is_empty() {
        out.push('\n');
        for (label, attr) in attrs {
            push_spaces(out, indent + 2);
            write_key(out, label);
            out.push_str(": i.");
            match derived_type(attr) {
                // A type name with line breaks gets every later line indented, as upstream's
                // `indentLines` over the whole snippet does.
                Some(type_name) => push_indented(out, &type_name, indent + 2),
                None => out.push_str(attr.value_type.as_str()),
            }
            out.push_str("()");
            if attr.unique {
                out.push_str(".unique()");
            }
            if attr.indexed {
                out.push_str(".indexed()");
            }
            if !attr.required {
                out.push_str(".optional()");
            }
            out.push_str(",\n");
        }
        push_spaces(out, indent);
    }
    out.push_str("})");
}

/// `attr.metadata.derivedType?.type || attr.valueType`: the builder an attribute prints as.
pub(crate) fn attr_type_name(attr: &AttrDef) -> String {
    derived_type(attr).unwrap_or_else(|| attr.value_type.as_str().to_owned())
}

/// `attr.metadata.derivedType?.type`, when truthy, as JS would interpolate it.
fn derived_type(attr: &AttrDef) -> Option<String> {
    let derived = attr.metadata.get("derivedType")?.as_object()?;
    let value = derived.get("type")?;
    js::truthy(value).then(|| js::to_string(value))
}

/// `JSON.stringify(links, null, 2)` of the model's links (key order `on, has, label, required,
/// onDelete`, absent options omitted), every line after the first shifted by 2 spaces.
fn write_links(out: &mut String, links: &IndexMap<String, LinkDef>) {
    if links.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push('{');
    for (i, (name, link)) in js::ordered(links.iter().map(|(k, v)| (k.as_str(), v)))
        .into_iter()
        .enumerate()
    {
        out.push_str(if i == 0 { "\n    " } else { ",\n    " });
        js::quote(name, out);
        out.push_str(": {\n      \"forward\": {");
        let forward = &link.forward;
        write_link_side(out, &forward.on, forward.has, &forward.label);
        if let Some(required) = forward.required {
            out.push_str(if required {
                ",\n        \"required\": true"
            } else {
                ",\n        \"required\": false"
            });
        }
        if let Some(on_delete) = forward.on_delete {
            out.push_str(",\n        \"onDelete\": ");
            js::quote(on_delete.as_str(), out);
        }
        out.push_str("\n      },\n      \"reverse\": {");
        let reverse = &link.reverse;
        write_link_side(out, &reverse.on, reverse.has, &reverse.label);
        if let Some(on_delete) = reverse.on_delete {
            out.push_str(",\n        \"onDelete\": ");
            js::quote(on_delete.as_str(), out);
        }
        out.push_str("\n      }\n    }");
    }
    out.push_str("\n  }");
}

fn write_link_side(out: &mut String, on: &str, has: Has, label: &str) {
    out.push_str("\n        \"on\": ");
    js::quote(on, out);
    out.push_str(",\n        \"has\": ");
    js::quote(has.as_str(), out);
    out.push_str(",\n        \"label\": ");
    js::quote(label, out);
}

/// `roomsCodeStr(prev?.rooms ?? {})`, after `rooms: `.
fn write_rooms(out: &mut String, prev: Option<&SchemaDef>) {
    out.push('{');
    let rooms = prev
        .map(|prev| js::ordered(prev.rooms.iter().map(|(k, v)| (k.as_str(), v))))
        .unwrap_or_default();
    if rooms.is_empty() {
        out.push('}');
        return;
    }
    for (name, room) in rooms {
        out.push_str("\n    ");
        write_key(out, name);
        out.push_str(": ");
        write_room(out, room);
        out.push(',');
    }
    out.push_str("\n  }");
}

/// `roomDefToCodeStr`: presence at 6 spaces, topics at 8, their attributes 2 deeper.
fn write_room(out: &mut String, room: &RoomDef) {
    out.push_str("{\n");
    write_entity(out, "presence", &room.presence, 6);
    out.push(',');
    if let Some(topics) = &room.topics {
        out.push_str("\n      \"topics\": {");
        for (name, topic) in js::ordered(topics.iter().map(|(k, v)| (k.as_str(), v))) {
            out.push('\n');
            write_entity(out, name, topic, 8);
            out.push(',');
        }
        out.push_str("\n      }");
    }
    out.push_str("\n    }");
}

fn push_spaces(out: &mut String, n: usize) {
    const SPACES: &str = "                ";
    let mut left = n;
    while left > 0 {
        let step = left.min(SPACES.len());
        out.push_str(&SPACES[..step]);
        left -= step;
    }
}

/// Writes `text`, indenting every line after the first by `indent` spaces.
fn push_indented(out: &mut String, text: &str, indent: usize) {
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            push_spaces(out, indent);
        }
        out.push_str(line);
    }
}

/// `formatKey`: `"` + key + `"`, escaping only what would otherwise break the string literal
/// (upstream escapes nothing).
pub(crate) fn format_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 2);
    write_key(&mut out, key);
    out
}

/// The bytes [`write_key`] escapes.
const KEY_ESCAPES: [bool; 256] = {
    let mut table = [false; 256];
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table[b'\n' as usize] = true;
    table[b'\r' as usize] = true;
    table
};

/// [`format_key`] into `out`.
pub(crate) fn write_key(out: &mut String, key: &str) {
    if !key.bytes().any(|b| KEY_ESCAPES[usize::from(b)]) {
        out.reserve(key.len() + 2);
        out.push('"');
        out.push_str(key);
        out.push('"');
        return;
    }
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
    fn derived_type_names_with_line_breaks_are_indented_like_upstream() {
        let mut attr = i::string();
        attr.metadata
            .insert("derivedType".into(), serde_json::json!({"type": "a\nb"}));
        let schema = i::schema().entities([("e", i::entity([("x", attr)]))]);
        let code = crate::generate_schema_file(None, &schema, DEFAULT_MODULE, crate::Style::Raw);
        assert!(code.contains("      \"x\": i.a\n      b(),\n"), "{code}");
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
        let code = crate::generate_schema_file(None, &schema, DEFAULT_MODULE, crate::Style::Raw);
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
