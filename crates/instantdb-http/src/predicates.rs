//! The error predicates and accessors every client crate's `Error` has, written once.

/// Implements the shared questions on a client crate's `Error`, inside its `impl Error` block.
///
/// The crate writes `http_error(&self) -> Option<&instantdb_http::Error>` and
/// `api_error(&self) -> Option<&instantdb_http::ApiError>` (they differ: a live query's error
/// message, an OAuth refresh's answer); this macro derives the rest from them, with the same
/// names and documentation everywhere. Name the ones the crate wants; a crate whose answer
/// differs (the platform's `is_auth_failure` also covers a refused refresh) writes that one
/// itself.
///
/// Available: `status`, `headers`, `body`, `is_auth_failure`, `is_rate_limited`,
/// `is_record_not_found`, `is_validation_failed`, `is_permission_denied`, `is_timeout`,
/// `is_connect`, `is_transient`, `is_decode`.
#[macro_export]
macro_rules! error_predicates {
    ($($name:ident),+ $(,)?) => {
        $( $crate::error_predicates!(@ $name); )+
    };
    (@ status) => {
        /// The HTTP status, when a server answered.
        pub fn status(&self) -> ::std::option::Option<$crate::http::StatusCode> {
            match self.api_error() {
                ::std::option::Option::Some(api) => ::std::option::Option::Some(api.status()),
                ::std::option::Option::None => self.http_error()?.status(),
            }
        }
    };
    (@ headers) => {
        /// The response headers, when a server answered.
        pub fn headers(&self) -> ::std::option::Option<&$crate::http::HeaderMap> {
            match self.api_error() {
                ::std::option::Option::Some(api) => ::std::option::Option::Some(api.headers()),
                ::std::option::Option::None => self.http_error()?.headers(),
            }
        }
    };
    (@ body) => {
        /// The raw response body, when a server answered (kept as sent, also when it did not
        /// decode).
        pub fn body(&self) -> ::std::option::Option<&[u8]> {
            match self.api_error() {
                ::std::option::Option::Some(api) => ::std::option::Option::Some(api.body()),
                ::std::option::Option::None => self.http_error()?.body(),
            }
        }
    };
    (@ is_auth_failure) => {
        /// The credentials were refused. Instant answers HTTP 400 for most of these
        /// (`record-not-found` of a token, `param-missing`/`param-malformed` about
        /// `authorization`), rarely 401; see `instantdb_http::ApiError::is_auth_failure`.
        pub fn is_auth_failure(&self) -> bool {
            self.api_error().is_some_and($crate::ApiError::is_auth_failure)
        }
    };
    (@ is_rate_limited) => {
        /// HTTP 429: `rate-limited`, or `timeout` (a statement ran past the server's limit).
        pub fn is_rate_limited(&self) -> bool {
            self.api_error().is_some_and($crate::ApiError::is_rate_limited)
        }
    };
    (@ is_record_not_found) => {
        /// Instant's `record-not-found` (an unknown app, user, token…). Instant answers 400,
        /// not 404.
        pub fn is_record_not_found(&self) -> bool {
            self.api_error().is_some_and($crate::ApiError::is_record_not_found)
        }
    };
    (@ is_validation_failed) => {
        /// Instant's `validation-failed`: the server refused the input.
        pub fn is_validation_failed(&self) -> bool {
            self.api_error().is_some_and($crate::ApiError::is_validation_failed)
        }
    };
    (@ is_permission_denied) => {
        /// Instant's `permission-denied`: permission rules, or an OAuth token without the
        /// scope the endpoint needs.
        pub fn is_permission_denied(&self) -> bool {
            self.api_error().is_some_and($crate::ApiError::is_permission_denied)
        }
    };
    (@ is_timeout) => {
        /// A client-side timeout fired; the request may have reached the server.
        pub fn is_timeout(&self) -> bool {
            self.http_error().is_some_and($crate::Error::is_timeout)
        }
    };
    (@ is_connect) => {
        /// No connection could be made; nothing was sent.
        pub fn is_connect(&self) -> bool {
            self.http_error().is_some_and($crate::Error::is_connect)
        }
    };
    (@ is_transient) => {
        /// The failure may go away on its own: connection failures, timeouts, connections
        /// lost mid-request, HTTP 429/502/503/504. The request may have been processed.
        pub fn is_transient(&self) -> bool {
            self.http_error().is_some_and($crate::Error::is_transient)
        }
    };
    (@ is_decode) => {
        /// A success response whose body was not the expected JSON (the message names the
        /// endpoint, the failing field and the start of the body).
        pub fn is_decode(&self) -> bool {
            self.http_error().is_some_and($crate::Error::is_decode)
        }
    };
}
