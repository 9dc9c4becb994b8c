//! When to retry, how long to wait, and how many retries a client may spend.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, header};

use crate::Error;

/// When a failed attempt is tried again and how long the client waits first.
///
/// The default retries only what is safe for any request:
/// - connection failures before anything was written (any request, even a transaction);
/// - HTTP 429, 502, 503 and 504, only for requests marked idempotent
///   ([`RequestBuilder::idempotent`](crate::RequestBuilder::idempotent); `GET`, `HEAD` and
///   `OPTIONS` are idempotent unless marked otherwise).
///
/// Timeouts and connections lost after the request was written are not retried, even for
/// idempotent requests, unless [`RetryPolicy::with_transport_errors_when_idempotent`] says so.
/// Transactions and schema pushes must never be marked idempotent: the server may have applied
/// them.
///
/// Waits grow exponentially from `initial_backoff` (×2 per retry, capped at `max_backoff`) with
/// "equal jitter" (a random point in the upper half), so clients that failed together do not
/// retry together. A `Retry-After` header (seconds or HTTP-date), or Instant's
/// `hint.retry-after` on a `rate-limited` error, replaces the computed wait; if it asks for
/// longer than `max_retry_after` the error is returned instead. The client's
/// [`RetryBudget`] caps retries across all requests.
///
/// ```
/// use std::time::Duration;
/// use instantdb_http::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .with_max_attempts(5)
///     .with_initial_backoff(Duration::from_millis(100));
/// assert_eq!(policy.max_attempts(), 5);
/// assert_eq!(RetryPolicy::none().max_attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    transport_errors_when_idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            transport_errors_when_idempotent: false,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> RetryPolicy {
        RetryPolicy::default().with_max_attempts(1)
    }

    /// Attempts in total, including the first (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> RetryPolicy {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the first retry.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> RetryPolicy {
        self.initial_backoff = backoff;
        self
    }

    /// The longest computed wait.
    pub fn with_max_backoff(mut self, backoff: Duration) -> RetryPolicy {
        self.max_backoff = backoff;
        self
    }

    /// The longest `Retry-After` the client waits for; a longer one ends the retries.
    pub fn with_max_retry_after(mut self, limit: Duration) -> RetryPolicy {
        self.max_retry_after = limit;
        self
    }

    /// Also retry idempotent requests after timeouts and connections lost mid-request.
    pub fn with_transport_errors_when_idempotent(mut self, retry: bool) -> RetryPolicy {
        self.transport_errors_when_idempotent = retry;
        self
    }

    /// Attempts in total, including the first.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether `error` (after attempt number `attempt`, 1-based) should be retried, and after
    /// how long. `None` means give up.
    pub(crate) fn retry_delay(
        &self,
        error: &Error,
        attempt: u32,
        idempotent: bool,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let retryable = error.is_transient_and_not_sent()
            || (idempotent
                && match error.status() {
                    Some(status) => matches!(status.as_u16(), 429 | 502 | 503 | 504),
                    None => {
                        self.transport_errors_when_idempotent
                            && error.is_transient()
                            && !error.is_connect()
                    }
                });
        if !retryable {
            return None;
        }
        match error.retry_after() {
            Some(wait) if wait > self.max_retry_after => None,
            Some(wait) => Some(wait),
            None => Some(self.backoff(attempt)),
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << (attempt - 1).min(20))
            .min(self.max_backoff);
        let half = exp / 2;
        half + half.mul_f64(random_unit())
    }
}

/// A random number in `[0, 1)`. Jitter needs no quality randomness, so the std hasher's
/// per-instance random keys stand in for a `rand` dependency.
fn random_unit() -> f64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// A cap on retries across all requests of one client, so a struggling server does not get
/// several times its normal load.
///
/// Each request deposits `ratio` of a token (default 0.2, i.e. retries add at most 20 % to the
/// traffic) and each retry spends one; the balance starts at, and never exceeds, `reserve`
/// (default 10), which lets a quiet client retry a short burst of failures.
///
/// ```
/// use instantdb_http::{Client, RetryBudget};
///
/// // A batch job that may retry up to 50 % extra requests, with a reserve of 20.
/// let client = Client::builder()
///     .base_url("http://localhost:8888")
///     .retry_budget(RetryBudget::new(0.5, 20))
///     .build()?;
/// # Ok::<(), instantdb_http::Error>(())
/// ```
#[derive(Debug)]
pub struct RetryBudget {
    ratio: f64,
    reserve: f64,
    balance: Mutex<f64>,
}

impl RetryBudget {
    /// A budget of `ratio` retries per request, with `reserve` tokens to start with.
    pub fn new(ratio: f64, reserve: u32) -> RetryBudget {
        let reserve = f64::from(reserve);
        RetryBudget {
            ratio: if ratio.is_finite() {
                ratio.max(0.0)
            } else {
                0.0
            },
            reserve,
            balance: Mutex::new(reserve),
        }
    }

    /// No limit beyond each request's own policy.
    pub fn unlimited() -> RetryBudget {
        RetryBudget::new(f64::INFINITY, u32::MAX)
    }

    pub(crate) fn deposit(&self) {
        if let Ok(mut balance) = self.balance.lock() {
            *balance = (*balance + self.ratio).min(self.reserve);
        }
    }

    pub(crate) fn withdraw(&self) -> bool {
        if self.ratio == 0.0 && self.reserve == 0.0 {
            return false;
        }
        match self.balance.lock() {
            Ok(mut balance) if *balance >= 1.0 => {
                *balance -= 1.0;
                true
            }
            _ => false,
        }
    }
}

impl Default for RetryBudget {
    fn default() -> RetryBudget {
        RetryBudget::new(0.2, 10)
    }
}

impl Clone for RetryBudget {
    /// A fresh budget with the same settings.
    fn clone(&self) -> RetryBudget {
        RetryBudget::new(self.ratio, self.reserve as u32)
    }
}

/// Parses `Retry-After` (delta-seconds or HTTP-date).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Statuses the default policy retries on idempotent requests.
#[cfg(test)]
const RETRIED: [http::StatusCode; 4] = [
    http::StatusCode::TOO_MANY_REQUESTS,
    http::StatusCode::BAD_GATEWAY,
    http::StatusCode::SERVICE_UNAVAILABLE,
    http::StatusCode::GATEWAY_TIMEOUT,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApiError;
    use http::StatusCode;

    fn status_error(status: StatusCode, retry_after: Option<&str>) -> Error {
        let mut headers = HeaderMap::new();
        if let Some(value) = retry_after {
            headers.insert(header::RETRY_AFTER, value.parse().unwrap());
        }
        Error::from_api(ApiError::from_body(status, headers, Default::default()))
    }

    #[test]
    fn statuses_are_retried_only_when_idempotent() {
        let policy = RetryPolicy::default();
        for status in RETRIED {
            let err = status_error(status, None);
            assert!(policy.retry_delay(&err, 1, true).is_some(), "{status}");
            assert!(policy.retry_delay(&err, 1, false).is_none(), "{status}");
            assert!(policy.retry_delay(&err, 3, true).is_none(), "{status}");
        }
        let err = status_error(StatusCode::INTERNAL_SERVER_ERROR, None);
        assert!(policy.retry_delay(&err, 1, true).is_none());
    }

    #[test]
    fn connect_errors_are_retried_for_any_request() {
        let err = Error::connect(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(RetryPolicy::default().retry_delay(&err, 1, false).is_some());
        assert!(RetryPolicy::none().retry_delay(&err, 1, false).is_none());
        let lost = Error::transport(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(RetryPolicy::default().retry_delay(&lost, 1, true).is_none());
        let policy = RetryPolicy::default().with_transport_errors_when_idempotent(true);
        assert!(policy.retry_delay(&lost, 1, true).is_some());
        assert!(policy.retry_delay(&lost, 1, false).is_none());
    }

    #[test]
    fn retry_after_wins_and_is_capped() {
        let policy = RetryPolicy::default().with_max_retry_after(Duration::from_secs(5));
        let err = status_error(StatusCode::SERVICE_UNAVAILABLE, Some("3"));
        assert_eq!(
            policy.retry_delay(&err, 1, true),
            Some(Duration::from_secs(3))
        );
        let err = status_error(StatusCode::SERVICE_UNAVAILABLE, Some("30"));
        assert_eq!(policy.retry_delay(&err, 1, true), None);
        let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
        let err = status_error(StatusCode::TOO_MANY_REQUESTS, Some(&date));
        let wait = policy.retry_delay(&err, 1, true).unwrap();
        assert!(
            wait <= Duration::from_secs(2) && wait >= Duration::from_millis(500),
            "{wait:?}"
        );
    }

    #[test]
    fn backoff_grows_with_jitter_and_cap() {
        let policy = RetryPolicy::default()
            .with_max_attempts(10)
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_millis(350));
        for attempt in 1..8 {
            let exp = (100u64 << (attempt - 1)).min(350);
            let wait = policy.backoff(attempt).as_millis() as u64;
            assert!(wait >= exp / 2 && wait <= exp, "attempt {attempt}: {wait}");
        }
    }

    #[test]
    fn budget_limits_retries() {
        let budget = RetryBudget::new(0.5, 2);
        assert!(budget.withdraw() && budget.withdraw());
        assert!(!budget.withdraw());
        budget.deposit();
        assert!(!budget.withdraw());
        budget.deposit();
        assert!(budget.withdraw());
        let unlimited = RetryBudget::unlimited();
        assert!((0..1000).all(|_| unlimited.withdraw()));
    }
}
