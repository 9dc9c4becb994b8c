//! Errors: [`Error`] for the library's own API (starting, persisting), and [`ApiError`] for what a
//! request gets back, in Instant's exact wire shapes.
//!
//! Instant answers almost every client mistake with HTTP 400 and tells them apart in the body's
//! `type` (`util/http.clj` `wrap-errors`): 401 only for an unknown dashboard token, 429 for
//! `rate-limited`/`timeout`, 500 for server faults. The helpers below build the messages with the
//! server's own formats (`util/exception.clj`), e.g. `Missing parameter: ["body" "query"]`, which
//! is Clojure's printing of a vector of strings.

use std::fmt;

use http::StatusCode;
use serde_json::{Value, json};

/// The error of this crate's public API: starting the server or opening and writing its data
/// directory. Request failures are not errors of the library; they are responses.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Error(#[from] ErrorKind);

#[derive(Debug, thiserror::Error)]
pub(crate) enum ErrorKind {
    #[error("could not bind 127.0.0.1:{port}: {source}")]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("could not create the data directory {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the data directory's database failed: {0}")]
    Database(String),
    #[error("record `{key}` in the data directory is corrupt: {message}")]
    Corrupt { key: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    pub(crate) fn database(err: impl fmt::Display) -> Error {
        Error(ErrorKind::Database(err.to_string()))
    }

    pub(crate) fn corrupt(key: &str, err: impl fmt::Display) -> Error {
        Error(ErrorKind::Corrupt {
            key: key.to_owned(),
            message: err.to_string(),
        })
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error(ErrorKind::Invalid(message.into()))
    }

    /// Whether the error comes from the data directory (open, read or write), as opposed to
    /// binding the port or bad builder input.
    pub fn is_storage(&self) -> bool {
        matches!(
            self.0,
            ErrorKind::DataDir { .. } | ErrorKind::Database(_) | ErrorKind::Corrupt { .. }
        )
    }
}

/// A request failure, rendered as Instant renders it.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) body: ErrorBody,
}

#[derive(Debug, Clone)]
pub(crate) enum ErrorBody {
    /// `{type, message, hint?}`; the server adds `trace-id`.
    Envelope {
        kind: &'static str,
        message: String,
        hint: Option<Value>,
    },
    /// The 404 of an unmatched route: `{message}` only.
    RouteNotFound,
    /// Ring's default answer to unparsable JSON: `text/plain`, outside the envelope.
    MalformedJson,
    /// The HTML error page of the OAuth authorization endpoint (a browser shows it).
    Html(String),
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    fn envelope(
        status: StatusCode,
        kind: &'static str,
        message: String,
        hint: Option<Value>,
    ) -> Self {
        ApiError {
            status,
            body: ErrorBody::Envelope {
                kind,
                message,
                hint,
            },
        }
    }

    fn bad_request(kind: &'static str, message: String, hint: Option<Value>) -> Self {
        Self::envelope(StatusCode::BAD_REQUEST, kind, message, hint)
    }

    /// Any 400 envelope thrown with an explicit type and message (`ex/throw+`).
    pub(crate) fn typed(
        kind: &'static str,
        message: impl Into<String>,
        hint: Option<Value>,
    ) -> Self {
        Self::bad_request(kind, message.into(), hint)
    }

    /// The OAuth authorization endpoint's 400 page: "There was an error with your OAuth
    /// request." and the message of `self`.
    pub(crate) fn into_html(self) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            body: ErrorBody::Html(self.message().to_owned()),
        }
    }

    pub(crate) fn route_not_found() -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            body: ErrorBody::RouteNotFound,
        }
    }

    pub(crate) fn malformed_json() -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            body: ErrorBody::MalformedJson,
        }
    }

    /// `param-missing`: `Missing parameter: ["body" "query"]`, hint `{in}`.
    pub(crate) fn param_missing(path: &[&str]) -> Self {
        Self::bad_request(
            "param-missing",
            format!("Missing parameter: {}", clojure_vector(path)),
            Some(json!({ "in": path })),
        )
    }

    /// `param-malformed`: hint `{in, original-input}`.
    pub(crate) fn param_malformed(path: &[&str], original: Value) -> Self {
        Self::bad_request(
            "param-malformed",
            format!("Malformed parameter: {}", clojure_vector(path)),
            Some(json!({ "in": path, "original-input": original })),
        )
    }

    /// `validation-failed` with the server's message joining: `Validation failed for <type>:
    /// <msg1>, <msg2>`, hint `{data-type, input, errors}`.
    pub(crate) fn validation(data_type: &str, input: Value, errors: Vec<Value>) -> Self {
        let messages: Vec<&str> = errors
            .iter()
            .filter_map(|error| error.get("message").and_then(Value::as_str))
            .collect();
        let message = if messages.is_empty() {
            format!("Validation failed for {data_type}")
        } else {
            format!("Validation failed for {data_type}: {}", messages.join(", "))
        };
        Self::bad_request(
            "validation-failed",
            message,
            Some(json!({ "data-type": data_type, "input": input, "errors": errors })),
        )
    }

    /// A single-message validation failure, the most common shape.
    pub(crate) fn validation_msg(
        data_type: &str,
        input: Value,
        message: impl Into<String>,
    ) -> Self {
        Self::validation(data_type, input, vec![json!({ "message": message.into() })])
    }

    /// `validation-failed` whose message is given directly (check violations, missing required
    /// attributes, admin-token mismatches).
    pub(crate) fn validation_plain(message: impl Into<String>, hint: Value) -> Self {
        Self::bad_request("validation-failed", message.into(), Some(hint))
    }

    /// `record-not-found`: `Record not found: <type>`, hint `{record-type, ...extra}`.
    pub(crate) fn record_not_found(record_type: &str, extra_hint: Option<Value>) -> Self {
        let mut hint = json!({ "record-type": record_type });
        if let (Some(Value::Object(extra)), Some(map)) = (extra_hint, hint.as_object_mut()) {
            map.extend(extra);
        }
        Self::bad_request(
            "record-not-found",
            format!("Record not found: {record_type}"),
            Some(hint),
        )
    }

    /// The one 401 of the API: an unknown dashboard token (`hint.args[0].auth?`).
    pub(crate) fn unknown_user_token() -> Self {
        Self::envelope(
            StatusCode::UNAUTHORIZED,
            "record-not-found",
            "Record not found: instant-user".to_owned(),
            Some(json!({ "record-type": "instant-user", "args": [{ "auth?": true }] })),
        )
    }

    pub(crate) fn record_expired(record_type: &str) -> Self {
        Self::bad_request(
            "record-expired",
            format!("Record expired: {record_type}"),
            Some(json!({ "record-type": record_type })),
        )
    }

    /// `record-expired` with the thrower's own hint (`throw-expiration-err!` adds no
    /// `record-type`).
    pub(crate) fn record_expired_with_hint(record_type: &str, hint: Value) -> Self {
        Self::bad_request(
            "record-expired",
            format!("Record expired: {record_type}"),
            Some(hint),
        )
    }

    pub(crate) fn record_not_unique(message: String, hint: Value) -> Self {
        Self::bad_request("record-not-unique", message, Some(hint))
    }

    /// `permission-denied`: `Permission denied: not <perm>`, hint `{input, expected}`.
    pub(crate) fn permission_denied(expected: &str, input: Value) -> Self {
        Self::bad_request(
            "permission-denied",
            format!("Permission denied: not {expected}"),
            Some(json!({ "input": input, "expected": expected })),
        )
    }

    /// An OAuth token without the scope the route needs.
    pub(crate) fn missing_scope(scope: &str) -> Self {
        Self::bad_request(
            "permission-denied",
            format!("You are missing the {scope} scope"),
            Some(json!({ "required-scope": scope })),
        )
    }

    /// A rule the emulator cannot evaluate (outside the supported subset) or that failed.
    /// `throw-permission-evaluation-failed!` with the CEL error's kind (`CelErrorCode` name) and
    /// message; admin routes show the message (`:show-cel-errors? true`).
    pub(crate) fn permission_evaluation_failed_kind(
        etype: &str,
        action: &str,
        kind: &str,
        cause: &str,
    ) -> Self {
        let message = format!(
            "Could not evaluate permission rule for `{etype}.{action}`. {cause}. Debug this in the sandbox and then update your permission rules."
        );
        let hint = json!({
            "rule": [etype, action],
            "error": { "type": kind, "message": message, "hint": cause },
        });
        Self::bad_request("permission-evaluation-failed", message, Some(hint))
    }

    /// A fault of the emulator itself, e.g. the data directory failing: 500 with the generic
    /// message (details go to the log, not to the client).
    pub(crate) fn internal() -> Self {
        Self::envelope(
            StatusCode::INTERNAL_SERVER_ERROR,
            "unknown",
            "Something went wrong. Sorry about this!".to_owned(),
            Some(json!({})),
        )
    }

    /// The `type` of an envelope error (for tests and logs).
    #[cfg(test)]
    pub(crate) fn kind(&self) -> Option<&'static str> {
        match &self.body {
            ErrorBody::Envelope { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// `{type, message, hint}` of an envelope error (without `trace-id`), for SSE error events.
    pub(crate) fn envelope_json(&self) -> Value {
        match &self.body {
            ErrorBody::Envelope {
                kind,
                message,
                hint,
            } => json!({ "type": kind, "message": message, "hint": hint }),
            _ => json!({ "message": self.message() }),
        }
    }

    /// The message of an envelope error.
    pub(crate) fn message(&self) -> &str {
        match &self.body {
            ErrorBody::Envelope { message, .. } => message,
            ErrorBody::RouteNotFound => "Oops! We couldn't match this route.",
            ErrorBody::MalformedJson => "Malformed JSON in request body.",
            ErrorBody::Html(message) => message,
        }
    }
}

/// Clojure's `str` of a vector of strings: `["a" "b"]`.
pub(crate) fn clojure_vector(items: &[&str]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|item| Value::String((*item).to_owned()).to_string())
        .collect();
    format!("[{}]", quoted.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_use_the_server_formats() {
        assert_eq!(
            ApiError::param_missing(&["body", "query"]).message(),
            "Missing parameter: [\"body\" \"query\"]"
        );
        let err = ApiError::validation(
            "steps",
            json!([]),
            vec![
                json!({"message": "a"}),
                json!({"in": [0]}),
                json!({"message": "b"}),
            ],
        );
        assert_eq!(err.message(), "Validation failed for steps: a, b");
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            ApiError::unknown_user_token().status,
            StatusCode::UNAUTHORIZED
        );
    }
}
