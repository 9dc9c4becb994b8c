//! prettier style (stub).
use instantdb_schema::SchemaDef;
use serde_json::Value;

pub(crate) fn schema_file(prev: Option<&SchemaDef>, schema: &SchemaDef, links: &Value, module: &str) -> String {
    let _ = links;
    crate::codegen::generate_schema_typescript_file(prev, schema, module)
}

pub(crate) fn perms_file(rules: Option<&Value>, module: &str) -> String {
    crate::codegen::generate_perms_from_value(rules, module)
}
