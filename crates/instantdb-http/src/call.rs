//! The one request type of every call that takes no arguments beyond the method's.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

use crate::RequestOptions;

/// A boxed, sendable future of a call's result.
pub type CallFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'static>>;

type Start<T, E> = Box<dyn FnOnce(RequestOptions) -> CallFuture<T, E> + Send + 'static>;

/// A request with nothing left to set but per-call [`RequestOptions`]: the return type of every
/// simple call of the client crates (each re-exports it as `Call<T>` with its own error type).
///
/// Nothing is sent until it is awaited, with or without [`send`](Call::send); dropping it sends
/// nothing. It owns everything it needs, so it can be moved into a spawned task.
///
/// ```
/// use instantdb_http::{Call, RequestOptions};
/// use std::time::Duration;
///
/// # async fn example() {
/// let call: Call<u32, std::io::Error> = Call::new("answer", |options: RequestOptions| async move {
///     // A client crate builds and sends its request here, applying `options`.
///     let _ = options;
///     Ok(42)
/// });
/// let answer = call.with_options(RequestOptions::new().timeout(Duration::from_secs(1))).await;
/// assert_eq!(answer.unwrap(), 42);
/// # }
/// ```
#[must_use = "a request does nothing until it is awaited"]
pub struct Call<T, E> {
    what: &'static str,
    options: RequestOptions,
    start: Start<T, E>,
}

impl<T: 'static, E: 'static> Call<T, E> {
    /// A call named `what` (shown by `Debug`) that runs `start` with the per-call options when
    /// awaited.
    pub fn new<F, Fut>(what: &'static str, start: F) -> Call<T, E>
    where
        F: FnOnce(RequestOptions) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        Call {
            what,
            options: RequestOptions::default(),
            start: Box::new(move |options| Box::pin(start(options))),
        }
    }

    /// A call that fails with `error` when awaited (an input refused before anything is sent,
    /// reported where the caller awaits, like every other failure).
    pub fn fail(what: &'static str, error: E) -> Call<T, E>
    where
        T: Send,
        E: Send,
    {
        Call::new(what, move |_| async move { Err(error) })
    }

    /// Per-call settings (timeout, retry policy), replacing earlier ones.
    pub fn with_options(mut self, options: RequestOptions) -> Call<T, E> {
        self.options = options;
        self
    }

    /// Sends the request.
    pub async fn send(self) -> Result<T, E> {
        self.into_future().await
    }

    /// Changes the result with `f` once it arrives (for crates that wrap a sibling's call).
    pub fn map<U: 'static>(self, f: impl FnOnce(T) -> U + Send + 'static) -> Call<U, E>
    where
        T: Send,
        E: Send,
    {
        let Call {
            what,
            options,
            start,
        } = self;
        Call {
            what,
            options,
            start: Box::new(move |options| {
                let future = start(options);
                Box::pin(async move { future.await.map(f) })
            }),
        }
    }
}

impl<T: 'static, E: 'static> IntoFuture for Call<T, E> {
    type Output = Result<T, E>;
    type IntoFuture = CallFuture<T, E>;

    fn into_future(self) -> Self::IntoFuture {
        (self.start)(self.options)
    }
}

impl<T, E> fmt::Debug for Call<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("what", &self.what)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Implements [`IntoFuture`] for request builders that have an `async fn send(self)`, so
/// `.await` works with or without `.send()` on every request of every client crate.
///
/// ```ignore
/// instantdb_http::into_future!(QueryRequest => serde_json::Value, Error);
/// ```
#[macro_export]
macro_rules! into_future {
    ($($builder:ty => $output:ty, $error:ty);+ $(;)?) => {
        $(
            impl ::std::future::IntoFuture for $builder {
                type Output = ::std::result::Result<$output, $error>;
                type IntoFuture = $crate::CallFuture<$output, $error>;

                fn into_future(self) -> Self::IntoFuture {
                    ::std::boxed::Box::pin(self.send())
                }
            }
        )+
    };
}
