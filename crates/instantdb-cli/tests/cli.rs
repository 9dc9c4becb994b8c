//! End-to-end tests of the `instant` binary: arguments, stdin/file input, stdout, stderr and
//! exit codes.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn instant(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_instant"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run instant");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait for instant")
}

fn stdout(output: &Output) -> &str {
    assert!(
        output.status.success(),
        "instant failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::str::from_utf8(&output.stdout).expect("UTF-8 stdout")
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
        .display()
        .to_string()
}

const WIRE: &str = r#"{"entities":{"todos":{"attrs":{"text":{"valueType":"string","required":true,"isIndexed":false,"config":{"indexed":false,"unique":false},"metadata":{}}},"links":{}}},"links":{},"rooms":{}}"#;

#[test]
fn codegen_schema_from_wire_on_stdin_defaults_to_prettier_style() {
    let out = instant(&["codegen", "schema", "--from", "wire"], WIRE);
    let ts = stdout(&out);
    assert!(
        ts.contains("import { i } from \"@instantdb/core\";\n"),
        "{ts}"
    );
    assert!(
        ts.contains("    todos: i.entity({\n      text: i.string(),\n    }),\n"),
        "{ts}"
    );
    assert!(
        ts.ends_with("export type { AppSchema };\nexport default schema;\n"),
        "{ts}"
    );

    let raw = instant(
        &[
            "codegen",
            "schema",
            "--from",
            "wire",
            "--style",
            "raw",
            "--module",
            "@instantdb/react",
            "-",
        ],
        WIRE,
    );
    let raw = stdout(&raw);
    assert!(
        raw.contains("import { i } from \"@instantdb/react\";\n"),
        "{raw}"
    );
    assert!(
        raw.contains("    \"todos\": i.entity({\n      \"text\": i.string(),\n    }),\n"),
        "{raw}"
    );
}

#[test]
fn codegen_schema_from_api_converts_and_can_print_the_def() {
    let api = r#"{"blobs":{"todos":{"id":{"id":"1","value-type":"blob","cardinality":"one","forward-identity":["f1","todos","id"],"unique?":true,"index?":false,"required?":true,"inferred-types":null,"catalog":"user"},"done":{"id":"2","value-type":"blob","cardinality":"one","forward-identity":["f2","todos","done"],"unique?":false,"index?":false,"required?":false,"inferred-types":["boolean"],"catalog":"user"}}},"refs":{}}"#;
    let ts = instant(
        &["codegen", "schema", "--from", "api", "--style", "raw"],
        api,
    );
    assert!(
        stdout(&ts).contains("\"done\": i.any().optional(),"),
        "{}",
        stdout(&ts)
    );
    let def = instant(&["codegen", "schema", "--from", "api", "--print-def"], api);
    let def: serde_json::Value = serde_json::from_str(stdout(&def)).expect("def JSON");
    assert_eq!(
        def["entities"]["todos"]["attrs"]["done"]["metadata"]["derivedType"]["type"],
        "any"
    );
    // The /dash/apps/:id/schema/pull response shape works too.
    let pulled = format!(r#"{{"schema":{api},"app-title":"x"}}"#);
    let ts2 = instant(
        &["codegen", "schema", "--from", "api", "--style", "raw"],
        &pulled,
    );
    assert_eq!(stdout(&ts2), stdout(&ts));
}

#[test]
fn prev_supplies_rooms_from_a_typescript_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let prev = dir.path().join("instant.schema.ts");
    std::fs::write(
        &prev,
        "const _schema = i.schema({ entities: {}, rooms: { chat: { presence: i.entity({ name: i.string() }) } } });",
    )
    .expect("write prev");
    let out = instant(
        &[
            "codegen",
            "schema",
            "--from",
            "wire",
            "--prev",
            prev.to_str().unwrap(),
        ],
        WIRE,
    );
    assert!(stdout(&out).contains("  rooms: {\n    chat: {\n      presence: i.entity({\n        name: i.string(),\n      }),\n    },\n  },\n"), "{}", stdout(&out));
}

#[test]
fn codegen_perms_writes_rules_or_the_placeholder() {
    let out = instant(
        &["codegen", "perms"],
        r#"{"todos":{"allow":{"view":"auth.id != null"}}}"#,
    );
    assert!(stdout(&out).contains("const rules = {\n  todos: {\n    allow: {\n      view: \"auth.id != null\",\n    },\n  },\n} satisfies InstantRules;\n"), "{}", stdout(&out));
    let placeholder = instant(&["codegen", "perms", "--style", "raw"], "null");
    assert!(stdout(&placeholder).contains("Welcome to Instant's permission system!"));
}

#[test]
fn parse_then_codegen_round_trips_the_example_files() {
    let schema_path = example("instant.schema.ts");
    let parsed = instant(&["parse", "schema", &schema_path], "");
    let wire = stdout(&parsed).to_owned();
    assert!(wire.starts_with("{\"entities\":{"), "{wire}");
    let regenerated = instant(
        &[
            "codegen",
            "schema",
            "--from",
            "wire",
            "--prev",
            &schema_path,
            "--module",
            "@instantdb/react",
        ],
        &wire,
    );
    let original = std::fs::read_to_string(&schema_path).expect("example schema");
    assert_eq!(stdout(&regenerated), original);

    let perms_path = example("instant.perms.ts");
    let rules = instant(&["parse", "perms", &perms_path], "");
    let rules_json = stdout(&rules).to_owned();
    let regenerated = instant(
        &["codegen", "perms", "--module", "@instantdb/react"],
        &rules_json,
    );
    let original = std::fs::read_to_string(&perms_path).expect("example perms");
    assert_eq!(stdout(&regenerated), original);
}

#[test]
fn parse_errors_are_located_with_an_excerpt_and_exit_1() {
    let src = "const _schema = i.schema({\n  entities: { a: i.entity({ x: i.text() }) },\n});\n";
    let out = instant(&["parse", "schema"], src);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(
            "<stdin>:2:32: `i.text` is not part of the `i` builder of @instantdb/core 1.0.67"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("2 |   entities: { a: i.entity({ x: i.text() }) },\n"),
        "{stderr}"
    );
    let caret = format!("  | {}^\n", " ".repeat(31));
    assert!(stderr.contains(&caret), "{stderr}");

    let syntax = instant(&["parse", "perms"], "const rules = {");
    assert_eq!(syntax.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&syntax.stderr).starts_with("<stdin>:1:"));

    let json = instant(&["codegen", "perms"], "{\n  \"a\": 1,\n}");
    assert_eq!(json.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&json.stderr).starts_with("<stdin>:3:1: trailing comma"),
        "{}",
        String::from_utf8_lossy(&json.stderr)
    );

    let missing = instant(&["parse", "schema", "/nonexistent/instant.schema.ts"], "");
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stderr).starts_with("/nonexistent/instant.schema.ts: ")
    );
}

#[test]
fn parse_follows_relative_imports_from_disk() {
    let dir = std::env::temp_dir().join(format!("instant-cli-imports-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("schema")).unwrap();
    std::fs::write(
        dir.join("schema/shared.ts"),
        "import { i } from '@instantdb/core';\nexport const timestamps = { createdAt: i.date() };\n",
    )
    .unwrap();
    let schema = dir.join("instant.schema.ts");
    std::fs::write(
        &schema,
        "import { i } from '@instantdb/core';\nimport { timestamps } from './schema/shared';\n\
         export default i.schema({ entities: { todos: i.entity({ title: i.string(), ...timestamps }) } });\n",
    )
    .unwrap();
    let out = instant(&["parse", "schema", &schema.display().to_string()], "");
    let json = stdout(&out);
    assert!(
        json.contains(r#""createdAt":{"valueType":"date""#),
        "{json}"
    );
    // From stdin there is no directory to follow the import from: a located refusal.
    let text = std::fs::read_to_string(&schema).unwrap();
    let out = instant(&["parse", "schema"], &text);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("<stdin>:2:10: The module `./schema/shared` could not be read"),
        "{stderr}"
    );
    // Non-UTF-8 input is worded the same way by every command.
    std::fs::write(dir.join("bad.ts"), b"const x = '\xff';").unwrap();
    let bad = dir.join("bad.ts").display().to_string();
    for args in [
        &["parse", "schema", &bad][..],
        &["parse", "perms", &bad],
        &["codegen", "perms", &bad],
    ] {
        let out = instant(args, "");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim_end(),
            format!("{bad}: the file is not UTF-8 text"),
            "{args:?}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["codegen", "schema"][..],
        &["codegen", "schema", "--from", "yaml"],
        &["codegen", "perms", "--style", "ugly"],
        &["parse"],
        &["frobnicate"],
        &["parse", "schema", "a", "b"],
    ] {
        let out = instant(args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let help = instant(&["--help"], "");
    assert!(stdout(&help).contains("codegen"));
}
