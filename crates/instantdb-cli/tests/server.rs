//! The server commands (`login`, `logout`, `whoami`, `pull`, `push`) end to end: the `instant`
//! binary runs as a process against an in-process emulator (`--api-uri`), with HOME and
//! XDG_CONFIG_HOME in a temporary directory so the real login is never touched.
//!
//! Covered: `login` approved and denied through the emulator handle, and `--token -`; `whoami`;
//! `logout`; `pull` compared with `instantdb-typescript`'s output for the server's schema and
//! rules (rooms kept, `.env` app ids, `INSTANT_SCHEMA_FILE_PATH`, `--package`); `push` of a
//! rename with `--yes` that keeps the data, and of a unique violation that exits 1 with the job
//! error; a rules round trip; refused, missing and malformed credentials. The dotenv parser,
//! token file names and config directories (vectors from Node), the file search, the plan labels
//! and the line diff are unit tests in `src/`.

// Helpers outside #[test] functions panic on purpose too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use instantdb_admin::{AdminClient, tx};
use instantdb_emulator::Emulator;
use instantdb_platform::PlatformClient;
use instantdb_schema::perms::Rules;
use instantdb_schema::{Has, SchemaDef, i};
use instantdb_typescript::{
    Style, generate_perms_file, generate_schema_file, parse_schema_typescript_file,
};
use serde_json::{Value, json};

/// A sandbox: a home directory for the token files and a project directory to run in.
struct Sandbox {
    _dir: tempfile::TempDir,
    home: PathBuf,
    project: PathBuf,
    api_uri: String,
}

impl Sandbox {
    fn new(emulator: &Emulator) -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let project = dir.path().join("project");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&project).unwrap();
        Sandbox {
            _dir: dir,
            home,
            project,
            api_uri: emulator.base_url().to_owned(),
        }
    }

    /// `instant` in the project directory, with a clean Instant environment.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_instant"));
        command
            .args(args)
            .current_dir(&self.project)
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("INSTANT_CLI_API_URI", &self.api_uri)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.starts_with("INSTANT_") && name != "INSTANT_CLI_API_URI" {
                command.env_remove(name.as_ref());
            }
        }
        command
    }

    async fn run(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut command = self.command(args);
        for (name, value) in vars {
            command.env(name, value);
        }
        tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap()
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.project.join(name), text).unwrap();
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.project.join(name)).unwrap()
    }

    /// Where instant-cli keeps the login for this server.
    fn token_file(&self) -> PathBuf {
        let hash: String = ring::digest::digest(&ring::digest::SHA256, self.api_uri.as_bytes())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.home
            .join(".config/instantdb-prod-nodejs/auth")
            .join(hash)
    }

    /// `instant login --headless`, approving (or denying) the ticket the CLI prints.
    async fn login(&self, emulator: &Emulator, approve: bool) -> (Output, Vec<String>) {
        let mut command = self.command(&["login", "--headless", "--check-ms", "20"]);
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let line = line.unwrap();
                lines_tx.send(line).unwrap();
            }
        });
        let mut printed = Vec::new();
        let ticket = loop {
            let line = lines_rx
                .recv_timeout(Duration::from_secs(20))
                .expect("the login URL");
            printed.push(line.clone());
            if let Some((_, ticket)) = line.split_once("/dash?ticket=") {
                break uuid::Uuid::parse_str(ticket.trim()).unwrap();
            }
        };
        if approve {
            emulator.approve_cli_login(ticket).unwrap();
        } else {
            emulator.deny_cli_login(ticket).unwrap();
        }
        let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap();
        reader.join().unwrap();
        printed.extend(lines_rx.try_iter());
        (output, printed)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

async fn emulator() -> Emulator {
    Emulator::builder()
        .job_stage_delay(Duration::from_millis(20))
        .start()
        .await
        .unwrap()
}

fn platform(emulator: &Emulator) -> PlatformClient {
    PlatformClient::builder()
        .token(emulator.platform_token())
        .api_uri(emulator.base_url())
        .build()
        .unwrap()
}

fn todo_schema() -> SchemaDef {
    i::schema()
        .entities([
            (
                "todos",
                i::entity([("title", i::string()), ("done", i::boolean().optional())]),
            ),
            ("owners", i::entity([("name", i::string())])),
        ])
        .links([(
            "todosOwner",
            i::link(
                i::forward("todos", Has::One, "owner"),
                i::reverse("owners", Has::Many, "todos"),
            ),
        )])
}

const RULES: &str = r#"{"todos": {"allow": {"view": "true", "create": "auth.id != null"}}}"#;

#[tokio::test(flavor = "multi_thread")]
async fn login_whoami_and_logout_share_instant_clis_token_file() {
    let emulator = emulator().await;
    let sandbox = Sandbox::new(&emulator);

    let not_yet = sandbox.run(&["whoami"], &[]).await;
    assert!(assert_ok(&not_yet).contains("Not logged in."));

    let (output, printed) = sandbox.login(&emulator, true).await;
    assert_ok(&output);
    assert!(
        printed.contains(&"Successfully logged in as dev@localhost!".to_owned()),
        "{printed:?}"
    );
    let url = printed
        .iter()
        .find(|line| line.contains("ticket="))
        .unwrap()
        .trim();
    // A local server is its own dashboard: instantdb.com knows nothing of its logins.
    assert!(
        url.starts_with(&format!("{}/dash?ticket=", sandbox.api_uri)),
        "{url}"
    );

    // The token is where instant-cli looks for it, private, and was never printed.
    let file = sandbox.token_file();
    let token = std::fs::read_to_string(&file).unwrap();
    assert!(uuid::Uuid::parse_str(&token).is_ok(), "{token}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let all_output = format!("{}{}", printed.join("\n"), text(&output.stderr));
    assert!(!all_output.contains(&token), "the token was printed");

    let whoami = sandbox.run(&["whoami"], &[]).await;
    let whoami = assert_ok(&whoami);
    assert!(
        whoami.contains("Logged in as dev@localhost (the stored login)"),
        "{whoami}"
    );
    assert!(whoami.contains(&format!("API URI: {}", sandbox.api_uri)));
    assert!(!whoami.contains(&token));

    let logout = sandbox.run(&["logout"], &[]).await;
    assert!(assert_ok(&logout).contains("Successfully logged out"));
    assert!(!file.exists());
    let again = sandbox.run(&["logout"], &[]).await;
    assert!(assert_ok(&again).contains("already logged out"));

    // A denied login fails and stores nothing.
    let (denied, _) = sandbox.login(&emulator, false).await;
    assert_eq!(denied.status.code(), Some(1));
    assert!(
        text(&denied.stderr).contains("The login was denied"),
        "{}",
        text(&denied.stderr)
    );
    assert!(!file.exists());

    // A given token is checked with the server, then stored as is (here from stdin).
    let mut command = sandbox.command(&["login", "--token", "-"]);
    command.stdin(Stdio::piped());
    let mut child = command.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("  {} \n", emulator.platform_token()).as_bytes())
        .unwrap();
    let stored = child.wait_with_output().unwrap();
    assert!(assert_ok(&stored).contains("Stored the token for"));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        emulator.platform_token()
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pull_writes_what_instant_cli_writes_and_keeps_rooms() {
    let emulator = emulator().await;
    let sandbox = Sandbox::new(&emulator);
    let api = platform(&emulator);
    let rules = Rules::from_json(RULES).unwrap();
    let app = api
        .create_app("Pulled")
        .schema(&todo_schema())
        .perms(&rules)
        .send()
        .await
        .unwrap();
    sandbox.write(
        "package.json",
        r#"{"dependencies": {"@instantdb/react": "^1.0.0"}}"#,
    );
    // The app id from a .env file, the token from the environment.
    sandbox.write(".env", &format!("NEXT_PUBLIC_INSTANT_APP_ID={}\n", app.id));
    let token = [("INSTANT_CLI_AUTH_TOKEN", emulator.platform_token())];

    let pulled = sandbox.run(&["pull"], &token).await;
    let stdout = assert_ok(&pulled);
    assert!(
        stdout.contains("Wrote schema to instant.schema.ts"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Wrote permissions to instant.perms.ts"),
        "{stdout}"
    );

    let server_schema = api.get_schema(&app.id).send().await.unwrap().schema;
    let server_rules = api.get_perms(&app.id).send().await.unwrap();
    let expected_schema =
        generate_schema_file(None, &server_schema, "@instantdb/react", Style::Prettier);
    assert_eq!(sandbox.read("instant.schema.ts"), expected_schema);
    assert_eq!(
        sandbox.read("instant.perms.ts"),
        generate_perms_file(server_rules.as_ref(), "@instantdb/react", Style::Prettier)
    );

    // Pulling again changes nothing and asks nothing.
    let again = sandbox.run(&["pull"], &token).await;
    let stdout = assert_ok(&again);
    assert!(
        stdout.contains("instant.schema.ts is already up to date."),
        "{stdout}"
    );

    // Rooms live only in the file: a pull keeps them. Overwriting needs --yes without a
    // terminal.
    let with_rooms = expected_schema.replace(
        "  rooms: {},",
        "  rooms: {\n    chat: {\n      presence: i.entity({\n        name: i.string(),\n      }),\n    },\n  },",
    );
    assert_ne!(with_rooms, expected_schema);
    let edited = with_rooms.replace("done: i.boolean().optional(),\n", "");
    sandbox.write("instant.schema.ts", &edited);
    let refused = sandbox.run(&["pull", "schema"], &token).await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("Re-run with --yes"));
    assert_eq!(sandbox.read("instant.schema.ts"), edited);
    let forced = sandbox.run(&["pull", "schema", "--yes"], &token).await;
    assert_ok(&forced);
    let prev = parse_schema_typescript_file(&edited, "instant.schema.ts").unwrap();
    assert_eq!(
        sandbox.read("instant.schema.ts"),
        generate_schema_file(
            Some(&prev),
            &server_schema,
            "@instantdb/react",
            Style::Prettier
        )
    );
    assert!(sandbox.read("instant.schema.ts").contains("chat: {"));

    // --experimental-type-preservation keeps the types of the file it replaces, and their
    // imports.
    let typed = sandbox
        .read("instant.schema.ts")
        .replace(
            "done: i.boolean().optional(),",
            "done: i.boolean<Done>().optional(),",
        )
        .replacen(
            "import { i }",
            "import type { Done } from \"./types\";\nimport { i }",
            1,
        );
    assert!(typed.contains("i.boolean<Done>()"), "{typed}");
    sandbox.write(
        "instant.schema.ts",
        &typed.replace("  rooms: {", "  rooms: {\n"),
    );
    let plain = sandbox.run(&["pull", "schema", "--yes"], &token).await;
    assert_ok(&plain);
    assert!(!sandbox.read("instant.schema.ts").contains("<Done>"));
    sandbox.write("instant.schema.ts", &typed);
    let kept = sandbox
        .run(
            &[
                "pull",
                "schema",
                "--yes",
                "--experimental-type-preservation",
            ],
            &token,
        )
        .await;
    assert_ok(&kept);
    let written = sandbox.read("instant.schema.ts");
    assert!(
        written.contains("done: i.boolean<Done>().optional(),"),
        "{written}"
    );
    assert!(
        written.contains("import type { Done } from \"./types\";\n"),
        "{written}"
    );

    // INSTANT_SCHEMA_FILE_PATH and --package.
    let custom = sandbox
        .run(
            &["pull", "schema", "--package", "admin"],
            &[token[0], ("INSTANT_SCHEMA_FILE_PATH", "db/schema.ts")],
        )
        .await;
    assert!(assert_ok(&custom).contains("Using INSTANT_SCHEMA_FILE_PATH=db/schema.ts"));
    assert_eq!(
        sandbox.read("db/schema.ts"),
        generate_schema_file(None, &server_schema, "@instantdb/admin", Style::Prettier)
    );
    emulator.shutdown().await;
}

/// Todos written with the admin API, for the push's jobs to check.
async fn add_todos(emulator: &Emulator, app_id: &str, admin_token: &str, titles: &[&str]) {
    let db = AdminClient::builder(app_id)
        .admin_token(admin_token)
        .api_uri(emulator.base_url())
        .build()
        .unwrap();
    let chunks: Vec<_> = titles
        .iter()
        .map(|title| tx("todos", instantdb_admin::id()).update(json!({"title": title})))
        .collect();
    db.transact(chunks).send().await.unwrap();
}

async fn todo_values(
    emulator: &Emulator,
    app_id: &str,
    admin_token: &str,
    attr: &str,
) -> Vec<Value> {
    let db = AdminClient::builder(app_id)
        .admin_token(admin_token)
        .api_uri(emulator.base_url())
        .build()
        .unwrap();
    let result: Value = db.query(json!({"todos": {}})).send().await.unwrap();
    let mut values: Vec<Value> = result["todos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|todo| todo[attr].clone())
        .collect();
    values.sort_by_key(|v| v.to_string());
    values
}

#[tokio::test(flavor = "multi_thread")]
async fn push_renames_with_yes_and_fails_on_a_unique_violation() {
    let emulator = emulator().await;
    let sandbox = Sandbox::new(&emulator);
    let api = platform(&emulator);
    let app = api
        .create_app("Pushed")
        .schema(&todo_schema())
        .send()
        .await
        .unwrap();
    let admin_token = app.admin_token.clone().unwrap();
    add_todos(
        &emulator,
        &app.id,
        admin_token.expose(),
        &["Write docs", "Ship", "Ship"],
    )
    .await;
    // Logged in through the dashboard, as a user would be.
    let (login, _) = sandbox.login(&emulator, true).await;
    assert_ok(&login);
    let app_arg = ["--app", app.id.as_str()];

    let pulled = sandbox
        .run(&["pull", "schema", app_arg[0], app_arg[1]], &[])
        .await;
    assert_ok(&pulled);
    let original = sandbox.read("instant.schema.ts");
    assert!(
        original.contains("      title: i.string(),\n"),
        "{original}"
    );

    // Nothing changed: nothing to push.
    let noop = sandbox
        .run(&["push", "schema", "--yes", app_arg[0], app_arg[1]], &[])
        .await;
    assert!(assert_ok(&noop).contains("No schema changes to apply!"));

    // Rename title to text and index it; drop `done`.
    let renamed = original
        .replace(
            "      title: i.string(),\n",
            "      text: i.string().indexed(),\n",
        )
        .replace("      done: i.any().optional(),\n", "")
        .replace("      done: i.boolean().optional(),\n", "");
    sandbox.write("instant.schema.ts", &renamed);
    // Without --yes and without a terminal, nothing is pushed.
    let refused = sandbox
        .run(
            &[
                "push",
                "schema",
                app_arg[0],
                app_arg[1],
                "--rename",
                "todos.title:todos.text",
            ],
            &[],
        )
        .await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("Re-run with --yes"),
        "{}",
        text(&refused.stderr)
    );
    let pushed = sandbox
        .run(
            &[
                "push",
                "schema",
                app_arg[0],
                app_arg[1],
                "--yes",
                "--poll-ms",
                "10",
                "--rename",
                "todos.title:todos.text",
            ],
            &[],
        )
        .await;
    let stdout = assert_ok(&pushed);
    assert!(
        stdout.contains("* RENAME ATTR todos.title -> todos.text"),
        "{stdout}"
    );
    assert!(stdout.contains("+ CREATE INDEX todos.text"), "{stdout}");
    assert!(stdout.contains("- DELETE ATTR todos.done"), "{stdout}");
    assert!(stdout.contains("Schema updated!"), "{stdout}");
    assert!(
        stdout.contains("Finished adding index to todos.text."),
        "{stdout}"
    );

    // The data moved with the rename.
    assert_eq!(
        todo_values(&emulator, &app.id, admin_token.expose(), "text").await,
        [json!("Ship"), json!("Ship"), json!("Write docs")]
    );
    let schema = api.get_schema(&app.id).send().await.unwrap().schema;
    let todos = &schema.entities["todos"];
    assert!(todos.attrs["text"].indexed);
    assert!(!todos.attrs.contains_key("title") && !todos.attrs.contains_key("done"));

    // `text` unique over two "Ship"s: the job fails, and so does the command.
    let unique = renamed.replace(
        "      text: i.string().indexed(),\n",
        "      text: i.string().unique().indexed(),\n",
    );
    sandbox.write("instant.schema.ts", &unique);
    sandbox.write(
        "instant.perms.ts",
        "const rules = { todos: { allow: { view: \"true\" } } };\nexport default rules;\n",
    );
    // `push` (all): the schema part fails, so the permissions are not pushed, and it says so.
    let failed = sandbox
        .run(
            &["push", app_arg[0], app_arg[1], "--yes", "--poll-ms", "10"],
            &[],
        )
        .await;
    let stdout = text(&failed.stdout);
    let stderr = text(&failed.stderr);
    assert_eq!(failed.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("* MAKE UNIQUE todos.text"), "{stdout}");
    assert!(
        stdout.contains("INVALID DATA adding uniqueness constraint to todos.text")
            || stdout.contains("Error adding uniqueness constraint to todos.text"),
        "{stdout}"
    );
    assert!(stdout.contains("triple-not-unique-error"), "{stdout}");
    assert!(
        stderr.contains("Some steps failed while updating schema: 1 of 1 schema operations failed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("The permissions were not pushed, because the schema push failed."),
        "{stderr}"
    );
    // "Schema updated!" only after every background job succeeded.
    assert!(!stdout.contains("Schema updated!"), "{stdout}");
    assert!(!stdout.contains("Planning perms"), "{stdout}");
    let schema = api.get_schema(&app.id).send().await.unwrap().schema;
    assert!(!schema.entities["todos"].attrs["text"].unique);
    assert!(api.get_perms(&app.id).send().await.unwrap().is_none());
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn perms_round_trip_and_refused_tokens() {
    let emulator = emulator().await;
    let sandbox = Sandbox::new(&emulator);
    let api = platform(&emulator);
    let app = api
        .create_app("Perms")
        .schema(&todo_schema())
        .send()
        .await
        .unwrap();
    let token = [("INSTANT_CLI_AUTH_TOKEN", emulator.platform_token())];
    let app_arg = ["--app", app.id.as_str()];

    sandbox.write(
        "instant.perms.ts",
        "import type { InstantRules } from \"@instantdb/react\";\n\nconst rules = {\n  todos: {\n    allow: {\n      view: \"true\",\n      create: \"isOwner\",\n    },\n    bind: [\"isOwner\", \"auth.id != null\"],\n  },\n} satisfies InstantRules;\n\nexport default rules;\n",
    );
    let pushed = sandbox
        .run(&["push", "perms", "--yes", app_arg[0], app_arg[1]], &token)
        .await;
    let stdout = assert_ok(&pushed);
    assert!(stdout.contains("  +   \"todos\": {"), "{stdout}");
    assert!(stdout.contains("Permissions updated!"), "{stdout}");
    let stored = api.get_perms(&app.id).send().await.unwrap().unwrap();
    assert_eq!(
        stored.to_value(),
        json!({"todos": {"allow": {"view": "true", "create": "isOwner"},
                         "bind": ["isOwner", "auth.id != null"]}})
    );
    let again = sandbox
        .run(&["push", "perms", "--yes", app_arg[0], app_arg[1]], &token)
        .await;
    assert!(assert_ok(&again).contains("No perms changes to apply!"));

    // Changed on the server, pulled back into the file.
    let changed = Rules::from_json(RULES).unwrap();
    api.push_perms(&app.id, &changed).send().await.unwrap();
    sandbox.write(
        "package.json",
        r#"{"devDependencies": {"@instantdb/admin": "1"}}"#,
    );
    let pulled = sandbox
        .run(&["pull", "perms", "--yes", app_arg[0], app_arg[1]], &token)
        .await;
    assert_ok(&pulled);
    assert_eq!(
        sandbox.read("instant.perms.ts"),
        generate_perms_file(Some(&changed), "@instantdb/admin", Style::Prettier)
    );

    // A token the server does not know: a clear error naming the token, exit 1.
    let wrong = [(
        "INSTANT_CLI_AUTH_TOKEN",
        "0b0e9d6c-1111-4222-8333-944445555666",
    )];
    let refused = sandbox
        .run(&["pull", "perms", app_arg[0], app_arg[1]], &wrong)
        .await;
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.starts_with(&format!(
            "instant pull: pulling the permissions: {} refused the token in \
             INSTANT_CLI_AUTH_TOKEN: the token is unknown to this server, expired or revoked.\n\
             Log in again with `instant login --api-uri {}`",
            sandbox.api_uri, sandbox.api_uri
        )),
        "{stderr}"
    );
    assert!(stderr.contains("instant login --api-uri"), "{stderr}");
    assert!(!stderr.contains("0b0e9d6c-1111"), "{stderr}");

    // No token at all.
    let none = sandbox
        .run(&["push", "perms", app_arg[0], app_arg[1]], &[])
        .await;
    assert_eq!(none.status.code(), Some(1));
    assert!(
        text(&none.stderr).contains("You are not logged in"),
        "{}",
        text(&none.stderr)
    );

    // Bad app ids and rename commands are refused before anything is sent.
    let bad = sandbox.run(&["pull", "--app", "my-app"], &token).await;
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("`my-app` is not an app id"));
    let bad_rename = sandbox
        .run(
            &[
                "push", "schema", app_arg[0], app_arg[1], "--rename", "title",
            ],
            &token,
        )
        .await;
    assert_eq!(bad_rename.status.code(), Some(1));
    assert!(text(&bad_rename.stderr).contains("Invalid rename command: title"));
    emulator.shutdown().await;
}

#[test]
fn server_commands_document_their_settings() {
    let help = Command::new(env!("CARGO_BIN_EXE_instant"))
        .args(["push", "--help"])
        .output()
        .unwrap();
    let help = text(&help.stdout);
    for needle in [
        "--api-uri <URL>",
        "INSTANT_CLI_API_URI",
        "--rename <FROM:TO>",
        "INSTANT_SCHEMA_FILE_PATH",
        "read without running them",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
}
