//! Upstream's own input/output vectors (`conformance/platform-vectors.json`, produced by running
//! `@instantdb/platform` at a4d2ef33 under Node 20), replayed through this crate. The generated
//! differential suite is `cargo xtask conformance schema`; this test needs no Node.

use instantdb_schema::{ApiSchema, SchemaDef, api_schema_to_schema_def};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/platform-vectors.json");
    let text = std::fs::read_to_string(path).expect("conformance/platform-vectors.json");
    serde_json::from_str(&text).unwrap()
}

fn cases<'a>(vectors: &'a Value, section: &str) -> &'a [Value] {
    vectors[section].as_array().unwrap()
}

#[test]
fn api_schema_to_def_vectors() {
    let vectors = vectors();
    for case in cases(&vectors, "apiSchemaToDef") {
        let name = case["name"].as_str().unwrap();
        let api = ApiSchema::from_value(&case["apiSchema"]).unwrap();
        let def = api_schema_to_schema_def(&api).unwrap();
        let expected = serde_json::to_string(&case["wireSchema"]).unwrap();
        assert_eq!(def.to_wire_json(), expected, "{name}");
        // And the wire JSON reads back to the same schema.
        assert_eq!(SchemaDef::from_wire_json(&expected).unwrap(), def, "{name}");
    }
}

/// Every rules object in the vectors (the codegen inputs and the perms parser's outputs) reads
/// into the model and prints back byte for byte.
#[test]
fn perms_vectors_round_trip() {
    let vectors = vectors();
    let mut seen = 0;
    for section in ["permsCodegen", "parsePerms"] {
        for case in cases(&vectors, section) {
            let perms = &case["perms"];
            if !perms.is_object() {
                continue;
            }
            let rules = instantdb_schema::perms::Rules::from_value(perms).unwrap();
            assert_eq!(rules.to_json(), perms.to_string(), "{}", case["name"]);
            seen += 1;
        }
    }
    assert!(seen >= 4, "only {seen} rules objects in the vectors");
}
