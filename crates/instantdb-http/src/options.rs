//! Per-call settings, shared by every client crate's request builders.

use std::time::Duration;

use crate::{RequestBuilder, RetryPolicy};

/// Per-call settings: what a request builder's `with_options` takes, in every client crate.
///
/// Unset fields keep the client's settings.
///
/// ```
/// use std::time::Duration;
/// use instantdb_http::{RequestOptions, RetryPolicy};
///
/// let options = RequestOptions::new()
///     .timeout(Duration::from_secs(5))
///     .retry_policy(RetryPolicy::none());
/// assert_eq!(options.get_timeout(), Some(Some(Duration::from_secs(5))));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[must_use]
pub struct RequestOptions {
    timeout: Option<Option<Duration>>,
    retry_policy: Option<RetryPolicy>,
}

impl RequestOptions {
    /// No overrides: the client's settings.
    pub fn new() -> RequestOptions {
        RequestOptions::default()
    }

    /// The total time allowed per HTTP attempt (`None`: no limit).
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> RequestOptions {
        self.timeout = Some(timeout.into());
        self
    }

    /// The retry policy of this call's requests. Only requests that are safe to repeat are
    /// retried on HTTP 429/502/503/504 whatever the policy: reads and idempotent calls, never a
    /// transaction, a schema push or a create.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> RequestOptions {
        self.retry_policy = Some(policy);
        self
    }

    /// The timeout override, if any (`Some(None)`: no limit).
    pub fn get_timeout(&self) -> Option<Option<Duration>> {
        self.timeout
    }

    /// The retry policy override, if any.
    pub fn get_retry_policy(&self) -> Option<&RetryPolicy> {
        self.retry_policy.as_ref()
    }

    /// Applies the overrides to `request`.
    pub fn apply(&self, mut request: RequestBuilder) -> RequestBuilder {
        if let Some(timeout) = self.timeout {
            request = request.timeout(timeout);
        }
        if let Some(policy) = &self.retry_policy {
            request = request.retry_policy(policy.clone());
        }
        request
    }
}
