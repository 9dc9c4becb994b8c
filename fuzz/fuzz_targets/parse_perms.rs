//! Any input must give rules or a located error, never a panic or a stack overflow; the fast
//! path and swc must agree; accepted rules must survive generation and re-parsing unchanged.
#![no_main]

use instantdb_typescript::fuzzing::parse_perms_with_swc;
use instantdb_typescript::{
    Style, generate_perms_file, parse_perms_typescript_file, rules_to_json,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let both = parse_perms_typescript_file(src, "fuzz.perms.ts")
        .map(|rules| rules_to_json(&rules))
        .map_err(|e| e.to_string());
    let swc = parse_perms_with_swc(src, "fuzz.perms.ts").map_err(|e| e.to_string());
    assert_eq!(both, swc, "fast path and swc disagree");
    match parse_perms_typescript_file(src, "fuzz.perms.ts") {
        Ok(rules) => {
            if rules.is_empty() {
                return;
            }
            for style in [Style::Raw, Style::Prettier] {
                let code = generate_perms_file(Some(&rules), "@instantdb/core", style);
                let again =
                    parse_perms_typescript_file(&code, "generated.ts").unwrap_or_else(|err| {
                        panic!("generated file does not parse: {}", err.render())
                    });
                assert_eq!(rules_to_json(&again), rules_to_json(&rules));
            }
        }
        Err(err) => {
            let _ = err.render();
        }
    }
});
