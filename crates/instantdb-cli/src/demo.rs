//! `instant demo`: the SDK end to end, offline.
//!
//! It starts an embedded emulator on 127.0.0.1 and then talks to it only over HTTP with the
//! real client crates, as an application would with a self-hosted Instant: the platform API
//! (`instantdb-platform`) creates an app with the todo schema and rules of `@instantdb/platform`'s
//! README, plans and pushes a schema change while a progress bar follows its background jobs,
//! and pulls the result, which `instantdb-typescript` writes as `instant.schema.ts` /
//! `instant.perms.ts`; the admin API (`instantdb-admin`) writes and reads todos. Every step is
//! printed on stdout; the progress bar (or, when stderr is not a terminal, plain progress
//! lines) goes to stderr.
//!
//! The emulator's URL plays the part of the API URI every other command and SDK client takes;
//! nothing here knows a host.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use clap::Args;
use futures_util::StreamExt;
use instantdb_admin::instaql::{InstaQl, Order, Select};
use instantdb_admin::{AdminClient, Secret, date, id, tx};
use instantdb_emulator::Emulator;
use instantdb_platform::{AppId, PlatformClient, SchemaStep};
use instantdb_schema::perms::Rules;
use instantdb_schema::{SchemaDef, i};
use instantdb_typescript::{
    DEFAULT_MODULE, Style, generate_perms_file, generate_schema_file, parse_perms_typescript_file,
    parse_schema_typescript_file,
};
use serde_json::{Value, json};

use crate::io::{self, Failure, Input, say};
use crate::progress::Progress;

/// The numbered steps printed on stdout.
const STEPS: usize = 8;

/// The rules of `@instantdb/platform`'s README (`createApp` with permissions): anyone may
/// read todos, only their creator may change them, and everything else is closed.
const TODO_PERMS: &str = r#"{
  "$default": {"allow": {"$default": false}},
  "todos": {
    "allow": {"view": "true", "create": "isOwner", "update": "isOwner", "delete": "isOwner"},
    "bind": {"isOwner": "auth.id != null && auth.id == data.creatorId"}
  }
}"#;

/// The todos the demo writes before the push, so its background jobs check real data.
const TODOS: [&str; 3] = ["Write docs", "Ship the demo", "Celebrate"];

/// Options of `instant demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Write `instant.schema.ts` and `instant.perms.ts` into this directory (created if
    /// missing) instead of a new temporary one.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Leave the emulator running when the demo is done and print the API URI and tokens to
    /// use with it, until Ctrl-C.
    #[arg(long)]
    keep_running: bool,
    /// The emulator's port, on 127.0.0.1 only; 0 picks a free port.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// How long each stage of an emulated background job takes, in milliseconds (tests
    /// shorten it; the emulator's default otherwise).
    #[arg(long, value_name = "MS", hide = true)]
    job_stage_ms: Option<u64>,
}

/// The app as created in step 1: the todo schema of the platform README's `createApp`.
fn initial_schema() -> SchemaDef {
    i::schema().entities([(
        "todos",
        i::entity([("title", i::string()), ("done", i::boolean())]),
    )])
}

/// The change pushed in step 4: the platform README's `schemaPush` schema, which indexes
/// `title` (a background job over the existing todos) and adds an optional `completedAt`.
fn pushed_schema() -> SchemaDef {
    i::schema().entities([(
        "todos",
        i::entity([
            ("title", i::string().indexed()),
            ("done", i::boolean()),
            ("completedAt", i::date().optional()),
        ]),
    )])
}

fn failure(message: impl Display) -> Failure {
    let input = Input {
        name: "instant demo".to_owned(),
        text: String::new(),
    };
    Failure::about(&input, message)
}

/// Wraps an error with what the demo was doing.
fn doing<E: Display>(what: &'static str) -> impl FnOnce(E) -> Failure {
    move |err| failure(format!("{what}: {err}"))
}

/// Runs the demo.
pub(crate) fn run(args: DemoArgs) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(doing("could not start the async runtime"))?;
    runtime.block_on(demo(args))
}

/// Numbered step headings and their indented details, on stdout.
struct Report {
    step: usize,
}

impl Report {
    fn step(&mut self, heading: impl Display) {
        self.step += 1;
        say(format_args!("[{}/{STEPS}] {heading}", self.step));
    }

    fn detail(&self, line: impl Display) {
        say(format_args!("      {line}"));
    }
}

async fn demo(args: DemoArgs) -> Result<(), Failure> {
    let started = Instant::now();
    // First, so a bad --out fails before anything else happens.
    let out = OutDir::new(args.out.as_deref())?;
    let mut report = Report { step: 0 };
    say(format_args!(
        "instant demo: the Rust SDK end to end against a local emulator (no account, loopback only)"
    ));
    say("");

    let mut builder = Emulator::builder().port(args.port);
    if let Some(ms) = args.job_stage_ms {
        builder = builder.job_stage_delay(Duration::from_millis(ms));
    }
    let emulator = builder
        .start()
        .await
        .map_err(doing("could not start the emulator"))?;
    let api_uri = emulator.base_url().to_owned();
    report.step(format!("Started an emulator at {api_uri}"));
    report.detail(
        "every call below is an HTTP request to it from instantdb-platform or instantdb-admin",
    );

    // The platform API with the emulator's personal access token, as with any Instant server.
    let platform = PlatformClient::builder()
        .token(emulator.platform_token())
        .api_uri(&api_uri)
        .build()
        .map_err(doing("could not build the platform client"))?;
    let (app_id, admin_token) = create_app(&mut report, &platform).await?;
    let admin = || {
        AdminClient::builder(&app_id)
            .admin_token(admin_token.clone())
            .api_uri(&api_uri)
    };
    let db = admin()
        .build()
        .map_err(doing("could not build the admin client"))?;
    let ids = add_todos(&mut report, &db).await?;
    push_schema_change(&mut report, &platform, &app_id).await?;
    let schema = pull_and_write(&mut report, &platform, &app_id, out).await?;
    // With the pulled schema the admin client checks transactions and queries locally first.
    let db = admin()
        .schema(schema)
        .build()
        .map_err(doing("could not build the admin client"))?;
    transact_and_query(&mut report, &db, &ids[0]).await?;

    say("");
    say(format_args!(
        "Done in {:.1} s.",
        started.elapsed().as_secs_f64()
    ));
    if !args.keep_running {
        say("The emulator stops now; `instant demo --keep-running` leaves it up to explore.");
        emulator.shutdown().await;
        return Ok(());
    }
    // Printing the tokens is the point of --keep-running: they are local-only credentials.
    say("The emulator keeps running until Ctrl-C:");
    say(format_args!("  API URI:        {api_uri}"));
    say(format_args!("  app id:         {app_id}"));
    say(format_args!("  admin token:    {}", admin_token.expose()));
    say(format_args!(
        "  platform token: {}",
        emulator.platform_token()
    ));
    say(format_args!(
        "Use them with any SDK (apiURI: \"{api_uri}\") or the CLI (INSTANT_CLI_API_URI={api_uri})."
    ));
    tokio::signal::ctrl_c()
        .await
        .map_err(doing("could not wait for Ctrl-C"))?;
    say("stopping");
    emulator.shutdown().await;
    Ok(())
}

/// Creates the todo app with its schema and rules; returns its id and admin token.
async fn create_app(
    report: &mut Report,
    platform: &PlatformClient,
) -> Result<(AppId, Secret), Failure> {
    let perms = Rules::from_json(TODO_PERMS).map_err(doing("the demo's rules"))?;
    let app = platform
        .create_app("Todo app")
        .schema(&initial_schema())
        .perms(&perms)
        .send()
        .await
        .map_err(doing("createApp"))?;
    report.step(format!(
        "Created the app \"{}\" with a todos schema and permission rules (platform createApp)",
        app.title
    ));
    report.detail(format!("app id: {}", app.id));
    let token = app
        .admin_token
        .ok_or_else(|| failure("createApp answered without the app's admin token"))?;
    Ok((app.id, token))
}

/// Writes [`TODOS`] in one transaction; returns their ids.
async fn add_todos(report: &mut Report, db: &AdminClient) -> Result<Vec<String>, Failure> {
    let ids: Vec<String> = TODOS.iter().map(|_| id()).collect();
    let chunks: Vec<_> = TODOS
        .iter()
        .zip(&ids)
        .map(|(title, id)| tx("todos", id).update(json!({"title": title, "done": false})))
        .collect();
    let tx_id = db
        .transact(chunks)
        .send()
        .await
        .map_err(doing("admin transact"))?;
    report.step(format!(
        "Added {} todos for the push's jobs to check (admin transact, tx id {})",
        TODOS.len(),
        tx_id.get()
    ));
    Ok(ids)
}

/// Plans and pushes [`pushed_schema`], with the progress of its background jobs; fails if a
/// job failed.
async fn push_schema_change(
    report: &mut Report,
    platform: &PlatformClient,
    app_id: &str,
) -> Result<(), Failure> {
    let schema = pushed_schema();
    let plan = platform
        .plan_schema_push(app_id, &schema)
        .send()
        .await
        .map_err(doing("planSchemaPush"))?;
    report.step(format!(
        "Planned a schema change: {} step{} (platform planSchemaPush)",
        plan.steps.len(),
        plural(plan.steps.len())
    ));
    for step in &plan.steps {
        report.detail(format!(
            "{:<10} {}",
            step.type_name(),
            step.friendly_description
        ));
    }

    let mut push = platform.schema_push(app_id, &schema).send();
    let mut progress = Progress::start(plan.steps.len());
    while let Some(summary) = push.next().await {
        progress.update(&summary);
    }
    progress.finish();
    let pushed = push.await.map_err(doing("schemaPush"))?;
    report.step(format!(
        "Pushed the change: {} (platform schemaPush)",
        pushed.summary.friendly_description
    ));
    let width = pushed
        .steps()
        .iter()
        .map(|step| step.friendly_description.chars().count())
        .max()
        .unwrap_or(0);
    for step in pushed.steps() {
        report.detail(format!(
            "{:<10} {:<width$}  {}",
            step.type_name(),
            step.friendly_description,
            outcome(step)
        ));
    }
    if pushed.has_errors() {
        return Err(failure(
            "the schema push's background jobs failed (see above)",
        ));
    }
    Ok(())
}

/// Pulls the schema and rules and writes them as `instant.schema.ts` / `instant.perms.ts`
/// once they read back as pulled; returns the schema.
async fn pull_and_write(
    report: &mut Report,
    platform: &PlatformClient,
    app_id: &str,
    out: OutDir,
) -> Result<SchemaDef, Failure> {
    let pulled = platform
        .get_schema(app_id)
        .send()
        .await
        .map_err(doing("getSchema"))?;
    let perms = platform
        .get_perms(app_id)
        .send()
        .await
        .map_err(doing("getPerms"))?;
    let schema_ts = generate_schema_file(None, &pulled.schema, DEFAULT_MODULE, Style::Prettier);
    let perms_ts = generate_perms_file(perms.as_ref(), DEFAULT_MODULE, Style::Prettier);
    let schema_back = parse_schema_typescript_file(&schema_ts, "instant.schema.ts")
        .map_err(doing("reading back the generated instant.schema.ts"))?;
    let perms_back = parse_perms_typescript_file(&perms_ts, "instant.perms.ts")
        .map_err(doing("reading back the generated instant.perms.ts"))?;
    if schema_back != without_metadata(&pulled.schema) || Some(&perms_back) != perms.as_ref() {
        return Err(failure(
            "the generated files do not read back as the pulled schema and rules",
        ));
    }
    let schema_path = out.path().join("instant.schema.ts");
    io::write_atomically(&schema_path, &schema_ts)?;
    let perms_path = out.path().join("instant.perms.ts");
    io::write_atomically(&perms_path, &perms_ts)?;
    out.keep();
    report.step(
        "Pulled the schema and rules (platform getSchema, getPerms) and wrote them, prettier style:",
    );
    report.detail(schema_path.display());
    report.detail(perms_path.display());
    report.detail("both read back as what the server holds");
    Ok(pulled.schema)
}

/// Marks the todo `done_id` done with the pushed `completedAt`, then queries the todos in the
/// order of the index the push built.
async fn transact_and_query(
    report: &mut Report,
    db: &AdminClient,
    done_id: &str,
) -> Result<(), Failure> {
    let tx_id = db
        .transact(tx("todos", done_id).update(json!({
            "done": true,
            "completedAt": date(SystemTime::now()),
        })))
        .send()
        .await
        .map_err(doing("admin transact"))?;
    report.step(format!(
        "Marked \"{}\" done, with the new completedAt attribute (admin transact, tx id {})",
        TODOS[0],
        tx_id.get()
    ));

    let query = InstaQl::new().namespace("todos", Select::new().order("title", Order::Asc));
    let sent = query.build().map_err(doing("admin query"))?;
    let result: Value = db.query(query).send().await.map_err(doing("admin query"))?;
    report.step("Queried the todos by title, on the index the push built (admin query):");
    report.detail(format!("{sent} →"));
    let pretty =
        serde_json::to_string_pretty(&result).map_err(doing("printing the query result"))?;
    for line in pretty.lines() {
        report.detail(line);
    }
    Ok(())
}

/// The schema as a schema file can hold it: the server's attribute metadata (the checked
/// `derivedType`) is not written to `instant.schema.ts`, as with upstream's generator.
fn without_metadata(schema: &SchemaDef) -> SchemaDef {
    let mut schema = schema.clone();
    for entity in schema.entities.values_mut() {
        for attr in entity.attrs.values_mut() {
            attr.metadata.clear();
        }
    }
    schema
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// How a pushed step ended: applied in the push's transaction, or its background job's status.
fn outcome(step: &SchemaStep) -> String {
    let Some(job) = &step.background_job else {
        return "applied".to_owned();
    };
    let mut text = format!("job {}", job.status);
    if let (Some(done), Some(estimate)) = (job.work_completed, job.work_estimate) {
        text.push_str(&format!(", {done} of {estimate} triples checked"));
    }
    if let Some(error) = &job.error {
        text.push_str(&format!(": {error}"));
    }
    text
}

/// Where the files go: `--out DIR` (created if missing), or a new directory under the
/// system's temporary one, removed if the demo fails and kept once the files are written.
enum OutDir {
    Given(PathBuf),
    Temporary(tempfile::TempDir),
}

impl OutDir {
    fn new(out: Option<&Path>) -> Result<OutDir, Failure> {
        match out {
            Some(dir) if dir.exists() && !dir.is_dir() => {
                Err(failure(format!("--out {}: not a directory", dir.display())))
            }
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|err| failure(format!("{}: {err}", dir.display())))?;
                Ok(OutDir::Given(dir.to_owned()))
            }
            None => tempfile::Builder::new()
                .prefix("instant-demo-")
                .tempdir()
                .map(OutDir::Temporary)
                .map_err(doing("could not create a temporary directory")),
        }
    }

    fn path(&self) -> &Path {
        match self {
            OutDir::Given(dir) => dir,
            OutDir::Temporary(dir) => dir.path(),
        }
    }

    /// Keeps the directory after the demo.
    fn keep(self) {
        if let OutDir::Temporary(dir) = self {
            // Its path was already printed.
            let _ = dir.keep();
        }
    }
}
