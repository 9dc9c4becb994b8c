//! Integration tests of instantdb-admin, one binary: requests against a scripted loopback
//! server (`wire`, `subscribe`, `storage`) and end-to-end flows against the local emulator
//! (`emulator`). The 1 GiB upload has its own binary (`tests/upload_1gib.rs`) so its memory
//! figure is not shared with other tests.
//!
//! - `wire`: headers and impersonation, 400 auth failures, missing users, `verify_token` without
//!   credentials, retries (never of a transaction), secrets kept out of errors;
//! - `subscribe`: the live-query scenario with refreshes, an error, a drop and a reconnect;
//! - `storage`: uploads of 0 and 1 byte, streams of a declared length;
//! - `emulator`: query, lookups, comparisons, auth and magic codes, storage, presence,
//!   impersonation with rules, the permission debuggers, live queries, the schema flags.

// Helpers outside #[test] functions panic on purpose too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod emulator;
mod storage;
mod subscribe;
mod support;
mod wire;
