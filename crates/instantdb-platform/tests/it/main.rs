//! Integration tests of instantdb-platform against loopback servers: the scripted server of
//! `instantdb-test-support` for behaviour, and the local emulator for end-to-end flows. One
//! binary, so it links once.

// Helpers outside #[test] functions panic on purpose too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod apps;
mod auth;
mod backups;
mod dash;
mod e2e;
mod errors;
mod push;
mod support;
mod webhooks;
