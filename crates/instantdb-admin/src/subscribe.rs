//! Live queries: `POST /admin/subscribe-query` answered with a `text/event-stream`.
//!
//! Each event's data is a JSON message (or, as the core SSE client allows, a JSON array of
//! messages) with an `op`: `sse-init` (the session), `add-query-ok` (the first result),
//! `refresh-ok` (a fresh full result whenever it changes) or `error` (a query or permission
//! error; the stream stays open). When the connection drops, the query is posted again, which
//! opens a new server session with a new `sse-init` and a full `add-query-ok`.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use futures_util::StreamExt;
use http::{HeaderMap, Method, StatusCode};
use instantdb_schema::IndexMap;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use instantdb_http::{ApiError, ApiPath, SseStream};

use crate::query::{Query, QueryOptions};
use crate::wire::{SubscribeBody, Versions, WirePageInfo};
use crate::{AdminClient, Error};

/// When and how fast a live query reconnects after its connection drops.
///
/// The first attempt waits `initial` (or the `retry:` the server sent, 500 ms on Instant);
/// each consecutive failure doubles the wait up to `max` (15 s by default, the cap upstream
/// uses for its streams). A connection that reaches `sse-init` resets the wait. `max_attempts`
/// consecutive failures end the stream (default: never).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconnect {
    initial: Duration,
    max: Duration,
    max_attempts: Option<u32>,
}

impl Default for Reconnect {
    fn default() -> Reconnect {
        Reconnect {
            // EventSource's default when the server sends no `retry:` field.
            initial: Duration::from_secs(3),
            max: Duration::from_secs(15),
            max_attempts: None,
        }
    }
}

impl Reconnect {
    /// The first wait when the server sent no `retry:` (default 3 s, EventSource's default).
    pub fn initial_delay(mut self, delay: Duration) -> Reconnect {
        self.initial = delay;
        self
    }

    /// The longest wait (default 15 s).
    pub fn max_delay(mut self, delay: Duration) -> Reconnect {
        self.max = delay;
        self
    }

    /// End the stream after this many consecutive failed attempts (default: keep trying).
    pub fn max_attempts(mut self, attempts: u32) -> Reconnect {
        self.max_attempts = Some(attempts);
        self
    }

    /// Never reconnect: the stream ends when the connection drops.
    pub fn never() -> Reconnect {
        Reconnect::default().max_attempts(0)
    }
}

/// The ids of the server session behind a live query (`sse-init`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionInfo {
    /// `machine-id`: the server machine.
    pub machine_id: String,
    /// `session-id`: the session on it.
    pub session_id: String,
}

/// Cursors of one namespace's page (`result-meta.page-info`), for `after`/`before`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PageInfo {
    /// Cursor of the first entity.
    pub start_cursor: Value,
    /// Cursor of the last entity.
    pub end_cursor: Value,
    /// Whether more entities follow.
    pub has_next_page: bool,
    /// Whether entities precede.
    pub has_previous_page: bool,
}

/// A result of a live query: the whole tree, as [`QueryRequest::send`] returns it.
///
/// [`QueryRequest::send`]: crate::builder::QueryRequest::send
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct QueryUpdate {
    /// The result tree (`{"goals": [...]}`).
    pub data: Value,
    /// Page info per top-level namespace that the server sent it for (paginated queries).
    pub page_info: IndexMap<String, PageInfo>,
    /// The server session that produced it.
    pub session: Option<SessionInfo>,
}

impl QueryUpdate {
    /// The result deserialized into `T` (a struct with one field per namespace, say); a
    /// result that does not match names the failing field's path.
    pub fn data_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_path_to_error::deserialize(&self.data).map_err(|err| {
            Error::protocol(format!(
                "the live query result does not match {} at `{}`: {}",
                std::any::type_name::<T>(),
                err.path(),
                err.inner()
            ))
        })
    }
}

/// `result-meta.page-info` of a message, typed; namespaces whose entry does not decode are
/// left out (the cursors are opaque to us, the flags default to false).
fn page_info(meta: Option<&Value>) -> IndexMap<String, PageInfo> {
    let Some(pages) = meta
        .and_then(|meta| meta.get("page-info"))
        .and_then(Value::as_object)
    else {
        return IndexMap::new();
    };
    pages
        .iter()
        .filter_map(|(namespace, page)| {
            let wire = WirePageInfo::deserialize(page).ok()?;
            Some((
                namespace.clone(),
                PageInfo {
                    start_cursor: wire.start_cursor,
                    end_cursor: wire.end_cursor,
                    has_next_page: wire.has_next_page,
                    has_previous_page: wire.has_previous_page,
                },
            ))
        })
        .collect()
}

/// A live query being built; see [`AdminClient::subscribe_query`]. [`send`] opens the
/// connection and returns a [`Subscription`] stream.
///
/// [`send`]: SubscribeRequest::send
#[derive(Debug)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct SubscribeRequest {
    pub(crate) client: AdminClient,
    query: Query,
    options: QueryOptions,
    reconnect: Reconnect,
}

impl SubscribeRequest {
    pub(crate) fn new(client: AdminClient, query: Query) -> SubscribeRequest {
        SubscribeRequest {
            client,
            query,
            options: QueryOptions::default(),
            reconnect: Reconnect::default(),
        }
    }

    /// `$$ruleParams` inside the query.
    pub fn rule_params(mut self, params: impl serde::Serialize) -> SubscribeRequest {
        self.options.rule_params(params);
        self
    }

    /// An extra header on every connection (the client's own headers win).
    pub fn header(mut self, name: &str, value: &str) -> SubscribeRequest {
        self.options.header(name, value);
        self
    }

    /// The reconnect policy (see [`Reconnect`]).
    pub fn reconnect(mut self, reconnect: Reconnect) -> SubscribeRequest {
        self.reconnect = reconnect;
        self
    }

    /// Validates the query, opens the connection and returns the stream. A refusal of the
    /// first connection (bad credentials, invalid query: a plain HTTP error before the stream
    /// opens) is returned here.
    pub async fn send(self) -> Result<Subscription, Error> {
        let (query, headers) = self.options.prepare(self.query, &self.client, true)?;
        let mut body = Vec::new();
        serde_json::to_writer(
            &mut body,
            &SubscribeBody {
                query: &query,
                inference: self.client.inner.inference,
                versions: Versions::CURRENT,
            },
        )
        .map_err(|err| Error::invalid_input(format!("the query does not serialize: {err}")))?;
        let mut state = State {
            connection: Connection {
                client: self.client,
                body: body.into(),
                headers,
                // Stable across reconnects, like upstream's; the server only logs it.
                local_connection_id: uuid::Uuid::new_v4().to_string(),
                last_event_id: None,
            },
            reconnect: self.reconnect,
            events: None,
            session: None,
            pending: VecDeque::new(),
            failures: 0,
            initialized: false,
            retry_hint: None,
            done: false,
        };
        state.events = Some(state.connection.open().await?);
        let stream = futures_util::stream::unfold(state, |mut state| async move {
            let item = state.next().await?;
            Some((item, state))
        });
        Ok(Subscription {
            stream: Box::pin(stream),
        })
    }
}

/// A live query's results, as a [`Stream`] of [`QueryUpdate`]s.
///
/// An `Err` item is not necessarily the end: `error` messages from the server (a query or
/// permission error) and failed reconnect attempts are reported and the stream goes on. It ends
/// (yields `None`) after a terminal error: the server refusing a reconnection with an HTTP
/// error status, or [`Reconnect::max_attempts`] failures in a row.
///
/// Dropping the subscription closes the connection; nothing runs in the background.
///
/// ```no_run
/// use futures_util::StreamExt;
/// use serde_json::json;
///
/// # async fn example(db: instantdb_admin::AdminClient) -> Result<(), instantdb_admin::Error> {
/// let mut goals = db.subscribe_query(json!({"goals": {}})).send().await?;
/// while let Some(update) = goals.next().await {
///     match update {
///         Ok(update) => println!("{}", update.data),
///         Err(err) => eprintln!("live query: {err}"),
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct Subscription {
    stream: Pin<Box<dyn Stream<Item = Result<QueryUpdate, Error>> + Send>>,
}

impl Stream for Subscription {
    type Item = Result<QueryUpdate, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.stream.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription").finish_non_exhaustive()
    }
}

/// What it takes to (re)open the connection.
struct Connection {
    client: AdminClient,
    body: bytes::Bytes,
    headers: HeaderMap,
    local_connection_id: String,
    last_event_id: Option<String>,
}

impl Connection {
    async fn open(&self) -> Result<SseStream, Error> {
        let client = &self.client;
        let mut request = client
            .inner
            .http
            .request(Method::POST, ApiPath::new("/admin/subscribe-query"))
            .query("local_connection_id", &self.local_connection_id)
            .headers(self.headers.clone());
        request = client.authorized(request, true)?;
        // Node's fetch adds these for EventSource's `cache: 'no-store'`.
        request = request
            .header("accept", "text/event-stream")
            .header("cache-control", "no-cache")
            .header("pragma", "no-cache");
        if let Some(id) = &self.last_event_id {
            request = request.header("last-event-id", id.as_str());
        }
        let response = request
            .body(instantdb_http::Body::from_bytes(self.body.clone()))
            .idempotent(true)
            .send()
            .await?;
        let content_type = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        if !content_type.starts_with("text/event-stream") {
            return Err(Error::protocol(format!(
                "POST /admin/subscribe-query answered `{content_type}` instead of an event stream"
            )));
        }
        Ok(response.sse())
    }
}

struct State {
    connection: Connection,
    reconnect: Reconnect,
    events: Option<SseStream>,
    session: Option<SessionInfo>,
    /// Updates of an event that carried several messages.
    pending: VecDeque<Result<QueryUpdate, Error>>,
    /// Consecutive failed connection attempts (a connection that closes before `sse-init`
    /// counts as one).
    failures: u32,
    /// Whether the current connection delivered `sse-init`.
    initialized: bool,
    retry_hint: Option<Duration>,
    done: bool,
}

impl State {
    async fn next(&mut self) -> Option<Result<QueryUpdate, Error>> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            if let Some(events) = &mut self.events {
                match events.next().await {
                    Some(Ok(event)) => {
                        // EventSource's `onmessage` sees only events without a type.
                        if event.event == "message" {
                            self.handle(&event.data);
                        }
                    }
                    // A broken or silent connection, or the server closing it: reconnect.
                    Some(Err(_)) | None => {
                        self.retry_hint = events.reconnection_time().or(self.retry_hint);
                        self.connection.last_event_id = events.last_event_id().map(str::to_owned);
                        self.events = None;
                        if !self.initialized {
                            self.failures += 1;
                        }
                    }
                }
                continue;
            }
            if self
                .reconnect
                .max_attempts
                .is_some_and(|max| self.failures >= max)
            {
                self.done = true;
                continue;
            }
            tokio::time::sleep(self.delay()).await;
            match self.connection.open().await {
                Ok(events) => {
                    self.events = Some(events);
                    self.initialized = false;
                }
                Err(err) => {
                    self.failures += 1;
                    // An HTTP error status is the server's answer, not a network hiccup:
                    // EventSource stops there, and so do we.
                    if err.status().is_some() || err.is_local() {
                        self.done = true;
                    }
                    return Some(Err(err));
                }
            }
        }
    }

    fn delay(&self) -> Duration {
        let base = self.retry_hint.unwrap_or(self.reconnect.initial);
        let factor = 1u32 << self.failures.min(16);
        base.saturating_mul(factor).min(self.reconnect.max)
    }

    fn handle(&mut self, data: &str) {
        let messages = match serde_json::from_str::<Value>(data) {
            Ok(Value::Array(messages)) => messages,
            Ok(message) => vec![message],
            Err(err) => {
                self.pending.push_back(Err(Error::protocol(format!(
                    "a live-query event is not JSON ({err}): {:?}",
                    excerpt(data)
                ))));
                return;
            }
        };
        for message in messages {
            self.handle_message(message);
        }
    }

    fn handle_message(&mut self, message: Value) {
        match message.get("op").and_then(Value::as_str) {
            Some("sse-init") => {
                let text = |key: &str| {
                    message
                        .get(key)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                self.session = Some(SessionInfo {
                    machine_id: text("machine-id"),
                    session_id: text("session-id"),
                });
                self.failures = 0;
                self.initialized = true;
            }
            Some("add-query-ok") => {
                self.pending.push_back(Ok(QueryUpdate {
                    data: message.get("result").cloned().unwrap_or(Value::Null),
                    page_info: page_info(message.get("result-meta")),
                    session: self.session.clone(),
                }));
            }
            Some("refresh-ok") => {
                // Empty when only the attributes changed: nothing to deliver.
                if let Some(first) = message
                    .get("computations")
                    .and_then(Value::as_array)
                    .and_then(|computations| computations.first())
                {
                    self.pending.push_back(Ok(QueryUpdate {
                        data: first.get("instaql-result").cloned().unwrap_or(Value::Null),
                        page_info: page_info(first.get("result-meta")),
                        session: self.session.clone(),
                    }));
                }
            }
            Some("error") => {
                let status = message
                    .get("status")
                    .and_then(Value::as_u64)
                    .and_then(|status| u16::try_from(status).ok())
                    .and_then(|status| StatusCode::from_u16(status).ok())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                self.pending
                    .push_back(Err(Error::server(ApiError::from_json(status, message))));
            }
            // Other ops (stream messages, future additions) are not for live queries.
            _ => {}
        }
    }
}

fn excerpt(text: &str) -> &str {
    match text.char_indices().nth(200) {
        Some((idx, _)) => &text[..idx],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(failures: u32) -> State {
        State {
            connection: Connection {
                client: AdminClient::builder("a").build().unwrap(),
                body: bytes::Bytes::new(),
                headers: HeaderMap::new(),
                local_connection_id: String::new(),
                last_event_id: None,
            },
            reconnect: Reconnect::default(),
            events: None,
            session: None,
            pending: VecDeque::new(),
            failures,
            initialized: false,
            retry_hint: None,
            done: false,
        }
    }

    #[test]
    fn backoff_doubles_from_the_servers_retry_up_to_the_cap() {
        let mut state = state(0);
        assert_eq!(state.delay(), Duration::from_secs(3));
        state.retry_hint = Some(Duration::from_millis(500));
        let delays: Vec<u128> = (0..7)
            .map(|failures| {
                state.failures = failures;
                state.delay().as_millis()
            })
            .collect();
        assert_eq!(delays, [500, 1000, 2000, 4000, 8000, 15000, 15000]);
    }

    #[test]
    fn messages_become_updates() {
        let mut state = state(3);
        state.handle(
            r#"[{"op":"sse-init","machine-id":"m","session-id":"s"},
                {"op":"add-query-ok","result":{"goals":[]},"result-meta":{"page-info":{"goals":{"start-cursor":[1],"end-cursor":[2],"has-next-page?":true,"has-previous-page?":false}}}},
                {"op":"refresh-ok","computations":[]},
                {"op":"error","status":400,"type":"validation-failed","message":"bad"}]"#,
        );
        state.handle("not json");
        assert_eq!(state.failures, 0);
        let first = state.pending.pop_front().unwrap().unwrap();
        assert_eq!(first.data, serde_json::json!({"goals": []}));
        assert_eq!(first.session.as_ref().unwrap().machine_id, "m");
        let page = first.page_info["goals"].clone();
        assert!(page.has_next_page && !page.has_previous_page);
        let err = state.pending.pop_front().unwrap().unwrap_err();
        assert!(err.is_validation_failed() && err.status() == Some(StatusCode::BAD_REQUEST));
        assert!(state.pending.pop_front().unwrap().unwrap_err().is_decode());
        assert!(state.pending.is_empty());
    }
}
