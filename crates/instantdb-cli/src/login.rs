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
use crate::server::{self, ADMIN_TOKEN_VARS, AppArgs, Context, GlobalArgs, TokenSource};

/// instant-cli checks once a second, 120 times after the first check.
const CHECK_INTERVAL: Duration = Duration::from_secs(1);
const CHECK_RETRIES: u32 = 120;

/// Options of `instant login`.
#[derive(Debug, Args)]
#[command(
    after_help = "With -t/--token TOKEN the token (printed by `instant-cli login --print`, \
or a personal access token) is checked with the server and stored instead of logging in through \
the dashboard; `--token -` reads it from stdin, which keeps it out of the shell history and the \
process list."
)]
pub(crate) struct LoginArgs {
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
}

/// Options of `instant logout`.
#[derive(Debug, Args)]
pub(crate) struct LogoutArgs {}

/// Options of `instant whoami`.
#[derive(Debug, Args)]
pub(crate) struct WhoamiArgs {
    #[command(flatten)]
    app: AppArgs,
}

/// Runs `instant login`.
pub(crate) fn login(args: LoginArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let ctx = Context::new("instant login", global)?;
    let store = ctx.store()?;
    if let Some(token) = &ctx.token_flag {
        let token = given_token(&ctx, token)?;
        let api = ctx.platform(Some(token.clone()))?;
        // A mistyped or revoked token is refused now, not at the next command.
        let account =
            server::runtime(ctx.command)?.block_on(check_token(&ctx, &api, &TokenSource::Flag))?;
        let path = store.write(&ctx.api_uri, &token)?;
        say(format_args!(
            "Stored the token for {} in {}.",
            ctx.api_uri,
            path.display()
        ));
        say(account.describe());
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
pub(crate) fn is_headless(env: &Env) -> bool {
    let set = |name: &str| env.get(name).is_some();
    set("INSTANT_CLI_NO_BROWSER")
        || set("CI")
        || env.get("TERM").as_deref() == Some("dumb")
        || std::env::var_os("SSH_CONNECTION").is_some()
        || std::env::var_os("SSH_CLIENT").is_some()
        || (cfg!(target_os = "linux") && !set("DISPLAY"))
        || std::env::var_os("WSL_DISTRO_NAME").is_some()
}

/// Who a token belongs to, as far as the server says.
pub(crate) enum Account {
    /// A dashboard login (`/dash/me` knows it).
    User(String),
    /// A personal access or OAuth token: accepted, but `/dash/me` describes only dashboard
    /// logins.
    Token,
}

impl Account {
    pub(crate) fn describe(&self) -> String {
        match self {
            Account::User(email) => format!("Logged in as {email}"),
            Account::Token => {
                "Logged in with a personal access or OAuth token (the server describes only \
                 dashboard logins by email)"
                    .to_owned()
            }
        }
    }
}

/// Checks a user token with the server: `/dash/me` for dashboard logins, else the app list
/// (`/superadmin/apps`), which personal access and OAuth tokens may read. Refused by both: a
/// failure saying so.
pub(crate) async fn check_token(
    ctx: &Context,
    api: &PlatformClient,
    source: &TokenSource,
) -> Result<Account, Failure> {
    let doing = "checking the token";
    match ctx
        .wait(doing, api.current_user().with_options(ctx.options()))
        .await
    {
        Ok(me) => return Ok(Account::User(me.email)),
        Err(err) if err.is_auth_failure() => {}
        Err(err) => return Err(ctx.api_failure(doing, &err, Some(source))),
    }
    ctx.call(
        doing,
        Some(source),
        api.get_apps().with_options(ctx.options()),
    )
    .await?;
    Ok(Account::Token)
}

/// Runs `instant logout`.
pub(crate) fn logout(global: &GlobalArgs) -> Result<(), Failure> {
    let ctx = Context::new("instant logout", global)?;
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

/// Runs `instant whoami`: the server, the account behind the token, the app if one is set, and
/// which token the app commands (`pull`, `push`) will send. Every token shown is checked with
/// the server first.
pub(crate) fn whoami(args: WhoamiArgs, global: &GlobalArgs) -> Result<(), Failure> {
    info(args, global, "instant whoami")
}

/// `instant info` / `instant whoami`.
pub(crate) fn info(
    args: WhoamiArgs,
    global: &GlobalArgs,
    command: &'static str,
) -> Result<(), Failure> {
    let ctx = Context::new(command, global)?;
    say(format_args!("CLI version: {}", env!("CARGO_PKG_VERSION")));
    say(format_args!("API URI: {}", ctx.api_uri));
    // The app is optional here: without one, only the account is shown.
    let app_id = match ctx.app_id(&args.app) {
        Ok(id) => Some(id),
        Err(err) if args.app.app.is_some() => return Err(err),
        Err(_) => None,
    };
    let user = ctx.token(false).ok();
    let app_token = ctx.token(true).ok();
    server::runtime(ctx.command)?.block_on(async {
        let mut user_api = None;
        match &user {
            Some((token, source)) => {
                let api = ctx.platform(Some(token.clone()))?;
                let account = check_token(&ctx, &api, source).await?;
                say(format_args!("{} ({source})", account.describe()));
                user_api = Some(api);
            }
            None => say("Not logged in."),
        }
        // An app admin token in the environment wins over the login for app commands: say so,
        // and check it against the app.
        if let Some((token, source @ TokenSource::Var(name))) = &app_token
            && ADMIN_TOKEN_VARS.contains(name)
        {
            say(format_args!(
                "App commands (pull, push, query...) use the app admin token in {name}."
            ));
            match &app_id {
                Some(app_id) => {
                    let api = ctx.platform(Some(token.clone()))?;
                    let app = ctx
                        .call(
                            "checking the admin token",
                            Some(source),
                            api.get_app(app_id.clone()).with_options(ctx.options()),
                        )
                        .await?;
                    say(format_args!("App: {} ({})", app.title, app.id));
                    return Ok(());
                }
                None => say("No app id is set, so the admin token was not checked."),
            }
        }
        if let (Some(app_id), Some(api), Some((_, source))) = (app_id, user_api, &user) {
            let app = ctx
                .call(
                    "reading the app",
                    Some(source),
                    api.get_app(app_id).with_options(ctx.options()),
                )
                .await?;
            say(format_args!("App: {} ({})", app.title, app.id));
        }
        Ok(())
    })
}
