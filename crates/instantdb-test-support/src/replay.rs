//! An in-memory [`Transport`]: the scripted server without sockets.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use instantdb_http::{Body, BoxFuture, Error, Transport};

use crate::{Fault, RecordedRequest, Reply};

/// A [`Transport`] that answers from a queue of [`Reply`]s and records every request, in
/// memory. Clones share the queue and the record, so keep one clone to inspect after handing
/// the other to `ClientBuilder::transport`.
///
/// Faults map to the errors a socket would give: [`Fault::Refused`] to a connect error,
/// [`Fault::Reset`], [`Fault::Close`] and [`Fault::Garbage`] to transport errors,
/// [`Fault::Truncated`] to a body that fails after its bytes, [`Fault::Stall`] to a response
/// that never comes and [`Fault::StallBody`] to a body that never ends.
///
/// ```
/// use instantdb_http::Client;
/// use instantdb_test_support::{ReplayTransport, Reply};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), instantdb_http::Error> {
/// let transport = ReplayTransport::new();
/// transport.push(Reply::json(200, serde_json::json!({"orgs": []})));
/// let client = Client::builder()
///     .base_url("http://instant.test")
///     .transport(transport.clone())
///     .build()?;
/// let orgs: serde_json::Value = client.get("/superadmin/orgs").send_json().await?;
/// assert_eq!(transport.requests()[0].path, "/superadmin/orgs");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Default)]
pub struct ReplayTransport {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    replies: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<RecordedRequest>>,
    live: Mutex<Vec<tokio::sync::mpsc::UnboundedSender<Bytes>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ReplayTransport {
    /// An empty transport.
    pub fn new() -> ReplayTransport {
        ReplayTransport::default()
    }

    /// Queues a reply.
    pub fn push(&self, reply: Reply) {
        lock(&self.inner.replies).push_back(reply);
    }

    /// Queues several replies, in order.
    pub fn push_all(&self, replies: impl IntoIterator<Item = Reply>) {
        lock(&self.inner.replies).extend(replies);
    }

    /// The requests sent so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.inner.requests).clone()
    }

    /// Replies still queued.
    pub fn pending_replies(&self) -> usize {
        lock(&self.inner.replies).len()
    }
}

impl std::fmt::Debug for ReplayTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayTransport")
            .field("pending_replies", &self.pending_replies())
            .finish_non_exhaustive()
    }
}

impl Transport for ReplayTransport {
    fn send(
        &self,
        request: http::Request<Body>,
    ) -> BoxFuture<'_, Result<http::Response<Body>, Error>> {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let mut kept = BytesMut::new();
            let mut body = body;
            while let Some(frame) = body.frame().await {
                if let Ok(data) = frame?.into_data() {
                    kept.extend_from_slice(&data);
                }
            }
            let body_len = kept.len() as u64;
            let recorded = RecordedRequest {
                method: parts.method,
                path: parts.uri.path().to_owned(),
                query: parts.uri.query().map(str::to_owned),
                headers: parts.headers,
                body: kept.freeze(),
                body_len,
                version: parts.version,
            };
            let reply = lock(&self.inner.replies).pop_front();
            let reply = reply.unwrap_or_else(|| {
                Reply::text(
                    500,
                    format!(
                        "replay transport: no reply queued for {} {}",
                        recorded.method,
                        recorded.path_and_query()
                    ),
                )
            });
            lock(&self.inner.requests).push(recorded);
            if !reply.emit.is_empty() {
                crate::server::emit(&self.inner.live, &reply);
            }
            if !reply.delay.is_zero() {
                tokio::time::sleep(reply.delay).await;
            }
            let lost = || std::io::Error::from(std::io::ErrorKind::ConnectionReset);
            let live = (reply.keep_open && reply.fault.is_none()).then(|| {
                let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
                lock(&self.inner.live).push(sender);
                receiver
            });
            let body = match reply.fault.clone() {
                None => reply_body(&reply, live),
                Some(Fault::Refused) => {
                    return Err(Error::connect(std::io::Error::from(
                        std::io::ErrorKind::ConnectionRefused,
                    )));
                }
                Some(Fault::Reset | Fault::Close | Fault::Garbage(_)) => {
                    return Err(Error::transport(lost()));
                }
                Some(Fault::Stall) => std::future::pending().await,
                Some(Fault::Truncated { body, .. }) => Body::from_stream(
                    futures_util::stream::iter(vec![Ok(body), Err(lost())]),
                    None,
                ),
                Some(Fault::StallBody { body, .. }) => Body::from_stream(
                    futures_util::StreamExt::chain(
                        futures_util::stream::iter(vec![Ok::<_, std::io::Error>(body)]),
                        futures_util::stream::pending(),
                    ),
                    None,
                ),
            };
            let mut response = http::Response::new(body);
            *response.status_mut() = reply.status;
            for (name, value) in &reply.headers {
                if let (Ok(name), Ok(value)) = (
                    http::HeaderName::from_bytes(name.as_bytes()),
                    http::HeaderValue::from_str(value),
                ) {
                    response.headers_mut().append(name, value);
                }
            }
            Ok(response)
        })
    }
}

fn reply_body(reply: &Reply, live: Option<tokio::sync::mpsc::UnboundedReceiver<Bytes>>) -> Body {
    let chunks: Vec<Bytes> = match reply.chunking {
        Some((size, _)) => reply
            .body
            .chunks(size)
            .map(|c| reply.body.slice_ref(c))
            .collect(),
        None => vec![reply.body.clone()],
    };
    let interval = reply.chunking.map(|(_, i)| i).unwrap_or_default();
    let paced = futures_util::StreamExt::then(
        futures_util::stream::iter(chunks.into_iter().enumerate()),
        move |(idx, chunk)| async move {
            if idx > 0 && !interval.is_zero() {
                tokio::time::sleep(interval).await;
            }
            Ok::<_, std::io::Error>(chunk)
        },
    );
    if let Some(receiver) = live {
        let emitted = futures_util::StreamExt::map(crate::server::live_frames(receiver), Ok);
        Body::from_stream(futures_util::StreamExt::chain(paced, emitted), None)
    } else if reply.chunking.is_none() {
        Body::from_bytes(reply.body.clone())
    } else {
        Body::from_stream(paced, Some(reply.body.len() as u64))
    }
}
