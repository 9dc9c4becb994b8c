//! A successful response: status, headers and a body to buffer, decode or stream.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode, Version};
use http_body::Frame;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use tokio::time::{Instant, Sleep};

use crate::error::TimeoutPhase;
use crate::secret::Redactor;
use crate::{Body, BodyStream, Error, SseStream};

/// Error bodies are buffered to build the [`ApiError`](crate::ApiError); beyond this size the
/// rest is dropped (an Instant error envelope is a few KiB; a proxy's error page is not).
const MAX_ERROR_BODY: usize = 1024 * 1024;

/// The total-timeout deadline of an attempt, which buffered body reads also respect.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    pub(crate) at: Instant,
    pub(crate) limit: Duration,
}

/// A response whose status was one of the expected ones.
///
/// Read the body once: buffered with [`json`](Response::json), [`bytes`](Response::bytes) or
/// [`text`](Response::text) (bounded by the total timeout), or streamed with
/// [`bytes_stream`](Response::bytes_stream) or [`sse`](Response::sse) (bounded by the idle-read
/// timeout between chunks).
///
/// ```
/// # async fn example(client: instantdb_http::Client) -> Result<(), instantdb_http::Error> {
/// use futures_util::StreamExt;
///
/// #[derive(serde::Deserialize)]
/// struct Apps {
///     apps: Vec<serde_json::Value>,
/// }
///
/// let response = client.get("/superadmin/apps").send().await?;
/// println!("{} over {:?}", response.status(), response.version());
/// let apps: Apps = response.json().await?; // errors name `apps[3].id` and quote the body
///
/// // A large download, chunk by chunk.
/// let mut chunks = client.get("/dash/apps/x/backups/y/file").send().await?.bytes_stream();
/// while let Some(chunk) = chunks.next().await {
///     let chunk = chunk?;
/// }
/// # Ok(())
/// # }
/// ```
pub struct Response {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    body: Body,
    endpoint: String,
    deadline: Option<Deadline>,
    redactor: Redactor,
}

impl Response {
    pub(crate) fn new(
        parts: http::response::Parts,
        body: Body,
        endpoint: String,
        deadline: Option<Deadline>,
        redactor: Redactor,
    ) -> Response {
        Response {
            status: parts.status,
            version: parts.version,
            headers: parts.headers,
            body,
            endpoint,
            deadline,
            redactor,
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The HTTP version used (HTTP/2 when TLS negotiated it).
    pub fn version(&self) -> Version {
        self.version
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The whole body.
    pub async fn bytes(self) -> Result<Bytes, Error> {
        let endpoint = self.endpoint;
        within(self.deadline, self.body.collect())
            .await
            .map_err(|err| err.with_endpoint(&endpoint))
    }

    /// The whole body as text (invalid UTF-8 is replaced by U+FFFD).
    pub async fn text(self) -> Result<String, Error> {
        let bytes = self.bytes().await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The whole body decoded as JSON. A body that does not match `T` gives an error naming
    /// the endpoint, the path of the failing field (`apps[0].created_at`) and the start of the
    /// body.
    pub async fn json<T: DeserializeOwned>(self) -> Result<T, Error> {
        let Response {
            status,
            headers,
            body,
            endpoint,
            deadline,
            redactor,
            ..
        } = self;
        let bytes = within(deadline, body.collect())
            .await
            .map_err(|err| err.with_endpoint(&endpoint))?;
        let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
        let decoded = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|err| (err.path().to_string(), err.into_inner().to_string()))
            // Trailing data after the value is an error, as in `serde_json::from_slice`.
            .and_then(|value| {
                deserializer
                    .end()
                    .map(|()| value)
                    .map_err(|err| (String::new(), err.to_string()))
            });
        decoded.map_err(|(path, message)| {
            Error::decode(
                std::any::type_name::<T>(),
                path,
                message,
                status,
                headers,
                bytes,
                &redactor,
            )
            .with_endpoint(&endpoint)
        })
    }

    /// The body as a stream of chunks, in constant memory.
    pub fn bytes_stream(self) -> BodyStream {
        self.body.into_stream()
    }

    /// The body as server-sent events (see [`SseStream`]). If the response names a media type
    /// other than `text/event-stream` (a proxy's HTML page, a JSON answer), the stream yields
    /// one error and ends, as `EventSource` fails such a connection; a response without a
    /// `content-type` is read as events.
    pub fn sse(self) -> SseStream {
        let media_type = self
            .headers
            .get(http::header::CONTENT_TYPE)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        let wrong = media_type.filter(|value| {
            let essence = value.split(';').next().unwrap_or_default().trim();
            !essence.eq_ignore_ascii_case("text/event-stream")
        });
        match wrong {
            Some(got) => SseStream::failed(
                Error::content_type("text/event-stream", got, self.status, self.headers)
                    .with_endpoint(&self.endpoint),
            ),
            None => SseStream::new(self.body.into_stream()),
        }
    }

    /// The raw body.
    pub fn into_body(self) -> Body {
        self.body
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("endpoint", &self.endpoint)
            .field("status", &self.status)
            .field("version", &self.version)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

async fn within<T>(
    deadline: Option<Deadline>,
    future: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline.at, future)
            .await
            .map_err(|_| Error::timeout(TimeoutPhase::Total, deadline.limit))?,
        None => future.await,
    }
}

/// Buffers an error body, up to [`MAX_ERROR_BODY`].
pub(crate) async fn read_error_body(
    body: Body,
    deadline: Option<Deadline>,
) -> Result<Bytes, Error> {
    within(deadline, async move {
        let mut body = body;
        let mut out = BytesMut::new();
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame?.into_data() {
                let room = MAX_ERROR_BODY - out.len();
                out.extend_from_slice(&data[..data.len().min(room)]);
                if out.len() >= MAX_ERROR_BODY {
                    break;
                }
            }
        }
        Ok(out.freeze())
    })
    .await
}

/// Wraps a response body so that a silence longer than `limit` between two frames fails it.
pub(crate) fn with_idle_timeout(body: Body, limit: Option<Duration>) -> Body {
    match limit {
        Some(limit) => Body::from_http_body(IdleTimeout {
            inner: body,
            limit,
            sleep: None,
        }),
        None => body,
    }
}

struct IdleTimeout {
    inner: Body,
    limit: Duration,
    /// Armed when the body is first found waiting, disarmed when a frame arrives, so time the
    /// caller spends before reading does not count, and flowing data costs no timer resets.
    sleep: Option<Pin<Box<Sleep>>>,
}

impl http_body::Body for IdleTimeout {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.sleep = None;
                Poll::Ready(frame)
            }
            Poll::Pending => {
                let limit = this.limit;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        Poll::Ready(Some(Err(Error::timeout(TimeoutPhase::IdleRead, limit))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
