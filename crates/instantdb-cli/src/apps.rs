//! The app commands of instant-cli 1.0.67: `app list|create|delete`, `init-without-files`,
//! `claim`, `explorer` and `query`.
//!
//! `app list` and `app delete` read the dashboard's app list (`GET /dash`, with the user's role
//! on each app) and delete through `DELETE /dash/apps/:id`, which accept the ticket login's
//! dashboard token; app admin tokens are refused there, as upstream (`allowAdminToken: false`).
//! `init-without-files` prints its JSON contract on stdout (the admin token included: that is
//! its purpose) and its success line on stderr. `query` sends `POST /admin/query` with the
//! admin API's headers (`app-id`, and `as-email` / `as-guest` / `as-token`).

use std::io::Write;

use clap::{Args, Subcommand};
use instantdb_admin::{AdminClient, Impersonate};
use instantdb_platform::http::Secret;
use serde_json::{Value, json};

use crate::io::{self, Failure, say};
use crate::server::{self, AppArgs, Context, GlobalArgs};

/// `instant app …`.
#[derive(Debug, Subcommand)]
pub(crate) enum AppCommand {
    /// List apps on your Instant account.
    List(ListArgs),
    /// Create an app on your Instant account (prints its id; `init-without-files` also prints
    /// its admin token).
    Create(CreateArgs),
    /// Delete an app from your Instant account (you must be its owner or admin).
    Delete(DeleteArgs),
}

/// Options of `instant app list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Output apps as JSON (`[{"id", "title"}]`).
    #[arg(long)]
    json: bool,
}

/// Options of `instant app create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Title for the created app.
    #[arg(long, value_name = "TITLE")]
    title: String,
    /// Organization id for the app.
    #[arg(long, value_name = "ORG_ID")]
    org_id: Option<String>,
    /// Output the app as JSON (`{"id", "title"}`).
    #[arg(long)]
    json: bool,
}

/// Options of `instant app delete`.
#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    #[command(flatten)]
    app: AppArgs,
}

/// Options of `instant init-without-files`.
#[derive(Debug, Args)]
#[command(
    after_help = "Prints {\"app\":{\"appId\",\"adminToken\"},\"error\":null} as JSON on \
stdout (the success line goes to stderr); on failure {\"app\":null,\"error\":{\"message\"}} and \
exit code 1."
)]
pub(crate) struct InitWithoutFilesArgs {
    /// Title for the created app.
    #[arg(long, value_name = "TITLE", allow_hyphen_values = true)]
    title: Option<String>,
    /// Organization id for app. Cannot be used with --temp flag.
    #[arg(long, value_name = "ORG_ID")]
    org_id: Option<String>,
    /// Create a temporary app which will automatically delete itself after >24 hours.
    #[arg(long)]
    temp: bool,
}

/// Options of `instant claim` and `instant explorer`.
#[derive(Debug, Args)]
pub(crate) struct AppOnlyArgs {
    #[command(flatten)]
    app: AppArgs,
}

/// Options of `instant query`.
#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    /// InstaQL query as JSON/JSON5, such as `{ todos: {} }`.
    query: String,
    #[command(flatten)]
    app: AppArgs,
    /// Run the query as admin (bypasses permissions; the default).
    #[arg(long)]
    admin: bool,
    /// Run the query as a specific user by email.
    #[arg(long, value_name = "EMAIL")]
    as_email: Option<String>,
    /// Run the query as an unauthenticated guest.
    #[arg(long)]
    as_guest: bool,
    /// Run the query as a user identified by refresh token.
    #[arg(long, value_name = "REFRESH_TOKEN")]
    as_token: Option<String>,
    /// Print the result as compact JSON on one line.
    #[arg(long)]
    json: bool,
}

/// Runs `instant app …`.
pub(crate) fn app(command: AppCommand, global: &GlobalArgs) -> Result<(), Failure> {
    match command {
        AppCommand::List(args) => list(args, global),
        AppCommand::Create(args) => create(args, global),
        AppCommand::Delete(args) => delete(args, global),
    }
}

fn list(args: ListArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let ctx = Context::new("instant app list", global)?;
    let (token, source) = ctx.token(false)?;
    let api = ctx.platform(Some(token))?;
    let apps = server::runtime(ctx.command)?.block_on(ctx.call(
        "listing the apps",
        Some(&source),
        api.dash_apps().with_options(ctx.options()),
    ))?;
    if args.json {
        let apps: Vec<Value> = apps
            .iter()
            .map(|app| json!({"id": app.id.as_str(), "title": app.title}))
            .collect();
        say(pretty(&Value::Array(apps)));
        return Ok(());
    }
    if apps.is_empty() {
        say("No apps found.");
        return Ok(());
    }
    let width = apps
        .iter()
        .map(|app| app.title.chars().count())
        .max()
        .unwrap_or(0);
    for app in &apps {
        say(format_args!("{:<width$}  {}", app.title, app.id.as_str()));
    }
    Ok(())
}

fn create(args: CreateArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let ctx = Context::new("instant app create", global)?;
    let title = checked_title(&ctx, Some(&args.title))?;
    let (token, source) = ctx.token(false)?;
    let api = ctx.platform(Some(token))?;
    let mut call = api.create_dash_app(title).with_options(ctx.options());
    if let Some(org) = &args.org_id {
        call = call.org_id(org);
    }
    let app = server::runtime(ctx.command)?.block_on(ctx.call(
        "creating the app",
        Some(&source),
        call,
    ))?;
    if args.json {
        say(pretty(&json!({"id": app.id.as_str(), "title": app.title})));
    } else {
        say(format_args!(
            "Created app \"{}\" ({}).",
            app.title,
            app.id.as_str()
        ));
    }
    Ok(())
}

fn delete(args: DeleteArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let ctx = Context::new("instant app delete", global)?;
    // instant-cli takes the app from --app or the environment, unchecked, and looks it up
    // among the apps the user may delete.
    let target = match &args.app.app {
        Some(app) => Some(app.trim().to_ascii_lowercase()),
        None => ctx.app_id(&args.app).ok(),
    };
    let (token, source) = ctx.token(false)?;
    let api = ctx.platform(Some(token))?;
    let runtime = server::runtime(ctx.command)?;
    let apps = runtime.block_on(ctx.call(
        "listing the apps",
        Some(&source),
        api.dash_apps().with_options(ctx.options()),
    ))?;
    let deletable: Vec<_> = apps
        .into_iter()
        .filter(|app| matches!(app.user_app_role.as_str(), "owner" | "admin"))
        .collect();
    let app = match &target {
        Some(id) => deletable.iter().find(|app| app.id.as_str() == id),
        None if ctx.yes || !io::interactive() => None,
        None => {
            let items: Vec<String> = deletable
                .iter()
                .map(|app| format!("{} ({})", app.title, app.id.as_str()))
                .collect();
            dialoguer::Select::new()
                .with_prompt("Select an app to delete:")
                .items(&items)
                .interact_opt()
                .ok()
                .flatten()
                .and_then(|index| deletable.get(index))
        }
    };
    let Some(app) = app else {
        return Err(ctx.fail(match &target {
            Some(id) => format!(
                "App not found on your account, or you do not have permission to delete it: {id}"
            ),
            None => "Must specify --app when using --yes".to_owned(),
        }));
    };
    let question = format!(
        "Deleting an app will irreversibly delete all associated data.\nDelete app \"{}\" ({})?",
        app.title,
        app.id.as_str()
    );
    if !io::confirm(&question, ctx.yes, false).map_err(|err| err.prefixed(ctx.command))? {
        say("Cancelled.");
        return Ok(());
    }
    runtime.block_on(
        ctx.call(
            "deleting the app",
            Some(&source),
            api.delete_dash_app(app.id.clone())
                .with_options(ctx.options()),
        ),
    )?;
    say(format_args!(
        "Deleted app \"{}\" ({}).",
        app.title,
        app.id.as_str()
    ));
    Ok(())
}

/// The title rules of instant-cli's `init-without-files`, shared with `app create`.
fn checked_title(ctx: &Context, title: Option<&str>) -> Result<String, Failure> {
    let Some(title) = title.filter(|t| !t.trim().is_empty()) else {
        return Err(ctx.fail("Title is required for creating a new app without local files."));
    };
    if title.starts_with('-') {
        return Err(ctx.fail(format!(
            "Invalid title: \"{title}\". Title cannot be a flag."
        )));
    }
    Ok(title.to_owned())
}

/// Runs `instant init-without-files`: every outcome is JSON on stdout.
pub(crate) fn init_without_files(
    args: InitWithoutFilesArgs,
    global: &GlobalArgs,
) -> Result<(), Failure> {
    match create_without_files(&args, global) {
        Ok((app_id, admin_token)) => {
            let _ = writeln!(std::io::stderr(), "Successfully created new app!\n");
            say(pretty(&json!({
                "app": {"appId": app_id, "adminToken": admin_token.expose()},
                "error": null,
            })));
            Ok(())
        }
        Err(message) => {
            say(pretty(&json!({"app": null, "error": {"message": message}})));
            Err(Failure::new(String::new()))
        }
    }
}

fn create_without_files(
    args: &InitWithoutFilesArgs,
    global: &GlobalArgs,
) -> Result<(String, Secret), String> {
    // The messages are instant-cli's, without a command prefix: they go into the JSON.
    let plain = |failure: Failure| {
        failure
            .message()
            .trim_start_matches("instant init-without-files: ")
            .to_owned()
    };
    let ctx = Context::new("instant init-without-files", global).map_err(plain)?;
    let title = checked_title(&ctx, args.title.as_deref()).map_err(plain)?;
    if args.temp && args.org_id.is_some() {
        return Err("Cannot use --temp and --org-id flags together.".to_owned());
    }
    let runtime = server::runtime(ctx.command).map_err(plain)?;
    if args.temp {
        let api = ctx.platform(None).map_err(plain)?;
        let temp = runtime
            .block_on(ctx.call(
                "creating the app",
                None,
                api.create_temporary_app(title).with_options(ctx.options()),
            ))
            .map_err(plain)?;
        let token = temp
            .app
            .admin_token
            .ok_or("The server did not return the app's admin token.")?;
        return Ok((temp.app.id.into_string(), token));
    }
    let (token, source) = ctx.token(false).map_err(|_| {
        format!(
            "Please log in first with `{}` before running this command.",
            ctx.login_command()
        )
    })?;
    let api = ctx.platform(Some(token)).map_err(plain)?;
    let mut call = api.create_dash_app(title).with_options(ctx.options());
    if let Some(org) = &args.org_id {
        call = call.org_id(org);
    }
    let app = runtime
        .block_on(ctx.call("creating the app", Some(&source), call))
        .map_err(plain)?;
    let token = app
        .admin_token
        .ok_or("The server did not return the app's admin token.")?;
    Ok((app.id.into_string(), token))
}

/// Runs `instant claim`: a temporary app (its id and admin token from the environment or
/// `.env`) joins the logged-in user's apps.
pub(crate) fn claim(args: AppOnlyArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let ctx = Context::new("instant claim", global)?;
    let app_id = ctx.app_id(&args.app)?;
    say(format_args!("Found app: {app_id}"));
    let admin_token = server::ADMIN_TOKEN_VARS
        .iter()
        .find_map(|name| ctx.env.get(name))
        .map(Secret::new)
        .ok_or_else(|| {
            ctx.fail("Missing app admin token (set INSTANT_APP_ADMIN_TOKEN, in .env for example)")
        })?;
    let (token, source) = ctx.token(false)?;
    let api = ctx.platform(Some(token))?;
    server::runtime(ctx.command)?.block_on(
        ctx.call(
            "claiming the app",
            Some(&source),
            api.claim_app(app_id, &admin_token)
                .with_options(ctx.options()),
        ),
    )?;
    say("App claimed!");
    Ok(())
}

/// Runs `instant explorer`: opens the app's Explorer in the dashboard, or prints its URL.
pub(crate) fn explorer(args: AppOnlyArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let ctx = Context::new("instant explorer", global)?;
    let app_id = ctx.app_id(&args.app)?;
    let url = format!("{}/dash?s=main&app={app_id}&t=explorer", ctx.dash_uri(None));
    say("Opening Explorer...");
    if crate::login::is_headless(&ctx.env) || open::that_detached(&url).is_err() {
        say(format_args!(
            "Failed to open Explorer in browser\nOpen Explorer manually:\n{url}"
        ));
    }
    Ok(())
}

/// Runs `instant query`.
pub(crate) fn query(args: QueryArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let ctx = Context::new("instant query", global)?;
    let app_id = ctx.app_id(&args.app)?;
    let contexts = [
        args.admin,
        args.as_email.is_some(),
        args.as_guest,
        args.as_token.is_some(),
    ];
    if contexts.iter().filter(|set| **set).count() > 1 {
        return Err(ctx.fail(
            "Please specify exactly one context: --admin, --as-email <email>, --as-guest, or \
             --as-token <token>",
        ));
    }
    let query: Value = json5::from_str(&args.query)
        .map_err(|err| ctx.fail(format!("the query is not JSON5: {err}")))?;
    if !query.is_object() {
        return Err(ctx.fail("the query must be an object, such as `{ todos: {} }`"));
    }
    let (token, source) = ctx.token(true)?;
    let admin = AdminClient::builder(app_id)
        .api_uri(ctx.api_uri.as_str())
        .admin_token(token)
        .build()
        .map_err(|err| ctx.fail(format!("--api-uri {}: {err}", ctx.api_uri)))?;
    let admin = if let Some(email) = &args.as_email {
        admin.as_user(Impersonate::email(email))
    } else if args.as_guest {
        admin.as_user(Impersonate::Guest)
    } else if let Some(token) = &args.as_token {
        admin.as_user(Impersonate::token(token.as_str()))
    } else {
        admin
    };
    let result: Value = server::runtime(ctx.command)?.block_on(ctx.call(
        "running the query",
        Some(&source),
        admin.query(query).with_options(ctx.options()).send(),
    ))?;
    if args.json {
        say(result);
    } else {
        say(pretty(&result));
    }
    Ok(())
}

/// `JSON.stringify(value, null, 2)`.
fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
