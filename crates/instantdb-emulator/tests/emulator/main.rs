//! End-to-end tests of the emulator over real HTTP on 127.0.0.1 (one test binary).
//!
//! The client in `support.rs` is a few lines of raw hyper on purpose: these tests must not use
//! the workspace's client crates, whose wire code the emulator is meant to check.

// Helpers outside `#[test]` functions panic on purpose: a panic is the test's failure report.
#![allow(clippy::unwrap_used)]

mod admin;
mod architecture;
mod backups;
mod dash;
mod hardening;
mod load;
mod oauth;
mod persistence;
mod platform;
mod support;
mod webhooks;
