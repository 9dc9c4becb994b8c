//! Request and response bodies: in-memory, streamed, and streamed-but-replayable.

use std::fmt;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_core::Stream;
use futures_util::TryStreamExt;
use http_body::{Body as _, Frame, SizeHint};
use tokio::io::AsyncRead;

use crate::Error;
use crate::error::BoxError;

/// Chunk size when reading from an `AsyncRead` or a file: large enough for few syscalls, small
/// enough that a 1 GiB upload stays in constant memory.
const READ_CHUNK: usize = 64 * 1024;

type DynStream = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send>>;
type DynHttpBody = Pin<Box<dyn http_body::Body<Data = Bytes, Error = Error> + Send>>;
type Factory = Arc<dyn Fn() -> Body + Send + Sync>;

/// An HTTP body, for requests and responses.
///
/// Request bodies come in three kinds, which decide whether a request can be retried:
/// - in memory ([`Body::from_bytes`], `From<Vec<u8>>`, `From<String>`, JSON): replayable;
/// - one-pass streams ([`Body::from_stream`], [`Body::from_reader`]): sent in constant memory
///   but never retried, since the data is gone once read;
/// - replayable streams ([`Body::replayable`], [`Body::from_file`]): streamed, and rebuilt from
///   scratch for each attempt.
///
/// A known length is sent as `content-length` (Instant's upload endpoint requires it for
/// streams); an unknown one uses chunked encoding (HTTP/1.1) or DATA frames (HTTP/2). A stream
/// that yields a different number of bytes than announced fails the request.
///
/// `Body` implements [`http_body::Body`], so a custom [`Transport`](crate::Transport) can hand
/// it to any HTTP stack.
///
/// ```
/// use instantdb_http::Body;
///
/// let json = Body::from(r#"{"query":{"goals":{}}}"#.to_owned());
/// assert_eq!(json.content_length(), Some(22));
/// assert!(json.is_replayable());
///
/// let chunks = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from("hi"))]);
/// let upload = Body::from_stream(chunks, Some(2));
/// assert!(!upload.is_replayable());
/// ```
pub struct Body {
    kind: Kind,
}

enum Kind {
    Empty,
    /// `None` once the bytes were yielded.
    Full(Option<Bytes>),
    Stream {
        stream: DynStream,
        length: Option<u64>,
        /// Bytes yielded so far, to report a stream that ends early or runs long.
        seen: u64,
    },
    Replayable {
        factory: Factory,
        length: Option<u64>,
    },
    Http(DynHttpBody),
    /// A one-pass body that was already handed to a transport.
    Taken,
}

impl Body {
    /// An empty body.
    pub fn empty() -> Body {
        Body { kind: Kind::Empty }
    }

    /// An in-memory body.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Body {
        Body {
            kind: Kind::Full(Some(bytes.into())),
        }
    }

    /// A one-pass stream of chunks, with its total length if known.
    pub fn from_stream<S, E>(stream: S, length: Option<u64>) -> Body
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        Body {
            kind: Kind::Stream {
                stream: Box::pin(stream.map_err(Into::into)),
                length,
                seen: 0,
            },
        }
    }

    /// A one-pass body read from any `AsyncRead` in 64 KiB chunks, with its length if known.
    pub fn from_reader<R>(reader: R, length: Option<u64>) -> Body
    where
        R: AsyncRead + Send + 'static,
    {
        let stream = tokio_util::io::ReaderStream::with_capacity(Box::pin(reader), READ_CHUNK);
        Body::from_stream(stream, length)
    }

    /// A streamed body that is rebuilt by `factory` for every attempt, so the request can be
    /// retried. `length` is the length every rebuilt body has, if known.
    ///
    /// ```
    /// use instantdb_http::Body;
    ///
    /// let body = Body::replayable(Some(5), || Body::from_bytes("hello"));
    /// assert!(body.is_replayable());
    /// ```
    pub fn replayable<F>(length: Option<u64>, factory: F) -> Body
    where
        F: Fn() -> Body + Send + Sync + 'static,
    {
        Body {
            kind: Kind::Replayable {
                factory: Arc::new(factory),
                length,
            },
        }
    }

    /// A file, streamed in 64 KiB chunks with its current length as `content-length`, and
    /// re-opened for each attempt (so uploads of files can be retried).
    pub async fn from_file(path: impl Into<PathBuf>) -> Result<Body, Error> {
        let path: PathBuf = path.into();
        let length = tokio::fs::metadata(&path)
            .await
            .map_err(|err| Error::builder(format!("cannot read {}: {err}", path.display())))?
            .len();
        Ok(Body::replayable(Some(length), move || {
            let path = path.clone();
            let opened = futures_util::stream::once(async move {
                tokio::fs::File::open(&path)
                    .await
                    .map(|file| tokio_util::io::ReaderStream::with_capacity(file, READ_CHUNK))
            });
            Body::from_stream(opened.try_flatten(), Some(length))
        }))
    }

    /// Wraps any [`http_body::Body`], for transports that hand back their own response bodies.
    pub fn from_http_body<B>(body: B) -> Body
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Body {
            kind: Kind::Http(Box::pin(http_body_util::BodyExt::map_err(
                body,
                Error::body_failure,
            ))),
        }
    }

    /// The length, when known before sending.
    pub fn content_length(&self) -> Option<u64> {
        match &self.kind {
            Kind::Empty => Some(0),
            Kind::Full(bytes) => Some(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Stream { length, .. } | Kind::Replayable { length, .. } => *length,
            Kind::Http(body) => body.size_hint().exact(),
            Kind::Taken => None,
        }
    }

    /// Whether the body can be sent again for a retry.
    pub fn is_replayable(&self) -> bool {
        matches!(
            &self.kind,
            Kind::Empty | Kind::Full(_) | Kind::Replayable { .. }
        )
    }

    /// The body for one attempt: a copy of a replayable body, or the body itself the first time
    /// for a one-pass stream (then `None`: it cannot be sent twice).
    pub(crate) fn take_attempt(&mut self) -> Option<Body> {
        match &self.kind {
            Kind::Empty => Some(Body::empty()),
            Kind::Full(bytes) => Some(Body {
                kind: Kind::Full(bytes.clone()),
            }),
            Kind::Replayable { factory, .. } => Some(factory()),
            Kind::Stream { .. } | Kind::Http(_) => {
                Some(std::mem::replace(self, Body { kind: Kind::Taken }))
            }
            Kind::Taken => None,
        }
    }

    /// Collects the whole body into memory.
    pub async fn collect(self) -> Result<Bytes, Error> {
        use http_body_util::BodyExt;
        Ok(BodyExt::collect(self).await?.to_bytes())
    }

    /// The body as a stream of chunks.
    pub fn into_stream(self) -> BodyStream {
        BodyStream { body: self }
    }
}

/// A stream of a [`Body`]'s chunks (from [`Body::into_stream`] or
/// [`Response::bytes_stream`](crate::Response::bytes_stream)).
pub struct BodyStream {
    body: Body,
}

impl Stream for BodyStream {
    type Item = Result<Bytes, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match ready!(Pin::new(&mut this.body).poll_frame(cx)) {
                None => return Poll::Ready(None),
                Some(Err(err)) => return Poll::Ready(Some(Err(err))),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data()
                        && !data.is_empty()
                    {
                        return Poll::Ready(Some(Ok(data)));
                    }
                }
            }
        }
    }
}

impl fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyStream").finish_non_exhaustive()
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.get_mut();
        match &mut this.kind {
            Kind::Empty => Poll::Ready(None),
            Kind::Full(bytes) => Poll::Ready(
                bytes
                    .take()
                    .filter(|b| !b.is_empty())
                    .map(|b| Ok(Frame::data(b))),
            ),
            Kind::Stream {
                stream,
                length,
                seen,
            } => match ready!(stream.as_mut().poll_next(cx)) {
                Some(Ok(chunk)) => {
                    *seen += chunk.len() as u64;
                    if length.is_some_and(|len| *seen > len) {
                        return Poll::Ready(Some(Err(Error::body_failure(format!(
                            "the body stream yielded more than the announced {} bytes",
                            length.unwrap_or_default()
                        )))));
                    }
                    Poll::Ready(Some(Ok(Frame::data(chunk))))
                }
                Some(Err(err)) => Poll::Ready(Some(Err(Error::body_failure(err)))),
                None => {
                    if let Some(len) = length.filter(|len| *seen < *len) {
                        return Poll::Ready(Some(Err(Error::body_failure(format!(
                            "the body stream ended after {seen} of the announced {len} bytes"
                        )))));
                    }
                    Poll::Ready(None)
                }
            },
            Kind::Replayable { factory, .. } => {
                // Sending the replayable description itself: build the first instance.
                *this = factory();
                Pin::new(this).poll_frame(cx)
            }
            Kind::Http(body) => body.as_mut().poll_frame(cx),
            Kind::Taken => Poll::Ready(Some(Err(Error::builder(
                "a one-pass body stream cannot be sent twice",
            )))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Empty => true,
            Kind::Full(bytes) => bytes.as_ref().is_none_or(Bytes::is_empty),
            Kind::Stream { .. } | Kind::Replayable { .. } => false,
            Kind::Http(body) => body.is_end_stream(),
            Kind::Taken => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Http(body) => body.size_hint(),
            _ => match self.content_length() {
                Some(len) => SizeHint::with_exact(len),
                None => SizeHint::default(),
            },
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            Kind::Empty => "empty",
            Kind::Full(_) => "bytes",
            Kind::Stream { .. } => "stream",
            Kind::Replayable { .. } => "replayable stream",
            Kind::Http(_) => "http body",
            Kind::Taken => "already sent",
        };
        f.debug_struct("Body")
            .field("kind", &kind)
            .field("content_length", &self.content_length())
            .finish()
    }
}

impl Default for Body {
    fn default() -> Body {
        Body::empty()
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Body {
        Body::from_bytes(bytes)
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Body {
        Body::from_bytes(bytes)
    }
}

impl From<String> for Body {
    fn from(text: String) -> Body {
        Body::from_bytes(text)
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Body {
        Body::from_bytes(text)
    }
}

impl From<&'static [u8]> for Body {
    fn from(bytes: &'static [u8]) -> Body {
        Body::from_bytes(bytes)
    }
}
