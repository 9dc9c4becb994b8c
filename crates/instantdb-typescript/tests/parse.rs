//! The forms the parsers accept beyond upstream, their errors, and the nesting guard.

use instantdb_schema::{SchemaDef, i};
use instantdb_typescript::{
    ParseErrorKind, Style, generate_perms_file, generate_schema_file,
    generate_schema_file_from_wire_json, parse_perms_typescript_file, parse_schema_typescript_file,
    parse_schema_typescript_file_to_wire_json, rules_to_json,
};

fn schema(src: &str) -> SchemaDef {
    parse_schema_typescript_file(src, "instant.schema.ts")
        .unwrap_or_else(|e| panic!("{}", e.render()))
}

fn todos() -> SchemaDef {
    i::schema().entities([("todos", i::entity([("title", i::string().indexed())]))])
}

#[test]
fn accepts_the_documented_extensions() {
    let forms = [
        "export const _schema = i.schema({ entities: { todos: i.entity({ title: i.string().indexed() }) } });",
        "import { i as b } from '@instantdb/core';\nconst _schema = b.schema({ entities: { todos: b.entity({ title: b.string().indexed() }) } });",
        "import * as db from '@instantdb/core';\nconst _schema = db.i.schema({ entities: { todos: db.i.entity({ title: db.i.string().indexed() }) } });",
        "const _schema = i.schema({ entities: { todos: i.entity({ title: i.string().indexed() }) } as const }) satisfies object;",
        "export default i.schema({ entities: { todos: i.entity({ title: i.string().indexed() }) } });",
        "const graph = i.schema({ entities: { todos: i.entity({ title: i.string().indexed() }) } });\nconst typed: unknown = graph;\nexport default typed;",
        "const s = i.schema({ entities: { [`todos`]: i.entity({ title: i.string<'a' | 'b'>().indexed() }) } });\nexport { s as default };",
        "const _schema = (i.schema)(({ entities: ({ todos: (i.entity({ title: ((i).string()).indexed() })) }) }));",
    ];
    for src in forms {
        assert_eq!(schema(src), todos(), "{src}");
    }
}

#[test]
fn refusals_say_what_is_wrong_in_plain_words_and_point_at_the_code() {
    let cases = [
        (
            "const schema = i.schema({ entities: {} });",
            "The file has no default export, which is what instant-cli reads. End it with `export default schema;`.",
            (1, 1),
        ),
        (
            "export const schema = i.schema({ entities: {} });",
            "The file has no default export, which is what instant-cli reads. End it with `export default schema;`. (It exports `schema` by name only.)",
            (1, 1),
        ),
        (
            "const _schema = i.schema({\n  entities: {},\n  links: { l: { forward: { on: A } } },\n});",
            "`A` is not defined in this file. Declare it at the top level (`const A = ...`) or import it from a relative module.",
            (3, 32),
        ),
        (
            "const _schema = i.schema({ entities: {}, rooms: { r: { presence: i.entity({}), topics: 1 } } });",
            "`topics` of room `r` is the number `1`, not an object of `i.entity(...)`s.",
            (1, 54),
        ),
        (
            "const _schema = i.schema({ ...x, entities: {} });",
            "`x` is not defined in this file. Declare it at the top level (`const x = ...`) or import it from a relative module.",
            (1, 31),
        ),
        (
            "import { i } from '@instantdb/core';\nimport { makeAttrs } from 'my-helpers';\nexport default i.schema({ entities: { a: i.entity(makeAttrs()) } });",
            "`makeAttrs` is imported from the package `my-helpers`, whose code this reader does not run. Write the value in this file or in a relative module (`./shared.ts`).",
            (2, 10),
        ),
        (
            "export default i.schema({ entities: { a: i.entity({ x: i.text() }) } });",
            "`i.text` is not part of the `i` builder of @instantdb/core 1.0.67, which has `i.schema`, `i.graph`, `i.entity`, `i.string`, `i.number`, `i.boolean`, `i.date`, `i.json`, `i.any`.",
            (1, 56),
        ),
        (
            "const attrs = {};\nfor (const k of ['a']) attrs[k] = i.string();\nexport default i.schema({ entities: { a: i.entity(attrs) } });",
            "`attrs` is changed after its declaration, so its value depends on running the file. Build the final value in one `const` declaration instead.",
            (2, 24),
        ),
    ];
    for (src, message, (line, column)) in cases {
        let err = parse_schema_typescript_file(src, "s.ts").expect_err(src);
        assert_eq!(err.message(), message, "{src}");
        assert_eq!((err.line(), err.column()), (line, column), "{src}");
        assert_eq!(err.kind(), ParseErrorKind::Unsupported);
        assert_eq!(err.file(), "s.ts");
    }
}

#[test]
fn malformed_links_are_reported_at_the_link() {
    let src = "const _schema = i.schema({ entities: {}, links: {\n  bad: { forward: { on: 'a', has: 'few', label: 'b' }, reverse: { on: 'a', has: 'one', label: 'c' } },\n} });";
    let err = parse_schema_typescript_file(src, "s.ts").expect_err("has: few");
    assert_eq!((err.line(), err.column()), (2, 8));
    assert!(
        err.message().starts_with("Could not read link `bad`"),
        "{}",
        err.message()
    );
}

#[test]
fn wire_json_keeps_hand_written_link_order_and_round_trips_through_codegen() {
    let src = "const _schema = i.schema({ entities: { a: i.entity({}) }, links: { l: { reverse: { label: 'c', on: 'a', has: 'many' }, forward: { label: 'b', on: 'a', has: 'one' } } } });";
    let wire = parse_schema_typescript_file_to_wire_json(src, "s.ts").unwrap();
    assert!(wire.contains(r#""links":{"l":{"reverse":{"label":"c","on":"a","has":"many"},"forward":{"label":"b","on":"a","has":"one"}}}"#), "{wire}");
    let ts =
        generate_schema_file_from_wire_json(None, &wire, "@instantdb/core", Style::Raw).unwrap();
    assert!(
        ts.contains("      \"reverse\": {\n        \"label\": \"c\","),
        "{ts}"
    );
    assert_eq!(
        parse_schema_typescript_file_to_wire_json(&ts, "g.ts").unwrap(),
        wire
    );
}

#[test]
fn perms_extensions() {
    let forms = [
        "const rules: InstantRules = { a: { allow: { view: 'true' } } };",
        "const rules = { a: { allow: { view: `true` } } } as const;",
        "export const rules = { a: { allow: { view: 'true' } } } satisfies InstantRules;",
        "export default { a: { allow: { view: 'true' } } } satisfies InstantRules;",
        "const perms = { a: { allow: { view: 'true' } } };\nexport default perms;",
    ];
    for src in forms {
        let rules = parse_perms_typescript_file(src, "p.ts")
            .unwrap_or_else(|e| panic!("{src}: {}", e.render()));
        assert_eq!(
            rules_to_json(&rules),
            r#"{"a":{"allow":{"view":"true"}}}"#,
            "{src}"
        );
    }
    let err = parse_perms_typescript_file("const rules = 'x' satisfies InstantRules;", "p.ts")
        .unwrap_err();
    assert!(
        err.message().contains("must be an object, got a string"),
        "{}",
        err.message()
    );
    // Upstream's parser wants `satisfies`; running the file gives the object whatever the cast.
    let rules = parse_perms_typescript_file("const rules = {} as InstantRules;", "p.ts").unwrap();
    assert_eq!(rules_to_json(&rules), "{}");
}

#[test]
fn deep_nesting_is_refused_before_it_can_overflow_the_stack() {
    for (open, close) in [
        ("(", ")"),
        ("[", "]"),
        ("{a:", "}"),
        ("-", ""),
        ("a?b:", "c"),
        ("x=>", "1"),
        ("A<", ">"),
    ] {
        let depth = 100_000;
        let src = format!("const x = {}1{};", open.repeat(depth), close.repeat(depth));
        let err = parse_schema_typescript_file(&src, "deep.ts").expect_err(open);
        assert_eq!(err.kind(), ParseErrorKind::TooDeep, "{open}");
        let err = parse_perms_typescript_file(&src, "deep.ts").expect_err(open);
        assert_eq!(err.kind(), ParseErrorKind::TooDeep, "{open}");
    }
    // A regular expression hides brackets from the lexer: everything after it counts.
    let src = format!(
        "const x = /\"/ + {}1{};",
        "(".repeat(5_000),
        ")".repeat(5_000)
    );
    let err = parse_schema_typescript_file(&src, "deep.ts").expect_err("regex");
    assert_eq!(err.kind(), ParseErrorKind::TooDeep);
    let src = format!(
        "const x = `${{{}1{}}}`;",
        "(".repeat(5_000),
        ")".repeat(5_000)
    );
    let err = parse_schema_typescript_file(&src, "deep.ts").expect_err("template");
    assert_eq!(err.kind(), ParseErrorKind::TooDeep);
}

#[test]
fn many_open_angle_brackets_are_refused_before_swc_backtracks_on_them() {
    // Found by the fuzzer: swc tries type arguments at each `<` and goes back on failure, four
    // times the work per repetition here (twelve took 9 s in a release build).
    let src = format!("x={}", "a<{7 [".repeat(12));
    let started = std::time::Instant::now();
    let err = parse_schema_typescript_file(&src, "angles.ts").unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::TooDeep, "{err}");
    assert!(err.message().contains("`<`"), "{err}");
    // The seventh `<`: after `x=`, six repetitions and an `a`.
    assert_eq!((err.line(), err.column()), (1, 2 + 6 * 6 + 1 + 1));
    let err = parse_perms_typescript_file(&src, "angles.ts").unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::TooDeep);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));

    // Six open at once are read (and fail as syntax errors, quickly), also where brackets
    // follow each `<`, which costs swc the most.
    for src in [
        format!("x={}", "a<{7 [".repeat(6)),
        format!("x={}", "s < { 3:[{  [[[[[[[[[[[[[[[[[[[[[[[[".repeat(6)),
    ] {
        let err = parse_perms_typescript_file(&src, "angles.ts").unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Syntax);
    }

    // Found next: a template substitution hid the `<` after it from the count.
    let src = "x = {[a]: `${b}`, c: ".to_owned() + &"les < {[z1 ".repeat(7);
    let err = parse_perms_typescript_file(&src, "angles.ts").unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::TooDeep, "{err}");

    // Generic types and comparisons as real files write them: closed, or ended by `;`.
    let src = format!(
        "type Deep = Record<string, Array<Map<string, Set<Promise<Partial<number>>>>>>;\n\
         {}\
         const _schema = i.schema({{ entities: {{ e: i.entity({{ j: i.json<Array<Record<string, Set<Map<string, number>>>>>() }}) }} }});",
        (0..20)
            .map(|n| format!("const c{n} = a < b;\n"))
            .collect::<String>()
    );
    assert!(schema(&src).entities["e"].attrs.contains_key("j"));
}

#[test]
fn nesting_below_the_limit_parses_on_the_grown_stack() {
    let depth = 400;
    let src = format!(
        "const x = {}1{};\nconst _schema = i.schema({{ entities: {{}} }});",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    assert_eq!(schema(&src), SchemaDef::default());
    let src = format!(
        "const rules = {{ a: {}1{} }} satisfies X;",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let rules = parse_perms_typescript_file(&src, "p.ts").unwrap();
    assert!(rules_to_json(&rules).contains("[[[[1]]]]"));
}

#[test]
fn divisions_do_not_make_the_guard_give_up() {
    let attrs: String = (0..400).map(|n| format!("a{n}: i.number(), ")).collect();
    let src = format!(
        "const half = (1 + 2) / 2 / half;\nconst _schema = i.schema({{ entities: {{ e: i.entity({{ {attrs} }}) }} }});"
    );
    assert_eq!(schema(&src).entities["e"].attrs.len(), 400);
}

#[test]
fn syntax_errors_carry_swc_messages_and_positions() {
    let err = parse_schema_typescript_file("const a = 1;\nconst bad = ;\n", "s.ts").unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::Syntax);
    assert_eq!((err.line(), err.column()), (2, 13));
    assert_eq!(err.source_line(), "const bad = ;");
    // Errors swc recovers from are still errors, as with Babel's `errorRecovery: false`.
    assert!(
        parse_schema_typescript_file(
            "const _schema = i.schema({ entities: {} }); const _schema = 1;",
            "s.ts"
        )
        .is_err()
    );
}

#[test]
fn prettier_style_matches_real_prettier_goldens() {
    // Outputs of prettier 3.10.1 on the raw generator output (long names break lines).
    let long = "x".repeat(70);
    let wire = format!(
        r#"{{"entities":{{"{long}":{{"attrs":{{"{long}":{{"valueType":"string","required":false,"isIndexed":true,"config":{{"indexed":true,"unique":true}},"metadata":{{}}}},"short":{{"valueType":"string","required":true,"isIndexed":false,"config":{{"indexed":false,"unique":false}},"metadata":{{}}}},"{long}2":{{"valueType":"string","required":true,"isIndexed":false,"config":{{"indexed":false,"unique":false}},"metadata":{{}}}}}},"links":{{}}}},"{long}e":{{"attrs":{{}},"links":{{}}}}}},"links":{{}},"rooms":{{}}}}"#
    );
    let ts = generate_schema_file_from_wire_json(None, &wire, "@instantdb/core", Style::Prettier)
        .unwrap();
    assert_eq!(ts, include_str!("long-names.prettier.ts"));

    let rules_json = r#"{"a":{"bind":["isOwner","auth.id != null && auth.id == data.ownerId && auth.email == \"x\"", "b"], "allow": {"view": "auth.id != null && auth.id == data.ownerId && auth.email == data.email && 1 == 1", "create": "auth.id != null && auth.id == data.ownerId && auth.email == data.email && 1 == 1"}}, "$rateLimits": {"x": {"limits": [{"capacity": 1, "refill": {"amount": 2}}, {"capacity": 3, "refill": {}}]}}, "n": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,-5, 1e21], "10": null, "x-y": [[1,2],[3,4]], "s": ["a"]}"#;
    let rules = instantdb_schema::perms::Rules::from_json(rules_json).unwrap();
    assert_eq!(
        generate_perms_file(Some(&rules), "@instantdb/core", Style::Prettier),
        include_str!("rules.prettier.ts")
    );
    // The raw style of the same schema parses back to it.
    let raw = generate_schema_file(None, &todos(), "@instantdb/core", Style::Raw);
    assert_eq!(schema(&raw), todos());
}

#[test]
fn the_fast_path_and_swc_agree() {
    use instantdb_typescript::fuzzing::{parse_perms_with_swc, parse_schema_with_swc};
    let vectors: serde_json::Value =
        serde_json::from_str(include_str!("../../../conformance/platform-vectors.json")).unwrap();
    let mut inputs: Vec<String> = Vec::new();
    for section in ["parseSchema", "parsePerms"] {
        for case in vectors[section].as_array().unwrap() {
            inputs.push(case["input"].as_str().unwrap().to_owned());
        }
    }
    for section in ["codegen", "permsCodegen"] {
        for case in vectors[section].as_array().unwrap() {
            inputs.push(case["output"].as_str().unwrap().to_owned());
        }
    }
    inputs.push(include_str!("../benches/bench.schema.ts").to_owned());
    inputs.push(include_str!("long-names.prettier.ts").to_owned());
    inputs.push(include_str!("rules.prettier.ts").to_owned());
    for src in &inputs {
        let both =
            parse_schema_typescript_file_to_wire_json(src, "f.ts").map_err(|e| e.to_string());
        let swc = parse_schema_with_swc(src, "f.ts").map_err(|e| e.to_string());
        assert_eq!(both, swc, "{src}");
        let both = parse_perms_typescript_file(src, "f.ts")
            .map(|r| rules_to_json(&r))
            .map_err(|e| e.to_string());
        let swc = parse_perms_with_swc(src, "f.ts").map_err(|e| e.to_string());
        assert_eq!(both, swc, "{src}");
    }
}

#[test]
fn a_byte_order_mark_is_dropped_once() {
    // Found by the fuzzer: the fast path and swc saw different text after two marks.
    let src = "\u{feff}\u{feff}ts\u{1f}c: {";
    let both = parse_perms_typescript_file(src, "p.ts").unwrap_err();
    let swc = instantdb_typescript::fuzzing::parse_perms_with_swc(src, "p.ts").unwrap_err();
    assert_eq!(both, swc);
    let schema = parse_schema_typescript_file(
        "\u{feff}const _schema = i.schema({ entities: {} });",
        "s.ts",
    );
    assert_eq!(schema.unwrap(), SchemaDef::default());
}

#[test]
fn input_that_trips_an_swc_assertion_is_a_located_syntax_error() {
    // Found by the fuzzer: swc_ecma_parser 47 reaches a `debug_assert!` in its regular
    // expression lexer on `{ /  }` after a run of `=`. It must be an error, never a panic.
    let src = "// Docste\",\n       ====================nst rules = {\n  /  }\n     ]\n    }\n  }\n} satisfies InstantRulult rules;\n";
    let both = parse_perms_typescript_file(src, "p.ts").unwrap_err();
    let swc = instantdb_typescript::fuzzing::parse_perms_with_swc(src, "p.ts").unwrap_err();
    assert_eq!(both, swc);
    assert_eq!(both.kind(), ParseErrorKind::Syntax);
    assert!(both.line() >= 2, "{both}");
    assert!(parse_schema_typescript_file(src, "s.ts").is_err());
}

/// A schema with `extra` before it and many closed generic type arguments after it: the shape
/// of the guard's old false positives, where everything after a template substitution, a
/// regular expression or a shebang counted as open.
fn schema_after(extra: &str) -> String {
    let typed: String = (0..12)
        .map(|n| format!("      j{n}: i.json<Array<Record<string, Set<number>>>>(),\n"))
        .collect();
    format!(
        "{extra}\nimport {{ i }} from \"@instantdb/core\";\n\n\
         const _schema = i.schema({{\n  entities: {{\n    todos: i.entity({{\n      \
         id2: i.string<`todo-${{string}}`>(),\n{typed}    }}),\n  }},\n}});\n\n\
         export default _schema;\n"
    )
}

#[test]
fn template_literal_type_arguments_are_not_refused() {
    // `i.string<`prefix-${string}`>()` types ids; the guard used to give up at the `${` and
    // refuse the file because more than six `<` followed it.
    let parsed = schema(&schema_after(""));
    assert_eq!(parsed.entities["todos"].attrs.len(), 13);
    // Nested substitutions and templates in templates.
    let parsed = schema(&schema_after(
        "type Id = `${'a' | `b-${number}`}-${string}`;\nconst tag = `x${`y${1 + 2}`}z`;",
    ));
    assert_eq!(parsed.entities["todos"].attrs.len(), 13);
}

#[test]
fn a_name_declared_twice_is_a_syntax_error_as_in_babel() {
    let err = parse_perms_typescript_file(
        "const rules = { a: {} } satisfies X;\nconst rules = { b: {} } satisfies X;\nexport default rules;",
        "instant.perms.ts",
    )
    .unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::Syntax);
    assert_eq!(
        err.message(),
        "Identifier 'rules' has already been declared."
    );
    assert_eq!((err.line(), err.column()), (2, 7));
    // `var` may repeat `var`, enums merge, overloads have no body.
    let rules = parse_perms_typescript_file(
        "var v = 1;\nvar v = 2;\nenum E { A = 'a' }\nenum E { B = 'b' }\nfunction f(): void;\nfunction f() {}\nexport default { x: { bind: [E.A, E.B] } };",
        "instant.perms.ts",
    )
    .unwrap();
    assert_eq!(rules_to_json(&rules), r#"{"x":{"bind":["a","b"]}}"#);
}

#[test]
fn rules_of_any_type_read_as_upstream_returns_them() {
    use instantdb_typescript::parse_perms_typescript_file_to_json;
    for (src, json) in [
        ("const rules = 5 satisfies X;", "5"),
        ("const rules = 'x' satisfies X;", "\"x\""),
        ("const rules = null satisfies X;", "null"),
        (
            "const rules = [1, { a: 'b' }] satisfies X;",
            r#"[1,{"a":"b"}]"#,
        ),
        (
            "const base = ['a'];\nexport default [...base, 'b'];",
            r#"["a","b"]"#,
        ),
    ] {
        let read = parse_perms_typescript_file_to_json(src, "p.ts", None)
            .unwrap_or_else(|e| panic!("{src}: {}", e.render()));
        assert_eq!(read, json, "{src}");
    }
}

#[test]
fn a_shebang_line_is_not_refused() {
    let parsed = schema(&schema_after("#!/usr/bin/env -S npx tsx"));
    assert_eq!(parsed.entities["todos"].attrs.len(), 13);
    let rules = parse_perms_typescript_file(
        "#!/usr/bin/env node\nconst rules = { todos: { allow: { view: \"true\" } } } satisfies X;\n\
         export default rules;\n",
        "instant.perms.ts",
    )
    .unwrap();
    assert!(rules_to_json(&rules).contains("view"));
}

#[test]
fn regular_expressions_in_ordinary_places_are_not_refused() {
    for extra in [
        "const slug = /^[a-z<]+$/u;",
        "function check(s: string) { return /<{\\[\\(/.test(s); }",
        "if (true) /x</.test('a');",
        "const parts = 'a/b'.split(/\\//).map((p) => p.length / 2);",
    ] {
        let parsed = schema(&schema_after(extra));
        assert_eq!(parsed.entities["todos"].attrs.len(), 13, "{extra}");
    }
}
