//! Typed Rust from an InstantDB schema: [`generate`] turns a [`SchemaDef`] into the source of a
//! Rust module that the admin API's typed layer (`instantdb_admin::typed`) checks programs
//! against.
//!
//! This crate depends on `instantdb-schema` only: no swc, no IO, no async. The `instant codegen
//! rust` command (`instantdb-cli`) and the `schema!` proc macro (`instantdb-macros`) both call
//! it, so the file a user checks in and the macro's expansion are the same code.
//!
//! # What is generated
//!
//! For each entity, e.g. `todos` with a `createdAt` date and an `owner` link to `$users`:
//!
//! - `pub struct Todo` — the entity as a query returns it: `id: TodoId`, one field per attribute
//!   (snake_case, with a serde rename to the Instant name), optional attributes as `Option`, and
//!   one field per link label (has-one: `Option<Box<User>>`, has-many: `Vec<Todo>`), filled when
//!   the query asks for the link and empty otherwise;
//! - `pub type TodoId = rt::Id<Todo>` — ids of different entities are different types;
//! - `pub struct NewTodo` (arguments of `create`: required attributes are plain fields, so
//!   leaving one out does not compile) and `pub struct TodoUpdate` (arguments of `update`:
//!   every field optional, `Some(None)` clears an optional attribute);
//! - `pub mod todos` — one constant per attribute (`todos::created_at`) and per link label
//!   (`todos::owner`), whose types carry what the server allows (comparisons and `order` only on
//!   indexed attributes with a checked type, lookups only on unique ones);
//! - `Todo::query()` and `Todo::tx(id)` to start typed queries and transactions.
//!
//! Rooms give `pub mod rooms` (one `rt::Room<…Presence>` per room type) and presence and topic
//! structs.
//!
//! # Names
//!
//! Struct names are the namespace without `$`, singularized with a few English rules (`todos` →
//! `Todo`, `categories` → `Category`, `$users` → `User`) and PascalCased; if two entities would
//! get the same name, or a name generated for another item, the namespace is PascalCased as it
//! is. Fields and constants are snake_case (`createdAt` → `created_at`, `imageURL` →
//! `image_url`); characters that cannot be in an identifier become `_`, a leading digit gets a
//! `_` before it, keywords become raw identifiers (`r#type`), and clashes get a numeric suffix.
//! The Instant name is always kept for the wire (serde renames, the constants' strings).
//!
//! # Choices
//!
//! - `$users` and `$files` are always present, with the attributes every app has
//!   (`$users.email`, `$files.path` / `url`), when the schema does not define them.
//! - `number` is `f64`, `date` is `rt::Timestamp` (epoch milliseconds or ISO-8601 strings on
//!   the wire), `json`/`any` is `serde_json::Value`: the parser drops `i.json<T>()`'s type
//!   argument, so there is no user type to map it to yet.
//! - The runtime is named through one path, [`Options::runtime`], by default
//!   `::instantdb::admin::typed` (the facade crate); users of `instantdb-admin` alone set
//!   `::instantdb_admin::typed`. serde is reached through the runtime too, so the user's crate
//!   needs no serde dependency.
//! - Links to an entity that is not in the schema are left out (with a comment), as the server
//!   would refuse them.
#![doc = include_str!("../README.md")]

use std::collections::HashSet;
use std::fmt::Write as _;

use instantdb_schema::{AttrDef, EntityDef, Has, IndexMap, SchemaDef, ValueType};

/// How to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The path of the typed runtime module, as the generated code names it.
    pub runtime: String,
    /// Name of the schema file, for the generated docs.
    pub source: String,
    /// Whether to start with `//!` module docs (a file of its own, from `instant codegen
    /// rust`); a macro expansion cannot have inner docs.
    pub file_header: bool,
    /// Whether to add `$users` and `$files`, as every app has them, when the schema lacks them
    /// (the default). Without them, links to them are left out.
    pub system_entities: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            runtime: "::instantdb::admin::typed".to_owned(),
            source: "instant.schema.ts".to_owned(),
            file_header: true,
            system_entities: true,
        }
    }
}

/// The Rust source of the typed module for `schema`.
pub fn generate(schema: &SchemaDef, options: &Options) -> String {
    let schema = with_system_entities(schema, options);
    let names = Names::new(&schema);
    let mut out = String::new();
    if options.file_header {
        let _ = writeln!(
            out,
            "//! Typed access to the app's data, generated from `{}` by `instant codegen rust`.\n\
             //! Do not edit: regenerate it when the schema changes.",
            options.source
        );
        out.push('\n');
    }
    let _ = writeln!(out, "use {} as rt;", options.runtime);
    let serde_crate = format!("{}::serde", options.runtime);
    for (namespace, entity) in &schema.entities {
        entity_items(&mut out, &schema, &names, namespace, entity, &serde_crate);
    }
    if !schema.rooms.is_empty() {
        rooms(&mut out, &schema, &names, &serde_crate);
    }
    out
}

/// The Rust names [`generate`] gives one entity: for tools and tests that write code against a
/// generated module without parsing it.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityNames {
    /// The Instant namespace (`todos`).
    pub namespace: String,
    /// The entity struct (`Todo`); the id type, `create` and `update` arguments are
    /// `{name}Id`, `New{name}` and `{name}Update`.
    pub struct_name: String,
    /// The module of attribute and link handles (`todos`).
    pub module: String,
    /// Attributes and links, in the generated order: (Instant name, Rust identifier, what).
    pub members: Vec<(String, String, MemberKind)>,
}

/// What a member of [`EntityNames`] is.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberKind {
    /// A data attribute.
    Attr(AttrDef),
    /// A link label to the entity `target` (a namespace), with this side's cardinality.
    Link {
        /// The namespace at the other end.
        target: String,
        /// How many the other end has.
        has: Has,
    },
}

/// The names [`generate`] uses for every entity of `schema` (`$users` and `$files` included),
/// in the generated order. Links to entities missing from the schema are left out, as
/// [`generate`] leaves them out.
pub fn names(schema: &SchemaDef, options: &Options) -> Vec<EntityNames> {
    let schema = with_system_entities(schema, options);
    let names = Names::new(&schema);
    schema
        .entities
        .iter()
        .filter_map(|(namespace, entity)| {
            let (struct_name, module) = names.entities.get(namespace)?;
            let members = members(&schema, namespace, entity)
                .into_iter()
                .filter_map(|(ident, member)| match member {
                    Member::Attr(label, attr) => {
                        Some((label.to_owned(), ident, MemberKind::Attr(attr.clone())))
                    }
                    Member::Link { label, target, has } => names.entity(target).map(|_| {
                        (
                            label.to_owned(),
                            ident,
                            MemberKind::Link {
                                target: target.to_owned(),
                                has,
                            },
                        )
                    }),
                })
                .collect();
            Some(EntityNames {
                namespace: namespace.clone(),
                struct_name: struct_name.clone(),
                module: module.clone(),
                members,
            })
        })
        .collect()
}

/// `$users` and `$files` as every app has them, appended when the schema lacks them.
fn with_system_entities(schema: &SchemaDef, options: &Options) -> SchemaDef {
    let mut schema = schema.clone();
    if !options.system_entities {
        return schema;
    }
    let unique_indexed = |required: bool| AttrDef {
        required,
        indexed: true,
        unique: true,
        ..AttrDef::new(ValueType::String)
    };
    if !schema.entities.contains_key("$users") {
        let mut users = EntityDef::default();
        users
            .attrs
            .insert("email".to_owned(), unique_indexed(false));
        schema.entities.insert("$users".to_owned(), users);
    }
    if !schema.entities.contains_key("$files") {
        let mut files = EntityDef::default();
        files.attrs.insert("path".to_owned(), unique_indexed(true));
        files
            .attrs
            .insert("url".to_owned(), AttrDef::new(ValueType::String));
        schema.entities.insert("$files".to_owned(), files);
    }
    schema
}

/// The Rust names of every entity, chosen once so that clashes are resolved consistently.
struct Names {
    /// Namespace → (struct name, module name).
    entities: IndexMap<String, (String, String)>,
}

impl Names {
    fn new(schema: &SchemaDef) -> Names {
        // The generated code names these std prelude types unqualified (for readability), so no
        // entity may take their names.
        let mut taken: HashSet<String> = [
            "Rooms", "Room", "Box", "Option", "Vec", "String", "Some", "None", "Default", "Result",
            "Ok", "Err",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        let mut modules: HashSet<String> = ["rt", "rooms"].into_iter().map(str::to_owned).collect();
        let mut entities = IndexMap::new();
        for namespace in schema.entities.keys() {
            let bare = namespace.trim_start_matches('$');
            let mut name = pascal(&singular(bare));
            let family = |name: &str| {
                [
                    name.to_owned(),
                    format!("{name}Id"),
                    format!("New{name}"),
                    format!("{name}Update"),
                ]
            };
            if family(&name).iter().any(|n| taken.contains(n)) {
                name = pascal(bare);
            }
            let base = name.clone();
            let mut n = 2;
            while family(&name).iter().any(|n| taken.contains(n)) {
                name = format!("{base}{n}");
                n += 1;
            }
            taken.extend(family(&name));
            let mut module = snake(bare);
            if modules.contains(&module) {
                module = format!("sys_{module}");
            }
            let base = module.clone();
            let mut n = 2;
            while modules.contains(&module) {
                module = format!("{base}_{n}");
                n += 1;
            }
            modules.insert(module.clone());
            entities.insert(namespace.clone(), (name, module));
        }
        Names { entities }
    }

    fn entity(&self, namespace: &str) -> Option<&str> {
        self.entities.get(namespace).map(|(name, _)| name.as_str())
    }
}

/// One attribute or link of an entity, with its Rust name.
enum Member<'a> {
    Attr(&'a str, &'a AttrDef),
    Link {
        label: &'a str,
        target: &'a str,
        has: Has,
    },
}

fn members<'a>(
    schema: &'a SchemaDef,
    namespace: &str,
    entity: &'a EntityDef,
) -> Vec<(String, Member<'a>)> {
    let mut used: HashSet<String> = HashSet::from(["id".to_owned()]);
    let mut out = Vec::new();
    let mut names: HashSet<&str> = HashSet::new();
    let mut add = |name: &'a str, member: Member<'a>| {
        // A label twice on one entity is an invalid schema (the server refuses it); keep the
        // first rather than generate a struct serde cannot derive.
        if !names.insert(name) {
            return;
        }
        let base = field_ident(name);
        let mut ident = base.clone();
        let mut n = 2;
        while used.contains(&ident) {
            ident = format!("{}_{n}", base.trim_start_matches("r#"));
            n += 1;
        }
        used.insert(ident.clone());
        out.push((ident, member));
    };
    for (label, attr) in &entity.attrs {
        add(label, Member::Attr(label, attr));
    }
    for link in schema.links.values() {
        if link.forward.on == namespace {
            add(
                &link.forward.label,
                Member::Link {
                    label: &link.forward.label,
                    target: &link.reverse.on,
                    has: link.forward.has,
                },
            );
        }
        if link.reverse.on == namespace {
            add(
                &link.reverse.label,
                Member::Link {
                    label: &link.reverse.label,
                    target: &link.forward.on,
                    has: link.reverse.has,
                },
            );
        }
    }
    out
}

fn rust_type(value_type: ValueType) -> &'static str {
    match value_type {
        ValueType::String => "String",
        ValueType::Number => "f64",
        ValueType::Boolean => "bool",
        ValueType::Date => "rt::Timestamp",
        ValueType::Json => "rt::serde_json::Value",
    }
}

/// How the attribute reads in `instant.schema.ts`, for the docs.
fn ts_spelling(attr: &AttrDef) -> String {
    let kind = match (attr.value_type, attr.derived_type()) {
        (ValueType::Json, Some("any")) => "any",
        (value_type, _) => value_type.as_str(),
    };
    let mut text = format!("i.{kind}()");
    if attr.unique {
        text.push_str(".unique()");
    }
    if attr.indexed {
        text.push_str(".indexed()");
    }
    if !attr.required {
        text.push_str(".optional()");
    }
    text
}

fn marker(attr: &AttrDef) -> Option<&'static str> {
    let ordered = attr.indexed && attr.value_type != ValueType::Json;
    match (ordered, attr.unique) {
        (false, false) => None,
        (true, false) => Some("rt::Ordered"),
        (false, true) => Some("rt::Unique"),
        (true, true) => Some("rt::OrderedUnique"),
    }
}

/// `pub const ident: ty = init;` inside a module, laid out as rustfmt lays it out (100
/// columns: on one line when it fits, else broken after `=`).
fn const_item(out: &mut String, ident: &str, ty: &str, init: &str) {
    let line = format!("    pub const {ident}: {ty} = {init};");
    if line.len() <= 100 {
        let _ = writeln!(out, "{line}");
    } else {
        let _ = writeln!(out, "    pub const {ident}: {ty} =\n        {init};");
    }
}

/// The `#[serde(...)]` of a field: a rename when the Rust name differs from the Instant name,
/// and `extra`, on one line when rustfmt would keep it so, else one item a line.
fn rename(out: &mut String, ident: &str, name: &str, extra: &str) {
    let plain = ident.trim_start_matches("r#");
    let mut items = Vec::new();
    if plain != name {
        items.push(format!("rename = {}", string_literal(name)));
    }
    // `extra` is this file's own constant text, so splitting it at ", " is safe.
    items.extend(
        extra
            .split(", ")
            .filter(|item| !item.is_empty())
            .map(str::to_owned),
    );
    if items.is_empty() {
        return;
    }
    let args = items.join(", ");
    let line = format!("    #[serde({args})]");
    // rustfmt's `attr_fn_like_width` (70) bounds the arguments, `max_width` (100) the line.
    if args.len() <= 70 && line.len() <= 100 {
        let _ = writeln!(out, "{line}");
    } else {
        out.push_str("    #[serde(\n");
        let last = items.len() - 1;
        for (idx, item) in items.iter().enumerate() {
            let comma = if idx < last { "," } else { "" };
            let _ = writeln!(out, "        {item}{comma}");
        }
        out.push_str("    )]\n");
    }
}

fn entity_items(
    out: &mut String,
    schema: &SchemaDef,
    names: &Names,
    namespace: &str,
    entity: &EntityDef,
    serde_crate: &str,
) {
    let Some((name, module)) = names.entities.get(namespace) else {
        return;
    };
    let ns = string_literal(namespace);
    let members = members(schema, namespace, entity);
    let serde_attr = format!("#[serde(crate = {})]", string_literal(serde_crate));

    // The entity as queries return it.
    let _ = writeln!(
        out,
        "\n/// An entity of `{namespace}`, as queries return it. Link fields are filled when the \
         query asks\n/// for the link (`{name}::query().with({module}::…)`), and empty otherwise.\n\
         #[derive(Debug, Clone, PartialEq, rt::serde::Serialize, rt::serde::Deserialize)]\n\
         {serde_attr}\npub struct {name} {{\n    /// The entity's id.\n    pub id: {name}Id,"
    );
    for (ident, member) in &members {
        match member {
            Member::Attr(label, attr) => {
                let _ = writeln!(out, "    /// `{label}`: `{}`.", ts_spelling(attr));
                let ty = rust_type(attr.value_type);
                if attr.required {
                    let extra = if attr.value_type == ValueType::Json {
                        "default"
                    } else {
                        ""
                    };
                    rename(out, ident, label, extra);
                    let _ = writeln!(out, "    pub {ident}: {ty},");
                } else {
                    rename(
                        out,
                        ident,
                        label,
                        "default, skip_serializing_if = \"Option::is_none\"",
                    );
                    let _ = writeln!(out, "    pub {ident}: Option<{ty}>,");
                }
            }
            Member::Link { label, target, has } => {
                let Some(target_name) = names.entity(target) else {
                    let _ = writeln!(
                        out,
                        "    // The link `{label}` points at `{target}`, which is not in the schema."
                    );
                    continue;
                };
                match has {
                    Has::One => {
                        let _ = writeln!(out, "    /// Link `{label}`: one `{target}`.");
                        rename(
                            out,
                            ident,
                            label,
                            "default, deserialize_with = \"rt::link_one\", skip_serializing_if = \"Option::is_none\"",
                        );
                        let _ = writeln!(out, "    pub {ident}: Option<Box<{target_name}>>,");
                    }
                    Has::Many => {
                        let _ = writeln!(out, "    /// Link `{label}`: many `{target}`.");
                        rename(
                            out,
                            ident,
                            label,
                            "default, skip_serializing_if = \"Vec::is_empty\"",
                        );
                        let _ = writeln!(out, "    pub {ident}: Vec<{target_name}>,");
                    }
                }
            }
        }
    }
    out.push_str("}\n");

    let _ = writeln!(
        out,
        "\n/// The id of an entity of `{namespace}`.\npub type {name}Id = rt::Id<{name}>;\n\n\
         impl rt::Entity for {name} {{\n    const NAMESPACE: &'static str = {ns};\n    \
         type New = New{name};\n    type Update = {name}Update;\n}}\n\n\
         impl {name} {{\n    /// A query of `{namespace}`: `{name}::query().where_(…).limit(…)`.\n    \
         pub fn query() -> rt::Select<{name}> {{\n        rt::Select::new()\n    }}\n\n    \
         /// Operations on the entity `target` of `{namespace}` (an id or a lookup).\n    \
         pub fn tx(target: impl rt::TxTarget<{name}>) -> rt::Tx<{name}> {{\n        \
         rt::Tx::new(target)\n    }}\n}}"
    );

    // `create` arguments.
    let _ = writeln!(
        out,
        "\n/// The attributes of a new entity of `{namespace}` (`{name}::tx(id).create(&New{name} {{ … }})`).\n\
         #[derive(Debug, Clone, PartialEq, rt::serde::Serialize)]\n{serde_attr}\npub struct New{name} {{"
    );
    for (ident, member) in &members {
        if let Member::Attr(label, attr) = member {
            let ty = rust_type(attr.value_type);
            let _ = writeln!(out, "    /// `{label}`: `{}`.", ts_spelling(attr));
            if attr.required {
                rename(out, ident, label, "");
                let _ = writeln!(out, "    pub {ident}: {ty},");
            } else {
                rename(
                    out,
                    ident,
                    label,
                    "skip_serializing_if = \"Option::is_none\"",
                );
                let _ = writeln!(out, "    pub {ident}: Option<{ty}>,");
            }
        }
    }
    out.push_str("}\n");

    // `update` arguments.
    let _ = writeln!(
        out,
        "\n/// Attributes to set on an entity of `{namespace}` (`{name}::tx(id).update(&{name}Update {{ …, ..Default::default() }})`).\n\
         /// `None` leaves an attribute as it is; `Some(None)` clears an optional one.\n\
         #[derive(Debug, Clone, Default, PartialEq, rt::serde::Serialize)]\n{serde_attr}\npub struct {name}Update {{"
    );
    for (ident, member) in &members {
        if let Member::Attr(label, attr) = member {
            let ty = rust_type(attr.value_type);
            let _ = writeln!(out, "    /// `{label}`: `{}`.", ts_spelling(attr));
            rename(
                out,
                ident,
                label,
                "skip_serializing_if = \"Option::is_none\"",
            );
            if attr.required {
                let _ = writeln!(out, "    pub {ident}: Option<{ty}>,");
            } else {
                let _ = writeln!(out, "    pub {ident}: Option<Option<{ty}>>,");
            }
        }
    }
    out.push_str("}\n");

    // Handles.
    let _ = writeln!(
        out,
        "\n/// The attributes and links of `{namespace}`, for `where`, `order`, `with`, `link` and \
         lookups.\n#[allow(non_upper_case_globals)]\npub mod {module} {{\n    use super::rt;\n\n    \
         /// `id`.\n    pub const id: rt::Attr<super::{name}, super::{name}Id> = rt::Attr::new(\"id\");"
    );
    for (ident, member) in &members {
        match member {
            Member::Attr(label, attr) => {
                let ty = match attr.value_type {
                    ValueType::Json => "rt::serde_json::Value".to_owned(),
                    value_type => rust_type(value_type).to_owned(),
                };
                let ty = match marker(attr) {
                    Some(marker) => format!("super::{name}, {ty}, {marker}"),
                    None => format!("super::{name}, {ty}"),
                };
                let _ = writeln!(out, "    /// `{label}`: `{}`.", ts_spelling(attr));
                const_item(
                    out,
                    ident,
                    &format!("rt::Attr<{ty}>"),
                    &format!("rt::Attr::new({})", string_literal(label)),
                );
            }
            Member::Link { label, target, has } => {
                let Some(target_name) = names.entity(target) else {
                    continue;
                };
                let (card, word) = match has {
                    Has::One => ("rt::One", "one"),
                    Has::Many => ("rt::Many", "many"),
                };
                let _ = writeln!(out, "    /// Link `{label}`: {word} `{target}`.");
                const_item(
                    out,
                    ident,
                    &format!("rt::Link<super::{name}, super::{target_name}, {card}>"),
                    &format!("rt::Link::new({})", string_literal(label)),
                );
            }
        }
    }
    out.push_str("}\n");
}

fn rooms(out: &mut String, schema: &SchemaDef, _names: &Names, serde_crate: &str) {
    let serde_attr = format!("#[serde(crate = {})]", string_literal(serde_crate));
    let mut structs = Vec::new();
    let mut taken = HashSet::new();
    for (room, def) in &schema.rooms {
        let base = pascal(room);
        let mut presence = format!("{base}Presence");
        let mut n = 2;
        while taken.contains(&presence) {
            presence = format!("{base}{n}Presence");
            n += 1;
        }
        taken.insert(presence.clone());
        let _ = writeln!(
            out,
            "\n/// The presence data of peers in rooms of type `{room}`.\n\
             #[derive(Debug, Clone, PartialEq, rt::serde::Serialize, rt::serde::Deserialize)]\n\
             {serde_attr}\npub struct {presence} {{"
        );
        data_fields(out, &def.presence);
        out.push_str("}\n");
        for (topic, topic_def) in def.topics.iter().flatten() {
            let mut name = format!("{base}{}Topic", pascal(topic));
            let mut n = 2;
            while taken.contains(&name) {
                name = format!("{base}{}Topic{n}", pascal(topic));
                n += 1;
            }
            taken.insert(name.clone());
            let _ = writeln!(
                out,
                "\n/// A message of topic `{topic}` in rooms of type `{room}`.\n\
                 #[derive(Debug, Clone, PartialEq, rt::serde::Serialize, rt::serde::Deserialize)]\n\
                 {serde_attr}\npub struct {name} {{"
            );
            data_fields(out, topic_def);
            out.push_str("}\n");
        }
        structs.push((room, presence));
    }
    out.push_str(
        "\n/// The room types of the schema, for the admin presence API\n\
         /// (`rooms::<room>.get_presence(&client, room_id)`).\n#[allow(non_upper_case_globals)]\npub mod rooms {\n    use super::rt;\n",
    );
    let mut used = HashSet::new();
    for (room, presence) in structs {
        let base = field_ident(room);
        let mut ident = base.clone();
        let mut n = 2;
        while !used.insert(ident.clone()) {
            ident = format!("{}_{n}", base.trim_start_matches("r#"));
            n += 1;
        }
        let _ = writeln!(out, "\n    /// Rooms of type `{room}`.");
        const_item(
            out,
            &ident,
            &format!("rt::Room<super::{presence}>"),
            &format!("rt::Room::new({})", string_literal(room)),
        );
    }
    out.push_str("}\n");
}

fn data_fields(out: &mut String, entity: &EntityDef) {
    let mut used = HashSet::new();
    for (label, attr) in &entity.attrs {
        let base = field_ident(label);
        let mut ident = base.clone();
        let mut n = 2;
        while !used.insert(ident.clone()) {
            ident = format!("{}_{n}", base.trim_start_matches("r#"));
            n += 1;
        }
        let ty = rust_type(attr.value_type);
        let _ = writeln!(out, "    /// `{label}`: `{}`.", ts_spelling(attr));
        if attr.required {
            rename(out, &ident, label, "");
            let _ = writeln!(out, "    pub {ident}: {ty},");
        } else {
            rename(
                out,
                &ident,
                label,
                "default, skip_serializing_if = \"Option::is_none\"",
            );
            let _ = writeln!(out, "    pub {ident}: Option<{ty}>,");
        }
    }
}

/// A Rust string literal for `text` (Debug escapes `"`, `\` and control characters).
fn string_literal(text: &str) -> String {
    format!("{text:?}")
}

/// Words of a name: split at non-alphanumerics and at lower→upper and acronym→word boundaries
/// (`imageURL` → `image`, `URL`; `HTTPServer` → `HTTP`, `Server`).
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (idx, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if let Some(&prev) = current.chars().last().as_ref() {
            let next_lower = chars.get(idx + 1).is_some_and(|n| n.is_ascii_lowercase());
            let boundary = (prev.is_ascii_lowercase() || prev.is_ascii_digit())
                && c.is_ascii_uppercase()
                || prev.is_ascii_uppercase() && c.is_ascii_uppercase() && next_lower;
            if boundary {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn snake(name: &str) -> String {
    let mut text = words(name)
        .iter()
        .map(|word| word.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    if text.is_empty() {
        text = "x".to_owned();
    }
    if text.starts_with(|c: char| c.is_ascii_digit()) {
        text.insert(0, '_');
    }
    escape_keyword(text)
}

fn pascal(name: &str) -> String {
    let mut text: String = words(name)
        .iter()
        .map(|word| {
            let mut chars = word.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first
                .into_iter()
                .chain(chars.map(|c| c.to_ascii_lowercase()))
                .collect::<String>()
        })
        .collect();
    if text.is_empty() || text.starts_with(|c: char| c.is_ascii_digit()) {
        text.insert(0, 'E');
    }
    if text == "Self" {
        // `Self` is a keyword, and `Self_Id` would not be UpperCamelCase.
        text.push_str("Entity");
    }
    text
}

fn field_ident(name: &str) -> String {
    snake(name)
}

/// Keywords become raw identifiers; the few that cannot be raw get a `_` suffix.
fn escape_keyword(text: String) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern",
        "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "static", "struct", "trait", "true", "type", "unsafe",
        "use", "where", "while", "abstract", "become", "box", "do", "final", "macro", "override",
        "priv", "try", "typeof", "unsized", "virtual", "yield",
    ];
    match text.as_str() {
        "self" | "super" | "crate" | "_" => format!("{text}_"),
        word if KEYWORDS.contains(&word) => format!("r#{text}"),
        _ => text,
    }
}

/// English plural → singular, for the common cases only (a wrong guess is harmless: it is just
/// a name).
fn singular(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let cut = |n: usize| name[..name.len() - n].to_owned();
    if lower.ends_with("ies") && name.len() > 3 {
        format!("{}y", cut(3))
    } else if ["sses", "xes", "ches", "shes", "zzes"]
        .iter()
        .any(|end| lower.ends_with(end))
    {
        cut(2)
    } else if lower.ends_with('s')
        && !["ss", "us", "is"].iter().any(|end| lower.ends_with(end))
        && name.len() > 1
    {
        cut(1)
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snake("createdAt"), "created_at");
        assert_eq!(snake("imageURL"), "image_url");
        assert_eq!(snake("HTTPServer"), "http_server");
        assert_eq!(snake("type"), "r#type");
        assert_eq!(snake("self"), "self_");
        assert_eq!(snake("2fa"), "_2fa");
        assert_eq!(snake("a-b c"), "a_b_c");
        assert_eq!(snake("ünï"), "n");
        assert_eq!(snake("$$"), "x");
        assert_eq!(pascal(&singular("todos")), "Todo");
        assert_eq!(pascal(&singular("categories")), "Category");
        assert_eq!(pascal(&singular("boxes")), "Box");
        assert_eq!(pascal(&singular("status")), "Status");
        assert_eq!(pascal(&singular("users")), "User");
        assert_eq!(pascal("1st"), "E1st");
    }

    #[test]
    fn clashing_names_stay_distinct() {
        let mut schema = SchemaDef::default();
        for name in ["todo", "todos", "Todo", "$users", "users", "rt"] {
            schema
                .entities
                .insert(name.to_owned(), EntityDef::default());
        }
        let names = Names::new(&with_system_entities(&schema, &Options::default()));
        let structs: HashSet<_> = names.entities.values().map(|(s, _)| s.clone()).collect();
        let modules: HashSet<_> = names.entities.values().map(|(_, m)| m.clone()).collect();
        assert_eq!(structs.len(), names.entities.len());
        assert_eq!(modules.len(), names.entities.len());
        assert!(!modules.contains("rt"));
    }
}
