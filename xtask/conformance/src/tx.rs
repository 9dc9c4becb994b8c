//! `tx`: instantdb-admin's `tx` builder against `@instantdb/admin` 1.0.67.
//!
//! A seeded corpus of transactions (one to four chunks; create/update/merge/delete/link/unlink/
//! ruleParams with and without `upsert` options; ids given as UUIDs, `tx.ns[lookup(...)]`,
//! `tx.ns.lookup(...)` or raw `lookup__` strings; lookups inside link values; dates; a single
//! chunk or an array) is built with both builders. `conformance/js/tx.mjs` runs the official
//! `tx`/`lookup` through the real `db.transact` with `fetch` stubbed and returns the exact body
//! it would POST; here the same program goes through `AdminClient::transact` over an in-memory
//! transport. The bodies must be equal as JSON, key order included (numbers are compared by
//! value: `1e21` and `1e+21` are the same number).
//!
//! `cargo xtask bench tx` times building a 100-chunk transaction and serializing its body on both
//! sides (criterion bench `tx` of instantdb-admin; the `bench` mode of `tx.mjs`), Node before and
//! after criterion, and prints the ratio.
//!
//! Values stress what `JSON.stringify` decides: array-index keys (`"0"`, `"10"`) that JS moves
//! first, integral floats (`2.0` is sent as `2`), `-0`, escapes and non-ASCII text, `__` inside
//! lookup values, nested objects and arrays.

use std::fmt::Write as _;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use instantdb_admin::{AdminClient, TransactionChunk, UpdateOpts, date, lookup, tx};
use instantdb_test_support::{ReplayTransport, Reply};
use serde_json::{Map, Value, json};

use crate::Tally;
use crate::node::{project_root, run_batch};

const CASES: usize = 300;
const SHOWN_FAILURES: usize = 5;

const NAMESPACES: &[&str] = &[
    "goals",
    "todos",
    "$users",
    "$files",
    "10",
    "a-b",
    "ünï",
    "with space",
];
const ATTRS: &[&str] = &[
    "title",
    "priority",
    "done",
    "1",
    "10",
    "0",
    "meta",
    "tags",
    "id",
    "dueAt",
    "ünï",
    "with space",
    "a.b",
    "$x",
    "_y",
];
const LOOKUP_ATTRS: &[&str] = &["email", "handle", "slug", "n", "_x", "a_b", "x.y"];
const LINK_LABELS: &[&str] = &["todos", "owner", "goals", "1", "$files"];
const STRINGS: &[&str] = &[
    "",
    "Ship it",
    "a__b",
    "__",
    "é ✓ 🚀",
    "quote \" backslash \\ slash /",
    "line\nbreak\ttab",
    "\u{1}\u{1f}\u{7f}",
    "\u{2028}\u{2029}",
    "lookup__x__1",
];

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() >> 11) as usize % n
    }

    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            8 + (b >> 62),
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }

    fn number(&mut self) -> Value {
        match self.below(8) {
            0 => json!(self.below(1000)),
            1 => json!(-(self.below(1000) as i64)),
            2 => json!(self.below(1000) as f64 + 0.5),
            3 => json!(2.0),
            4 => json!(-0.0),
            5 => json!(1e21),
            6 => json!(1.5e-7),
            _ => json!(9_007_199_254_740_991u64),
        }
    }

    fn scalar(&mut self) -> Value {
        match self.below(6) {
            0 | 1 => json!(self.pick(STRINGS)),
            2 => self.number(),
            3 => json!(self.percent(50)),
            4 => Value::Null,
            _ => json!({"$date": self.below(4_000_000_000_000usize)}),
        }
    }

    fn value(&mut self, depth: usize) -> Value {
        if depth >= 3 || self.percent(70) {
            return self.scalar();
        }
        if self.percent(50) {
            Value::Array((0..self.below(4)).map(|_| self.value(depth + 1)).collect())
        } else {
            self.object(depth + 1)
        }
    }

    fn object(&mut self, depth: usize) -> Value {
        let mut map = Map::new();
        for _ in 0..self.below(5) {
            let key = self.pick(ATTRS).to_owned();
            let value = self.value(depth);
            map.insert(key, value);
        }
        Value::Object(map)
    }

    /// A lookup value: usually a scalar, sometimes JSON (which goes through `JSON.stringify`).
    fn lookup_value(&mut self) -> Value {
        match self.below(5) {
            0 => json!({"b": 1, "1": [2.0, "x__y"]}),
            1 => self.number(),
            _ => json!(self.pick(STRINGS)),
        }
    }

    fn lookup(&mut self) -> Value {
        json!([self.pick(LOOKUP_ATTRS), self.lookup_value()])
    }

    fn link_target(&mut self) -> Value {
        match self.below(4) {
            0 => json!({"$lookup": self.lookup()}),
            1 => json!({ self.pick(LOOKUP_ATTRS): self.pick(STRINGS) }),
            _ => json!(self.uuid()),
        }
    }

    fn links(&mut self) -> Value {
        let mut map = Map::new();
        for _ in 0..1 + self.below(3) {
            let target = match self.below(3) {
                0 => Value::Array((0..self.below(4)).map(|_| self.link_target()).collect()),
                _ => self.link_target(),
            };
            map.insert(self.pick(LINK_LABELS).to_owned(), target);
        }
        Value::Object(map)
    }

    fn op(&mut self) -> Value {
        let action = *[
            "create",
            "update",
            "update",
            "merge",
            "delete",
            "link",
            "unlink",
            "ruleParams",
        ]
        .get(self.below(8))
        .unwrap_or(&"update");
        let mut op = json!({"action": action});
        match action {
            "delete" => {}
            "link" | "unlink" => op["args"] = self.links(),
            _ => op["args"] = self.object(0),
        }
        if matches!(action, "update" | "merge") && self.percent(40) {
            op["opts"] = match self.below(3) {
                0 => json!({"upsert": true}),
                1 => json!({"upsert": false}),
                _ => json!({}),
            };
        }
        op
    }

    fn id(&mut self) -> Value {
        match self.below(10) {
            0 | 1 => {
                let pair = self.lookup();
                json!({"lookup": pair})
            }
            2 => {
                let pair = self.lookup();
                json!({"lookupMethod": pair})
            }
            3 => {
                let attr = self.pick(LOOKUP_ATTRS);
                let value = serde_json::to_string(&self.lookup_value()).unwrap_or_default();
                json!({"raw": format!("lookup__{attr}__{value}")})
            }
            _ => json!({"uuid": self.uuid()}),
        }
    }

    fn program(&mut self) -> Value {
        let n_chunks = 1 + self.below(4);
        let chunks: Vec<Value> = (0..n_chunks)
            .map(|_| {
                let ops: Vec<Value> = (0..1 + self.below(4)).map(|_| self.op()).collect();
                json!({"ns": self.pick(NAMESPACES), "id": self.id(), "ops": ops})
            })
            .collect();
        json!({"chunks": chunks, "single": n_chunks == 1 && self.percent(50)})
    }
}

/// The corpus's markers as the Rust builder's values: `{"$lookup": [a, v]}` is `lookup(a, v)`
/// (its link-value string form) and `{"$date": ms}` is `date(...)`.
fn decode(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(decode).collect()),
        Value::Object(map) if map.len() == 1 && map.contains_key("$lookup") => {
            lookup(text(&map["$lookup"][0]), map["$lookup"][1].clone()).into()
        }
        Value::Object(map) if map.len() == 1 && map.contains_key("$date") => {
            date(UNIX_EPOCH + Duration::from_millis(map["$date"].as_u64().unwrap_or_default()))
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), decode(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn chunk(spec: &Value) -> TransactionChunk {
    let ns = text(&spec["ns"]);
    let id = &spec["id"];
    let mut chunk = if let Some(uuid) = id.get("uuid") {
        tx(ns, text(uuid))
    } else if let Some(pair) = id.get("lookup").or_else(|| id.get("lookupMethod")) {
        tx(ns, lookup(text(&pair[0]), pair[1].clone()))
    } else {
        tx(ns, text(&id["raw"]))
    };
    for op in spec["ops"].as_array().into_iter().flatten() {
        let args = decode(&op["args"]);
        let opts = op.get("opts").map(|opts| match opts.get("upsert") {
            Some(upsert) => UpdateOpts::upsert(upsert.as_bool().unwrap_or_default()),
            None => UpdateOpts::default(),
        });
        chunk = match (op["action"].as_str().unwrap_or_default(), opts) {
            ("create", _) => chunk.create(args),
            ("update", None) => chunk.update(args),
            ("update", Some(opts)) => chunk.update_with(args, opts),
            ("merge", None) => chunk.merge(args),
            ("merge", Some(opts)) => chunk.merge_with(args, opts),
            ("delete", _) => chunk.delete(),
            ("link", _) => chunk.link(args),
            ("unlink", _) => chunk.unlink(args),
            (_, _) => chunk.rule_params(args),
        };
    }
    chunk
}

/// The body `AdminClient::transact` sends for `program`.
async fn rust_body(program: &Value) -> Result<String> {
    let transport = ReplayTransport::new();
    transport.push(Reply::json(200, json!({"tx-id": 1})));
    let db = AdminClient::builder("00000000-0000-4000-8000-0000000000aa")
        .admin_token("conformance-admin-token")
        .api_uri("http://127.0.0.1:9")
        .transport(transport.clone())
        .build()?;
    let chunks: Vec<TransactionChunk> = program["chunks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(chunk)
        .collect();
    db.transact(chunks).send().await?;
    let request = transport
        .requests()
        .pop()
        .context("no request was recorded")?;
    Ok(request.text())
}

/// Parses and re-serializes, so number spellings compare by value while key order still counts.
fn canonical(body: &str) -> Result<String> {
    let value: Value = serde_json::from_str(body).with_context(|| format!("not JSON: {body}"))?;
    Ok(value.to_string())
}

/// The first place two JSON values differ, as `$.path: expected … got …`.
fn first_difference(expected: &Value, actual: &Value, path: &mut String) -> Option<String> {
    match (expected, actual) {
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            e.iter().zip(a).enumerate().find_map(|(idx, (e, a))| {
                let len = path.len();
                let _ = write!(path, "[{idx}]");
                let found = first_difference(e, a, path);
                path.truncate(len);
                found
            })
        }
        (Value::Object(e), Value::Object(a)) if e.keys().eq(a.keys()) => {
            e.iter().find_map(|(key, e)| {
                let len = path.len();
                let _ = write!(path, ".{key}");
                let found = first_difference(e, &a[key], path);
                path.truncate(len);
                found
            })
        }
        (e, a) if e == a => None,
        (e, a) => Some(format!("{path}: expected {e}, got {a}")),
    }
}

pub(crate) fn run() -> Result<Tally> {
    let mut rng = Rng(0x5EED_7A5C_0FFE_E123);
    let programs: Vec<Value> = (0..CASES).map(|_| rng.program()).collect();
    let answers = run_batch("tx.mjs", &programs)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("building the tokio runtime")?;
    let mut tally = Tally::default();
    let mut shown = 0;
    for (program, answer) in programs.iter().zip(&answers) {
        let expected = match answer.get("ok").and_then(Value::as_str) {
            Some(body) => canonical(body)?,
            None => bail!(
                "the official SDK refused a generated transaction ({}): {program}",
                answer["error"]
            ),
        };
        let actual = runtime
            .block_on(rust_body(program))
            .and_then(|body| canonical(&body));
        let problem = match actual {
            Ok(actual) if actual == expected => None,
            Ok(actual) => {
                let e: Value = serde_json::from_str(&expected)?;
                let a: Value = serde_json::from_str(&actual)?;
                Some(
                    first_difference(&e, &a, &mut String::from("$"))
                        .unwrap_or_else(|| "key order differs".to_owned())
                        + &format!("\n    expected: {expected}\n    ours:     {actual}"),
                )
            }
            Err(err) => Some(format!("our transact failed: {err:#}")),
        };
        match problem {
            None => tally.passed += 1,
            Some(problem) => {
                tally.failed += 1;
                if shown < SHOWN_FAILURES {
                    shown += 1;
                    println!("tx mismatch for {program}\n  {problem}");
                }
            }
        }
    }
    Ok(tally)
}

/// Nanoseconds per iteration of the official SDK's side of the bench.
fn node_ns() -> Result<f64> {
    let answers = run_batch(
        "tx.mjs",
        &[json!({"bench": {"warmup": 2000, "iterations": 5000}})],
    )?;
    answers[0]["ok"]["nsPerIteration"]
        .as_f64()
        .with_context(|| format!("tx.mjs bench answered {}", answers[0]))
}

pub(crate) fn bench(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        bail!("usage: bench tx");
    }
    let node_before = node_ns()?;
    let home = crate::criterion::home("tx");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(project_root())
        .args([
            "bench",
            "--quiet",
            "-p",
            "instantdb-admin",
            "--bench",
            "tx",
            "--",
        ])
        .args(["--warm-up-time", "1", "--measurement-time", "3"])
        .env("CRITERION_HOME", &home)
        .status()
        .context("running cargo bench")?;
    if !status.success() {
        bail!("cargo bench -p instantdb-admin --bench tx failed with {status}");
    }
    let node_after = node_ns()?;
    let ours = |bench: &str| crate::criterion::mean_ns(&home, bench);
    let (typed, json) = (ours("tx_100_chunks")?, ours("tx_100_chunks_json")?);
    let node = (node_before + node_after) / 2.0;
    println!(
        "@instantdb/admin: {:>9.1} µs per 100-chunk transaction (runs: {:.1}, {:.1})",
        node / 1e3,
        node_before / 1e3,
        node_after / 1e3
    );
    println!(
        "instantdb-admin:  {:>9.1} µs with Serialize structs, {:.1} µs with json! values (criterion means)",
        typed / 1e3,
        json / 1e3
    );
    println!(
        "tx: ratio {:.2}x the official SDK's speed (json! arguments: {:.2}x)",
        node / typed,
        node / json
    );
    Ok(())
}
