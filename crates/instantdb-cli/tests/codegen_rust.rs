//! `instant codegen rust`: the typed module of a schema file, to a file or stdout, with the
//! runtime path configurable, and schema errors reported at the file's line and column.

use std::process::Command;

fn instant(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_instant"))
        .args(args)
        .output()
        .expect("the instant binary runs")
}

const SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/instant.schema.ts"
);

#[test]
fn writes_the_checked_in_module_of_the_example_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("src/instant_schema.rs");
    let output = instant(&[
        "codegen",
        "rust",
        "--schema",
        SCHEMA,
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let expected = include_str!("../../../examples/instant_schema.rs");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), expected);

    let output = instant(&[
        "codegen",
        "rust",
        "--schema",
        SCHEMA,
        "--runtime",
        "::instantdb_admin::typed",
    ]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("use ::instantdb_admin::typed as rt;\n"),
        "{stdout}"
    );
    assert!(stdout.contains("#[serde(crate = \"::instantdb_admin::typed::serde\")]"));
}

#[test]
fn reports_schema_errors_with_their_position() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("instant.schema.ts");
    std::fs::write(
        &bad,
        "const _schema = i.schema({ entities: { a: i.entity({ x: i.strin() }) } });\n",
    )
    .unwrap();
    let output = instant(&["codegen", "rust", "--schema", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("instant.schema.ts:1:57: Could not extract `a.x`"),
        "{stderr}"
    );
}
