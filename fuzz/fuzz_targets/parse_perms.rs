//! Any input must give rules or a located error, never a panic or a stack overflow; the fast
//! path and swc must agree; accepted rules must survive generation and re-parsing unchanged.
#![no_main]

use instantdb_typescript::fuzzing::parse_perms_with_swc;
use std::collections::HashMap;

use instantdb_typescript::{
    Style, generate_perms_file, parse_perms_typescript_file,
    parse_perms_typescript_file_with_imports, rules_to_json,
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
        match parse_perms_typescript_file_with_imports(entry, "instant.ts", &read)
            .map(|rules| rules_to_json(&rules))
        {
            Ok(_) => {}
            Err(err) => {
                let _ = err.render();
            }
        }
        return;
    }
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
