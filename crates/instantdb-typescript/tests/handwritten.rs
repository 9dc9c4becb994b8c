//! Hand-written schema and rules files: what the evaluator reads (the value running the file
//! would give) and how it refuses what only running could tell.

use std::collections::HashMap;

use instantdb_schema::{Has, SchemaDef, i};
use instantdb_typescript::{
    ParseErrorKind, parse_perms_typescript_file, parse_perms_typescript_file_with_imports,
    parse_schema_typescript_file, parse_schema_typescript_file_to_wire_json,
    parse_schema_typescript_file_with_imports, rules_to_json,
};

fn schema(src: &str) -> SchemaDef {
    parse_schema_typescript_file(src, "instant.schema.ts")
        .unwrap_or_else(|e| panic!("{}", e.render()))
}

const IMPORT: &str = "import { i } from \"@instantdb/react\";\n";

fn expected() -> SchemaDef {
    i::schema()
        .entities([
            (
                "todos",
                i::entity([
                    ("title", i::string().indexed()),
                    ("createdAt", i::date()),
                    ("updatedAt", i::date().optional()),
                ]),
            ),
            (
                "users",
                i::entity([
                    ("email", i::string().unique().indexed()),
                    ("createdAt", i::date()),
                    ("updatedAt", i::date().optional()),
                ]),
            ),
        ])
        .links([(
            "todosOwner",
            i::link(
                i::forward("todos", Has::Many, "owner"),
                i::reverse("users", Has::One, "todos"),
            ),
        )])
}

#[test]
fn consts_spreads_and_shorthand() {
    let src = format!(
        "{IMPORT}
const timestamps = {{ createdAt: i.date(), updatedAt: i.date().optional() }};
let title = i.string().indexed();
const todos = i.entity({{ title, ...timestamps }});
const entities = {{
  todos,
  users: i.entity({{ email: i.string().unique().indexed(), ...timestamps }}),
}};
const links = {{
  todosOwner: {{
    forward: {{ on: 'todos', has: 'many', label: 'owner' }},
    reverse: {{ on: 'users', has: 'one', label: 'todos' }},
  }},
}};
const _schema = i.schema({{ entities, links }});
type AppSchema = typeof _schema;
export type {{ AppSchema }};
export default _schema;
"
    );
    assert_eq!(schema(&src), expected());
}

#[test]
fn later_keys_override_earlier_ones_as_in_javascript() {
    let src = format!(
        "{IMPORT}const base = {{ a: i.string(), b: i.number() }};
export default i.schema({{ entities: {{ e: i.entity({{ ...base, a: i.boolean(), ...{{ b: i.json() }} }}) }} }});"
    );
    let wire = parse_schema_typescript_file_to_wire_json(&src, "s.ts").unwrap();
    assert!(
        wire.contains(r#""attrs":{"a":{"valueType":"boolean""#)
            && wire.contains(r#""b":{"valueType":"json""#),
        "{wire}"
    );
}

#[test]
fn templates_concatenation_computed_keys_casts_enums_and_freeze() {
    let src = format!(
        "#!/usr/bin/env -S npx tsx
{IMPORT}
enum Names {{ Todos = 'todos', Users = \"users\" }}
const PREFIX = 'to';
const TITLE = `ti${{'tle'}}`;
const stamps = Object.freeze({{ createdAt: i.date(), updatedAt: i.date().optional() }} as const);
declare const unused: string;
const entities = {{
  [`${{PREFIX}}dos`]: i.entity({{ [TITLE]: i.string().indexed(), ...stamps }}).asType<Todo>(),
  [Names.Users]: i.entity({{ ['em' + 'ail']: (i.string<`${{string}}@${{string}}`>().unique() as any).indexed(), ...stamps! }}),
}} satisfies Record<string, unknown>;
const _schema = i.schema({{
  entities,
  links: {{
    [Names.Todos + 'Owner']: {{
      forward: {{ on: Names.Todos, has: 'many', label: 'owner' }},
      reverse: {{ on: <const>'users', has: 'one', label: Names.Todos }},
    }},
  }},
}});
export default _schema;
"
    );
    assert_eq!(schema(&src), expected());
}

#[test]
fn helper_functions_build_entities() {
    let src = format!(
        "{IMPORT}
const withTimestamps = (attrs) => ({{ ...attrs, createdAt: i.date(), updatedAt: i.date().optional() }});
function entityOf<T extends object>(attrs: T) {{
  const all = withTimestamps(attrs);
  return i.entity(all);
}}
const link = (from: string, label: string, to: string, back: string) => ({{
  forward: {{ on: from, has: 'many', label }},
  reverse: {{ on: to, has: 'one', label: back }},
}});
export default i.schema({{
  entities: {{
    todos: entityOf({{ title: i.string().indexed() }}),
    users: i.entity(withTimestamps({{ email: i.string().unique().indexed() }})),
  }},
  links: {{ todosOwner: link('todos', 'owner', 'users', 'todos') }},
}});
"
    );
    assert_eq!(schema(&src), expected());
}

#[test]
fn relative_imports_are_followed_from_disk() {
    let files: HashMap<&str, String> = HashMap::from([
        (
            "app/schema/shared.ts",
            format!(
                "{IMPORT}export const timestamps = {{ createdAt: i.date(), updatedAt: i.date().optional() }};\n\
                 export {{ links as default }} from './links';"
            ),
        ),
        (
            "app/schema/links/index.ts",
            "export const links = { todosOwner: { forward: { on: 'todos', has: 'many', label: 'owner' }, reverse: { on: 'users', has: 'one', label: 'todos' } } };"
                .to_owned(),
        ),
    ]);
    let read = |path: &str| files.get(path).cloned();
    let src = format!(
        "{IMPORT}import {{ timestamps }} from './schema/shared.js';
import links from './schema/shared';
import * as shared from './schema/shared';
import type {{ Nothing }} from './types';
export default i.schema({{
  entities: {{
    todos: i.entity({{ title: i.string().indexed(), ...shared.timestamps }}),
    users: i.entity({{ email: i.string().unique().indexed(), ...timestamps }}),
  }},
  links,
}});
"
    );
    let parsed = parse_schema_typescript_file_with_imports(&src, "app/instant.schema.ts", &read)
        .unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(parsed, expected());

    // From a string, the import cannot be followed: a located, plain-words refusal.
    let err = parse_schema_typescript_file(&src, "app/instant.schema.ts").unwrap_err();
    assert!(
        err.message()
            .contains("`./schema/shared` could not be read"),
        "{err}"
    );
    // `shared` of `import * as shared`, the first import the schema uses.
    assert_eq!((err.line(), err.column()), (4, 13));

    // Errors inside an imported module point into that module.
    let files: HashMap<&str, String> = HashMap::from([(
        "shared.ts",
        "export const stamps = { at: i.date(), n: Math.random() };".to_owned(),
    )]);
    let read = |path: &str| files.get(path).cloned();
    let src = format!(
        "{IMPORT}import {{ stamps }} from './shared';\nexport default i.schema({{ entities: {{ a: i.entity(stamps) }} }});"
    );
    let err =
        parse_schema_typescript_file_with_imports(&src, "instant.schema.ts", &read).unwrap_err();
    assert_eq!(err.file(), "shared.ts");
    assert!(err.message().contains("`Math` is not defined"), "{err}");
}

#[test]
fn import_cycles_are_detected() {
    let files: HashMap<&str, String> = HashMap::from([
        (
            "a.ts",
            "import { b } from './b';\nexport const a = { ...b };".to_owned(),
        ),
        (
            "b.ts",
            "import { a } from './a';\nexport const b = { ...a };".to_owned(),
        ),
    ]);
    let read = |path: &str| files.get(path).cloned();
    let src = format!(
        "{IMPORT}import {{ a }} from './a';\nexport default i.schema({{ entities: {{ e: i.entity(a) }} }});"
    );
    let err =
        parse_schema_typescript_file_with_imports(&src, "instant.schema.ts", &read).unwrap_err();
    assert!(
        err.message().contains("is used in its own definition"),
        "{err}"
    );
}

#[test]
fn default_export_and_namespace_cycles_are_detected() {
    let files: HashMap<&str, String> = HashMap::from([
        (
            "a.ts",
            "import d from './instant.schema';\nexport default d;".to_owned(),
        ),
        (
            "b.ts",
            "import * as me from './b';\nexport const x = me;".to_owned(),
        ),
    ]);
    let read = |path: &str| files.get(path).cloned();
    for src in [
        "import d from './a';\nexport default d;",
        "import * as b from './b';\nexport default i.schema({ entities: { e: i.entity(b.x) } });",
    ] {
        let err =
            parse_schema_typescript_file_with_imports(src, "instant.schema.ts", &read).unwrap_err();
        assert!(
            err.message().contains("go round in a circle"),
            "{src}: {err}"
        );
    }
}

#[test]
fn perms_read_consts_spreads_and_imports() {
    let files: HashMap<&str, String> = HashMap::from([(
        "rules/common.ts",
        "export const isOwner = 'auth.id in data.ref(\"owner.id\")';\nexport const ownerOnly = { view: isOwner, update: isOwner };"
            .to_owned(),
    )]);
    let read = |path: &str| files.get(path).cloned();
    let src = "import type { InstantRules } from '@instantdb/react';
import { ownerOnly, isOwner } from './rules/common';
const loggedIn = 'auth.id != null';
const rules = {
  todos: { allow: { ...ownerOnly, create: `${loggedIn} && ${isOwner}` }, bind: ['a', 'b'] },
  $default: { allow: { $default: 'false' } },
} satisfies InstantRules;
export default rules;
";
    let rules = parse_perms_typescript_file_with_imports(src, "instant.perms.ts", &read)
        .unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(
        rules_to_json(&rules),
        r#"{"todos":{"allow":{"view":"auth.id in data.ref(\"owner.id\")","update":"auth.id in data.ref(\"owner.id\")","create":"auth.id != null && auth.id in data.ref(\"owner.id\")"},"bind":["a","b"]},"$default":{"allow":{"$default":"false"}}}"#
    );
}

#[test]
fn what_only_running_tells_is_refused_in_plain_words() {
    let cases = [
        (
            "const attrs = Object.fromEntries(['a'].map((n) => [n, i.string()]));\nfor (const x of []) {}\nconst f = () => { for (;;) {} };\nexport default i.schema({ entities: { e: i.entity(f()) } });",
            "does more than build and return a value (a `for` loop)",
        ),
        (
            "export default i.schema({ entities: { e: i.entity({ a: i.string() }) }, links: makeLinks() });",
            "`makeLinks` is not defined in this file",
        ),
        (
            "const now = new Date();\nexport default i.schema({ entities: { e: i.entity({ a: i.string() }) }, rooms: { r: { presence: i.entity({}), topics: { t: now } } } });",
            "A `new` expression constructs an object by running code",
        ),
        (
            "export default i.schema({ entities: { e: i.entity(['a'].flatMap((k) => [[k, i.json()]])) } });",
            "`.flatMap(...)` cannot be read without running the file",
        ),
        (
            "export default i.schema({ entities: { e: i.entity({ a: process.env.TYPE }) } });",
            "`process` is the running program's environment",
        ),
        (
            "const f = (n) => f(n);\nexport default i.schema({ entities: f(1) });",
            "Helper calls nest more than 64 deep",
        ),
        (
            "const base = { b: i.number() };\nexport default i.schema({ entities: { e: i.entity({ ...base, a: i.string(), a: i.json() }) } });",
            "The key `a` is written twice in this object",
        ),
        (
            "export default { todos: i.entity({}) };",
            "The default export is a plain object, not a schema",
        ),
    ];
    for (src, part) in cases {
        let err = parse_schema_typescript_file(src, "s.ts").expect_err(src);
        assert!(err.message().contains(part), "{src}\n{}", err.render());
        assert_eq!(err.kind(), ParseErrorKind::Unsupported);
    }
}

#[test]
fn doubling_spreads_run_out_of_fuel_quickly() {
    let mut src = String::from("const a0 = [1, 2];\n");
    for n in 1..60 {
        src.push_str(&format!("const a{n} = [...a{}, ...a{}];\n", n - 1, n - 1));
    }
    src.push_str("const rules = { x: { bind: a59 } };\nexport default rules;\n");
    let started = std::time::Instant::now();
    let err = parse_perms_typescript_file(&src, "p.ts").unwrap_err();
    assert!(err.message().contains("too large"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn doubling_strings_run_out_of_fuel_too() {
    for step in [
        "const s{n} = s{p} + s{p};",
        "const s{n} = `${s{p}}${s{p}}`;",
        "const s{n} = [s{p}, s{p}];",
    ] {
        let mut src = String::from("const s0 = 'xxxxxxxxxxxxxxxx';\n");
        for n in 1..64 {
            let line = step
                .replace("{n}", &n.to_string())
                .replace("{p}", &(n - 1).to_string());
            src.push_str(&line);
            src.push('\n');
        }
        src.push_str("export default { x: { allow: { view: `${s63}` } } };\n");
        let started = std::time::Instant::now();
        let err = parse_perms_typescript_file(&src, "p.ts").unwrap_err();
        assert!(err.message().contains("too large"), "{step}: {err}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{step}"
        );
    }
}

#[test]
fn generated_files_read_the_same_through_the_evaluator() {
    let src = include_str!("../benches/bench.schema.ts");
    let fast = parse_schema_typescript_file_to_wire_json(src, "bench.schema.ts").unwrap();
    let evaluated =
        instantdb_typescript::fuzzing::parse_schema_with_evaluator(src, "bench.schema.ts", None)
            .unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(fast, evaluated);
}
