//! The `codegen`, `permsCodegen`, `parseSchema` and `parsePerms` sections of
//! `conformance/platform-vectors.json`: outputs of upstream's own code on these inputs.

use instantdb_schema::SchemaDef;
use instantdb_schema::perms::Rules;
use instantdb_typescript::{
    ParseErrorKind, Style, generate_perms_file, generate_schema_file,
    generate_schema_file_from_wire_json, parse_perms_typescript_file, parse_schema_typescript_file,
    parse_schema_typescript_file_to_wire_json, rules_to_json,
};
use serde_json::Value;

fn vectors(section: &str) -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../conformance/platform-vectors.json"
    );
    let text = std::fs::read_to_string(path).expect("conformance/platform-vectors.json");
    let all: Value = serde_json::from_str(&text).expect("vectors are JSON");
    all[section]
        .as_array()
        .expect("section is an array")
        .clone()
}

fn schema(value: &Value) -> Option<SchemaDef> {
    (!value.is_null()).then(|| SchemaDef::from_wire_value(value).expect("vector schema"))
}

#[test]
fn codegen_matches_upstream_byte_for_byte() {
    let cases = vectors("codegen");
    assert!(cases.len() >= 4);
    for case in cases {
        let prev = schema(&case["prevSchema"]);
        let module = case["instantModuleName"]
            .as_str()
            .unwrap_or("@instantdb/core");
        let wire = case["newSchema"].to_string();
        let code = generate_schema_file_from_wire_json(prev.as_ref(), &wire, module, Style::Raw)
            .expect("newSchema");
        assert_eq!(code, case["output"].as_str().unwrap(), "{}", case["name"]);
        // The model-based generator agrees whenever the links use the canonical key order.
        let new = schema(&case["newSchema"]).expect("newSchema");
        let canonical = generate_schema_file(prev.as_ref(), &new, module, Style::Raw);
        if wire.contains(r#"{"on":"#) && !wire.contains(r#""reverse":{"label""#) {
            assert_eq!(canonical, code, "{}", case["name"]);
        }
    }
}

#[test]
fn api_schema_codegen_matches_upstream() {
    for case in vectors("apiSchemaToDef") {
        let api = instantdb_schema::ApiSchema::from_value(&case["apiSchema"]).expect("api schema");
        let def = instantdb_schema::api_schema_to_schema_def(&api).expect("conversion");
        assert_eq!(def.to_wire_value(), case["wireSchema"], "{}", case["name"]);
        let code = generate_schema_file(None, &def, "@instantdb/core", Style::Raw);
        assert_eq!(
            code,
            case["generatedTs"].as_str().unwrap(),
            "{}",
            case["name"]
        );
    }
}

#[test]
fn perms_codegen_matches_upstream_byte_for_byte() {
    let cases = vectors("permsCodegen");
    assert!(cases.len() >= 3);
    for case in cases {
        let rules = (!case["perms"].is_null()).then(|| Rules::from_value(&case["perms"]).unwrap());
        let module = case["instantModuleName"]
            .as_str()
            .unwrap_or("@instantdb/core");
        let code = generate_perms_file(rules.as_ref(), module, Style::Raw);
        assert_eq!(code, case["output"].as_str().unwrap(), "{}", case["name"]);
    }
}

/// What this crate does with the inputs upstream's parser rejects. It reads files the way
/// instant-cli's run of them would see them, so the forms running gives a value for are
/// accepted (with the wire JSON `JSON.stringify` of the executed default export gives), and the
/// rest are refused with a plain-words message (a part of which is given here).
enum Ours {
    Accepted(&'static str),
    Refused(&'static str),
}

fn ours(name: &str) -> Ours {
    const EMPTY: &str = r#"{"entities":{},"links":{},"rooms":{}}"#;
    const A: &str = r#"{"entities":{"a":{"attrs":{},"links":{}}},"links":{},"rooms":{}}"#;
    match name {
        "import alias not supported"
        | "export const _schema is not found"
        | "unknown section must still be an object" => Ours::Accepted(EMPTY),
        "entity via variable" | "asType not allowed" => Ours::Accepted(A),
        "numeric entity key" => {
            Ours::Accepted(r#"{"entities":{"1":{"attrs":{},"links":{}}},"links":{},"rooms":{}}"#)
        }
        "cast not allowed" => Ours::Accepted(
            r#"{"entities":{"a":{"attrs":{"x":{"valueType":"string","required":true,"isIndexed":false,"config":{"indexed":false,"unique":false},"metadata":{}}},"links":{}}},"links":{},"rooms":{}}"#,
        ),
        // `i.graph` (deprecated) gives a schema without rooms.
        "i.graph not supported" => Ours::Accepted(r#"{"entities":{},"links":{}}"#),
        "variable must be named _schema" => Ours::Refused("has no default export"),
        "unknown modifier" => Ours::Refused("`foo` is not a method of an attribute"),
        "unknown base type" => Ours::Refused("`i.text` is not part of the `i` builder"),
        "spread in entities" => Ours::Refused("`base` is not defined in this file"),
        "spread in attrs" => Ours::Refused("`common` is not defined in this file"),
        "links: identifier value" => Ours::Refused("`A` is not defined in this file"),
        "links: template literal" | "links: as const" => {
            Ours::Refused("Link `l` has no `reverse` object")
        }
        "links shorthand" => Ours::Refused("`links` is not defined in this file"),
        "missing entities" => Ours::Refused("The schema has no `entities`"),
        "room without presence" => Ours::Refused("Room `r` has no `presence`"),
        "room with unknown key" => Ours::Refused("Room `r` has the key `other`"),
        other => panic!("no expectation for upstream-rejected case {other:?}"),
    }
}

#[test]
fn schema_parsing_matches_upstream() {
    let cases = vectors("parseSchema");
    assert!(cases.len() >= 26);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let input = case["input"].as_str().unwrap();
        let result = parse_schema_typescript_file(input, "instant.schema.ts");
        if case["ok"] == Value::Bool(true) {
            let parsed = result.unwrap_or_else(|e| panic!("{name}: {}", e.render()));
            let expected = SchemaDef::from_wire_value(&case["wireSchema"]).unwrap();
            assert_eq!(parsed, expected, "{name}");
            let wire =
                parse_schema_typescript_file_to_wire_json(input, "instant.schema.ts").unwrap();
            assert_eq!(
                wire,
                serde_json::to_string(&case["wireSchema"]).unwrap(),
                "{name}"
            );
            continue;
        }
        if name == "syntax error (raw babel message)" {
            assert_eq!(
                result.expect_err(name).kind(),
                ParseErrorKind::Syntax,
                "{name}"
            );
            continue;
        }
        match ours(name) {
            Ours::Accepted(expected) => {
                result.unwrap_or_else(|e| panic!("{name}: {}", e.render()));
                let wire =
                    parse_schema_typescript_file_to_wire_json(input, "instant.schema.ts").unwrap();
                assert_eq!(wire, expected, "{name}");
            }
            Ours::Refused(part) => {
                let err = result.expect_err(name);
                assert!(err.message().contains(part), "{name}: {err}");
                assert_eq!(err.kind(), ParseErrorKind::Unsupported, "{name}");
            }
        }
    }
}

#[test]
fn perms_parsing_matches_upstream() {
    let cases = vectors("parsePerms");
    assert!(cases.len() >= 7);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let input = case["input"].as_str().unwrap();
        let result = parse_perms_typescript_file(input, "instant.perms.ts");
        if case["ok"] == Value::Bool(true) {
            let rules = result.unwrap_or_else(|e| panic!("{name}: {}", e.render()));
            assert_eq!(
                rules_to_json(&rules),
                serde_json::to_string(&case["perms"]).unwrap(),
                "{name}"
            );
            continue;
        }
        // Running the file gives a value for every form but the file without a default
        // export (or the `rules` variable upstream reads).
        match name {
            "type annotation instead of satisfies" => {
                let rules = result.unwrap_or_else(|e| panic!("{name}: {}", e.render()));
                assert_eq!(rules_to_json(&rules), r#"{"a":{"allow":{"view":"true"}}}"#);
            }
            "as cast" => {
                let rules = result.unwrap_or_else(|e| panic!("{name}: {}", e.render()));
                assert_eq!(rules_to_json(&rules), "{}");
            }
            "negative number" => {
                let rules = result.unwrap_or_else(|e| panic!("{name}: {}", e.render()));
                assert_eq!(
                    rules_to_json(&rules),
                    r#"{"$rateLimits":{"x":{"limits":[{"capacity":-1}]}}}"#
                );
            }
            "no rules variable" => {
                let err = result.expect_err(name);
                assert!(
                    err.message().contains("has no default export"),
                    "{name}: {err}"
                );
            }
            other => panic!("no expectation for upstream-rejected case {other:?}"),
        }
    }
}
