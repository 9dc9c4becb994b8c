//! What the commands that talk to a server share: which server (`--api-uri`), the `.env`
//! files, which token, which app, the platform client, and how server errors are shown.
//!
//! Resolution follows `instant-cli` (platform-sdk.md §2.1, §14.3):
//! - API URI: `--api-uri`, then `INSTANT_CLI_API_URI`, then `http://localhost:8888` when
//!   `INSTANT_CLI_DEV` is set, else [`DEFAULT_API_URI`]. The dashboard (for `login`):
//!   `--dash-uri`, `INSTANT_CLI_DASH_URI`, `http://localhost:3000` with `INSTANT_CLI_DEV`, else
//!   [`DEFAULT_DASH_URI`].
//! - Token: `--token`, then `INSTANT_CLI_AUTH_TOKEN`, then (for commands that accept an app's
//!   admin token) `INSTANT_APP_ADMIN_TOKEN` and `INSTANT_ADMIN_TOKEN`, then the stored login.
//! - App: `--app`, then the first of [`APP_ID_VARS`] that is set; it must be a UUID.
//!
//! Every variable may come from the process or from the `.env` files ([`Env`]).

use std::fmt::{self, Display};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use instantdb_platform::http::{DEFAULT_API_URI, Secret};
use instantdb_platform::{PlatformClient, RequestOptions};
use serde_json::Value;

use crate::auth::TokenStore;
use crate::env::Env;
use crate::io::Failure;

/// Instant's dashboard, where `instant login` sends the browser unless told otherwise. Only a
/// default: self-hosted Instant has its own (`--dash-uri`, `INSTANT_CLI_DASH_URI`).
pub(crate) const DEFAULT_DASH_URI: &str = "https://instantdb.com";

/// The server and dashboard of a local development setup (`INSTANT_CLI_DEV`).
const DEV_API_URI: &str = "http://localhost:8888";
const DEV_DASH_URI: &str = "http://localhost:3000";

/// Where the app id may come from, in instant-cli's order (one name per framework).
pub(crate) const APP_ID_VARS: [&str; 7] = [
    "INSTANT_APP_ID",
    "NEXT_PUBLIC_INSTANT_APP_ID",
    "PUBLIC_INSTANT_APP_ID",
    "VITE_INSTANT_APP_ID",
    "EXPO_PUBLIC_INSTANT_APP_ID",
    "NUXT_PUBLIC_INSTANT_APP_ID",
    "BUN_PUBLIC_INSTANT_APP_ID",
];

/// An app's admin token, accepted by the app-scoped commands (`pull`, `push`).
pub(crate) const ADMIN_TOKEN_VARS: [&str; 2] = ["INSTANT_APP_ADMIN_TOKEN", "INSTANT_ADMIN_TOKEN"];

/// instant-cli's response timeout.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// A wait longer than this shows what it waits for.
pub(crate) const SPINNER_AFTER: Duration = Duration::from_secs(2);

/// A timeout in seconds (`30`, `0.5`), optionally spelled with a unit (`30s`, `500ms`, `2m`).
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 && value * scale < 1e9 => {
            Ok(Duration::from_secs_f64(value * scale))
        }
        _ => Err(format!(
            "`{text}` is not a timeout: give seconds, such as 30, 0.5, 500ms or 2m"
        )),
    }
}

/// The options instant-cli accepts anywhere on the line (before or after the command), plus
/// ours: `--api-uri` and `--timeout`.
#[derive(Debug, Default, Args)]
pub(crate) struct GlobalArgs {
    /// The token to send instead of the stored login (default: `$INSTANT_CLI_AUTH_TOKEN`, then
    /// an app admin token from `$INSTANT_APP_ADMIN_TOKEN` for app commands, then the stored
    /// login). `instant login --token T` checks T with the server and stores it (`-` reads it
    /// from stdin). Prefer the variable: options show up in the process list.
    #[arg(short = 't', long, value_name = "TOKEN", global = true)]
    pub(crate) token: Option<String>,
    /// Answer yes to every question (confirmations, overwrites; new names are created rather
    /// than asked about).
    #[arg(short = 'y', long, global = true)]
    pub(crate) yes: bool,
    /// Read variables from this file instead of `.env`, `.env.local`, `.env.<NODE_ENV>` and
    /// `.env.<NODE_ENV>.local` (variables set in the shell always win).
    #[arg(long = "env", value_name = "FILE", global = true)]
    pub(crate) env_file: Option<PathBuf>,
    /// The Instant server to talk to (default: `$INSTANT_CLI_API_URI`, else
    /// `http://localhost:8888` if `$INSTANT_CLI_DEV` is set, else `https://api.instantdb.com`).
    /// Logins are kept per server.
    #[arg(long, value_name = "URL", global = true)]
    pub(crate) api_uri: Option<String>,
    /// How long to wait for each answer of the server, in seconds (default:
    /// `$INSTANT_CLI_TIMEOUT`, else 300 as instant-cli).
    #[arg(long, value_name = "SECONDS", global = true)]
    pub(crate) timeout: Option<String>,
}

/// The app option of app-scoped commands.
#[derive(Debug, Args)]
pub(crate) struct AppArgs {
    /// The app's id (default: `$INSTANT_APP_ID`, or `$NEXT_PUBLIC_INSTANT_APP_ID`,
    /// `$PUBLIC_INSTANT_APP_ID`, `$VITE_INSTANT_APP_ID`, `$EXPO_PUBLIC_INSTANT_APP_ID`,
    /// `$NUXT_PUBLIC_INSTANT_APP_ID`, `$BUN_PUBLIC_INSTANT_APP_ID`).
    #[arg(short = 'a', long = "app", value_name = "APP_ID")]
    pub(crate) app: Option<String>,
}

/// Where the token in use came from, to say which one the server refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenSource {
    /// `--token`.
    Flag,
    /// An environment variable (or `.env` file).
    Var(&'static str),
    /// The stored login.
    Stored,
}

impl Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Flag => f.write_str("the token given with --token"),
            TokenSource::Var(name) => write!(f, "the token in {name}"),
            TokenSource::Stored => f.write_str("the stored login"),
        }
    }
}

/// The resolved settings of a server command.
#[derive(Debug)]
pub(crate) struct Context {
    /// The command's name, prefixed to its failures (`instant push`).
    pub(crate) command: &'static str,
    pub(crate) env: Env,
    /// The server, as the user gave it (normalised by the HTTP client when used).
    pub(crate) api_uri: String,
    /// `-y/--yes`.
    pub(crate) yes: bool,
    /// `-t/--token`.
    pub(crate) token_flag: Option<String>,
    /// How long one answer of the server may take.
    pub(crate) timeout: Duration,
}

impl Context {
    /// Loads the `.env` files and resolves the server.
    pub(crate) fn new(command: &'static str, args: &GlobalArgs) -> Result<Context, Failure> {
        let cwd = std::env::current_dir()
            .map_err(|err| Failure::new(format!("{command}: the current directory: {err}")))?;
        let env = Env::load(&cwd, args.env_file.as_deref()).map_err(|err| err.prefixed(command))?;
        let api_uri = match &args.api_uri {
            Some(uri) => uri.clone(),
            None => env.get("INSTANT_CLI_API_URI").unwrap_or_else(|| {
                if env.flag("INSTANT_CLI_DEV") {
                    DEV_API_URI.to_owned()
                } else {
                    DEFAULT_API_URI.to_owned()
                }
            }),
        };
        let timeout = match &args.timeout {
            Some(text) => parse_timeout(text)
                .map_err(|err| Failure::new(format!("{command}: --timeout: {err}")))?,
            None => match env.get("INSTANT_CLI_TIMEOUT") {
                Some(text) => parse_timeout(&text).map_err(|err| {
                    Failure::new(format!("{command}: INSTANT_CLI_TIMEOUT: {err}"))
                })?,
                None => RESPONSE_TIMEOUT,
            },
        };
        Ok(Context {
            command,
            env,
            api_uri,
            yes: args.yes,
            token_flag: args.token.clone(),
            timeout,
        })
    }

    /// A failure of this command.
    pub(crate) fn fail(&self, message: impl Display) -> Failure {
        Failure::new(format!("{}: {message}", self.command))
    }

    /// The dashboard URL: `explicit`, `INSTANT_CLI_DASH_URI`, the development dashboard, the
    /// server itself when it runs on this machine (a local server is not Instant Cloud: its
    /// logins and apps are unknown to instantdb.com), or [`DEFAULT_DASH_URI`].
    pub(crate) fn dash_uri(&self, explicit: Option<&str>) -> String {
        let uri = match explicit {
            Some(uri) => uri.to_owned(),
            None => self.env.get("INSTANT_CLI_DASH_URI").unwrap_or_else(|| {
                if self.env.flag("INSTANT_CLI_DEV") {
                    DEV_DASH_URI.to_owned()
                } else if self.is_local_server() {
                    self.api_uri.clone()
                } else {
                    DEFAULT_DASH_URI.to_owned()
                }
            }),
        };
        uri.trim_end_matches('/').to_owned()
    }

    /// Whether the server runs on this machine (a loopback host).
    pub(crate) fn is_local_server(&self) -> bool {
        url::Url::parse(&self.api_uri).is_ok_and(|url| match url.host() {
            Some(url::Host::Domain(host)) => host == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        })
    }

    /// The token store of the current user.
    pub(crate) fn store(&self) -> Result<TokenStore, Failure> {
        TokenStore::for_current_user().map_err(|err| err.prefixed(self.command))
    }

    /// The token to send, by instant-cli's precedence.
    pub(crate) fn token(&self, allow_admin_token: bool) -> Result<(Secret, TokenSource), Failure> {
        if let Some(token) = self.token_flag.as_deref().filter(|t| !t.is_empty()) {
            return Ok((Secret::new(token), TokenSource::Flag));
        }
        if let Some(token) = self.env.get("INSTANT_CLI_AUTH_TOKEN") {
            return Ok((
                Secret::new(token),
                TokenSource::Var("INSTANT_CLI_AUTH_TOKEN"),
            ));
        }
        if allow_admin_token {
            for name in ADMIN_TOKEN_VARS {
                if let Some(token) = self.env.get(name) {
                    return Ok((Secret::new(token), TokenSource::Var(name)));
                }
            }
        }
        match self.store()?.read(&self.api_uri) {
            Ok(Some(token)) => Ok((token, TokenSource::Stored)),
            Ok(None) => Err(self.fail(format!(
                "You are not logged in to {}. Run `{}`, or pass a token with --token or \
                 INSTANT_CLI_AUTH_TOKEN.",
                self.api_uri,
                self.login_command()
            ))),
            Err(err) => Err(err.prefixed(self.command)),
        }
    }

    /// The app id: `explicit`, else the first app id variable that is set. Must be a UUID.
    pub(crate) fn app_id(&self, args: &AppArgs) -> Result<String, Failure> {
        let (value, source) = match &args.app {
            Some(app) => (app.clone(), "--app".to_owned()),
            None => APP_ID_VARS
                .iter()
                .find_map(|name| self.env.get(name).map(|v| (v, (*name).to_owned())))
                .ok_or_else(|| {
                    self.fail(
                        "no app given: pass --app APP_ID or set INSTANT_APP_ID (in the \
                         environment or a .env file)",
                    )
                })?,
        };
        let value = value.trim().to_owned();
        if uuid::Uuid::parse_str(&value).is_err() || value.len() != 36 {
            return Err(self.fail(format!(
                "{source}: `{value}` is not an app id (a UUID like \
                 7b1e7c38-4a8e-4f0e-9a3b-2f4c1d0e5a6b)"
            )));
        }
        Ok(value.to_ascii_lowercase())
    }

    /// A platform client for the server, sending `token` (or nothing).
    pub(crate) fn platform(&self, token: Option<Secret>) -> Result<PlatformClient, Failure> {
        let mut builder = PlatformClient::builder().api_uri(&self.api_uri);
        if let Some(token) = token {
            builder = builder.token(token);
        }
        builder
            .build()
            .map_err(|err| self.fail(format!("--api-uri {}: {err}", self.api_uri)))
    }

    /// Per-call settings of every request: the response timeout (instant-cli's 5 minutes
    /// unless `--timeout` or `INSTANT_CLI_TIMEOUT` says otherwise).
    pub(crate) fn options(&self) -> RequestOptions {
        RequestOptions::new().timeout(self.timeout)
    }

    /// Awaits one server call, showing a spinner that says what it waits for once the wait
    /// passes [`SPINNER_AFTER`]; a failure is shown by [`Context::api_failure`].
    pub(crate) async fn call<T, E, F>(
        &self,
        doing: &str,
        source: Option<&TokenSource>,
        call: F,
    ) -> Result<T, Failure>
    where
        E: ServerError,
        F: std::future::IntoFuture<Output = Result<T, E>>,
    {
        self.wait(doing, call)
            .await
            .map_err(|err| self.api_failure(doing, &err, source))
    }

    /// Awaits `future`; past [`SPINNER_AFTER`] a spinner says what it waits for.
    pub(crate) async fn wait<F: std::future::IntoFuture>(
        &self,
        doing: &str,
        future: F,
    ) -> F::Output {
        let future = future.into_future();
        tokio::pin!(future);
        tokio::select! {
            result = &mut future => result,
            () = tokio::time::sleep(SPINNER_AFTER) => {
                let spinner = crate::progress::Spinner::start(&format!(
                    "{doing}: waiting for {}...",
                    self.api_uri
                ));
                let result = future.await;
                spinner.finish();
                result
            }
        }
    }

    /// A failed server call, shown as instant-cli shows it: the server's message (`hint.message`
    /// when it has one), then each `hint.errors` entry as `in->path: message`, then where it
    /// came from. A refused token says which token and how to get a new one.
    pub(crate) fn api_failure(
        &self,
        doing: &str,
        err: &impl ServerError,
        source: Option<&TokenSource>,
    ) -> Failure {
        let mut text = format!("{}: {doing}: ", self.command);
        if err.is_auth_failure() {
            // Said first and in plain words: the server's own text for this ("Record not
            // found: instant-user") does not tell a new user that the login is the problem.
            let which = source.map_or_else(|| "the token".to_owned(), ToString::to_string);
            text.push_str(&format!(
                "{} refused {which}: the token is unknown to this server, expired or revoked.\n\
                 Log in again with `{}`, or pass a valid token with --token or \
                 INSTANT_CLI_AUTH_TOKEN.",
                self.api_uri,
                self.login_command()
            ));
            if let Some(api) = err.api_error() {
                text.push_str(&format!(
                    "\n  ({} answered HTTP {} {}: {})",
                    err.endpoint().unwrap_or("the request"),
                    api.status().as_u16(),
                    api.error_type().unwrap_or("no error type"),
                    api.message()
                ));
            }
            return Failure::new(text);
        }
        match err.api_error() {
            Some(api) => {
                let hint = api.hint();
                let message = hint
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or(api.message());
                text.push_str(&format!("Error making request to Instant API: {message}"));
                for entry in hint
                    .get("errors")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    match entry {
                        Value::String(line) => text.push_str(&format!("\n  {line}")),
                        entry => {
                            let path = entry
                                .get("in")
                                .and_then(Value::as_array)
                                .map(|parts| {
                                    let parts: Vec<String> = parts
                                        .iter()
                                        .map(|p| {
                                            p.as_str().map_or_else(|| p.to_string(), str::to_owned)
                                        })
                                        .collect();
                                    format!("{}: ", parts.join("->"))
                                })
                                .unwrap_or_default();
                            if let Some(message) = entry.get("message").and_then(Value::as_str) {
                                text.push_str(&format!("\n  {path}{message}"));
                            }
                        }
                    }
                }
                let kind = api.error_type().unwrap_or("no error type");
                let endpoint = err.endpoint().unwrap_or("the request");
                text.push_str(&format!(
                    "\n  ({endpoint} answered HTTP {} {kind}{})",
                    api.status().as_u16(),
                    api.trace_id()
                        .map(|id| format!(", trace id {id}"))
                        .unwrap_or_default()
                ));
            }
            None if err.is_timeout() => text.push_str(&format!(
                "{} did not answer within {}. Is the server overloaded or the URL wrong? \
                 Wait longer with --timeout SECONDS (or INSTANT_CLI_TIMEOUT).",
                self.api_uri,
                describe_duration(self.timeout)
            )),
            None if err.is_connect() => text.push_str(&format!(
                "could not connect to {}: {err}\nIs the server running, and is the URL right? \
                 Choose the server with --api-uri or INSTANT_CLI_API_URI.",
                self.api_uri
            )),
            None => text.push_str(&format!("{} ({})", err, self.api_uri)),
        }
        Failure::new(text)
    }

    /// The login command for this server: `--api-uri` only when it is not the default.
    pub(crate) fn login_command(&self) -> String {
        if self.api_uri.trim_end_matches('/') == DEFAULT_API_URI {
            "instant login".to_owned()
        } else {
            format!("instant login --api-uri {}", self.api_uri)
        }
    }
}

/// What the error display needs of the platform and admin clients' errors (both generated by
/// `instantdb_http::http_error_accessors!`).
pub(crate) trait ServerError: Display {
    fn api_error(&self) -> Option<&instantdb_platform::http::ApiError>;
    fn endpoint(&self) -> Option<&str>;
    fn is_auth_failure(&self) -> bool;
    fn is_timeout(&self) -> bool;
    fn is_connect(&self) -> bool;
}

macro_rules! server_error {
    ($($error:ty),*) => {$(
        impl ServerError for $error {
            fn api_error(&self) -> Option<&instantdb_platform::http::ApiError> {
                <$error>::api_error(self)
            }
            fn endpoint(&self) -> Option<&str> {
                <$error>::endpoint(self)
            }
            fn is_auth_failure(&self) -> bool {
                <$error>::is_auth_failure(self)
            }
            fn is_timeout(&self) -> bool {
                <$error>::is_timeout(self)
            }
            fn is_connect(&self) -> bool {
                <$error>::is_connect(self)
            }
        }
    )*};
}

server_error!(instantdb_platform::Error, instantdb_admin::Error);

/// `300 s`, `1.5 s`, `500 ms`.
fn describe_duration(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{} s", duration.as_secs_f64())
    }
}

/// A runtime for one command: requests and the progress of background jobs run on it.
pub(crate) fn runtime(command: &str) -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| {
            Failure::new(format!(
                "{command}: could not start the async runtime: {err}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(vars: &[(&str, &str)]) -> Context {
        Context {
            command: "instant test",
            env: Env::from_vars(vars),
            api_uri: "http://127.0.0.1:1".to_owned(),
            yes: false,
            token_flag: None,
            timeout: RESPONSE_TIMEOUT,
        }
    }

    fn app(value: Option<&str>) -> AppArgs {
        AppArgs {
            app: value.map(str::to_owned),
        }
    }

    const APP: &str = "7b1e7c38-4a8e-4f0e-9a3b-2f4c1d0e5a6b";

    #[test]
    fn app_ids_come_from_the_flag_then_the_first_variable_set() {
        let ctx = context(&[
            ("INSTANT_APP_ID", ""),
            ("VITE_INSTANT_APP_ID", APP),
            ("BUN_PUBLIC_INSTANT_APP_ID", "not-this-one"),
        ]);
        assert_eq!(ctx.app_id(&app(None)).unwrap(), APP);
        assert_eq!(
            ctx.app_id(&app(Some(&APP.to_uppercase()))).unwrap(),
            APP,
            "UUIDs compare lower-case"
        );
        let err = ctx.app_id(&app(Some("my-app"))).unwrap_err();
        assert!(format!("{err:?}").contains("--app: `my-app` is not an app id"));
        let bad = context(&[("NEXT_PUBLIC_INSTANT_APP_ID", "nope")]);
        let err = bad.app_id(&app(None)).unwrap_err();
        assert!(format!("{err:?}").contains("NEXT_PUBLIC_INSTANT_APP_ID: `nope`"));
        let none = context(&[]);
        assert!(format!("{:?}", none.app_id(&app(None)).unwrap_err()).contains("no app given"));
    }

    #[test]
    fn tokens_follow_instant_clis_precedence() {
        let mut ctx = context(&[
            ("INSTANT_CLI_AUTH_TOKEN", "from-env"),
            ("INSTANT_APP_ADMIN_TOKEN", "admin"),
        ]);
        ctx.token_flag = Some("from-flag".into());
        let (token, source) = ctx.token(true).unwrap();
        assert_eq!((token.expose(), source), ("from-flag", TokenSource::Flag));
        ctx.token_flag = None;
        let (token, source) = ctx.token(true).unwrap();
        assert_eq!(
            (token.expose(), source),
            ("from-env", TokenSource::Var("INSTANT_CLI_AUTH_TOKEN"))
        );
        let admin = context(&[("INSTANT_ADMIN_TOKEN", "short-admin")]);
        let (token, source) = admin.token(true).unwrap();
        assert_eq!(
            (token.expose(), source),
            ("short-admin", TokenSource::Var("INSTANT_ADMIN_TOKEN"))
        );
    }

    #[test]
    fn timeouts_are_seconds_or_carry_a_unit() {
        assert_eq!(parse_timeout("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_timeout("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_timeout("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_timeout("2m"), Ok(Duration::from_secs(120)));
        for bad in ["", "0", "-1", "soon", "NaN", "1e30"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dashboard_uris_resolve_like_the_api_uri() {
        let ctx = context(&[]);
        assert_eq!(
            ctx.dash_uri(Some("https://dash.example.com/")),
            "https://dash.example.com"
        );
        // A server on this machine is its own dashboard; Instant Cloud's is instantdb.com.
        assert_eq!(ctx.dash_uri(None), "http://127.0.0.1:1");
        let mut cloud = context(&[]);
        cloud.api_uri = DEFAULT_API_URI.to_owned();
        assert_eq!(cloud.dash_uri(None), DEFAULT_DASH_URI);
        let dev = context(&[("INSTANT_CLI_DEV", "true")]);
        assert_eq!(dev.dash_uri(None), DEV_DASH_URI);
        let set = context(&[
            ("INSTANT_CLI_DASH_URI", "http://dash.local"),
            ("INSTANT_CLI_DEV", "1"),
        ]);
        assert_eq!(set.dash_uri(None), "http://dash.local");
    }
}
