//! Helpers shared by the integration tests.

use std::time::Duration;

use instantdb_http::{ClientBuilder, Proxy, RetryPolicy};
use instantdb_test_support::ScriptedServer;

/// A client for `server`, ignoring proxy variables, with fast retries so tests stay quick.
pub(crate) fn client(server: &ScriptedServer) -> ClientBuilder {
    client_for(&server.url())
}

/// A client for `url` with the test defaults.
pub(crate) fn client_for(url: &str) -> ClientBuilder {
    instantdb_http::Client::builder()
        .base_url(url)
        .proxy(Proxy::none())
        .retry_policy(fast_retries())
}

/// The default policy, with millisecond backoffs.
pub(crate) fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(5))
        .with_max_backoff(Duration::from_millis(20))
}

/// An address on which nothing listens (bound, then released).
pub(crate) async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}
