//! The pluggable transport: what actually moves one request and its response.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::{Body, Error};

/// A boxed, sendable future, as returned by [`Transport::send`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends one HTTP request and returns the response head with a streaming body.
///
/// The [`Client`](crate::Client) does everything above this line (base URL, default headers,
/// auth, timeouts, retries, status checks, decoding, tracing), so an implementation only moves
/// bytes. The default implementation is hyper-util's pooled client over rustls; tests of the
/// crates above replace it with [`transport_fn`] or the scripted transports of
/// `instantdb-test-support`, without sockets.
///
/// Report failures with [`Error::connect`] when nothing was written (the client may then retry
/// any request) and [`Error::transport`] otherwise.
pub trait Transport: fmt::Debug + Send + Sync + 'static {
    /// Sends `request` (its URI is absolute) and resolves once the response head arrived.
    fn send(
        &self,
        request: http::Request<Body>,
    ) -> BoxFuture<'_, Result<http::Response<Body>, Error>>;
}

/// A [`Transport`] from an async closure, for unit tests without sockets.
///
/// ```
/// use instantdb_http::{Body, Client, transport_fn};
///
/// # tokio_test_block_on(async {
/// let client = Client::builder()
///     .base_url("http://instant.test")
///     .transport(transport_fn(|request| async move {
///         assert_eq!(request.uri().path(), "/admin/query");
///         Ok(http::Response::new(Body::from(r#"{"goals":[]}"#)))
///     }))
///     .build()?;
/// let value: serde_json::Value = client.post("/admin/query").send_json().await?;
/// assert_eq!(value, serde_json::json!({"goals": []}));
/// # Ok::<(), instantdb_http::Error>(())
/// # }).unwrap();
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
/// # }
/// ```
pub fn transport_fn<F, Fut>(f: F) -> FnTransport<F>
where
    F: Fn(http::Request<Body>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<http::Response<Body>, Error>> + Send + 'static,
{
    FnTransport { f }
}

/// The [`Transport`] returned by [`transport_fn`].
pub struct FnTransport<F> {
    f: F,
}

impl<F, Fut> Transport for FnTransport<F>
where
    F: Fn(http::Request<Body>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<http::Response<Body>, Error>> + Send + 'static,
{
    fn send(
        &self,
        request: http::Request<Body>,
    ) -> BoxFuture<'_, Result<http::Response<Body>, Error>> {
        Box::pin((self.f)(request))
    }
}

impl<F> fmt::Debug for FnTransport<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnTransport")
    }
}
