//! Any input must give a schema or a located error, never a panic or a stack overflow; the fast
//! path and swc must agree; an accepted schema must survive generation and re-parsing unchanged.
#![no_main]

use instantdb_typescript::fuzzing::parse_schema_with_swc;
use instantdb_typescript::{
    Style, generate_schema_file, parse_schema_typescript_file,
    parse_schema_typescript_file_to_wire_json,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
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
