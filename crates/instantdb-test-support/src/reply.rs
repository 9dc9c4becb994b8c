//! Canned responses and the faults a scripted server or transport can inject.

use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use serde_json::Value;

/// One canned answer: a normal response (possibly slow or delayed) or a fault.
///
/// ```
/// use std::time::Duration;
/// use instantdb_test_support::{Fault, Reply};
///
/// let ok = Reply::json(200, serde_json::json!({"apps": []}));
/// let error = Reply::json(400, serde_json::json!({"type": "record-not-found", "message": "Record not found: app"}));
/// let busy = Reply::json(503, serde_json::json!({})).header("retry-after", "1");
/// let slow = Reply::text(200, "abcdef").chunked(3, Duration::from_millis(50));
/// let reset = Reply::fault(Fault::Reset);
/// ```
#[derive(Debug, Clone)]
pub struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Bytes,
    /// Split the body into chunks of this size, sent `interval` apart.
    pub(crate) chunking: Option<(usize, Duration)>,
    /// Wait before sending the head.
    pub(crate) delay: Duration,
    /// Keep the body open after the last chunk (an event stream the client closes).
    pub(crate) keep_open: bool,
    /// Events to send on the most recently opened, still open event stream when this reply is
    /// served (Instant answers `/admin/sse/push` on the SSE connection).
    pub(crate) emit: Vec<Value>,
    pub(crate) fault: Option<Fault>,
}

/// Misbehaviours, injected after the request (head and body) was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Reset the connection (TCP RST) without answering.
    Reset,
    /// Close the connection (FIN) without answering.
    Close,
    /// Never answer; the connection stays open until the client gives up.
    Stall,
    /// Send a `200` head (no content type) announcing `declared` bytes and the first bytes of
    /// `body`, then stall.
    StallBody {
        /// The bytes sent before the stall.
        body: Bytes,
        /// The announced `content-length`.
        declared: usize,
    },
    /// Send a `200` head (no content type) announcing `declared` bytes, then only `body`, then
    /// close.
    Truncated {
        /// The bytes actually sent.
        body: Bytes,
        /// The announced `content-length`.
        declared: usize,
    },
    /// Write these raw bytes instead of an HTTP response, then close.
    Garbage(Bytes),
    /// In-memory transports only: fail as a refused connection (a real server cannot refuse
    /// once accepted; stop it instead).
    Refused,
}

impl Reply {
    fn new(status: u16, content_type: Option<&str>, body: Bytes) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: content_type
                .map(|ct| vec![("content-type".to_owned(), ct.to_owned())])
                .unwrap_or_default(),
            body,
            chunking: None,
            delay: Duration::ZERO,
            keep_open: false,
            emit: Vec::new(),
            fault: None,
        }
    }

    /// A JSON body with `content-type: application/json`.
    pub fn json(status: u16, body: Value) -> Reply {
        Reply::new(
            status,
            Some("application/json"),
            Bytes::from(body.to_string()),
        )
    }

    /// A `text/plain` body.
    pub fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply::new(
            status,
            Some("text/plain; charset=utf-8"),
            Bytes::from(body.into()),
        )
    }

    /// Raw bytes, with no content type.
    pub fn bytes(status: u16, body: impl Into<Bytes>) -> Reply {
        Reply::new(status, None, body.into())
    }

    /// A `text/event-stream` body with one `data:` event per JSON value.
    pub fn sse(events: impl IntoIterator<Item = Value>) -> Reply {
        Reply::new(200, Some("text/event-stream"), sse_frames(events))
            .header("cache-control", "no-cache")
    }

    /// A `text/event-stream` body given verbatim.
    pub fn sse_raw(text: impl Into<String>) -> Reply {
        Reply::new(200, Some("text/event-stream"), Bytes::from(text.into()))
            .header("cache-control", "no-cache")
    }

    /// Newline-delimited JSON (`application/x-ndjson`).
    pub fn ndjson(lines: impl IntoIterator<Item = Value>) -> Reply {
        let text: String = lines.into_iter().map(|line| format!("{line}\n")).collect();
        Reply::new(200, Some("application/x-ndjson"), Bytes::from(text))
    }

    /// A fault instead of a response.
    pub fn fault(fault: Fault) -> Reply {
        let mut reply = Reply::new(200, None, Bytes::new());
        reply.fault = Some(fault);
        reply
    }

    /// Adds a header (a `content-type` replaces the default one).
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        let name = name.to_ascii_lowercase();
        if name == "content-type" {
            self.headers.retain(|(n, _)| n != "content-type");
        }
        self.headers.push((name, value.to_owned()));
        self
    }

    /// Waits this long before sending the head.
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    /// Sends the body in chunks of `size` bytes, `interval` apart (a slow body).
    pub fn chunked(mut self, size: usize, interval: Duration) -> Reply {
        self.chunking = Some((size.max(1), interval));
        self
    }

    /// Keeps the body open after its last byte, as a live event stream does. Later replies'
    /// [`emit_sse`](Reply::emit_sse) events are written to it.
    pub fn keep_open(mut self) -> Reply {
        self.keep_open = true;
        self
    }

    /// When this reply is served, first writes `events` (as `data:` lines) to the most recently
    /// opened event stream that is still open ([`Reply::keep_open`]). This is how Instant
    /// answers `POST /admin/sse/push`: `{}` on the push, the real reply on the SSE connection
    /// (the catalog's `sse_replies`).
    pub fn emit_sse(mut self, events: impl IntoIterator<Item = Value>) -> Reply {
        self.emit.extend(events);
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body bytes.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

/// `data: <json>\n\n` per event.
pub(crate) fn sse_frames(events: impl IntoIterator<Item = Value>) -> Bytes {
    let text: String = events
        .into_iter()
        .map(|event| format!("data: {event}\n\n"))
        .collect();
    Bytes::from(text)
}
