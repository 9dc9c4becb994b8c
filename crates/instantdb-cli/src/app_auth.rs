//! `instant auth client list|delete` and `instant auth origin list|add|delete`, as instant-cli
//! 1.0.67 (`commands/auth/`), over the `/dash/apps/:id/...` endpoints it uses (the platform
//! client's `app_auth`, `add_authorized_origin`, `delete_authorized_origin` and
//! `delete_oauth_client`). App admin tokens are accepted, as upstream. `--json` prints the
//! server's objects as it sends them. The summary of an added origin is printed as plain lines
//! (upstream draws a box around them).

use clap::{Args, Subcommand, ValueEnum};
use instantdb_platform::{AppAuth, AuthorizedOrigin, PlatformClient};
use instantdb_schema::AppId;
use serde_json::{Value, json};

use crate::io::{self, Failure, say};
use crate::server::{self, AppArgs, Context, GlobalArgs, TokenSource};

/// `instant auth …`.
#[derive(Debug, Subcommand)]
pub(crate) enum AuthCommand {
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage authorized redirect origins.
    #[command(subcommand)]
    Origin(OriginCommand),
}

/// `instant auth client …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ClientCommand {
    /// List the app's OAuth clients.
    List(ListArgs),
    /// Delete an OAuth client.
    Delete(ClientDeleteArgs),
}

/// `instant auth origin …`.
#[derive(Debug, Subcommand)]
pub(crate) enum OriginCommand {
    /// List the app's authorized redirect origins.
    List(ListArgs),
    /// Add an authorized redirect origin.
    #[command(after_help = "Origin Types:
  website         A standard website origin (e.g. example.com)
  vercel          Vercel preview deployments (project name)
  netlify         Netlify preview deployments (site name)
  custom-scheme   Native app scheme (e.g. your-app-scheme://)")]
    Add(OriginAddArgs),
    /// Delete an authorized redirect origin.
    Delete(OriginDeleteArgs),
}

/// Options of the list commands.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    app: AppArgs,
    /// Enable JSON output.
    #[arg(long)]
    json: bool,
}

/// Options of `instant auth client delete`.
#[derive(Debug, Args)]
pub(crate) struct ClientDeleteArgs {
    /// Client ID to delete.
    #[arg(long, value_name = "CLIENT_ID")]
    id: Option<String>,
    /// Client name to delete.
    #[arg(long, value_name = "CLIENT_NAME")]
    name: Option<String>,
    #[command(flatten)]
    app: AppArgs,
}

/// The kinds of origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OriginType {
    /// A standard website origin.
    Website,
    /// Vercel preview deployments.
    Vercel,
    /// Netlify preview deployments.
    Netlify,
    /// A native app scheme.
    CustomScheme,
}

/// Options of `instant auth origin add`.
#[derive(Debug, Args)]
pub(crate) struct OriginAddArgs {
    /// Type of origin to add.
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    kind: Option<OriginType>,
    /// Website URL (for website type, e.g. example.com).
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Vercel project name (for vercel type, e.g. my-project).
    #[arg(long, value_name = "NAME")]
    project: Option<String>,
    /// Netlify site name (for netlify type, e.g. my-site).
    #[arg(long, value_name = "NAME")]
    site: Option<String>,
    /// App scheme (for custom-scheme type, e.g. myapp://).
    #[arg(long, value_name = "SCHEME")]
    scheme: Option<String>,
    #[command(flatten)]
    app: AppArgs,
}

/// Options of `instant auth origin delete`.
#[derive(Debug, Args)]
pub(crate) struct OriginDeleteArgs {
    /// Origin ID to delete.
    #[arg(long, value_name = "ORIGIN_ID")]
    id: Option<String>,
    #[command(flatten)]
    app: AppArgs,
}

struct Session {
    ctx: Context,
    api: PlatformClient,
    app_id: AppId,
    source: TokenSource,
    runtime: tokio::runtime::Runtime,
}

impl Session {
    fn new(command: &'static str, global: &GlobalArgs, app: &AppArgs) -> Result<Session, Failure> {
        let ctx = Context::new(command, global)?;
        let app_id = AppId::new(ctx.app_id(app)?);
        let (token, source) = ctx.token(true)?;
        let api = ctx.platform(Some(token))?;
        let runtime = server::runtime(command)?;
        Ok(Session {
            ctx,
            api,
            app_id,
            source,
            runtime,
        })
    }

    fn call<T, F>(&self, doing: &str, call: F) -> Result<T, Failure>
    where
        F: std::future::IntoFuture<Output = Result<T, instantdb_platform::Error>>,
    {
        self.runtime
            .block_on(self.ctx.call(doing, Some(&self.source), call))
    }

    fn auth(&self) -> Result<AppAuth, Failure> {
        self.call(
            "reading the app's auth settings",
            self.api
                .app_auth(self.app_id.clone())
                .with_options(self.ctx.options()),
        )
    }

    /// A pick from `items` on a terminal; without one (or with --yes), `missing` as a failure.
    fn pick(
        &self,
        prompt: &str,
        items: &[String],
        missing: &str,
    ) -> Result<Option<usize>, Failure> {
        if self.ctx.yes || !io::interactive() {
            return Err(self.ctx.fail(missing));
        }
        Ok(dialoguer::Select::new()
            .with_prompt(prompt)
            .items(items)
            .interact_opt()
            .ok()
            .flatten())
    }
}

/// Runs `instant auth …`.
pub(crate) fn run(command: AuthCommand, global: &GlobalArgs) -> Result<(), Failure> {
    match command {
        AuthCommand::Client(ClientCommand::List(args)) => client_list(args, global),
        AuthCommand::Client(ClientCommand::Delete(args)) => client_delete(args, global),
        AuthCommand::Origin(OriginCommand::List(args)) => origin_list(args, global),
        AuthCommand::Origin(OriginCommand::Add(args)) => origin_add(args, global),
        AuthCommand::Origin(OriginCommand::Delete(args)) => origin_delete(args, global),
    }
}

fn client_list(args: ListArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let session = Session::new("instant auth client list", global, &args.app)?;
    let auth = session.auth()?;
    if args.json {
        let clients: Vec<Value> = auth
            .oauth_clients
            .iter()
            .map(|client| {
                json!({
                    "id": client.id,
                    "client_name": client.client_name,
                    "client_id": client.client_id,
                    "provider_id": client.provider_id,
                    "redirect_to": client.redirect_to,
                    "meta": client.meta,
                    "use_shared_credentials": client.use_shared_credentials,
                })
            })
            .collect();
        say(pretty(&Value::Array(clients)));
        return Ok(());
    }
    if auth.oauth_clients.is_empty() {
        say("No OAuth clients configured.");
        return Ok(());
    }
    for client in &auth.oauth_clients {
        let provider = auth
            .oauth_service_providers
            .iter()
            .find(|p| p.id == client.provider_id)
            .map_or(client.provider_id.as_str(), |p| p.provider_name.as_str());
        let shared = client.use_shared_credentials == Some(true);
        say(&client.client_name);
        say(format_args!("  Provider: {provider}"));
        if let Some(app_type) = client
            .meta
            .as_ref()
            .and_then(|meta| meta.get("appType"))
            .and_then(Value::as_str)
        {
            say(format_args!("  App type: {app_type}"));
        }
        say(format_args!(
            "  Credentials: {}",
            if shared {
                "Instant dev credentials"
            } else {
                "custom"
            }
        ));
        say(format_args!("  ID: {}", client.id));
        say(format_args!(
            "  Client id: {}",
            if shared {
                "managed by Instant"
            } else {
                client.client_id.as_deref().unwrap_or("n/a")
            }
        ));
        say(format_args!(
            "  Redirect URL: {}",
            if shared {
                "localhost and Expo allowed automatically"
            } else {
                client.redirect_to.as_deref().unwrap_or("n/a")
            }
        ));
    }
    Ok(())
}

fn client_delete(args: ClientDeleteArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let session = Session::new("instant auth client delete", global, &args.app)?;
    let auth = session.auth()?;
    let id = if args.id.is_none() && args.name.is_none() {
        if auth.oauth_clients.is_empty() && !session.ctx.yes {
            say("No OAuth clients found");
            return Ok(());
        }
        let items: Vec<String> = auth
            .oauth_clients
            .iter()
            .map(|client| format!("{} ({})", client.client_name, client.id))
            .collect();
        match session.pick(
            "Select a client to delete:",
            &items,
            "Must specify --id or --name",
        )? {
            Some(index) => auth.oauth_clients[index].id.clone(),
            None => return Ok(()),
        }
    } else {
        let found = auth.oauth_clients.iter().find(|client| match &args.id {
            Some(id) => &client.id == id,
            None => Some(&client.client_name) == args.name.as_ref(),
        });
        match found {
            Some(client) => client.id.clone(),
            None => {
                let lookup = match &args.id {
                    Some(id) => format!("id {id}"),
                    None => format!("name {}", args.name.as_deref().unwrap_or_default()),
                };
                return Err(session
                    .ctx
                    .fail(format!("OAuth client not found: {lookup}")));
            }
        }
    };
    session.call(
        "deleting the client",
        session
            .api
            .delete_oauth_client(session.app_id.clone(), &id)
            .with_options(session.ctx.options()),
    )?;
    say("Client Deleted!");
    Ok(())
}

/// instant-cli's `originSource`.
fn origin_source(origin: &AuthorizedOrigin) -> String {
    match origin.service.as_str() {
        "generic" => "Website".to_owned(),
        "netlify" => "Netlify site".to_owned(),
        "vercel" => match origin.params.first().map(String::as_str) {
            Some("vercel.app") | None => "Vercel project".to_owned(),
            Some(other) => format!("Vercel project ({other})"),
        },
        "custom-scheme" => "Native app".to_owned(),
        other => other.to_owned(),
    }
}

/// instant-cli's `originDisplay`.
fn origin_display(origin: &AuthorizedOrigin) -> String {
    let param = |i: usize| origin.params.get(i).cloned().unwrap_or_default();
    match origin.service.as_str() {
        "vercel" => param(1),
        "custom-scheme" => format!("{}://", param(0)),
        _ => param(0),
    }
}

fn origin_list(args: ListArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let session = Session::new("instant auth origin list", global, &args.app)?;
    let auth = session.auth()?;
    if args.json {
        let origins: Vec<Value> = auth
            .authorized_redirect_origins
            .iter()
            .map(|o| json!({"id": o.id, "service": o.service, "params": o.params}))
            .collect();
        say(pretty(&Value::Array(origins)));
        return Ok(());
    }
    if auth.authorized_redirect_origins.is_empty() {
        say("No authorized redirect origins configured.");
        return Ok(());
    }
    for origin in &auth.authorized_redirect_origins {
        say(origin_display(origin));
        say(format_args!("  Type: {}", origin_source(origin)));
        say(format_args!("  ID: {}", origin.id));
    }
    Ok(())
}

/// instant-cli's `validateGenericUrl`: the host of a URL, `http://` assumed; a bare name
/// without a dot needs a port.
fn generic_host(input: &str) -> Result<String, String> {
    let trimmed = input.trim();
    let parse = |text: &str| {
        let url = url::Url::parse(text).ok()?;
        let host = url.host_str()?.to_owned();
        let host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        (host.contains('.') || url.port().is_some()).then_some(host)
    };
    parse(trimmed)
        .or_else(|| (!trimmed.starts_with("http")).then(|| parse(&format!("http://{trimmed}")))?)
        .ok_or_else(|| "Invalid URL.".to_owned())
}

fn origin_add(args: OriginAddArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let ctx_command = "instant auth origin add";
    let session = Session::new(ctx_command, global, &args.app)?;
    let fail = |message: &str| session.ctx.fail(message);
    let Some(kind) = args.kind else {
        return Err(fail(
            "Missing --type (website, vercel, netlify or custom-scheme)",
        ));
    };
    let required = |value: &Option<String>, flag: &str| {
        value
            .clone()
            .ok_or_else(|| fail(&format!("Missing required value for {flag}")))
    };
    let (service, params) = match kind {
        OriginType::Website => {
            let url = required(&args.url, "--url")?;
            (
                "generic",
                vec![generic_host(&url).map_err(|err| fail(&err))?],
            )
        }
        OriginType::Vercel => {
            let project = required(&args.project, "--project")?;
            let project = project.trim().to_owned();
            if project.is_empty() {
                return Err(fail("Vercel project name is required."));
            }
            ("vercel", vec!["vercel.app".to_owned(), project])
        }
        OriginType::Netlify => {
            let site = required(&args.site, "--site")?;
            let site = site.trim().to_owned();
            if site.is_empty() {
                return Err(fail("Netlify site name is required."));
            }
            ("netlify", vec![site])
        }
        OriginType::CustomScheme => {
            let scheme = required(&args.scheme, "--scheme")?;
            let parsed = url::Url::parse(scheme.trim()).map_err(|_| fail("Invalid scheme."))?;
            ("custom-scheme", vec![parsed.scheme().to_owned()])
        }
    };
    let origin = session.call(
        "adding the origin",
        session
            .api
            .add_authorized_origin(session.app_id.clone(), service, params)
            .with_options(session.ctx.options()),
    )?;
    say("");
    say(format_args!("Origin added: {}", origin_display(&origin)));
    say(format_args!("Type: {}", origin_source(&origin)));
    say(format_args!("ID: {}", origin.id));
    Ok(())
}

fn origin_delete(args: OriginDeleteArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let session = Session::new("instant auth origin delete", global, &args.app)?;
    let auth = session.auth()?;
    if auth.authorized_redirect_origins.is_empty() {
        say("No authorized redirect origins configured.");
        return Ok(());
    }
    let id = match args.id {
        Some(id) => id,
        None => {
            let origins = &auth.authorized_redirect_origins;
            let items: Vec<String> = origins
                .iter()
                .map(|o| format!("{} — {} ({})", origin_source(o), origin_display(o), o.id))
                .collect();
            match session.pick("Select an origin to delete:", &items, "Must specify --id")? {
                Some(index) => origins[index].id.clone(),
                None => return Ok(()),
            }
        }
    };
    session.call(
        "deleting the origin",
        session
            .api
            .delete_authorized_origin(session.app_id.clone(), &id)
            .with_options(session.ctx.options()),
    )?;
    say("Origin deleted!");
    Ok(())
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn website_origins_are_hosts_as_instant_cli_reads_them() {
        assert_eq!(generic_host("example.com"), Ok("example.com".to_owned()));
        assert_eq!(
            generic_host(" https://app.example.com/path "),
            Ok("app.example.com".to_owned())
        );
        assert_eq!(
            generic_host("localhost:3000"),
            Ok("localhost:3000".to_owned())
        );
        assert_eq!(generic_host("localhost"), Err("Invalid URL.".to_owned()));
        assert_eq!(generic_host(""), Err("Invalid URL.".to_owned()));
    }
}
