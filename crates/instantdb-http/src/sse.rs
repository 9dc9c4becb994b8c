//! Server-sent events (`text/event-stream`), parsed as the WHATWG HTML standard's "event stream
//! interpretation" says.
//!
//! Hand-rolled rather than taken from `eventsource-stream` (which fails the stream on invalid
//! UTF-8 where the standard asks for U+FFFD, and pulls in nom) or `sse-stream` (tied to its own
//! body types): the algorithm is forty lines of the standard, and owning it lets the parser work
//! on bytes, so a CR at the end of one chunk followed by LF in the next is one line break, and
//! each line is scanned once.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Buf, BytesMut};
use futures_core::Stream;

use crate::{BodyStream, Error};

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` type, `"message"` when the event had none.
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The last event id seen on the stream when this event was dispatched (ids persist across
    /// events, as `EventSource.lastEventId` does), if any.
    pub id: Option<String>,
}

/// An incremental `text/event-stream` parser: feed it bytes as they arrive, take events out.
///
/// Handles every line ending (CRLF, LF, CR, also split across chunks), a leading byte-order
/// mark, comments (`:` lines, used for keep-alives), fields without a colon, the single optional
/// space after the colon, multi-line `data`, `id` (ignored when it contains NUL), `retry`
/// (ignored unless all ASCII digits), and invalid UTF-8 (replaced by U+FFFD). An event is
/// dispatched on a blank line; one left unfinished when the stream ends is dropped, as the
/// standard requires.
///
/// ```
/// use instantdb_http::SseParser;
///
/// let mut parser = SseParser::new();
/// parser.feed(b": keep-alive\r\ndata: {\"op\":\"sse-init\"}\r\n\r\nevent: upd");
/// parser.feed(b"ate\ndata: a\ndata: b\nid: 7\n\n");
/// let events: Vec<_> = std::iter::from_fn(|| parser.next_event()).collect();
/// assert_eq!(events[0].data, r#"{"op":"sse-init"}"#);
/// assert_eq!(events[0].event, "message");
/// assert_eq!((events[1].event.as_str(), events[1].data.as_str()), ("update", "a\nb"));
/// assert_eq!(events[1].id.as_deref(), Some("7"));
/// ```
#[derive(Default)]
pub struct SseParser {
    buffer: BytesMut,
    /// The previous chunk ended with CR: a leading LF of the next chunk belongs to it.
    skip_lf: bool,
    bom_checked: bool,
    data: String,
    has_data: bool,
    event: String,
    last_id: Option<String>,
    retry: Option<Duration>,
    ready: std::collections::VecDeque<SseEvent>,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> SseParser {
        SseParser::default()
    }

    /// Feeds the next bytes of the stream.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.buffer.extend_from_slice(chunk);
        if !self.bom_checked {
            if self.buffer.len() < 3 && b"\xEF\xBB\xBF".starts_with(&self.buffer) {
                return;
            }
            if self.buffer.starts_with(b"\xEF\xBB\xBF") {
                self.buffer.advance(3);
            }
            self.bom_checked = true;
        }
        loop {
            if self.skip_lf && !self.buffer.is_empty() {
                if self.buffer[0] == b'\n' {
                    self.buffer.advance(1);
                }
                self.skip_lf = false;
            }
            let Some(end) = self.buffer.iter().position(|&b| b == b'\n' || b == b'\r') else {
                break;
            };
            let line = self.buffer.split_to(end);
            let terminator = self.buffer[0];
            self.buffer.advance(1);
            if terminator == b'\r' {
                self.skip_lf = true;
            }
            self.process_line(&String::from_utf8_lossy(&line));
        }
    }

    /// The next complete event, if any.
    pub fn next_event(&mut self) -> Option<SseEvent> {
        self.ready.pop_front()
    }

    /// The last `retry:` value: how long the server wants a client to wait before reconnecting.
    pub fn reconnection_time(&self) -> Option<Duration> {
        self.retry
    }

    /// The last event id seen (what a reconnecting client sends as `Last-Event-ID`).
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    fn process_line(&mut self, line: &str) {
        if line.is_empty() {
            self.dispatch();
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = value.to_owned(),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(ms) = value.parse::<u64>() {
                    self.retry = Some(Duration::from_millis(ms));
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self) {
        let event = std::mem::take(&mut self.event);
        if !self.has_data {
            return;
        }
        self.has_data = false;
        self.ready.push_back(SseEvent {
            event: if event.is_empty() {
                "message".to_owned()
            } else {
                event
            },
            data: std::mem::take(&mut self.data),
            id: self.last_id.clone(),
        });
    }
}

impl fmt::Debug for SseParser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SseParser")
            .field("buffered", &self.buffer.len())
            .field("last_event_id", &self.last_id)
            .field("reconnection_time", &self.retry)
            .finish_non_exhaustive()
    }
}

/// The events of a `text/event-stream` response, from
/// [`Response::sse`](crate::Response::sse).
///
/// Ends when the server closes the stream; a connection that breaks or stays silent longer than
/// the client's idle-read timeout yields an error and then ends. It does not reconnect: what a
/// reconnect must re-send is the caller's business (Instant's live queries re-POST the query).
///
/// ```
/// # async fn example(client: instantdb_http::Client) -> Result<(), instantdb_http::Error> {
/// use futures_util::StreamExt;
///
/// let mut events = client
///     .post("/admin/subscribe-query")
///     .json(&serde_json::json!({"query": {"goals": {}}}))
///     .send()
///     .await?
///     .sse();
/// while let Some(event) = events.next().await {
///     let event = event?;
///     println!("{}: {}", event.event, event.data);
/// }
/// # Ok(())
/// # }
/// ```
pub struct SseStream {
    body: Option<BodyStream>,
    parser: SseParser,
    /// Reported before anything else (a response that is not an event stream).
    failure: Option<Error>,
}

impl SseStream {
    pub(crate) fn new(body: BodyStream) -> SseStream {
        SseStream {
            body: Some(body),
            parser: SseParser::new(),
            failure: None,
        }
    }

    pub(crate) fn failed(error: Error) -> SseStream {
        SseStream {
            body: None,
            parser: SseParser::new(),
            failure: Some(error),
        }
    }

    /// The last `retry:` value sent by the server.
    pub fn reconnection_time(&self) -> Option<Duration> {
        self.parser.reconnection_time()
    }

    /// The last event id sent by the server.
    pub fn last_event_id(&self) -> Option<&str> {
        self.parser.last_event_id()
    }
}

impl Stream for SseStream {
    type Item = Result<SseEvent, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(failure) = this.failure.take() {
            return Poll::Ready(Some(Err(failure)));
        }
        loop {
            if let Some(event) = this.parser.next_event() {
                return Poll::Ready(Some(Ok(event)));
            }
            let Some(body) = this.body.as_mut() else {
                return Poll::Ready(None);
            };
            match ready!(Pin::new(body).poll_next(cx)) {
                Some(Ok(chunk)) => this.parser.feed(&chunk),
                Some(Err(err)) => {
                    this.body = None;
                    return Poll::Ready(Some(Err(err)));
                }
                None => {
                    // An unterminated last event is discarded (HTML standard, "end of file").
                    this.body = None;
                    return Poll::Ready(None);
                }
            }
        }
    }
}

impl fmt::Debug for SseStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SseStream")
            .field("parser", &self.parser)
            .field("open", &self.body.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_chunks(chunks: &[&[u8]]) -> (Vec<SseEvent>, SseParser) {
        let mut parser = SseParser::new();
        let mut events = Vec::new();
        for chunk in chunks {
            parser.feed(chunk);
            events.extend(std::iter::from_fn(|| parser.next_event()));
        }
        (events, parser)
    }

    fn data(chunks: &[&[u8]]) -> Vec<String> {
        parse_chunks(chunks).0.into_iter().map(|e| e.data).collect()
    }

    #[test]
    fn line_endings_in_every_form() {
        assert_eq!(
            data(&[b"data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: d\r\n\n"]),
            ["a", "b", "c", "d"]
        );
        // CR and LF of one CRLF split across chunks: one line break, not two.
        assert_eq!(
            data(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]),
            ["a\nb"]
        );
        // Byte-at-a-time delivery.
        let text = b"event: x\r\ndata: 1\r\ndata: 2\r\n\r\n";
        let chunks: Vec<&[u8]> = text.chunks(1).collect();
        let (events, _) = parse_chunks(&chunks);
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0].event.as_str(), events[0].data.as_str()),
            ("x", "1\n2")
        );
    }

    #[test]
    fn fields_comments_and_spaces() {
        let (events, parser) = parse_chunks(&[
            b":comment\ndata:no-space\ndata:  two spaces\ndata\n: another\nunknown: x\n\n",
            b"retry: 500\nretry: 12x\nid: 1\ndata: z\n\nid\ndata: y\n\n",
            b"id: a\0b\ndata: w\n\n",
        ]);
        assert_eq!(events[0].data, "no-space\n two spaces\n");
        assert_eq!(events[0].id, None);
        assert_eq!(parser.reconnection_time(), Some(Duration::from_millis(500)));
        assert_eq!(events[1].id.as_deref(), Some("1"));
        // `id` with no value resets the last event id to the empty string.
        assert_eq!(events[2].id.as_deref(), Some(""));
        // An id containing NUL is ignored.
        assert_eq!(events[3].id.as_deref(), Some(""));
    }

    #[test]
    fn events_without_data_are_not_dispatched_and_reset_the_type() {
        let (events, _) = parse_chunks(&[b"event: a\n\ndata: x\n\n"]);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event, "message");
        let (events, _) = parse_chunks(&[b"data\n\n"]);
        assert_eq!(events[0].data, "");
    }

    #[test]
    fn bom_and_invalid_utf8() {
        assert_eq!(data(&[b"\xEF\xBB", b"\xBFdata: a\n\n"]), ["a"]);
        // Only a leading BOM is stripped.
        assert_eq!(data(&[b"data: \xEF\xBB\xBFa\n\n"]), ["\u{feff}a"]);
        assert_eq!(data(&[b"data: \xFF\xC3\n\n"]), ["\u{fffd}\u{fffd}"]);
        // A multi-byte character split across chunks survives.
        assert_eq!(data(&[b"data: \xC3", b"\xA9\n\n"]), ["é"]);
    }

    /// However the bytes are split into chunks, the events are the same as when the stream
    /// arrives in one piece: every two-cut split of streams mixing all line endings, a BOM,
    /// multi-byte characters, comments and every field.
    #[test]
    fn chunking_never_changes_the_events() {
        let samples: [&[u8]; 3] = [
            b"\xEF\xBB\xBF: hi\r\nevent: a\r\ndata: 1\r\ndata: \xC3\xA9\r\nid: 9\r\n\r\ndata:x\r\rdata\n\n",
            b"retry: 10\nid\ndata: {\"op\":\"sse-init\"}\n\n:\r\nevent: e\rdata: z\r\n\r\ndata: tail",
            b"data: a\r\n\r\n\r\n\n\rdata: b\n\n",
        ];
        for sample in samples {
            let (whole, parser) = parse_chunks(&[sample]);
            for i in 0..=sample.len() {
                for j in i..=sample.len() {
                    let (split, split_parser) =
                        parse_chunks(&[&sample[..i], &sample[i..j], &sample[j..]]);
                    assert_eq!(split, whole, "cuts at {i} and {j}");
                    assert_eq!(split_parser.last_event_id(), parser.last_event_id());
                    assert_eq!(split_parser.reconnection_time(), parser.reconnection_time());
                }
            }
        }
    }

    #[test]
    fn unterminated_last_event_is_dropped() {
        assert_eq!(data(&[b"data: a\n\ndata: b\n"]), ["a"]);
    }
}
