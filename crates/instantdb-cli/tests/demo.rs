//! `instant demo`: the whole run against its embedded emulator, its printed steps, and the
//! files it writes, read back and compared with the schema and rules it pushed.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use instantdb_schema::i;
use instantdb_schema::perms::Rules;
use instantdb_typescript::{parse_perms_typescript_file, parse_schema_typescript_file};

/// Background jobs take two stages each; 20 ms keeps the test quick.
const FAST_JOBS: [&str; 2] = ["--job-stage-ms", "20"];

fn demo(args: &[&str], out: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_instant"));
    command.arg("demo").args(FAST_JOBS).args(args);
    if let Some(out) = out {
        command.arg("--out").arg(out);
    }
    command
        .stdin(Stdio::null())
        .output()
        .expect("run instant demo")
}

/// The line that starts with `prefix` (after indentation), without it.
fn field<'a>(stdout: &'a str, prefix: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|line| line.trim_start().strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{stdout}"))
}

#[test]
fn demo_runs_the_sdk_end_to_end_and_writes_the_pushed_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("generated");
    let output = demo(&[], Some(&out_dir));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{stdout}\n{stderr}");

    assert!(field(&stdout, "[1/8] Started an emulator at ").starts_with("http://127.0.0.1:"));
    let app_id = field(&stdout, "app id: ");
    assert_eq!(app_id.len(), 36, "{app_id}");
    assert!(field(&stdout, "[3/8] Added 3 todos").contains("tx id "));
    // The plan, then each step's outcome: the index job really ran over the 3 todos.
    assert_eq!(
        field(&stdout, "[4/8] "),
        "Planned a schema change: 2 steps (platform planSchemaPush)"
    );
    assert!(
        stdout.contains("      index      Add index to todos.title.\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("      add-attr   Add attribute todos.completedAt.\n"),
        "{stdout}"
    );
    assert!(
        field(&stdout, "[5/8] ").starts_with("Pushed the change: Finished 2 schema operations."),
        "{stdout}"
    );
    let index = field(&stdout, "index      Add index to todos.title.  ");
    assert!(
        index
            .trim_start()
            .starts_with("job completed, 3 of 3 triples checked"),
        "{index}"
    );
    assert_eq!(
        field(&stdout, "add-attr   Add attribute todos.completedAt. ").trim(),
        "applied"
    );
    // stderr is a pipe: plain progress lines instead of a bar, ending with the final count; the
    // words count what the counter counts.
    assert!(stderr.ends_with("2/2 schema operations done\n"), "{stderr}");

    let schema_path = out_dir.join("instant.schema.ts");
    let perms_path = out_dir.join("instant.perms.ts");
    assert!(
        stdout.contains(&format!("      {}\n", schema_path.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("      {}\n", perms_path.display())),
        "{stdout}"
    );
    assert!(
        field(&stdout, "[7/8] ").contains("(admin transact, tx id "),
        "{stdout}"
    );

    // The query result: ordered by title, with the write of step 7.
    let result = &stdout[stdout.find("[8/8]").unwrap()..];
    let at = |text: &str| {
        result
            .find(text)
            .unwrap_or_else(|| panic!("{text} in {result}"))
    };
    assert!(
        result.contains(r#"{"todos":{"$":{"order":{"title":"asc"}}}} →"#),
        "{result}"
    );
    assert!(at("\"Celebrate\"") < at("\"Ship the demo\""));
    assert!(at("\"Ship the demo\"") < at("\"Write docs\""));
    assert!(at("\"Write docs\"") < at("\"completedAt\""));
    assert!(stdout.contains("\nDone in "), "{stdout}");

    // The files: exactly these two (the atomic writes left no temporary file), and they read
    // back as the pushed schema (plus the system entities the server adds) and rules.
    let mut names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["instant.perms.ts", "instant.schema.ts"]);
    let schema_ts = std::fs::read_to_string(&schema_path).unwrap();
    let schema = parse_schema_typescript_file(&schema_ts, "instant.schema.ts").unwrap();
    let pushed = i::schema().entities([(
        "todos",
        i::entity([
            ("title", i::string().indexed()),
            ("done", i::boolean()),
            ("completedAt", i::date().optional()),
        ]),
    )]);
    assert_eq!(schema.entities["todos"], pushed.entities["todos"]);
    for name in schema.entities.keys() {
        assert!(
            name == "todos" || name.starts_with('$'),
            "unexpected entity {name}"
        );
    }
    assert!(
        schema_ts.contains("    todos: i.entity({\n"),
        "prettier style: {schema_ts}"
    );
    let perms_ts = std::fs::read_to_string(&perms_path).unwrap();
    let rules = parse_perms_typescript_file(&perms_ts, "instant.perms.ts").unwrap();
    let expected = Rules::from_json(
        r#"{
          "$default": {"allow": {"$default": false}},
          "todos": {
            "allow": {"view": "true", "create": "isOwner", "update": "isOwner", "delete": "isOwner"},
            "bind": {"isOwner": "auth.id != null && auth.id == data.creatorId"}
          }
        }"#,
    )
    .unwrap();
    assert_eq!(rules, expected);
}

#[test]
fn demo_refuses_an_out_path_that_is_a_file_before_doing_anything() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let output = demo(&[], Some(file.path()));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr,
        format!(
            "instant demo: --out {}: not a directory\n",
            file.path().display()
        )
    );
}

#[test]
fn keep_running_leaves_the_emulator_up_with_working_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_instant"))
        .arg("demo")
        .args(FAST_JOBS)
        .arg("--keep-running")
        .arg("--out")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let printed = common::read_until(&mut child, "platform token:").join("\n");
    let url = field(&printed, "API URI:").trim().to_owned();
    let app_id = field(&printed, "app id:").trim().to_owned();
    let admin_token = field(&printed, "admin token:").trim().to_owned();
    assert!(
        field(&printed, "platform token:")
            .trim()
            .starts_with("per_")
    );

    // The demo's todos are still there for a raw admin query with the printed credentials.
    let body = r#"{"query":{"todos":{"$":{"where":{"done":true}}}}}"#;
    let response = common::raw_admin_query(&url, &app_id, &admin_token, body);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(r#""title":"Write docs""#), "{response}");
    assert!(!response.contains("Celebrate"), "{response}");
}
