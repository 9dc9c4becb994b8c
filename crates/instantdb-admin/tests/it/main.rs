//! Integration tests of instantdb-admin, one binary: requests against a scripted loopback
//! server (`wire`, `subscribe`, `storage`) and end-to-end flows against the local emulator
//! (`emulator`). The 1 GiB upload has its own binary (`tests/upload_1gib.rs`) so its memory
//! figure is not shared with other tests.

// Helpers outside #[test] functions panic on purpose too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod emulator;
mod storage;
mod subscribe;
mod support;
mod wire;
