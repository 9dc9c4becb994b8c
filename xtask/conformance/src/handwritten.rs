//! `typescript/handwritten`: schema and rules files written the ways people write them by hand,
//! read by instantdb-typescript's evaluator and compared with what running them gives.
//!
//! Each case is one generated project: `instant.schema.ts` or `instant.perms.ts`, sometimes
//! with sibling modules it imports (`./schema/shared`, `./lib/shared/index.ts`, a second hop).
//! The styles vary per case: consts and shorthand, spreads of shared attributes, helper
//! functions (arrow and declared), template literals and concatenation, computed keys from
//! consts, templates and enums, `as const` / `satisfies` / casts / `!`, `Object.freeze`,
//! every attribute type with type arguments (template-literal ones included) and modifiers in
//! any order and repetition, `.asType<T>()`, links and rooms inline, in consts, spread or built
//! by helpers, the `i` import under any name, the export written five ways, comments,
//! semicolons or not, quotes, indentation.
//!
//! The expected value comes from **executing** the files the way instant-cli@1.0.67 does
//! (`conformance/js/typescript.mjs` `execute`: unconfig's `loadConfig`, jiti, the official
//! `@instantdb/core` `i` builder) and printing the default export with `JSON.stringify`. Ours
//! is `parse_*_with_imports` over the same files in memory. Reported: the files read
//! identically, the files refused (each must carry a located error), and differences (must be
//! 0); fewer than 98% read identically is a failure too.

use std::collections::BTreeMap;

use anyhow::Result;
use instantdb_typescript::{
    ParseErrorKind, parse_perms_typescript_file_with_imports,
    parse_schema_typescript_file_to_wire_json_with_imports, rules_to_json,
};
use serde_json::{Value, json};

use crate::typescript::{Report, Rng, answers, mismatch};

const SCHEMA_CASES: usize = 330;
const PERMS_CASES: usize = 120;
const SEED: u64 = 0x4a4d_0011_5eed_0004;

const ENTITY_NAMES: &[&str] = &[
    "todos", "users", "posts", "comments", "profiles", "teams", "projects", "tags", "messages",
    "rooms", "invites", "files", "$users", "goals", "orders", "items",
];
const LABELS: &[&str] = &[
    "title",
    "text",
    "done",
    "createdAt",
    "updatedAt",
    "email",
    "name",
    "handle",
    "count",
    "score",
    "body",
    "meta",
    "settings",
    "status",
    "priority",
    "dueDate",
    "archived",
    "slug",
    "url",
    "order",
    "data",
    "color",
];
const INDENTS: [&str; 3] = ["  ", "    ", "\t"];
const TYPES: &[&str] = &["string", "number", "boolean", "date", "json", "any"];
const MODIFIERS: &[&str] = &["optional", "unique", "indexed", "clientRequired"];
const RULES: &[&str] = &[
    "true",
    "false",
    "auth.id != null",
    "auth.id in data.ref('owner.id')",
    "auth.id == data.creatorId",
    "data.isPublic == true",
    "auth.email.endsWith('@example.com')",
    "newData.title.size() < 200",
];

/// One generated project.
struct Case {
    kind: &'static str,
    entry: &'static str,
    files: BTreeMap<String, String>,
}

/// Source-writing choices fixed per case.
struct Style {
    quote: char,
    semi: &'static str,
    indent: &'static str,
    comments: bool,
}

impl Style {
    fn new(rng: &mut Rng) -> Style {
        Style {
            quote: if rng.chance(50) { '"' } else { '\'' },
            semi: if rng.chance(80) { ";" } else { "" },
            indent: INDENTS[rng.below(INDENTS.len())],
            comments: rng.chance(40),
        }
    }

    fn q(&self, s: &str) -> String {
        let escaped = s
            .replace('\\', "\\\\")
            .replace(self.quote, &format!("\\{}", self.quote));
        format!("{0}{escaped}{0}", self.quote)
    }
}

/// A module being written: its `import` lines and top-level declarations.
#[derive(Default)]
struct Module {
    imports: Vec<String>,
    decls: Vec<String>,
}

impl Module {
    fn text(&self, style: &Style) -> String {
        let mut out = String::new();
        for import in &self.imports {
            out.push_str(import);
            out.push_str(style.semi);
            out.push('\n');
        }
        out.push('\n');
        for decl in &self.decls {
            out.push_str(decl);
            out.push_str("\n\n");
        }
        out
    }
}

/// Where shared pieces go: the entry module, or a sibling it imports.
struct Gen<'r> {
    rng: &'r mut Rng,
    style: Style,
    /// The expression that denotes `i` in every module.
    i: String,
    /// The `import` line that binds it.
    i_import: String,
    main: Module,
    /// The shared module's path (relative to the project) and import source, if any.
    shared_path: Option<(&'static str, &'static str)>,
    shared: Module,
    /// Names the entry imports from the shared module.
    shared_names: Vec<String>,
    /// Names declared in the entry module (a shared declaration cannot refer to them).
    main_names: Vec<String>,
    counter: usize,
}

impl<'r> Gen<'r> {
    fn new(rng: &'r mut Rng, kind: &str) -> Gen<'r> {
        let style = Style::new(rng);
        let module = *rng.pick(&["@instantdb/core", "@instantdb/admin"]);
        let q = |s: &str| style.q(s);
        let (i, i_import) = match rng.below(10) {
            0 => (
                "b".to_owned(),
                format!("import {{ i as b }} from {}", q(module)),
            ),
            1 => (
                "instant.i".to_owned(),
                format!("import * as instant from {}", q(module)),
            ),
            2 if kind == "schema" => (
                "i".to_owned(),
                format!("import {{ i, type InstaQLEntity }} from {}", q(module)),
            ),
            _ => ("i".to_owned(), format!("import {{ i }} from {}", q(module))),
        };
        let shared_path = if rng.chance(35) {
            Some(*rng.pick(&[
                ("schema/shared.ts", "./schema/shared"),
                ("lib/shared/index.ts", "./lib/shared"),
                ("shared.ts", "./shared.ts"),
                ("src/common.ts", "./src/common"),
            ]))
        } else {
            None
        };
        Gen {
            rng,
            style,
            i,
            i_import,
            main: Module::default(),
            shared_path,
            shared: Module::default(),
            shared_names: Vec::new(),
            main_names: Vec::new(),
            counter: 0,
        }
    }

    fn fresh(&mut self, base: &str) -> String {
        self.counter += 1;
        format!("{base}{}", self.counter)
    }

    /// Declares `decl` (which binds `name`) in the entry or, sometimes, the shared module.
    fn declare(&mut self, name: &str, decl: String) {
        let needs_main = self
            .main_names
            .iter()
            .any(|main| replace_word(&decl, main, "\u{0}").contains('\u{0}'));
        if self.shared_path.is_some() && !needs_main && self.rng.chance(50) {
            self.shared.decls.push(format!("export {decl}"));
            self.shared_names.push(name.to_owned());
        } else {
            let comment = if self.style.comments && self.rng.chance(30) {
                format!("// {name}: shared by the entities below\n")
            } else {
                String::new()
            };
            self.main.decls.push(format!("{comment}{decl}"));
            self.main_names.push(name.to_owned());
        }
    }

    fn key(&mut self, name: &str) -> String {
        let identifier = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        match self.rng.below(12) {
            0 => {
                let constant = self.fresh("KEY_");
                let decl = format!(
                    "const {constant} = {}{}{}",
                    self.style.q(name),
                    if self.rng.chance(50) { " as const" } else { "" },
                    self.style.semi
                );
                self.declare(&constant, decl);
                format!("[{constant}]")
            }
            1 if name.len() > 2 => {
                let (head, tail) = name.split_at(name.len() / 2);
                let constant = self.fresh("PART_");
                let decl = format!(
                    "const {constant} = {}{}",
                    self.style.q(head),
                    self.style.semi
                );
                self.declare(&constant, decl);
                if self.rng.chance(50) {
                    format!("[`${{{constant}}}{tail}`]")
                } else {
                    format!("[{constant} + {}]", self.style.q(tail))
                }
            }
            2 | 3 if !identifier => self.style.q(name),
            2 => self.style.q(name),
            _ if identifier => name.to_owned(),
            _ => self.style.q(name),
        }
    }

    fn attr(&mut self) -> String {
        let base = *self.rng.pick(TYPES);
        let i = self.i.clone();
        let args = match (base, self.rng.below(6)) {
            ("string", 0) => "<'draft' | 'published'>".to_owned(),
            ("string", 1) => "<`id-${string}`>".to_owned(),
            ("json", 0) => "<{ a: number; b?: string[] }>".to_owned(),
            ("json", 1) => "<Array<Record<string, Set<number>>>>".to_owned(),
            ("number", 0) => "<1 | 2 | 3>".to_owned(),
            _ => String::new(),
        };
        let mut out = format!("{i}.{base}{args}()");
        for _ in 0..self.rng.below(4) {
            out.push_str(&format!(".{}()", self.rng.pick(MODIFIERS)));
        }
        if self.rng.chance(4) {
            out = format!("({out} as any)");
        }
        out
    }

    fn ind(&self, depth: usize) -> String {
        self.style.indent.repeat(depth)
    }

    /// `{ label: attr, ... }` at `depth`, maybe with a spread of `spread`.
    fn attrs_object(&mut self, depth: usize, spread: Option<&str>) -> String {
        let count = 1 + self.rng.below(5);
        let mut entries: Vec<String> = Vec::new();
        let mut labels = Vec::new();
        for _ in 0..count {
            let label = *self.rng.pick(LABELS);
            // TypeScript rejects an object literal with the same key twice (TS1117).
            if labels.contains(&label) {
                continue;
            }
            labels.push(label);
            let key = self.key(label);
            let value = self.attr();
            entries.push(format!("{key}: {value}"));
        }
        if let Some(spread) = spread {
            let at = if self.rng.chance(50) {
                0
            } else {
                entries.len()
            };
            entries.insert(at, format!("...{spread}"));
        }
        if self.style.comments && self.rng.chance(20) {
            entries.push("/* more to come */".to_owned());
            let last = entries.len() - 1;
            let comment = entries.remove(last);
            entries[0] = format!("{comment} {}", entries[0]);
        }
        self.object(entries, depth)
    }

    fn object(&self, entries: Vec<String>, depth: usize) -> String {
        if entries.is_empty() {
            return "{}".to_owned();
        }
        let inner = self.ind(depth + 1);
        let mut out = String::from("{\n");
        for entry in &entries {
            out.push_str(&format!("{inner}{entry},\n"));
        }
        out.push_str(&format!("{}}}", self.ind(depth)));
        out
    }

    /// A shared attribute bag (`timestamps`), declared once per case.
    fn timestamps(&mut self) -> String {
        let name = self.fresh("timestamps");
        let i = self.i.clone();
        let body = format!(
            "{{ createdAt: {i}.date(), updatedAt: {i}.date().optional() }}{}",
            if self.rng.chance(30) { " as const" } else { "" }
        );
        let body = if self.rng.chance(20) {
            format!("Object.freeze({body})")
        } else {
            body
        };
        let decl = format!("const {name} = {body}{}", self.style.semi);
        self.declare(&name, decl);
        name
    }

    fn entity(&mut self, depth: usize, shared_attrs: Option<&str>) -> String {
        let i = self.i.clone();
        let expr = match self.rng.below(8) {
            0 => {
                // An arrow helper adding timestamps.
                let helper = self.fresh("withTimestamps");
                let decl = format!(
                    "const {helper} = <T extends object>(attrs: T) => ({{\n{0}...attrs,\n{0}createdAt: {i}.date(),\n}}){1}",
                    self.ind(1),
                    self.style.semi
                );
                self.declare(&helper, decl);
                let attrs = self.attrs_object(depth, shared_attrs);
                format!("{i}.entity({helper}({attrs}))")
            }
            1 => {
                // A function declaration building the entity.
                let helper = self.fresh("makeEntity");
                let decl = format!(
                    "function {helper}(attrs: Record<string, any>, extra = {{}}) {{\n{0}const all = {{ ...attrs, ...extra }}{1}\n{0}return {i}.entity(all){1}\n}}",
                    self.ind(1),
                    self.style.semi
                );
                self.declare(&helper, decl);
                let attrs = self.attrs_object(depth, shared_attrs);
                format!("{helper}({attrs})")
            }
            2 => {
                let attrs = self.attrs_object(depth, shared_attrs);
                format!("{i}.entity(Object.freeze({attrs}))")
            }
            5 if self.rng.chance(25) => {
                // Attributes from a list of names.
                let names = [*self.rng.pick(LABELS), "extraA", "extraB"];
                let list = names
                    .iter()
                    .map(|n| self.style.q(n))
                    .collect::<Vec<_>>()
                    .join(", ");
                if self.rng.chance(30) {
                    format!(
                        "{i}.entity([{list}].reduce((acc, k) => ({{ ...acc, [k]: {i}.string().optional() }}), {{}}))"
                    )
                } else if self.rng.chance(15) {
                    // A loop in a helper: only running it tells the result, so it is refused.
                    let helper = self.fresh("optionalAttrs");
                    let decl = format!(
                        "function {helper}(names: string[]) {{\n{0}const out: Record<string, any> = {{}}{1}\n{0}for (const name of names) out[name] = {i}.string().optional(){1}\n{0}return out{1}\n}}",
                        self.ind(1),
                        self.style.semi
                    );
                    self.declare(&helper, decl);
                    format!("{i}.entity({helper}([{list}]))")
                } else {
                    format!(
                        "{i}.entity(Object.fromEntries([{list}].map((k) => [k, {i}.string().optional()])))"
                    )
                }
            }
            3 => {
                let bag = self.fresh("attrs");
                let attrs = self.attrs_object(0, shared_attrs);
                let decl = format!("const {bag} = {attrs}{}", self.style.semi);
                self.declare(&bag, decl);
                format!("{i}.entity({bag})")
            }
            _ => {
                let attrs = self.attrs_object(depth, shared_attrs);
                format!("{i}.entity({attrs})")
            }
        };
        if self.rng.chance(12) {
            let ty = self.fresh("Shape");
            self.main.decls.push(format!(
                "type {ty} = {{ id: string; title?: string }}{}",
                self.style.semi
            ));
            format!("{expr}.asType<{ty}>()")
        } else {
            expr
        }
    }

    fn has(&mut self) -> String {
        self.style
            .q(if self.rng.chance(50) { "many" } else { "one" })
    }

    /// `on` values: a string, an enum member, or a const.
    fn on(&mut self, entity: &str, names_enum: Option<&(String, Vec<(String, String)>)>) -> String {
        if let Some((enum_name, members)) = names_enum
            && let Some((member, _)) = members.iter().find(|(_, value)| value == entity)
            && self.rng.chance(60)
        {
            return format!("{enum_name}.{member}");
        }
        self.style.q(entity)
    }

    fn schema_case(mut self) -> Case {
        let entity_count = 1 + self.rng.below(5);
        let mut names: Vec<&str> = Vec::new();
        while names.len() < entity_count {
            let name = *self.rng.pick(ENTITY_NAMES);
            if !names.contains(&name) {
                names.push(name);
            }
        }
        // An enum of entity names, sometimes.
        let names_enum = if self.rng.chance(30) {
            let enum_name = self.fresh("Names");
            let members: Vec<(String, String)> = names
                .iter()
                .filter(|n| !n.starts_with('$'))
                .map(|n| {
                    let mut member = n.to_owned().to_owned();
                    member[..1].make_ascii_uppercase();
                    (member, (*n).to_owned())
                })
                .collect();
            let body: Vec<String> = members
                .iter()
                .map(|(member, value)| format!("{member} = {}", self.style.q(value)))
                .collect();
            let decl = format!("enum {enum_name} {{ {} }}", body.join(", "));
            self.declare(&enum_name, decl);
            Some((enum_name, members))
        } else {
            None
        };
        let shared_attrs = if self.rng.chance(50) {
            Some(self.timestamps())
        } else {
            None
        };

        // Entities.
        let entities_inline = self.rng.chance(50);
        let depth = if entities_inline { 2 } else { 0 };
        let mut entries = Vec::new();
        for name in &names {
            let spread = shared_attrs.clone().filter(|_| self.rng.chance(60));
            let entity = self.entity(depth + 1, spread.as_deref());
            let key = match &names_enum {
                Some((enum_name, members)) if self.rng.chance(40) => {
                    match members.iter().find(|(_, value)| value == name) {
                        Some((member, _)) => format!("[{enum_name}.{member}]"),
                        None => self.key(name),
                    }
                }
                _ => self.key(name),
            };
            let plain = name.chars().all(|c| c.is_ascii_alphanumeric());
            if plain && self.rng.chance(25) {
                // `const todos = i.entity(...)`, then `todos,` (shorthand) in entities.
                let var = (*name).to_owned();
                let entity_top = self.entity(0, spread.as_deref());
                self.main
                    .decls
                    .push(format!("const {var} = {entity_top}{}", self.style.semi));
                if self.rng.chance(50) {
                    entries.push(var.clone());
                } else {
                    entries.push(format!("{key}: {var}"));
                }
            } else {
                entries.push(format!("{key}: {entity}"));
            }
        }
        let entities_object = self.object(entries, depth);

        // Links.
        let mut link_entries = Vec::new();
        let link_count = self.rng.below(4);
        let link_helper = if link_count > 0 && self.rng.chance(30) {
            let helper = self.fresh("link");
            let decl = format!(
                "const {helper} = (from: string, label: string, to: string, back: string, has = {2}) => ({{\n{0}forward: {{ on: from, has, label }},\n{0}reverse: {{ on: to, has: {3}, label: back }},\n}}){1}",
                self.ind(1),
                self.style.semi,
                self.style.q("many"),
                self.style.q("one"),
            );
            self.declare(&helper, decl);
            Some(helper)
        } else {
            None
        };
        for n in 0..link_count {
            let from = *self.rng.pick(&names);
            let to = *self.rng.pick(&names);
            let label = format!("{}{n}", self.rng.pick(LABELS));
            let back = format!("{}Back{n}", self.rng.pick(LABELS));
            let link_name = format!("{from}{}{n}", to.trim_start_matches('$'));
            let key = self.key(&link_name);
            let value = match &link_helper {
                Some(helper) if self.rng.chance(70) => format!(
                    "{helper}({}, {}, {}, {})",
                    self.on(from, names_enum.as_ref()),
                    self.style.q(&label),
                    self.on(to, names_enum.as_ref()),
                    self.style.q(&back)
                ),
                _ => {
                    let f_on = self.on(from, names_enum.as_ref());
                    let r_on = self.on(to, names_enum.as_ref());
                    let f_has = self.has();
                    let r_has = self.has();
                    let required = if self.rng.chance(15) {
                        ", required: true"
                    } else {
                        ""
                    };
                    let on_delete = if self.rng.chance(15) {
                        format!(", onDelete: {}", self.style.q("cascade"))
                    } else {
                        String::new()
                    };
                    let label_value = if self.rng.chance(20) {
                        let (head, tail) = label.split_at(1);
                        format!("`{head}${{{}}}`", self.style.q(tail))
                    } else {
                        self.style.q(&label)
                    };
                    format!(
                        "{{ forward: {{ on: {f_on}, has: {f_has}, label: {label_value}{required} }}, reverse: {{ on: {r_on}, has: {r_has}, label: {}{on_delete} }} }}",
                        self.style.q(&back)
                    )
                }
            };
            link_entries.push(format!("{key}: {value}"));
        }
        let links_object = if self.rng.chance(20) && !link_entries.is_empty() {
            // Some links in a shared const, spread in.
            let base = self.fresh("baseLinks");
            let first = link_entries.remove(0);
            let decl = format!(
                "const {base} = {}{}",
                self.object(vec![first], 0),
                self.style.semi
            );
            self.declare(&base, decl);
            link_entries.insert(0, format!("...{base}"));
            self.object(link_entries, if entities_inline { 2 } else { 0 })
        } else {
            self.object(link_entries, if entities_inline { 2 } else { 0 })
        };

        // Rooms.
        let rooms_object = if self.rng.chance(20) {
            let i = self.i.clone();
            let presence =
                format!("{i}.entity({{ name: {i}.string(), status: {i}.string().optional() }})");
            let presence = if self.rng.chance(40) {
                let var = self.fresh("presence");
                self.main
                    .decls
                    .push(format!("const {var} = {presence}{}", self.style.semi));
                var
            } else {
                presence
            };
            let topics = if self.rng.chance(60) {
                format!(", topics: {{ typing: {i}.entity({{ on: {i}.boolean() }}) }}")
            } else {
                String::new()
            };
            Some(format!("{{ chat: {{ presence: {presence}{topics} }} }}"))
        } else {
            None
        };

        // `i.schema({...})`.
        let i = self.i.clone();
        let mut sections = Vec::new();
        let (entities_ref, links_ref) = if entities_inline {
            (entities_object.clone(), links_object.clone())
        } else {
            let satisfies = if self.rng.chance(20) {
                " satisfies Record<string, unknown>"
            } else {
                ""
            };
            self.main.decls.push(format!(
                "const entities = {entities_object}{satisfies}{}",
                self.style.semi
            ));
            self.main.decls.push(format!(
                "const links = {links_object}{}{}",
                if self.rng.chance(30) { " as const" } else { "" },
                self.style.semi
            ));
            ("entities".to_owned(), "links".to_owned())
        };
        if entities_inline {
            sections.push(format!("entities: {entities_ref}"));
            sections.push(format!("links: {links_ref}"));
        } else if self.rng.chance(50) {
            sections.push("entities".to_owned());
            sections.push("links".to_owned());
        } else {
            sections.push("entities: entities".to_owned());
            sections.push("links".to_owned());
        }
        if let Some(rooms) = rooms_object {
            sections.push(format!("rooms: {rooms}"));
        }
        let call = format!("{i}.schema({})", self.object(sections, 0));
        match self.rng.below(6) {
            0 => {
                self.main
                    .decls
                    .push(format!("const _schema = {call}{}", self.style.semi));
                self.main.decls.push(format!(
                    "// This helps TypeScript display nicer intellisense\ntype _AppSchema = typeof _schema{0}\ninterface AppSchema extends _AppSchema {{}}\nconst schema: AppSchema = _schema{0}\n\nexport type {{ AppSchema }}{0}\nexport default schema{0}",
                    self.style.semi
                ));
            }
            1 => self
                .main
                .decls
                .push(format!("export default {call}{}", self.style.semi)),
            2 => {
                self.main
                    .decls
                    .push(format!("const schema = {call}{}", self.style.semi));
                self.main
                    .decls
                    .push(format!("export {{ schema as default }}{}", self.style.semi));
            }
            3 => {
                self.main
                    .decls
                    .push(format!("export const schema = {call}{}", self.style.semi));
                self.main
                    .decls
                    .push(format!("export default schema{}", self.style.semi));
            }
            _ => {
                self.main
                    .decls
                    .push(format!("const schema = {call}{}", self.style.semi));
                self.main
                    .decls
                    .push(format!("export default schema{}", self.style.semi));
            }
        }
        self.finish("schema", "instant.schema.ts")
    }

    fn rule(&mut self) -> String {
        let rule = *self.rng.pick(RULES);
        self.style.q(rule)
    }

    fn perms_case(mut self) -> Case {
        // Shared fragments.
        let is_owner = self.fresh("isOwner");
        let decl = format!(
            "const {is_owner} = {}{}",
            self.style.q("auth.id in data.ref('owner.id')"),
            self.style.semi
        );
        self.declare(&is_owner, decl);
        let logged_in = self.fresh("loggedIn");
        let decl = format!(
            "const {logged_in} = {}{}",
            self.style.q("auth.id != null"),
            self.style.semi
        );
        self.declare(&logged_in, decl);
        let owner_only = self.fresh("ownerOnly");
        let decl = format!(
            "const {owner_only} = {{ update: {is_owner}, delete: {is_owner} }}{}",
            self.style.semi
        );
        self.declare(&owner_only, decl);
        let helper = if self.rng.chance(40) {
            let helper = self.fresh("readOnly");
            let decl = format!(
                "function {helper}(view: string = {}) {{\n{1}return {{ allow: {{ view, create: {2}, update: {2}, delete: {2} }} }}{3}\n}}",
                self.style.q("true"),
                self.ind(1),
                self.style.q("false"),
                self.style.semi,
            );
            self.declare(&helper, decl);
            Some(helper)
        } else {
            None
        };

        let count = 1 + self.rng.below(5);
        let mut entries = Vec::new();
        let mut used = Vec::new();
        for _ in 0..count {
            let name = *self.rng.pick(ENTITY_NAMES);
            if used.contains(&name) {
                continue;
            }
            used.push(name);
            let key = self.key(name);
            let value = match (&helper, self.rng.below(5)) {
                (Some(helper), 0) => {
                    if self.rng.chance(50) {
                        format!("{helper}()")
                    } else {
                        format!("{helper}({logged_in})")
                    }
                }
                (_, 1) => format!(
                    "{{ allow: {{ view: {}, ...{owner_only}, create: `${{{logged_in}}} && ${{{is_owner}}}` }} }}",
                    self.rule()
                ),
                (_, 2) => format!(
                    "{{ allow: {{ view: {logged_in} + {} + {is_owner} }}, bind: [{}, {}] }}",
                    self.style.q(" || "),
                    self.style.q("isOwner"),
                    self.style.q("auth.id == data.owner")
                ),
                _ => {
                    let mut allow = Vec::new();
                    for action in ["view", "create", "update", "delete"] {
                        if self.rng.chance(60) {
                            allow.push(format!("{action}: {}", self.rule()));
                        }
                    }
                    format!("{{ allow: {{ {} }} }}", allow.join(", "))
                }
            };
            entries.push(format!("{key}: {value}"));
        }
        if self.rng.chance(40) {
            entries.push(format!(
                "$default: {{ allow: {{ $default: {} }} }}",
                self.style.q("false")
            ));
        }
        if self.rng.chance(20) {
            entries.push(format!(
                "attrs: {{ allow: {{ create: {} }} }}",
                self.style.q("false")
            ));
        }
        let object = self.object(entries, 0);
        let type_import = format!(
            "import type {{ InstantRules }} from {}",
            self.style.q("@instantdb/core")
        );
        self.main.imports.push(type_import);
        match self.rng.below(4) {
            0 => self.main.decls.push(format!(
                "export default {object} satisfies InstantRules{}",
                self.style.semi
            )),
            1 => {
                self.main.decls.push(format!(
                    "const rules: InstantRules = {object}{}",
                    self.style.semi
                ));
                self.main
                    .decls
                    .push(format!("export default rules{}", self.style.semi));
            }
            _ => {
                self.main.decls.push(format!(
                    "const rules = {object} satisfies InstantRules{}",
                    self.style.semi
                ));
                self.main
                    .decls
                    .push(format!("export default rules{}", self.style.semi));
            }
        }
        self.finish("perms", "instant.perms.ts")
    }

    /// Adds the imports and writes the files.
    fn finish(mut self, kind: &'static str, entry: &'static str) -> Case {
        let mut files = BTreeMap::new();
        let i_use = format!("{}.", self.i);
        let uses_i = |module: &Module| module.decls.iter().any(|d| d.contains(&i_use));
        let mut main_imports = Vec::new();
        if kind == "schema" || uses_i(&self.main) {
            main_imports.push(self.i_import.clone());
        }
        if let Some((path, source)) = self.shared_path
            && !self.shared.decls.is_empty()
        {
            let mut shared = std::mem::take(&mut self.shared);
            if uses_i(&shared) {
                shared.imports.push(self.i_import.clone());
            }
            // A second hop, sometimes: the shared module re-exports a neighbour.
            if self.rng.chance(30) {
                let neighbour = std::path::Path::new(path)
                    .with_file_name("extra.ts")
                    .to_string_lossy()
                    .into_owned();
                files.insert(
                    neighbour,
                    format!(
                        "export const extraNote = {}{}\n",
                        self.style.q("unused"),
                        self.style.semi
                    ),
                );
                shared.decls.push(format!(
                    "export {{ extraNote }} from {}{}",
                    self.style.q("./extra"),
                    self.style.semi
                ));
            }
            files.insert(path.to_owned(), shared.text(&self.style));
            let names = self.shared_names.join(", ");
            main_imports.push(if self.rng.chance(20) {
                format!("import * as shared from {}", self.style.q(source))
            } else {
                format!("import {{ {names} }} from {}", self.style.q(source))
            });
            if main_imports
                .last()
                .is_some_and(|l| l.contains("* as shared"))
            {
                // Names from a namespace import are `shared.x`.
                for decl in &mut self.main.decls {
                    for name in &self.shared_names {
                        *decl = replace_word(decl, name, &format!("shared.{name}"));
                    }
                }
            }
        }
        main_imports.extend(std::mem::take(&mut self.main.imports));
        self.main.imports = main_imports;
        let mut text = self.main.text(&self.style);
        if self.style.comments {
            text = format!("// Docs: https://www.instantdb.com/docs/modeling-data\n\n{text}");
        }
        files.insert(entry.to_owned(), text);
        Case { kind, entry, files }
    }
}

/// Replaces whole-word occurrences of `word` outside of `...` member accesses.
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let mut out = String::new();
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(found) = text[at..].find(word) {
        let start = at + found;
        let end = start + word.len();
        let before = start.checked_sub(1).map(|b| bytes[b]);
        let after = bytes.get(end).copied();
        let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
        // `x.name` is a member access; `...name` is a spread of `name`.
        let spread = start >= 3 && &text[start - 3..start] == "...";
        let boundary = !before.is_some_and(|b| is_word(b) || (b == b'.' && !spread))
            && !after.is_some_and(is_word);
        out.push_str(&text[at..start]);
        out.push_str(if boundary { with } else { word });
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

fn case_text(case: &Case) -> String {
    let mut out = String::new();
    for (path, text) in &case.files {
        out.push_str(&format!("=== {path}\n{text}"));
    }
    out
}

pub(crate) fn run(report: &mut Report) -> Result<()> {
    let mut rng = Rng(SEED);
    let mut cases = Vec::new();
    for _ in 0..SCHEMA_CASES {
        cases.push(Gen::new(&mut rng, "schema").schema_case());
    }
    for _ in 0..PERMS_CASES {
        cases.push(Gen::new(&mut rng, "perms").perms_case());
    }
    let inputs: Vec<Value> = cases
        .iter()
        .map(|case| json!({"op": "execute", "kind": case.kind, "files": case.files}))
        .collect();
    let answers = answers(&inputs)?;
    let (mut identical, mut refused, mut different) = (0, 0, 0);
    for (case, answer) in cases.iter().zip(&answers) {
        let what = format!("hand-written {} case\n{}", case.kind, case_text(case));
        let expected = match (
            answer.get("json").and_then(Value::as_str),
            answer.get("error"),
        ) {
            (Some(json), _) => json.to_owned(),
            (None, error) => {
                if std::env::var_os("HANDWRITTEN_SHOW").is_some() {
                    eprintln!("--- node could not run {what}\n{error:?}");
                }
                // The generator must write files that run.
                report.record(
                    "handwritten-runs",
                    Err(format!("--- node could not run {what}\n{error:?}")),
                );
                continue;
            }
        };
        report.record("handwritten-runs", Ok(()));
        let read = |path: &str| case.files.get(path).cloned();
        let src = &case.files[case.entry];
        let ours = if case.kind == "schema" {
            parse_schema_typescript_file_to_wire_json_with_imports(src, case.entry, &read)
        } else {
            parse_perms_typescript_file_with_imports(src, case.entry, &read)
                .map(|rules| rules_to_json(&rules))
        };
        match ours {
            Ok(json) if json == expected => {
                identical += 1;
                report.record("handwritten", Ok(()));
            }
            Ok(json) => {
                if std::env::var_os("HANDWRITTEN_SHOW").is_some() {
                    eprintln!("{}", mismatch(&what, &expected, &json));
                }
                different += 1;
                report.record("handwritten", Err(mismatch(&what, &expected, &json)));
            }
            Err(err) => {
                refused += 1;
                // A refusal must point at the code and say why in words.
                let located = err.kind() == ParseErrorKind::Unsupported
                    && err.line() >= 1
                    && !err.message().is_empty()
                    && !err.message().contains("AST node");
                let result = if located {
                    Ok(())
                } else {
                    Err(format!(
                        "--- refusal without a located, plain-words error: {what}\n{}",
                        err.render()
                    ))
                };
                report.record("handwritten-refused", result);
                if std::env::var_os("HANDWRITTEN_SHOW").is_some() {
                    eprintln!("--- refused: {what}\n{}", err.render());
                }
            }
        }
    }
    let total = identical + refused + different;
    let percent = |n: usize| n as f64 * 100.0 / total.max(1) as f64;
    println!(
        "typescript/handwritten: {total} files run by instant-cli's loader: {identical} read \
         identically ({:.1}%), {refused} refused with a located error ({:.1}%), {different} \
         differences",
        percent(identical),
        percent(refused)
    );
    if percent(identical) < 98.0 {
        report.record(
            "handwritten",
            Err(format!(
                "only {:.1}% of the hand-written files read identically (at least 98% required)",
                percent(identical)
            )),
        );
    }
    Ok(())
}
