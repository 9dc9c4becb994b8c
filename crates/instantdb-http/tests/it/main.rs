//! Integration tests of instantdb-http over real loopback sockets (127.0.0.1, port 0), against
//! the scripted server of instantdb-test-support. One binary, so it links once.

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
