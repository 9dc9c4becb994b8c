//! The crate's one error type.

use std::fmt;
use std::time::Duration;

use instantdb_http::http::StatusCode;
use instantdb_http::{ApiError, Secret};
use serde_json::Value;

/// How many characters of a response body an error message shows.
const EXCERPT_CHARS: usize = 200;

/// What went wrong, coarsely; see [`Error::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request failed before the server answered (connection, TLS, timeout) or could not be
    /// built; [`Error::http_error`] has the transport error.
    Http,
    /// The server answered with an error status. [`Error::api_error`] has Instant's
    /// `{type, message, hint, trace-id}`; [`Error::oauth_error`] the RFC 6749 `error` code when
    /// the body has one.
    Status,
    /// A success response that is not a token response (no `access_token`, a non-numeric
    /// `expires_in`, not JSON).
    InvalidResponse,
    /// The authorization server redirected back with `error=…` (the user denied access, or the
    /// request was invalid); [`Error::oauth_error`] has the code.
    Authorization,
    /// The `state` returned to the redirect URI is not the one this login sent.
    StateMismatch,
    /// The redirect carried neither a `code` nor an `error`.
    MissingCode,
    /// No callback reached the loopback listener in time.
    Timeout,
    /// The loopback listener could not bind or failed, or the operating system's random number
    /// generator did.
    Io,
    /// A setting is invalid (redirect URI, scopes, a refresh without a client secret, a
    /// loopback flow on a non-loopback redirect URI); nothing was sent.
    Config,
}

/// An error from an OAuth call or login.
///
/// Ask it what happened with [`Error::kind`] and the predicates, and read the details with the
/// accessors. The token endpoint answers Instant's `{type, message, hint}` with HTTP 400 (not
/// RFC 6749's `{error, error_description}`, although some proxies and older servers send
/// those); both are kept: [`Error::api_error`] has the envelope, [`Error::oauth_error`] and
/// [`Error::error_description`] the RFC fields when present.
///
/// Client secrets, codes, verifiers and tokens that were sent are replaced by `***` everywhere
/// an error shows text, including [`Error::api_error`]'s parsed fields and body.
///
/// ```
/// # async fn example(http: instantdb_http::Client, credentials: instantdb_oauth::ClientCredentials, refresh: instantdb_http::Secret) {
/// match instantdb_oauth::exchange_refresh_token(&http, &credentials, &refresh).await {
///     Ok(tokens) => { /* store tokens.access_token */ }
///     Err(err) if err.is_auth_failure() => { /* the refresh token was revoked: log in again */ }
///     Err(err) => eprintln!("{err}"),
/// }
/// # }
/// ```
pub struct Error {
    inner: Box<Repr>,
}

#[derive(Debug, thiserror::Error)]
enum Repr {
    #[error(transparent)]
    Http(instantdb_http::Error),
    #[error("{}", status_message(endpoint, api))]
    Status {
        endpoint: String,
        api: Box<ApiError>,
    },
    #[error(
        "{endpoint}: HTTP {}: not a valid response: {message}{}",
        status.as_u16(),
        if excerpt.is_empty() { String::new() } else { format!(" (body starts with: {excerpt:?})") }
    )]
    InvalidResponse {
        endpoint: String,
        status: StatusCode,
        message: String,
        excerpt: String,
    },
    #[error(
        "the authorization server answered OAuth error {error}{}",
        description.as_deref().map(|text| format!(": {text}")).unwrap_or_default()
    )]
    Authorization {
        error: String,
        description: Option<String>,
        uri: Option<String>,
    },
    #[error(
        "the OAuth `state` returned to the redirect URI does not match this login's; the \
         callback was not started by this login"
    )]
    StateMismatch,
    #[error("the OAuth redirect carried neither a `code` nor an `error` parameter")]
    MissingCode,
    #[error("no OAuth callback reached the loopback listener within {0:?}")]
    Timeout(Duration),
    #[error(
        "{message}{}",
        source.as_ref().map(|err| format!(": {err}")).unwrap_or_default()
    )]
    Io {
        message: String,
        source: Option<std::io::Error>,
    },
    #[error("{0}")]
    Config(String),
}

/// `METHOD /path: HTTP 400 OAuth error invalid_grant: …` for RFC 6749 bodies, else the
/// envelope's own display (`HTTP 400 record-not-found: …`).
fn status_message(endpoint: &str, api: &ApiError) -> String {
    let prefix = if endpoint.is_empty() {
        String::new()
    } else {
        format!("{endpoint}: ")
    };
    match body_str(api, "error") {
        Some(code) => {
            let description = body_str(api, "error_description")
                .map(|text| format!(": {text}"))
                .unwrap_or_default();
            format!(
                "{prefix}HTTP {} OAuth error {code}{description}",
                api.status().as_u16()
            )
        }
        None => format!("{prefix}{api}"),
    }
}

impl Error {
    fn new(repr: Repr) -> Error {
        Error {
            inner: Box::new(repr),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Error {
        Error::new(Repr::Config(message.into()))
    }

    pub(crate) fn state_mismatch() -> Error {
        Error::new(Repr::StateMismatch)
    }

    pub(crate) fn missing_code() -> Error {
        Error::new(Repr::MissingCode)
    }

    pub(crate) fn timeout(after: Duration) -> Error {
        Error::new(Repr::Timeout(after))
    }

    pub(crate) fn io(message: impl Into<String>, source: Option<std::io::Error>) -> Error {
        Error::new(Repr::Io {
            message: message.into(),
            source,
        })
    }

    pub(crate) fn authorization(
        error: String,
        description: Option<String>,
        uri: Option<String>,
    ) -> Error {
        Error::new(Repr::Authorization {
            error,
            description,
            uri,
        })
    }

    pub(crate) fn invalid_response(
        endpoint: &str,
        status: StatusCode,
        message: impl Into<String>,
        excerpt: String,
    ) -> Error {
        Error::new(Repr::InvalidResponse {
            endpoint: endpoint.to_owned(),
            status,
            message: message.into(),
            excerpt,
        })
    }

    /// Wraps a transport error, scrubbing `secrets` (what the request sent in its body, which
    /// `instantdb-http` cannot know about) from the server's answer.
    pub(crate) fn from_http(err: instantdb_http::Error, secrets: &[&Secret]) -> Error {
        let Some(api) = err.api_error() else {
            return Error::new(Repr::Http(err));
        };
        let body = scrub(&String::from_utf8_lossy(api.body()), secrets);
        let api = Box::new(ApiError::from_body(
            api.status(),
            api.headers().clone(),
            body.into(),
        ));
        let endpoint = err.endpoint().unwrap_or_default().to_owned();
        Error::new(Repr::Status { endpoint, api })
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match &*self.inner {
            Repr::Http(_) => ErrorKind::Http,
            Repr::Status { .. } => ErrorKind::Status,
            Repr::InvalidResponse { .. } => ErrorKind::InvalidResponse,
            Repr::Authorization { .. } => ErrorKind::Authorization,
            Repr::StateMismatch => ErrorKind::StateMismatch,
            Repr::MissingCode => ErrorKind::MissingCode,
            Repr::Timeout(_) => ErrorKind::Timeout,
            Repr::Io { .. } => ErrorKind::Io,
            Repr::Config(_) => ErrorKind::Config,
        }
    }

    /// `METHOD /path` of the request, when the error belongs to one.
    pub fn endpoint(&self) -> Option<&str> {
        match &*self.inner {
            Repr::Http(err) => err.endpoint(),
            Repr::Status { endpoint, .. } | Repr::InvalidResponse { endpoint, .. } => {
                Some(endpoint)
            }
            _ => None,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        match &*self.inner {
            Repr::Status { api, .. } => Some(api.status()),
            Repr::InvalidResponse { status, .. } => Some(*status),
            Repr::Http(err) => err.status(),
            _ => None,
        }
    }

    /// Instant's error envelope (`type`, `message`, `hint`, `trace-id`, status, headers, body),
    /// when the server answered with an error status. Secrets the request sent are scrubbed.
    pub fn api_error(&self) -> Option<&ApiError> {
        match &*self.inner {
            Repr::Status { api, .. } => Some(api),
            _ => None,
        }
    }

    /// The transport error, for [`ErrorKind::Http`].
    pub fn http_error(&self) -> Option<&instantdb_http::Error> {
        match &*self.inner {
            Repr::Http(err) => Some(err),
            _ => None,
        }
    }

    /// The RFC 6749 error code: the `error` parameter of an authorization-server redirect, or
    /// the `error` field of a token endpoint error body (`invalid_grant`…). Instant's own
    /// token endpoint errors have none; see [`Error::api_error`] for their `type`.
    pub fn oauth_error(&self) -> Option<&str> {
        match &*self.inner {
            Repr::Authorization { error, .. } => Some(error),
            Repr::Status { api, .. } => body_str(api, "error"),
            _ => None,
        }
    }

    /// The human-readable description: `error_description` of a redirect or of an RFC 6749
    /// body, else Instant's `message`.
    pub fn error_description(&self) -> Option<&str> {
        match &*self.inner {
            Repr::Authorization { description, .. } => description.as_deref(),
            Repr::Status { api, .. } => {
                body_str(api, "error_description").or_else(|| body_str(api, "message"))
            }
            _ => None,
        }
    }

    /// The `error_uri` of an authorization-server redirect, if it sent one.
    pub fn error_uri(&self) -> Option<&str> {
        match &*self.inner {
            Repr::Authorization { uri, .. } => uri.as_deref(),
            _ => None,
        }
    }

    /// The grant or token was refused for good: a refresh token or code that is unknown,
    /// expired or revoked (Instant's `record-not-found`/`record-expired` of a token record, or
    /// RFC `invalid_grant`/`invalid_client`), or an HTTP 401. Retrying the same call cannot
    /// succeed; the user must log in again.
    pub fn is_auth_failure(&self) -> bool {
        match &*self.inner {
            Repr::Status { api, .. } => {
                api.is_auth_failure()
                    || matches!(
                        body_str(api, "error"),
                        Some("invalid_grant" | "invalid_client" | "unauthorized_client")
                    )
            }
            _ => false,
        }
    }

    instantdb_http::error_predicates!(
        headers,
        body,
        is_rate_limited,
        is_record_not_found,
        is_validation_failed,
        is_permission_denied,
        is_connect,
        is_transient,
        is_decode,
    );

    /// The user denied access on the consent screen (`error=access_denied`).
    pub fn is_access_denied(&self) -> bool {
        self.oauth_error() == Some("access_denied")
    }

    /// A client-side timeout: the loopback listener waited in vain, or an HTTP request timed
    /// out (which may or may not have reached the server).
    pub fn is_timeout(&self) -> bool {
        match &*self.inner {
            Repr::Timeout(_) => true,
            Repr::Http(err) => err.is_timeout(),
            _ => false,
        }
    }
}

impl From<instantdb_http::Error> for Error {
    /// Wraps an error that carries no server answer, or one whose request sent no secret in its
    /// body.
    fn from(err: instantdb_http::Error) -> Error {
        Error::from_http(err, &[])
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind())
            .field("details", &self.inner)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&*self.inner)
    }
}

fn body_str<'a>(api: &'a ApiError, key: &str) -> Option<&'a str> {
    api.body_json()
        .and_then(|body| body.get(key))
        .and_then(Value::as_str)
}

/// Replaces every occurrence of the secrets' values by `***`. Values shorter than 4
/// characters are left alone: they would redact unrelated text and are not real secrets.
pub(crate) fn scrub(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        let value = secret.expose();
        if value.len() >= 4 && out.contains(value) {
            out = out.replace(value, "***");
        }
    }
    out
}

/// The first characters of a body for an error message.
pub(crate) fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((idx, _)) => format!("{}…", &text[..idx]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use instantdb_http::http::HeaderMap;

    fn status_error(body: &str, secrets: &[&Secret]) -> Error {
        let api = ApiError::from_body(
            StatusCode::BAD_REQUEST,
            HeaderMap::new(),
            body.to_owned().into(),
        );
        let body = scrub(&String::from_utf8_lossy(api.body()), secrets);
        let api = Box::new(ApiError::from_body(
            api.status(),
            HeaderMap::new(),
            body.into(),
        ));
        Error::new(Repr::Status {
            endpoint: "POST /platform/oauth/token".into(),
            api,
        })
    }

    #[test]
    fn rfc_and_instant_bodies() {
        let err = status_error(
            r#"{"error":"invalid_grant","error_description":"The authorization code has expired."}"#,
            &[],
        );
        assert_eq!(err.kind(), ErrorKind::Status);
        assert_eq!(err.oauth_error(), Some("invalid_grant"));
        assert_eq!(
            err.error_description(),
            Some("The authorization code has expired.")
        );
        assert!(err.is_auth_failure());
        assert_eq!(
            err.to_string(),
            "POST /platform/oauth/token: HTTP 400 OAuth error invalid_grant: The authorization code has expired."
        );

        let err = status_error(
            r#"{"type":"record-not-found","message":"Record not found: oauth-refresh-token","hint":{"record-type":"oauth-refresh-token"}}"#,
            &[],
        );
        assert_eq!(err.oauth_error(), None);
        assert_eq!(
            err.api_error().unwrap().error_type(),
            Some("record-not-found")
        );
        assert_eq!(
            err.error_description(),
            Some("Record not found: oauth-refresh-token")
        );
        assert!(err.is_auth_failure());
        assert!(err.to_string().contains("record-not-found"), "{err}");

        let err = status_error(
            r#"{"type":"param-malformed","message":"Invalid client_id parameter"}"#,
            &[],
        );
        assert!(!err.is_auth_failure());
    }

    #[test]
    fn secrets_are_scrubbed_everywhere() {
        let secret = Secret::new("client-secret-value");
        let err = status_error(
            r#"{"type":"record-not-found","message":"no client for client-secret-value","hint":{"args":["client-secret-value"]}}"#,
            &[&secret],
        );
        let shown = format!("{err} {err:?} {:?}", err.api_error().unwrap().hint());
        assert!(!shown.contains("client-secret-value"), "{shown}");
        assert!(
            !String::from_utf8_lossy(err.api_error().unwrap().body())
                .contains("client-secret-value")
        );
    }

    #[test]
    fn error_is_small_and_thread_safe() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
