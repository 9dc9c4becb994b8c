//! Writes `instant.schema.ts` / `instant.perms.ts` exactly as the official generator does, and
//! reads them back.
//!
//! This crate turns the models of [`instantdb_schema`] into TypeScript and back. It depends on
//! `instantdb-schema` and swc's parser only: no IO, no async runtime, no HTTP (the layering check
//! in `cargo xtask ci` enforces it). The `instant` CLI (`instantdb-cli`) is its command-line
//! front end.
//!
//! # Code generation
//!
//! One generator per file kind, each taking a [`Style`]: [`generate_schema_file`] (from a
//! [`SchemaDef`]), [`generate_schema_file_from_wire_json`] (from wire JSON, keeping its links
//! as written) and [`generate_perms_file`].
//!
//! - [`Style::Raw`] gives the text of `@instantdb/platform`'s `generateSchemaTypescriptFile` /
//!   `generatePermsTypescriptFile`, byte for byte: ICU (`localeCompare`) order for entities and
//!   attributes, links as `JSON.stringify(links, null, 2)`, rooms taken from the previous schema
//!   only, `i.any()` vs `i.json()` through `metadata.derivedType`, upstream's placeholder for
//!   empty rules.
//! - [`Style::Prettier`] gives what `instant-cli pull` writes to disk: the raw text formatted by
//!   prettier 3 (`--parser typescript`, default options), reproduced by a small built-in printer
//!   for these two file shapes, so switching CLIs shows no diff. No Node.js is needed.
//!
//! # Parsing
//!
//! [`parse_schema_typescript_file`] and [`parse_perms_typescript_file`] read a file with swc and
//! walk it the way upstream's `schemaTypescriptFileToInstantSchema` / `permsTypescriptFileToCode`
//! walk Babel's tree: every file upstream accepts gives the same schema or rules, and a file both
//! reject gives upstream's message (syntax errors give swc's). Files in the shape the generators
//! write take a fast path that builds the same syntax tree without running swc's general parser;
//! everything else, and every error, goes through swc. Errors are [`ParseError`]s with
//! file, line, column and a source excerpt. Nothing panics or hangs, whatever the input:
//! nesting, and the number of `<` open at once (more than six makes swc's backtracking between
//! type arguments and comparisons slow), are bounded before swc runs (see
//! [`ParseErrorKind::TooDeep`]), the parser runs on a grown stack, and a panic inside swc
//! becomes a parse error.
//!
//! ## What the schema parser accepts
//!
//! As upstream:
//! - a top-level `const`/`let`/`var _schema = i.schema({...})` with a single declarator (a type
//!   annotation is fine); the callee's property name is not checked (`i.foo({...})` works too) and
//!   later `_schema` declarations overwrite the sections earlier ones defined;
//! - sections `entities` (required), `links` and `rooms`; other keys are ignored but must hold
//!   objects;
//! - entities `name: i.entity({...})` (any `i.<fn>` with one object argument), keys as
//!   identifiers or strings (also computed `["name"]`; a computed `[name]` reads as `"name"`);
//! - attributes `i.string()`, `i.number()`, `i.boolean()`, `i.date()`, `i.json()`, `i.any()`
//!   followed by any number of `.optional()`, `.unique()`, `.indexed()`, `.clientRequired()` in
//!   any order (arguments ignored), generic type arguments (`i.json<T>()`,
//!   `i.string<'a' | 'b'>()`, dropped);
//! - links as JSON literals (objects, arrays, strings, numbers, booleans, `null`; spreads and
//!   methods are silently dropped, as upstream does);
//! - rooms `{name: {presence: i.entity({...}), topics?: {name: i.entity({...})}}}`;
//! - comments and parentheses anywhere.
//!
//! Beyond upstream (which rejects these):
//! - `export const _schema = ...`;
//! - an aliased or namespaced import of `i`: `import { i as b } from "..."` then `b.schema(...)`,
//!   `b.string()`; `import * as instant from "..."` then `instant.i.schema(...)`;
//! - `x as const` and `x satisfies T` around any of the expressions above;
//! - `export default i.schema({...})`, and a schema variable of any name when it is the default
//!   export (`const schema = i.schema({...}); export default schema;`, also
//!   `export { schema as default }` and chains of `const a = b` aliases);
//! - template literals without substitutions (`` `todos` ``) wherever a string literal is
//!   accepted, including computed keys;
//! - a minus sign on a number literal in links JSON (`-1`).
//!
//! Rejected, as upstream: spreads in `entities`, attributes or rooms; entities or attributes
//! held in variables or built by helpers; other casts (`i.string() as any`); unknown attribute
//! types or modifiers; `i.entity({}).asType<T>()`; numeric entity or attribute keys; a room
//! without `presence` or with other keys; links holding identifiers, templates with
//! substitutions or other expressions; a file without `entities`; `i.graph(...)` (two
//! arguments). Also rejected, where upstream accepts and passes the value through: links that
//! are not `{forward: {on, has, label, required?, onDelete?}, reverse: {on, has, label,
//! onDelete?}}` (the model is typed; a [`SchemaDef`] drops unknown keys inside a link, the wire JSON
//! of [`parse_schema_typescript_file_to_wire_json`] keeps them).
//!
//! ## What the rules parser accepts
//!
//! As upstream: the first top-level single-declarator `rules` declaration whose value is
//! `<JSON literal> satisfies T`, with the same JSON rules as links. Beyond upstream:
//! `const rules: InstantRules = {...}` (any annotation, or none), `{...} as const`,
//! `export const rules`, and `export default {...} satisfies InstantRules` or the default export
//! of a variable of any name. The rules must be an object (upstream would also return a string
//! or `null`).
//!
//! # Example
//!
//! ```
//! use instantdb_schema::i;
//! use instantdb_typescript::{Style, generate_schema_file, parse_schema_typescript_file};
//!
//! let schema = i::schema().entities([("todos", i::entity([("text", i::string())]))]);
//! let code = generate_schema_file(None, &schema, "@instantdb/react", Style::Prettier);
//! assert!(code.contains("    todos: i.entity({\n      text: i.string(),\n    }),\n"));
//! let parsed = parse_schema_typescript_file(&code, "instant.schema.ts").unwrap();
//! assert_eq!(parsed, schema);
//! ```
#![doc = include_str!("../README.md")]

mod codegen;
mod error;
mod parse;
mod prettier;

use instantdb_schema::SchemaDef;
// The JavaScript semantics (key order, number spelling, `JSON.stringify`) shared with the
// other crates; the modules below reach it as `crate::js`.
use instantdb_schema::js;
use instantdb_schema::perms::Rules;

use codegen::Links;

pub use codegen::DEFAULT_MODULE;
pub use error::{ParseError, ParseErrorKind};

/// How generated files are laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Style {
    /// Exactly what `@instantdb/platform`'s generators return.
    Raw,
    /// What `instant-cli` writes to disk: the raw text run through prettier 3 with its default
    /// options (unquoted keys where possible, trailing commas, 80 columns).
    #[default]
    Prettier,
}

/// The `instant.schema.ts` for `schema`: with [`Style::Raw`], what upstream's
/// `generateSchemaTypescriptFile(prev, schema, module)` returns; with [`Style::Prettier`], what
/// `instant-cli pull` writes.
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
/// [`generate_schema_file_from_wire_json`].
#[doc(alias = "generateSchemaTypescriptFile")]
pub fn generate_schema_file(
    prev: Option<&SchemaDef>,
    schema: &SchemaDef,
    module: &str,
    style: Style,
) -> String {
    match style {
        Style::Raw => codegen::schema_file(prev, schema, Links::Model(&schema.links), module),
        Style::Prettier => {
            prettier::schema_file(prev, schema, &codegen::links_value(schema), module)
        }
    }
}

/// [`generate_schema_file`] for a schema given as wire JSON (`JSON.stringify(i.schema(...))`),
/// printing its `links` exactly as given (key order and keys the model does not know included),
/// as upstream prints them.
pub fn generate_schema_file_from_wire_json(
    prev: Option<&SchemaDef>,
    wire_json: &str,
    module: &str,
    style: Style,
) -> Result<String, instantdb_schema::Error> {
    let (schema, links) = codegen::read_wire(wire_json)?;
    Ok(match style {
        Style::Raw => codegen::schema_file(prev, &schema, Links::Json(&links), module),
        Style::Prettier => prettier::schema_file(prev, &schema, &links, module),
    })
}

/// The `instant.perms.ts` for `rules`: with [`Style::Raw`], what upstream's
/// `generatePermsTypescriptFile(rules, module)` returns; with [`Style::Prettier`], what
/// `instant-cli pull` writes. `None` and empty rules give upstream's commented placeholder.
#[doc(alias = "generatePermsTypescriptFile")]
pub fn generate_perms_file(rules: Option<&Rules>, module: &str, style: Style) -> String {
    let rules = rules.map(Rules::to_value);
    match style {
        Style::Raw => codegen::perms_file(rules.as_ref(), module),
        Style::Prettier => prettier::perms_file(rules.as_ref(), module),
    }
}

/// `schemaTypescriptFileToInstantSchema(src, file_name)`: the schema an `instant.schema.ts`
/// declares. See the crate documentation for the accepted forms.
pub fn parse_schema_typescript_file(src: &str, file_name: &str) -> Result<SchemaDef, ParseError> {
    parse::schema(src, file_name, false).map(|(schema, _)| schema)
}

/// `JSON.stringify(schemaTypescriptFileToInstantSchema(src, file_name))`: the wire JSON of the
/// schema an `instant.schema.ts` declares, with its links exactly as written (key order and keys
/// the model does not know included), as upstream prints it.
pub fn parse_schema_typescript_file_to_wire_json(
    src: &str,
    file_name: &str,
) -> Result<String, ParseError> {
    let (schema, links) = parse::schema(src, file_name, true)?;
    Ok(schema_wire_json(&schema, links))
}

/// `permsTypescriptFileToCode(src, file_name)`: the rules an `instant.perms.ts` declares. See
/// the crate documentation for the accepted forms.
pub fn parse_perms_typescript_file(src: &str, file_name: &str) -> Result<Rules, ParseError> {
    parse::with_module(src, file_name, parse::perms::walk)
}

/// Entry points for the fuzz targets in `fuzz/`: the parsers without their fast path, to
/// check that both paths agree. Not part of the API.
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    /// [`parse_schema_typescript_file_to_wire_json`] through swc only.
    pub fn parse_schema_with_swc(src: &str, file_name: &str) -> Result<String, ParseError> {
        let (schema, links) = parse::with_swc_module(src, file_name, parse::schema::walk)?;
        Ok(schema_wire_json(&schema, links))
    }

    /// [`parse_perms_typescript_file`] through swc only, as JSON.
    pub fn parse_perms_with_swc(src: &str, file_name: &str) -> Result<String, ParseError> {
        parse::with_swc_module(src, file_name, parse::perms::walk)
            .map(|rules| rules_to_json(&rules))
    }
}

/// The wire JSON of a parsed schema with its links as written.
fn schema_wire_json(schema: &SchemaDef, links: serde_json::Value) -> String {
    let mut wire = schema.to_wire_value();
    if let Some(slot) = wire.get_mut("links") {
        *slot = links;
    }
    js::stringify(&wire)
}

/// `JSON.stringify(rules)`: the rules as compact JSON, keys in JavaScript's order (array-index
/// keys first, then insertion order), numbers as JavaScript prints them.
pub fn rules_to_json(rules: &Rules) -> String {
    js::stringify(&rules.to_value())
}
