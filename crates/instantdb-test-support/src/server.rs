//! A scripted HTTP server on `127.0.0.1:0`: records every request and answers with canned
//! replies in order, or injects faults.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body::Frame;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::{Fault, RecordedRequest, Reply, Scenario};

/// Request bodies larger than this are counted but only their first bytes are kept, so a
/// 256 MiB upload test does not buffer 256 MiB in the server.
const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

type ReplyBody = UnsyncBoxBody<Bytes, io::Error>;

/// A loopback HTTP/1.1 + HTTP/2 (prior knowledge) server that answers from a queue of
/// [`Reply`]s and records every request.
///
/// Replies are served in order, one per request, whatever the path; a request that finds the
/// queue empty gets the fallback reply if one is set, else a 500 whose body says which request
/// had no reply. Stopping is dropping: every connection is closed.
///
/// ```
/// use instantdb_test_support::{Reply, ScriptedServer};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let server = ScriptedServer::start().await;
/// server.push(Reply::json(200, serde_json::json!({"apps": []})));
/// // ... point a client at server.url() and make the call ...
/// # let _ = tokio::net::TcpStream::connect(server.addr()).await;
/// for request in server.requests() {
///     assert_eq!(request.method, "GET");
/// }
/// # }
/// ```
pub struct ScriptedServer {
    addr: SocketAddr,
    state: Arc<State>,
    accept: tokio::task::JoinHandle<()>,
    /// Set by [`ScriptedServer::start_on_own_thread`]: dropping it stops that runtime.
    _runtime: Option<RuntimeGuard>,
}

struct State {
    replies: Mutex<VecDeque<Reply>>,
    fallback: Mutex<Option<Reply>>,
    requests: Mutex<Vec<RecordedRequest>>,
    recording: AtomicBool,
    body_limit: usize,
    connections: AtomicUsize,
    /// Open `keep_open` bodies, newest last, for `Reply::emit_sse`.
    live: Mutex<Vec<mpsc::UnboundedSender<Bytes>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not hide the server's state from the next assertion.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ScriptedServer {
    /// Binds `127.0.0.1:0` and serves on the current tokio runtime.
    pub async fn start() -> ScriptedServer {
        ScriptedServer::start_with_limit(DEFAULT_BODY_LIMIT).await
    }

    /// Like [`ScriptedServer::start`], keeping at most `body_limit` bytes of each request body.
    pub async fn start_with_limit(body_limit: usize) -> ScriptedServer {
        let listener = match TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener,
            Err(err) => panic!("cannot bind 127.0.0.1:0: {err}"),
        };
        let addr = match listener.local_addr() {
            Ok(addr) => addr,
            Err(err) => panic!("bound socket has no address: {err}"),
        };
        let state = Arc::new(State {
            replies: Mutex::new(VecDeque::new()),
            fallback: Mutex::new(None),
            requests: Mutex::new(Vec::new()),
            recording: AtomicBool::new(true),
            body_limit,
            connections: AtomicUsize::new(0),
            live: Mutex::new(Vec::new()),
        });
        let accept = tokio::spawn(accept_loop(listener, state.clone()));
        ScriptedServer {
            addr,
            state,
            accept,
            _runtime: None,
        }
    }

    /// Starts the server on a runtime of its own, in a background thread with `workers`
    /// threads, for callers without a runtime (benchmarks) or that must not share one with the
    /// server.
    pub fn start_on_own_thread(workers: usize) -> ScriptedServer {
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(err) => panic!("cannot build the server runtime: {err}"),
        };
        let mut server = runtime.block_on(ScriptedServer::start());
        server._runtime = Some(RuntimeGuard(Some(runtime)));
        server
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues a reply.
    pub fn push(&self, reply: Reply) {
        lock(&self.state.replies).push_back(reply);
    }

    /// Queues several replies, in order.
    pub fn push_all(&self, replies: impl IntoIterator<Item = Reply>) {
        lock(&self.state.replies).extend(replies);
    }

    /// Queues a wire-catalog scenario's canned responses ([`Scenario::replies`] with this
    /// server's URL for `{API}`).
    pub fn serve_scenario(&self, scenario: &Scenario) {
        self.push_all(scenario.replies(&self.url()));
    }

    /// Panics with every difference between the requests received and the scenario's
    /// ([`Scenario::assert_requests`]).
    #[track_caller]
    pub fn assert_scenario(&self, scenario: &Scenario) {
        scenario.assert_requests(&self.requests(), &self.url());
    }

    /// The reply for requests that find the queue empty (default: a 500 naming the request).
    pub fn set_fallback(&self, reply: Option<Reply>) {
        *lock(&self.state.fallback) = reply;
    }

    /// Turns request recording on or off (off for benchmarks, so memory stays flat).
    pub fn set_recording(&self, recording: bool) {
        self.state.recording.store(recording, Ordering::Relaxed);
    }

    /// Replies still queued.
    pub fn pending_replies(&self) -> usize {
        lock(&self.state.replies).len()
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.requests).clone()
    }

    /// The requests received so far, clearing the record.
    pub fn take_requests(&self) -> Vec<RecordedRequest> {
        std::mem::take(&mut *lock(&self.state.requests))
    }

    /// TCP connections accepted so far (to check keep-alive reuse).
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::Relaxed)
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        // Aborting the accept task drops its JoinSet, which aborts every connection.
        self.accept.abort();
    }
}

impl std::fmt::Debug for ScriptedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedServer")
            .field("addr", &self.addr)
            .field("pending_replies", &self.pending_replies())
            .finish_non_exhaustive()
    }
}

struct RuntimeGuard(Option<tokio::runtime::Runtime>);

impl Drop for RuntimeGuard {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        state.connections.fetch_add(1, Ordering::Relaxed);
        connections.spawn(serve_connection(stream, state.clone()));
        while connections.try_join_next().is_some() {}
    }
}

async fn serve_connection(stream: TcpStream, state: Arc<State>) {
    let io = SharedIo(Arc::new(Mutex::new(stream)));
    let (faults, mut fault_rx) = mpsc::unbounded_channel::<Fault>();
    let service = service_fn(move |request| handle(request, state.clone(), faults.clone()));
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let mut connection = Box::pin(builder.serve_connection(TokioIo::new(io.clone()), service));
    let fault = tokio::select! {
        _ = connection.as_mut() => return,
        Some(fault) = fault_rx.recv() => fault,
    };
    // Hyper must let go of the socket before we write raw bytes to it or reset it.
    drop(connection);
    let Some(stream) = Arc::try_unwrap(io.0)
        .ok()
        .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
    else {
        return;
    };
    inject(stream, fault).await;
}

async fn inject(mut stream: TcpStream, fault: Fault) {
    let head = |declared: usize| format!("HTTP/1.1 200 OK\r\ncontent-length: {declared}\r\n\r\n");
    match fault {
        Fault::Reset | Fault::Refused => {
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        }
        Fault::Close => {
            let _ = stream.shutdown().await;
        }
        Fault::Garbage(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Fault::Truncated { body, declared } => {
            let _ = stream.write_all(head(declared).as_bytes()).await;
            let _ = stream.write_all(&body).await;
            let _ = stream.shutdown().await;
        }
        Fault::StallBody { body, declared } => {
            let _ = stream.write_all(head(declared).as_bytes()).await;
            let _ = stream.write_all(&body).await;
            let _ = stream.flush().await;
            std::future::pending::<()>().await;
        }
        Fault::Stall => std::future::pending::<()>().await,
    }
}

async fn handle(
    request: Request<Incoming>,
    state: Arc<State>,
    faults: mpsc::UnboundedSender<Fault>,
) -> Result<Response<ReplyBody>, Infallible> {
    let (parts, mut body) = request.into_parts();
    let mut kept = BytesMut::new();
    let mut body_len = 0u64;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { break };
        if let Ok(data) = frame.into_data() {
            body_len += data.len() as u64;
            let room = state.body_limit.saturating_sub(kept.len());
            kept.extend_from_slice(&data[..data.len().min(room)]);
        }
    }
    let recorded = RecordedRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body: kept.freeze(),
        body_len,
        version: parts.version,
    };
    let next = lock(&state.replies).pop_front();
    let reply = next
        .or_else(|| lock(&state.fallback).clone())
        .unwrap_or_else(|| {
            Reply::text(
                500,
                format!(
                    "scripted server: no reply queued for {} {}",
                    recorded.method,
                    recorded.path_and_query()
                ),
            )
        });
    if state.recording.load(Ordering::Relaxed) {
        lock(&state.requests).push(recorded);
    }
    if !reply.emit.is_empty() {
        emit(&state.live, &reply);
    }
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    if let Some(fault) = reply.fault.clone() {
        if fault == Fault::Stall {
            std::future::pending::<()>().await;
        }
        let _ = faults.send(fault);
        std::future::pending::<()>().await;
    }
    let live = reply.keep_open.then(|| {
        let (sender, receiver) = mpsc::unbounded_channel();
        lock(&state.live).push(sender);
        receiver
    });
    Ok(build_response(reply, live))
}

/// Writes a reply's `emit_sse` events to the newest open event stream.
pub(crate) fn emit(live: &Mutex<Vec<mpsc::UnboundedSender<Bytes>>>, reply: &Reply) {
    let mut live = lock(live);
    live.retain(|sender| !sender.is_closed());
    if let Some(sender) = live.last() {
        let _ = sender.send(crate::reply::sse_frames(reply.emit.iter().cloned()));
    }
}

/// The frames of an event stream fed by `emit`, ending when the server stops.
pub(crate) fn live_frames(
    receiver: mpsc::UnboundedReceiver<Bytes>,
) -> impl futures_core::Stream<Item = Bytes> + Send {
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|bytes| (bytes, receiver))
    })
}

fn build_response(
    reply: Reply,
    live: Option<mpsc::UnboundedReceiver<Bytes>>,
) -> Response<ReplyBody> {
    let body: ReplyBody = if reply.chunking.is_none() && !reply.keep_open {
        Full::new(reply.body)
            .map_err(|never| match never {})
            .boxed_unsync()
    } else {
        let (size, interval) = reply.chunking.unwrap_or((usize::MAX, Duration::ZERO));
        let chunks: Vec<Bytes> = if reply.body.is_empty() {
            Vec::new()
        } else {
            reply
                .body
                .chunks(size)
                .map(|chunk| reply.body.slice_ref(chunk))
                .collect()
        };
        let paced = futures_util::stream::iter(chunks.into_iter().enumerate()).then(
            move |(idx, chunk)| async move {
                if idx > 0 && !interval.is_zero() {
                    tokio::time::sleep(interval).await;
                }
                Ok::<_, io::Error>(Frame::data(chunk))
            },
        );
        let stream: Pin<
            Box<dyn futures_core::Stream<Item = Result<Frame<Bytes>, io::Error>> + Send>,
        > = if let Some(receiver) = live {
            Box::pin(paced.chain(live_frames(receiver).map(|b| Ok(Frame::data(b)))))
        } else {
            Box::pin(paced)
        };
        StreamBody::new(stream).boxed_unsync()
    };
    let mut response = Response::new(body);
    *response.status_mut() = reply.status;
    for (name, value) in &reply.headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    if response.status() == StatusCode::SWITCHING_PROTOCOLS {
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    }
    response
}

/// The socket, shared between hyper and the fault injector (which takes it back when hyper is
/// dropped). The lock is never contended: only the connection task touches it.
#[derive(Clone)]
struct SharedIo(Arc<Mutex<TcpStream>>);

impl AsyncRead for SharedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *lock(&self.0)).poll_read(cx, buf)
    }
}

impl AsyncWrite for SharedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *lock(&self.0)).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *lock(&self.0)).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *lock(&self.0)).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *lock(&self.0)).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }
}
