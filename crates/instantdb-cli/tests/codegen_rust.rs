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
        stderr.contains("instant.schema.ts:1:57: `i.strin` is not part of the `i` builder"),
        "{stderr}"
    );
}

/// `instant pull schema --rust FILE` writes the typed module of the pulled schema next to
/// `instant.schema.ts`: the same module `codegen rust` makes from the written file.
#[tokio::test(flavor = "multi_thread")]
async fn pull_rust_writes_the_module_of_the_pulled_schema() {
    use instantdb_schema::{Has, i};

    let emulator = instantdb_emulator::Emulator::builder()
        .start()
        .await
        .unwrap();
    let api = instantdb_platform::PlatformClient::builder()
        .token(emulator.platform_token())
        .api_uri(emulator.base_url())
        .build()
        .unwrap();
    let schema = i::schema()
        .entities([
            ("todos", i::entity([("title", i::string().indexed())])),
            ("owners", i::entity([("name", i::string())])),
        ])
        .links([(
            "todosOwner",
            i::link(
                i::forward("todos", Has::One, "owner"),
                i::reverse("owners", Has::Many, "todos"),
            ),
        )]);
    let app = api
        .create_app("Rust pull")
        .schema(&schema)
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app_id = app.id.to_string();
    let mut command = Command::new(env!("CARGO_BIN_EXE_instant"));
    command
        .args([
            "pull",
            "schema",
            "--yes",
            "--rust",
            "src/instant_schema.rs",
            "--app",
            &app_id,
        ])
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join(".config"))
        .env("INSTANT_CLI_API_URI", emulator.base_url())
        .env("INSTANT_CLI_AUTH_TOKEN", emulator.platform_token());
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let written = std::fs::read_to_string(dir.path().join("src/instant_schema.rs")).unwrap();
    let ts = dir.path().join("instant.schema.ts");
    let regenerated = instant(&["codegen", "rust", "--schema", ts.to_str().unwrap()]);
    assert_eq!(written, String::from_utf8(regenerated.stdout).unwrap());
    assert!(written.contains("pub struct Todo {"), "{written}");
    assert!(written.contains("pub const owner: rt::Link<super::Todo, super::Owner, rt::One>"));
}
