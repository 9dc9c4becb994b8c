//! Instant's platform API: manage apps, schemas, permission rules, backups and webhooks on
//! behalf of an Instant user, as `@instantdb/platform`'s `PlatformApi` does.
//!
//! This crate knows the platform endpoints (`/superadmin/*`, the `/dash/*` routes the SDK uses,
//! `/webhooks/payload/*`) and their wire formats. It sends through `instantdb-http` and never
//! names a hyper or rustls type; it takes its schemas, rules and the overwrite-mode diff from
//! `instantdb-schema` and its token refresh from `instantdb-oauth`. It must not depend on
//! `instantdb-admin`, `instantdb-typescript` (writing `instant.schema.ts` is the caller's
//! choice; see the `pull` example) or the emulator, and it never prints.
//!
//! [`PlatformClient`] is the client. Each call is a request builder ending in `.send()`:
//! [`PlatformClient::get_apps`], [`get_app`](PlatformClient::get_app),
//! [`get_schema`](PlatformClient::get_schema), [`get_perms`](PlatformClient::get_perms),
//! [`create_app`](PlatformClient::create_app), [`push_perms`](PlatformClient::push_perms),
//! [`plan_schema_push`](PlatformClient::plan_schema_push)… A schema push is a [`SchemaPush`]: a
//! future of its [`PushResult`] and a stream of [`PushSummary`] progress reports.
//! [`PlatformClient::backups`] gives [`Backups`] (listing, and
//! [`download_archive`](Backups::download_archive) into a zip), [`PlatformClient::webhooks`]
//! gives [`Webhooks`] (management, and [`verify_signature`](Webhooks::verify_signature) of
//! deliveries). Failures are one [`Error`] type.
//!
//! # The official README, call by call
//!
//! **OAuth flow.** Get a token for a user with `instantdb-oauth` (a loopback login for native
//! apps and CLIs, or the code exchange on a server), then hand the tokens to
//! [`PlatformClientBuilder::oauth`]; the client refreshes them when the server refuses them.
//!
//! **Making API requests.**
//!
//! ```no_run
//! use instantdb_platform::PlatformClient;
//!
//! # fn example() -> Result<(), instantdb_platform::Error> {
//! let api = PlatformClient::builder().token("OAUTH_ACCESS_TOKEN").build()?;
//! # Ok(())
//! # }
//! ```
//!
//! **getApps, getApp, getSchema, getPerms**, and the files `instant-cli pull` writes:
//!
//! ```no_run
//! use instantdb_typescript::{Style, generate_perms_file, generate_schema_file};
//!
//! # async fn example(api: instantdb_platform::PlatformClient, app_id: &str) -> Result<(), instantdb_platform::Error> {
//! let apps = api.get_apps().include_schema(true).include_perms(true).send().await?;
//! let app = api.get_app(app_id).include_schema(true).include_perms(true).send().await?;
//!
//! let schema = api.get_schema(app_id).send().await?;
//! let schema_ts = generate_schema_file(None, &schema.schema, "@instantdb/react", Style::Raw);
//!
//! let perms = api.get_perms(app_id).send().await?;
//! let perms_ts = generate_perms_file(perms.as_ref(), "@instantdb/react", Style::Raw);
//! # Ok(())
//! # }
//! ```
//!
//! **createApp**, plain, with permissions, with a schema:
//!
//! ```no_run
//! use instantdb_schema::i;
//! use instantdb_schema::perms::Rules;
//!
//! # async fn example(api: instantdb_platform::PlatformClient) -> Result<(), Box<dyn std::error::Error>> {
//! let app = api.create_app("Great new app").send().await?;
//!
//! let perms = Rules::from_json(
//!     r#"{
//!       "$default": {"allow": {"$default": "false"}},
//!       "todos": {
//!         "allow": {"view": "true", "create": "isOwner", "update": "isOwner", "delete": "isOwner"},
//!         "bind": {"isOwner": "auth.id != null && auth.id == data.creatorId"}
//!       }
//!     }"#,
//! )?;
//! let app = api.create_app("My app with permissions").perms(&perms).send().await?;
//!
//! let schema = i::schema().entities([(
//!     "todos",
//!     i::entity([("title", i::string()), ("done", i::boolean())]),
//! )]);
//! let app = api.create_app("Todo app").schema(&schema).send().await?;
//! # Ok(())
//! # }
//! ```
//!
//! **updateApp, deleteApp, pushPerms:**
//!
//! ```no_run
//! # async fn example(api: instantdb_platform::PlatformClient, app_id: &str, perms: instantdb_schema::perms::Rules) -> Result<(), instantdb_platform::Error> {
//! let app = api.update_app(app_id, "New app title").send().await?;
//! let app = api.delete_app(app_id).send().await?;
//! let stored = api.push_perms(app_id, &perms).send().await?;
//! # Ok(())
//! # }
//! ```
//!
//! **planSchemaPush and schemaPush.** A push resolves even when a background job fails (say,
//! `unique` over duplicate values); the failure is in the step's
//! [`background_job`](SchemaStep::background_job), with `error` set and, for some failures,
//! [`invalid_triples_sample`](BackgroundJob::invalid_triples_sample):
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use instantdb_schema::i;
//!
//! # async fn example(api: instantdb_platform::PlatformClient, app_id: &str) -> Result<(), instantdb_platform::Error> {
//! let schema = i::schema().entities([(
//!     "todos",
//!     i::entity([
//!         ("title", i::string().indexed()),
//!         ("done", i::boolean()),
//!         ("completedAt", i::date().optional()),
//!     ]),
//! )]);
//! let plan = api.plan_schema_push(app_id, &schema).send().await?;
//! // Or, to allow deletions and renames:
//! let plan = api
//!     .plan_schema_push(app_id, &schema)
//!     .overwrite(true)
//!     .renames(["todos.name:todos.title"])
//!     .send()
//!     .await?;
//!
//! let mut push = api.schema_push(app_id, &schema).send();
//! while let Some(status) = push.next().await {
//!     println!("{}", status.friendly_description);
//! }
//! let result = push.await?;
//! for step in result.errored_steps() {
//!     if let Some(job) = &step.background_job {
//!         // e.g. "Ensure that todos.title is unique." triple-not-unique-error "Write docs"
//!         println!("{} {:?} {:?}", step.friendly_description, job.error, job.invalid_unique_value);
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! **Managing schemas.** Generating `instant.schema.ts` / `instant.perms.ts` and reading them
//! back is `instantdb-typescript`'s job:
//!
//! ```
//! use instantdb_schema::i;
//! use instantdb_typescript::{Style, generate_schema_file, parse_schema_typescript_file};
//!
//! let schema = i::schema().entities([("books", i::entity([("title", i::string().unique())]))]);
//! let code = generate_schema_file(None, &schema, "@instantdb/core", Style::Prettier);
//! let recovered = parse_schema_typescript_file(&code, "instant.schema.ts")?;
//! assert_eq!(recovered, schema);
//! # Ok::<(), instantdb_typescript::ParseError>(())
//! ```
//!
//! Deliberate differences from upstream (a trailing slash in `api_uri`, `createApp`'s
//! duplicated `orgId`, `withRetry` resolving nothing after a second auth failure…) are listed
//! in the workspace's `docs/divergences.md` and noted on the items they concern.
#![doc = include_str!("../README.md")]

mod app_auth;
mod apps;
mod archive;
mod backups;
mod call;
mod client;
mod dash;
mod error;
mod progress;
mod schema_push;
mod time;
mod webhooks;

pub use app_auth::{AppAuth, AuthorizedOrigin, OAuthClient, OAuthServiceProvider};
pub use apps::{App, AppSchema, Org, TemporaryApp};
pub use archive::{
    ArchiveCompression, ArchiveDownload, DownloadProgress, DownloadResult, FetchedBody,
};
pub use backups::{Backup, BackupFile, Backups, StorageFile, StorageFiles, format_file_size};
pub use call::Call;
pub use client::{PlatformClient, PlatformClientBuilder};
pub use dash::{CliLogin, CliLoginStatus, DashApp, DashUser, PulledSchema};
pub use error::{BoxError, Error, ErrorKind};
pub use progress::ProgressFuture;
pub use schema_push::{
    BackgroundJob, InvalidTriple, JobStatus, PollingPolicy, PushResult, PushSummary, SchemaPlan,
    SchemaPush, SchemaStep,
};
pub use webhooks::{
    DEFAULT_SIGNATURE_TOLERANCE, Jwk, Jwks, VerifyOptions, Webhook, WebhookAction, WebhookAttempt,
    WebhookBody, WebhookEvent, WebhookEventStatus, WebhookEventsPage, WebhookHandlers,
    WebhookPayload, WebhookRecord, WebhookStatus, WebhookUpdate, Webhooks,
};

/// The request builders the [`PlatformClient`] methods return (the simple calls return a
/// [`Call`]). Each ends with `.send()` or `.await`, and takes per-call [`RequestOptions`] with
/// `with_options`.
pub mod builder {
    pub use crate::apps::{
        CreateApp, CreateTemporaryApp, DeleteApp, GetApp, GetApps, GetOrgs, GetPerms, GetSchema,
        PushPerms, UpdateApp,
    };
    pub use crate::archive::DownloadArchive;
    pub use crate::backups::ListStorageFiles;
    pub use crate::dash::{CheckCliLogin, CreateDashApp};
    pub use crate::schema_push::{ApplySchemaSteps, PlanSchemaPush, PushSchema};
    pub use crate::webhooks::ListWebhookEvents;
}

/// Transport and per-call settings the client and its calls take.
pub use instantdb_http::{Proxy, RequestOptions, RetryPolicy, Secret};
/// The app id every client takes.
pub use instantdb_schema::AppId;

/// The crates whose types appear in this crate's API.
pub use instantdb_http as http;
pub use instantdb_oauth as oauth;
pub use instantdb_schema as schema;
