//! Integration tests of instantdb-oauth, in one binary so it links once. Every server binds
//! 127.0.0.1 on port 0; nothing reaches the internet.
//!
//! - `exchange`: the token endpoint's grants, token info and revocation, replayed from the wire
//!   catalog's token requests, and malformed or refused answers;
//! - `loopback`: logins end to end against a stand-in authorization server that redirects a
//!   simulated browser with a real 302 and checks the PKCE verifier: a state mismatch, a missing
//!   code, error redirects, a timeout, a second callback, non-loopback hosts, a taken port.
//!
//! Secrets in tracing output are checked by `tests/logs.rs`, alone in its binary; flows against
//! the emulator are in `tests/emulator.rs`.
#![allow(clippy::unwrap_used)]

mod exchange;
mod loopback;
#[path = "../support/mod.rs"]
mod support;
