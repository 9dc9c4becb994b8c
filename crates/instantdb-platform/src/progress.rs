//! A long-running call that can be awaited for its result and watched as a stream of progress
//! reports: the Rust shape of upstream's `ProgressPromise`.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::Error;

type BoxedRun<T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send>>;

/// A running operation (a schema push, a backup download) that is both a [`Future`] of its
/// result and a [`Stream`] of progress reports.
///
/// Nothing happens until it is polled: either await it directly (the reports are dropped), or
/// read the reports as a stream until it ends and then await it for the result, which is ready
/// by then. Polling the stream drives the operation; there is no background task.
///
/// ```no_run
/// use futures_util::StreamExt;
///
/// # async fn example(api: instantdb_platform::PlatformClient, schema: instantdb_schema::SchemaDef) -> Result<(), instantdb_platform::Error> {
/// // Just the result:
/// let result = api.schema_push("2d9f…", &schema).send().await?;
///
/// // Progress, then the result:
/// let mut push = api.schema_push("2d9f…", &schema).send();
/// while let Some(status) = push.next().await {
///     println!("{}", status.friendly_description);
/// }
/// let result = push.await?;
/// # Ok(())
/// # }
/// ```
///
/// Unread reports are buffered up to a limit (see each operation); past it the oldest are
/// dropped, so a caller that only awaits the result never accumulates them.
#[must_use = "an operation does nothing unless awaited or polled as a stream"]
pub struct ProgressFuture<S, T> {
    run: Option<BoxedRun<T>>,
    reports: Arc<Reports<S>>,
    outcome: Option<Result<T, Error>>,
}

struct Reports<S> {
    queue: Mutex<VecDeque<S>>,
    capacity: usize,
}

impl<S> Reports<S> {
    fn lock(&self) -> MutexGuard<'_, VecDeque<S>> {
        // A panic while holding the lock cannot leave the queue inconsistent.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The operation's side of a [`ProgressFuture`]: where it puts its reports.
pub(crate) struct ProgressSender<S> {
    reports: Arc<Reports<S>>,
}

impl<S> Clone for ProgressSender<S> {
    fn clone(&self) -> Self {
        ProgressSender {
            reports: self.reports.clone(),
        }
    }
}

impl<S> ProgressSender<S> {
    /// Queues a report, dropping the oldest one when the buffer is full.
    pub(crate) fn send(&self, report: S) {
        let mut queue = self.reports.lock();
        if queue.len() >= self.reports.capacity {
            queue.pop_front();
        }
        queue.push_back(report);
    }
}

impl<S, T> ProgressFuture<S, T>
where
    S: Send + 'static,
    T: Send + 'static,
{
    /// Wraps an operation built by `start`, which receives the sender for its reports.
    pub(crate) fn new<F, Fut>(capacity: usize, start: F) -> ProgressFuture<S, T>
    where
        F: FnOnce(ProgressSender<S>) -> Fut,
        Fut: Future<Output = Result<T, Error>> + Send + 'static,
    {
        let reports = Arc::new(Reports {
            queue: Mutex::new(VecDeque::new()),
            capacity: capacity.max(1),
        });
        let run = start(ProgressSender {
            reports: reports.clone(),
        });
        ProgressFuture {
            run: Some(Box::pin(run)),
            reports,
            outcome: None,
        }
    }

    /// An operation that failed before it started.
    pub(crate) fn failed(err: Error) -> ProgressFuture<S, T> {
        ProgressFuture::new(1, move |_| async move { Err(err) })
    }
}

impl<S, T> ProgressFuture<S, T> {
    /// Whether the operation has finished (its result is ready to be awaited).
    pub fn is_finished(&self) -> bool {
        self.run.is_none()
    }

    fn drive(&mut self, cx: &mut Context<'_>) {
        if let Some(run) = self.run.as_mut()
            && let Poll::Ready(outcome) = run.as_mut().poll(cx)
        {
            self.run = None;
            self.outcome = Some(outcome);
        }
    }
}

// The result is stored by value and never pinned; the operation itself is boxed.
impl<S, T> Unpin for ProgressFuture<S, T> {}

impl<S, T> Stream for ProgressFuture<S, T> {
    type Item = S;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S>> {
        let this = self.get_mut();
        if let Some(report) = this.reports.lock().pop_front() {
            return Poll::Ready(Some(report));
        }
        this.drive(cx);
        if let Some(report) = this.reports.lock().pop_front() {
            return Poll::Ready(Some(report));
        }
        if this.run.is_none() {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }
}

impl<S, T> Future for ProgressFuture<S, T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.drive(cx);
        // Nobody is reading the reports: do not keep them.
        this.reports.lock().clear();
        match this.outcome.take() {
            Some(outcome) => Poll::Ready(outcome),
            None if this.run.is_none() => Poll::Ready(Err(Error::invalid_input(
                "the operation's result was already taken",
            ))),
            None => Poll::Pending,
        }
    }
}

impl<S, T> fmt::Debug for ProgressFuture<S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProgressFuture")
            .field("finished", &self.run.is_none())
            .field("buffered_reports", &self.reports.lock().len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[tokio::test]
    async fn stream_then_result() {
        let mut op = ProgressFuture::new(16, |tx| async move {
            for i in 0..3 {
                tx.send(i);
                tokio::task::yield_now().await;
            }
            Ok::<_, Error>("done")
        });
        let mut seen = Vec::new();
        while let Some(report) = op.next().await {
            seen.push(report);
        }
        assert_eq!(seen, [0, 1, 2]);
        assert!(op.is_finished());
        assert_eq!(op.await.unwrap(), "done");
    }

    #[tokio::test]
    async fn awaiting_drops_reports_and_a_full_buffer_drops_the_oldest() {
        let op = ProgressFuture::new(2, |tx| async move {
            for i in 0..100 {
                tx.send(i);
            }
            Ok::<_, Error>(7)
        });
        assert_eq!(op.await.unwrap(), 7);

        let mut op = ProgressFuture::new(2, |tx| async move {
            for i in 0..5 {
                tx.send(i);
            }
            Ok::<_, Error>(())
        });
        let seen: Vec<i32> = (&mut op).collect().await;
        assert_eq!(seen, [3, 4]);
        op.await.unwrap();
    }

    #[tokio::test]
    async fn errors_come_through_the_future() {
        let mut op: ProgressFuture<(), ()> = ProgressFuture::failed(Error::missing_auth());
        assert!(op.next().await.is_none());
        assert!(op.await.unwrap_err().is_missing_auth());
    }
}
