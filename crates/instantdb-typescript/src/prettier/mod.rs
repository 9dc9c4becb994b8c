//! The prettier style: what `prettier.format(raw, {parser: "typescript"})` (prettier 3, default
//! options) makes of the generators' raw output, without running prettier.
//!
//! The raw files have a fixed shape, so instead of parsing them back this module builds, from
//! the same model, the document prettier's estree printer builds for that shape (objects,
//! properties and their assignment layouts, `i.x().y()` member chains, hugged call arguments,
//! arrays and literals), and prints it with a port of prettier's document printer ([`doc`]). The
//! choices that depend on the raw text are fixed by it: every non-empty object literal in the
//! raw output has a line break after `{`, so prettier keeps all of them expanded.

mod doc;
mod tables;
mod width;

use instantdb_schema::{AttrDef, EntityDef, RoomDef, SchemaDef};
use serde_json::Value;

use crate::codegen::{EMPTY_RULES_PLACEHOLDER, format_key, sorted};
use crate::js;
use doc::{
    Doc, Ids, can_break, concat, conditional_group, fill, group, group_with_id, hardline, if_break,
    indent, indent_if_break, join, line, shared, softline, text, will_break,
};

/// The schema file in prettier style; `links` is the links JSON to print (see
/// [`crate::codegen::links_value`]).
pub(crate) fn schema_file(
    prev: Option<&SchemaDef>,
    schema: &SchemaDef,
    links: &Value,
    module: &str,
) -> String {
    let mut ids = Ids::default();
    let mut entities = Vec::new();
    for (name, entity) in sorted(&schema.entities) {
        entities.push(property(
            &format_key(name),
            name,
            entity_call(entity, &mut ids),
            &mut ids,
        ));
    }
    let mut rooms = Vec::new();
    if let Some(prev) = prev {
        for (name, room) in js::ordered(prev.rooms.iter().map(|(k, v)| (k.as_str(), v))) {
            rooms.push(property(
                &format_key(name),
                name,
                Rhs::Object(room_object(room, &mut ids)),
                &mut ids,
            ));
        }
    }
    let sections = vec![
        property(
            "entities",
            "entities",
            Rhs::Object(object(entities)),
            &mut ids,
        ),
        property("links", "links", json_rhs(links, &mut ids), &mut ids),
        property("rooms", "rooms", Rhs::Object(object(rooms)), &mut ids),
    ];
    let call = member_call(&["schema"], Some(object(sections)), &mut ids);
    let statement = variable_declaration("_schema", call.doc, &mut ids);
    format!(
        "// Docs: https://www.instantdb.com/docs/modeling-data

import {{ i }} from {module};

{statement}

// This helps TypeScript display nicer intellisense
type _AppSchema = typeof _schema;
interface AppSchema extends _AppSchema {{}}
const schema: AppSchema = _schema;

export type {{ AppSchema }};
export default schema;
",
        module = print_string(&format_key(module)),
        statement = doc::print(&statement),
    )
}

/// The rules file in prettier style.
pub(crate) fn perms_file(rules: Option<&Value>, module: &str) -> String {
    let rules_code = match rules {
        Some(value @ Value::Object(map)) if !map.is_empty() => {
            let mut ids = Ids::default();
            let Rhs::Object(object) = json_rhs(value, &mut ids) else {
                return String::new();
            };
            let value = concat(vec![object, text(" satisfies InstantRules")]);
            doc::print(&variable_declaration("rules", value, &mut ids))
        }
        // The placeholder is a comment inside `{}`, which prettier leaves as it is.
        _ => format!("const rules = {EMPTY_RULES_PLACEHOLDER} satisfies InstantRules;"),
    };
    format!(
        "// Docs: https://www.instantdb.com/docs/permissions

import type {{ InstantRules }} from {module};

{rules_code}

export default rules;
",
        module = print_string(&format_key(module)),
    )
}

/// The right-hand side of a property, with what prettier's `chooseLayout` looks at.
enum Rhs {
    String(Doc),
    /// A boolean or numeric literal (never broken after the colon).
    Keyword(Doc),
    Object(Doc),
    Other(Doc),
    /// A call chain; `poorly_breakable` when every call has no arguments and the chain is not
    /// printed as a member chain (`i.string()`).
    Call(Call),
}

struct Call {
    doc: Doc,
    poorly_breakable: bool,
}

impl Rhs {
    fn into_doc(self) -> Doc {
        match self {
            Rhs::String(doc) | Rhs::Keyword(doc) | Rhs::Object(doc) | Rhs::Other(doc) => doc,
            Rhs::Call(call) => call.doc,
        }
    }
}

/// An object property `key: value` (prettier's `printProperty` + `printAssignment`). `raw_key`
/// is the key as written in the raw file, `key` its value.
fn property(raw_key: &str, key: &str, value: Rhs, ids: &mut Ids) -> Doc {
    let key_doc = print_key(raw_key, key);
    // `isObjectPropertyWithShortKey`: shorter than tabWidth + 3.
    let short_key = width::string_width(&key_doc) < 5;
    let left = text(key_doc);
    let break_after_operator = !short_key
        && match &value {
            Rhs::String(_) => true,
            Rhs::Call(call) => call.poorly_breakable,
            _ => false,
        };
    if break_after_operator {
        return group(
            concat(vec![
                group(left, false),
                text(":"),
                group(indent(concat(vec![line(), value.into_doc()])), false),
            ]),
            false,
        );
    }
    let never_break = !can_break(&left) && (short_key || matches!(value, Rhs::Keyword(_)));
    if never_break {
        return group(
            concat(vec![
                group(left, false),
                text(":"),
                text(" "),
                value.into_doc(),
            ]),
            false,
        );
    }
    fluid(left, text(":"), value.into_doc(), ids)
}

/// prettier's "fluid" assignment layout: break after the operator only if the start of the
/// right-hand side does not fit.
fn fluid(left: Doc, operator: Doc, right: Doc, ids: &mut Ids) -> Doc {
    let id = ids.next();
    group(
        concat(vec![
            group(left, false),
            operator,
            group_with_id(indent(line()), false, Some(id)),
            doc::Doc::LineSuffixBoundary,
            indent_if_break(right, id),
        ]),
        false,
    )
}

/// `const <name> = <value>;` with prettier's layout for a call or cast value (fluid).
fn variable_declaration(name: &str, value: Doc, ids: &mut Ids) -> Doc {
    concat(vec![
        text("const "),
        fluid(text(name), text(" ="), value, ids),
        text(";"),
    ])
}

/// An object literal that had a line break after `{` in the raw text (all non-empty ones do).
fn object(properties: Vec<Doc>) -> Doc {
    if properties.is_empty() {
        return text("{}");
    }
    let separator = concat(vec![text(","), line()]);
    group(
        concat(vec![
            text("{"),
            indent(concat(vec![line(), join(&separator, properties)])),
            if_break(text(","), text(""), None),
            line(),
            text("}"),
        ]),
        true,
    )
}

/// `i.<names[0]>(<arg>).<names[1]>()...`: prettier's member-chain printing for a chain on the
/// identifier `i` whose first call has at most one (object) argument and the others none.
fn member_call(names: &[&str], arg: Option<Doc>, ids: &mut Ids) -> Call {
    let _ = ids;
    let first_args = match arg {
        Some(object) => call_arguments(object),
        None => text("()"),
    };
    let poorly_breakable_first = matches!(first_args, Doc::Text(_));
    // Printed groups after the first node `i`: `.name` followed by its arguments.
    let mut groups = Vec::with_capacity(names.len());
    for (index, name) in names.iter().enumerate() {
        let args = if index == 0 {
            first_args.clone()
        } else {
            text("()")
        };
        groups.push(shared(concat(vec![text(format!(".{name}")), args])));
    }
    // With one call (`i.x()`) the chain has two groups: printed on one line, not as a chain.
    if groups.len() == 1 {
        let one_line = concat(vec![text("i"), groups.remove(0)]);
        return Call {
            doc: group(one_line, false),
            poorly_breakable: poorly_breakable_first,
        };
    }
    let one_line = concat(
        std::iter::once(text("i"))
            .chain(groups.iter().cloned())
            .collect(),
    );
    let expanded = concat(vec![
        text("i"),
        indent(concat(vec![hardline(), join(&hardline(), groups)])),
    ]);
    let break_parent = if will_break(&one_line) {
        Doc::BreakParent
    } else {
        text("")
    };
    Call {
        doc: concat(vec![
            break_parent,
            conditional_group(vec![one_line, expanded]),
        ]),
        poorly_breakable: false,
    }
}

/// `printCallArguments` for a single object argument.
fn call_arguments(object: Doc) -> Doc {
    let object = shared(object);
    let trailing_comma = if_break(text(","), text(""), None);
    match object {
        // An empty object cannot be hugged: the arguments are a plain group.
        Doc::Text(empty) => {
            let arg = text(empty);
            let should_break = will_break(&arg);
            group(
                concat(vec![
                    text("("),
                    indent(concat(vec![softline(), arg])),
                    trailing_comma,
                    softline(),
                    text(")"),
                ]),
                should_break,
            )
        }
        object => {
            let all_broken_out = group(
                concat(vec![
                    text("("),
                    indent(concat(vec![line(), object.clone()])),
                    trailing_comma,
                    line(),
                    text(")"),
                ]),
                true,
            );
            if will_break(&object) {
                concat(vec![
                    Doc::BreakParent,
                    conditional_group(vec![
                        concat(vec![text("("), group(object, true), text(")")]),
                        all_broken_out,
                    ]),
                ])
            } else {
                conditional_group(vec![
                    concat(vec![text("("), object.clone(), text(")")]),
                    concat(vec![text("("), group(object, true), text(")")]),
                    all_broken_out,
                ])
            }
        }
    }
}

/// `i.entity({...})`.
fn entity_call(entity: &EntityDef, ids: &mut Ids) -> Rhs {
    let mut attrs = Vec::new();
    for (label, attr) in sorted(&entity.attrs) {
        attrs.push(property(
            &format_key(label),
            label,
            attr_chain(attr, ids),
            ids,
        ));
    }
    Rhs::Call(member_call(&["entity"], Some(object(attrs)), ids))
}

/// `i.<type>()` and its modifiers, as the raw generator writes them.
fn attr_chain(attr: &AttrDef, ids: &mut Ids) -> Rhs {
    let type_name = crate::codegen::attr_type_name(attr);
    let mut names: Vec<&str> = vec![&type_name];
    if attr.unique {
        names.push("unique");
    }
    if attr.indexed {
        names.push("indexed");
    }
    if !attr.required {
        names.push("optional");
    }
    Rhs::Call(member_call(&names, None, ids))
}

/// A room: `{presence: i.entity(...), topics?: {...}}`.
fn room_object(room: &RoomDef, ids: &mut Ids) -> Doc {
    let mut properties = vec![property(
        "\"presence\"",
        "presence",
        entity_call(&room.presence, ids),
        ids,
    )];
    if let Some(topics) = &room.topics {
        let mut entries = Vec::new();
        for (name, topic) in js::ordered(topics.iter().map(|(k, v)| (k.as_str(), v))) {
            entries.push(property(
                &format_key(name),
                name,
                entity_call(topic, ids),
                ids,
            ));
        }
        properties.push(property(
            "\"topics\"",
            "topics",
            Rhs::Object(object(entries)),
            ids,
        ));
    }
    object(properties)
}

/// A JSON value as the raw file writes it (`JSON.stringify(value, null, 2)`), formatted.
fn json_rhs(value: &Value, ids: &mut Ids) -> Rhs {
    match value {
        Value::Object(map) => {
            let mut properties = Vec::new();
            for (key, value) in js::ordered(map) {
                let mut raw = String::new();
                js::quote(key, &mut raw);
                properties.push(property(&raw, key, json_rhs(value, ids), ids));
            }
            Rhs::Object(object(properties))
        }
        Value::Array(items) => Rhs::Other(array(items, ids)),
        Value::String(s) => {
            let mut raw = String::new();
            js::quote(s, &mut raw);
            Rhs::String(text(print_string(&raw)))
        }
        Value::Bool(b) => Rhs::Keyword(text(b.to_string())),
        Value::Null => Rhs::Other(text("null")),
        Value::Number(_) => {
            let printed = js::stringify(value);
            match printed.strip_prefix('-') {
                // `-1` is a unary expression, not a numeric literal.
                Some(abs) => Rhs::Other(text(format!("-{}", print_number(abs)))),
                None if printed == "null" => Rhs::Other(text("null")),
                None => Rhs::Keyword(text(print_number(&printed))),
            }
        }
    }
}

/// prettier's `printArray` for a JSON array.
fn array(items: &[Value], ids: &mut Ids) -> Doc {
    if items.is_empty() {
        return text("[]");
    }
    let concise = items.iter().all(Value::is_number);
    let should_break = items.len() > 1
        && items.windows(2).all(|pair| same_kind(&pair[0], &pair[1]))
        && items.iter().all(|item| match item {
            Value::Object(map) => map.len() > 1,
            Value::Array(items) => items.len() > 1,
            _ => false,
        });
    let id = ids.next();
    let elements: Vec<Doc> = items
        .iter()
        .map(|item| json_rhs(item, ids).into_doc())
        .collect();
    let body = if concise {
        let last = elements.len() - 1;
        let mut parts = Vec::with_capacity(elements.len() * 2);
        for (index, element) in elements.into_iter().enumerate() {
            if index == last {
                parts.push(concat(vec![
                    element,
                    if_break(text(","), text(""), Some(id)),
                ]));
            } else {
                parts.push(concat(vec![element, text(",")]));
                parts.push(line());
            }
        }
        fill(parts)
    } else {
        let separator = concat(vec![text(","), line()]);
        let elements = elements.into_iter().map(|e| group(e, false)).collect();
        concat(vec![
            join(&separator, elements),
            if_break(text(","), text(""), None),
        ])
    };
    group_with_id(
        concat(vec![
            text("["),
            indent(concat(vec![softline(), body])),
            softline(),
            text("]"),
        ]),
        should_break,
        Some(id),
    )
}

fn same_kind(a: &Value, b: &Value) -> bool {
    matches!(
        (a, b),
        (Value::Object(_), Value::Object(_)) | (Value::Array(_), Value::Array(_))
    )
}

/// prettier's `printPropertyKey` with `quoteProps: "as-needed"` and the typescript parser: a
/// quoted key loses its quotes when they are not needed for an ES5 identifier (numbers stay
/// quoted in TypeScript).
fn print_key(raw: &str, key: &str) -> String {
    if !raw.starts_with('"') {
        return raw.to_owned();
    }
    let printed = print_string(raw);
    let unquotable =
        printed.get(1..printed.len() - 1) == Some(key) && width::is_es5_identifier_name(key);
    if unquotable { key.to_owned() } else { printed }
}

/// prettier's `printString` for a double-quoted literal `raw`: keeps double quotes unless the
/// content has more double than single quotes, then re-quotes with single quotes.
fn print_string(raw: &str) -> String {
    let content = &raw[1..raw.len() - 1];
    let doubles = content.matches('"').count();
    let singles = content.matches('\'').count();
    if doubles <= singles {
        return raw.to_owned();
    }
    // `makeString(content, "'")`.
    let mut out = String::with_capacity(raw.len());
    out.push('\'');
    let mut chars = content.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('"') => out.push('"'),
                Some(escaped) => {
                    out.push('\\');
                    out.push(escaped);
                }
                None => out.push('\\'),
            },
            '\'' => out.push_str("\\'"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// prettier's `printNumber` for a number as JavaScript prints it (lower-case exponent without
/// `+`; JS output has no other redundancy to remove).
fn print_number(raw: &str) -> String {
    raw.to_lowercase().replace("e+", "e")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_keep_double_quotes_unless_they_hold_more_of_them() {
        assert_eq!(print_string(r#""a'b""#), r#""a'b""#);
        assert_eq!(print_string(r#""a \"b\" c""#), r#"'a "b" c'"#);
        assert_eq!(print_string(r#""\"it's\" \"x\"""#), r#"'"it\'s" "x"'"#);
        assert_eq!(print_string(r#""\\ \"""#), r#"'\\ "'"#);
    }

    #[test]
    fn keys_are_unquoted_when_safe() {
        assert_eq!(print_key("\"todos\"", "todos"), "todos");
        assert_eq!(print_key("\"$users\"", "$users"), "$users");
        assert_eq!(print_key("\"a-b\"", "a-b"), "\"a-b\"");
        assert_eq!(print_key("\"10\"", "10"), "\"10\"");
        assert_eq!(print_key("entities", "entities"), "entities");
    }

    #[test]
    fn numbers() {
        assert_eq!(print_number("1e+21"), "1e21");
        assert_eq!(print_number("1.5e-7"), "1.5e-7");
        assert_eq!(print_number("42"), "42");
    }
}
