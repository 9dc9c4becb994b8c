//! Schema plans and pushes: the server's additive plan, the client-side diff of overwrite
//! pushes, background indexing jobs and their polling.

use std::fmt;
use std::time::{Duration, SystemTime};

use instantdb_http::ApiPath;
use instantdb_http::http::Method;
use instantdb_schema::AppId;
use instantdb_schema::api::CheckedDataType;
use instantdb_schema::diff::{PlanStep, RenameSelector, convert_tx_steps, diff_schemas};
use instantdb_schema::{
    ApiAttr, ApiSchema, SchemaDef, api_schema_to_attrs, collect_system_catalog_ident_names,
    validate_schema,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::apps::{AppSchema, fetch_schema};
use crate::client::Headers;
use crate::error::describe_duration;
use crate::progress::{ProgressFuture, ProgressSender};
use crate::time::parse_timestamp;
use crate::{Error, PlatformClient};
use instantdb_http::RequestOptions;

/// Upstream's message, verbatim (the official e2e test compares it).
const RENAMES_NEED_OVERWRITE: &str =
    "If you pass in `renames`, you _must_ pass in `overwrite: true`";

/// Unread progress summaries kept by a [`SchemaPush`]; one arrives per poll.
const PUSH_REPORTS: usize = 1024;

/// One step of a schema plan or push, with upstream's description and, for the eight
/// background step types of a push, the job that carried it out.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SchemaStep {
    /// The step (`add-attr`, `index`, `delete-attr`…) with its payload.
    pub step: PlanStep,
    /// Upstream's `friendlyDescription`, e.g. `Add index to todos.title.`.
    pub friendly_description: String,
    /// For `index`, `remove-index`, `unique`, `remove-unique`, `required`, `remove-required`,
    /// `check-data-type` and `remove-data-type` steps of a push: the background job.
    pub background_job: Option<BackgroundJob>,
}

impl SchemaStep {
    fn planned(step: PlanStep, current_attrs: &[ApiAttr]) -> SchemaStep {
        SchemaStep {
            friendly_description: step.friendly_description(current_attrs),
            step,
            background_job: None,
        }
    }

    /// The step's type, e.g. `"add-attr"`.
    pub fn type_name(&self) -> &'static str {
        self.step.type_name()
    }

    /// Whether the step's background job is waiting or running.
    pub fn is_in_progress(&self) -> bool {
        self.background_job
            .as_ref()
            .is_some_and(|job| matches!(job.status, JobStatus::Waiting | JobStatus::Processing))
    }

    /// Whether the step is done: applied in the transaction, or its job completed.
    pub fn is_completed(&self) -> bool {
        self.background_job
            .as_ref()
            .is_none_or(|job| job.status == JobStatus::Completed)
    }

    /// Whether the step's background job failed ([`BackgroundJob::error`] says why).
    pub fn is_errored(&self) -> bool {
        self.background_job
            .as_ref()
            .is_some_and(|job| job.status == JobStatus::Errored)
    }
}

/// The state of a background job.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JobStatus {
    /// Queued.
    Waiting,
    /// Running.
    Processing,
    /// Done.
    Completed,
    /// Failed; the step's change was not applied.
    Errored,
    /// A status this SDK does not know; treated as still running.
    Other(String),
}

impl JobStatus {
    fn parse(status: Option<&str>) -> JobStatus {
        match status {
            Some("waiting") => JobStatus::Waiting,
            Some("processing") => JobStatus::Processing,
            Some("completed") => JobStatus::Completed,
            Some("errored") => JobStatus::Errored,
            other => JobStatus::Other(other.unwrap_or_default().to_owned()),
        }
    }

    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            JobStatus::Waiting => "waiting",
            JobStatus::Processing => "processing",
            JobStatus::Completed => "completed",
            JobStatus::Errored => "errored",
            JobStatus::Other(other) => other,
        }
    }

    fn is_done(&self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Errored)
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A background indexing job (upstream's `backgroundJob`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct BackgroundJob {
    /// The job id.
    pub id: String,
    /// The job type: the step type it carries out (`index`, `unique`, `check-data-type`…).
    pub job_type: String,
    /// Where it is.
    pub status: JobStatus,
    /// When it was created.
    pub created_at: Option<SystemTime>,
    /// When it last changed.
    pub updated_at: Option<SystemTime>,
    /// How much work the server expects (triples to check), once known.
    pub work_estimate: Option<u64>,
    /// How much is done.
    pub work_completed: Option<u64>,
    /// Why it failed: `invalid-triple-error`, `invalid-attr-state-error`,
    /// `triple-not-unique-error`, `triple-too-large-error`, `missing-required-error` or
    /// `unexpected-error`.
    pub error: Option<String>,
    /// Up to 10 values that broke the constraint (only in polled job lists).
    pub invalid_triples_sample: Option<Vec<InvalidTriple>>,
    /// For a `unique` job: the duplicated value.
    pub invalid_unique_value: Option<Value>,
    /// For a `check-data-type` job: the type being enforced.
    pub checked_data_type: Option<CheckedDataType>,
}

/// A value that broke a job's constraint.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct InvalidTriple {
    /// The entity holding it.
    pub entity_id: String,
    /// The value.
    pub value: Value,
    /// Its JSON type: `string`, `number`, `boolean`, `null`, `object` or `array`.
    pub json_type: String,
}

/// What a plan would do (upstream's `planSchemaPush` result).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SchemaPlan {
    /// The schema after the push. Additive mode: the server's `new-schema` (without `id`
    /// attributes and without new entities that have no attributes, which the server skips);
    /// overwrite mode: the schema as given.
    pub new_schema: SchemaDef,
    /// The app's current schema.
    pub current_schema: SchemaDef,
    /// The steps, in the order they would be applied.
    pub steps: Vec<SchemaStep>,
}

/// Where a push stands: upstream's step summary, sent after every poll and at the end.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PushSummary {
    /// `Completing 2 of 3 schema operations.` while jobs run; `Finished 3 schema operations.`
    /// or `Finished 3 schema operations, with 1 error` (no final period, as upstream) at the end.
    pub friendly_description: String,
    /// All steps.
    pub total_count: usize,
    /// Steps whose job is waiting or running.
    pub in_progress_count: usize,
    /// Steps applied in the transaction or whose job completed.
    pub completed_count: usize,
    /// Steps whose job failed.
    pub error_count: usize,
    /// Every step, with its job.
    pub steps: Vec<SchemaStep>,
}

impl PushSummary {
    pub(crate) fn of(steps: Vec<SchemaStep>) -> PushSummary {
        let total = steps.len();
        let in_progress = steps.iter().filter(|s| s.is_in_progress()).count();
        let completed = steps.iter().filter(|s| s.is_completed()).count();
        let errored = steps.iter().filter(|s| s.is_errored()).count();
        let friendly_description = if in_progress > 0 {
            format!("Completing {in_progress} of {total} schema operations.")
        } else {
            let plural = if total == 1 { "" } else { "s" };
            let tail = if errored > 0 {
                format!(
                    ", with {errored} error{}",
                    if errored > 1 { "s" } else { "" }
                )
            } else {
                ".".to_owned()
            };
            format!("Finished {total} schema operation{plural}{tail}")
        };
        PushSummary {
            friendly_description,
            total_count: total,
            in_progress_count: in_progress,
            completed_count: completed,
            error_count: errored,
            steps,
        }
    }

    /// Steps whose job is waiting or running.
    pub fn in_progress_steps(&self) -> impl Iterator<Item = &SchemaStep> {
        self.steps.iter().filter(|s| s.is_in_progress())
    }

    /// Steps applied in the transaction or whose job completed.
    pub fn completed_steps(&self) -> impl Iterator<Item = &SchemaStep> {
        self.steps.iter().filter(|s| s.is_completed())
    }

    /// Steps whose job failed.
    pub fn errored_steps(&self) -> impl Iterator<Item = &SchemaStep> {
        self.steps.iter().filter(|s| s.is_errored())
    }
}

/// The outcome of a finished push.
///
/// Like upstream, a push whose background jobs failed still resolves: the failures are in the
/// steps (`background_job.status == Errored`, with `error` and samples) and in the summary.
/// [`PushResult::has_errors`] tells, and [`PushResult::ensure_success`] turns them into an
/// error.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PushResult {
    /// The app's schema after the push, fetched at the end.
    pub new_schema: AppSchema,
    /// The final summary; its `steps` are the push's steps with their jobs.
    pub summary: PushSummary,
}

impl PushResult {
    /// The steps with their final job states.
    pub fn steps(&self) -> &[SchemaStep] {
        &self.summary.steps
    }

    /// Whether any background job failed.
    pub fn has_errors(&self) -> bool {
        self.summary.error_count > 0
    }

    /// Steps whose background job failed.
    pub fn errored_steps(&self) -> impl Iterator<Item = &SchemaStep> {
        self.summary.errored_steps()
    }

    /// `Ok(self)` when every step completed, else an [`ErrorKind::JobsFailed`] error naming
    /// the first failure.
    ///
    /// [`ErrorKind::JobsFailed`]: crate::ErrorKind::JobsFailed
    pub fn ensure_success(self) -> Result<PushResult, Error> {
        let first = self.errored_steps().next().map(|step| {
            let error = step
                .background_job
                .as_ref()
                .and_then(|job| job.error.as_deref())
                .unwrap_or("unknown error");
            format!("{} {error}", step.friendly_description)
        });
        match first {
            None => Ok(self),
            Some(first) => Err(Error::jobs_failed(self.summary.error_count, first)),
        }
    }
}

/// A running schema push: a [`Future`](std::future::Future) of its [`PushResult`] and a
/// [`Stream`](futures_core::Stream) of [`PushSummary`] reports, one per poll of its background
/// jobs (none when the push started no job). See [`ProgressFuture`].
pub type SchemaPush = ProgressFuture<PushSummary, PushResult>;

/// How a push polls its background jobs. The default is upstream's `jobFetchLoop`: wait
/// 100 ms, double the wait up to 10 s while nothing changes, go back to 100 ms when a job
/// reports progress, tolerate 4 consecutive failed polls (the 5th fails the push), and never
/// give up otherwise.
///
/// ```
/// use std::time::Duration;
/// use instantdb_platform::PollingPolicy;
///
/// let policy = PollingPolicy::default().with_timeout(Duration::from_secs(600));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct PollingPolicy {
    initial_interval: Duration,
    max_interval: Duration,
    max_consecutive_failures: u32,
    timeout: Option<Duration>,
}

impl Default for PollingPolicy {
    fn default() -> Self {
        PollingPolicy {
            initial_interval: Duration::from_millis(100),
            max_interval: Duration::from_secs(10),
            max_consecutive_failures: 4,
            timeout: None,
        }
    }
}

impl PollingPolicy {
    /// The first wait, and the wait after progress (default 100 ms).
    pub fn with_initial_interval(mut self, interval: Duration) -> PollingPolicy {
        self.initial_interval = interval;
        self
    }

    /// The longest wait (default 10 s).
    pub fn with_max_interval(mut self, interval: Duration) -> PollingPolicy {
        self.max_interval = interval;
        self
    }

    /// Failed polls in a row that are tolerated (default 4); one more fails the push.
    pub fn with_max_consecutive_failures(mut self, failures: u32) -> PollingPolicy {
        self.max_consecutive_failures = failures;
        self
    }

    /// Give up polling after this long (default: never, as upstream). The jobs keep running on
    /// the server.
    pub fn with_timeout(mut self, timeout: Duration) -> PollingPolicy {
        self.timeout = Some(timeout);
        self
    }

    /// The wait after one of `current`: back to the start after progress, else doubled up to
    /// the cap (failed polls count as no progress).
    fn next_interval(&self, current: Duration, progressed: bool) -> Duration {
        if progressed {
            self.initial_interval
        } else {
            current.saturating_mul(2).min(self.max_interval)
        }
    }
}

// ---- wire ----

#[derive(Deserialize)]
struct PlanResponse {
    #[serde(rename = "new-schema")]
    new_schema: Value,
    #[serde(rename = "current-schema")]
    current_schema: Value,
    #[serde(rename = "current-attrs", default)]
    current_attrs: Vec<ApiAttr>,
    steps: Vec<PlanStep>,
}

#[derive(Deserialize)]
struct ApplyResponse {
    steps: Vec<PlanStep>,
    #[serde(rename = "indexing-jobs", default)]
    indexing_jobs: Option<IndexingJobs>,
}

#[derive(Deserialize)]
struct IndexingJobs {
    #[serde(rename = "group-id")]
    group_id: String,
    #[serde(default)]
    jobs: Vec<JobRow>,
}

#[derive(Deserialize)]
struct JobsResponse {
    jobs: Vec<JobRow>,
}

/// A job row as the server sends it: raw database rows in apply responses, the client format
/// (with `attr_name` and samples) from the group endpoint. Read leniently.
#[derive(Deserialize, Clone, Debug)]
struct JobRow {
    id: String,
    #[serde(default)]
    job_type: Option<String>,
    #[serde(default)]
    job_status: Option<String>,
    #[serde(default)]
    work_estimate: Option<Value>,
    #[serde(default)]
    work_completed: Option<Value>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    checked_data_type: Option<CheckedDataType>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    invalid_unique_value: Option<Value>,
    #[serde(default)]
    invalid_triples_sample: Option<Vec<TripleRow>>,
}

#[derive(Deserialize, Clone, Debug)]
struct TripleRow {
    entity_id: String,
    #[serde(default)]
    value: Value,
    #[serde(default)]
    json_type: String,
}

fn count(value: &Option<Value>) -> Option<u64> {
    let value = value.as_ref()?;
    value
        .as_u64()
        .or_else(|| value.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
}

impl JobRow {
    fn status(&self) -> JobStatus {
        JobStatus::parse(self.job_status.as_deref())
    }

    fn updated_at(&self) -> Option<SystemTime> {
        self.updated_at.as_deref().and_then(parse_timestamp)
    }

    fn to_job(&self) -> BackgroundJob {
        let job_type = self.job_type.clone().unwrap_or_default();
        BackgroundJob {
            id: self.id.clone(),
            status: self.status(),
            created_at: self.created_at.as_deref().and_then(parse_timestamp),
            updated_at: self.updated_at(),
            work_estimate: count(&self.work_estimate),
            work_completed: count(&self.work_completed),
            error: self.error.clone(),
            invalid_triples_sample: self.invalid_triples_sample.as_ref().map(|sample| {
                sample
                    .iter()
                    .map(|t| InvalidTriple {
                        entity_id: t.entity_id.clone(),
                        value: t.value.clone(),
                        json_type: t.json_type.clone(),
                    })
                    .collect()
            }),
            invalid_unique_value: if job_type == "unique" {
                self.invalid_unique_value.clone().filter(|v| !v.is_null())
            } else {
                None
            },
            checked_data_type: if job_type == "check-data-type" {
                self.checked_data_type
            } else {
                None
            },
            job_type,
        }
    }
}

/// Upstream's `allJobsComplete`: an empty list counts as complete.
fn all_complete(jobs: &[JobRow]) -> bool {
    jobs.iter().all(|job| job.status().is_done())
}

fn latest_update(jobs: &[JobRow]) -> Option<SystemTime> {
    jobs.iter().filter_map(JobRow::updated_at).max()
}

/// Upstream's `translatePushSteps`, failing where upstream crashes: a background step whose
/// job is not in `jobs`, or whose job has another type.
fn push_steps(
    steps: &[PlanStep],
    jobs: &[JobRow],
    current_attrs: &[ApiAttr],
    endpoint: &str,
) -> Result<Vec<SchemaStep>, Error> {
    steps
        .iter()
        .map(|step| {
            let mut translated = SchemaStep::planned(step.clone(), current_attrs);
            if !step.is_background() {
                return Ok(translated);
            }
            let id = step.job_id().unwrap_or_default();
            let Some(job) = jobs.iter().find(|job| job.id == id) else {
                return Err(Error::invalid_response(
                    endpoint,
                    format!(
                        "no background job `{id}` for the step \"{}\"",
                        translated.friendly_description
                    ),
                ));
            };
            let job = job.to_job();
            if job.job_type != step.type_name() {
                return Err(Error::invalid_response(
                    endpoint,
                    format!(
                        "the job of a `{}` step has type `{}`",
                        step.type_name(),
                        job.job_type
                    ),
                ));
            }
            translated.background_job = Some(job);
            Ok(translated)
        })
        .collect()
}

#[derive(Serialize)]
struct PushBody<'a> {
    schema: &'a SchemaDef,
    #[serde(skip_serializing_if = "Option::is_none")]
    overwrite: Option<bool>,
    check_types: bool,
    supports_background_updates: bool,
}

#[derive(Serialize)]
struct StepsBody<'a> {
    steps: &'a [PlanStep],
}

fn app_path(app_id: &str) -> ApiPath {
    ApiPath::new("/superadmin/apps").segment(app_id)
}

/// The client-side plan of an overwrite push (upstream's `planSchemaPushOverwriteInternal`).
struct OverwritePlan {
    current: AppSchema,
    current_attrs: Vec<ApiAttr>,
    steps: Vec<PlanStep>,
}

async fn overwrite_plan(
    api: &PlatformClient,
    app_id: &str,
    schema: &SchemaDef,
    renames: &[String],
    options: &RequestOptions,
) -> Result<OverwritePlan, Error> {
    let current = api
        .with_auth(|token| async move { fetch_schema(api, app_id, &token, options).await })
        .await?;
    let current_attrs = api_schema_to_attrs(&current.api_schema);
    let system = collect_system_catalog_ident_names(&current_attrs);
    validate_schema(schema, &system)?;
    let mut selector = RenameSelector::parse(renames)?;
    let txs = diff_schemas(&current.schema, schema, &mut selector, &system)?;
    let steps = convert_tx_steps(&txs, &current_attrs, || uuid::Uuid::new_v4().to_string())?;
    Ok(OverwritePlan {
        current,
        current_attrs,
        steps,
    })
}

/// Reads a plan's schema, in which attributes the push would create have no ids yet (`id` and
/// the identity ids are `null`); they become empty strings, since only names matter there.
fn lenient_api_schema(value: &Value) -> Result<ApiSchema, serde_json::Error> {
    fn fill(attr: &mut Value) {
        if attr.get("id").is_some_and(Value::is_null) {
            attr["id"] = Value::from("");
        }
        for ident in ["forward-identity", "reverse-identity"] {
            if let Some(Value::Array(parts)) = attr.get_mut(ident)
                && parts.first().is_some_and(Value::is_null)
            {
                parts[0] = Value::from("");
            }
        }
    }
    let mut value = value.clone();
    if let Some(Value::Object(blobs)) = value.get_mut("blobs") {
        for attrs in blobs.values_mut() {
            if let Value::Object(attrs) = attrs {
                attrs.values_mut().for_each(fill);
            }
        }
    }
    if let Some(Value::Object(refs)) = value.get_mut("refs") {
        refs.values_mut().for_each(fill);
    }
    serde_json::from_value(value)
}

/// `renames` without `overwrite` is refused, as upstream (which checks for the key).
fn check_mode(overwrite: Option<bool>, renames: &Option<Vec<String>>) -> Result<bool, Error> {
    let overwrite = overwrite.unwrap_or(false);
    if renames.is_some() && !overwrite {
        return Err(Error::invalid_input(RENAMES_NEED_OVERWRITE));
    }
    Ok(overwrite)
}

/// Request builder of [`PlatformClient::plan_schema_push`].
#[derive(Debug, Clone)]
#[must_use = "call .send().await"]
pub struct PlanSchemaPush {
    api: PlatformClient,
    app_id: AppId,
    schema: SchemaDef,
    overwrite: Option<bool>,
    renames: Option<Vec<String>>,
    options: RequestOptions,
}

impl PlanSchemaPush {
    /// Plan a destructive push: attributes, entities and links missing from the schema are
    /// deleted, renames applied. Computed on the client from the app's current schema (one
    /// `GET`); nothing is sent to the plan endpoint.
    pub fn overwrite(mut self, overwrite: bool) -> PlanSchemaPush {
        self.overwrite = Some(overwrite);
        self
    }

    /// Renames, as `"etype.old:etype.new"` commands (links may be named by either end).
    /// Requires [`overwrite`](PlanSchemaPush::overwrite); anything not renamed is deleted and
    /// created, which loses its data.
    pub fn renames<I, S>(mut self, renames: I) -> PlanSchemaPush
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.renames = Some(renames.into_iter().map(Into::into).collect());
        self
    }

    /// Per-call settings.
    pub fn with_options(mut self, options: RequestOptions) -> PlanSchemaPush {
        self.options = options;
        self
    }

    /// Computes the plan.
    pub async fn send(self) -> Result<SchemaPlan, Error> {
        let overwrite = check_mode(self.overwrite, &self.renames)?;
        let api = &self.api;
        if overwrite {
            let renames = self.renames.clone().unwrap_or_default();
            let plan =
                overwrite_plan(api, &self.app_id, &self.schema, &renames, &self.options).await?;
            let steps = plan
                .steps
                .into_iter()
                .map(|step| SchemaStep::planned(step, &plan.current_attrs))
                .collect();
            return Ok(SchemaPlan {
                new_schema: self.schema,
                current_schema: plan.current.schema,
                steps,
            });
        }
        let path = app_path(&self.app_id)
            .segment("schema")
            .segment("push")
            .segment("plan");
        let endpoint = format!("POST {}", path.as_str());
        let body = PushBody {
            schema: &self.schema,
            overwrite: self.overwrite,
            check_types: true,
            supports_background_updates: true,
        };
        // A plan changes nothing, so it may be retried like a read.
        let response: PlanResponse = api
            .send_authed(Method::POST, &path, &self.options, |request| {
                request.json(&body).idempotent(true)
            })
            .await?;
        let convert = |value: &Value| {
            let api_schema = lenient_api_schema(value)
                .map_err(|err| Error::invalid_response(&endpoint, err.to_string()))?;
            AppSchema::from_api(api_schema, &endpoint).map(|s| s.schema)
        };
        Ok(SchemaPlan {
            new_schema: convert(&response.new_schema)?,
            current_schema: convert(&response.current_schema)?,
            steps: response
                .steps
                .into_iter()
                .map(|step| SchemaStep::planned(step, &response.current_attrs))
                .collect(),
        })
    }
}

/// Request builder of [`PlatformClient::schema_push`].
#[derive(Debug, Clone)]
#[must_use = "call .send() and await or stream the result"]
pub struct PushSchema {
    api: PlatformClient,
    app_id: AppId,
    schema: SchemaDef,
    overwrite: Option<bool>,
    renames: Option<Vec<String>>,
    polling: PollingPolicy,
    options: RequestOptions,
}

impl PushSchema {
    /// Push destructively: the client computes the diff (deletions and renames included) and
    /// applies its steps through `POST /dash/apps/:id/schema/steps/apply`. See
    /// [`PlanSchemaPush::overwrite`].
    pub fn overwrite(mut self, overwrite: bool) -> PushSchema {
        self.overwrite = Some(overwrite);
        self
    }

    /// Renames, as `"etype.old:etype.new"` commands; requires
    /// [`overwrite`](PushSchema::overwrite).
    pub fn renames<I, S>(mut self, renames: I) -> PushSchema
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.renames = Some(renames.into_iter().map(Into::into).collect());
        self
    }

    /// How background jobs are polled (default: upstream's schedule).
    pub fn polling(mut self, policy: PollingPolicy) -> PushSchema {
        self.polling = policy;
        self
    }

    /// Per-call settings, for every request of the push.
    pub fn with_options(mut self, options: RequestOptions) -> PushSchema {
        self.options = options;
        self
    }

    /// Starts the push; nothing is sent until the returned [`SchemaPush`] is awaited or polled
    /// as a stream.
    ///
    /// The steps: refresh a refreshable token once, as upstream does (a failure is ignored);
    /// read the current schema; apply (additive: `POST /superadmin/apps/:id/schema/push/apply`,
    /// the server plans; overwrite: the client plans, then `POST
    /// /dash/apps/:id/schema/steps/apply`); poll `GET
    /// /dash/apps/:id/indexing-jobs/group/:group_id` until every job completed or failed,
    /// sending a [`PushSummary`] after each poll; read the new schema. The apply request is
    /// never repeated, not even after a refused token.
    pub fn send(self) -> SchemaPush {
        if let Err(err) = self.api.token() {
            return SchemaPush::failed(err);
        }
        ProgressFuture::new(PUSH_REPORTS, move |progress| run_push(self, progress))
    }
}

/// Request builder of [`PlatformClient::apply_schema_steps`].
#[derive(Debug, Clone)]
#[must_use = "call .send() and await or stream the result"]
pub struct ApplySchemaSteps {
    api: PlatformClient,
    app_id: AppId,
    steps: Vec<PlanStep>,
    current_attrs: Vec<ApiAttr>,
    polling: PollingPolicy,
    options: RequestOptions,
}

impl ApplySchemaSteps {
    /// How background jobs are polled (default: upstream's schedule).
    pub fn polling(mut self, policy: PollingPolicy) -> ApplySchemaSteps {
        self.polling = policy;
        self
    }

    /// Per-call settings, for every request.
    pub fn with_options(mut self, options: RequestOptions) -> ApplySchemaSteps {
        self.options = options;
        self
    }

    /// Starts the push; nothing is sent until the returned [`SchemaPush`] is awaited or polled
    /// as a stream. The steps are applied exactly as given (`POST
    /// /dash/apps/:id/schema/steps/apply`, never repeated), then background jobs are polled
    /// and the new schema read as in [`PushSchema::send`]. No token refresh up front: the
    /// caller read the schema it diffed against moments ago.
    pub fn send(self) -> SchemaPush {
        if let Err(err) = self.api.token() {
            return SchemaPush::failed(err);
        }
        ProgressFuture::new(PUSH_REPORTS, move |progress| async move {
            let target = Target {
                api: &self.api,
                app_id: &self.app_id,
                polling: &self.polling,
                options: &self.options,
            };
            apply_steps(&target, &self.steps, &self.current_attrs, &progress).await
        })
    }
}

async fn run_push(
    push: PushSchema,
    progress: ProgressSender<PushSummary>,
) -> Result<PushResult, Error> {
    let overwrite = check_mode(push.overwrite, &push.renames)?;
    let target = Target {
        api: &push.api,
        app_id: &push.app_id,
        polling: &push.polling,
        options: &push.options,
    };
    let (api, app_id, options) = (target.api, target.app_id, target.options);
    api.refresh_up_front().await;

    if overwrite {
        let renames = push.renames.clone().unwrap_or_default();
        let plan = overwrite_plan(api, app_id, &push.schema, &renames, options).await?;
        return apply_steps(&target, &plan.steps, &plan.current_attrs, &progress).await;
    }
    let current = api
        .with_auth(|token| async move { fetch_schema(api, app_id, &token, options).await })
        .await?;
    let path = app_path(app_id)
        .segment("schema")
        .segment("push")
        .segment("apply");
    let token = api.token()?;
    let apply: ApplyResponse = api
        .request(
            Method::POST,
            path.clone(),
            Headers::Platform,
            Some(&token),
            options,
        )
        .json(&PushBody {
            schema: &push.schema,
            overwrite: push.overwrite,
            check_types: true,
            supports_background_updates: true,
        })
        .send_json()
        .await?;
    finish_push(&target, &path, apply, &current.attrs(), &progress).await
}

/// The app a push applies to, and how it talks to the server and polls.
struct Target<'a> {
    api: &'a PlatformClient,
    app_id: &'a str,
    polling: &'a PollingPolicy,
    options: &'a RequestOptions,
}

/// `POST /dash/apps/:id/schema/steps/apply` with `steps`, then [`finish_push`]. Never
/// repeated, not even after a refused token.
async fn apply_steps(
    target: &Target<'_>,
    steps: &[PlanStep],
    current_attrs: &[ApiAttr],
    progress: &ProgressSender<PushSummary>,
) -> Result<PushResult, Error> {
    let path = ApiPath::new("/dash/apps")
        .segment(target.app_id)
        .segment("schema")
        .segment("steps")
        .segment("apply");
    let token = target.api.token()?;
    let apply: ApplyResponse = target
        .api
        .request(
            Method::POST,
            path.clone(),
            Headers::Platform,
            Some(&token),
            target.options,
        )
        .json(&StepsBody { steps })
        .send_json()
        .await?;
    finish_push(target, &path, apply, current_attrs, progress).await
}

/// Polls the applied steps' background jobs, then reads the new schema.
async fn finish_push(
    target: &Target<'_>,
    apply_path: &ApiPath,
    apply: ApplyResponse,
    current_attrs: &[ApiAttr],
    progress: &ProgressSender<PushSummary>,
) -> Result<PushResult, Error> {
    let (api, app_id, options) = (target.api, target.app_id, target.options);
    let apply_endpoint = format!("POST {}", apply_path.as_str());
    let jobs = match &apply.indexing_jobs {
        None => Vec::new(),
        Some(group) => poll_jobs(target, group, &apply.steps, current_attrs, progress).await?,
    };
    let steps = push_steps(&apply.steps, &jobs, current_attrs, &apply_endpoint)?;
    let new_schema = api
        .with_auth(|token| async move { fetch_schema(api, app_id, &token, options).await })
        .await?;
    Ok(PushResult {
        new_schema,
        summary: PushSummary::of(steps),
    })
}

/// Upstream's `jobFetchLoop`, with an optional overall limit.
async fn poll_jobs(
    target: &Target<'_>,
    group: &IndexingJobs,
    steps: &[PlanStep],
    current_attrs: &[ApiAttr],
    progress: &ProgressSender<PushSummary>,
) -> Result<Vec<JobRow>, Error> {
    let api = target.api;
    let policy = target.polling;
    let path = ApiPath::new("/dash/apps")
        .segment(target.app_id)
        .segment("indexing-jobs")
        .segment("group")
        .segment(&group.group_id);
    let endpoint = format!("GET {}", path.as_str());
    let started = tokio::time::Instant::now();
    let mut interval = policy.initial_interval;
    let mut last_jobs = group.jobs.clone();
    let mut failures = 0u32;

    while !all_complete(&last_jobs) {
        if let Some(limit) = policy.timeout
            && started.elapsed() + interval > limit
        {
            return Err(Error::polling(
                format!(
                    "gave up waiting for the push's background jobs after {} (they keep running on the server)",
                    describe_duration(started.elapsed())
                ),
                None,
            ));
        }
        tokio::time::sleep(interval).await;
        let polled = async {
            let response: JobsResponse = api
                .send_authed(Method::GET, &path, target.options, |request| request)
                .await?;
            let summary =
                PushSummary::of(push_steps(steps, &response.jobs, current_attrs, &endpoint)?);
            Ok::<_, Error>((response.jobs, summary))
        }
        .await;
        match polled {
            Ok((jobs, summary)) => {
                progress.send(summary);
                if all_complete(&jobs) {
                    return Ok(jobs);
                }
                failures = 0;
                let previous = latest_update(&last_jobs);
                let current = latest_update(&jobs);
                let progressed = match (previous, current) {
                    (_, None) => false,
                    (Some(previous), Some(current)) => current > previous,
                    (None, Some(_)) => true,
                };
                interval = policy.next_interval(interval, progressed);
                last_jobs = jobs;
            }
            Err(err) => {
                if failures >= policy.max_consecutive_failures {
                    return Err(Error::polling(
                        format!(
                            "polling the push's background jobs failed {} times in a row",
                            failures + 1
                        ),
                        Some(err),
                    ));
                }
                tracing::debug!(error = %err, "polling background jobs failed; retrying");
                failures += 1;
                interval = policy.next_interval(interval, false);
            }
        }
    }
    Ok(last_jobs)
}

impl PlatformClient {
    /// A dry run of [`schema_push`](PlatformClient::schema_push): the steps it would take.
    ///
    /// Additive (default): the server plans (`POST /superadmin/apps/:id/schema/push/plan`); it
    /// never deletes or renames. With [`overwrite`](PlanSchemaPush::overwrite): the client
    /// diffs against the app's current schema, deletions and
    /// [`renames`](PlanSchemaPush::renames) included.
    ///
    /// ```no_run
    /// use instantdb_schema::i;
    ///
    /// # async fn example(api: instantdb_platform::PlatformClient, app_id: &str) -> Result<(), instantdb_platform::Error> {
    /// let schema = i::schema().entities([(
    ///     "todos",
    ///     i::entity([
    ///         ("title", i::string().indexed()),
    ///         ("done", i::boolean()),
    ///         ("completedAt", i::date().optional()),
    ///     ]),
    /// )]);
    /// let plan = api.plan_schema_push(app_id, &schema).send().await?;
    /// // Or, to allow deletions and renames:
    /// let plan = api
    ///     .plan_schema_push(app_id, &schema)
    ///     .overwrite(true)
    ///     .renames(["todos.name:todos.title"])
    ///     .send()
    ///     .await?;
    /// for step in &plan.steps {
    ///     println!("{}", step.friendly_description); // e.g. "Add index to todos.title."
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn plan_schema_push(&self, app_id: impl Into<AppId>, schema: &SchemaDef) -> PlanSchemaPush {
        PlanSchemaPush {
            api: self.clone(),
            app_id: app_id.into(),
            schema: schema.clone(),
            overwrite: None,
            renames: None,
            options: RequestOptions::default(),
        }
    }

    /// Applies steps computed by the caller (with [`diff_schemas`] and [`convert_tx_steps`]
    /// against [`pull_schema`](PlatformClient::pull_schema)'s attributes, say) and waits for
    /// their background jobs: what `instant-cli push` does after showing the plan, so what is
    /// applied is exactly what was confirmed. `current_attrs` are the attributes the steps
    /// were computed against; they name deleted attributes in the steps' descriptions.
    ///
    /// As with [`schema_push`](PlatformClient::schema_push), failed background jobs do not fail
    /// the push; check [`PushResult::has_errors`].
    ///
    /// ```no_run
    /// use instantdb_schema::diff::{RenameSelector, convert_tx_steps, diff_schemas};
    /// use instantdb_schema::{collect_system_catalog_ident_names, i};
    ///
    /// # async fn example(api: instantdb_platform::PlatformClient, app_id: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// let local = i::schema().entities([("todos", i::entity([("title", i::string())]))]);
    /// let pulled = api.pull_schema(app_id).send().await?;
    /// let system = collect_system_catalog_ident_names(&pulled.attrs);
    /// let mut renames = RenameSelector::parse(&["todos.name:todos.title"])?;
    /// let txs = diff_schemas(&pulled.schema.schema, &local, &mut renames, &system)?;
    /// let steps = convert_tx_steps(&txs, &pulled.attrs, || uuid::Uuid::new_v4().to_string())?;
    /// let result = api.apply_schema_steps(app_id, &steps, &pulled.attrs).send().await?;
    /// assert!(!result.has_errors());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// [`diff_schemas`]: instantdb_schema::diff::diff_schemas
    /// [`convert_tx_steps`]: instantdb_schema::diff::convert_tx_steps
    pub fn apply_schema_steps(
        &self,
        app_id: impl Into<AppId>,
        steps: &[PlanStep],
        current_attrs: &[ApiAttr],
    ) -> ApplySchemaSteps {
        ApplySchemaSteps {
            api: self.clone(),
            app_id: app_id.into(),
            steps: steps.to_vec(),
            current_attrs: current_attrs.to_vec(),
            polling: PollingPolicy::default(),
            options: RequestOptions::default(),
        }
    }

    /// Pushes a schema and waits for its background jobs (indexes, uniqueness, required and
    /// type checks). The returned [`SchemaPush`] can be awaited for the [`PushResult`], or read
    /// as a stream of [`PushSummary`] reports first.
    ///
    /// The push does not fail when background jobs fail (a `unique` constraint over duplicate
    /// values, say): the failure is recorded in the step's
    /// [`background_job`](SchemaStep::background_job), as upstream. Check
    /// [`PushResult::has_errors`], or call [`PushResult::ensure_success`].
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    /// use instantdb_schema::i;
    ///
    /// # async fn example(api: instantdb_platform::PlatformClient, app_id: &str) -> Result<(), instantdb_platform::Error> {
    /// let schema = i::schema().entities([(
    ///     "todos",
    ///     i::entity([("title", i::string().indexed()), ("done", i::boolean())]),
    /// )]);
    /// let mut push = api.schema_push(app_id, &schema).send();
    /// while let Some(status) = push.next().await {
    ///     println!("{}", status.friendly_description);
    /// }
    /// let result = push.await?;
    /// for step in result.errored_steps() {
    ///     if let Some(job) = &step.background_job {
    ///         println!("{} failed: {:?} {:?}", step.friendly_description, job.error, job.invalid_triples_sample);
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn schema_push(&self, app_id: impl Into<AppId>, schema: &SchemaDef) -> PushSchema {
        PushSchema {
            api: self.clone(),
            app_id: app_id.into(),
            schema: schema.clone(),
            overwrite: None,
            renames: None,
            polling: PollingPolicy::default(),
            options: RequestOptions::default(),
        }
    }
}

/// `.await` on the builder runs the push to its end, as `.send().await` does; use
/// [`send`](PushSchema::send) to follow its progress as a stream.
impl std::future::IntoFuture for PushSchema {
    type Output = Result<PushResult, Error>;
    type IntoFuture = SchemaPush;

    fn into_future(self) -> SchemaPush {
        self.send()
    }
}

/// `.await` on the builder applies the steps to their end; see [`ApplySchemaSteps::send`].
impl std::future::IntoFuture for ApplySchemaSteps {
    type Output = Result<PushResult, Error>;
    type IntoFuture = SchemaPush;

    fn into_future(self) -> SchemaPush {
        self.send()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(status: &str) -> BackgroundJob {
        BackgroundJob {
            id: "j".into(),
            job_type: "index".into(),
            status: JobStatus::parse(Some(status)),
            created_at: None,
            updated_at: None,
            work_estimate: None,
            work_completed: None,
            error: None,
            invalid_triples_sample: None,
            invalid_unique_value: None,
            checked_data_type: None,
        }
    }

    fn step(status: Option<&str>) -> SchemaStep {
        SchemaStep {
            step: PlanStep::DeleteAttr("a".into()),
            friendly_description: String::new(),
            background_job: status.map(job),
        }
    }

    #[test]
    fn summaries_read_as_upstream() {
        let summary = PushSummary::of(vec![
            step(None),
            step(Some("processing")),
            step(Some("waiting")),
        ]);
        assert_eq!(
            summary.friendly_description,
            "Completing 2 of 3 schema operations."
        );
        assert_eq!((summary.completed_count, summary.in_progress_count), (1, 2));
        assert_eq!(
            PushSummary::of(vec![step(None)]).friendly_description,
            "Finished 1 schema operation."
        );
        let done = PushSummary::of(vec![
            step(None),
            step(Some("errored")),
            step(Some("completed")),
        ]);
        assert_eq!(
            done.friendly_description,
            "Finished 3 schema operations, with 1 error"
        );
        assert_eq!(done.error_count, 1);
        let two = PushSummary::of(vec![step(Some("errored")), step(Some("errored"))]);
        assert_eq!(
            two.friendly_description,
            "Finished 2 schema operations, with 2 errors"
        );
        assert_eq!(
            PushSummary::of(vec![]).friendly_description,
            "Finished 0 schema operations."
        );
    }

    #[test]
    fn polling_schedule_is_upstreams() {
        let policy = PollingPolicy::default();
        let mut interval = policy.initial_interval;
        let mut waits = vec![interval.as_millis()];
        for _ in 0..9 {
            interval = policy.next_interval(interval, false);
            waits.push(interval.as_millis());
        }
        assert_eq!(
            waits,
            [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]
        );
        assert_eq!(
            policy.next_interval(interval, true),
            Duration::from_millis(100)
        );
        assert_eq!(policy.max_consecutive_failures, 4);
        assert_eq!(policy.timeout, None);
    }

    #[test]
    fn renames_need_overwrite() {
        assert_eq!(
            check_mode(None, &Some(vec![])).unwrap_err().to_string(),
            RENAMES_NEED_OVERWRITE
        );
        assert!(check_mode(Some(false), &Some(vec!["a.b:a.c".into()])).is_err());
        assert!(check_mode(Some(true), &Some(vec![])).unwrap());
        assert!(!check_mode(None, &None).unwrap());
    }
}
