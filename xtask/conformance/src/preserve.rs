//! `typescript/type-preservation`: `instant pull --experimental-type-preservation` against
//! instant-cli 1.0.67's own `mergeSchema` (`dist/util/mergeSchema.js`).
//!
//! Each pair is an old, hand-typed schema file (attributes typed with `i.json<T>()`,
//! `i.string<'a' | 'b'>()`, template-literal and qualified types, entities typed with
//! `.asType<T>()` or `i.entity<T>(...)`, room presences typed too, the types imported named,
//! aliased, by default, as a namespace, with `import type` or inline `type`) and the file a pull
//! generates for a changed schema (attributes dropped, added, retyped; entities added). Compared:
//! - **type-preservation**: `preserve_types(old, new, Style::Raw)` with upstream's merged text,
//!   byte for byte (so also after prettier);
//! - **type-preservation-prettier**: what `instant pull` writes (`preserve_types` on the
//!   prettier-style file) with upstream's merged text run through prettier.

use anyhow::Result;
use instantdb_schema::SchemaDef;
use instantdb_typescript::{
    Style, generate_schema_file, parse_schema_typescript_file, preserve_types,
};
use serde_json::{Value, json};

use crate::typescript::{Report, Rng, answers, mismatch};

const PAIRS: usize = 150;
const SEED: u64 = 0x7e5e_47e0_0000_0006;

const IMPORTS: &[&str] = &[
    "import type { Meta, Settings as Prefs } from './types';",
    "import { type Tag, Status } from \"./model\";",
    "import Shape from 'shapes';",
    "import * as Api from '@acme/api';",
    "import type * as Ext from './ext';",
    "import type Doc from './doc';",
];

/// Type arguments and the imports they rely on (by index into [`IMPORTS`]).
const TYPE_ARGS: &[(&str, &str, &[usize])] = &[
    ("json", "<Meta>", &[0]),
    ("json", "<Prefs[]>", &[0]),
    ("json", "<{ tags: Tag[]; status: Status }>", &[1]),
    ("json", "<Record<string, Shape>>", &[2]),
    ("json", "<Api.Payload>", &[3]),
    ("json", "<Ext.Deep.Thing | null>", &[4]),
    ("json", "<Doc>", &[5]),
    ("json", "<Array<Meta | Prefs>>", &[0]),
    ("string", "<'draft' | 'published'>", &[]),
    ("string", "<`id-${string}`>", &[]),
    ("string", "<Status>", &[1]),
    ("number", "<1 | 2 | 3>", &[]),
    ("any", "<Shape>", &[2]),
];

const ENTITY_TYPES: &[(&str, &[usize])] = &[
    ("<Meta>", &[0]),
    ("<Api.Entity>", &[3]),
    ("<{ id: string; doc: Doc }>", &[5]),
];

const NAMES: &[&str] = &[
    "todos", "users", "posts", "$users", "profiles", "tags", "éclair", "a b", "10",
];
const LABELS: &[&str] = &[
    "title",
    "meta",
    "status",
    "count",
    "data",
    "prefs",
    "kind",
    "body",
    "createdAt",
];
const TYPES: &[&str] = &["string", "number", "boolean", "date", "json", "any"];

struct Attr {
    label: &'static str,
    base: &'static str,
    type_arg: Option<(&'static str, &'static [usize])>,
    modifiers: Vec<&'static str>,
}

struct Entity {
    name: &'static str,
    attrs: Vec<Attr>,
    /// `(type arguments, imports, as `.asType` (else on `i.entity`))`.
    typed: Option<(&'static str, &'static [usize], bool)>,
}

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn attr_text(attr: &Attr) -> String {
    let args = attr.type_arg.map_or("", |(args, _)| args);
    let mut out = format!("i.{}{args}()", attr.base);
    for modifier in &attr.modifiers {
        out.push_str(&format!(".{modifier}()"));
    }
    out
}

fn random_attr(rng: &mut Rng, label: &'static str) -> Attr {
    let (base, type_arg) = if rng.chance(55) {
        let (base, args, imports) = *rng.pick(TYPE_ARGS);
        (base, Some((args, imports)))
    } else {
        (*rng.pick(TYPES), None)
    };
    let mut modifiers = Vec::new();
    for _ in 0..rng.below(3) {
        modifiers.push(*rng.pick(&["optional", "unique", "indexed"]));
    }
    Attr {
        label,
        base,
        type_arg,
        modifiers,
    }
}

/// The old file: hand-typed, as a user keeps it.
fn old_file(rng: &mut Rng, entities: &[Entity], room: Option<&Entity>) -> String {
    let mut used: Vec<usize> = Vec::new();
    let mut body = String::new();
    for entity in entities {
        let mut attrs = String::new();
        for attr in &entity.attrs {
            if let Some((_, imports)) = attr.type_arg {
                used.extend(imports.iter().copied());
            }
            attrs.push_str(&format!("      {}: {},\n", q(attr.label), attr_text(attr)));
        }
        let (entity_args, as_type) = match entity.typed {
            Some((args, imports, as_type)) => {
                used.extend(imports.iter().copied());
                if as_type {
                    ("", format!(".asType{args}()"))
                } else {
                    (args, String::new())
                }
            }
            None => ("", String::new()),
        };
        body.push_str(&format!(
            "    {}: i.entity{entity_args}({{\n{attrs}    }}){as_type},\n",
            q(entity.name)
        ));
    }
    let rooms = match room {
        Some(presence) => {
            let mut attrs = String::new();
            for attr in &presence.attrs {
                if let Some((_, imports)) = attr.type_arg {
                    used.extend(imports.iter().copied());
                }
                attrs.push_str(&format!(
                    "        {}: {},\n",
                    q(attr.label),
                    attr_text(attr)
                ));
            }
            format!("    chat: {{\n      presence: i.entity({{\n{attrs}      }}),\n    }},\n")
        }
        None => String::new(),
    };
    used.sort_unstable();
    used.dedup();
    // Unused imports too, sometimes: they must not be copied.
    if rng.chance(30) {
        used.push(rng.below(IMPORTS.len()));
        used.sort_unstable();
        used.dedup();
    }
    let imports: String = used.iter().map(|n| format!("{}\n", IMPORTS[*n])).collect();
    let header = if rng.chance(70) {
        "// Docs: https://www.instantdb.com/docs/modeling-data\n\n"
    } else {
        ""
    };
    format!(
        "{header}import {{ i }} from \"@instantdb/core\";\n{imports}\nconst _schema = i.schema({{\n  entities: {{\n{body}  }},\n  links: {{}},\n  rooms: {{\n{rooms}  }},\n}});\n\nexport default _schema;\n"
    )
}

/// The schema the pull brings: some attributes dropped, added or retyped, an entity added.
fn changed(rng: &mut Rng, old: &SchemaDef) -> Value {
    let mut wire = old.to_wire_value();
    if let Some(entities) = wire["entities"].as_object_mut() {
        for entity in entities.values_mut() {
            let Some(attrs) = entity["attrs"].as_object_mut() else {
                continue;
            };
            let labels: Vec<String> = attrs.keys().cloned().collect();
            for label in labels {
                match rng.below(10) {
                    0 => {
                        attrs.shift_remove(&label);
                    }
                    1 => {
                        attrs[&label]["valueType"] = json!(*rng.pick(&["string", "json"]));
                    }
                    _ => {}
                }
            }
            if rng.chance(30) {
                attrs.insert(
                    "added".to_owned(),
                    json!({"valueType": "string", "required": true, "isIndexed": false,
                           "config": {"indexed": false, "unique": false}, "metadata": {}}),
                );
            }
        }
        if rng.chance(30) {
            entities.insert("newOnes".to_owned(), json!({"attrs": {}, "links": {}}));
        }
    }
    wire
}

pub(crate) fn run(report: &mut Report) -> Result<()> {
    let mut rng = Rng(SEED);
    let mut pairs = Vec::new();
    while pairs.len() < PAIRS {
        let mut entities = Vec::new();
        for _ in 0..1 + rng.below(4) {
            let name = *rng.pick(NAMES);
            if entities.iter().any(|e: &Entity| e.name == name) {
                continue;
            }
            let mut attrs: Vec<Attr> = Vec::new();
            for _ in 0..1 + rng.below(5) {
                let label = *rng.pick(LABELS);
                if attrs.iter().any(|a| a.label == label) {
                    continue;
                }
                attrs.push(random_attr(&mut rng, label));
            }
            let typed = if rng.chance(30) {
                let (args, imports) = *rng.pick(ENTITY_TYPES);
                Some((args, imports, rng.chance(60)))
            } else {
                None
            };
            entities.push(Entity { name, attrs, typed });
        }
        let room = rng.chance(25).then(|| Entity {
            name: "chat",
            attrs: vec![random_attr(&mut rng, "cursor")],
            typed: None,
        });
        let old = old_file(&mut rng, &entities, room.as_ref());
        let old_schema = parse_schema_typescript_file(&old, "instant.schema.ts").map_err(|e| {
            anyhow::anyhow!("generated old file does not parse: {}\n{old}", e.render())
        })?;
        let new_wire = changed(&mut rng, &old_schema);
        let new_schema = SchemaDef::from_wire_value(&new_wire)?;
        let module = *rng.pick(&["@instantdb/core", "@instantdb/react"]);
        let new_raw = generate_schema_file(Some(&old_schema), &new_schema, module, Style::Raw);
        let new_pretty =
            generate_schema_file(Some(&old_schema), &new_schema, module, Style::Prettier);
        pairs.push((old, new_raw, new_pretty));
    }
    let inputs: Vec<Value> = pairs
        .iter()
        .map(|(old, new, _)| json!({"op": "merge", "old": old, "new": new}))
        .collect();
    let answers = answers(&inputs)?;
    for ((old, new_raw, new_pretty), answer) in pairs.iter().zip(&answers) {
        let what = format!("type preservation of\n=== old\n{old}=== new\n{new_raw}");
        let (Some(merged), Some(pretty)) = (
            answer.get("merged").and_then(Value::as_str),
            answer.get("pretty").and_then(Value::as_str),
        ) else {
            // Upstream's merge failed: ours must fail too.
            let ours = preserve_types(old, new_raw, Style::Raw);
            report.record(
                "type-preservation",
                match ours {
                    Err(_) => Ok(()),
                    Ok(text) => Err(format!(
                        "--- upstream failed ({:?}), ours merged: {what}\n{text}",
                        answer.get("error")
                    )),
                },
            );
            continue;
        };
        match preserve_types(old, new_raw, Style::Raw) {
            Ok(ours) if ours == merged => report.record("type-preservation", Ok(())),
            Ok(ours) => report.record("type-preservation", Err(mismatch(&what, merged, &ours))),
            Err(err) => report.record(
                "type-preservation",
                Err(format!("--- ours failed: {what}\n{}", err.render())),
            ),
        }
        match preserve_types(old, new_pretty, Style::Prettier) {
            Ok(ours) if ours == pretty => report.record("type-preservation-prettier", Ok(())),
            Ok(ours) => report.record(
                "type-preservation-prettier",
                Err(mismatch(&what, pretty, &ours)),
            ),
            Err(err) => report.record(
                "type-preservation-prettier",
                Err(format!("--- ours failed: {what}\n{}", err.render())),
            ),
        }
    }
    Ok(())
}
