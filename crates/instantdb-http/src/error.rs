//! The crate's one error type, and Instant's error envelope.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::Value;

use crate::secret::Redactor;

/// A boxed error from a transport, a body stream or a user callback.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// How many characters of a body an error message shows.
const EXCERPT_CHARS: usize = 200;

/// An error from sending a request or reading its response.
///
/// Opaque on purpose: ask it questions with the predicates (`is_timeout`, `is_auth_failure`,
/// `is_record_not_found`…) and read details with the accessors (`status`, `headers`, `body`,
/// [`api_error`](Error::api_error)). Instant reports nearly every failure as HTTP 400 and tells
/// them apart in the body's `type`, so the predicates look at the body, not only the status.
///
/// `Display` shows the endpoint (`METHOD /path`, never the query string), the status, Instant's
/// `type` and `message`, and for unparseable bodies an excerpt. Token values sent with the
/// request are replaced by `***` in everything `Display` and `Debug` show.
///
/// ```
/// # async fn example(client: instantdb_http::Client) {
/// match client.get("/superadmin/apps").send().await {
///     Ok(response) => { /* ... */ }
///     Err(err) if err.is_auth_failure() => { /* refresh the token and try again */ }
///     Err(err) if err.is_rate_limited() => { /* back off */ }
///     Err(err) => eprintln!("{err}"),
/// }
/// # }
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: Kind,
    /// `METHOD /path`, without the query string (it may carry tokens).
    endpoint: Option<String>,
}

#[derive(Debug, thiserror::Error)]
enum Kind {
    /// The request could not be built; nothing was sent.
    #[error("invalid request: {0}")]
    Builder(String),
    /// No connection could be made; nothing was sent.
    // The root cause is shown because hyper-util's own layers say only "client error
    // (Connect)"; `source()` still has the whole chain.
    #[error("could not connect{}: {}", if *.timed_out { " (timed out)" } else { "" }, root_cause(source.as_ref()))]
    Connect {
        #[source]
        source: BoxError,
        timed_out: bool,
    },
    /// A client-side timeout fired; the request may have reached the server.
    #[error("{phase} timeout of {limit:?} elapsed")]
    Timeout {
        phase: TimeoutPhase,
        limit: Duration,
    },
    /// The connection failed after the request may have been written.
    #[error("the connection failed: {}", root_cause(source.as_ref()))]
    Transport {
        #[source]
        source: BoxError,
    },
    /// A body (request upload or response download) failed mid-stream.
    #[error("the body stream failed: {}", root_cause(source.as_ref()))]
    Body {
        #[source]
        source: BoxError,
    },
    /// The server answered with a status the endpoint does not define as success.
    #[error("{0}")]
    Status(Box<ApiError>),
    /// A success response of the wrong media type (an HTML page where events were expected).
    #[error("HTTP {}: expected a {expected} body, got `{got}`", status.as_u16())]
    ContentType {
        expected: &'static str,
        got: String,
        status: StatusCode,
        headers: HeaderMap,
    },
    /// A success response whose body is not the expected JSON.
    #[error(
        "HTTP {}: could not decode the body as {target}: {message}{} (body starts with: {excerpt:?})",
        status.as_u16(),
        if path.is_empty() || path == "." { String::new() } else { format!(" at `{path}`") }
    )]
    Decode {
        target: &'static str,
        path: String,
        message: String,
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        excerpt: String,
    },
}

/// Which client-side limit fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeoutPhase {
    Total,
    IdleRead,
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutPhase::Total => "request",
            TimeoutPhase::IdleRead => "idle read",
        })
    }
}

impl Error {
    fn new(kind: Kind) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                endpoint: None,
            }),
        }
    }

    /// A connection failure: nothing was written, so any request may be retried. For
    /// [`Transport`](crate::Transport) implementations.
    pub fn connect(source: impl Into<BoxError>) -> Error {
        let source = source.into();
        let timed_out = source_chain_has_timeout(source.as_ref());
        Error::new(Kind::Connect { source, timed_out })
    }

    /// A connection failure after the request may have been written (reset, closed early,
    /// protocol error). For [`Transport`](crate::Transport) implementations.
    pub fn transport(source: impl Into<BoxError>) -> Error {
        Error::new(Kind::Transport {
            source: source.into(),
        })
    }

    /// A failure of a body stream. For [`Body`](crate::Body) streams and transports.
    pub fn body_failure(source: impl Into<BoxError>) -> Error {
        let source = source.into();
        match source.downcast::<Error>() {
            Ok(ours) => *ours,
            Err(source) => Error::new(Kind::Body { source }),
        }
    }

    pub(crate) fn builder(message: impl Into<String>) -> Error {
        Error::new(Kind::Builder(message.into()))
    }

    pub(crate) fn timeout(phase: TimeoutPhase, limit: Duration) -> Error {
        Error::new(Kind::Timeout { phase, limit })
    }

    pub(crate) fn from_api(api: ApiError) -> Error {
        Error::new(Kind::Status(Box::new(api)))
    }

    pub(crate) fn decode(
        target: &'static str,
        path: String,
        message: String,
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        redactor: &Redactor,
    ) -> Error {
        Error::new(Kind::Decode {
            target,
            path,
            message: redactor.scrub(&message),
            status,
            headers,
            excerpt: excerpt(&body, redactor),
            body,
        })
    }

    pub(crate) fn content_type(
        expected: &'static str,
        got: String,
        status: StatusCode,
        headers: HeaderMap,
    ) -> Error {
        Error::new(Kind::ContentType {
            expected,
            got,
            status,
            headers,
        })
    }

    pub(crate) fn with_endpoint(mut self, endpoint: &str) -> Error {
        if self.inner.endpoint.is_none() {
            self.inner.endpoint = Some(endpoint.to_owned());
        }
        self
    }

    /// `METHOD /path` of the request, when the error belongs to one (never the query string).
    pub fn endpoint(&self) -> Option<&str> {
        self.inner.endpoint.as_deref()
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        match &self.inner.kind {
            Kind::Status(api) => Some(api.status),
            Kind::Decode { status, .. } | Kind::ContentType { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The response headers, when the server answered.
    pub fn headers(&self) -> Option<&HeaderMap> {
        match &self.inner.kind {
            Kind::Status(api) => Some(&api.headers),
            Kind::Decode { headers, .. } | Kind::ContentType { headers, .. } => Some(headers),
            _ => None,
        }
    }

    /// The raw response body, when the server answered (error statuses and undecodable success
    /// bodies). Unlike `Display`, it is not scrubbed of tokens.
    pub fn body(&self) -> Option<&[u8]> {
        match &self.inner.kind {
            Kind::Status(api) => Some(&api.body),
            Kind::Decode { body, .. } => Some(body),
            _ => None,
        }
    }

    /// Instant's error envelope, when the server answered with an error status.
    pub fn api_error(&self) -> Option<&ApiError> {
        match &self.inner.kind {
            Kind::Status(api) => Some(api),
            _ => None,
        }
    }

    /// Consumes the error, returning the envelope of an error status.
    pub fn into_api_error(self) -> Option<ApiError> {
        match self.inner.kind {
            Kind::Status(api) => Some(*api),
            _ => None,
        }
    }

    /// A client-side timeout fired (connect, total or idle read). The request may or may not
    /// have reached the server; only retry it if it is idempotent. A server-side timeout is an
    /// HTTP 429 with `type: "timeout"` and is reported by [`Error::is_rate_limited`] instead.
    pub fn is_timeout(&self) -> bool {
        matches!(
            &self.inner.kind,
            Kind::Timeout { .. }
                | Kind::Connect {
                    timed_out: true,
                    ..
                }
        )
    }

    /// No connection could be made (refused, DNS, TLS handshake, proxy tunnel). Nothing was sent.
    pub fn is_connect(&self) -> bool {
        matches!(&self.inner.kind, Kind::Connect { .. })
    }

    /// The request could not be built (bad header value, path escaping the base URL, body that
    /// cannot be serialized or replayed). Nothing was sent.
    pub fn is_builder(&self) -> bool {
        matches!(&self.inner.kind, Kind::Builder(_))
    }

    /// A success response whose body did not decode, or was not of the expected media type.
    pub fn is_decode(&self) -> bool {
        matches!(
            &self.inner.kind,
            Kind::Decode { .. } | Kind::ContentType { .. }
        )
    }

    /// A body stream failed (the upload source, or the response mid-download).
    pub fn is_body(&self) -> bool {
        matches!(&self.inner.kind, Kind::Body { .. })
    }

    /// The server answered with an error status ([`Error::api_error`] has the details).
    pub fn is_status(&self) -> bool {
        matches!(&self.inner.kind, Kind::Status(_))
    }

    /// The credentials were refused: refresh the token or log in again.
    ///
    /// Instant rarely uses 401. This is true for a 401, for `record-expired` (an expired OAuth
    /// access token is 400 `record-expired`), for `record-not-found` whose `hint.record-type`
    /// names a token (`oauth-access-token`, `app-admin-token`…) or is `instant-user` (what the
    /// platform endpoints answer for an unknown personal access token or dashboard login, 400
    /// or 401), for `param-missing` and
    /// `param-malformed` about the `authorization` header, and for `admin-token-mismatch`.
    /// A missing OAuth scope (`permission-denied`) is not an auth failure: a new token with the
    /// same scopes would fail the same way.
    pub fn is_auth_failure(&self) -> bool {
        self.api_error().is_some_and(ApiError::is_auth_failure)
    }

    /// HTTP 429. Instant sends it for `rate-limited` and also for `timeout` (a query or
    /// transaction that ran past the server's 30 s statement timeout).
    pub fn is_rate_limited(&self) -> bool {
        self.api_error().is_some_and(ApiError::is_rate_limited)
    }

    /// Instant's `record-not-found` (any record type, any status).
    pub fn is_record_not_found(&self) -> bool {
        self.api_error().is_some_and(ApiError::is_record_not_found)
    }

    /// Instant's `validation-failed`.
    pub fn is_validation_failed(&self) -> bool {
        self.api_error().is_some_and(ApiError::is_validation_failed)
    }

    /// Instant's `permission-denied` (a missing OAuth scope, rules refusing an impersonated
    /// request).
    pub fn is_permission_denied(&self) -> bool {
        self.api_error().is_some_and(ApiError::is_permission_denied)
    }

    /// The failure may go away on its own: connection failures, client timeouts, transport
    /// errors, HTTP 429/502/503/504. The request may have been processed: only retry requests
    /// that are safe to repeat (see [`Error::is_transient_and_not_sent`]).
    pub fn is_transient(&self) -> bool {
        match &self.inner.kind {
            Kind::Connect { .. } | Kind::Timeout { .. } | Kind::Transport { .. } => true,
            Kind::Status(api) => matches!(api.status.as_u16(), 429 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// The failure may go away and the request certainly never reached the server, so any
    /// request (even a transaction) can be retried safely. True for connection failures other
    /// than TLS certificate errors.
    pub fn is_transient_and_not_sent(&self) -> bool {
        match &self.inner.kind {
            Kind::Connect { source, .. } => !source_chain_has_tls_error(source.as_ref()),
            _ => false,
        }
    }

    /// How long the server asked us to wait: the `Retry-After` header (seconds or HTTP-date),
    /// else Instant's `hint.retry-after` (seconds) on a `rate-limited` error.
    pub fn retry_after(&self) -> Option<Duration> {
        let api = self.api_error()?;
        crate::retry::retry_after(&api.headers).or_else(|| {
            api.hint
                .get("retry-after")
                .and_then(Value::as_f64)
                .filter(|secs| secs.is_finite() && *secs >= 0.0)
                .map(Duration::from_secs_f64)
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(endpoint) = &self.inner.endpoint {
            write!(f, "{endpoint}: ")?;
        }
        fmt::Display::fmt(&self.inner.kind, f)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Error");
        if let Some(endpoint) = &self.inner.endpoint {
            s.field("endpoint", endpoint);
        }
        match &self.inner.kind {
            Kind::Builder(message) => s.field("builder", message),
            Kind::Connect { source, timed_out } => s
                .field("connect", &source_chain(source.as_ref()))
                .field("timed_out", timed_out),
            Kind::Timeout { phase, limit } => {
                s.field("timeout", &format_args!("{phase} {limit:?}"))
            }
            Kind::Transport { source } => s.field("transport", &source_chain(source.as_ref())),
            Kind::Body { source } => s.field("body", &source_chain(source.as_ref())),
            Kind::Status(api) => s.field("api_error", api),
            Kind::ContentType {
                expected,
                got,
                status,
                ..
            } => s
                .field("expected", expected)
                .field("content_type", got)
                .field("status", status),
            Kind::Decode {
                target,
                path,
                message,
                status,
                excerpt,
                ..
            } => s
                .field("decode", target)
                .field("path", path)
                .field("message", message)
                .field("status", status)
                .field("excerpt", excerpt),
        };
        s.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner.kind.source()
    }
}

/// Instant's error envelope: `{type, message, hint, trace-id}` plus the HTTP status, headers and
/// raw body.
///
/// Built the way the official SDKs build `InstantAPIError`: a JSON body gives `type`, `message`
/// (falling back to the OAuth fields `error_description` and `error`, then to
/// `API Error (<status>)`), `hint` and `traceId`/`trace-id`; a body that is not JSON (ring's
/// `text/plain` "Malformed JSON in request body.", a proxy's HTML page) becomes the message, with
/// no type. Token values that were sent with the request are replaced by `***` in the parsed
/// fields; [`ApiError::body`] keeps the raw bytes.
///
/// ```
/// use instantdb_http::ApiError;
/// use http::StatusCode;
///
/// let body = br#"{"type":"record-not-found","message":"Record not found: app-admin-token","hint":{"record-type":"app-admin-token"}}"#;
/// let err = ApiError::from_body(StatusCode::BAD_REQUEST, Default::default(), body.to_vec().into());
/// assert_eq!(err.error_type(), Some("record-not-found"));
/// assert_eq!(err.record_type(), Some("app-admin-token"));
/// assert!(err.is_auth_failure());
/// ```
#[derive(Clone)]
pub struct ApiError {
    status: StatusCode,
    headers: HeaderMap,
    error_type: Option<String>,
    message: String,
    hint: Value,
    trace_id: Option<String>,
    json: Option<Value>,
    body: Bytes,
}

impl ApiError {
    /// Parses an error response body.
    pub fn from_body(status: StatusCode, headers: HeaderMap, body: Bytes) -> ApiError {
        ApiError::from_body_redacted(status, headers, body, &Redactor::default())
    }

    /// Builds an error from an already parsed envelope, such as the `{"op": "error", status,
    /// type, message, hint}` messages of Instant's SSE streams.
    pub fn from_json(status: StatusCode, value: Value) -> ApiError {
        let body = Bytes::from(value.to_string());
        ApiError::from_parts(status, HeaderMap::new(), Some(value), body)
    }

    pub(crate) fn from_body_redacted(
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        redactor: &Redactor,
    ) -> ApiError {
        match serde_json::from_slice::<Value>(&body) {
            Ok(mut value) => {
                redactor.scrub_json(&mut value);
                ApiError::from_parts(status, headers, Some(value), body)
            }
            Err(_) => {
                let text = redactor.scrub(String::from_utf8_lossy(&body).trim());
                let mut api = ApiError::from_parts(status, headers, None, body);
                if !text.is_empty() {
                    api.message = text;
                }
                api
            }
        }
    }

    fn from_parts(
        status: StatusCode,
        headers: HeaderMap,
        json: Option<Value>,
        body: Bytes,
    ) -> ApiError {
        let field = |name: &str| {
            json.as_ref()
                .and_then(|v| v.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let message = field("message")
            .or_else(|| field("error_description"))
            .or_else(|| field("error"))
            .unwrap_or_else(|| format!("API Error ({})", status.as_u16()));
        ApiError {
            status,
            error_type: field("type"),
            trace_id: field("traceId").or_else(|| field("trace-id")),
            hint: json
                .as_ref()
                .and_then(|v| v.get("hint"))
                .cloned()
                .unwrap_or(Value::Null),
            message,
            headers,
            json,
            body,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Instant's `type` (`record-not-found`, `validation-failed`, `rate-limited`…), if the body
    /// had one.
    pub fn error_type(&self) -> Option<&str> {
        self.error_type.as_deref()
    }

    /// The message: the body's `message`, or the text of a non-JSON body, or
    /// `API Error (<status>)`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The body's `hint` (`Value::Null` when absent). Its shape depends on the type, e.g.
    /// `{"record-type": …}`, `{"in": [...]}`, `{"retry-after": seconds}`.
    pub fn hint(&self) -> &Value {
        &self.hint
    }

    /// `hint.record-type`, for `record-not-found` and `record-expired`.
    pub fn record_type(&self) -> Option<&str> {
        self.hint.get("record-type").and_then(Value::as_str)
    }

    /// The server's trace id (`traceId` or `trace-id`), to quote in a bug report.
    pub fn trace_id(&self) -> Option<&str> {
        self.trace_id.as_deref()
    }

    /// The parsed body, if it was JSON (token values scrubbed).
    pub fn body_json(&self) -> Option<&Value> {
        self.json.as_ref()
    }

    /// The raw body bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// See [`Error::is_rate_limited`]. The API crates' errors ask these predicates, so each
    /// classification of Instant's error bodies lives here once.
    pub fn is_rate_limited(&self) -> bool {
        self.status == StatusCode::TOO_MANY_REQUESTS || self.error_type() == Some("rate-limited")
    }

    /// See [`Error::is_record_not_found`].
    pub fn is_record_not_found(&self) -> bool {
        self.error_type() == Some("record-not-found")
    }

    /// See [`Error::is_validation_failed`].
    pub fn is_validation_failed(&self) -> bool {
        self.error_type() == Some("validation-failed")
    }

    /// See [`Error::is_permission_denied`].
    pub fn is_permission_denied(&self) -> bool {
        self.error_type() == Some("permission-denied")
    }

    /// See [`Error::is_auth_failure`].
    pub fn is_auth_failure(&self) -> bool {
        if self.status == StatusCode::UNAUTHORIZED {
            return true;
        }
        let names_token = |record_type: Option<&str>| {
            record_type.is_some_and(|t| t.to_ascii_lowercase().contains("token"))
        };
        match self.error_type() {
            // An expired record without a type is treated like upstream's refresh trigger.
            Some("record-expired") => {
                self.record_type().is_none() || names_token(self.record_type())
            }
            // `instant-user`: the user behind an unknown personal access token or dashboard
            // login (platform-sdk.md §15.1, `req->superadmin-user!`).
            Some("record-not-found") => {
                names_token(self.record_type()) || self.record_type() == Some("instant-user")
            }
            Some("param-missing" | "param-malformed") => self
                .hint
                .get("in")
                .and_then(Value::as_array)
                .is_some_and(|path| path.iter().any(|p| p.as_str() == Some("authorization"))),
            Some("admin-token-mismatch") => true,
            _ => false,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status.as_u16())?;
        if let Some(error_type) = &self.error_type {
            write!(f, " {error_type}")?;
        }
        write!(f, ": {}", truncate(&self.message, 2 * EXCERPT_CHARS))?;
        if let Some(trace_id) = &self.trace_id {
            write!(f, " (trace-id {trace_id})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.status.as_u16())
            .field("type", &self.error_type)
            .field("message", &self.message)
            .field("hint", &self.hint)
            .field("trace_id", &self.trace_id)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl StdError for ApiError {}

/// The first characters of a body, lossily decoded and scrubbed, for error messages.
pub(crate) fn excerpt(body: &[u8], redactor: &Redactor) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(4 * EXCERPT_CHARS)]);
    redactor.scrub(&truncate(&text, EXCERPT_CHARS))
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((idx, _)) => format!("{}…", &text[..idx]),
        None => text.to_owned(),
    }
}

/// The innermost error's message (through nested io::Errors, whose `source` skips a level).
fn root_cause(err: &(dyn StdError + 'static)) -> String {
    let mut current = err;
    loop {
        if let Some(inner) = current
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            current = inner;
        } else if let Some(next) = current.source() {
            current = next;
        } else {
            return current.to_string();
        }
    }
}

fn source_chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        next = cause.source();
    }
    out
}

fn source_chain_has_timeout(err: &(dyn StdError + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(cause) = next {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return true;
        }
        if let Some(ours) = cause.downcast_ref::<Error>()
            && ours.is_timeout()
        {
            return true;
        }
        next = cause.source();
    }
    false
}

fn source_chain_has_tls_error(err: &(dyn StdError + 'static)) -> bool {
    if err.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    // hyper-rustls nests the rustls error in io::Errors, whose `source()` skips the payload.
    if let Some(inner) = err
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
        && source_chain_has_tls_error(inner)
    {
        return true;
    }
    err.source().is_some_and(source_chain_has_tls_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, body: &str) -> ApiError {
        ApiError::from_body(
            StatusCode::from_u16(status).unwrap(),
            HeaderMap::new(),
            Bytes::from(body.to_owned()),
        )
    }

    #[test]
    fn parses_the_envelope() {
        let err = api(
            400,
            r#"{"type":"validation-failed","message":"Validation failed for query: x","hint":{"data-type":"query"},"trace-id":"t-1"}"#,
        );
        assert_eq!(err.error_type(), Some("validation-failed"));
        assert_eq!(err.message(), "Validation failed for query: x");
        assert_eq!(err.hint()["data-type"], "query");
        assert_eq!(err.trace_id(), Some("t-1"));
        assert_eq!(
            err.to_string(),
            "HTTP 400 validation-failed: Validation failed for query: x (trace-id t-1)"
        );
    }

    #[test]
    fn non_json_bodies_become_the_message() {
        let err = api(400, "Malformed JSON in request body.");
        assert_eq!(err.error_type(), None);
        assert_eq!(err.message(), "Malformed JSON in request body.");
        assert_eq!(api(502, "").message(), "API Error (502)");
        assert_eq!(
            api(404, r#"{"message":"Oops! We couldn't match this route."}"#).message(),
            "Oops! We couldn't match this route."
        );
        assert_eq!(
            api(
                400,
                r#"{"error":"invalid_grant","error_description":"expired"}"#
            )
            .message(),
            "expired"
        );
        assert_eq!(api(400, r#"{"traceId":"abc"}"#).trace_id(), Some("abc"));
    }

    #[test]
    fn auth_failures() {
        assert!(api(401, r#"{"type":"authorization","message":"Unauthorized"}"#).is_auth_failure());
        assert!(
            api(
                400,
                r#"{"type":"record-expired","hint":{"record-type":"oauth-access-token"}}"#
            )
            .is_auth_failure()
        );
        assert!(
            api(
                400,
                r#"{"type":"record-not-found","hint":{"record-type":"app-admin-token"}}"#
            )
            .is_auth_failure()
        );
        assert!(
            !api(
                400,
                r#"{"type":"record-not-found","hint":{"record-type":"app"}}"#
            )
            .is_auth_failure()
        );
        assert!(!api(404, r#"{"type":"record-not-found"}"#).is_auth_failure());
        // An unknown `per_…` token: 400, "Record not found: instant-user".
        assert!(
            api(
                400,
                r#"{"type":"record-not-found","message":"Record not found: instant-user","hint":{"record-type":"instant-user"}}"#
            )
            .is_auth_failure()
        );
        assert!(
            !api(
                400,
                r#"{"type":"record-not-found","message":"Record not found: app","hint":{"record-type":"app"}}"#
            )
            .is_auth_failure()
        );
        assert!(
            api(
                400,
                r#"{"type":"param-missing","hint":{"in":["headers","authorization"]}}"#
            )
            .is_auth_failure()
        );
        assert!(
            !api(
                400,
                r#"{"type":"param-missing","hint":{"in":["body","query"]}}"#
            )
            .is_auth_failure()
        );
        assert!(
            !api(
                400,
                r#"{"type":"permission-denied","hint":{"required-scope":"apps-write"}}"#
            )
            .is_auth_failure()
        );
    }

    #[test]
    fn predicates_and_retry_after() {
        let err = Error::from_api(api(
            429,
            r#"{"type":"rate-limited","hint":{"retry-after":2}}"#,
        ));
        assert!(err.is_rate_limited() && err.is_transient() && !err.is_transient_and_not_sent());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
        let err = Error::from_api(api(400, r#"{"type":"validation-failed"}"#));
        assert!(err.is_validation_failed() && !err.is_transient());
        let err = Error::connect(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(err.is_connect() && err.is_transient_and_not_sent() && !err.is_timeout());
        let err = Error::connect(std::io::Error::from(std::io::ErrorKind::TimedOut));
        assert!(err.is_timeout());
    }

    #[test]
    fn error_is_small_and_thread_safe() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn secrets_are_scrubbed_from_parsed_fields() {
        let mut redactor = Redactor::default();
        redactor.add(&crate::Secret::new("adm-secret-1"));
        let body = r#"{"type":"record-not-found","message":"Record not found: app-admin-token","hint":{"args":[{"token":"adm-secret-1"}]}}"#;
        let err = ApiError::from_body_redacted(
            StatusCode::BAD_REQUEST,
            HeaderMap::new(),
            Bytes::from(body),
            &redactor,
        );
        assert_eq!(err.hint()["args"][0]["token"], "***");
        assert!(!format!("{err:?} {err}").contains("adm-secret-1"));
        assert_eq!(err.body(), body.as_bytes());
    }
}
