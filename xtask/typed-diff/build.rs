//! Writes `$OUT_DIR/schemas.rs`: 200 pseudo-random schemas (fixed seed, so every build tests
//! the same ones), each as the module `instantdb-rustgen` generates for it, plus one check per
//! schema that builds typed queries and transactions with the generated Rust names and compares
//! their bytes with the untyped API's, built from the Instant names as strings.
//!
//! The names are drawn from pools full of what name mangling must survive: camelCase and
//! acronyms, keywords (`type`, `self`), leading digits, punctuation, non-ASCII, names that
//! clash once snake_cased (`fooBar` / `foo_bar`), and entity names that singularize alike.

use std::fmt::Write as _;

use instantdb_rustgen::{EntityNames, MemberKind, Options, generate, names};
use instantdb_schema::{
    AttrDef, EntityDef, Has, LinkDef, LinkForward, LinkReverse, SchemaDef, ValueType,
};

const SCHEMAS: usize = 200;

const ENTITY_NAMES: &[&str] = &[
    "todos",
    "todo",
    "Todo",
    "goals",
    "categories",
    "boxes",
    "status",
    "type",
    "rt",
    "rooms",
    "a-b",
    "2things",
    "people",
    "HTTPServers",
    "users",
    "files",
    "self",
    "ünïcode",
];
const ATTR_NAMES: &[&str] = &[
    "title",
    "createdAt",
    "created_at",
    "type",
    "self",
    "2fa",
    "imageURL",
    "a-b",
    "x y",
    "fooBar",
    "foo_bar",
    "rt",
    "super",
    "HTTPServer",
    "done",
    "priority",
    "n",
    "Ünï",
    "id_",
    "r#raw",
    "\"q\"",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // SplitMix64: tiny, deterministic, good enough to pick shapes.
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
    fn pick<'a>(&mut self, pool: &[&'a str]) -> &'a str {
        pool[self.below(pool.len())]
    }
}

fn random_schema(rng: &mut Rng, with_users: bool) -> SchemaDef {
    let mut schema = SchemaDef::default();
    for _ in 0..1 + rng.below(2) {
        let name = rng.pick(ENTITY_NAMES).to_owned();
        let mut entity = EntityDef::default();
        for _ in 0..1 + rng.below(3) {
            let value_type = [
                ValueType::String,
                ValueType::Number,
                ValueType::Boolean,
                ValueType::Date,
                ValueType::Json,
            ][rng.below(5)];
            let attr = AttrDef {
                required: rng.coin(),
                indexed: rng.coin(),
                unique: rng.below(4) == 0,
                ..AttrDef::new(value_type)
            };
            entity.attrs.insert(rng.pick(ATTR_NAMES).to_owned(), attr);
        }
        schema.entities.insert(name, entity);
    }
    let namespaces: Vec<String> = schema
        .entities
        .keys()
        .cloned()
        .chain(with_users.then(|| "$users".to_owned()))
        .collect();
    let own = schema.entities.len();
    for idx in 0..rng.below(3) {
        let from = namespaces[rng.below(own)].clone();
        let to = namespaces[rng.below(namespaces.len())].clone();
        let label = |rng: &mut Rng, on: &str| {
            // Link labels must not repeat an attribute of the same entity.
            let base = rng.pick(&["owner", "items", "parent", "type", "linkedThing", "ünï"]);
            format!("{base}{idx}{}", on.len())
        };
        let forward_label = label(rng, &from);
        let reverse_label = format!("{}r", label(rng, &to));
        let has = |rng: &mut Rng| if rng.coin() { Has::One } else { Has::Many };
        schema.links.insert(
            format!("link{idx}"),
            LinkDef {
                forward: LinkForward {
                    on: from,
                    has: has(rng),
                    label: forward_label,
                    required: None,
                    on_delete: None,
                },
                reverse: LinkReverse {
                    on: to,
                    has: has(rng),
                    label: reverse_label,
                    on_delete: None,
                },
            },
        );
    }
    schema
}

/// A typed value of `value_type` (Rust expression) and the untyped JSON it must send.
fn sample(value_type: ValueType) -> (&'static str, &'static str) {
    match value_type {
        ValueType::String => ("\"s \\\" ü\"", "json!(\"s \\\" ü\")"),
        // `2.0` as Rust writes it, `2` as JavaScript does: the typed path must normalize.
        ValueType::Number => ("2.0", "json!(2)"),
        ValueType::Boolean => ("true", "json!(true)"),
        ValueType::Date => (
            "rt::Timestamp::from_millis(1_000)",
            "json!(\"1970-01-01T00:00:01.000Z\")",
        ),
        ValueType::Json => ("json!(7)", "json!(7)"),
    }
}

fn checks(out: &mut String, entities: &[EntityNames]) {
    let struct_of = |namespace: &str| {
        entities
            .iter()
            .find(|e| e.namespace == namespace)
            .map(|e| e.struct_name.clone())
            .unwrap_or_default()
    };
    out.push_str("    pub(crate) fn check() {\n");
    for entity in entities {
        let EntityNames {
            namespace,
            struct_name: s,
            module: m,
            members,
        } = entity;
        let ns = format!("{namespace:?}");
        // Queries: one condition per attribute, order and comparisons where allowed, links.
        for (name, ident, kind) in members {
            let name = format!("{name:?}");
            match kind {
                MemberKind::Attr(attr) => {
                    let (typed, untyped) = sample(attr.value_type);
                    let _ = writeln!(
                        out,
                        "        same_query({s}::query().where_({m}::{ident}.eq({typed})), \
                         InstaQl::new().namespace({ns}, Select::new().filter(Where::new().eq({name}, {untyped}))));"
                    );
                    if attr.indexed && attr.value_type != ValueType::Json {
                        let _ = writeln!(
                            out,
                            "        same_query({s}::query().where_({m}::{ident}.gt({typed})).order({m}::{ident}.desc()).limit(3), \
                             InstaQl::new().namespace({ns}, Select::new().filter(Where::new().cond({name}, Cond::gt({untyped}))).order({name}, Order::Desc).limit(3)));"
                        );
                    }
                    if attr.unique {
                        let _ = writeln!(
                            out,
                            "        same_tx({s}::tx(rt::lookup({m}::{ident}, {typed})).delete(), \
                             tx({ns}, lookup({name}, {untyped})).delete());"
                        );
                    }
                }
                MemberKind::Link { target, .. } => {
                    let t = struct_of(target);
                    let _ = writeln!(
                        out,
                        "        same_query({s}::query().with({m}::{ident}).field({m}::id), \
                         InstaQl::new().namespace({ns}, Select::new().link({name}, Select::new()).fields([\"id\"])));\n        \
                         same_tx({s}::tx(&rt::Id::<{s}>::from_string(ID)).link({m}::{ident}, rt::Id::<{t}>::from_string(ID2)).unlink({m}::{ident}, rt::Id::<{t}>::from_string(ID)), \
                         tx({ns}, ID).link(json!({{{name}: ID2}})).unlink(json!({{{name}: ID}})));"
                    );
                }
            }
        }
        // Transactions: create with every required attribute, update with every attribute.
        let mut new_fields = String::new();
        let mut new_json = String::new();
        let mut update_fields = String::new();
        let mut update_json = String::new();
        for (name, ident, kind) in members {
            if let MemberKind::Attr(attr) = kind {
                let (typed, untyped) = sample(attr.value_type);
                let name = format!("{name:?}");
                if attr.required {
                    let _ = write!(new_fields, "{ident}: {typed}.into(), ");
                    let _ = write!(new_json, "{name}: {untyped}, ");
                    let _ = write!(update_fields, "{ident}: Some({typed}.into()), ");
                } else {
                    let _ = write!(new_fields, "{ident}: None, ");
                    let _ = write!(update_fields, "{ident}: Some(None), ");
                    let _ = write!(update_json, "{name}: null, ");
                    continue;
                }
                let _ = write!(update_json, "{name}: {untyped}, ");
            }
        }
        let _ = writeln!(
            out,
            "        same_tx({s}::tx(rt::Id::<{s}>::from_string(ID)).create(&New{s} {{ {new_fields} }}).update(&{s}Update {{ {update_fields} }}).update(&{s}Update::default()), \
             tx({ns}, ID).create(obj(json!({{ {new_json} }}))).update(obj(json!({{ {update_json} }}))).update(json!({{}})));"
        );
    }
    out.push_str("    }\n");
}

fn main() {
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let mut options = Options {
        runtime: "::instantdb_admin::typed".to_owned(),
        file_header: false,
        ..Options::default()
    };
    let mut rng = Rng(0x1D57_A47D);
    let mut out = String::new();
    for idx in 0..SCHEMAS {
        // `$users`/`$files` in one schema of eight: they are the same every time, and each
        // generated entity costs compile time.
        options.system_entities = idx % 8 == 0;
        let schema = random_schema(&mut rng, options.system_entities);
        let _ = writeln!(
            out,
            "#[allow(dead_code, unreachable_pub, clippy::all)]\nmod s{idx} {{\n{}\n    use super::*;\n",
            generate(&schema, &options)
        );
        checks(&mut out, &names(&schema, &options));
        out.push_str("}\n");
    }
    out.push_str("pub(crate) fn check_all() -> usize {\n");
    for idx in 0..SCHEMAS {
        let _ = writeln!(out, "    s{idx}::check();");
    }
    let _ = writeln!(out, "    {SCHEMAS}\n}}");
    std::fs::write(format!("{out_dir}/schemas.rs"), out).expect("OUT_DIR is writable");
    println!("cargo::rerun-if-changed=build.rs");
}
