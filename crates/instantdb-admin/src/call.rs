//! A request with no options: built by a method, run by [`Call::send`].

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

use crate::Error;

type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send>>;

/// A request that takes no options, ready to [`send`](Call::send) (or `.await` directly).
/// Nothing happens until it is awaited; dropping it sends nothing.
#[must_use = "a request does nothing until `send` is awaited"]
pub struct Call<T> {
    what: &'static str,
    future: BoxFuture<T>,
}

impl<T> Call<T> {
    pub(crate) fn new<F>(what: &'static str, future: F) -> Call<T>
    where
        F: Future<Output = Result<T, Error>> + Send + 'static,
    {
        Call {
            what,
            future: Box::pin(future),
        }
    }

    /// Sends the request.
    pub async fn send(self) -> Result<T, Error> {
        self.future.await
    }
}

impl<T: 'static> IntoFuture for Call<T> {
    type Output = Result<T, Error>;
    type IntoFuture = BoxFuture<T>;

    fn into_future(self) -> Self::IntoFuture {
        self.future
    }
}

impl<T> fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Call").field(&self.what).finish()
    }
}
