//! End-to-end tests of the emulator over real HTTP on 127.0.0.1 (one test binary): error shapes,
//! InstaML and InstaQL semantics, users and magic codes, storage, impersonation, tokens and
//! scopes, additive and overwrite pushes with jobs, persistence across restarts, backups, the
//! OAuth provider, webhook deliveries, the CLI ticket login, and the load test (50 clients × 200
//! mixed requests: no error, no lost write, p99 printed).
//!
//! `cargo xtask conformance emulator` drives the official `@instantdb/platform` and
//! `@instantdb/admin` against a fresh emulator too (`conformance/js/emulator.mjs`).
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
