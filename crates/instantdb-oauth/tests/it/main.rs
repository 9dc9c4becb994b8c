//! Integration tests of instantdb-oauth, in one binary so it links once. Every server binds
//! 127.0.0.1 on port 0; nothing reaches the internet.
#![allow(clippy::unwrap_used)]

mod exchange;
mod loopback;
#[path = "../support/mod.rs"]
mod support;
