//! `instant webhook list|add|update|delete|enable|disable` and `instant webhook event
//! list|resend|payload`, as instant-cli 1.0.67 (`commands/webhooks/`), over the platform
//! client's [`instantdb_platform::Webhooks`]. As upstream, app admin tokens are not accepted
//! (`allowAdminToken: false`): a login or personal access token is.
//!
//! Without `--id` (or `--webhook-id`, `--isn`) a terminal gets a list to pick from; otherwise,
//! and always with `--yes`, the flag is required. Differences from upstream: the summary of a
//! changed webhook is printed as plain lines (upstream draws a box around them), and `--json`
//! prints the SDK's fields in camelCase (`id`, `url`, `namespaces`, `actions`, `status`,
//! `disabledReason`, `createdAt`, `updatedAt`).

use std::time::SystemTime;

use clap::{Args, Subcommand};
use instantdb_platform::{
    Webhook, WebhookAction, WebhookEvent, WebhookEventStatus, WebhookStatus, WebhookUpdate,
    Webhooks,
};
use serde_json::{Value, json};

use crate::io::{self, Failure, say};
use crate::server::{self, AppArgs, Context, GlobalArgs, TokenSource};

/// instant-cli lists up to this many events, newest first.
const EVENT_LIMIT: usize = 100;

/// `instant webhook …`.
#[derive(Debug, Subcommand)]
pub(crate) enum WebhookCommand {
    /// List webhooks for an app.
    List(ListArgs),
    /// Add a webhook to an app.
    Add(AddArgs),
    /// Update a webhook.
    Update(UpdateArgs),
    /// Delete a webhook.
    Delete(IdArgs),
    /// Re-enable a disabled webhook.
    Enable(IdArgs),
    /// Disable an active webhook.
    Disable(DisableArgs),
    /// Inspect and resend webhook events.
    #[command(subcommand)]
    Event(EventCommand),
}

/// `instant webhook event …`.
#[derive(Debug, Subcommand)]
pub(crate) enum EventCommand {
    /// List recent events for a webhook (up to 100, newest first).
    List(EventListArgs),
    /// Re-queue a webhook event for delivery.
    Resend(EventArgs),
    /// Print the JSON payload for a webhook event.
    Payload(EventArgs),
}

/// Options of `instant webhook list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    app: AppArgs,
    /// Enable JSON output.
    #[arg(long)]
    json: bool,
}

/// Options of `instant webhook add`.
#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// HTTPS endpoint to deliver events to.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Comma-separated list of namespaces to listen on.
    #[arg(long, value_name = "E1,E2")]
    namespaces: Option<String>,
    /// Comma-separated list of actions (create, update, delete).
    #[arg(long, value_name = "A1,A2")]
    actions: Option<String>,
    #[command(flatten)]
    app: AppArgs,
}

/// Options of `instant webhook update`.
#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// Webhook ID to update.
    #[arg(long, value_name = "WEBHOOK_ID")]
    id: Option<String>,
    /// New HTTPS endpoint.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// New comma-separated namespaces.
    #[arg(long, value_name = "E1,E2")]
    namespaces: Option<String>,
    /// New comma-separated actions (create, update, delete).
    #[arg(long, value_name = "A1,A2")]
    actions: Option<String>,
    #[command(flatten)]
    app: AppArgs,
}

/// Options of `instant webhook delete` and `enable`.
#[derive(Debug, Args)]
pub(crate) struct IdArgs {
    /// Webhook ID.
    #[arg(long, value_name = "WEBHOOK_ID")]
    id: Option<String>,
    #[command(flatten)]
    app: AppArgs,
}

/// Options of `instant webhook disable`.
#[derive(Debug, Args)]
pub(crate) struct DisableArgs {
    /// Webhook ID to disable.
    #[arg(long, value_name = "WEBHOOK_ID")]
    id: Option<String>,
    /// Human-readable reason stored on the webhook.
    #[arg(long, value_name = "REASON")]
    reason: Option<String>,
    #[command(flatten)]
    app: AppArgs,
}

/// Options of `instant webhook event list`.
#[derive(Debug, Args)]
pub(crate) struct EventListArgs {
    /// Webhook ID to inspect.
    #[arg(long, value_name = "WEBHOOK_ID")]
    webhook_id: Option<String>,
    /// Enable JSON output.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    app: AppArgs,
}

/// Options of `instant webhook event resend` and `payload`.
#[derive(Debug, Args)]
pub(crate) struct EventArgs {
    /// Webhook ID the event belongs to.
    #[arg(long, value_name = "WEBHOOK_ID")]
    webhook_id: Option<String>,
    /// Event ISN.
    #[arg(long, value_name = "ISN")]
    isn: Option<String>,
    #[command(flatten)]
    app: AppArgs,
}

/// What every webhook command needs: the context, the app's webhooks, the token's source.
struct Hooks {
    ctx: Context,
    hooks: Webhooks,
    source: TokenSource,
    runtime: tokio::runtime::Runtime,
}

impl Hooks {
    fn new(command: &'static str, global: &GlobalArgs, app: &AppArgs) -> Result<Hooks, Failure> {
        let ctx = Context::new(command, global)?;
        let app_id = ctx.app_id(app)?;
        let (token, source) = ctx.token(false)?;
        let hooks = ctx.platform(Some(token))?.webhooks(app_id);
        let runtime = server::runtime(command)?;
        Ok(Hooks {
            ctx,
            hooks,
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

    fn list(&self) -> Result<Vec<Webhook>, Failure> {
        self.call(
            "Error listing webhooks",
            self.hooks.list().with_options(self.ctx.options()),
        )
    }

    /// `--id`, or a pick from the list on a terminal (instant-cli's `resolveWebhookId`).
    fn resolve(
        &self,
        id: Option<&str>,
        flag: &str,
        prompt: &str,
        empty: &str,
        filter: fn(&Webhook) -> bool,
    ) -> Result<Option<String>, Failure> {
        if let Some(id) = id {
            return Ok(Some(id.to_owned()));
        }
        if self.ctx.yes || !io::interactive() {
            return Err(self.ctx.fail(format!("Must specify {flag}")));
        }
        let hooks: Vec<Webhook> = self.list()?.into_iter().filter(filter).collect();
        if hooks.is_empty() {
            say(empty);
            return Ok(None);
        }
        let items: Vec<String> = hooks
            .iter()
            .map(|hook| format!("{} ({})", hook.url, hook.id))
            .collect();
        let picked = dialoguer::Select::new()
            .with_prompt(prompt)
            .items(&items)
            .interact_opt()
            .ok()
            .flatten();
        Ok(picked
            .and_then(|index| hooks.get(index))
            .map(|hook| hook.id.clone()))
    }

    /// The webhook and the event an `event resend|payload` is about, asked for when not given;
    /// `None` when there is nothing to pick (the message was printed).
    fn resolve_event(&self, args: &EventArgs) -> Result<Option<(String, String)>, Failure> {
        let Some(id) = self.resolve(
            args.webhook_id.as_deref(),
            "--webhook-id",
            "Select a webhook:",
            "No webhooks configured.",
            |_| true,
        )?
        else {
            return Ok(None);
        };
        let Some(isn) = self.resolve_isn(&id, args.isn.as_deref())? else {
            return Ok(None);
        };
        Ok(Some((id, isn)))
    }

    /// `delete`, `enable` and `disable`: the webhook (`--id`, or a pick among those `filter`
    /// keeps), `change` applied to it, and the result logged as `done`.
    #[allow(clippy::too_many_arguments)] // The three commands differ in exactly these.
    fn change(
        &self,
        id: Option<&str>,
        prompt: &str,
        empty: &str,
        filter: fn(&Webhook) -> bool,
        doing: &str,
        done: &str,
        change: impl FnOnce(&str) -> instantdb_platform::Call<Webhook>,
    ) -> Result<(), Failure> {
        let Some(id) = self.resolve(id, "--id", prompt, empty, filter)? else {
            return Ok(());
        };
        let hook = self.call(doing, change(&id).with_options(self.ctx.options()))?;
        log_webhook(done, &hook);
        Ok(())
    }

    /// `--isn`, or a pick from the recent events on a terminal.
    fn resolve_isn(&self, webhook_id: &str, isn: Option<&str>) -> Result<Option<String>, Failure> {
        if let Some(isn) = isn {
            return Ok(Some(isn.to_owned()));
        }
        if self.ctx.yes || !io::interactive() {
            return Err(self.ctx.fail("Must specify --isn"));
        }
        let events = self.recent_events(webhook_id, 25)?;
        if events.is_empty() {
            say("No events for this webhook.");
            return Ok(None);
        }
        let items: Vec<String> = events.iter().map(event_label).collect();
        let picked = dialoguer::Select::new()
            .with_prompt("Select an event:")
            .items(&items)
            .interact_opt()
            .ok()
            .flatten();
        Ok(picked
            .and_then(|index| events.get(index))
            .map(|event| event.isn.clone()))
    }

    /// Pages through the events until `limit` (instant-cli's `fetchRecentEvents`).
    fn recent_events(&self, webhook_id: &str, limit: usize) -> Result<Vec<WebhookEvent>, Failure> {
        let mut events = Vec::new();
        let mut after: Option<String> = None;
        while events.len() < limit {
            let mut call = self
                .hooks
                .list_events(webhook_id)
                .with_options(self.ctx.options());
            if let Some(cursor) = &after {
                call = call.after(cursor);
            }
            let page = self.call("Error listing webhook events", call)?;
            events.extend(page.events);
            match page.end_cursor {
                Some(cursor) if page.has_next_page => after = Some(cursor),
                _ => break,
            }
        }
        events.truncate(limit);
        Ok(events)
    }
}

/// Runs `instant webhook …`.
pub(crate) fn run(command: WebhookCommand, global: &GlobalArgs) -> Result<(), Failure> {
    match command {
        WebhookCommand::List(args) => list(args, global),
        WebhookCommand::Add(args) => add(args, global),
        WebhookCommand::Update(args) => update(args, global),
        WebhookCommand::Delete(args) => {
            let hooks = Hooks::new("instant webhook delete", global, &args.app)?;
            hooks.change(
                args.id.as_deref(),
                "Select a webhook to delete:",
                "No webhooks configured.",
                |_| true,
                "Error deleting webhook",
                "deleted",
                |id| hooks.hooks.delete(id),
            )
        }
        WebhookCommand::Enable(args) => {
            let hooks = Hooks::new("instant webhook enable", global, &args.app)?;
            hooks.change(
                args.id.as_deref(),
                "Select a webhook to enable:",
                "No disabled webhooks.",
                |hook| hook.status == WebhookStatus::Disabled,
                "Error enabling webhook",
                "enabled",
                |id| hooks.hooks.enable(id),
            )
        }
        WebhookCommand::Disable(args) => {
            let hooks = Hooks::new("instant webhook disable", global, &args.app)?;
            hooks.change(
                args.id.as_deref(),
                "Select a webhook to disable:",
                "No active webhooks.",
                |hook| hook.status == WebhookStatus::Active,
                "Error disabling webhook",
                "disabled",
                |id| hooks.hooks.disable(id, args.reason.as_deref()),
            )
        }
        WebhookCommand::Event(EventCommand::List(args)) => event_list(args, global),
        WebhookCommand::Event(EventCommand::Resend(args)) => event_resend(args, global),
        WebhookCommand::Event(EventCommand::Payload(args)) => event_payload(args, global),
    }
}

fn list(args: ListArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let hooks = Hooks::new("instant webhook list", global, &args.app)?;
    let list = hooks.list()?;
    if args.json {
        let list: Vec<Value> = list.iter().map(webhook_json).collect();
        say(pretty(&Value::Array(list)));
        return Ok(());
    }
    if list.is_empty() {
        say("No webhooks configured.");
        return Ok(());
    }
    for hook in &list {
        say(&hook.url);
        say(format_args!("  ID: {}", hook.id));
        say(format_args!("  Status: {}", status(&hook.status)));
        say(format_args!("  Actions: {}", join_actions(&hook.actions)));
        say(format_args!(
            "  Namespaces: {}",
            join_namespaces(&hook.namespaces)
        ));
        if let Some(reason) = &hook.disabled_reason {
            say(format_args!("  Disabled reason: {reason}"));
        }
    }
    Ok(())
}

fn add(args: AddArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let hooks = Hooks::new("instant webhook add", global, &args.app)?;
    let ctx = &hooks.ctx;
    let hint = "\nhint: run `instant webhook add --help` for available arguments";
    let fail = |message: String| ctx.fail(format!("{message}{hint}"));
    let url = match &args.url {
        Some(url) => url.clone(),
        None => return Err(fail("Missing required value for --url".to_owned())),
    };
    validate_url(&url).map_err(fail)?;
    let namespaces = match &args.namespaces {
        Some(raw) => parse_namespaces(raw).map_err(fail)?,
        None => {
            return Err(fail(
                "Missing required value for --namespaces (comma-separated list)".to_owned(),
            ));
        }
    };
    let actions = match &args.actions {
        Some(raw) => parse_actions(raw).map_err(fail)?,
        None => {
            return Err(fail(
                "Missing required value for --actions (comma-separated list of \
                 create,update,delete)"
                    .to_owned(),
            ));
        }
    };
    let hook = hooks.call(
        "Error creating webhook",
        hooks
            .hooks
            .create(url.trim(), namespaces, actions)
            .with_options(ctx.options()),
    )?;
    log_webhook("added", &hook);
    Ok(())
}

fn update(args: UpdateArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let hooks = Hooks::new("instant webhook update", global, &args.app)?;
    let Some(id) = hooks.resolve(
        args.id.as_deref(),
        "--id",
        "Select a webhook to update:",
        "No webhooks configured.",
        |_| true,
    )?
    else {
        return Ok(());
    };
    let mut change = WebhookUpdate::new();
    let mut any = false;
    if let Some(url) = &args.url {
        validate_url(url).map_err(|err| hooks.ctx.fail(err))?;
        change = change.url(url.trim());
        any = true;
    }
    if let Some(raw) = &args.namespaces {
        change = change.namespaces(parse_namespaces(raw).map_err(|err| hooks.ctx.fail(err))?);
        any = true;
    }
    if let Some(raw) = &args.actions {
        change = change.actions(parse_actions(raw).map_err(|err| hooks.ctx.fail(err))?);
        any = true;
    }
    if !any {
        return Err(hooks
            .ctx
            .fail("Nothing to update: pass --url, --namespaces or --actions"));
    }
    let hook = hooks.call(
        "Error updating webhook",
        hooks
            .hooks
            .update(&id, change)
            .with_options(hooks.ctx.options()),
    )?;
    log_webhook("updated", &hook);
    Ok(())
}

fn event_list(args: EventListArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let hooks = Hooks::new("instant webhook event list", global, &args.app)?;
    let Some(id) = hooks.resolve(
        args.webhook_id.as_deref(),
        "--webhook-id",
        "Select a webhook to inspect:",
        "No webhooks configured.",
        |_| true,
    )?
    else {
        return Ok(());
    };
    let events = hooks.recent_events(&id, EVENT_LIMIT)?;
    if args.json {
        let events: Vec<Value> = events.iter().map(event_json).collect();
        say(pretty(&Value::Array(events)));
        return Ok(());
    }
    if events.is_empty() {
        say("No events for this webhook.");
        return Ok(());
    }
    for event in &events {
        for line in event_detail(event) {
            say(line);
        }
    }
    Ok(())
}

fn event_resend(args: EventArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let hooks = Hooks::new("instant webhook event resend", global, &args.app)?;
    let Some((id, isn)) = hooks.resolve_event(&args)? else {
        return Ok(());
    };
    let event = hooks.call(
        "Error resending event",
        hooks
            .hooks
            .resend_event(&id, &isn)
            .with_options(hooks.ctx.options()),
    )?;
    say(format_args!("Resent event {}", event.isn));
    say(format_args!("Status: {}", event_status(&event.status)));
    for line in event_detail(&event).into_iter().skip(1) {
        say(line);
    }
    Ok(())
}

fn event_payload(args: EventArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let hooks = Hooks::new("instant webhook event payload", global, &args.app)?;
    let Some((id, isn)) = hooks.resolve_event(&args)? else {
        return Ok(());
    };
    let payload = hooks.call(
        "Error fetching event payload",
        hooks
            .hooks
            .get_payload(&id, &isn)
            .with_options(hooks.ctx.options()),
    )?;
    let records: Vec<Value> = payload
        .data
        .iter()
        .map(|record| {
            json!({
                "namespace": record.namespace,
                "id": record.id,
                "action": action(record.action),
                "before": record.before,
                "after": record.after,
                "idempotencyKey": record.idempotency_key,
            })
        })
        .collect();
    say(pretty(&json!({
        "data": records,
        "idempotencyKey": payload.idempotency_key,
    })));
    Ok(())
}

/// instant-cli's `validateWebhookUrl`.
fn validate_url(raw: &str) -> Result<(), String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("URL cannot be empty".to_owned());
    }
    let url = url::Url::parse(trimmed).map_err(|_| format!("Invalid URL: {raw}"))?;
    if url.scheme() != "https" {
        return Err("URL must use https://".to_owned());
    }
    Ok(())
}

fn split_csv(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_namespaces(raw: &str) -> Result<Vec<String>, String> {
    let namespaces = split_csv(raw);
    if namespaces.is_empty() {
        return Err("--namespaces must include at least one namespace".to_owned());
    }
    Ok(namespaces)
}

fn parse_actions(raw: &str) -> Result<Vec<WebhookAction>, String> {
    let tokens = split_csv(raw);
    if tokens.is_empty() {
        return Err("--actions must include at least one action".to_owned());
    }
    let invalid: Vec<&str> = tokens
        .iter()
        .map(String::as_str)
        .filter(|token| !matches!(*token, "create" | "update" | "delete"))
        .collect();
    if !invalid.is_empty() {
        return Err(format!(
            "Invalid action{}: {}. Must be one of: create, update, delete",
            if invalid.len() == 1 { "" } else { "s" },
            invalid.join(", ")
        ));
    }
    Ok(tokens
        .iter()
        .map(|token| match token.as_str() {
            "create" => WebhookAction::Create,
            "update" => WebhookAction::Update,
            _ => WebhookAction::Delete,
        })
        .collect())
}

fn action(action: WebhookAction) -> &'static str {
    match action {
        WebhookAction::Create => "create",
        WebhookAction::Update => "update",
        WebhookAction::Delete => "delete",
    }
}

fn status(status: &WebhookStatus) -> &str {
    match status {
        WebhookStatus::Active => "active",
        WebhookStatus::Disabled => "disabled",
        WebhookStatus::Other(other) => other,
        _ => "unknown",
    }
}

fn event_status(status: &WebhookEventStatus) -> &str {
    match status {
        WebhookEventStatus::Pending => "pending",
        WebhookEventStatus::Processing => "processing",
        WebhookEventStatus::Success => "success",
        WebhookEventStatus::Error => "error",
        WebhookEventStatus::Failed => "failed",
        WebhookEventStatus::Other(other) => other,
        _ => "unknown",
    }
}

/// Actions in create, update, delete order.
fn join_actions(actions: &[WebhookAction]) -> String {
    let mut sorted: Vec<&str> = actions.iter().map(|a| action(*a)).collect();
    let rank = |a: &&str| match *a {
        "create" => 0,
        "update" => 1,
        _ => 2,
    };
    sorted.sort_by_key(rank);
    sorted.join(", ")
}

fn join_namespaces(namespaces: &[String]) -> String {
    let mut sorted = namespaces.to_vec();
    sorted.sort();
    sorted.join(", ")
}

/// instant-cli's `logWebhookEvent` (without the box).
fn log_webhook(what: &str, hook: &Webhook) {
    say("");
    say(format_args!("Webhook {what}: {}", hook.url));
    say(format_args!("ID: {}", hook.id));
    say(format_args!("Status: {}", status(&hook.status)));
    say(format_args!("Actions: {}", join_actions(&hook.actions)));
    say(format_args!(
        "Namespaces: {}",
        join_namespaces(&hook.namespaces)
    ));
    if let Some(reason) = &hook.disabled_reason {
        say(format_args!("Disabled reason: {reason}"));
    }
}

fn last_attempt(event: &WebhookEvent) -> String {
    let Some(last) = event.attempts.as_ref().and_then(|a| a.last()) else {
        return "no attempts".to_owned();
    };
    let code = last.status_code.map_or_else(
        || {
            last.error_type
                .clone()
                .unwrap_or_else(|| "error".to_owned())
        },
        |code| code.to_string(),
    );
    let duration = last
        .duration_ms
        .map(|ms| format!(", {ms}ms"))
        .unwrap_or_default();
    format!("{code}{duration}")
}

fn event_label(event: &WebhookEvent) -> String {
    let attempts = event.attempts.as_ref().map_or(0, Vec::len);
    let part = if attempts == 0 {
        "—".to_owned()
    } else {
        format!("{attempts} attempt{}", if attempts == 1 { "" } else { "s" })
    };
    format!(
        "{}  {}  {part} · last: {}",
        event.isn,
        event_status(&event.status),
        last_attempt(event)
    )
}

fn time(at: SystemTime) -> String {
    iso(at)
}

/// An ISO-8601 UTC timestamp (upstream prints `toLocaleString()`, which depends on the
/// machine's locale; ISO reads the same everywhere).
pub(crate) fn iso(at: SystemTime) -> String {
    let Ok(since) = at.duration_since(SystemTime::UNIX_EPOCH) else {
        return "n/a".to_owned();
    };
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 to a calendar date (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// instant-cli's `logEventDetail`.
fn event_detail(event: &WebhookEvent) -> Vec<String> {
    let attempts = event.attempts.as_ref().map_or(0, Vec::len);
    let mut lines = vec![
        event.isn.clone(),
        format!("  Status: {}", event_status(&event.status)),
        format!("  Created: {}", time(event.created_at)),
        format!("  Updated: {}", time(event.updated_at)),
        format!(
            "  Attempts: {attempts}{}",
            if attempts > 0 {
                format!(" (last: {})", last_attempt(event))
            } else {
                String::new()
            }
        ),
    ];
    if let Some(next) = event.next_attempt_after {
        lines.push(format!("  Next attempt: {}", time(next)));
    }
    lines
}

fn webhook_json(hook: &Webhook) -> Value {
    json!({
        "id": hook.id,
        "url": hook.url,
        "namespaces": hook.namespaces,
        "actions": hook.actions.iter().map(|a| action(*a)).collect::<Vec<_>>(),
        "status": status(&hook.status),
        "disabledReason": hook.disabled_reason,
        "createdAt": iso(hook.created_at),
        "updatedAt": iso(hook.updated_at),
    })
}

fn event_json(event: &WebhookEvent) -> Value {
    json!({
        "isn": event.isn,
        "status": event_status(&event.status),
        "attempts": event.attempts.as_ref().map(|attempts| attempts
            .iter()
            .map(|a| json!({
                "attemptAt": a.attempt_at.map(iso),
                "durationMs": a.duration_ms,
                "success": a.success,
                "statusCode": a.status_code,
                "responseText": a.response_text,
                "errorType": a.error_type,
                "errorMessage": a.error_message,
            }))
            .collect::<Vec<_>>()),
        "nextAttemptAfter": event.next_attempt_after.map(iso),
        "createdAt": iso(event.created_at),
        "updatedAt": iso(event.updated_at),
    })
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_checked_as_instant_cli_checks_them() {
        assert_eq!(validate_url(" "), Err("URL cannot be empty".to_owned()));
        assert_eq!(validate_url("nope"), Err("Invalid URL: nope".to_owned()));
        assert_eq!(
            validate_url("http://example.com"),
            Err("URL must use https://".to_owned())
        );
        assert_eq!(validate_url(" https://example.com/hook "), Ok(()));
        assert_eq!(
            parse_actions("create, nope,zap"),
            Err("Invalid actions: nope, zap. Must be one of: create, update, delete".to_owned())
        );
        assert_eq!(
            parse_actions("delete,create").map(|a| join_actions(&a)),
            Ok("create, delete".to_owned())
        );
        assert!(parse_namespaces(" , ").is_err());
        assert_eq!(join_namespaces(&["b".into(), "a".into()]), "a, b");
    }

    #[test]
    fn timestamps_are_iso_utc() {
        assert_eq!(iso(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_709_251_199);
        assert_eq!(iso(at), "2024-02-29T23:59:59Z");
    }
}
