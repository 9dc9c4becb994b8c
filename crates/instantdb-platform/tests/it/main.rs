//! Integration tests of instantdb-platform against loopback servers: the scripted server of
//! `instantdb-test-support` for behaviour, and the local emulator for end-to-end flows. One
//! binary, so it links once.
//!
//! - `auth`: a token refresh on each failure shape, `on_refresh`, a second failure, a refused
//!   refresh, concurrent failures sharing one refresh;
//! - `push`: pushes through waiting → processing → completed with an errored `unique` job and its
//!   samples, poll failures tolerated then fatal, a missing job, a time limit, no retry of the
//!   apply;
//! - `errors`: 400/404/429/500 and undecodable bodies mapped to `Error`;
//! - `apps`, `dash`: the app, org and `/dash/*` calls;
//! - `backups`: the storage listing split across chunks, truncated or malformed, and archives
//!   read back with the `zip` crate;
//! - `webhooks`: signatures, the key cache and handler dispatch;
//! - `e2e`: against the emulator: create with schema and rules, read back, additive and overwrite
//!   plans and pushes, a failing unique job over duplicate data, a rename, rules, webhooks,
//!   deletion, admin-token and scope limits, temporary apps.
//!
//! Binaries of their own: `tests/download_rss.rs` (256 MiB, peak RSS), `tests/zip64.rs` (a
//! 4.1 GiB archive), `tests/emulator_flows.rs` (backups and webhook deliveries the emulator
//! really makes).

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
