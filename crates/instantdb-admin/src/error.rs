//! The crate's one error type.

use std::fmt;

use instantdb_http::ApiError;

/// What went wrong, coarsely; see [`Error::kind`]. The same shape as the other client crates'
/// `ErrorKind`s: `Status` and `Http` for what the transport reports, then the crate's own kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The server answered with an error status, or a live query received an `error` message;
    /// [`Error::api_error`] has Instant's `{type, message, hint, trace-id}`.
    Status,
    /// The request failed before the server answered (connection, TLS, timeout), could not be
    /// built, or its success body did not decode; [`Error::http_error`] has the details.
    Http,
    /// A server message that does not follow the protocol (a live-query event that is not
    /// JSON, an event stream with the wrong content type).
    Protocol,
    /// A query failed local validation; nothing was sent.
    QueryValidation,
    /// A transaction failed local validation against the client's schema; nothing was sent.
    TransactionValidation,
    /// The operation needs the admin token and the client has none; nothing was sent.
    MissingAdminToken,
    /// Input the server could never accept was refused locally; nothing was sent.
    InvalidInput,
}

/// An error from the admin client: a request the server refused, a transport failure, or input
/// refused locally before anything was sent.
///
/// Opaque on purpose: ask it questions with the predicates and read details with the
/// accessors. Instant reports nearly every failure as HTTP 400 and tells them apart in the
/// body's `type`, so [`Error::api_error`] keeps its `{type, message, hint, trace-id}`.
///
/// Local refusals (nothing was sent) come in four kinds, each with upstream's message where
/// upstream has one:
/// - [`Error::is_query_validation`]: `QueryValidationError` of `@instantdb/core` (with a schema,
///   or a malformed query), and the typed builder's checks ([`crate::instaql`]);
/// - [`Error::is_transaction_validation`]: `TransactionValidationError` (with a schema);
/// - [`Error::is_missing_admin_token`]: "Admin token required…";
/// - [`Error::is_invalid_input`]: anything else the server could never accept (a lookup whose
///   attribute contains `__`, an upload body of unknown length…).
///
/// ```
/// # async fn example(db: instantdb_admin::AdminClient) {
/// match db.query(serde_json::json!({"goals": {}})).send().await {
///     Ok(result) => println!("{result}"),
///     Err(err) if err.is_auth_failure() => eprintln!("check the app id and admin token: {err}"),
///     Err(err) if err.is_rate_limited() => eprintln!("slow down: {err}"),
///     Err(err) => eprintln!("{err}"),
/// }
/// # }
/// ```
pub struct Error {
    kind: Box<Kind>,
}

#[derive(thiserror::Error)]
enum Kind {
    #[error(transparent)]
    Http(instantdb_http::Error),
    /// An `error` message of a live query (the stream stays open).
    #[error("live query: {0}")]
    Server(Box<ApiError>),
    /// A server message that does not follow the protocol (a live-query event that is not JSON,
    /// an event stream with the wrong content type).
    #[error("{0}")]
    Protocol(String),
    #[error("{0}")]
    QueryValidation(String),
    #[error("{0}")]
    TransactionValidation(String),
    #[error("{0}")]
    MissingAdminToken(String),
    #[error("{0}")]
    InvalidInput(String),
}

impl Error {
    fn new(kind: Kind) -> Error {
        Error {
            kind: Box::new(kind),
        }
    }

    pub(crate) fn query_validation(message: impl Into<String>) -> Error {
        Error::new(Kind::QueryValidation(message.into()))
    }

    pub(crate) fn transaction_validation(message: impl Into<String>) -> Error {
        Error::new(Kind::TransactionValidation(message.into()))
    }

    pub(crate) fn missing_admin_token(message: &str) -> Error {
        Error::new(Kind::MissingAdminToken(message.to_owned()))
    }

    pub(crate) fn invalid_input(message: impl Into<String>) -> Error {
        Error::new(Kind::InvalidInput(message.into()))
    }

    pub(crate) fn server(api: ApiError) -> Error {
        Error::new(Kind::Server(Box::new(api)))
    }

    pub(crate) fn protocol(message: impl Into<String>) -> Error {
        Error::new(Kind::Protocol(message.into()))
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match &*self.kind {
            Kind::Http(err) if err.is_status() => ErrorKind::Status,
            Kind::Http(_) => ErrorKind::Http,
            Kind::Server(_) => ErrorKind::Status,
            Kind::Protocol(_) => ErrorKind::Protocol,
            Kind::QueryValidation(_) => ErrorKind::QueryValidation,
            Kind::TransactionValidation(_) => ErrorKind::TransactionValidation,
            Kind::MissingAdminToken(_) => ErrorKind::MissingAdminToken,
            Kind::InvalidInput(_) => ErrorKind::InvalidInput,
        }
    }

    /// The transport error, when the failure came from the HTTP layer (the server answered with
    /// an error status, the connection failed, a body did not decode…).
    pub fn http_error(&self) -> Option<&instantdb_http::Error> {
        match &*self.kind {
            Kind::Http(err) => Some(err),
            _ => None,
        }
    }

    /// Instant's error envelope, when the server answered with an error status or a live query
    /// received an `error` message.
    pub fn api_error(&self) -> Option<&ApiError> {
        match &*self.kind {
            Kind::Http(err) => err.api_error(),
            Kind::Server(api) => Some(api),
            _ => None,
        }
    }

    instantdb_http::error_predicates!(
        status,
        headers,
        body,
        is_auth_failure,
        is_rate_limited,
        is_record_not_found,
        is_validation_failed,
        is_permission_denied,
        is_timeout,
        is_connect,
        is_transient,
    );

    /// `METHOD /path` of the failed request, when there was one.
    pub fn endpoint(&self) -> Option<&str> {
        self.http_error()?.endpoint()
    }

    /// Nothing was sent: the input was refused locally (any of the four local kinds).
    pub fn is_local(&self) -> bool {
        !matches!(
            &*self.kind,
            Kind::Http(_) | Kind::Server(_) | Kind::Protocol(_)
        )
    }

    /// A query failed local validation (upstream's `QueryValidationError`, or the typed
    /// builder's checks). Nothing was sent.
    pub fn is_query_validation(&self) -> bool {
        matches!(&*self.kind, Kind::QueryValidation(_))
    }

    /// A transaction failed local validation against the client's schema (upstream's
    /// `TransactionValidationError`). Nothing was sent.
    pub fn is_transaction_validation(&self) -> bool {
        matches!(&*self.kind, Kind::TransactionValidation(_))
    }

    /// The operation needs the admin token and the client has none (see
    /// [`AdminClient::as_user`](crate::AdminClient::as_user) for the impersonations that do
    /// not). Nothing was sent.
    pub fn is_missing_admin_token(&self) -> bool {
        matches!(&*self.kind, Kind::MissingAdminToken(_))
    }

    /// Input the server could never accept was refused locally. Nothing was sent.
    pub fn is_invalid_input(&self) -> bool {
        matches!(&*self.kind, Kind::InvalidInput(_))
    }

    /// A success response whose body was not the expected JSON (the message names the
    /// endpoint, the failing field and the start of the body).
    pub fn is_decode(&self) -> bool {
        matches!(&*self.kind, Kind::Protocol(_))
            || self
                .http_error()
                .is_some_and(instantdb_http::Error::is_decode)
    }
}

impl From<instantdb_http::Error> for Error {
    fn from(err: instantdb_http::Error) -> Error {
        Error::new(Kind::Http(err))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.kind {
            Kind::Http(err) => f.debug_tuple("Error::Http").field(err).finish(),
            Kind::Server(api) => f.debug_tuple("Error::Server").field(api).finish(),
            Kind::Protocol(m) => f.debug_tuple("Error::Protocol").field(m).finish(),
            Kind::QueryValidation(m) => f.debug_tuple("Error::QueryValidation").field(m).finish(),
            Kind::TransactionValidation(m) => f
                .debug_tuple("Error::TransactionValidation")
                .field(m)
                .finish(),
            Kind::MissingAdminToken(m) => {
                f.debug_tuple("Error::MissingAdminToken").field(m).finish()
            }
            Kind::InvalidInput(m) => f.debug_tuple("Error::InvalidInput").field(m).finish(),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.kind {
            Kind::Http(err) => err.source(),
            _ => None,
        }
    }
}

impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_one_pointer_and_thread_safe() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn local_kinds() {
        let err = Error::missing_admin_token("Admin token required.");
        assert!(err.is_local() && err.is_missing_admin_token());
        assert_eq!(err.to_string(), "Admin token required.");
        assert!(err.status().is_none() && !err.is_auth_failure());
        let err = Error::query_validation("At path 'goals': bad");
        assert!(err.is_query_validation() && !err.is_transaction_validation());
    }
}
