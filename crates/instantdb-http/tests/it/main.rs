//! Integration tests of instantdb-http over real loopback sockets (127.0.0.1, port 0), against
//! the scripted server of instantdb-test-support. One binary, so it links once.
//!
//! - `json`: JSON requests and answers, base URLs, keep-alive, expected statuses, streamed and
//!   replayable bodies;
//! - `errors`: Instant's error envelope, statuses and undecodable bodies;
//! - `timeouts`: total, connect and idle-read timeouts;
//! - `retries`: what is retried (connection failures, 429/502/503/504 on idempotent requests),
//!   `Retry-After`, the retry budget, and what never is (500s, one-pass streams);
//! - `sse`: Instant's event stream, edge cases split byte by byte, broken and refused streams;
//! - `proxy_tls`: TLS with HTTP/2 and HTTP/1.1, and the CONNECT proxy;
//! - `secrets`: tokens never in `Debug`, `Display`, errors or logs;
//! - `faults`: a matrix of 13 fault kinds (resets, truncated bodies, stalls…), idempotent or not;
//! - `public_api`: no hyper or rustls type in the public signatures (what
//!   `cargo check-external-types` would check, without a nightly toolchain).
//!
//! The 256 MiB streaming upload has its own binary (`tests/upload_rss.rs`).

// Helpers outside #[test] functions panic on purpose too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod errors;
mod faults;
mod json;
mod proxy_tls;
mod public_api;
mod retries;
mod secrets;
mod sse;
mod support;
mod timeouts;
