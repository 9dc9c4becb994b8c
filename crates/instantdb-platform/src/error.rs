//! The crate's one error type.

use std::fmt;
use std::time::Duration;

use instantdb_http::ApiError;
use instantdb_http::http::StatusCode;

/// A boxed error from a user callback (a webhook handler, a custom body fetcher).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong, coarsely; see [`Error::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The server answered with an error status; [`Error::api_error`] has Instant's
    /// `{type, message, hint, trace-id}`, the status and the raw body.
    Status,
    /// The request failed before the server answered (connection, TLS, timeout), could not be
    /// built, or its success body did not decode; [`Error::http_error`] has the details.
    Http,
    /// The client has no token (upstream's `PlatformApi was not provided auth.`); nothing was sent.
    MissingAuth,
    /// The call's input is invalid: `renames` without `overwrite`, a schema that fails
    /// validation, a malformed rename command. Nothing was sent (or only reads were).
    InvalidInput,
    /// The access token was refused and refreshing it failed; [`Error::oauth_error`] has the
    /// refresh grant's error.
    Refresh,
    /// A success response that does not mean what it should (a timestamp that does not parse,
    /// a push step whose background job is missing from the job list).
    InvalidResponse,
    /// Polling a schema push's background jobs gave up (too many consecutive failures, or the
    /// configured time limit passed). The push itself was applied.
    Polling,
    /// A webhook delivery failed verification (bad header, stale timestamp, unknown key, bad
    /// signature, unexpected body), or a handler failed.
    Webhook,
    /// A backup could not be downloaded: an unexpected file listing, a storage listing that
    /// ended early or held a malformed record, a file that could not be fetched, or a failure
    /// writing the archive.
    Backup,
    /// [`PushResult::ensure_success`](crate::PushResult::ensure_success): background jobs of
    /// the push failed.
    JobsFailed,
}

/// An error from a platform API call.
///
/// Opaque on purpose: ask it what happened with [`Error::kind`] and the predicates, and read
/// the details with the accessors. Instant reports nearly every failure as HTTP 400 and tells
/// them apart in the body's `type`, so [`Error::api_error`] is usually the interesting part.
/// Tokens never appear in what an error displays.
///
/// ```no_run
/// # async fn example(api: instantdb_platform::PlatformClient) {
/// match api.get_app("2d9f…").send().await {
///     Ok(app) => println!("{}", app.title),
///     Err(err) if err.is_record_not_found() => eprintln!("no such app"),
///     Err(err) if err.is_auth_failure() => eprintln!("log in again: {err}"),
///     Err(err) => eprintln!("{err}"),
/// }
/// # }
/// ```
pub struct Error {
    inner: Box<Repr>,
}

enum Repr {
    Http(instantdb_http::Error),
    OAuth(instantdb_oauth::Error),
    MissingAuth,
    InvalidInput(String),
    Schema(instantdb_schema::Error),
    Refresh(instantdb_oauth::Error),
    InvalidResponse {
        endpoint: String,
        message: String,
    },
    Polling {
        message: String,
        source: Option<Error>,
    },
    Webhook {
        message: String,
        source: Option<BoxError>,
    },
    Backup {
        message: String,
        source: Option<BoxError>,
    },
    JobsFailed {
        errored: usize,
        first: String,
    },
}

impl Error {
    fn new(repr: Repr) -> Error {
        Error {
            inner: Box::new(repr),
        }
    }

    pub(crate) fn missing_auth() -> Error {
        Error::new(Repr::MissingAuth)
    }

    pub(crate) fn invalid_input(message: impl Into<String>) -> Error {
        Error::new(Repr::InvalidInput(message.into()))
    }

    pub(crate) fn refresh(err: instantdb_oauth::Error) -> Error {
        Error::new(Repr::Refresh(err))
    }

    pub(crate) fn invalid_response(endpoint: &str, message: impl Into<String>) -> Error {
        Error::new(Repr::InvalidResponse {
            endpoint: endpoint.to_owned(),
            message: message.into(),
        })
    }

    pub(crate) fn polling(message: impl Into<String>, source: Option<Error>) -> Error {
        Error::new(Repr::Polling {
            message: message.into(),
            source,
        })
    }

    pub(crate) fn webhook(message: impl Into<String>) -> Error {
        Error::new(Repr::Webhook {
            message: message.into(),
            source: None,
        })
    }

    pub(crate) fn webhook_with(message: impl Into<String>, source: BoxError) -> Error {
        Error::new(Repr::Webhook {
            message: message.into(),
            source: Some(source),
        })
    }

    pub(crate) fn backup(message: impl Into<String>) -> Error {
        Error::new(Repr::Backup {
            message: message.into(),
            source: None,
        })
    }

    pub(crate) fn backup_with(message: impl Into<String>, source: BoxError) -> Error {
        Error::new(Repr::Backup {
            message: message.into(),
            source: Some(source),
        })
    }

    pub(crate) fn jobs_failed(errored: usize, first: String) -> Error {
        Error::new(Repr::JobsFailed { errored, first })
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match &*self.inner {
            Repr::Http(err) if err.is_status() => ErrorKind::Status,
            Repr::OAuth(err) if err.api_error().is_some() => ErrorKind::Status,
            Repr::Http(_) | Repr::OAuth(_) => ErrorKind::Http,
            Repr::MissingAuth => ErrorKind::MissingAuth,
            Repr::InvalidInput(_) | Repr::Schema(_) => ErrorKind::InvalidInput,
            Repr::Refresh(_) => ErrorKind::Refresh,
            Repr::InvalidResponse { .. } => ErrorKind::InvalidResponse,
            Repr::Polling { .. } => ErrorKind::Polling,
            Repr::Webhook { .. } => ErrorKind::Webhook,
            Repr::Backup { .. } => ErrorKind::Backup,
            Repr::JobsFailed { .. } => ErrorKind::JobsFailed,
        }
    }

    /// `METHOD /path` of the request the error belongs to, if any (never the query string).
    pub fn endpoint(&self) -> Option<&str> {
        match &*self.inner {
            Repr::Http(err) => err.endpoint(),
            Repr::OAuth(err) | Repr::Refresh(err) => err.endpoint(),
            Repr::InvalidResponse { endpoint, .. } => Some(endpoint),
            Repr::Polling {
                source: Some(source),
                ..
            } => source.endpoint(),
            _ => None,
        }
    }

    /// The HTTP status, when a server answered.
    pub fn status(&self) -> Option<StatusCode> {
        match &*self.inner {
            Repr::Http(err) => err.status(),
            Repr::OAuth(err) | Repr::Refresh(err) => err.status(),
            Repr::Polling {
                source: Some(source),
                ..
            } => source.status(),
            _ => None,
        }
    }

    /// Instant's error envelope (`type`, `message`, `hint`, `trace-id`, status, headers, raw
    /// body), when the server answered with an error status. For [`ErrorKind::Polling`] it is
    /// the last poll's; for [`ErrorKind::Refresh`] the token endpoint's.
    pub fn api_error(&self) -> Option<&ApiError> {
        match &*self.inner {
            Repr::Http(err) => err.api_error(),
            Repr::OAuth(err) | Repr::Refresh(err) => err.api_error(),
            Repr::Polling {
                source: Some(source),
                ..
            } => source.api_error(),
            _ => None,
        }
    }

    /// The transport error, when the failure came from `instantdb-http`.
    pub fn http_error(&self) -> Option<&instantdb_http::Error> {
        match &*self.inner {
            Repr::Http(err) => Some(err),
            Repr::OAuth(err) | Repr::Refresh(err) => err.http_error(),
            _ => None,
        }
    }

    /// The OAuth error of a token refresh or token-info call.
    pub fn oauth_error(&self) -> Option<&instantdb_oauth::Error> {
        match &*self.inner {
            Repr::OAuth(err) | Repr::Refresh(err) => Some(err),
            _ => None,
        }
    }

    /// The schema crate's error, for a schema that fails validation or a malformed rename
    /// command (its message is upstream's).
    pub fn schema_error(&self) -> Option<&instantdb_schema::Error> {
        match &*self.inner {
            Repr::Schema(err) => Some(err),
            _ => None,
        }
    }

    /// No token was configured.
    pub fn is_missing_auth(&self) -> bool {
        matches!(&*self.inner, Repr::MissingAuth)
    }

    /// The credentials were refused (see [`instantdb_http::Error::is_auth_failure`]), including
    /// a failed refresh whose refresh token was refused. Log in again.
    pub fn is_auth_failure(&self) -> bool {
        match &*self.inner {
            Repr::Refresh(err) => err.is_auth_failure(),
            _ => self.api_error().is_some_and(ApiError::is_auth_failure),
        }
    }

    instantdb_http::error_predicates!(
        headers,
        body,
        is_rate_limited,
        is_record_not_found,
        is_validation_failed,
        is_permission_denied,
        is_timeout,
        is_connect,
        is_transient,
        is_decode,
    );

    /// Whether upstream's `withRetry` refreshes the token after this error: HTTP 401,
    /// `record-expired` (an expired `pat_` token is a 400 `record-expired`), or
    /// `record-not-found` whose `hint.record-type` mentions a token. Deliberately narrower than
    /// [`Error::is_auth_failure`], so the same calls trigger a refresh as in the official SDK.
    pub(crate) fn triggers_refresh(&self) -> bool {
        self.api_error().is_some_and(triggers_refresh)
    }
}

/// Upstream `withRetry`'s condition, on the error envelope.
pub(crate) fn triggers_refresh(api: &ApiError) -> bool {
    if api.status() == StatusCode::UNAUTHORIZED {
        return true;
    }
    match api.error_type() {
        Some("record-expired") => true,
        // Upstream throws a TypeError here when `hint` is missing; no hint names no token.
        Some("record-not-found") => api
            .record_type()
            .is_some_and(|t| t.to_ascii_lowercase().contains("token")),
        _ => false,
    }
}

impl From<instantdb_http::Error> for Error {
    fn from(err: instantdb_http::Error) -> Error {
        Error::new(Repr::Http(err))
    }
}

impl From<instantdb_oauth::Error> for Error {
    fn from(err: instantdb_oauth::Error) -> Error {
        Error::new(Repr::OAuth(err))
    }
}

impl From<instantdb_schema::Error> for Error {
    fn from(err: instantdb_schema::Error) -> Error {
        Error::new(Repr::Schema(err))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.inner {
            Repr::Http(err) => write!(f, "{err}"),
            Repr::OAuth(err) => write!(f, "{err}"),
            // Upstream's message, verbatim.
            Repr::MissingAuth => f.write_str("PlatformApi was not provided auth."),
            Repr::InvalidInput(message) => f.write_str(message),
            Repr::Schema(err) => write!(f, "{err}"),
            Repr::Refresh(err) => {
                write!(
                    f,
                    "the access token was refused and refreshing it failed: {err}"
                )
            }
            Repr::InvalidResponse { endpoint, message } => {
                write!(f, "{endpoint}: unexpected response: {message}")
            }
            Repr::Polling { message, source } => {
                f.write_str(message)?;
                if let Some(source) = source {
                    write!(f, ": {source}")?;
                }
                Ok(())
            }
            Repr::Webhook { message, source } | Repr::Backup { message, source } => {
                f.write_str(message)?;
                if let Some(source) = source {
                    write!(f, ": {source}")?;
                }
                Ok(())
            }
            Repr::JobsFailed { errored, first } => write!(
                f,
                "{errored} background job{} of the schema push failed (first: {first})",
                if *errored == 1 { "" } else { "s" }
            ),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Error");
        s.field("kind", &self.kind());
        match &*self.inner {
            Repr::Http(err) => s.field("source", err),
            Repr::OAuth(err) | Repr::Refresh(err) => s.field("source", err),
            Repr::Schema(err) => s.field("source", err),
            Repr::Polling {
                source: Some(source),
                ..
            } => s.field("source", source),
            _ => s.field("message", &self.to_string()),
        };
        s.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.inner {
            Repr::Http(err) => Some(err),
            Repr::OAuth(err) | Repr::Refresh(err) => Some(err),
            Repr::Schema(err) => Some(err),
            Repr::Polling {
                source: Some(source),
                ..
            } => Some(source),
            Repr::Webhook {
                source: Some(source),
                ..
            }
            | Repr::Backup {
                source: Some(source),
                ..
            } => Some(source.as_ref()),
            _ => None,
        }
    }
}

/// How long to wait, for messages.
pub(crate) fn describe_duration(duration: Duration) -> String {
    if duration.as_millis() < 1000 {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use instantdb_http::http::HeaderMap;

    fn api(status: u16, body: &str) -> ApiError {
        ApiError::from_body(
            StatusCode::from_u16(status).unwrap(),
            HeaderMap::new(),
            body.to_owned().into(),
        )
    }

    #[test]
    fn refresh_triggers_follow_upstream() {
        assert!(triggers_refresh(&api(401, r#"{"type":"authorization"}"#)));
        assert!(triggers_refresh(&api(
            400,
            r#"{"type":"record-expired","hint":{"record-type":"access-token"}}"#
        )));
        assert!(triggers_refresh(&api(400, r#"{"type":"record-expired"}"#)));
        assert!(triggers_refresh(&api(
            400,
            r#"{"type":"record-not-found","hint":{"record-type":"app-OAuth-Token"}}"#
        )));
        assert!(!triggers_refresh(&api(
            400,
            r#"{"type":"record-not-found","hint":{"record-type":"app"}}"#
        )));
        assert!(!triggers_refresh(&api(
            404,
            r#"{"type":"record-not-found"}"#
        )));
        assert!(!triggers_refresh(&api(
            400,
            r#"{"type":"param-missing","hint":{"in":["headers","authorization"]}}"#
        )));
        assert!(!triggers_refresh(&api(500, "boom")));
    }

    #[test]
    fn error_is_small_and_thread_safe() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
