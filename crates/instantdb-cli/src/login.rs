//! `instant login`, `instant logout` and `instant whoami`: the account the other commands act
//! as, one login per server.
//!
//! `login` is instant-cli's ticket flow: register a ticket (`POST /dash/cli/auth/register`),
//! send the user to `{dashboard}/dash?ticket=…` (a browser is opened, or the URL printed on
//! headless machines), check once a second for up to two minutes until the dashboard approves
//! it, and store the token it returns where instant-cli keeps it ([`crate::auth`]). `login
//! --token` stores a token directly. Tokens are never printed.

use std::io::Read;
use std::time::Duration;

use clap::Args;
use instantdb_platform::http::Secret;
use instantdb_platform::{CliLoginStatus, PlatformClient};

use crate::env::Env;
use crate::io::{Failure, say};
use crate::server::{self, AppArgs, Context, ServerArgs, TokenArgs};

/// instant-cli checks once a second, 120 times after the first check.
const CHECK_INTERVAL: Duration = Duration::from_secs(1);
const CHECK_RETRIES: u32 = 120;

/// Options of `instant login`.
#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// Store this token instead of logging in through the dashboard (a token printed by
    /// `instant-cli login --print`, or a personal access token); `-` reads it from stdin,
    /// which keeps it out of the shell history and the process list.
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// Print the login URL instead of opening a browser. Also the default when
    /// INSTANT_CLI_NO_BROWSER or CI is set, TERM is dumb, over SSH, under WSL, and on Linux
    /// without DISPLAY.
    #[arg(long)]
    headless: bool,
    /// The dashboard that approves the login (default: `$INSTANT_CLI_DASH_URI`, else
    /// `http://localhost:3000` if `$INSTANT_CLI_DEV` is set, else `https://instantdb.com`).
    #[arg(long, value_name = "URL")]
    dash_uri: Option<String>,
    /// How often to check for approval, in milliseconds (tests shorten it).
    #[arg(long, value_name = "MS", hide = true)]
    check_ms: Option<u64>,
    #[command(flatten)]
    server: ServerArgs,
}

/// Options of `instant logout`.
#[derive(Debug, Args)]
pub(crate) struct LogoutArgs {
    #[command(flatten)]
    server: ServerArgs,
}

/// Options of `instant whoami`.
#[derive(Debug, Args)]
pub(crate) struct WhoamiArgs {
    #[command(flatten)]
    app: AppArgs,
    #[command(flatten)]
    token: TokenArgs,
    #[command(flatten)]
    server: ServerArgs,
}

/// Runs `instant login`.
pub(crate) fn login(args: LoginArgs) -> Result<(), Failure> {
    let ctx = Context::new("instant login", &args.server)?;
    let store = ctx.store()?;
    if let Some(token) = &args.token {
        let token = given_token(&ctx, token)?;
        let path = store.write(&ctx.api_uri, &token)?;
        say(format_args!(
            "Stored the token for {} in {}.",
            ctx.api_uri,
            path.display()
        ));
        return Ok(());
    }
    let api = ctx.platform(None)?;
    let interval = args.check_ms.map_or(CHECK_INTERVAL, Duration::from_millis);
    let headless = args.headless || is_headless(&ctx.env);
    let dash = ctx.dash_uri(args.dash_uri.as_deref());
    let (token, email) = server::runtime(ctx.command)?
        .block_on(ticket_login(&ctx, &api, &dash, headless, interval))?;
    store.write(&ctx.api_uri, &token)?;
    say(format_args!("Successfully logged in as {email}!"));
    Ok(())
}

/// A token from `--token`, or stdin for `-`.
fn given_token(ctx: &Context, token: &str) -> Result<Secret, Failure> {
    let token = if token == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|err| ctx.fail(format!("reading the token from stdin: {err}")))?;
        text
    } else {
        token.to_owned()
    };
    let token = token.trim();
    if token.is_empty() {
        return Err(ctx.fail("--token: the token is empty"));
    }
    if token.chars().any(char::is_control) || token.contains(' ') {
        return Err(ctx.fail("--token: a token is one word without spaces or control characters"));
    }
    Ok(Secret::new(token))
}

async fn ticket_login(
    ctx: &Context,
    api: &PlatformClient,
    dash: &str,
    headless: bool,
    interval: Duration,
) -> Result<(Secret, String), Failure> {
    say(format_args!("Let's log you in to {}!", ctx.api_uri));
    let login = api
        .start_cli_login()
        .with_options(ctx.options())
        .send()
        .await
        .map_err(|err| ctx.api_failure("starting the login", &err, None))?;
    let url = format!("{dash}/dash?ticket={}", login.ticket);
    if headless || open::that_detached(&url).is_err() {
        say(format_args!(
            "Open this URL in a browser to log in:\n {url}\n"
        ));
    } else {
        say(format_args!(
            "Opened your Instant dashboard in the browser. If it did not open, visit:\n {url}\n"
        ));
    }
    say("Waiting for authentication...");
    for attempt in 0..=CHECK_RETRIES {
        if attempt > 0 {
            tokio::time::sleep(interval).await;
        }
        let status = api
            .check_cli_login(&login.secret)
            .with_options(ctx.options())
            .send()
            .await
            .map_err(|err| login_failure(ctx, &err))?;
        if let CliLoginStatus::Approved { token, email } = status {
            return Ok((token, email));
        }
    }
    Err(ctx.fail(
        "Nobody approved the login in time. Run `instant login` again and approve it in the \
         dashboard.",
    ))
}

/// A failed check in plain words: denied, expired, or the server's own message.
fn login_failure(ctx: &Context, err: &instantdb_platform::Error) -> Failure {
    let api = err.api_error();
    let issue = api.and_then(|api| {
        api.hint()
            .get("errors")?
            .get(0)?
            .get("issue")?
            .as_str()
            .map(str::to_owned)
    });
    match (issue.as_deref(), api.and_then(|api| api.error_type())) {
        (Some("user-voided-request"), _) => {
            ctx.fail("The login was denied in the dashboard (This request has been denied).")
        }
        (_, Some("record-expired")) => {
            ctx.fail("The login expired before it was approved. Run `instant login` again.")
        }
        _ => ctx.api_failure("checking the login", err, None),
    }
}

/// instant-cli's `isHeadlessEnvironment`, over the process environment and `.env` files.
fn is_headless(env: &Env) -> bool {
    let set = |name: &str| env.get(name).is_some();
    set("INSTANT_CLI_NO_BROWSER")
        || set("CI")
        || env.get("TERM").as_deref() == Some("dumb")
        || std::env::var_os("SSH_CONNECTION").is_some()
        || std::env::var_os("SSH_CLIENT").is_some()
        || (cfg!(target_os = "linux") && !set("DISPLAY"))
        || std::env::var_os("WSL_DISTRO_NAME").is_some()
}

/// Runs `instant logout`.
pub(crate) fn logout(args: LogoutArgs) -> Result<(), Failure> {
    let ctx = Context::new("instant logout", &args.server)?;
    if ctx.store()?.remove(&ctx.api_uri)? {
        say(format_args!(
            "Successfully logged out from {}!",
            ctx.api_uri
        ));
    } else {
        say(format_args!(
            "You were already logged out from {}!",
            ctx.api_uri
        ));
    }
    if ctx.env.get("INSTANT_CLI_AUTH_TOKEN").is_some() {
        say("INSTANT_CLI_AUTH_TOKEN is still set: commands keep using that token.");
    }
    Ok(())
}

/// Runs `instant whoami`: the server, the account behind the token, and the app if one is set.
pub(crate) fn whoami(args: WhoamiArgs) -> Result<(), Failure> {
    let ctx = Context::new("instant whoami", &args.server)?;
    say(format_args!("CLI version: {}", env!("CARGO_PKG_VERSION")));
    say(format_args!("API URI: {}", ctx.api_uri));
    let (token, source) = match ctx.token(&args.token, false) {
        Ok(found) => found,
        Err(_) => {
            say("Not logged in.");
            return Ok(());
        }
    };
    let token_text = token.expose().to_owned();
    let token_text = token_text.as_str();
    let api = ctx.platform(Some(token))?;
    // The app is optional here: without one, only the account is shown.
    let app_id = ctx.app_id(&args.app).ok();
    // Dashboard logins are UUIDs; /dash/me describes only them.
    let dashboard_token = uuid::Uuid::parse_str(token_text).is_ok();
    server::runtime(ctx.command)?.block_on(async {
        match api.current_user().with_options(ctx.options()).send().await {
            Ok(me) => say(format_args!("Logged in as {} ({source})", me.email)),
            Err(err) if !dashboard_token && err.is_auth_failure() => say(format_args!(
                "Using a personal access or OAuth token ({source}); the server describes only \
                 dashboard logins."
            )),
            Err(err) => return Err(ctx.api_failure("reading the account", &err, Some(&source))),
        }
        if let Some(app_id) = app_id {
            let app = api
                .get_app(&app_id)
                .with_options(ctx.options())
                .send()
                .await
                .map_err(|err| ctx.api_failure("reading the app", &err, Some(&source)))?;
            say(format_args!("App: {} ({})", app.title, app.id));
        }
        Ok(())
    })
}
