//! `schema`: instantdb-schema against `@instantdb/core` and `@instantdb/platform` 1.0.67.
//!
//! Three seeded corpora, each compared with the official packages through
//! `conformance/js/schema.mjs`:
//! - **wire**: random schemas built with both `i` builders; `JSON.stringify(i.schema(...))` and
//!   `SchemaDef::to_wire_json` must be byte-identical.
//! - **apiToDef**: random API schemas; `apiSchemaToInstantSchemaDef` and
//!   `api_schema_to_schema_def` must give byte-identical wire JSON, and `apiSchemaToAttrs` the
//!   same attribute order.
//! - **diff**: random old API schema / new schema pairs with rename commands; `diffSchemas`,
//!   `convertTxSteps` (UUIDs normalised to `<uuid:N>`) and `translatePlanSteps` must agree.
//!
//! Names are drawn from a pool that stresses JS semantics: case, `$`, `_`, `-`, digits and
//! array-index keys (`"0"`, `"9"`, `"10"`), non-ASCII, and strings equal under collation
//! (`"a"` and `"a\u{1}"`). The diff vectors of `conformance/platform-vectors.json` run first.

use std::fmt::Write as _;

use anyhow::{Context, Result};
use instantdb_schema::diff::{MigrationTx, RenameSelector, convert_tx_steps, diff_schemas};
use instantdb_schema::{
    ApiSchema, AttrDef, EntityDef, Has, LinkDef, OnDelete, RoomDef, SchemaDef,
    SystemCatalogIdentNames, api_schema_to_attrs, api_schema_to_schema_def,
    collect_system_catalog_ident_names, i,
};
use serde_json::{Value, json};

use crate::Tally;
use crate::node::{project_root, run_batch};

const WIRE_CASES: usize = 320;
const API_CASES: usize = 320;
const DIFF_CASES: usize = 120;
const SHOWN_FAILURES: usize = 5;

/// Entity, attribute and link names that stress ordering and JS object semantics.
const NAMES: &[&str] = &[
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
    "x1",
    "x10",
    "x2",
    "10",
    "9",
    "0",
    "01",
    "é",
    "e",
    "ß",
    "ss",
    "ñ",
    "n",
    "Z",
    "z",
    "Ω",
    "中",
    "名前",
    "a\u{1}",
    "todos",
    "Todos",
    "posts",
    "$users",
    "$files",
    "id",
    "4294967295",
    "a b",
];

/// A small deterministic PRNG (splitmix64), so corpora are reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn name(&mut self) -> String {
        (*self.pick(NAMES)).to_owned()
    }

    fn has(&mut self) -> Has {
        if self.chance(50) { Has::One } else { Has::Many }
    }
}

pub(crate) fn run() -> Result<Tally> {
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    vectors(&mut tally, &mut failures)?;
    wire(&mut tally, &mut failures)?;
    api_to_def(&mut tally, &mut failures)?;
    diff(&mut tally, &mut failures)?;
    for failure in failures.iter().take(SHOWN_FAILURES) {
        eprintln!("{failure}");
    }
    if failures.len() > SHOWN_FAILURES {
        eprintln!("... and {} more", failures.len() - SHOWN_FAILURES);
    }
    Ok(tally)
}

fn record(tally: &mut Tally, failures: &mut Vec<String>, result: Result<(), String>) {
    match result {
        Ok(()) => tally.passed += 1,
        Err(failure) => {
            tally.failed += 1;
            failures.push(failure);
        }
    }
}

fn mismatch(what: &str, input: &str, expected: &str, actual: &str) -> String {
    let at = expected
        .chars()
        .zip(actual.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = format!("--- schema/{what} mismatch\ninput: {input}\n");
    let _ = writeln!(out, "first difference at char {at}");
    let _ = writeln!(out, "official: {expected}");
    let _ = writeln!(out, "ours:     {actual}");
    out
}

/// Node's answer, or the error it threw.
fn answer(value: &Value) -> Result<&Value, String> {
    match value.get("ok") {
        Some(ok) => Ok(ok),
        None => Err(format!("node failed: {}", value["error"])),
    }
}

// ---------------------------------------------------------------------------------------------
// platform-vectors.json

fn vectors(tally: &mut Tally, failures: &mut Vec<String>) -> Result<()> {
    let path = project_root().join("conformance/platform-vectors.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?;
    let vectors: Value = serde_json::from_str(&text)?;
    for case in vectors["diff"].as_array().context("diff vectors")? {
        let result = (|| -> Result<(), String> {
            let name = case["name"].as_str().unwrap_or_default();
            let old = SchemaDef::from_wire_value(&case["oldSchema"]).map_err(|e| e.to_string())?;
            let new = SchemaDef::from_wire_value(&case["newSchema"]).map_err(|e| e.to_string())?;
            let renames: Vec<String> =
                serde_json::from_value(case["renames"].clone()).map_err(|e| e.to_string())?;
            let sys: SystemCatalogIdentNames =
                serde_json::from_value(case["systemCatalogIdentNames"].clone())
                    .map_err(|e| e.to_string())?;
            let mut selector = RenameSelector::parse(&renames).map_err(|e| e.to_string())?;
            let txs = diff_schemas(&old, &new, &mut selector, &sys).map_err(|e| e.to_string())?;
            let ours = serde_json::to_value(&txs).map_err(|e| e.to_string())?;
            if ours != case["migrationTxs"] {
                return Err(mismatch(
                    "vector",
                    name,
                    &case["migrationTxs"].to_string(),
                    &ours.to_string(),
                ));
            }
            if let Some(existing) = case.get("existingAttrs") {
                let attrs: Vec<instantdb_schema::ApiAttr> =
                    serde_json::from_value(existing.clone()).map_err(|e| e.to_string())?;
                let steps = convert_tx_steps(&txs, &attrs, counter()).map_err(|e| e.to_string())?;
                let ours = serde_json::to_string(&steps).map_err(|e| e.to_string())?;
                let expected = case["planSteps"].to_string();
                if ours != expected {
                    return Err(mismatch("vector plan", name, &expected, &ours));
                }
                let translated: Vec<Value> =
                    steps.iter().map(|s| s.to_translated_json(&attrs)).collect();
                let ours = Value::from(translated).to_string();
                let expected = case["translatedSteps"].to_string();
                if ours != expected {
                    return Err(mismatch("vector translated", name, &expected, &ours));
                }
            }
            Ok(())
        })();
        record(tally, failures, result);
    }
    Ok(())
}

/// `<uuid:0>`, `<uuid:1>`, ...: the ids `normaliseUuids` gives upstream's random ones.
fn counter() -> impl FnMut() -> String {
    let mut n = 0;
    move || {
        n += 1;
        format!("<uuid:{}>", n - 1)
    }
}

// ---------------------------------------------------------------------------------------------
// wire: i builder + JSON.stringify

fn random_attr_spec(rng: &mut Rng) -> Value {
    let types = ["string", "number", "boolean", "date", "json", "any"];
    let mut modifiers: Vec<&str> = ["unique", "indexed", "optional", "clientRequired"]
        .into_iter()
        .filter(|_| rng.chance(35))
        .collect();
    // Modifier order must not matter: shuffle.
    for k in (1..modifiers.len()).rev() {
        modifiers.swap(k, rng.below(k + 1));
    }
    json!({"type": rng.pick(&types), "modifiers": modifiers})
}

fn random_attrs_spec(rng: &mut Rng, max: usize) -> Value {
    Value::from(
        (0..rng.below(max + 1))
            .map(|_| json!([rng.name(), random_attr_spec(rng)]))
            .collect::<Vec<_>>(),
    )
}

fn random_link_json(rng: &mut Rng, entities: &[String]) -> Value {
    let end = |rng: &mut Rng, forward: bool| {
        let on = if !entities.is_empty() && rng.chance(85) {
            rng.pick(entities).clone()
        } else {
            rng.name()
        };
        let mut side = serde_json::Map::new();
        side.insert("on".into(), on.into());
        side.insert("has".into(), rng.has().as_str().into());
        side.insert("label".into(), rng.name().into());
        if forward && rng.chance(30) {
            side.insert("required".into(), rng.chance(70).into());
        }
        if rng.chance(20) {
            side.insert("onDelete".into(), "cascade".into());
        }
        Value::Object(side)
    };
    let forward = end(rng, true);
    let reverse = end(rng, false);
    json!({"forward": forward, "reverse": reverse})
}

fn random_schema_spec(rng: &mut Rng) -> Value {
    let entities: Vec<Value> = (0..rng.below(7))
        .map(|_| json!([rng.name(), random_attrs_spec(rng, 6)]))
        .collect();
    let names: Vec<String> = entities
        .iter()
        .filter_map(|e| e[0].as_str().map(str::to_owned))
        .collect();
    let links: Vec<Value> = (0..rng.below(5))
        .map(|_| json!([rng.name(), random_link_json(rng, &names)]))
        .collect();
    let rooms: Vec<Value> = (0..rng.below(3))
        .map(|_| {
            let topics = rng.chance(60).then(|| {
                Value::from(
                    (0..rng.below(3))
                        .map(|_| json!([rng.name(), random_attrs_spec(rng, 2)]))
                        .collect::<Vec<_>>(),
                )
            });
            json!([rng.name(), {"presence": random_attrs_spec(rng, 3), "topics": topics}])
        })
        .collect();
    json!({"entities": entities, "links": links, "rooms": rooms})
}

fn build_attr(spec: &Value) -> Result<AttrDef> {
    let mut def = match spec["type"].as_str().context("type")? {
        "string" => i::string(),
        "number" => i::number(),
        "boolean" => i::boolean(),
        "date" => i::date(),
        "json" => i::json(),
        _ => i::any(),
    };
    for modifier in spec["modifiers"].as_array().context("modifiers")? {
        def = match modifier.as_str().context("modifier")? {
            "unique" => def.unique(),
            "indexed" => def.indexed(),
            "optional" => def.optional(),
            _ => def.client_required(),
        };
    }
    Ok(def)
}

fn pairs(spec: &Value) -> Result<Vec<(&str, &Value)>> {
    spec.as_array()
        .context("pairs")?
        .iter()
        .map(|pair| Ok((pair[0].as_str().context("name")?, &pair[1])))
        .collect()
}

fn build_entity(attrs: &Value) -> Result<EntityDef> {
    let attrs = pairs(attrs)?
        .into_iter()
        .map(|(label, spec)| Ok((label, build_attr(spec)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(i::entity(attrs))
}

fn build_schema(spec: &Value) -> Result<SchemaDef> {
    let entities = pairs(&spec["entities"])?
        .into_iter()
        .map(|(name, attrs)| Ok((name, build_entity(attrs)?)))
        .collect::<Result<Vec<_>>>()?;
    let links = pairs(&spec["links"])?
        .into_iter()
        .map(|(name, link)| Ok((name, serde_json::from_value::<LinkDef>(link.clone())?)))
        .collect::<Result<Vec<_>>>()?;
    let rooms = pairs(&spec["rooms"])?
        .into_iter()
        .map(|(name, room)| {
            let mut def: RoomDef = i::room(build_entity(&room["presence"])?);
            if !room["topics"].is_null() {
                let topics = pairs(&room["topics"])?
                    .into_iter()
                    .map(|(t, attrs)| Ok((t, build_entity(attrs)?)))
                    .collect::<Result<Vec<_>>>()?;
                def = def.topics(topics);
            }
            Ok((name, def))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(i::schema().entities(entities).links(links).rooms(rooms))
}

fn wire(tally: &mut Tally, failures: &mut Vec<String>) -> Result<()> {
    let mut rng = Rng(0x5C4E_3A01);
    let specs: Vec<Value> = (0..WIRE_CASES)
        .map(|_| random_schema_spec(&mut rng))
        .collect();
    let inputs: Vec<Value> = specs
        .iter()
        .map(|spec| json!({"kind": "wire", "spec": spec}))
        .collect();
    let answers = run_batch("schema.mjs", &inputs)?;
    for (spec, answer_value) in specs.iter().zip(&answers) {
        let result = (|| -> Result<(), String> {
            let expected = answer(answer_value)?
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let schema = build_schema(spec).map_err(|e| format!("{e:#}"))?;
            let ours = schema.to_wire_json();
            if ours != expected {
                return Err(mismatch("wire", &spec.to_string(), &expected, &ours));
            }
            // And the wire JSON reads back to the same schema.
            let back = SchemaDef::from_wire_json(&expected).map_err(|e| e.to_string())?;
            if back.to_wire_json() != expected {
                return Err(mismatch(
                    "wire round trip",
                    &spec.to_string(),
                    &expected,
                    &back.to_wire_json(),
                ));
            }
            Ok(())
        })();
        record(tally, failures, result);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// apiToDef: apiSchemaToInstantSchemaDef + apiSchemaToAttrs

fn ref_key(fe: &str, fl: &str, re: &str, rl: &str) -> String {
    // Clojure `str` of a vector of strings; names here have no `"` or `\`.
    format!("[\"{fe}\" \"{fl}\" \"{re}\" \"{rl}\"]")
}

fn random_api_attr(rng: &mut Rng, id: &str, etype: &str, label: &str, system: bool) -> Value {
    let mut attr = serde_json::Map::new();
    attr.insert("id".into(), id.into());
    attr.insert("value-type".into(), "blob".into());
    attr.insert("cardinality".into(), "one".into());
    attr.insert(
        "forward-identity".into(),
        json!([format!("ident-{id}"), etype, label]),
    );
    attr.insert("unique?".into(), (label == "id" || rng.chance(25)).into());
    attr.insert("index?".into(), rng.chance(25).into());
    attr.insert("required?".into(), rng.chance(40).into());
    attr.insert(
        "inferred-types".into(),
        if rng.chance(30) {
            json!(["string", "number"])
        } else {
            Value::Null
        },
    );
    attr.insert(
        "catalog".into(),
        if system { "system" } else { "user" }.into(),
    );
    if label != "id" && rng.chance(60) {
        let types = ["string", "number", "boolean", "date"];
        attr.insert("checked-data-type".into(), (*rng.pick(&types)).into());
    }
    Value::Object(attr)
}

fn random_api_schema(rng: &mut Rng) -> Value {
    let mut next_id = 0;
    let mut id = || {
        next_id += 1;
        format!("attr-{next_id}")
    };
    let mut blobs = serde_json::Map::new();
    let mut etypes = Vec::new();
    for _ in 0..rng.below(7) {
        let etype = rng.name();
        let system = etype.starts_with('$') && rng.chance(70);
        let mut attrs = serde_json::Map::new();
        if rng.chance(90) {
            attrs.insert(
                "id".into(),
                random_api_attr(rng, &id(), &etype, "id", system),
            );
        }
        for _ in 0..rng.below(6) {
            let label = rng.name();
            let system = system && rng.chance(50);
            attrs.insert(
                label.clone(),
                random_api_attr(rng, &id(), &etype, &label, system),
            );
        }
        etypes.push(etype.clone());
        blobs.insert(etype, Value::Object(attrs));
    }
    let mut refs = serde_json::Map::new();
    for _ in 0..rng.below(5) {
        let fe = if etypes.is_empty() {
            rng.name()
        } else {
            rng.pick(&etypes).clone()
        };
        let re = if etypes.is_empty() {
            rng.name()
        } else {
            rng.pick(&etypes).clone()
        };
        // Labels differing only in the case of the first letter collide in link names.
        let fl = (*rng.pick(&["x", "X", "tags", "Tags", "owner", "é", "É", "ß", "1"])).to_owned();
        let rl = rng.name();
        let attr_id = id();
        let mut attr = serde_json::Map::new();
        attr.insert("id".into(), attr_id.clone().into());
        attr.insert("value-type".into(), "ref".into());
        attr.insert("cardinality".into(), rng.has().as_str().into());
        attr.insert(
            "forward-identity".into(),
            json!([format!("f-{attr_id}"), fe, fl]),
        );
        attr.insert(
            "reverse-identity".into(),
            json!([format!("r-{attr_id}"), re, rl]),
        );
        attr.insert("unique?".into(), rng.chance(50).into());
        attr.insert("index?".into(), false.into());
        attr.insert("required?".into(), rng.chance(20).into());
        attr.insert("inferred-types".into(), Value::Null);
        attr.insert(
            "catalog".into(),
            if fe.starts_with('$') && rng.chance(30) {
                "system"
            } else {
                "user"
            }
            .into(),
        );
        if rng.chance(25) {
            attr.insert("on-delete".into(), "cascade".into());
        }
        if rng.chance(25) {
            attr.insert("on-delete-reverse".into(), "cascade".into());
        }
        refs.insert(ref_key(&fe, &fl, &re, &rl), Value::Object(attr));
    }
    json!({"blobs": blobs, "refs": refs})
}

fn api_to_def(tally: &mut Tally, failures: &mut Vec<String>) -> Result<()> {
    let mut rng = Rng(0xA91_5C4E);
    let apis: Vec<Value> = (0..API_CASES)
        .map(|_| random_api_schema(&mut rng))
        .collect();
    let inputs: Vec<Value> = apis
        .iter()
        .map(|api| json!({"kind": "apiToDef", "api": api}))
        .collect();
    let answers = run_batch("schema.mjs", &inputs)?;
    for (api_json, answer_value) in apis.iter().zip(&answers) {
        let result = (|| -> Result<(), String> {
            let expected = answer(answer_value)?;
            let api = ApiSchema::from_value(api_json).map_err(|e| e.to_string())?;
            let def = api_schema_to_schema_def(&api).map_err(|e| e.to_string())?;
            let ours = def.to_wire_json();
            let wire = expected["wire"].as_str().unwrap_or_default();
            if ours != wire {
                return Err(mismatch("apiToDef", &api_json.to_string(), wire, &ours));
            }
            let ids: Vec<Value> = api_schema_to_attrs(&api)
                .into_iter()
                .map(|attr| Value::from(attr.id))
                .collect();
            let ids = Value::from(ids);
            if ids != expected["attrIds"] {
                return Err(mismatch(
                    "apiSchemaToAttrs",
                    &api_json.to_string(),
                    &expected["attrIds"].to_string(),
                    &ids.to_string(),
                ));
            }
            Ok(())
        })();
        record(tally, failures, result);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// diff: diffSchemas + convertTxSteps + translatePlanSteps

/// Mutates `schema` at random; returns the rename commands that describe some of the renames.
fn mutate(rng: &mut Rng, schema: &mut SchemaDef) -> Vec<String> {
    let mut renames = Vec::new();
    let entity_names: Vec<String> = schema.entities.keys().cloned().collect();
    for etype in &entity_names {
        if rng.chance(10) {
            schema.entities.shift_remove(etype);
            continue;
        }
        let Some(entity) = schema.entities.get_mut(etype) else {
            continue;
        };
        let labels: Vec<String> = entity.attrs.keys().cloned().collect();
        for label in labels {
            let roll = rng.below(100);
            if roll < 10 {
                entity.attrs.shift_remove(&label);
            } else if roll < 25 {
                let Some(def) = entity.attrs.shift_remove(&label) else {
                    continue;
                };
                let to = format!("{label}{}", rng.name());
                if rng.chance(70) {
                    renames.push(format!("{etype}.{label}:{etype}.{to}"));
                }
                entity.attrs.insert(to, def);
            } else if let Some(def) = entity.attrs.get_mut(&label) {
                if rng.chance(20) {
                    def.indexed = !def.indexed;
                }
                if rng.chance(20) {
                    def.unique = !def.unique;
                }
                if rng.chance(20) {
                    def.required = !def.required;
                }
                if rng.chance(20) {
                    let types = [
                        instantdb_schema::ValueType::String,
                        instantdb_schema::ValueType::Number,
                        instantdb_schema::ValueType::Json,
                        instantdb_schema::ValueType::Date,
                    ];
                    def.value_type = *rng.pick(&types);
                }
            }
        }
        if rng.chance(30) {
            let spec = random_attr_spec(rng);
            if let Ok(def) = build_attr(&spec) {
                entity.attrs.insert(rng.name(), def);
            }
        }
    }
    if rng.chance(30) {
        let spec = random_attrs_spec(rng, 3);
        if let Ok(entity) = build_entity(&spec) {
            schema.entities.insert(format!("new{}", rng.name()), entity);
        }
    }
    let link_names: Vec<String> = schema.links.keys().cloned().collect();
    for name in link_names {
        let roll = rng.below(100);
        if roll < 10 {
            schema.links.shift_remove(&name);
        } else if let Some(link) = schema.links.get_mut(&name) {
            if roll < 25 {
                let to = format!("{}{}", link.forward.label, rng.name());
                if rng.chance(70) {
                    let (from_on, from_label) = (&link.forward.on, &link.forward.label);
                    renames.push(format!("{from_on}.{from_label}:{from_on}.{to}"));
                }
                link.forward.label = to;
            }
            if rng.chance(20) {
                link.forward.has = rng.has();
            }
            if rng.chance(20) {
                link.reverse.has = rng.has();
            }
            if rng.chance(20) {
                link.forward.required = if link.forward.required == Some(true) {
                    None
                } else {
                    Some(true)
                };
            }
            if rng.chance(20) {
                link.forward.on_delete = match link.forward.on_delete {
                    Some(_) => None,
                    None => Some(OnDelete::Cascade),
                };
            }
            if rng.chance(15) {
                link.reverse.on_delete = match link.reverse.on_delete {
                    Some(_) => None,
                    None => Some(OnDelete::Cascade),
                };
            }
        }
    }
    let names: Vec<String> = schema.entities.keys().cloned().collect();
    if rng.chance(30)
        && let Ok(link) = serde_json::from_value::<LinkDef>(random_link_json(rng, &names))
    {
        schema.links.insert(rng.name(), link);
    }
    if rng.chance(10) {
        renames.push((*rng.pick(&["bogus", "a:b", "a.b:c", " x.y : x.z "])).to_owned());
    }
    renames
}

fn diff(tally: &mut Tally, failures: &mut Vec<String>) -> Result<()> {
    let mut rng = Rng(0xD1FF);
    let mut cases = Vec::new();
    while cases.len() < DIFF_CASES {
        let old_api_json = random_api_schema(&mut rng);
        let Ok(old_api) = ApiSchema::from_value(&old_api_json) else {
            continue;
        };
        let Ok(old) = api_schema_to_schema_def(&old_api) else {
            continue;
        };
        let mut new = old.clone();
        let renames = mutate(&mut rng, &mut new);
        cases.push((old_api_json, old_api, old, new.to_wire_json(), renames));
    }
    let inputs: Vec<Value> = cases
        .iter()
        .map(|(api, _, _, wire, renames)| {
            json!({"kind": "diff", "oldApi": api, "newWire": wire, "renames": renames})
        })
        .collect();
    let answers = run_batch("schema.mjs", &inputs)?;
    let count = |key: &str| {
        answers
            .iter()
            .filter(|a| a["ok"].get(key).is_some())
            .count()
    };
    let with_renames = cases.iter().filter(|case| !case.4.is_empty()).count();
    eprintln!(
        "schema: diff corpus: {} pairs ({with_renames} with rename commands): {} planned, {} convertTxSteps errors, {} rename-command errors",
        cases.len(),
        count("steps"),
        count("convertError"),
        count("renameError")
    );
    for ((api_json, api, old, wire, renames), answer_value) in cases.iter().zip(&answers) {
        let input = format!("oldApi={api_json} newWire={wire} renames={renames:?}");
        let result = (|| -> Result<(), String> {
            let expected = answer(answer_value)?;
            let new = SchemaDef::from_wire_json(wire).map_err(|e| e.to_string())?;
            let attrs = api_schema_to_attrs(api);
            let sys = collect_system_catalog_ident_names(&attrs);
            let mut selector = match RenameSelector::parse(renames) {
                Ok(selector) => selector,
                Err(err) => {
                    let theirs = expected["renameError"].as_str().unwrap_or("(no error)");
                    return if err.to_string() == theirs {
                        Ok(())
                    } else {
                        Err(mismatch("rename error", &input, theirs, &err.to_string()))
                    };
                }
            };
            let txs: Vec<MigrationTx> =
                diff_schemas(old, &new, &mut selector, &sys).map_err(|e| e.to_string())?;
            let ours = serde_json::to_value(&txs).map_err(|e| e.to_string())?;
            if ours != expected["txs"] {
                return Err(mismatch(
                    "diffSchemas",
                    &input,
                    &expected["txs"].to_string(),
                    &ours.to_string(),
                ));
            }
            match convert_tx_steps(&txs, &attrs, counter()) {
                Err(err) => {
                    let theirs = expected["convertError"].as_str().unwrap_or("(no error)");
                    if err.to_string() != theirs {
                        return Err(mismatch(
                            "convertTxSteps error",
                            &input,
                            theirs,
                            &err.to_string(),
                        ));
                    }
                }
                Ok(steps) => {
                    let ours = serde_json::to_string(&steps).map_err(|e| e.to_string())?;
                    let theirs = expected["steps"].as_str().unwrap_or_default();
                    if ours != theirs {
                        return Err(mismatch("convertTxSteps", &input, theirs, &ours));
                    }
                    let translated: Vec<Value> =
                        steps.iter().map(|s| s.to_translated_json(&attrs)).collect();
                    let ours = Value::from(translated).to_string();
                    let theirs = expected["translated"].as_str().unwrap_or_default();
                    if ours != theirs {
                        return Err(mismatch("translatePlanSteps", &input, theirs, &ours));
                    }
                }
            }
            Ok(())
        })();
        record(tally, failures, result);
    }
    Ok(())
}
