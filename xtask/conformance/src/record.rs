//! The project's own wire recorder: `cargo xtask conformance record [--check]`.
//!
//! For every scenario of `conformance/wire-catalog.jsonl` that carries `args` (the recorded
//! TypeScript call's arguments as data, see `conformance/js/record.mjs`), and for every scenario
//! specified in `conformance/wire-scenarios.jsonl` (new scenarios: `scenario`, `sdk`, `call`,
//! `args`, and the canned responses, either `responses` or `responses_from: <scenario>`), the
//! official SDK (1.0.67, from the lock file) makes the call against a loopback recorder
//! (`ScriptedServer`, 127.0.0.1 port 0) serving the scenario's canned responses, and the requests
//! it sent are normalised into the catalog's form (the `{API}` base, `<uuid#N>` for random UUIDs,
//! transport headers dropped, see [`normalise_request`]).
//!
//! Without `--check` the catalog is rewritten: recorded scenarios are replaced, new ones appended,
//! scenarios without `args` (calls that cannot be described as data yet: SSE, streams, signed
//! webhook deliveries, client-side schemas) kept as they are. With `--check` nothing is written
//! and the command fails when a recording differs from the committed catalog, which is how "the
//! recorder reproduces the catalog" stays true. `--only PREFIX` records only the scenarios whose
//! name starts with PREFIX and writes nothing (for working on a few scenarios).

use std::collections::HashMap;
use std::fs;

use anyhow::{Context, Result, bail};
use instantdb_test_support::{RecordedRequest, ScriptedServer, WireCatalog};
use serde_json::{Map, Value, json};

use crate::node;

/// Headers that are transport framing or Node `fetch` noise, never part of the contract (the
/// framing is kept separately under `transport`).
const DROPPED_HEADERS: &[&str] = &[
    "host",
    "connection",
    "content-length",
    "transfer-encoding",
    "accept-encoding",
];

/// Node `fetch` defaults dropped only with exactly these values.
const DROPPED_DEFAULTS: &[(&str, &str)] = &[("accept-language", "*"), ("sec-fetch-mode", "cors")];

/// How many characters of a non-JSON body the catalog shows (`__textPrefix`).
const TEXT_PREFIX: usize = 64;

/// The new-scenario specifications.
fn specs_path() -> std::path::PathBuf {
    node::project_root().join("conformance/wire-scenarios.jsonl")
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let check = args.iter().any(|a| a == "--check");
    // `--only PREFIX`: record (and check) only the scenarios whose name starts with PREFIX.
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|idx| args.get(idx + 1))
        .map_or("", String::as_str);
    let catalog_path = WireCatalog::path();
    let text = fs::read_to_string(&catalog_path)
        .with_context(|| format!("reading {}", catalog_path.display()))?;
    let mut lines: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .context("parsing the wire catalog")?;
    let specs = read_specs()?;
    let mut new_names = std::collections::HashSet::new();

    // The new scenarios, as catalog lines without requests: their responses come from the spec.
    for spec in &specs {
        let name = spec["scenario"]
            .as_str()
            .context("spec without `scenario`")?;
        let responses = match (&spec["responses"], spec["responses_from"].as_str()) {
            (Value::Array(responses), _) => responses.clone(),
            (_, Some(from)) => lines
                .iter()
                .find(|l| l["scenario"] == from)
                .with_context(|| {
                    format!("{name}: responses_from `{from}` is not in the catalog")
                })?["requests"]
                .as_array()
                .map(|rs| rs.iter().map(|r| r["response"].clone()).collect())
                .unwrap_or_default(),
            _ => bail!("{name}: a spec needs `responses` or `responses_from`"),
        };
        let line = json!({
            "scenario": name,
            "sdk": spec["sdk"],
            "call": spec["call"],
            "args": spec["args"],
            "requests": responses.into_iter().map(|r| json!({"response": r})).collect::<Vec<_>>(),
        });
        match lines.iter_mut().find(|l| l["scenario"] == name) {
            // Keep the recorded requests: they are compared (or replaced) below.
            Some(existing) => {
                existing["args"] = spec["args"].clone();
                existing["call"] = spec["call"].clone();
            }
            None => {
                new_names.insert(name.to_owned());
                lines.push(line);
            }
        }
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("building the tokio runtime")?;
    let mut recorded = 0;
    let mut differences = Vec::new();
    for line in &mut lines {
        if line.get("args").is_none_or(Value::is_null)
            || !line["scenario"]
                .as_str()
                .unwrap_or_default()
                .starts_with(only)
        {
            continue;
        }
        let fresh = runtime.block_on(record_one(line))?;
        recorded += 1;
        let name = line["scenario"].as_str().unwrap_or("?");
        let diff = if new_names.contains(name) {
            Some("new scenario (from conformance/wire-scenarios.jsonl)".to_owned())
        } else {
            difference(line, &fresh)
        };
        if let Some(diff) = diff {
            differences.push(format!(
                "{}: {diff}",
                line["scenario"].as_str().unwrap_or("?")
            ));
        }
        *line = fresh;
    }
    println!(
        "record: {recorded} scenario(s) recorded with the official SDKs, {} differ from the committed catalog",
        differences.len()
    );
    for diff in differences.iter().take(40) {
        println!("  {diff}");
    }
    if check || !only.is_empty() {
        if !differences.is_empty() && check {
            bail!("the recorder does not reproduce the committed catalog");
        }
        return Ok(());
    }
    let mut out = String::new();
    for line in &lines {
        out.push_str(&serde_json::to_string(line)?);
        out.push('\n');
    }
    fs::write(&catalog_path, out).with_context(|| format!("writing {}", catalog_path.display()))?;
    println!(
        "record: wrote {} scenario(s) to {}",
        lines.len(),
        catalog_path.display()
    );
    Ok(())
}

fn read_specs() -> Result<Vec<Value>> {
    let path = specs_path();
    let Ok(text) = fs::read_to_string(&path) else {
        return Ok(Vec::new());
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).with_context(|| format!("parsing {}", path.display())))
        .collect()
}

/// Records one scenario afresh: serves its canned responses, runs the official SDK call, and
/// returns the catalog line with the requests, outcome and warnings the SDK produced.
async fn record_one(line: &Value) -> Result<Value> {
    let name = line["scenario"].as_str().unwrap_or("?").to_owned();
    let scenario = WireCatalog::parse(&serde_json::to_string(line)?)
        .scenarios()
        .first()
        .cloned()
        .context("scenario line")?;
    let server = ScriptedServer::start().await;
    server.push_all(scenario.replies(&server.url()));
    let base = server.url();
    let input = json!({"sdk": line["sdk"], "api": base, "args": line["args"]});
    // Node blocks this thread; the server answers from the runtime's worker thread.
    let answer = tokio::task::block_in_place(|| node::run_batch("record.mjs", &[input]))?
        .into_iter()
        .next()
        .context("no answer")?;
    let answer = answer
        .get("ok")
        .with_context(|| format!("{name}: driver failed: {}", answer["error"]))?
        .clone();
    let requests = server.take_requests();

    let mut out = Map::new();
    for key in ["scenario", "sdk", "call", "args"] {
        out.insert(key.into(), line[key].clone());
    }
    let ok = answer["ok"] == Value::Bool(true);
    out.insert("ok".into(), Value::Bool(ok));
    let old_requests = line["requests"].as_array().cloned().unwrap_or_default();
    let mut uuids = Uuids::default();
    let mut new_requests = Vec::new();
    for (idx, request) in requests.iter().enumerate() {
        let mut normalised = normalise_request(request, &base);
        uuids.abstract_value(&mut normalised);
        // The canned response (and SSE bookkeeping) is the input, carried over unchanged.
        if let Some(old) = old_requests.get(idx) {
            for key in [
                "response",
                "sse_replies",
                "stream_closed_by_client",
                "recorder_note",
            ] {
                if let Some(value) = old.get(key) {
                    normalised[key] = value.clone();
                }
            }
        }
        if normalised.get("response").is_none() {
            normalised["response"] = json!({"status": 500, "body": "no canned response"});
        }
        new_requests.push(normalised);
    }
    out.insert("requests".into(), Value::Array(new_requests));
    let mut outcome = if ok {
        answer["result"].clone()
    } else {
        answer["error"].clone()
    };
    replace_base(&mut outcome, &base);
    uuids.abstract_value(&mut outcome);
    out.insert((if ok { "result" } else { "error" }).into(), outcome);
    // Fields of the old line that describe it rather than the recording are kept.
    for key in ["note", "random_uuids_normalized"] {
        if let Some(value) = line.get(key) {
            out.insert(key.into(), value.clone());
        }
    }
    let warnings = answer["warnings"].as_array().cloned().unwrap_or_default();
    if !warnings.is_empty() || line.get("warnings").is_some() {
        out.insert("warnings".into(), Value::Array(warnings));
    }
    Ok(Value::Object(out))
}

/// A request in the catalog's form: method, raw path, `url` (path and query), decoded query,
/// lower-cased headers without transport noise (sorted), the body (parsed when JSON, else its
/// length, a text prefix and its SHA-256), its length, and its framing.
pub(crate) fn normalise_request(request: &RecordedRequest, base: &str) -> Value {
    let mut query = Map::new();
    for (key, value) in request.query_pairs() {
        query.insert(key, Value::String(value));
    }
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .filter(|(name, value)| {
            !DROPPED_HEADERS.contains(&name.as_str())
                && !DROPPED_DEFAULTS.contains(&(name.as_str(), value.as_str()))
        })
        .collect();
    headers.sort();
    let mut out = json!({
        "method": request.method.as_str(),
        "path": request.path,
        "url": request.path_and_query(),
        "query": query,
        "headers": headers.into_iter().map(|(k, v)| (k, Value::String(v))).collect::<Map<_, _>>(),
    });
    if let Some(framing) = framing(request) {
        out["transport"] = framing;
    }
    if request.body_len > 0 {
        let is_json = request
            .header("content-type")
            .is_some_and(|ct| ct.contains("json"));
        out["body"] = match (is_json, request.json()) {
            (true, Some(json)) => json,
            _ => binary_body(&request.body),
        };
        out["body_bytes"] = json!(request.body_len);
    }
    replace_base(&mut out, base);
    out
}

/// `{"content-length": "N"}` or `{"transfer-encoding": "chunked"}`, as the request was framed.
pub(crate) fn framing(request: &RecordedRequest) -> Option<Value> {
    if let Some(te) = request.header("transfer-encoding") {
        return Some(json!({"transfer-encoding": te}));
    }
    request
        .header("content-length")
        .map(|len| json!({"content-length": len}))
}

/// A non-JSON body: its length, a readable prefix, and its SHA-256 (hex), which the wire
/// check compares so that an upload is checked by content, not only by length.
pub(crate) fn binary_body(body: &[u8]) -> Value {
    let prefix: String = String::from_utf8_lossy(body)
        .chars()
        .take(TEXT_PREFIX)
        .collect();
    json!({
        "__bytes": body.len(),
        "__textPrefix": prefix,
        "__sha256": instantdb_test_support::sha256_hex(body),
    })
}

fn replace_base(value: &mut Value, base: &str) {
    match value {
        Value::String(text) if text.contains(base) => *text = text.replace(base, "{API}"),
        Value::Array(items) => items.iter_mut().for_each(|v| replace_base(v, base)),
        Value::Object(map) => map.values_mut().for_each(|v| replace_base(v, base)),
        _ => {}
    }
}

/// Replaces random UUIDs with `<uuid#N>`, numbered per scenario in order of first appearance.
/// The catalog's fixed test UUIDs start with 8 identical hex digits and are kept.
#[derive(Default)]
struct Uuids {
    seen: HashMap<String, usize>,
}

impl Uuids {
    fn abstract_value(&mut self, value: &mut Value) {
        match value {
            Value::String(text) => *text = self.abstract_text(text),
            Value::Array(items) => items.iter_mut().for_each(|v| self.abstract_value(v)),
            Value::Object(map) => {
                // Keys are walked in place; UUID-valued keys are not used by any scenario.
                map.values_mut().for_each(|v| self.abstract_value(v));
            }
            _ => {}
        }
    }

    fn abstract_text(&mut self, text: &str) -> String {
        let mut out = String::new();
        let mut idx = 0;
        while idx < text.len() {
            if idx + 36 <= text.len()
                && text.is_char_boundary(idx + 36)
                && is_uuid(&text[idx..idx + 36])
                && !is_fixed(&text[idx..idx + 36])
            {
                let uuid = text[idx..idx + 36].to_ascii_lowercase();
                let next = self.seen.len() + 1;
                let n = *self.seen.entry(uuid).or_insert(next);
                out.push_str(&format!("<uuid#{n}>"));
                idx += 36;
            } else {
                let ch = text[idx..].chars().next().unwrap_or('?');
                out.push(ch);
                idx += ch.len_utf8();
            }
        }
        out
    }
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_fixed(uuid: &str) -> bool {
    let first = uuid.as_bytes()[0];
    uuid.as_bytes()[..8].iter().all(|b| *b == first)
}

/// What differs between the committed line and a fresh recording, ignoring what the recorder
/// adds and timing (`t_ms`, `recorder_note`, a body's `__sha256`, `__textPrefix` length).
fn difference(old: &Value, fresh: &Value) -> Option<String> {
    for key in ["ok", "result", "error"] {
        let (a, b) = (old.get(key), fresh.get(key));
        if a != b {
            return Some(format!(
                "{key}: committed {}, recorded {}",
                short(a),
                short(b)
            ));
        }
    }
    let (Some(old_rs), Some(new_rs)) = (old["requests"].as_array(), fresh["requests"].as_array())
    else {
        return Some("requests missing".into());
    };
    if old_rs.len() != new_rs.len() {
        return Some(format!(
            "{} request(s) committed, {} recorded",
            old_rs.len(),
            new_rs.len()
        ));
    }
    for (idx, (o, n)) in old_rs.iter().zip(new_rs).enumerate() {
        for key in [
            "method",
            "path",
            "url",
            "query",
            "headers",
            "transport",
            "body_bytes",
        ] {
            if o.get(key) != n.get(key) {
                return Some(format!(
                    "request {}: {key}: committed {}, recorded {}",
                    idx + 1,
                    short(o.get(key)),
                    short(n.get(key))
                ));
            }
        }
        let strip = |v: Option<&Value>| {
            let mut v = v.cloned();
            if let Some(Value::Object(map)) = v.as_mut() {
                map.remove("__sha256");
                map.remove("__textPrefix");
            }
            v
        };
        if strip(o.get("body")) != strip(n.get("body")) {
            return Some(format!(
                "request {}: body: committed {}, recorded {}",
                idx + 1,
                short(o.get("body")),
                short(n.get("body"))
            ));
        }
    }
    None
}

fn short(value: Option<&Value>) -> String {
    let text = value.map_or_else(|| "(none)".to_owned(), Value::to_string);
    if text.chars().count() > 300 {
        format!("{}…", text.chars().take(300).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)], body: &[u8]) -> RecordedRequest {
        let mut map = http::HeaderMap::new();
        for (name, value) in headers {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_str(value).unwrap(),
            );
        }
        RecordedRequest {
            method: http::Method::POST,
            path: "/admin/query".to_owned(),
            query: Some("app_id=x&q=a%20b".to_owned()),
            headers: map,
            body: bytes::Bytes::copy_from_slice(body),
            body_len: body.len() as u64,
            version: http::Version::HTTP_11,
        }
    }

    #[test]
    fn random_uuids_become_numbered_placeholders_and_fixed_ones_stay() {
        let mut uuids = Uuids::default();
        let random = "3f2a9c1e-0b7d-4e55-9a10-2c3d4e5f6a7b";
        let other = "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
        let fixed = "11111111-1111-4111-8111-111111111111";
        let mut value = json!({
            "a": random, "b": [fixed, format!("x/{other}/{random}")]
        });
        uuids.abstract_value(&mut value);
        assert_eq!(
            value,
            json!({"a": "<uuid#1>", "b": [fixed, "x/<uuid#2>/<uuid#1>"]})
        );
    }

    #[test]
    fn requests_are_normalised_like_the_catalog() {
        let req = request(
            &[
                ("Content-Type", "application/json"),
                ("Content-Length", "34"),
                ("Host", "127.0.0.1:1"),
                ("accept-language", "*"),
                ("authorization", "Bearer t"),
            ],
            br#"{"b":1,"a":"http://127.0.0.1:1/x"}"#,
        );
        let got = normalise_request(&req, "http://127.0.0.1:1");
        assert_eq!(
            got,
            json!({
                "method": "POST",
                "path": "/admin/query",
                "url": "/admin/query?app_id=x&q=a%20b",
                "query": {"app_id": "x", "q": "a b"},
                "headers": {"authorization": "Bearer t", "content-type": "application/json"},
                "transport": {"content-length": "34"},
                "body": {"b": 1, "a": "{API}/x"},
                "body_bytes": 34,
            })
        );
        // Key order of the body is kept (the check compares it).
        let keys: Vec<&String> = got["body"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["b", "a"]);
    }

    #[test]
    fn binary_bodies_carry_their_digest() {
        let req = request(&[("transfer-encoding", "chunked")], b"hello world");
        let got = normalise_request(&req, "http://127.0.0.1:1");
        assert_eq!(got["transport"], json!({"transfer-encoding": "chunked"}));
        assert_eq!(
            got["body"],
            json!({
                "__bytes": 11,
                "__textPrefix": "hello world",
                "__sha256": "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
            })
        );
    }

    #[test]
    fn a_changed_request_is_a_difference_and_the_digest_is_not() {
        let old = json!({"ok": true, "result": 1, "requests": [
            {"method": "PUT", "path": "/u", "body": {"__bytes": 1, "__textPrefix": "a"}}
        ]});
        let mut fresh = old.clone();
        fresh["requests"][0]["body"]["__sha256"] = json!("ca978112");
        assert_eq!(difference(&old, &fresh), None);
        fresh["requests"][0]["path"] = json!("/v");
        assert!(difference(&old, &fresh).unwrap().contains("path"));
    }
}
