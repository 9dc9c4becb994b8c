//! The HTTP layer: hyper connections, the request/response types handlers see, the route table,
//! and the shared state behind its lock.
//!
//! Handlers are plain functions from [`Request`] to [`Reply`] that lock [`Shared::state`]; none of
//! them awaits while holding it. Every write goes through [`Shared::write`], which flushes what
//! the closure changed to the data directory (when there is one) before the lock is released, so
//! the order of committed writes is the order of responses.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, Method, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc, watch};

use crate::crypto::SigningKey;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::persist::Persist;
use crate::platform::deliveries::Delivery;
use crate::store::State;
use crate::{admin, platform, storage};

/// A magic code the emulator "sent": it has no mail server, so codes go to the log and to
/// subscribers of [`crate::Emulator::subscribe_mail`].
#[derive(Clone, PartialEq, Eq)]
pub struct SentMagicCode {
    /// The app the code belongs to.
    pub app_id: uuid::Uuid,
    /// The recipient.
    pub email: String,
    /// The six-digit code.
    pub code: String,
}

impl std::fmt::Debug for SentMagicCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The code is a credential for the recipient's account in the app.
        f.debug_struct("SentMagicCode")
            .field("app_id", &self.app_id)
            .field("email", &self.email)
            .field("code", &"[redacted]")
            .finish()
    }
}

/// Knobs that tests and the CLI turn.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// How long each background job stage takes (waiting → processing → done).
    pub(crate) job_stage_delay: Duration,
    /// Whether `POST /dash/apps/ephemeral` is enabled.
    pub(crate) ephemeral_apps: bool,
    /// The emulator's platform user: approves CLI logins and owns handle-created apps.
    pub(crate) default_user: uuid::Uuid,
    /// Whether CLI ticket logins are approved for the default user as soon as registered.
    pub(crate) cli_auto_approve: bool,
    /// How long a CLI ticket login can be collected.
    pub(crate) cli_login_ttl: Duration,
    /// How long OAuth access tokens from the token endpoint last.
    pub(crate) oauth_access_token_ttl: Duration,
    /// How long a backup stays listed and downloadable.
    pub(crate) backup_ttl: Duration,
    /// Whether webhooks may point at loopback `http` URLs (refused upstream, where the server
    /// is not on the developer's machine).
    pub(crate) webhook_loopback: bool,
    /// The first retry delay of a failed webhook delivery (upstream: 1 minute).
    pub(crate) webhook_retry_delay: Duration,
    /// Bodies above this size are refused (413), so a stray client cannot exhaust memory.
    pub(crate) max_body_bytes: usize,
    /// How long a connection may wait before a request's headers are complete.
    pub(crate) header_timeout: Duration,
}

impl Config {
    pub(crate) fn backup_ttl_ms(&self) -> i64 {
        i64::try_from(self.backup_ttl.as_millis()).unwrap_or(i64::MAX)
    }

    pub(crate) fn oauth_access_token_ttl_ms(&self) -> i64 {
        i64::try_from(self.oauth_access_token_ttl.as_millis()).unwrap_or(i64::MAX)
    }

    pub(crate) fn cli_login_ttl_ms(&self) -> i64 {
        i64::try_from(self.cli_login_ttl.as_millis()).unwrap_or(i64::MAX)
    }
}

/// State shared by every connection.
pub(crate) struct Shared {
    state: RwLock<State>,
    pub(crate) persist: Option<Persist>,
    pub(crate) base_url: String,
    pub(crate) config: Config,
    pub(crate) mail: broadcast::Sender<SentMagicCode>,
    /// The runtime background jobs are spawned on (handlers run on blocking threads).
    pub(crate) runtime: tokio::runtime::Handle,
    /// The id of every app a committed write changed, for live queries.
    pub(crate) changes: broadcast::Sender<uuid::Uuid>,
    /// Turns `true` when the emulator stops, so live queries end their streams.
    pub(crate) closing: watch::Receiver<bool>,
    /// Whether the automatic OAuth consent denies (see `platform/oauth.rs`).
    pub(crate) oauth_deny: AtomicBool,
    /// Signs webhook deliveries and payload tokens.
    pub(crate) webhook_key: SigningKey,
    /// Webhook events to deliver (see `platform/deliveries.rs`).
    pub(crate) deliveries: mpsc::UnboundedSender<Delivery>,
}

impl Shared {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        state: State,
        persist: Option<Persist>,
        base_url: String,
        config: Config,
        runtime: tokio::runtime::Handle,
        closing: watch::Receiver<bool>,
        webhook_key: SigningKey,
        deliveries: mpsc::UnboundedSender<Delivery>,
    ) -> Shared {
        let (mail, _) = broadcast::channel(64);
        let (changes, _) = broadcast::channel(256);
        Shared {
            state: RwLock::new(state),
            persist,
            base_url,
            config,
            mail,
            runtime,
            changes,
            closing,
            oauth_deny: AtomicBool::new(false),
            webhook_key,
            deliveries,
        }
    }

    /// Read access. A panic in another request must not take the server down, so a poisoned
    /// lock is used as is: every write path restores consistency before it can panic.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Runs `f` with write access, then persists what it changed.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&mut State) -> ApiResult<T>) -> ApiResult<T> {
        let mut state = self
            .state
            .write()
            .unwrap_or_else(|poison| poison.into_inner());
        let result = f(&mut state);
        let deliveries = platform::deliveries::collect(&mut state, &self.base_url);
        for delivery in deliveries {
            // The receiver lives as long as the emulator; after a stop nothing is delivered.
            let _ = self.deliveries.send(delivery);
        }
        let mut changed: Vec<uuid::Uuid> = state.dirty.apps.iter().copied().collect();
        changed.extend(
            state
                .apps
                .iter()
                .filter(|(id, app)| !app.data.dirty.is_empty() && !state.dirty.apps.contains(*id))
                .map(|(id, _)| *id),
        );
        for app_id in changed {
            // No receiver is the normal case (no live query open).
            let _ = self.changes.send(app_id);
        }
        if let Some(persist) = &self.persist {
            if let Err(err) = persist.flush(&mut state) {
                tracing::error!(error = %err, "persisting to the data directory failed");
                return Err(ApiError::internal());
            }
        } else {
            state.dirty = Default::default();
            for app in state.apps.values_mut() {
                app.data.dirty.clear();
            }
        }
        result
    }
}

/// A request as handlers see it: the body already collected.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Request {
    /// A header's value, when present and valid UTF-8.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Every query parameter, decoded, in order.
    pub(crate) fn query_pairs(&self) -> impl Iterator<Item = &(String, String)> {
        self.query.iter()
    }

    /// The first value of a query parameter.
    pub(crate) fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The JSON body, parsed only when the content type is `application/(…+)json`, as ring's
    /// `wrap-json-body` does: otherwise every body parameter reads as missing. Unparsable JSON
    /// is ring's `text/plain` 400.
    pub(crate) fn json(&self) -> ApiResult<Value> {
        let is_json = self.header("content-type").is_some_and(|value| {
            let mime = value
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            mime.starts_with("application/") && (mime.ends_with("/json") || mime.ends_with("+json"))
        });
        if !is_json || self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&self.body).map_err(|_| ApiError::malformed_json())
    }

    /// A key of the JSON body object.
    pub(crate) fn body_field<'a>(body: &'a Value, key: &str) -> Option<&'a Value> {
        body.get(key).filter(|value| !value.is_null())
    }

    /// A required object in the body (`ex/get-param!` with `map?`).
    pub(crate) fn object_param(body: &Value, key: &str) -> ApiResult<Map<String, Value>> {
        match Request::body_field(body, key) {
            None => Err(ApiError::param_missing(&["body", key])),
            Some(Value::Object(object)) => Ok(object.clone()),
            Some(other) => Err(ApiError::param_malformed(&["body", key], other.clone())),
        }
    }

    /// A required array in the body (`ex/get-param!` with `coll?`).
    pub(crate) fn array_param(body: &Value, key: &str) -> ApiResult<Vec<Value>> {
        match Request::body_field(body, key) {
            None => Err(ApiError::param_missing(&["body", key])),
            Some(Value::Array(items)) => Ok(items.clone()),
            Some(other) => Err(ApiError::param_malformed(&["body", key], other.clone())),
        }
    }

    /// A body flag with Clojure truthiness: anything but absent, `null` or `false` is on.
    pub(crate) fn flag(body: &Value, key: &str) -> bool {
        body.get(key)
            .is_some_and(|value| !matches!(value, Value::Null | Value::Bool(false)))
    }
}

/// A successful response.
#[derive(Debug)]
pub(crate) enum Reply {
    Json(Value),
    File {
        content_type: Option<String>,
        content_disposition: Option<String>,
        /// `Content-Encoding` (`zstd` for backup files, as S3 serves them upstream).
        content_encoding: Option<&'static str>,
        bytes: Bytes,
    },
    /// A live query: the response is a `text/event-stream`.
    Live(crate::admin::live::LiveQuery),
    /// A 302 to `location` (the OAuth authorization endpoint).
    Redirect(String),
}

/// Every response body: buffered, or a live query's event stream.
type ResponseBody = BoxBody<Bytes, Infallible>;

/// Dispatches a request to its handler.
fn route(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let Some(rest) = req.path.strip_prefix('/') else {
        return Err(ApiError::route_not_found());
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let method = req.method.as_str();
    match (method, segments.as_slice()) {
        ("POST", ["admin", "query"]) => admin::query::handle(shared, req),
        ("POST", ["admin", "subscribe-query"]) => admin::live::handle(shared, req),
        ("POST", ["admin", "transact"]) => admin::transact::handle(shared, req),
        ("POST", ["admin", "transact_perms_check"]) => {
            admin::transact::handle_perms_check(shared, req)
        }
        ("POST", ["admin", "query_perms_check"]) => admin::query::handle_perms_check(shared, req),
        ("POST", ["admin", "refresh_tokens"]) => admin::users::refresh_tokens(shared, req),
        ("POST", ["admin", "sign_out"]) => admin::users::sign_out(shared, req),
        ("POST", ["admin", "magic_code"]) => admin::users::magic_code(shared, req, false),
        ("POST", ["admin", "send_magic_code"]) => admin::users::magic_code(shared, req, true),
        ("POST", ["admin", "verify_magic_code"]) => admin::users::verify_magic_code(shared, req),
        ("POST", ["admin", "sign_in_guest"]) => admin::users::sign_in_guest(shared, req),
        ("GET", ["admin", "users"]) => admin::users::get_user(shared, req),
        ("DELETE", ["admin", "users"]) => admin::users::delete_user(shared, req),
        ("POST", ["runtime", "auth", "verify_refresh_token"]) => {
            admin::users::verify_refresh_token(shared, req)
        }
        ("GET", ["admin", "rooms", "presence"]) => admin::users::presence(shared, req),
        ("GET", ["admin", "schema"]) => platform::routes::admin_schema(shared, req),
        ("PUT", ["admin", "storage", "upload"]) => storage::upload(shared, req),
        ("DELETE", ["admin", "storage", "files"]) => storage::delete_one(shared, req),
        ("POST", ["admin", "storage", "files", "delete"]) => storage::delete_many(shared, req),
        ("GET", ["admin", "storage", "files"]) => storage::list_legacy(shared, req),
        ("GET", ["admin", "storage", "signed-download-url"]) => {
            storage::signed_download_url(shared, req)
        }
        ("POST", ["admin", "storage", "signed-upload-url"]) => {
            storage::signed_upload_url(shared, req)
        }
        ("PUT", ["storage", upload_id, "consume-upload-url"]) => {
            storage::consume_upload_url(shared, req, upload_id)
        }
        ("GET", ["dash", "apps", app_id, "backups", rest @ ..]) => {
            platform::backups::get(shared, req, app_id, rest)
        }
        ("POST", ["dash", "apps", app_id, "backups"]) => {
            platform::backups::create_on_demand(shared, req, app_id)
        }
        ("GET", ["dash", "apps", app_id, "backup-jobs"]) => {
            platform::backups::jobs(shared, req, app_id, None)
        }
        ("GET", ["dash", "apps", app_id, "backup-jobs", job_id]) => {
            platform::backups::jobs(shared, req, app_id, Some(job_id))
        }
        ("DELETE", ["dash", "apps", app_id, "backups", backup_id]) => {
            platform::backups::delete(shared, req, app_id, backup_id)
        }
        ("GET", ["backups", rest @ ..]) => platform::backups::download(shared, rest),
        ("GET", ["storage", app_id, location_id]) => storage::download(shared, app_id, location_id),
        ("GET", ["superadmin", "apps"]) => platform::routes::list_apps(shared, req, None),
        ("POST", ["superadmin", "apps"]) => platform::routes::create_app(shared, req),
        ("GET", ["superadmin", "orgs"]) => platform::routes::list_orgs(shared, req),
        ("GET", ["superadmin", "orgs", org_id, "apps"]) => {
            platform::routes::list_apps(shared, req, Some(org_id))
        }
        ("GET", ["superadmin", "apps", app_id]) => platform::routes::get_app(shared, req, app_id),
        ("POST", ["superadmin", "apps", app_id]) => {
            platform::routes::update_app(shared, req, app_id)
        }
        ("DELETE", ["superadmin", "apps", app_id]) => {
            platform::routes::delete_app(shared, req, app_id)
        }
        ("GET", ["superadmin", "apps", app_id, "schema"]) => {
            platform::routes::get_schema(shared, req, app_id)
        }
        ("GET", ["superadmin", "apps", app_id, "perms"]) => {
            platform::routes::get_perms(shared, req, app_id)
        }
        ("POST", ["dash", "apps", app_id, "rules"]) => {
            platform::routes::push_perms(shared, req, app_id)
        }
        ("GET", ["dash", "apps", "ephemeral", app_id]) => {
            platform::routes::get_ephemeral(shared, app_id)
        }
        ("GET", ["admin", "soft_deleted_attrs"]) => {
            platform::routes::soft_deleted_attrs(shared, req)
        }
        ("POST", ["superadmin", "apps", app_id, "perms"]) => {
            platform::routes::push_perms(shared, req, app_id)
        }
        (
            "POST",
            [
                "superadmin" | "dash",
                "apps",
                app_id,
                "schema",
                "push",
                "plan",
            ],
        ) => platform::routes::plan(shared, req, app_id),
        (
            "POST",
            [
                "superadmin" | "dash",
                "apps",
                app_id,
                "schema",
                "push",
                "apply",
            ],
        ) => platform::routes::apply(shared, req, app_id),
        ("POST", ["dash", "apps", "ephemeral"]) => platform::routes::create_ephemeral(shared, req),
        ("POST", ["dash", "apps", app_id, "schema", "steps", "apply"]) => {
            platform::routes::steps_apply(shared, req, app_id)
        }
        ("GET", ["dash", "apps", app_id, "schema", "pull"]) => {
            platform::routes::schema_pull(shared, req, app_id)
        }
        ("GET", ["dash", "apps", app_id, "perms", "pull"]) => {
            platform::routes::perms_pull(shared, req, app_id)
        }
        ("GET", ["dash", "apps", app_id, "indexing-jobs", "group", group_id]) => {
            platform::routes::jobs_group(shared, req, app_id, group_id)
        }
        ("GET", ["dash", "apps", app_id, "indexing-jobs", job_id]) => {
            platform::routes::job_get(shared, req, app_id, job_id)
        }
        ("GET", ["platform", "oauth", "start"]) => platform::oauth::start(shared, req),
        ("POST", ["platform", "oauth", "token"]) => platform::oauth::token(shared, req),
        ("POST", ["platform", "oauth", "revoke"]) => platform::oauth::revoke(shared, req),
        ("GET", ["platform", "oauth", "token-info"]) => platform::routes::token_info(shared, req),
        ("GET", ["dash", "apps", app_id, "auth"]) => platform::app_auth::get(shared, req, app_id),
        ("POST", ["dash", "apps", app_id, "authorized_redirect_origins"]) => {
            platform::app_auth::add_origin(shared, req, app_id)
        }
        ("DELETE", ["dash", "apps", app_id, "authorized_redirect_origins", id]) => {
            platform::app_auth::delete_origin(shared, req, app_id, id)
        }
        ("POST", ["dash", "apps", app_id, "oauth_service_providers"]) => {
            platform::app_auth::add_provider(shared, req, app_id)
        }
        ("POST", ["dash", "apps", app_id, "oauth_clients"]) => {
            platform::app_auth::add_client(shared, req, app_id)
        }
        ("POST", ["dash", "apps", app_id, "oauth_clients", id]) => {
            platform::app_auth::update_client(shared, req, app_id, id)
        }
        ("DELETE", ["dash", "apps", app_id, "oauth_clients", id]) => {
            platform::app_auth::delete_client(shared, req, app_id, id)
        }
        ("GET", ["dash", "apps", app_id, "webhooks"]) => {
            platform::webhooks::list(shared, req, app_id)
        }
        ("POST", ["dash", "apps", app_id, "webhooks"]) => {
            platform::webhooks::create(shared, req, app_id)
        }
        (_, ["dash", "apps", app_id, "webhooks", webhook_id, rest @ ..]) => {
            platform::webhooks::one(shared, req, app_id, webhook_id, rest)
        }
        ("POST", ["dash", "cli", "auth", "register"]) => platform::dash::cli_register(shared),
        ("POST", ["dash", "cli", "auth", "check"]) => platform::dash::cli_check(shared, req),
        ("POST", ["dash", "cli", "auth", "claim"]) => platform::dash::cli_claim(shared, req),
        ("POST", ["dash", "cli", "auth", "void"]) => platform::dash::cli_void(shared, req),
        ("GET", ["dash", "cli", "version"]) => platform::dash::cli_version(),
        (
            "POST",
            ["dash", "apps", "ephemeral", app_id, "claim"] | ["dash", "apps", app_id, "claim"],
        ) => platform::dash::claim_app(shared, req, app_id),
        ("GET", ["dash"]) => platform::dash::home(shared, req),
        ("GET", ["dash", "me"]) => platform::dash::me(shared, req),
        ("POST", ["dash", "apps"]) => platform::dash::create_app(shared, req),
        ("GET", ["dash", "apps", app_id]) => platform::dash::get_app(shared, req, app_id),
        ("DELETE", ["dash", "apps", app_id]) => platform::dash::delete_app(shared, req, app_id),
        ("GET", [".well-known", "webhooks", "jwks.json"]) => platform::webhooks::jwks(shared),
        ("GET", ["webhooks", "payload", app_id, webhook_id, isn @ ..]) => {
            platform::webhooks::payload(shared, req, app_id, webhook_id, isn)
        }
        ("GET", ["health", "system"]) => Ok(Reply::Json(serde_json::json!({"wal": "ok"}))),
        _ => Err(ApiError::route_not_found()),
    }
}

fn error_response(error: &ApiError) -> Response<ResponseBody> {
    let (content_type, body) = match &error.body {
        ErrorBody::Envelope {
            kind,
            message,
            hint,
        } => {
            let mut out = Map::new();
            out.insert("type".into(), Value::String((*kind).to_owned()));
            out.insert("message".into(), Value::String(message.clone()));
            if let Some(hint) = hint {
                out.insert("hint".into(), hint.clone());
            }
            out.insert(
                "trace-id".into(),
                Value::String(uuid::Uuid::new_v4().simple().to_string()),
            );
            (
                "application/json; charset=utf-8",
                Value::Object(out).to_string(),
            )
        }
        ErrorBody::RouteNotFound => (
            "application/json; charset=utf-8",
            serde_json::json!({"message": error.message()}).to_string(),
        ),
        ErrorBody::MalformedJson => ("text/plain", error.message().to_owned()),
        ErrorBody::Html(message) => ("text/html", oauth_error_page(message)),
    };
    build_response(error.status, content_type, None, Bytes::from(body))
}

/// The page upstream's `oauth-error-page` renders (without its styles).
fn oauth_error_page(message: &str) -> String {
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"UTF-8\"><title>OAuth error</title></head><body><p>There was an error with your OAuth request.</p><p>{escaped}</p></body></html>"
    )
}

fn build_response(
    status: StatusCode,
    content_type: &str,
    content_disposition: Option<&str>,
    body: Bytes,
) -> Response<ResponseBody> {
    let mut response = Response::new(Full::new(body).boxed());
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    if let Some(value) = content_disposition.and_then(|d| HeaderValue::from_str(d).ok()) {
        response.headers_mut().insert(CONTENT_DISPOSITION, value);
    }
    response
}

async fn serve_request(
    shared: Arc<Shared>,
    request: http::Request<Incoming>,
) -> Result<Response<ResponseBody>, Infallible> {
    let (parts, body) = request.into_parts();
    let limit = shared.config.max_body_bytes;
    let too_large = || {
        build_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "text/plain",
            None,
            Bytes::from_static(b"Request body too large."),
        )
    };
    // Refused before a byte of the body is read.
    let declared_too_big = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok())
        .is_some_and(|length| length > limit as u64);
    if declared_too_big {
        return Ok(too_large());
    }
    let body = match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => return Ok(too_large()),
        Err(_) => {
            return Ok(build_response(
                StatusCode::BAD_REQUEST,
                "text/plain",
                None,
                Bytes::from_static(b"Could not read the request body."),
            ));
        }
    };
    let req = Request {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts
            .uri
            .query()
            .map(|query| {
                url::form_urlencoded::parse(query.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default(),
        headers: parts.headers,
        body,
    };
    // Handlers lock a std RwLock and may run a whole query; keep them off the reactor threads.
    let method = req.method.clone();
    let path = req.path.clone();
    let handler_shared = Arc::clone(&shared);
    let result = tokio::task::spawn_blocking(move || route(&handler_shared, &req)).await;
    let response = match result {
        Ok(Ok(Reply::Json(value))) => build_response(
            StatusCode::OK,
            "application/json; charset=utf-8",
            None,
            Bytes::from(value.to_string()),
        ),
        Ok(Ok(Reply::File {
            content_type,
            content_disposition,
            content_encoding,
            bytes,
        })) => {
            let mut response = build_response(
                StatusCode::OK,
                content_type
                    .as_deref()
                    .unwrap_or("application/octet-stream"),
                content_disposition.as_deref(),
                bytes,
            );
            if let Some(encoding) = content_encoding {
                response.headers_mut().insert(
                    http::header::CONTENT_ENCODING,
                    HeaderValue::from_static(encoding),
                );
            }
            response
        }
        Ok(Ok(Reply::Redirect(location))) => {
            let mut response = build_response(StatusCode::FOUND, "text/plain", None, Bytes::new());
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(http::header::LOCATION, value);
            }
            response
        }
        Ok(Ok(Reply::Live(live))) => {
            let mut response = Response::new(crate::admin::live::stream(shared, live).boxed());
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
            headers.insert(
                http::header::CACHE_CONTROL,
                HeaderValue::from_static("no-cache"),
            );
            response
        }
        Ok(Err(error)) => error_response(&error),
        Err(join_error) => {
            tracing::error!(%method, %path, error = %join_error, "handler panicked");
            error_response(&ApiError::internal())
        }
    };
    tracing::debug!(%method, %path, status = response.status().as_u16(), "request");
    Ok(response)
}

/// Accepts connections until `shutdown` changes.
pub(crate) async fn run(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else { continue };
                let header_timeout = shared.config.header_timeout;
                let shared = Arc::clone(&shared);
                let mut conn_shutdown = shutdown.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        serve_request(Arc::clone(&shared), request)
                    });
                    // The header timeout starts whenever hyper waits for a request head, so it
                    // also closes idle keep-alive connections and silent clients.
                    let conn = hyper::server::conn::http1::Builder::new()
                        .timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(header_timeout)
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        result = conn.as_mut() => {
                            if let Err(err) = result {
                                tracing::debug!(error = %err, "connection closed with an error");
                            }
                        }
                        _ = conn_shutdown.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
            _ = shutdown.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    // Let in-flight requests finish (bounded), then drop the rest.
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
}

/// The loopback address to bind.
pub(crate) fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}
