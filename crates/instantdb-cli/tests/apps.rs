//! The app commands (`info`, `app list|create|delete`, `init-without-files`, `claim`,
//! `explorer`, `query`) end to end against the in-process emulator, and their error paths
//! against scripted servers.

// Helpers outside #[test] functions panic on purpose too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod sandbox;

use instantdb_emulator::Emulator;
use instantdb_test_support::{Reply, ScriptedServer};
use sandbox::{Sandbox, exit};
use serde_json::{Value, json};

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{err}: {text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn apps_are_created_listed_queried_claimed_and_deleted() {
    // The dashboard routes take the ticket login's token, as from `instant dev`.
    let emulator = Emulator::builder()
        .auto_approve_cli_login(true)
        .start()
        .await
        .unwrap();
    let sandbox = Sandbox::new(emulator.base_url());
    let login = sandbox
        .run(&["login", "--headless", "--check-ms", "10"], &[])
        .await;
    let (stdout, _) = exit(&login, 0);
    assert!(stdout.contains("Successfully logged in as"), "{stdout}");

    let created = sandbox
        .run(&["app", "create", "--title", "Demo"], &[])
        .await;
    let (stdout, _) = exit(&created, 0);
    let id = stdout
        .strip_prefix("Created app \"Demo\" (")
        .and_then(|rest| rest.strip_suffix(").\n"))
        .unwrap_or_else(|| panic!("{stdout}"))
        .to_owned();

    let listed = sandbox.run(&["app", "list", "--json"], &[]).await;
    let (stdout, _) = exit(&listed, 0);
    let apps = json_of(&stdout);
    assert!(
        apps.as_array()
            .unwrap()
            .contains(&json!({"id": id, "title": "Demo"})),
        "{stdout}"
    );
    let listed = sandbox.run(&["app", "list"], &[]).await;
    let (stdout, _) = exit(&listed, 0);
    assert!(
        stdout
            .lines()
            .any(|line| line.starts_with("Demo") && line.ends_with(&id)),
        "{stdout}"
    );

    // init-without-files: the JSON contract on stdout, the success line on stderr.
    let init = sandbox
        .run(&["init-without-files", "--title", "Scripted"], &[])
        .await;
    let (stdout, stderr) = exit(&init, 0);
    assert_eq!(stderr, "Successfully created new app!\n\n");
    let contract = json_of(&stdout);
    assert_eq!(contract["error"], Value::Null);
    let new_id = contract["app"]["appId"].as_str().unwrap().to_owned();
    let admin_token = contract["app"]["adminToken"].as_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&admin_token).is_ok(), "{stdout}");

    // query, with the new app's admin token from .env (found from src/).
    sandbox.write(
        ".env",
        &format!("VITE_INSTANT_APP_ID={new_id}\nINSTANT_APP_ADMIN_TOKEN={admin_token}\n"),
    );
    std::fs::create_dir_all(sandbox.project.join("src")).unwrap();
    let query = sandbox
        .run_in("src", &["query", "{ todos: {}, }", "--json"], &[])
        .await;
    let (stdout, _) = exit(&query, 0);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(json_of(&stdout).get("todos").is_some(), "{stdout}");
    let bad = sandbox.run(&["query", "{ todos: "], &[]).await;
    let (_, stderr) = exit(&bad, 1);
    assert!(
        stderr.starts_with("instant query: the query is not JSON5:"),
        "{stderr}"
    );
    let two = sandbox
        .run(&["query", "{}", "--admin", "--as-guest"], &[])
        .await;
    let (_, stderr) = exit(&two, 1);
    assert!(
        stderr.contains("Please specify exactly one context"),
        "{stderr}"
    );

    // info: version, login, app (its admin token checked).
    let info = sandbox.run(&["info"], &[]).await;
    let (stdout, _) = exit(&info, 0);
    assert!(stdout.starts_with("CLI version: "), "{stdout}");
    assert!(
        stdout.contains(&format!("App: Scripted ({new_id})")),
        "{stdout}"
    );
    assert!(!stdout.contains(&admin_token), "{stdout}");

    // explorer on a headless machine prints the local server's page.
    let explorer = sandbox
        .run(&["explorer", "-a", &id], &[("INSTANT_CLI_NO_BROWSER", "1")])
        .await;
    let (stdout, _) = exit(&explorer, 0);
    assert!(
        stdout.ends_with(&format!(
            "{}/dash?s=main&app={id}&t=explorer\n",
            emulator.base_url()
        )),
        "{stdout}"
    );

    // A temporary app, claimed with its admin token from .env.
    let temp = sandbox
        .run(&["init-without-files", "--title", "Temp", "--temp"], &[])
        .await;
    let (stdout, _) = exit(&temp, 0);
    let temp = json_of(&stdout);
    let temp_id = temp["app"]["appId"].as_str().unwrap().to_owned();
    sandbox.write(
        ".env",
        &format!(
            "INSTANT_APP_ID={temp_id}\nINSTANT_APP_ADMIN_TOKEN={}\n",
            temp["app"]["adminToken"].as_str().unwrap()
        ),
    );
    let claim = sandbox.run(&["claim"], &[]).await;
    let (stdout, _) = exit(&claim, 0);
    assert_eq!(stdout, format!("Found app: {temp_id}\nApp claimed!\n"));

    // delete: needs the app (with --yes), refuses unknown ones, then deletes.
    let no_app = sandbox
        .run(&["app", "delete", "-y"], &[("INSTANT_APP_ID", "")])
        .await;
    let (_, stderr) = exit(&no_app, 1);
    assert_eq!(
        stderr,
        "instant app delete: Must specify --app when using --yes\n"
    );
    let unknown = "0b0e9d6c-1111-4222-8333-944445555666";
    let missing = sandbox
        .run(&["app", "delete", "-a", unknown, "-y"], &[])
        .await;
    let (_, stderr) = exit(&missing, 1);
    assert_eq!(
        stderr,
        format!(
            "instant app delete: App not found on your account, or you do not have permission \
             to delete it: {unknown}\n"
        )
    );
    let unconfirmed = sandbox.run(&["app", "delete", "-a", &id], &[]).await;
    let (_, stderr) = exit(&unconfirmed, 1);
    assert!(stderr.contains("Re-run with --yes"), "{stderr}");
    let deleted = sandbox.run(&["-y", "app", "delete", "-a", &id], &[]).await;
    let (stdout, _) = exit(&deleted, 0);
    assert_eq!(stdout, format!("Deleted app \"Demo\" ({id}).\n"));
    let listed = sandbox.run(&["app", "list", "--json"], &[]).await;
    let (stdout, _) = exit(&listed, 0);
    assert!(!stdout.contains(&id), "{stdout}");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn init_without_files_reports_every_failure_as_json() {
    let server = ScriptedServer::start().await;
    let sandbox = Sandbox::new(&server.url());
    let cases: [(&[&str], &str); 4] = [
        (
            &["init-without-files"],
            "Title is required for creating a new app without local files.",
        ),
        (
            &["init-without-files", "--title", "-y"],
            "Invalid title: \"-y\". Title cannot be a flag.",
        ),
        (
            &[
                "init-without-files",
                "--title",
                "T",
                "--temp",
                "--org-id",
                "o",
            ],
            "Cannot use --temp and --org-id flags together.",
        ),
        (
            &["init-without-files", "--title", "T"],
            &format!(
                "Please log in first with `instant login --api-uri {}` before running this \
                 command.",
                server.url()
            ),
        ),
    ];
    for (args, message) in cases {
        let output = sandbox.run(args, &[]).await;
        let (stdout, stderr) = exit(&output, 1);
        assert_eq!(
            json_of(&stdout),
            json!({"app": null, "error": {"message": message}}),
            "{args:?}"
        );
        assert_eq!(stderr, "", "{args:?}");
    }
    assert!(server.requests().is_empty());

    // A server failure goes into the JSON too.
    server.push(Reply::json(
        400,
        json!({"type": "record-not-found", "message": "Record not found: instant-user",
               "hint": {"record-type": "instant-user"}}),
    ));
    let output = sandbox
        .run(
            &["init-without-files", "--title", "T", "-t", "per_bad"],
            &[],
        )
        .await;
    let (stdout, _) = exit(&output, 1);
    let message = json_of(&stdout)["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.starts_with("creating the app: ")
            && message.contains("refused the token given with --token"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn app_commands_fail_clearly() {
    let server = ScriptedServer::start().await;
    server.set_fallback(Some(Reply::json(
        400,
        json!({"type": "record-not-found", "message": "Record not found: instant-user",
               "hint": {"record-type": "instant-user"}}),
    )));
    let sandbox = Sandbox::new(&server.url());
    let app = "7b1e7c38-4a8e-4f0e-9a3b-2f4c1d0e5a6b";
    for (args, prefix) in [
        (
            &["app", "list", "-t", "x"][..],
            "instant app list: listing the apps: ",
        ),
        (
            &["app", "delete", "-a", app, "-t", "x"],
            "instant app delete: listing the apps: ",
        ),
        (
            &["claim", "-a", app, "-t", "x"],
            "instant claim: claiming the app: ",
        ),
        (
            &["query", "{}", "-a", app, "-t", "x"],
            "instant query: running the query: ",
        ),
    ] {
        let vars: &[(&str, &str)] = if args[0] == "claim" {
            &[("INSTANT_APP_ADMIN_TOKEN", "admin")]
        } else {
            &[]
        };
        let output = sandbox.run(args, vars).await;
        let (_, stderr) = exit(&output, 1);
        assert!(
            stderr.starts_with(&format!("{prefix}{} refused", server.url())),
            "{args:?}: {stderr}"
        );
    }
    // Bad input: app ids, missing admin tokens, not logged in.
    let bad = sandbox.run(&["explorer", "-a", "my-app"], &[]).await;
    let (_, stderr) = exit(&bad, 1);
    assert!(stderr.contains("`my-app` is not an app id"), "{stderr}");
    let no_admin = sandbox.run(&["claim", "-a", app, "-t", "x"], &[]).await;
    let (_, stderr) = exit(&no_admin, 1);
    assert!(stderr.contains("Missing app admin token"), "{stderr}");
    let logged_out = sandbox.run(&["app", "list"], &[]).await;
    let (_, stderr) = exit(&logged_out, 1);
    assert!(stderr.contains("You are not logged in"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn webhooks_are_added_listed_disabled_enabled_and_deleted() {
    let emulator = Emulator::builder().start().await.unwrap();
    let sandbox = Sandbox::new(emulator.base_url());
    let api = instantdb_platform::PlatformClient::builder()
        .api_uri(emulator.base_url())
        .token(emulator.platform_token())
        .build()
        .unwrap();
    let schema = instantdb_schema::i::schema().entities([(
        "todos",
        instantdb_schema::i::entity([("title", instantdb_schema::i::string())]),
    )]);
    let app = api
        .create_app("Hooks")
        .schema(&schema)
        .send()
        .await
        .unwrap();
    let token = [("INSTANT_CLI_AUTH_TOKEN", emulator.platform_token())];
    let app_id = app.id.as_str().to_owned();
    macro_rules! run {
        ($($arg:expr),* $(,)?) => {
            sandbox.run(&[$($arg,)* "--app", app_id.as_str()], &token).await
        };
    }

    let (stdout, _) = exit(&run!("webhook", "list"), 0);
    assert_eq!(stdout, "No webhooks configured.\n");
    let added = run!(
        "webhook",
        "add",
        "--url",
        "https://example.com/hook",
        "--namespaces",
        "todos",
        "--actions",
        "delete,create",
    );
    let (stdout, _) = exit(&added, 0);
    let id = stdout
        .lines()
        .find_map(|line| line.strip_prefix("ID: "))
        .unwrap_or_else(|| panic!("{stdout}"))
        .to_owned();
    assert_eq!(
        stdout,
        format!(
            "\nWebhook added: https://example.com/hook\nID: {id}\nStatus: active\nActions: \
             create, delete\nNamespaces: todos\n"
        )
    );
    let (stdout, _) = exit(&run!("webhook", "list", "--json"), 0);
    let list = json_of(&stdout);
    assert_eq!(list[0]["id"], json!(id));
    // JSON keeps the order the server stores; the text output sorts.
    assert_eq!(list[0]["actions"], json!(["delete", "create"]));

    let disabled = run!("webhook", "disable", "--id", &id, "--reason", "maintenance");
    let (stdout, _) = exit(&disabled, 0);
    assert!(stdout.contains("Status: disabled\n"), "{stdout}");
    assert!(
        stdout.contains("Disabled reason: maintenance\n"),
        "{stdout}"
    );
    let enabled = run!("webhook", "enable", "--id", &id);
    let (stdout, _) = exit(&enabled, 0);
    assert!(stdout.contains("Status: active\n"), "{stdout}");
    let updated = run!("webhook", "update", "--id", &id, "--actions", "update");
    let (stdout, _) = exit(&updated, 0);
    assert!(stdout.contains("Actions: update\n"), "{stdout}");
    let events = run!("webhook", "event", "list", "--webhook-id", &id);
    let (stdout, _) = exit(&events, 0);
    assert_eq!(stdout, "No events for this webhook.\n");

    // Bad input, before anything is sent.
    let (_, stderr) = exit(&run!("webhook", "delete", "-y"), 1);
    assert_eq!(stderr, "instant webhook delete: Must specify --id\n");
    let (_, stderr) = exit(&run!("webhook", "event", "payload", "--webhook-id", &id), 1);
    assert_eq!(
        stderr,
        "instant webhook event payload: Must specify --isn\n"
    );
    let bad = run!(
        "webhook",
        "add",
        "--url",
        "http://x.com",
        "--namespaces",
        "todos",
        "--actions",
        "create",
    );
    let (_, stderr) = exit(&bad, 1);
    assert!(
        stderr.starts_with(
            "instant webhook add: URL must use https://\nhint: run `instant webhook add --help`"
        ),
        "{stderr}"
    );
    let bad = run!(
        "webhook",
        "add",
        "--url",
        "https://x.com",
        "--namespaces",
        "todos",
        "--actions",
        "zap",
    );
    let (_, stderr) = exit(&bad, 1);
    assert!(stderr.contains("Invalid action: zap."), "{stderr}");
    // Admin tokens are not accepted, as upstream: the login is required.
    let admin_only = sandbox
        .run(
            &["webhook", "list", "--app", &app_id],
            &[(
                "INSTANT_APP_ADMIN_TOKEN",
                app.admin_token.as_ref().unwrap().expose(),
            )],
        )
        .await;
    let (_, stderr) = exit(&admin_only, 1);
    assert!(stderr.contains("You are not logged in"), "{stderr}");

    let deleted = run!("webhook", "delete", "--id", &id);
    let (stdout, _) = exit(&deleted, 0);
    assert!(
        stdout.contains("Webhook deleted: https://example.com/hook"),
        "{stdout}"
    );
    let (stdout, _) = exit(&run!("webhook", "list"), 0);
    assert_eq!(stdout, "No webhooks configured.\n");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn backups_are_listed_and_downloaded_as_a_zip() {
    let emulator = Emulator::builder().start().await.unwrap();
    let sandbox = Sandbox::new(emulator.base_url());
    let api = instantdb_platform::PlatformClient::builder()
        .api_uri(emulator.base_url())
        .token(emulator.platform_token())
        .build()
        .unwrap();
    let schema = instantdb_schema::i::schema().entities([(
        "todos",
        instantdb_schema::i::entity([("title", instantdb_schema::i::string())]),
    )]);
    let app = api
        .create_app("Backed up")
        .schema(&schema)
        .send()
        .await
        .unwrap();
    // Admin tokens are accepted for backups, as upstream.
    let vars = [
        ("INSTANT_APP_ID", app.id.as_str()),
        (
            "INSTANT_APP_ADMIN_TOKEN",
            app.admin_token.as_ref().unwrap().expose(),
        ),
    ];
    let (stdout, _) = exit(&sandbox.run(&["backup", "list"], &vars).await, 0);
    assert_eq!(stdout, "No backups yet.\n");
    let id = emulator
        .create_backup(&app.id, Some("before launch"))
        .unwrap()
        .to_string();

    let (stdout, _) = exit(&sandbox.run(&["backup", "list"], &vars).await, 0);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("ID  "), "{stdout}");
    assert!(lines[0].ends_with("  DESCRIPTION"), "{stdout}");
    assert!(
        lines[2].starts_with(&id) && lines[2].ends_with("before launch"),
        "{stdout}"
    );
    assert!(lines[2].contains("just now"), "{stdout}");
    let (stdout, _) = exit(&sandbox.run(&["backup", "list", "--json"], &vars).await, 0);
    assert_eq!(json_of(&stdout)[0]["id"], json!(id));

    // Without an id or --latest, and without a terminal: say what is missing.
    let (_, stderr) = exit(&sandbox.run(&["backup", "download"], &vars).await, 1);
    assert_eq!(
        stderr,
        "instant backup download: Must specify a backup id or --latest\n"
    );
    let (_, stderr) = exit(
        &sandbox
            .run(&["backup", "download", "nope", "-y"], &vars)
            .await,
        1,
    );
    assert_eq!(
        stderr,
        "instant backup download: No backup found with id nope.\n"
    );
    let (_, stderr) = exit(
        &sandbox
            .run(&["backup", "download", &id, "--latest"], &vars)
            .await,
        1,
    );
    assert!(stderr.contains("not both"), "{stderr}");

    let (stdout, _) = exit(
        &sandbox
            .run(
                &["backup", "download", "--latest", "-o", "out.zip", "-y"],
                &vars,
            )
            .await,
        0,
    );
    assert!(
        stdout.contains(&format!(
            "Saving to {}",
            sandbox.project.join("out.zip").display()
        )),
        "{stdout}"
    );
    // No data was written: config.json alone.
    assert!(stdout.contains("Saved 0 namespaces ("), "{stdout}");
    let zip = std::fs::read(sandbox.project.join("out.zip")).unwrap();
    assert_eq!(&zip[..4], b"PK\x03\x04", "a zip archive");
    assert!(!sandbox.project.join("out.zip.part").exists());
    emulator.shutdown().await;
}

/// `GET /dash/apps/:id/auth` as the server answers it (instant-cli's `AppsAuthResponse`).
fn auth_settings() -> Value {
    json!({
        "authorized_redirect_origins": [
            {"id": "o1", "service": "generic", "params": ["example.com"]},
            {"id": "o2", "service": "vercel", "params": ["vercel.app", "my-project"]},
            {"id": "o3", "service": "custom-scheme", "params": ["myapp"]},
        ],
        "oauth_service_providers": [{"id": "p1", "provider_name": "google"}],
        "oauth_clients": [{
            "id": "c1", "client_name": "google-web", "client_id": "123.apps",
            "provider_id": "p1", "redirect_to": "https://example.com/cb",
            "meta": {"appType": "web"}, "use_shared_credentials": false,
        }],
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_clients_and_origins_use_the_dashboard_endpoints() {
    let server = ScriptedServer::start().await;
    let sandbox = Sandbox::new(&server.url());
    let app = "7b1e7c38-4a8e-4f0e-9a3b-2f4c1d0e5a6b";
    let vars = [
        ("INSTANT_APP_ID", app),
        ("INSTANT_APP_ADMIN_TOKEN", "admin-token"),
    ];

    server.push(Reply::json(200, auth_settings()));
    let (stdout, _) = exit(&sandbox.run(&["auth", "origin", "list"], &vars).await, 0);
    expect_test::expect![[r#"
        example.com
          Type: Website
          ID: o1
        my-project
          Type: Vercel project
          ID: o2
        myapp://
          Type: Native app
          ID: o3
    "#]]
    .assert_eq(&stdout);

    server.push(Reply::json(200, auth_settings()));
    let (stdout, _) = exit(&sandbox.run(&["auth", "client", "list"], &vars).await, 0);
    expect_test::expect![[r#"
        google-web
          Provider: google
          App type: web
          Credentials: custom
          ID: c1
          Client id: 123.apps
          Redirect URL: https://example.com/cb
    "#]]
    .assert_eq(&stdout);

    server.push(Reply::json(
        200,
        json!({"origin": {"id": "o4", "service": "generic", "params": ["shop.example.com"]}}),
    ));
    let added = sandbox
        .run(
            &[
                "auth",
                "origin",
                "add",
                "--type",
                "website",
                "--url",
                "https://shop.example.com/x",
            ],
            &vars,
        )
        .await;
    let (stdout, _) = exit(&added, 0);
    assert_eq!(
        stdout,
        "\nOrigin added: shop.example.com\nType: Website\nID: o4\n"
    );

    server.push(Reply::json(200, auth_settings()));
    server.push(Reply::json(
        200,
        json!({"origin": {"id": "o1", "service": "generic", "params": ["example.com"]}}),
    ));
    let (stdout, _) = exit(
        &sandbox
            .run(&["auth", "origin", "delete", "--id", "o1"], &vars)
            .await,
        0,
    );
    assert_eq!(stdout, "Origin deleted!\n");

    server.push(Reply::json(200, auth_settings()));
    server.push(Reply::json(200, json!({})));
    let (stdout, _) = exit(
        &sandbox
            .run(&["auth", "client", "delete", "--name", "google-web"], &vars)
            .await,
        0,
    );
    assert_eq!(stdout, "Client Deleted!\n");

    let requests: Vec<String> = server
        .take_requests()
        .iter()
        .map(|r| {
            let body = String::from_utf8_lossy(&r.body).into_owned();
            format!("{} {} {}", r.method, r.path, body)
                .trim_end()
                .to_owned()
        })
        .collect();
    let prefix = format!("/dash/apps/{app}");
    assert_eq!(
        requests,
        [
            format!("GET {prefix}/auth"),
            format!("GET {prefix}/auth"),
            format!(
                "POST {prefix}/authorized_redirect_origins {{\"service\":\"generic\",\"params\":[\"shop.example.com\"]}}"
            ),
            format!("GET {prefix}/auth"),
            format!("DELETE {prefix}/authorized_redirect_origins/o1"),
            format!("GET {prefix}/auth"),
            format!("DELETE {prefix}/oauth_clients/c1"),
        ]
    );

    // Error paths: unknown client, missing flags with --yes, bad input, refused token.
    server.push(Reply::json(200, auth_settings()));
    let (_, stderr) = exit(
        &sandbox
            .run(&["auth", "client", "delete", "--id", "nope"], &vars)
            .await,
        1,
    );
    assert_eq!(
        stderr,
        "instant auth client delete: OAuth client not found: id nope\n"
    );
    server.push(Reply::json(200, auth_settings()));
    let (_, stderr) = exit(
        &sandbox
            .run(&["auth", "origin", "delete", "-y"], &vars)
            .await,
        1,
    );
    assert_eq!(stderr, "instant auth origin delete: Must specify --id\n");
    let (_, stderr) = exit(
        &sandbox
            .run(
                &[
                    "auth",
                    "origin",
                    "add",
                    "--type",
                    "website",
                    "--url",
                    "localhost",
                ],
                &vars,
            )
            .await,
        1,
    );
    assert_eq!(stderr, "instant auth origin add: Invalid URL.\n");
    server.push(Reply::json(
        401,
        json!({"type": "record-not-found", "message": "Record not found: instant-user",
               "hint": {"record-type": "instant-user"}}),
    ));
    let (_, stderr) = exit(&sandbox.run(&["auth", "origin", "list"], &vars).await, 1);
    assert!(
        stderr.contains("refused the token in INSTANT_APP_ADMIN_TOKEN"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn init_creates_an_app_writes_env_and_pulls() {
    let emulator = Emulator::builder()
        .auto_approve_cli_login(true)
        .start()
        .await
        .unwrap();
    let sandbox = Sandbox::new(emulator.base_url());
    exit(
        &sandbox
            .run(&["login", "--headless", "--check-ms", "10"], &[])
            .await,
        0,
    );
    sandbox.write("package.json", r#"{"devDependencies": {"vite": "6"}}"#);

    // No app and no terminal to ask: say how to choose.
    let (_, stderr) = exit(&sandbox.run(&["init"], &[]).await, 1);
    assert!(
        stderr.starts_with("instant init: Cannot ask which app to use"),
        "{stderr}"
    );

    let init = sandbox.run(&["init", "--title", "Fresh", "-y"], &[]).await;
    let (stdout, stderr) = exit(&init, 0);
    assert!(
        stdout.contains("Created app \"Fresh\" ("),
        "{stdout}\n{stderr}"
    );
    assert!(stdout.contains("Created .env file!"), "{stdout}");
    let env = std::fs::read_to_string(sandbox.project.join(".env")).unwrap();
    let mut lines = env.lines();
    let id = lines
        .next()
        .and_then(|line| line.strip_prefix("VITE_INSTANT_APP_ID="))
        .unwrap_or_else(|| panic!("{env}"))
        .to_owned();
    let token = lines
        .next()
        .and_then(|line| line.strip_prefix("INSTANT_APP_ADMIN_TOKEN="))
        .unwrap_or_else(|| panic!("{env}"));
    assert!(!stdout.contains(token), "the admin token was printed");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(sandbox.project.join(".env"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(stdout.contains(&id), "{stdout}");
    // The perms were pulled into a new file.
    assert!(
        sandbox.project.join("instant.perms.ts").exists(),
        "{stdout}"
    );

    // Again, with the files and .env in place: the app comes from .env, nothing is pushed
    // without a terminal, and the existing .env is left alone.
    let again = sandbox.run(&["init"], &[]).await;
    let (stdout, _) = exit(&again, 0);
    assert!(stdout.contains(&format!("Picked app {id}!")), "{stdout}");
    assert!(stdout.contains("Found local perms; not pushed"), "{stdout}");
    emulator.shutdown().await;
}
