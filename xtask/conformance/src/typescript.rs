//! `typescript`: instantdb-typescript against `@instantdb/platform` 1.0.67 and prettier 3.10.1.
//!
//! Seeded corpora, answered by `conformance/js/typescript.mjs`, in these categories (each
//! printed as `typescript/<category>: N passed, M failed`):
//! - **schema-codegen**: random wire schemas (with a random previous schema holding rooms,
//!   random module names, hand-ordered link keys) through `generateSchemaTypescriptFile`;
//! - **api-codegen**: random API schemas through `apiSchemaToInstantSchemaDef` (the converted
//!   def and the generated file must both agree);
//! - **perms-codegen**: random rules (and `null` / `{}`) through `generatePermsTypescriptFile`;
//! - **prettier**: every generated file above through real prettier, against [`Style::Prettier`];
//! - **parse**: every generated file, raw and prettier-formatted, through the official parsers;
//!   our parsers must give byte-identical JSON;
//! - **variants**: files written the ways upstream rejects and this crate accepts (export
//!   const, aliased or namespaced `i`, `as const`, `satisfies`, default exports, renamed
//!   variables, template literals, annotations instead of `satisfies`, comments, parentheses),
//!   each compared with the official parse of the canonical file it stands for;
//! - **handwritten** (`handwritten.rs`): hand-written schema and rules files, some importing
//!   sibling modules, compared with what executing them with instant-cli's loader gives
//!   (**handwritten-runs** checks that every generated project runs; **handwritten-refused**
//!   that every refusal is a located, plain-words error);
//! - **type-preservation** (`preserve.rs`): `preserve_types` against instant-cli's `mergeSchema`.
//!
//! Names stress ICU collation and JS semantics: case, accents (precomposed and combining),
//! `_`/`$`/`-`, digits and array-index keys, non-Latin scripts, wide characters, astral
//! characters, reserved words, and long names that push prettier past 80 columns.

use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use instantdb_schema::SchemaDef;
use instantdb_schema::perms::Rules;
use instantdb_schema::{ApiSchema, api_schema_to_schema_def};
use instantdb_typescript::{
    Style, generate_perms_file, generate_schema_file, generate_schema_file_from_wire_json,
    parse_perms_typescript_file, parse_schema_typescript_file_to_wire_json, rules_to_json,
};
use serde_json::{Map, Value, json};

use crate::Tally;
use crate::node::run_batch;

const SCHEMA_CASES: usize = 1000;
const API_CASES: usize = 300;
const PERMS_CASES: usize = 250;
const SHOWN_FAILURES: usize = 3;
const SEED: u64 = 0x1257_a6e5_c0de_0003;

const MODULES: &[&str] = &[
    "@instantdb/core",
    "@instantdb/react",
    "@instantdb/admin",
    "@instantdb/react-native",
    "my-lib/it's-mine",
];

/// Name fragments stressing collation and JS/prettier semantics (no `"`, `\`, line breaks:
/// upstream writes those into the file unescaped and breaks it, see the divergence table).
const FRAGMENTS: &[&str] = &[
    "a",
    "A",
    "b",
    "B",
    "ab",
    "aB",
    "a_b",
    "a-b",
    "_x",
    "$x",
    "$users",
    "$files",
    "x1",
    "x10",
    "x2",
    "10",
    "9",
    "0",
    "01",
    "é",
    "e\u{301}",
    "éclair",
    "e",
    "ß",
    "ss",
    "ñ",
    "Ω",
    "ω",
    "中",
    "名前",
    "日本語",
    "ä",
    "Å",
    "ø",
    "İ",
    "ı",
    "æ",
    "ﬁ",
    "𝒳",
    "🙂",
    "todos",
    "Todos",
    "posts",
    "id",
    "class",
    "default",
    "it's",
    "a b",
    "a.b",
    "Zeta",
    "z",
    "Z",
    "x_y",
    "x-y",
    "xy",
    "xY",
    "4294967294",
    "4294967295",
    "а",
    "\t",
    "ǅ",
];

pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn name(&mut self) -> String {
        if self.chance(4) {
            // Long enough to push a line past 80 columns.
            let len = 55 + self.below(40);
            return (0..len)
                .map(|i| if i % 7 == 6 { '_' } else { 'k' })
                .collect();
        }
        let parts = 1 + self.below(2);
        (0..parts).map(|_| *self.pick(FRAGMENTS)).collect()
    }
}

/// Per-category tallies and the first failures of each.
#[derive(Default)]
pub(crate) struct Report {
    categories: Vec<(&'static str, Tally, Vec<String>)>,
}

impl Report {
    pub(crate) fn record(&mut self, category: &'static str, result: Result<(), String>) {
        let index = match self.categories.iter().position(|(c, _, _)| *c == category) {
            Some(index) => index,
            None => {
                self.categories
                    .push((category, Tally::default(), Vec::new()));
                self.categories.len() - 1
            }
        };
        let (_, tally, failures) = &mut self.categories[index];
        match result {
            Ok(()) => tally.passed += 1,
            Err(failure) => {
                tally.failed += 1;
                failures.push(failure);
            }
        }
    }

    fn compare(&mut self, category: &'static str, what: &str, expected: &str, actual: &str) {
        let result = if expected == actual {
            Ok(())
        } else {
            Err(mismatch(what, expected, actual))
        };
        self.record(category, result);
    }

    fn finish(self) -> Tally {
        let mut total = Tally::default();
        for (category, tally, failures) in &self.categories {
            println!(
                "typescript/{category}: {} passed, {} failed",
                tally.passed, tally.failed
            );
            for failure in failures.iter().take(SHOWN_FAILURES) {
                eprintln!("{failure}");
            }
            if failures.len() > SHOWN_FAILURES {
                eprintln!(
                    "... and {} more {category} failures",
                    failures.len() - SHOWN_FAILURES
                );
            }
            total.passed += tally.passed;
            total.failed += tally.failed;
        }
        total
    }
}

/// A readable diff: the first differing line with two lines of context on each side.
pub(crate) fn mismatch(what: &str, expected: &str, actual: &str) -> String {
    let expected_lines: Vec<&str> = expected.lines().collect();
    let actual_lines: Vec<&str> = actual.lines().collect();
    let at = expected_lines
        .iter()
        .zip(&actual_lines)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = format!(
        "--- mismatch: {what} (first difference at line {})\n",
        at + 1
    );
    let from = at.saturating_sub(2);
    for line in expected_lines.iter().skip(from).take(5) {
        let _ = writeln!(out, "  official | {line}");
    }
    for line in actual_lines.iter().skip(from).take(5) {
        let _ = writeln!(out, "  ours     | {line}");
    }
    if expected_lines.len() == actual_lines.len() && at == expected_lines.len() {
        let _ = writeln!(out, "  (line endings or trailing text differ)");
    }
    out
}

pub(crate) fn run() -> Result<Tally> {
    let mut rng = Rng(SEED);
    let mut report = Report::default();
    // `TYPESCRIPT_ONLY=handwritten` (or `type-preservation`) runs one corpus, for development.
    let only = std::env::var("TYPESCRIPT_ONLY").ok();
    let runs = |name: &str| only.as_deref().is_none_or(|only| only == name);
    if only.is_none() {
        schema_codegen(&mut rng, &mut report)?;
        api_codegen(&mut rng, &mut report)?;
        perms_codegen(&mut rng, &mut report)?;
        variants(&mut rng, &mut report)?;
    }
    if runs("handwritten") {
        crate::handwritten::run(&mut report)?;
    }
    if runs("type-preservation") {
        crate::preserve::run(&mut report)?;
    }
    Ok(report.finish())
}

pub(crate) fn answers(script_inputs: &[Value]) -> Result<Vec<Value>> {
    let answers = run_batch("typescript.mjs", script_inputs)?;
    answers
        .into_iter()
        .map(|answer| match answer.get("ok") {
            Some(ok) => Ok(ok.clone()),
            None => bail!("typescript.mjs failed: {}", answer["error"]),
        })
        .collect()
}

fn text<'a>(answer: &'a Value, key: &str) -> Result<&'a str> {
    answer[key]
        .as_str()
        .with_context(|| format!("typescript.mjs answer without `{key}`"))
}

/// The official parse result as our functions return it: JSON text or `error: message`.
fn official_parse(answer: &Value) -> String {
    match (
        answer.get("json").and_then(Value::as_str),
        answer.get("error"),
    ) {
        (Some(json), _) => json.to_owned(),
        (None, Some(error)) => format!("error: {}", error.as_str().unwrap_or_default()),
        (None, None) => "error: (no answer)".to_owned(),
    }
}

fn our_schema_parse(src: &str) -> String {
    match parse_schema_typescript_file_to_wire_json(src, "instant.schema.ts") {
        Ok(json) => json,
        Err(err) => format!("error: {}", err.message()),
    }
}

fn our_perms_parse(src: &str) -> String {
    match parse_perms_typescript_file(src, "instant.perms.ts") {
        Ok(rules) => rules_to_json(&rules),
        Err(err) => format!("error: {}", err.message()),
    }
}

/// Compares the prettier output and the parses of one generated file.
fn check_generated(
    report: &mut Report,
    what: &str,
    answer: &Value,
    our_pretty: &str,
    parse: fn(&str) -> String,
) -> Result<()> {
    let raw = text(answer, "raw")?;
    let pretty = text(answer, "pretty")?;
    report.compare("prettier", what, pretty, our_pretty);
    report.compare(
        "parse",
        &format!("{what}, raw file"),
        &official_parse(&answer["parsedRaw"]),
        &parse(raw),
    );
    report.compare(
        "parse",
        &format!("{what}, prettier file"),
        &official_parse(&answer["parsedPretty"]),
        &parse(pretty),
    );
    Ok(())
}

fn attr_json(rng: &mut Rng) -> Value {
    let value_type = *rng.pick(&["string", "number", "boolean", "date", "json"]);
    let indexed = rng.chance(30);
    let metadata = match rng.below(10) {
        0 => json!({"derivedType": {"type": "any", "origin": "unknown"}}),
        1 => json!({"derivedType": {"type": value_type, "origin": "checked"}}),
        2 => json!({"note": 1.5}),
        _ => json!({}),
    };
    json!({
        "valueType": value_type,
        "required": rng.chance(60),
        "isIndexed": indexed,
        "config": {"indexed": indexed, "unique": rng.chance(25)},
        "metadata": metadata,
    })
}

fn entity_json(rng: &mut Rng, max_attrs: usize) -> Value {
    let mut attrs = Map::new();
    for _ in 0..rng.below(max_attrs + 1) {
        attrs.insert(rng.name(), attr_json(rng));
    }
    json!({"attrs": attrs, "links": {}})
}

fn link_side(rng: &mut Rng, on: &str, forward: bool) -> Value {
    let mut side: Vec<(&str, Value)> = vec![
        ("on", json!(on)),
        ("has", json!(if rng.chance(50) { "one" } else { "many" })),
        ("label", json!(rng.name())),
    ];
    if forward && rng.chance(30) {
        side.push(("required", json!(rng.chance(70))));
    }
    if rng.chance(20) {
        side.push(("onDelete", json!("cascade")));
    }
    if rng.chance(25) {
        // Hand-written key order, which upstream keeps.
        side.reverse();
    }
    Value::Object(side.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn rooms_json(rng: &mut Rng) -> Value {
    let mut rooms = Map::new();
    for _ in 0..rng.below(4) {
        let mut room = Map::new();
        room.insert("presence".into(), entity_json(rng, 4));
        match rng.below(3) {
            0 => {}
            1 => {
                room.insert("topics".into(), json!({}));
            }
            _ => {
                let mut topics = Map::new();
                for _ in 0..1 + rng.below(3) {
                    topics.insert(rng.name(), entity_json(rng, 3));
                }
                room.insert("topics".into(), Value::Object(topics));
            }
        }
        rooms.insert(rng.name(), Value::Object(room));
    }
    Value::Object(rooms)
}

fn schema_json(rng: &mut Rng) -> Value {
    let mut entities = Map::new();
    for _ in 0..rng.below(8) {
        entities.insert(rng.name(), entity_json(rng, 7));
    }
    let names: Vec<String> = entities.keys().cloned().collect();
    let mut links = Map::new();
    if !names.is_empty() {
        for _ in 0..rng.below(5) {
            let forward_on = rng.pick(&names).clone();
            let reverse_on = rng.pick(&names).clone();
            let mut link = vec![
                ("forward", link_side(rng, &forward_on, true)),
                ("reverse", link_side(rng, &reverse_on, false)),
            ];
            if rng.chance(15) {
                link.reverse();
            }
            let link: Map<String, Value> =
                link.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            links.insert(rng.name(), Value::Object(link));
        }
    }
    let rooms = if rng.chance(30) {
        rooms_json(rng)
    } else {
        json!({})
    };
    json!({"entities": entities, "links": links, "rooms": rooms})
}

/// Wire JSON text exactly as `JSON.stringify` would print the object (key order kept).
fn wire_text(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn schema_codegen(rng: &mut Rng, report: &mut Report) -> Result<()> {
    let mut requests = Vec::new();
    for _ in 0..SCHEMA_CASES {
        let wire = wire_text(&schema_json(rng));
        let prev = if rng.chance(50) {
            let mut prev = schema_json(rng);
            prev["rooms"] = rooms_json(rng);
            Some(wire_text(&prev))
        } else {
            None
        };
        let module = *rng.pick(MODULES);
        requests.push(json!({"op": "schema", "wire": wire, "prev": prev, "module": module}));
    }
    let answers = answers(&requests)?;
    for (request, answer) in requests.iter().zip(&answers) {
        let wire = request["wire"].as_str().unwrap_or_default();
        let module = request["module"].as_str().unwrap_or_default();
        let prev = match request["prev"].as_str() {
            Some(prev) => Some(SchemaDef::from_wire_json(prev).context("generated prev")?),
            None => None,
        };
        let what = format!("schema {wire}");
        let ours = |style| generate_schema_file_from_wire_json(prev.as_ref(), wire, module, style);
        let raw = ours(Style::Raw).with_context(|| format!("reading {wire}"))?;
        report.compare("schema-codegen", &what, text(answer, "raw")?, &raw);
        let pretty = ours(Style::Prettier)?;
        check_generated(report, &what, answer, &pretty, our_schema_parse)?;
    }
    Ok(())
}

fn api_attr(rng: &mut Rng, id: usize, etype: &str, label: &str) -> Value {
    let mut attr = json!({
        "id": format!("attr-{id}"),
        "value-type": "blob",
        "cardinality": "one",
        "forward-identity": [format!("ident-{id}"), etype, label],
        "unique?": rng.chance(20),
        "index?": rng.chance(30),
        "required?": rng.chance(40),
        "inferred-types": if rng.chance(50) { json!(["string"]) } else { Value::Null },
        "catalog": if etype.starts_with('$') { "system" } else { "user" },
    });
    if rng.chance(60) {
        attr["checked-data-type"] = json!(*rng.pick(&["string", "number", "boolean", "date"]));
    }
    attr
}

fn api_schema(rng: &mut Rng) -> Value {
    let mut next_id = 0;
    let mut blobs = Map::new();
    let mut etypes = Vec::new();
    for _ in 0..rng.below(7) {
        let etype = rng.name();
        let mut attrs = Map::new();
        next_id += 1;
        attrs.insert("id".into(), api_attr(rng, next_id, &etype, "id"));
        for _ in 0..rng.below(6) {
            let label = rng.name();
            next_id += 1;
            attrs.insert(label.clone(), api_attr(rng, next_id, &etype, &label));
        }
        etypes.push(etype.clone());
        blobs.insert(etype, Value::Object(attrs));
    }
    let mut refs = Map::new();
    if !etypes.is_empty() {
        for _ in 0..rng.below(5) {
            let (fe, re) = (rng.pick(&etypes).clone(), rng.pick(&etypes).clone());
            let (fl, rl) = (rng.name(), rng.name());
            next_id += 1;
            let mut attr = json!({
                "id": format!("attr-{next_id}"),
                "value-type": "ref",
                "cardinality": if rng.chance(50) { "one" } else { "many" },
                "forward-identity": [format!("ident-{next_id}"), fe, fl],
                "reverse-identity": [format!("ident-r{next_id}"), re, rl],
                "unique?": rng.chance(50),
                "index?": false,
                "required?": rng.chance(20),
                "inferred-types": Value::Null,
                "catalog": "user",
            });
            if rng.chance(20) {
                attr["on-delete"] = json!("cascade");
            }
            if rng.chance(15) {
                attr["on-delete-reverse"] = json!("cascade");
            }
            let key = format!("[{} {} {} {}]", q(&fe), q(&fl), q(&re), q(&rl));
            refs.insert(key, attr);
        }
    }
    json!({"blobs": blobs, "refs": refs})
}

/// A string as Clojure's `str` of a vector prints it inside a ref key.
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn api_codegen(rng: &mut Rng, report: &mut Report) -> Result<()> {
    let mut requests = Vec::new();
    for _ in 0..API_CASES {
        let api = wire_text(&api_schema(rng));
        let prev = rng.chance(30).then(|| {
            let mut prev = schema_json(rng);
            prev["rooms"] = rooms_json(rng);
            wire_text(&prev)
        });
        requests.push(json!({"op": "api", "api": api, "prev": prev, "module": *rng.pick(MODULES)}));
    }
    let answers = answers(&requests)?;
    for (request, answer) in requests.iter().zip(&answers) {
        let api_text = request["api"].as_str().unwrap_or_default();
        let module = request["module"].as_str().unwrap_or_default();
        let prev = match request["prev"].as_str() {
            Some(prev) => Some(SchemaDef::from_wire_json(prev).context("generated prev")?),
            None => None,
        };
        let what = format!("api schema {api_text}");
        let def = ApiSchema::from_json(api_text)
            .map_err(anyhow::Error::from)
            .and_then(|api| api_schema_to_schema_def(&api).map_err(anyhow::Error::from));
        let def = match def {
            Ok(def) => def,
            Err(err) => {
                report.record("api-codegen", Err(format!("--- {what}: {err}")));
                continue;
            }
        };
        report.compare(
            "api-codegen",
            &format!("{what} (def)"),
            text(answer, "def")?,
            &def.to_wire_json(),
        );
        let raw = generate_schema_file(prev.as_ref(), &def, module, Style::Raw);
        report.compare("api-codegen", &what, text(answer, "raw")?, &raw);
        let pretty = generate_schema_file(prev.as_ref(), &def, module, Style::Prettier);
        check_generated(report, &what, answer, &pretty, our_schema_parse)?;
    }
    Ok(())
}

const CEL: &[&str] = &[
    "true",
    "false",
    "auth.id != null",
    "auth.id == data.ownerId",
    "isOwner",
    "auth.email == 'a@b.c'",
    "auth.email == \"x@y.z\" && data.published == true",
    "auth.id in data.ref('owners.id') && auth.id != null && data.visibility == 'public' || isAdmin",
    "data.title.size() < 280 && !(newData.locked)",
    "'it''s' == \"quote\\\"d\"",
    "size(data.tags) > 0 && data.tags.all(t, t in ['a', 'b', 'c'])",
    "é 中 🙂",
];

fn json_scalar(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => json!(rng.below(1000)),
        1 => json!(1.5),
        2 => json!(1e21),
        3 => Value::Null,
        4 => json!(rng.chance(50)),
        5 => json!(0.000_000_1),
        _ => json!(*rng.pick(CEL)),
    }
}

fn json_value(rng: &mut Rng, depth: usize) -> Value {
    if depth == 0 {
        return json_scalar(rng);
    }
    match rng.below(6) {
        0 => {
            let items = (0..rng.below(5))
                .map(|_| json_value(rng, depth - 1))
                .collect();
            Value::Array(items)
        }
        1 => {
            // Arrays of multi-key objects (prettier always breaks them) or of numbers (fill).
            if rng.chance(50) {
                let items = (0..1 + rng.below(4))
                    .map(|_| json!({"capacity": rng.below(100), "refill": {"amount": 1, "period": "1 hour"}}))
                    .collect();
                Value::Array(items)
            } else {
                Value::Array(
                    (0..rng.below(40))
                        .map(|_| json!(rng.below(100_000)))
                        .collect(),
                )
            }
        }
        2 | 3 => {
            let mut map = Map::new();
            for _ in 0..rng.below(4) {
                map.insert(rng.name(), json_value(rng, depth - 1));
            }
            Value::Object(map)
        }
        _ => json_scalar(rng),
    }
}

fn rules_json(rng: &mut Rng) -> Value {
    let mut rules = Map::new();
    for _ in 0..rng.below(6) {
        let mut block = Map::new();
        let mut allow = Map::new();
        for action in ["view", "create", "update", "delete", "$default"] {
            if rng.chance(40) {
                allow.insert(action.into(), json!(*rng.pick(CEL)));
            }
        }
        if rng.chance(20) {
            allow.insert("link".into(), json!({rng.name(): *rng.pick(CEL)}));
        }
        block.insert("allow".into(), Value::Object(allow));
        match rng.below(3) {
            0 => {}
            1 => {
                block.insert(
                    "bind".into(),
                    json!(["isOwner", *rng.pick(CEL), "isAdmin", *rng.pick(CEL)]),
                );
            }
            _ => {
                block.insert("bind".into(), json!({"isOwner": *rng.pick(CEL)}));
            }
        }
        if rng.chance(20) {
            block.insert("fields".into(), json!({rng.name(): *rng.pick(CEL)}));
        }
        if rng.chance(15) {
            block.insert(rng.name(), json_value(rng, 2));
        }
        let name = match rng.below(6) {
            0 => "$default".to_owned(),
            1 => "attrs".to_owned(),
            _ => rng.name(),
        };
        rules.insert(name, Value::Object(block));
    }
    if rng.chance(25) {
        rules.insert(
            "$rateLimits".into(),
            json!({"signups": {"limits": [{"capacity": 5, "refill": {"amount": 1, "period": "1 hour", "type": "interval"}}]}}),
        );
    }
    if rng.chance(20) {
        rules.insert(rng.name(), json_value(rng, 3));
    }
    Value::Object(rules)
}

fn perms_codegen(rng: &mut Rng, report: &mut Report) -> Result<()> {
    let mut requests = Vec::new();
    for case in 0..PERMS_CASES {
        let perms = match case {
            0 => None,
            1 => Some("{}".to_owned()),
            _ => Some(wire_text(&rules_json(rng))),
        };
        requests.push(json!({"op": "perms", "perms": perms, "module": *rng.pick(MODULES)}));
    }
    let answers = answers(&requests)?;
    for (request, answer) in requests.iter().zip(&answers) {
        let module = request["module"].as_str().unwrap_or_default();
        let rules = match request["perms"].as_str() {
            Some(text) => Some(Rules::from_json(text).with_context(|| format!("rules {text}"))?),
            None => None,
        };
        let what = format!("perms {}", request["perms"]);
        let raw = generate_perms_file(rules.as_ref(), module, Style::Raw);
        report.compare("perms-codegen", &what, text(answer, "raw")?, &raw);
        let pretty = generate_perms_file(rules.as_ref(), module, Style::Prettier);
        check_generated(report, &what, answer, &pretty, our_perms_parse)?;
    }
    Ok(())
}

/// A transformation of a canonical schema file into a form only this crate accepts.
type Transform = (&'static str, fn(&str) -> Option<String>);

const SCHEMA_TRANSFORMS: &[Transform] = &[
    ("export const _schema", |src| {
        Some(src.replacen(
            "const _schema = i.schema(",
            "export const _schema = i.schema(",
            1,
        ))
    }),
    ("aliased import", |src| {
        let src = src.replacen("import { i } from", "import { i as b } from", 1);
        Some(replace_i_calls(&src, "b."))
    }),
    ("namespace import", |src| {
        let src = src.replacen("import { i } from", "import * as instant from", 1);
        Some(replace_i_calls(&src, "instant.i."))
    }),
    ("satisfies on the schema", |src| {
        let end = schema_end(src)?;
        Some(format!("{} satisfies unknown{}", &src[..end], &src[end..]))
    }),
    ("as const on links and rooms", |src| {
        let links_end = src
            .find("\n  },\n  rooms: ")
            .or_else(|| src.find("\n  links: {},"))?;
        let src = if src[links_end..].starts_with("\n  links: {},") {
            src.replacen("\n  links: {},", "\n  links: {} as const,", 1)
        } else {
            format!(
                "{}\n  }} as const,{}",
                &src[..links_end],
                &src[links_end + 5..]
            )
        };
        Some(src.replacen("\n  rooms: {}\n", "\n  rooms: {} as const\n", 1))
    }),
    ("default-exported call", |src| {
        let end = schema_end(src)?;
        let start = src.find("const _schema = ")?;
        Some(format!(
            "{}export default {};\n",
            &src[..start],
            &src[start + 16..end]
        ))
    }),
    ("renamed variable, default export", |src| {
        Some(src.replace("_schema", "appSchema"))
    }),
    ("template literals", |src| Some(templates(src))),
    ("comments and parentheses everywhere", |src| {
        let src = src.replace(": i.entity(", ": (i).entity(");
        let src = src
            .replace("({\n", "(/* a */ {\n")
            .replace(": i.", ": /* b */ i.");
        Some(
            src.replace("\",\n", "\", // c\n")
                .replace("),\n", "), // d\n"),
        )
    }),
    ("generic type arguments", |src| {
        Some(
            src.replace("i.json()", "i.json<{ a: number[] }>()")
                .replace("i.string()", "i.string<'a' | 'b'>()"),
        )
    }),
];

const PERMS_TRANSFORMS: &[Transform] = &[
    ("type annotation instead of satisfies", |src| {
        Some(
            src.replacen("const rules = ", "const rules: InstantRules = ", 1)
                .replacen(" satisfies InstantRules;", ";", 1),
        )
    }),
    ("as const", |src| {
        Some(src.replacen(" satisfies InstantRules;", " as const;", 1))
    }),
    ("export default object", |src| {
        Some(
            src.replacen("const rules = ", "export default ", 1)
                .replacen("\nexport default rules;\n", "\n", 1),
        )
    }),
    ("renamed variable, default export", |src| {
        Some(src.replace("rules", "permissions"))
    }),
    ("export const rules", |src| {
        Some(src.replacen("const rules = ", "export const rules = ", 1))
    }),
    ("template literals", |src| Some(templates(src))),
    ("comments", |src| {
        // Not inside the placeholder's own comment.
        (!src.contains("/**")).then(|| {
            src.replace("{\n", "{ // open\n")
                .replace("\",\n", "\", /* c */\n")
        })
    }),
];

/// Replaces the `i.` of builder calls by `prefix` (identifiers ending in `i` are left alone).
fn replace_i_calls(src: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut previous = ' ';
    let mut chars = src.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        if c == 'i'
            && src[index + 1..].starts_with('.')
            && !(previous.is_alphanumeric()
                || previous == '_'
                || previous == '$'
                || previous == '"'
                || previous == '.')
        {
            out.push_str(prefix);
            chars.next();
            previous = '.';
            continue;
        }
        out.push(c);
        previous = c;
    }
    out
}

/// The byte offset just after `i.schema({...})` in a generated file.
fn schema_end(src: &str) -> Option<usize> {
    let start = src.find("i.schema(")?;
    src[start..].find("\n})").map(|i| start + i + 3)
}

/// Turns every double-quoted string literal outside import lines into a template literal
/// (keys become computed keys: a template literal cannot be a plain key).
fn templates(src: &str) -> String {
    let mut lines = Vec::new();
    for line in src.lines() {
        if line.starts_with("import ") {
            lines.push(line.to_owned());
            continue;
        }
        let mut out = String::new();
        let mut chars = line.char_indices().peekable();
        while let Some((start, c)) = chars.next() {
            if c != '"' {
                out.push(c);
                continue;
            }
            let mut literal = String::from("`");
            let mut end = line.len();
            let mut escaped = false;
            for (index, c) in chars.by_ref() {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    end = index + 1;
                    break;
                } else if c == '`' || c == '$' {
                    literal.push('\\');
                }
                literal.push(c);
            }
            literal.push('`');
            let _ = start;
            if line[end..].trim_start().starts_with(':') {
                out.push('[');
                out.push_str(&literal);
                out.push(']');
            } else {
                out.push_str(&literal);
            }
        }
        lines.push(out);
    }
    lines.join("\n") + "\n"
}

/// Hand-written pairs: (name, variant, canonical).
const SCHEMA_PAIRS: &[(&str, &str, &str)] = &[
    (
        "alias import with default export of a renamed variable",
        "import { i as instant } from '@instantdb/react';\nconst graph = instant.schema({ entities: { todos: instant.entity({ title: instant.string().indexed() }) } });\nexport default graph;\n",
        "import { i } from '@instantdb/react';\nconst _schema = i.schema({ entities: { todos: i.entity({ title: i.string().indexed() }) } });\n",
    ),
    (
        "export { schema as default }",
        "import { i } from '@instantdb/core';\nconst schema = i.schema({ entities: { a: i.entity({}) }, links: {} });\nexport { schema as default };\n",
        "const _schema = i.schema({ entities: { a: i.entity({}) }, links: {} });\n",
    ),
    (
        "alias chain to the default export",
        "const base = i.schema({ entities: { a: i.entity({ x: i.number() }) } });\nconst typed = base satisfies object;\nexport default typed;\n",
        "const _schema = i.schema({ entities: { a: i.entity({ x: i.number() }) } });\n",
    ),
    (
        "template literal keys and values in links",
        "const _schema = i.schema({ entities: { a: i.entity({}) }, links: { [`l`]: { forward: { on: `a`, has: `one`, label: `b` }, reverse: { on: `a`, has: `many`, label: `c` } } } });\n",
        "const _schema = i.schema({ entities: { a: i.entity({}) }, links: { l: { forward: { on: 'a', has: 'one', label: 'b' }, reverse: { on: 'a', has: 'many', label: 'c' } } } });\n",
    ),
    (
        "as const on every link",
        "const _schema = i.schema({ entities: { a: i.entity({}) }, links: { l: { forward: { on: 'a', has: 'one', label: 'b' } as const, reverse: { on: 'a', has: 'many', label: 'c' } as const } } });\n",
        "const _schema = i.schema({ entities: { a: i.entity({}) }, links: { l: { forward: { on: 'a', has: 'one', label: 'b' }, reverse: { on: 'a', has: 'many', label: 'c' } } } });\n",
    ),
    (
        "satisfies on entities and attributes",
        "const _schema = i.schema({ entities: { a: i.entity({ x: i.string() satisfies unknown }) satisfies unknown } satisfies object });\n",
        "const _schema = i.schema({ entities: { a: i.entity({ x: i.string() }) } });\n",
    ),
    (
        "namespace import with rooms",
        "import * as db from '@instantdb/core';\nexport const _schema = db.i.schema({ entities: {}, rooms: { chat: { presence: db.i.entity({ name: db.i.string() }), topics: { emoji: db.i.entity({ e: db.i.string() }) } } } });\n",
        "const _schema = i.schema({ entities: {}, rooms: { chat: { presence: i.entity({ name: i.string() }), topics: { emoji: i.entity({ e: i.string() }) } } } });\n",
    ),
    (
        "export default with as const",
        "export default i.schema({ entities: { 'a-b': i.entity({ \"c\": i.date().optional() }) } } as const);\n",
        "const _schema = i.schema({ entities: { 'a-b': i.entity({ \"c\": i.date().optional() }) } });\n",
    ),
    (
        "negative number and template in an unknown section",
        "const _schema = i.schema({ entities: {}, extra: { n: -1, s: `x` } });\n",
        "const _schema = i.schema({ entities: {}, extra: {} });\n",
    ),
    (
        "comments everywhere",
        "/* a */ const /* b */ _schema /* c */ = /* d */ i /* e */ . /* f */ schema /* g */ ( /* h */ { /* i */ entities /* j */ : /* k */ { /* l */ a /* m */ : /* n */ i.entity({ /* o */ x /* p */ : /* q */ i /* r */ .string /* s */ ( /* t */ ) /* u */ . /* v */ optional() /* w */ }) } } /* x */ ) /* y */ ; // z\n",
        "const _schema = i.schema({ entities: { a: i.entity({ x: i.string().optional() }) } });\n",
    ),
];

const PERMS_PAIRS: &[(&str, &str, &str)] = &[
    (
        "annotated const with default export",
        "import type { InstantRules } from '@instantdb/core';\nconst rules: InstantRules = { todos: { allow: { view: 'true' } } };\nexport default rules;\n",
        "const rules = { todos: { allow: { view: 'true' } } } satisfies InstantRules;\n",
    ),
    (
        "default-exported satisfies object",
        "export default { $default: { allow: { $default: 'false' } } } satisfies InstantRules;\n",
        "const rules = { $default: { allow: { $default: 'false' } } } satisfies InstantRules;\n",
    ),
    (
        "negative zero",
        "const rules = { $rateLimits: { x: { limits: [{ capacity: -0, refill: { amount: 1e3 } }] } } } satisfies InstantRules;\n",
        "const rules = { $rateLimits: { x: { limits: [{ capacity: 0, refill: { amount: 1000 } }] } } } satisfies InstantRules;\n",
    ),
    (
        "renamed and exported by name",
        "const permissions = { a: { bind: [`x`, `y`] } } as const;\nexport { permissions as default };\n",
        "const rules = { a: { bind: ['x', 'y'] } } satisfies InstantRules;\n",
    ),
    (
        "export const with parentheses",
        "export const rules = ({ a: ({ allow: ({ view: ('true') }) }) }) satisfies InstantRules;\n",
        "const rules = { a: { allow: { view: 'true' } } } satisfies InstantRules;\n",
    ),
];

fn variants(rng: &mut Rng, report: &mut Report) -> Result<()> {
    // Canonical bases: official raw files for fresh random schemas and rules.
    let mut base_requests = Vec::new();
    for _ in 0..12 {
        let mut schema = schema_json(rng);
        if rng.chance(50) {
            schema["rooms"] = json!({});
        }
        base_requests.push(json!({"op": "schema", "wire": wire_text(&schema), "prev": wire_text(&schema), "module": "@instantdb/core"}));
    }
    for _ in 0..8 {
        base_requests.push(json!({"op": "perms", "perms": wire_text(&rules_json(rng)), "module": "@instantdb/core"}));
    }
    let bases = answers(&base_requests)?;

    // (name, variant, canonical, is_schema)
    let mut cases: Vec<(String, String, String, bool)> = Vec::new();
    for (request, base) in base_requests.iter().zip(&bases) {
        let canonical = text(base, "raw")?.to_owned();
        let is_schema = request["op"] == "schema";
        let transforms = if is_schema {
            SCHEMA_TRANSFORMS
        } else {
            PERMS_TRANSFORMS
        };
        for (name, transform) in transforms {
            if let Some(variant) = transform(&canonical) {
                cases.push((name.to_string(), variant, canonical.clone(), is_schema));
            }
        }
    }
    for (name, variant, canonical) in SCHEMA_PAIRS {
        cases.push((
            name.to_string(),
            variant.to_string(),
            canonical.to_string(),
            true,
        ));
    }
    for (name, variant, canonical) in PERMS_PAIRS {
        cases.push((
            name.to_string(),
            variant.to_string(),
            canonical.to_string(),
            false,
        ));
    }

    let requests: Vec<Value> = cases
        .iter()
        .flat_map(|(_, variant, canonical, is_schema)| {
            let op = if *is_schema {
                "parseSchema"
            } else {
                "parsePerms"
            };
            [
                json!({"op": op, "src": canonical}),
                json!({"op": op, "src": variant}),
            ]
        })
        .collect();
    let answers = answers(&requests)?;
    let mut upstream_rejects = 0;
    for ((name, variant, canonical, is_schema), pair) in cases.iter().zip(answers.chunks(2)) {
        let expected = official_parse(&pair[0]);
        if expected.starts_with("error: ") {
            report.record("variants", Err(format!("--- variant `{name}`: the official parser rejects the canonical file: {expected}\n{canonical}")));
            continue;
        }
        if official_parse(&pair[1]).starts_with("error: ") {
            upstream_rejects += 1;
        }
        let ours = if *is_schema {
            our_schema_parse(variant)
        } else {
            our_perms_parse(variant)
        };
        report.compare(
            "variants",
            &format!("variant `{name}`:\n{variant}"),
            &expected,
            &ours,
        );
    }
    println!(
        "typescript/variants: {} files, {upstream_rejects} of them rejected by upstream",
        cases.len()
    );
    Ok(())
}

/// `cargo xtask bench typescript`: criterion's `parse_schema` / `codegen_schema` against the
/// official package on the same file, measured in the same run.
pub(crate) fn bench(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        bail!("usage: bench typescript");
    }
    let fixture =
        crate::node::project_root().join("crates/instantdb-typescript/benches/bench.schema.ts");
    let src = std::fs::read_to_string(&fixture)
        .with_context(|| format!("reading {}", fixture.display()))?;
    let official = |iterations: u64| -> Result<(f64, f64)> {
        let request =
            json!({"op": "bench", "src": src, "warmup": iterations / 4, "iterations": iterations});
        let answer = answers(&[request])?.remove(0);
        Ok((
            answer["parse"]
                .as_f64()
                .context("bench answer without parse")?,
            answer["codegen"]
                .as_f64()
                .context("bench answer without codegen")?,
        ))
    };
    let before = official(2000)?;
    let home = crate::criterion::home("typescript");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(crate::node::project_root())
        .args([
            "bench",
            "--quiet",
            "-p",
            "instantdb-typescript",
            "--bench",
            "typescript",
            "--",
        ])
        .args(["--warm-up-time", "1", "--measurement-time", "3"])
        .env("CRITERION_HOME", &home)
        .status()
        .context("running cargo bench")?;
    if !status.success() {
        bail!("cargo bench -p instantdb-typescript failed with {status}");
    }
    let after = official(2000)?;
    let ours = |name: &str| crate::criterion::mean_ns(&home, name);
    let rows = [
        (
            "parse_schema",
            (before.0 + after.0) / 2.0,
            ours("parse_schema")?,
            20.0,
        ),
        (
            "codegen_schema",
            (before.1 + after.1) / 2.0,
            ours("codegen_schema")?,
            10.0,
        ),
    ];
    for (name, node_ns, ours_ns, target) in rows {
        let ratio = node_ns / ours_ns;
        println!(
            "{name}: official {:.1} µs, ours {:.1} µs: {ratio:.1}x (target >= {target}x){}",
            node_ns / 1000.0,
            ours_ns / 1000.0,
            if ratio >= target {
                ""
            } else {
                " -- BELOW TARGET"
            }
        );
    }
    println!(
        "codegen_schema_prettier (no official counterpart: instant-cli runs prettier): {:.1} µs",
        ours("codegen_schema_prettier")? / 1000.0
    );
    Ok(())
}
