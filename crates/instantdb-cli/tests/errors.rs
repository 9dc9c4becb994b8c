//! What a new user tripped over (issue 12): refused tokens, checked logins, unreachable and
//! slow servers, `.env` files found from a subdirectory, schemas refused before anything is
//! sent, and `--rename` typos. The `instant` binary runs as a process against scripted servers
//! (`instantdb-test-support`) or the in-process emulator, with HOME in a temporary directory.

// Helpers outside #[test] functions panic on purpose too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod sandbox;

use std::path::Path;
use std::time::Duration;

use sandbox::{Sandbox, exit};

use instantdb_emulator::Emulator;
use instantdb_platform::PlatformClient;
use instantdb_test_support::{Reply, ScriptedServer};
use serde_json::json;

/// What the platform routes answer for an unknown personal access token (platform-sdk.md
/// §15.1, `req->superadmin-user!`).
fn unknown_user() -> Reply {
    Reply::json(
        400,
        json!({"type": "record-not-found", "message": "Record not found: instant-user",
               "hint": {"record-type": "instant-user"}}),
    )
}

const APP: &str = "7b1e7c38-4a8e-4f0e-9a3b-2f4c1d0e5a6b";

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_says_to_log_in_again_and_is_not_stored() {
    let server = ScriptedServer::start().await;
    server.set_fallback(Some(unknown_user()));
    let sandbox = Sandbox::new(&server.url());
    let login_hint = format!(
        "Log in again with `instant login --api-uri {}`",
        server.url()
    );

    let whoami = sandbox.run(&["whoami", "-t", "per_typo"], &[]).await;
    let (_, stderr) = exit(&whoami, 1);
    assert!(
        stderr.starts_with(&format!(
            "instant whoami: checking the token: {} refused the token given with --token: the \
             token is unknown to this server, expired or revoked.\n{login_hint}",
            server.url()
        )),
        "{stderr}"
    );
    assert!(
        !stderr.contains("per_typo"),
        "the token was printed: {stderr}"
    );

    // The global option works before the command too, and `login --token` checks first.
    let login = sandbox.run(&["--token", "per_typo", "login"], &[]).await;
    let (stdout, stderr) = exit(&login, 1);
    assert!(
        stderr.contains("refused the token given with --token"),
        "{stderr}"
    );
    assert!(!stdout.contains("Stored"), "{stdout}");
    assert!(!sandbox.token_file().exists(), "a refused token was stored");

    // The same for a token from the environment, on an app command.
    let pull = sandbox
        .run(
            &["pull", "--app", APP],
            &[("INSTANT_CLI_AUTH_TOKEN", "per_expired")],
        )
        .await;
    let (_, stderr) = exit(&pull, 1);
    assert!(
        stderr.contains("refused the token in INSTANT_CLI_AUTH_TOKEN"),
        "{stderr}"
    );
    assert!(stderr.contains(&login_hint), "{stderr}");
}

#[test]
fn unknown_users_are_auth_failures_for_the_library() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let server = ScriptedServer::start().await;
        server.push(unknown_user());
        let api = PlatformClient::builder()
            .api_uri(server.url())
            .token("per_typo")
            .build()
            .unwrap();
        let err = api.get_apps().send().await.unwrap_err();
        assert!(err.is_auth_failure(), "{err}");
    });
}

async fn emulator() -> Emulator {
    Emulator::builder().start().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn login_token_is_checked_then_stored_and_whoami_shows_the_env_admin_token() {
    let emulator = emulator().await;
    let sandbox = Sandbox::new(emulator.base_url());
    let token = emulator.platform_token().to_owned();

    let login = sandbox.run(&["login", "--token", &token], &[]).await;
    let (stdout, _) = exit(&login, 0);
    assert!(stdout.contains("Stored the token for"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(sandbox.token_file()).unwrap(),
        token
    );
    assert!(!stdout.contains(&token), "the token was printed");

    // An app admin token in `.env` at the project root, found from `src/`: whoami says the
    // app commands will use it, and checks it.
    let api = PlatformClient::builder()
        .api_uri(emulator.base_url())
        .token(token.as_str())
        .build()
        .unwrap();
    let app = api.create_app("Env app").send().await.unwrap();
    let admin = app.admin_token.clone().unwrap();
    sandbox.write(
        ".env",
        &format!(
            "NEXT_PUBLIC_INSTANT_APP_ID={}\nINSTANT_APP_ADMIN_TOKEN={}\n",
            app.id,
            admin.expose()
        ),
    );
    std::fs::create_dir_all(sandbox.project.join("src")).unwrap();
    let whoami = sandbox.run_in("src", &["whoami"], &[]).await;
    let (stdout, _) = exit(&whoami, 0);
    assert!(
        stdout.contains(
            "App commands (pull, push, query...) use the app admin token in INSTANT_APP_ADMIN_TOKEN."
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("App: Env app ({})", app.id)),
        "{stdout}"
    );
    assert!(
        !stdout.contains(admin.expose()),
        "the admin token was printed"
    );

    // A wrong admin token in `.env` is reported as refused.
    sandbox.write(
        ".env",
        &format!(
            "NEXT_PUBLIC_INSTANT_APP_ID={}\nINSTANT_APP_ADMIN_TOKEN=0b0e9d6c-1111-4222-8333-944445555666\n",
            app.id
        ),
    );
    let whoami = sandbox.run_in("src", &["whoami"], &[]).await;
    let (_, stderr) = exit(&whoami, 1);
    assert!(
        stderr.contains("refused the token in INSTANT_APP_ADMIN_TOKEN"),
        "{stderr}"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_servers_are_named() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let sandbox = Sandbox::new("http://unused.invalid");
    let output = sandbox
        .run(&["whoami", "--api-uri", &url, "-t", "per_x"], &[])
        .await;
    let (_, stderr) = exit(&output, 1);
    assert!(
        stderr.starts_with(&format!(
            "instant whoami: checking the token: could not connect to {url}"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("Is the server running"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_servers_show_a_wait_and_time_out_as_told() {
    let server = ScriptedServer::start().await;
    server.set_fallback(Some(
        Reply::json(200, json!({"user": {"id": "u", "email": "a@b.c"}}))
            .delay(Duration::from_secs(30)),
    ));
    let sandbox = Sandbox::new(&server.url());

    let output = sandbox
        .run(&["whoami", "-t", "tok", "--timeout", "2.5"], &[])
        .await;
    let (_, stderr) = exit(&output, 1);
    // Past two seconds the wait says what it waits for (a plain line: stderr is a pipe).
    assert!(
        stderr.starts_with(&format!(
            "checking the token: waiting for {}...\n",
            server.url()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "instant whoami: checking the token: {} did not answer within 2.5 s.",
            server.url()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("--timeout SECONDS"), "{stderr}");

    let output = sandbox
        .run(
            &["whoami", "-t", "tok"],
            &[("INSTANT_CLI_TIMEOUT", "300ms")],
        )
        .await;
    let (_, stderr) = exit(&output, 1);
    assert!(stderr.contains("did not answer within 300 ms"), "{stderr}");
    assert!(!stderr.contains("waiting for"), "{stderr}");

    let output = sandbox.run(&["whoami", "--timeout", "soon"], &[]).await;
    let (_, stderr) = exit(&output, 1);
    assert_eq!(
        stderr,
        "instant whoami: --timeout: `soon` is not a timeout: give seconds, such as 30, 0.5, \
         500ms or 2m\n"
    );
}

fn write_schema(dir: &Path, schema: &str) {
    std::fs::write(dir.join("instant.schema.ts"), schema).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_mistakes_are_caught_before_anything_is_sent() {
    let server = ScriptedServer::start().await;
    server.set_fallback(Some(unknown_user()));
    let sandbox = Sandbox::new(&server.url());
    write_schema(
        &sandbox.project,
        r#"import { i } from "@instantdb/core";

const _schema = i.schema({
  entities: {
    owners: i.entity({ name: i.string() }),
    todos: i.entity({ title: i.string(), owner: i.string() }),
  },
  links: {
    todosOwner: {
      forward: { on: "todos", has: "one", label: "owner" },
      reverse: { on: "owners", has: "many", label: "todos" },
    },
  },
  rooms: {},
});

export default _schema;
"#,
    );
    let output = sandbox
        .run(&["push", "schema", "-y", "--app", APP, "-t", "per_x"], &[])
        .await;
    let (_, stderr) = exit(&output, 1);
    assert_eq!(
        stderr,
        "instant push: Invalid Schema: todos.owner is both an attribute and a label of the link \
         `todosOwner`. Rename the attribute or the link label.\n"
    );

    // A rename without `:` (or without `entity.`): the message shows the expected form.
    let output = sandbox
        .run(
            &["push", "schema", "--app", APP, "--rename", "todos.title"],
            &[],
        )
        .await;
    let (_, stderr) = exit(&output, 1);
    assert!(
        stderr.contains(
            "Invalid rename command: todos.title. We expect a pattern like \
             `entityname.columnname:entityname.newcolumnname`, for example \
             `posts.name:posts.title`."
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("columname;"), "{stderr}");
    assert!(server.requests().is_empty(), "something was sent");
}
