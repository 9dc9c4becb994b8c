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

#[test]
fn version_is_printed_with_v_and_capital_v_anywhere() {
    let expected = format!("instant {}\n", env!("CARGO_PKG_VERSION"));
    for args in [&["-v"][..], &["-V"], &["--version"]] {
        let out = instant(args, "");
        assert_eq!(stdout(&out), expected, "{args:?}");
    }
    // After a command, clap names the command: `instant-pull 0.1.0`.
    let out = instant(&["pull", "-v"], "");
    assert_eq!(
        stdout(&out),
        format!("instant-pull {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn global_options_are_accepted_before_and_after_the_command() {
    // Bad --timeout values are refused the same way wherever the option stands.
    for args in [
        &["--timeout", "x", "-y", "--env", "none.env", "logout"][..],
        &["logout", "--timeout", "x"],
    ] {
        let out = instant(args, "");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("instant logout:"), "{args:?}: {stderr}");
    }
    let help = instant(&["push", "--help"], "");
    let help = stdout(&help);
    for needle in [
        "-t, --token <TOKEN>",
        "-y, --yes",
        "--env <FILE>",
        "--api-uri <URL>",
        "--timeout <SECONDS>",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
}

#[test]
fn the_help_lists_every_command_and_the_global_options() {
    let out = instant(&["--help"], "");
    expect_test::expect![[r#"
        The `instant` command-line tool: log in, pull and push `instant.schema.ts` / `instant.perms.ts` against Instant Cloud or a self-hosted server, code generation and parsing without Node.js, a local server, and an end-to-end demo of the SDK.

        Usage: instant [OPTIONS] <COMMAND>

        Commands:
          codegen             Generate `instant.schema.ts` or `instant.perms.ts` from JSON
          parse               Read `instant.schema.ts` or `instant.perms.ts` and print its JSON
          dev                 Run a local InstantDB-compatible server (the emulator) until Ctrl-C
          demo                Show the SDK end to end on an embedded emulator: create an app, push a schema change, write `instant.schema.ts` / `instant.perms.ts`, transact and query (no account needed)
          login               Log in to an Instant server through its dashboard (or store a token) and keep the token where instant-cli keeps it
          logout              Forget the stored login for a server
          init                Set up a new project: pick, create or import an app, write .env, then pull the schema and perms (or offer to push local ones)
          whoami              Show the server, the account the commands act as, the app, and which token the app commands use (each token checked with the server)
          info                Display CLI version, login status, and app info
          app                 Manage individual InstantDB apps
          init-without-files  Generate a new app id and admin token pair without any files
          claim               Claim a temporary app (its id and admin token from the environment or .env) for your account
          explorer            Opens the Explorer in your browser
          query               Run an InstaQL query against your app
          webhook             Manage webhooks for an app
          backup              View and download backups of your app
          auth                Manage authentication for your app (OAuth clients, redirect origins)
          pull                Write an app's schema and permission rules to `instant.schema.ts` / `instant.perms.ts`
          push                Apply `instant.schema.ts` / `instant.perms.ts` to an app: plan, confirm, push, and follow the background jobs
          help                Print this message or the help of the given subcommand(s)

        Options:
          -t, --token <TOKEN>      The token to send instead of the stored login (default: `$INSTANT_CLI_AUTH_TOKEN`, then an app admin token from `$INSTANT_APP_ADMIN_TOKEN` for app commands, then the stored login). `instant login --token T` checks T with the server and stores it (`-` reads it from stdin). Prefer the variable: options show up in the process list
          -y, --yes                Answer yes to every question (confirmations, overwrites; new names are created rather than asked about)
              --env <FILE>         Read variables from this file instead of `.env`, `.env.local`, `.env.<NODE_ENV>` and `.env.<NODE_ENV>.local` (variables set in the shell always win)
              --api-uri <URL>      The Instant server to talk to (default: `$INSTANT_CLI_API_URI`, else `http://localhost:8888` if `$INSTANT_CLI_DEV` is set, else `https://api.instantdb.com`). Logins are kept per server
              --timeout <SECONDS>  How long to wait for each answer of the server, in seconds (default: `$INSTANT_CLI_TIMEOUT`, else 300 as instant-cli)
          -v, --version            Print the version number (`-V` too)
          -h, --help               Print help
    "#]].assert_eq(stdout(&out));
}

#[test]
fn every_command_has_help() {
    for command in [
        &["login"][..],
        &["logout"],
        &["whoami"],
        &["info"],
        &["init"],
        &["pull"],
        &["push"],
        &["app"],
        &["app", "list"],
        &["app", "create"],
        &["app", "delete"],
        &["init-without-files"],
        &["claim"],
        &["explorer"],
        &["query"],
        &["webhook", "list"],
        &["webhook", "add"],
        &["webhook", "update"],
        &["webhook", "delete"],
        &["webhook", "enable"],
        &["webhook", "disable"],
        &["webhook", "event", "list"],
        &["webhook", "event", "resend"],
        &["webhook", "event", "payload"],
        &["backup", "list"],
        &["backup", "download"],
        &["auth", "client", "list"],
        &["auth", "client", "delete"],
        &["auth", "origin", "list"],
        &["auth", "origin", "add"],
        &["auth", "origin", "delete"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let out = instant(&args, "");
        let help = stdout(&out);
        assert!(help.contains("Usage: instant "), "{command:?}:\n{help}");
        assert!(help.contains("--api-uri <URL>"), "{command:?}:\n{help}");
    }
}
