//! Upstream's own input/output vectors (`conformance/platform-vectors.json`, produced by running
//! `@instantdb/platform` at a4d2ef33 under Node 20), replayed through this crate. The generated
//! differential suite is `cargo xtask conformance schema`; this test needs no Node.

use instantdb_schema::{ApiSchema, SchemaDef, api_schema_to_schema_def};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../conformance/platform-vectors.json"
    );
    let text = std::fs::read_to_string(path).expect("conformance/platform-vectors.json");
    serde_json::from_str(&text).expect("platform-vectors.json is JSON")
}

fn cases<'a>(vectors: &'a Value, section: &str) -> &'a [Value] {
    vectors[section].as_array().expect("a section is an array")
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

/// `diffSchemas` (MigrationTx lists), then `convertTxSteps` (plan steps, byte for byte, with
/// `<uuid:N>` ids) and `translatePlanSteps` where the vector has them.
#[test]
fn diff_vectors() {
    use instantdb_schema::SystemCatalogIdentNames;
    use instantdb_schema::diff::{RenameSelector, convert_tx_steps, diff_schemas};

    let vectors = vectors();
    let mut plans = 0;
    for case in cases(&vectors, "diff") {
        let name = case["name"].as_str().unwrap();
        let old = SchemaDef::from_wire_value(&case["oldSchema"]).unwrap();
        let new = SchemaDef::from_wire_value(&case["newSchema"]).unwrap();
        let renames: Vec<String> = serde_json::from_value(case["renames"].clone()).unwrap();
        let sys: SystemCatalogIdentNames =
            serde_json::from_value(case["systemCatalogIdentNames"].clone()).unwrap();
        let mut selector = RenameSelector::parse(&renames).unwrap();
        let txs = diff_schemas(&old, &new, &mut selector, &sys).unwrap();
        // Upstream's MigrationTx key order varies by code path, so compare as JSON values.
        assert_eq!(
            serde_json::to_value(&txs).unwrap(),
            case["migrationTxs"],
            "{name}"
        );
        // And they read back.
        let read: Vec<instantdb_schema::diff::MigrationTx> =
            serde_json::from_value(case["migrationTxs"].clone()).unwrap();
        assert_eq!(read, txs, "{name}");

        let Some(existing) = case.get("existingAttrs") else {
            continue;
        };
        let existing: Vec<instantdb_schema::ApiAttr> =
            serde_json::from_value(existing.clone()).unwrap();
        let mut n = 0;
        let steps = convert_tx_steps(&txs, &existing, || {
            n += 1;
            format!("<uuid:{}>", n - 1)
        })
        .unwrap();
        assert_eq!(
            serde_json::to_string(&steps).unwrap(),
            serde_json::to_string(&case["planSteps"]).unwrap(),
            "{name}"
        );
        let translated: Vec<Value> = steps
            .iter()
            .map(|step| step.to_translated_json(&existing))
            .collect();
        assert_eq!(
            serde_json::to_string(&translated).unwrap(),
            serde_json::to_string(&case["translatedSteps"]).unwrap(),
            "{name}"
        );
        let read: Vec<instantdb_schema::diff::PlanStep> =
            serde_json::from_value(case["planSteps"].clone()).unwrap();
        assert_eq!(read, steps, "{name}");
        plans += 1;
    }
    assert_eq!(plans, 2);
}

#[test]
fn rename_command_vectors() {
    let vectors = vectors();
    let misc = cases(&vectors, "misc");
    let parsing = misc
        .iter()
        .find(|s| s["name"] == "rename command parsing")
        .unwrap();
    for case in parsing["cases"].as_array().unwrap() {
        let renames: Vec<String> = serde_json::from_value(case["renames"].clone()).unwrap();
        let result = instantdb_schema::diff::RenameSelector::parse(&renames);
        if case["ok"] == true {
            assert!(result.is_ok(), "{renames:?}");
        } else {
            assert_eq!(
                result.unwrap_err().to_string(),
                case["errorMessage"].as_str().unwrap()
            );
        }
    }
}
