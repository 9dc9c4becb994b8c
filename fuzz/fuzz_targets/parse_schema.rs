//! Any input must give a schema or a located error, never a panic or a stack overflow; the fast
//! path and swc must agree; an accepted schema must survive generation and re-parsing unchanged.
#![no_main]

use instantdb_typescript::fuzzing::parse_schema_with_swc;
use std::collections::HashMap;

use instantdb_typescript::{
    Style, generate_schema_file, parse_schema_typescript_file,
    parse_schema_typescript_file_to_wire_json,
    parse_schema_typescript_file_to_wire_json_with_imports,
};
use libfuzzer_sys::fuzz_target;

/// Splits the input into modules: the entry, then one module per `\n//@ path\n` marker, so
/// that the evaluator's import resolution (relative paths, `index` files, cycles) is fuzzed
/// as well.
fn modules(src: &str) -> (&str, HashMap<String, String>) {
    let mut parts = src.split("\n//@ ");
    let entry = parts.next().unwrap_or("");
    let mut files = HashMap::new();
    for part in parts {
        let (path, text) = part.split_once('\n').unwrap_or((part, ""));
        files.insert(path.trim().to_owned(), text.to_owned());
    }
    (entry, files)
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    // With modules to import from: any result, never a panic or a hang.
    let (entry, files) = modules(src);
    if !files.is_empty() {
        let read = |path: &str| files.get(path).cloned();
        match parse_schema_typescript_file_to_wire_json_with_imports(entry, "instant.ts", &read) {
            Ok(_) => {}
            Err(err) => {
                let _ = err.render();
            }
        }
        return;
    }
    let both =
        parse_schema_typescript_file_to_wire_json(src, "fuzz.schema.ts").map_err(|e| e.to_string());
    let swc = parse_schema_with_swc(src, "fuzz.schema.ts").map_err(|e| e.to_string());
    assert_eq!(both, swc, "fast path and swc disagree");
    let model = parse_schema_typescript_file(src, "fuzz.schema.ts").map_err(|e| e.to_string());
    match (&model, &swc) {
        (Ok(model), Ok(wire)) => {
            let expected =
                instantdb_schema::SchemaDef::from_wire_json(wire).expect("swc wire JSON");
            assert_eq!(model, &expected, "direct path and swc disagree");
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("direct path and swc disagree: {model:?} vs {swc:?}"),
    }
    match parse_schema_typescript_file(src, "fuzz.schema.ts") {
        Ok(schema) => {
            for style in [Style::Raw, Style::Prettier] {
                let code = generate_schema_file(Some(&schema), &schema, "@instantdb/core", style);
                let again =
                    parse_schema_typescript_file(&code, "generated.ts").unwrap_or_else(|err| {
                        panic!("generated file does not parse: {}", err.render())
                    });
                assert_eq!(again.entities, schema.entities);
                assert_eq!(again.links, schema.links);
                assert_eq!(again.rooms, schema.rooms);
            }
        }
        Err(err) => {
            let _ = err.render();
        }
    }
});
