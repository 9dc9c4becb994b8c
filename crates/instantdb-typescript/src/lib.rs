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
//! - [`preserve_types`] is instant-cli's `--experimental-type-preservation`: the generic type
//!   arguments of the file being replaced (`i.json<T>()`, `.asType<T>()`) and their imports,
//!   merged into the generated file as instant-cli's `mergeSchema` merges them.
//!
//! # Parsing
//!
//! [`parse_schema_typescript_file`] and [`parse_perms_typescript_file`] read a file the way
//! instant-cli sees it after running it (it loads the file with `unconfig` and takes the default
//! export), without running anything: the file is evaluated statically. Files in the shape the
//! generators write take a fast path that reads them without swc's general parser; every other
//! file is parsed with swc and evaluated; what the evaluator cannot read but upstream's own
//! parser (`schemaTypescriptFileToInstantSchema` / `permsTypescriptFileToCode`, which
//! pattern-match Babel's tree) accepts is then read as upstream reads it, so no file upstream's
//! parser accepts is refused. The `*_with_imports` variants follow relative imports through a
//! reader the caller gives (this crate does no IO). Errors are [`ParseError`]s with file, line,
//! column and a source excerpt; syntax errors carry swc's message, refusals say in plain words
//! what cannot be known and what to write instead. Nothing panics or hangs, whatever the input:
//! nesting, and the number of `<` open at once (more than six makes swc's backtracking between
//! type arguments and comparisons slow), are bounded before swc runs (see
//! [`ParseErrorKind::TooDeep`]), the parser runs on a grown stack, a panic inside swc becomes a
//! parse error, and evaluation has a step budget.
//!
//! ## What the readers evaluate
//!
//! The value read is the default export (`export default schema`, `export { x as default }`,
//! `export default i.schema({...})`); without one, the `_schema` (schema) or `rules` (rules)
//! variable upstream's parser reads. Supported, anywhere a value is expected:
//! - literals (strings, numbers, booleans, `null`, objects, arrays), comments, parentheses;
//! - module-level `const`, and `let`/`var` never assigned again, referenced by name anywhere
//!   (`entities`, `links`, `rooms`, one entity, one attribute, one link, a rule, a bind list),
//!   destructuring (`const { a, b: c } = x`), shorthand properties (`{ entities, links }`),
//!   `export const`, re-exports;
//! - spreads in objects and arrays (`...timestamps`), later keys overriding earlier ones as in
//!   JavaScript; `Object.freeze(x)`, `Object.assign({}, a, b)`, `Object.fromEntries`,
//!   `Object.entries` / `keys` / `values`, `array.map(fn)`;
//! - template literals with known substitutions, `+` on strings and numbers, the other
//!   arithmetic and comparison operators, `&&`, `||`, `??`, `!`, `? :`, `typeof`;
//! - computed keys (`[KEY]: ...`, `[Names.Todos]: ...`) from known values;
//! - `as`, `as const`, `satisfies`, `!`, `<T>x`, `f<T>`, type-only declarations, `declare`,
//!   `import type`;
//! - TypeScript enums (string and numeric members, `Status.Open`);
//! - the `i` builder of `@instantdb/core` 1.0.67, imported from any `@instantdb/*` package under
//!   any name or through a namespace (a bare `i` also works, as in upstream's parser):
//!   `i.schema`, `i.graph`, `i.entity`, `i.string`, `i.number`, `i.boolean`, `i.date`, `i.json`,
//!   `i.any`, with generic type arguments, the attribute modifiers `.optional()`, `.unique()`,
//!   `.indexed()`, `.clientRequired()` in any order and repetition, `.asType<T>()` on entities
//!   and `.withRoomSchema<T>()` on schemas, building exactly the objects `@instantdb/core` builds
//!   (so the wire JSON is `JSON.stringify` of the executed default export);
//! - helper functions (arrow functions, function declarations and expressions, methods) whose
//!   body builds and returns a value from its parameters with `const` declarations, `if` on
//!   known values and `return`; default and rest parameters, destructured parameters;
//! - relative imports of sibling modules (`import { timestamps } from "./schema/shared"`, named,
//!   default and namespace imports, `.ts`/`.tsx`/`.mts`/`.cts`/`.js`/`.mjs`/`.cjs`, `./x.js`
//!   meaning `./x.ts`, `index.*` in a folder) through the `*_with_imports` readers, with cycles
//!   detected.
//!
//! Refused, with a located error that names the construct in plain words and says what to write
//! instead: values imported from packages (other than `i`), loops and other statements in
//! helpers, classes, `new`, assignments after the declaration, the environment
//! (`process.env`), regular expressions, getters, recursion deeper than 64 calls, and files
//! whose evaluation takes more than two million steps. A schema must be `i.schema(...)` (or
//! `i.graph(...)`) whose entities are `i.entity(...)` of attributes; links must be
//! `{forward: {on, has, label, required?, onDelete?}, reverse: {on, has, label, onDelete?}}`
//! (the model is typed; the wire JSON of [`parse_schema_typescript_file_to_wire_json`] keeps
//! unknown keys inside a link); rooms `{presence: i.entity(...), topics?: {...}}`.
//!
//! ## What upstream's parser accepts beyond that
//!
//! Read as upstream does when the evaluator cannot: a `_schema = i.<anything>({...})` call with
//! one object argument (`i.foo({...})` works too), several `_schema` declarations (later ones
//! overwrite the sections earlier ones defined), and links whose spreads and methods upstream
//! silently drops.
//!
//! [`parse_perms_typescript_file`] needs an object ([`instantdb_schema::perms::Rules`]);
//! [`parse_perms_typescript_file_to_json`] returns whatever JSON value the rules hold (a number,
//! string, `null`, an array), as upstream's `permsTypescriptFileToCode` does.
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
mod preserve;
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

/// Reads the module at a path (built from the importing file's name and a relative import
/// source): its text, or `None` when there is no such file. For the `*_with_imports` readers.
pub type ReadModule<'r> = &'r dyn Fn(&str) -> Option<String>;

/// instant-cli's `--experimental-type-preservation` (`mergeSchema`): `new_file` (a schema file
/// just generated, e.g. by [`generate_schema_file`]) with the generic type arguments of
/// `old_file` (the file it replaces) copied to the same places: the `T` of every
/// `i.<type><T>()` and of `i.entity(...).asType<T>()` at the same property path, and the
/// imports those types need (named, aliased, default, namespace, `type` or not), added after the
/// leading `//` comments. With [`Style::Raw`] the result is byte for byte instant-cli's, which
/// prettier then formats; with [`Style::Prettier`] the added imports are written as prettier
/// writes them (double quotes), and the rest as given (a type argument long enough to push a line
/// past 80 columns is not re-wrapped). Fails, as instant-cli does, when either file's schema
/// object holds a spread.
pub fn preserve_types(old_file: &str, new_file: &str, style: Style) -> Result<String, ParseError> {
    preserve::merge(
        old_file,
        new_file,
        match style {
            Style::Raw => '\'',
            Style::Prettier => '"',
        },
    )
}

/// `schemaTypescriptFileToInstantSchema(src, file_name)`: the schema an `instant.schema.ts`
/// declares. See the crate documentation for the accepted forms. Relative imports cannot be
/// followed from a string; use [`parse_schema_typescript_file_with_imports`] for files on disk.
pub fn parse_schema_typescript_file(src: &str, file_name: &str) -> Result<SchemaDef, ParseError> {
    parse::schema(src, file_name, false, None).map(|read| read.schema)
}

/// [`parse_schema_typescript_file`] for a file on disk: relative imports
/// (`import { timestamps } from "./schema/shared"`) are followed through `read`, which is given
/// a path built from `file_name` and returns that file's text, or `None` when there is none
/// (`|path| std::fs::read_to_string(path).ok()`). This crate does no IO itself.
pub fn parse_schema_typescript_file_with_imports(
    src: &str,
    file_name: &str,
    read: ReadModule<'_>,
) -> Result<SchemaDef, ParseError> {
    parse::schema(src, file_name, false, Some(read)).map(|read| read.schema)
}

/// `JSON.stringify(schemaTypescriptFileToInstantSchema(src, file_name))`: the wire JSON of the
/// schema an `instant.schema.ts` declares, with its links exactly as written (key order and keys
/// the model does not know included), as upstream prints it.
pub fn parse_schema_typescript_file_to_wire_json(
    src: &str,
    file_name: &str,
) -> Result<String, ParseError> {
    wire_json(parse::schema(src, file_name, true, None)?)
}

/// [`parse_schema_typescript_file_to_wire_json`] following relative imports through `read` (see
/// [`parse_schema_typescript_file_with_imports`]).
pub fn parse_schema_typescript_file_to_wire_json_with_imports(
    src: &str,
    file_name: &str,
    read: ReadModule<'_>,
) -> Result<String, ParseError> {
    wire_json(parse::schema(src, file_name, true, Some(read))?)
}

fn wire_json(read: parse::SchemaRead) -> Result<String, ParseError> {
    Ok(match read.wire {
        Some(wire) => js::stringify(&wire),
        None => schema_wire_json(&read.schema, read.links),
    })
}

/// `permsTypescriptFileToCode(src, file_name)`: the rules an `instant.perms.ts` declares. See
/// the crate documentation for the accepted forms.
pub fn parse_perms_typescript_file(src: &str, file_name: &str) -> Result<Rules, ParseError> {
    parse::perms(src, file_name, None)
}

/// [`parse_perms_typescript_file`] following relative imports through `read` (see
/// [`parse_schema_typescript_file_with_imports`]).
pub fn parse_perms_typescript_file_with_imports(
    src: &str,
    file_name: &str,
    read: ReadModule<'_>,
) -> Result<Rules, ParseError> {
    parse::perms(src, file_name, Some(read))
}

/// `JSON.stringify(permsTypescriptFileToCode(src, file_name))`: the rules value a file declares
/// as JSON, whatever its type. Upstream returns what the rules variable holds, so a number, a
/// string, `null` or an array reads here as it does there; [`parse_perms_typescript_file`]
/// needs an object. `read` follows relative imports (see
/// [`parse_schema_typescript_file_with_imports`]).
pub fn parse_perms_typescript_file_to_json(
    src: &str,
    file_name: &str,
    read: Option<ReadModule<'_>>,
) -> Result<String, ParseError> {
    parse::perms_json(src, file_name, read).map(|value| js::stringify(&value))
}

/// Entry points for the fuzz targets in `fuzz/` and the conformance suite: the parsers without
/// their fast path, to check that the paths agree. Not part of the API.
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    /// [`parse_schema_typescript_file_to_wire_json`] through swc only (evaluator, then the
    /// walker).
    pub fn parse_schema_with_swc(src: &str, file_name: &str) -> Result<String, ParseError> {
        wire_json(parse::with_swc(
            src,
            file_name,
            None,
            parse::evaluate_schema,
            parse::walk_schema,
        )?)
    }

    /// [`parse_schema_typescript_file_to_wire_json`] through the evaluator only, following
    /// imports through `read`.
    pub fn parse_schema_with_evaluator(
        src: &str,
        file_name: &str,
        read: Option<ReadModule<'_>>,
    ) -> Result<String, ParseError> {
        wire_json(parse::with_swc(
            src,
            file_name,
            read,
            parse::evaluate_schema,
            |_, _| Err(parse::Located::new(Default::default(), "")),
        )?)
    }

    /// [`parse_perms_typescript_file`] through swc only, as JSON.
    pub fn parse_perms_with_swc(src: &str, file_name: &str) -> Result<String, ParseError> {
        parse::with_swc(
            src,
            file_name,
            None,
            parse::perms::evaluate,
            parse::perms::walk,
        )
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
