//! Replaying `conformance/wire-catalog.jsonl`: the requests the official TypeScript SDKs send
//! for named scenarios, with the canned responses they were given, and (for the scenarios the
//! project's recorder made) the call's arguments.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{RecordedRequest, Reply};

/// Node `fetch` defaults: an expected header with exactly this value is not required (the Rust
/// client has its own user agent), but any other expected value is compared.
const NODE_DEFAULTS: &[(&str, &str)] = &[
    ("user-agent", "node"),
    ("accept", "*/*"),
    ("accept-language", "*"),
    ("sec-fetch-mode", "cors"),
];

/// Transport noise and client defaults: never required, never reported as unexpected.
const IGNORED_HEADERS: &[&str] = &[
    "user-agent",
    "accept",
    "accept-language",
    "sec-fetch-mode",
    "accept-encoding",
    "host",
    "connection",
    "content-length",
    "transfer-encoding",
];

/// The whole catalog.
#[derive(Debug, Clone)]
pub struct WireCatalog {
    scenarios: Vec<Scenario>,
}

impl WireCatalog {
    /// The workspace's copy, `conformance/wire-catalog.jsonl`.
    pub fn path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/wire-catalog.jsonl")
    }

    /// Loads [`WireCatalog::path`]. Panics with a readable message if it is missing or
    /// malformed: this is test support.
    pub fn load() -> WireCatalog {
        let path = WireCatalog::path();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) => panic!("cannot read {}: {err}", path.display()),
        };
        WireCatalog::parse(&text)
    }

    /// Parses JSON lines.
    pub fn parse(text: &str) -> WireCatalog {
        let scenarios = text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(idx, line)| match serde_json::from_str::<Value>(line) {
                Ok(value) => Scenario::from_json(value),
                Err(err) => panic!("wire catalog line {}: {err}", idx + 1),
            })
            .collect();
        WireCatalog { scenarios }
    }

    /// A scenario by name. Panics if there is none (a typo in a test should fail loudly).
    pub fn scenario(&self, name: &str) -> &Scenario {
        match self.scenarios.iter().find(|s| s.name == name) {
            Some(scenario) => scenario,
            None => panic!("no scenario `{name}` in the wire catalog"),
        }
    }

    /// Every scenario, in catalog order.
    pub fn scenarios(&self) -> &[Scenario] {
        &self.scenarios
    }
}

/// One scenario: the SDK call, the requests it sent with their canned responses, and its
/// result or error.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// E.g. `platform.getApps`.
    pub name: String,
    /// `@instantdb/platform` or `@instantdb/admin`.
    pub sdk: String,
    /// The TypeScript call.
    pub call: String,
    /// Whether the call resolved.
    pub ok: bool,
    /// The requests, in order.
    pub requests: Vec<Value>,
    /// What the call resolved to.
    pub result: Option<Value>,
    /// What the call threw (`{name, message, ...}`).
    pub error: Option<Value>,
    /// The TypeScript call as data, when the scenario was recorded from it by `cargo xtask
    /// conformance record` (see `conformance/js/record.mjs`): `{client?, from?, chain, redact?}`.
    /// Replays build their Rust call from these arguments rather than from the expected request.
    pub args: Option<Value>,
}

impl Scenario {
    fn from_json(value: Value) -> Scenario {
        let text = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Scenario {
            name: text("scenario"),
            sdk: text("sdk"),
            call: text("call"),
            ok: value.get("ok").and_then(Value::as_bool).unwrap_or(false),
            requests: value
                .get("requests")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            result: value.get("result").cloned(),
            error: value.get("error").cloned(),
            args: value.get("args").filter(|a| !a.is_null()).cloned(),
        }
    }

    /// The arguments of the last call of [`Scenario::args`]'s chain (`["update", id, params]`
    /// gives `[id, params]`), or an empty slice when the scenario has no `args`.
    pub fn call_args(&self) -> &[Value] {
        self.args
            .as_ref()
            .and_then(|args| args["chain"].as_array())
            .and_then(|chain| chain.iter().rev().find_map(Value::as_array))
            .map_or(&[], |step| step.get(1..).unwrap_or(&[]))
    }

    /// The `idx`th argument of the last call ([`Scenario::call_args`]); `Value::Null` when absent
    /// (JavaScript's `undefined`).
    pub fn call_arg(&self, idx: usize) -> &Value {
        self.call_args().get(idx).unwrap_or(&Value::Null)
    }

    /// The canned responses, in order, with `{API}` replaced by `base_url`: JSON bodies as
    /// `application/json`, string bodies as text, `sse` as an event stream, `ndjson` as lines.
    /// An event stream the client closed stays open; events a later request's `sse_replies`
    /// lists are held back and written to the stream when that request is served (Instant's
    /// `/admin/sse` + `/admin/sse/push` pair).
    pub fn replies(&self, base_url: &str) -> Vec<Reply> {
        self.replies_with_uuids(base_url, |n| format!("<uuid#{n}>"))
    }

    /// [`Scenario::replies`], with each `<uuid#N>` placeholder in the canned responses replaced
    /// by `uuid(N)`. Some responses echo ids the SDK generated (`client-event-id` in
    /// `sse_replies`); a test whose code under test draws its UUIDs from a deterministic
    /// generator passes the same mapping here.
    pub fn replies_with_uuids(&self, base_url: &str, uuid: impl Fn(u32) -> String) -> Vec<Reply> {
        let substitute = |value: &Value| substitute_uuids(&substitute_api(value, base_url), &uuid);
        self.requests
            .iter()
            .enumerate()
            .map(|(idx, request)| {
                let response = substitute(&request["response"]);
                let status = response
                    .get("status")
                    .and_then(Value::as_u64)
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or(200);
                let mut reply = if let Some(events) = response.get("sse").and_then(Value::as_array)
                {
                    // Events that later requests' `sse_replies` account for are emitted when
                    // those requests arrive, not up front.
                    let later: usize = self.requests[idx + 1..]
                        .iter()
                        .map(|r| r["sse_replies"].as_array().map_or(0, Vec::len))
                        .sum();
                    let upfront = events.len().saturating_sub(later);
                    let mut reply = Reply::sse(events[..upfront].iter().cloned());
                    reply.status =
                        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
                    if later > 0 || request["stream_closed_by_client"] == Value::Bool(true) {
                        reply = reply.keep_open();
                    }
                    reply
                } else if let Some(lines) = response.get("ndjson").and_then(Value::as_array) {
                    Reply::ndjson(lines.iter().cloned())
                } else if let Some(text) = response.get("text").and_then(Value::as_str) {
                    Reply::text(status, text)
                } else {
                    match response.get("body") {
                        Some(Value::String(text)) => Reply::text(status, text.as_str()),
                        Some(body) => Reply::json(status, body.clone()),
                        None => Reply::bytes(status, Vec::new()),
                    }
                };
                if let Some(events) = request["sse_replies"].as_array() {
                    reply = reply.emit_sse(events.iter().map(&substitute));
                }
                reply
            })
            .collect()
    }

    /// Compares the requests our code sent with the scenario's, and describes every difference.
    ///
    /// Per request: the method; the path (after replacing `{API}` by `base_url`); the decoded
    /// query parameters, in order; the headers, except transport headers (`content-length`,
    /// `host`…) and Node `fetch` defaults (`user-agent: node`, `accept: */*`; an explicit
    /// `accept: application/json` is compared), the SDK name and version headers included (every
    /// instantdb-rs client sends the catalog's `v1.0.67`, `instantdb_http::PROTOCOL_VERSION`);
    /// and the JSON body, including key order. In
    /// expected values `<uuid#N>` matches any UUID, the same one wherever `N` repeats.
    pub fn check_requests(&self, actual: &[RecordedRequest], base_url: &str) -> Result<(), String> {
        self.check_requests_with(actual, base_url, &CheckOptions::default())
    }

    /// [`Scenario::check_requests`] with options.
    pub fn check_requests_with(
        &self,
        actual: &[RecordedRequest],
        base_url: &str,
        options: &CheckOptions,
    ) -> Result<(), String> {
        let mut problems = Vec::new();
        let mut bindings = HashMap::new();
        if actual.len() != self.requests.len() {
            problems.push(format!(
                "expected {} request(s), got {}: {:?}",
                self.requests.len(),
                actual.len(),
                actual
                    .iter()
                    .map(|r| format!("{} {}", r.method, r.path_and_query()))
                    .collect::<Vec<_>>()
            ));
        }
        for (idx, (expected, actual)) in self.requests.iter().zip(actual).enumerate() {
            let expected = substitute_api(expected, base_url);
            let mut check = Check {
                problems: &mut problems,
                bindings: &mut bindings,
                prefix: format!("request {} ({} {})", idx + 1, actual.method, actual.path),
                key_order: !options.ignore_key_order,
            };
            check.request(&expected, actual, options);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "scenario `{}` ({}):\n  {}",
                self.name,
                self.call,
                problems.join("\n  ")
            ))
        }
    }

    /// [`Scenario::check_requests`], panicking with the differences.
    #[track_caller]
    pub fn assert_requests(&self, actual: &[RecordedRequest], base_url: &str) {
        if let Err(report) = self.check_requests(actual, base_url) {
            panic!("{report}");
        }
    }
}

/// The SHA-256 of `bytes`, lower-case hex: how the catalog names a non-JSON body's content
/// (`__sha256`).
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Relaxations for [`Scenario::check_requests_with`].
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Compare JSON objects without regard to key order.
    pub ignore_key_order: bool,
    /// More headers to ignore on both sides (lower-case names).
    pub ignore_headers: Vec<String>,
    /// Do not compare the request framing (`content-length` vs `transfer-encoding: chunked`),
    /// for calls whose framing upstream leaves to the platform.
    pub ignore_framing: bool,
}

struct Check<'a> {
    problems: &'a mut Vec<String>,
    bindings: &'a mut HashMap<String, String>,
    prefix: String,
    key_order: bool,
}

impl Check<'_> {
    fn problem(&mut self, text: String) {
        self.problems.push(format!("{}: {text}", self.prefix));
    }

    fn request(&mut self, expected: &Value, actual: &RecordedRequest, options: &CheckOptions) {
        let method = expected["method"].as_str().unwrap_or_default();
        if method != actual.method.as_str() {
            self.problem(format!("method: expected {method}, got {}", actual.method));
        }
        let path = expected["path"].as_str().unwrap_or_default();
        if !self.text_matches(path, &actual.path) {
            self.problem(format!("path: expected {path}, got {}", actual.path));
        }

        let expected_query: Vec<(String, String)> = expected["query"]
            .as_object()
            .map(|q| {
                q.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let actual_query = actual.query_pairs();
        let query_ok = expected_query.len() == actual_query.len()
            && expected_query
                .iter()
                .zip(&actual_query)
                .all(|((ek, ev), (ak, av))| ek == ak && self.text_matches(ev, av));
        if !query_ok {
            self.problem(format!(
                "query: expected {expected_query:?}, got {actual_query:?}"
            ));
        }

        let ignored = |name: &str| {
            IGNORED_HEADERS.contains(&name) || options.ignore_headers.iter().any(|h| h == name)
        };
        let empty = serde_json::Map::new();
        let expected_headers = expected["headers"].as_object().unwrap_or(&empty);
        for (name, value) in expected_headers {
            let value = value.as_str().unwrap_or_default();
            let node_default = NODE_DEFAULTS.contains(&(name.as_str(), value));
            let transport = ignored(name) && !NODE_DEFAULTS.iter().any(|(n, _)| n == name);
            if node_default || transport || options.ignore_headers.iter().any(|h| h == name) {
                continue;
            }
            match actual.header(name) {
                None => self.problem(format!("header `{name}` missing (expected `{value}`)")),
                Some(got) => {
                    if !self.text_matches(value, got) {
                        self.problem(format!("header `{name}`: expected `{value}`, got `{got}`"));
                    }
                }
            }
        }
        for name in actual.headers.keys() {
            let name = name.as_str();
            if !ignored(name) && !expected_headers.contains_key(name) {
                self.problem(format!("unexpected header `{name}`"));
            }
        }

        if !options.ignore_framing {
            self.framing(expected, actual);
        }

        match expected.get("body") {
            None | Some(Value::Null) => {
                if actual.body_len > 0 {
                    self.problem(format!("expected no body, got {} bytes", actual.body_len));
                }
            }
            Some(Value::Object(binary)) if binary.contains_key("__bytes") => {
                let len = binary["__bytes"].as_u64().unwrap_or_default();
                if len != actual.body_len {
                    self.problem(format!(
                        "body: expected {len} bytes, got {}",
                        actual.body_len
                    ));
                }
                // The content, when the catalog has it (the recorder writes it for every
                // non-JSON body) and the whole body was kept.
                if let Some(expected) = binary.get("__sha256").and_then(Value::as_str) {
                    let got = sha256_hex(&actual.body);
                    if actual.body.len() as u64 == actual.body_len && got != expected {
                        self.problem(format!(
                            "body: expected content sha256 {expected}, got {got} ({:?})",
                            String::from_utf8_lossy(&actual.body[..actual.body.len().min(64)])
                        ));
                    }
                }
            }
            Some(body) => match actual.json() {
                None => self.problem(format!("body: expected JSON, got {:?}", actual.text())),
                Some(got) => {
                    let mut path = String::from("$");
                    self.json(body, &got, &mut path);
                }
            },
        }
    }

    /// The body's framing, where the catalog records it (`transport`): a `content-length`
    /// request must be sent with that header (and, for a non-JSON body, the same length; a JSON
    /// body's length is already implied by the body comparison), a chunked one chunked.
    fn framing(&mut self, expected: &Value, actual: &RecordedRequest) {
        let Some(transport) = expected.get("transport").and_then(Value::as_object) else {
            return;
        };
        let chunked = actual
            .header("transfer-encoding")
            .is_some_and(|te| te.contains("chunked"));
        if let Some(len) = transport.get("content-length").and_then(Value::as_str) {
            match actual.header("content-length") {
                None if chunked => self.problem(format!(
                    "framing: expected content-length {len}, got transfer-encoding: chunked"
                )),
                None => self.problem(format!("framing: expected content-length {len}, got none")),
                Some(got) => {
                    let binary = expected
                        .get("body")
                        .is_some_and(|b| b.get("__bytes").is_some());
                    if binary && got != len {
                        self.problem(format!("framing: expected content-length {len}, got {got}"));
                    }
                }
            }
        } else if transport.contains_key("transfer-encoding") && !chunked {
            self.problem("framing: expected transfer-encoding: chunked".to_owned());
        }
    }

    fn json(&mut self, expected: &Value, actual: &Value, path: &mut String) {
        match (expected, actual) {
            (Value::String(e), Value::String(a)) => {
                if !self.text_matches(e, a) {
                    self.problem(format!("body {path}: expected {e:?}, got {a:?}"));
                }
            }
            (Value::Array(e), Value::Array(a)) => {
                if e.len() != a.len() {
                    self.problem(format!(
                        "body {path}: expected {} items, got {}",
                        e.len(),
                        a.len()
                    ));
                    return;
                }
                for (idx, (e, a)) in e.iter().zip(a).enumerate() {
                    let len = path.len();
                    let _ = write!(path, "[{idx}]");
                    self.json(e, a, path);
                    path.truncate(len);
                }
            }
            (Value::Object(e), Value::Object(a)) => {
                let e_keys: Vec<&String> = e.keys().collect();
                let a_keys: Vec<&String> = a.keys().collect();
                let same_set =
                    e_keys.len() == a_keys.len() && e_keys.iter().all(|k| a.contains_key(*k));
                if !same_set {
                    self.problem(format!(
                        "body {path}: expected keys {e_keys:?}, got {a_keys:?}"
                    ));
                    return;
                }
                if self.key_order && e_keys != a_keys {
                    self.problem(format!(
                        "body {path}: expected key order {e_keys:?}, got {a_keys:?}"
                    ));
                }
                for (key, e) in e {
                    let len = path.len();
                    let _ = write!(path, ".{key}");
                    self.json(e, &a[key], path);
                    path.truncate(len);
                }
            }
            (e, a) => {
                if e != a {
                    self.problem(format!("body {path}: expected {e}, got {a}"));
                }
            }
        }
    }

    /// Literal comparison where `<uuid#N>` placeholders match (and bind) UUIDs.
    fn text_matches(&mut self, expected: &str, actual: &str) -> bool {
        if !expected.contains("<uuid#") {
            return expected == actual;
        }
        let mut rest_expected = expected;
        let mut rest_actual = actual;
        while let Some(start) = rest_expected.find("<uuid#") {
            let Some(end) = rest_expected[start..].find('>') else {
                return expected == actual;
            };
            let placeholder = &rest_expected[start..start + end + 1];
            let literal = &rest_expected[..start];
            let Some(after_literal) = rest_actual.strip_prefix(literal) else {
                return false;
            };
            if after_literal.len() < 36 || !is_uuid(&after_literal[..36]) {
                return false;
            }
            let value = &after_literal[..36];
            match self.bindings.get(placeholder) {
                Some(bound) if bound != value => return false,
                Some(_) => {}
                None => {
                    self.bindings
                        .insert(placeholder.to_owned(), value.to_owned());
                }
            }
            rest_expected = &rest_expected[start + end + 1..];
            rest_actual = &after_literal[36..];
        }
        rest_expected == rest_actual
    }
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn substitute_uuids(value: &Value, uuid: &impl Fn(u32) -> String) -> Value {
    match value {
        Value::String(text) if text.contains("<uuid#") => {
            let mut out = String::new();
            let mut rest = text.as_str();
            while let Some(start) = rest.find("<uuid#") {
                let tail = &rest[start + 6..];
                let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
                match (digits.parse::<u32>(), tail[digits.len()..].starts_with('>')) {
                    (Ok(n), true) => {
                        out.push_str(&rest[..start]);
                        out.push_str(&uuid(n));
                        rest = &tail[digits.len() + 1..];
                    }
                    _ => {
                        out.push_str(&rest[..start + 6]);
                        rest = tail;
                    }
                }
            }
            out.push_str(rest);
            Value::String(out)
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| substitute_uuids(v, uuid)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute_uuids(v, uuid)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn substitute_api(value: &Value, base_url: &str) -> Value {
    match value {
        Value::String(text) if text.contains("{API}") => {
            Value::String(text.replace("{API}", base_url))
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| substitute_api(v, base_url)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute_api(v, base_url)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A recorded `PUT /upload` with `body`, framed by `content-length` unless `chunked`.
    fn upload(body: &[u8], chunked: bool) -> RecordedRequest {
        let mut headers = http::HeaderMap::new();
        headers.insert("content-type", http::HeaderValue::from_static("text/plain"));
        if chunked {
            headers.insert(
                "transfer-encoding",
                http::HeaderValue::from_static("chunked"),
            );
        } else {
            headers.insert("content-length", http::HeaderValue::from(body.len()));
        }
        RecordedRequest {
            method: http::Method::PUT,
            path: "/upload".to_owned(),
            query: None,
            headers,
            body: bytes::Bytes::copy_from_slice(body),
            body_len: body.len() as u64,
            version: http::Version::HTTP_11,
        }
    }

    fn scenario(transport: Value) -> Scenario {
        let line = json!({
            "scenario": "test.upload", "sdk": "@instantdb/admin", "call": "upload", "ok": true,
            "requests": [{
                "method": "PUT", "path": "/upload", "url": "/upload", "query": {},
                "headers": {"content-type": "text/plain"},
                "transport": transport,
                "body": {"__bytes": 11, "__textPrefix": "hello world",
                         "__sha256": sha256_hex(b"hello world")},
                "response": {"status": 200, "body": {}}
            }]
        });
        WireCatalog::parse(&line.to_string()).scenarios()[0].clone()
    }

    use serde_json::json;

    #[test]
    fn upload_bodies_are_compared_by_content() {
        let s = scenario(json!({"content-length": "11"}));
        assert!(
            s.check_requests(&[upload(b"hello world", false)], "")
                .is_ok()
        );
        let report = s
            .check_requests(&[upload(b"hello WORLD", false)], "")
            .unwrap_err();
        assert!(report.contains("content sha256"), "{report}");
    }

    #[test]
    fn request_framing_is_compared() {
        let fixed = scenario(json!({"content-length": "11"}));
        let report = fixed
            .check_requests(&[upload(b"hello world", true)], "")
            .unwrap_err();
        assert!(
            report.contains("got transfer-encoding: chunked"),
            "{report}"
        );
        let relaxed = CheckOptions {
            ignore_framing: true,
            ..CheckOptions::default()
        };
        assert!(
            fixed
                .check_requests_with(&[upload(b"hello world", true)], "", &relaxed)
                .is_ok()
        );

        let chunked = scenario(json!({"transfer-encoding": "chunked"}));
        assert!(
            chunked
                .check_requests(&[upload(b"hello world", true)], "")
                .is_ok()
        );
        let report = chunked
            .check_requests(&[upload(b"hello world", false)], "")
            .unwrap_err();
        assert!(
            report.contains("expected transfer-encoding: chunked"),
            "{report}"
        );
    }

    #[test]
    fn sha256_is_lower_case_hex() {
        assert_eq!(
            sha256_hex(b"hello world"),
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
    }

    #[test]
    fn call_args_are_the_last_calls_arguments() {
        let line = json!({
            "scenario": "x", "sdk": "@instantdb/platform", "call": "x", "ok": true, "requests": [],
            "args": {"chain": [["webhooks", "app"], "manager", ["update", "hook", {"url": "u"}]]}
        });
        let s = WireCatalog::parse(&line.to_string()).scenarios()[0].clone();
        assert_eq!(s.call_arg(0), &json!("hook"));
        assert_eq!(s.call_arg(1)["url"], json!("u"));
        assert_eq!(s.call_arg(2), &Value::Null);
    }
}
