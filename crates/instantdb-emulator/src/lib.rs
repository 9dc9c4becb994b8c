//! A local, in-process server that speaks InstantDB's admin and platform HTTP APIs, so Rust
//! users, tests and the `instant dev` command can work without an account or a network.
//!
//! It is an independent implementation of the server side: it must not depend on the
//! workspace's client crates (`instantdb-http`, `instantdb-platform`, `instantdb-admin`) or
//! share their request/response types, so that a casing or shape bug in a client cannot hide
//! behind both sides agreeing. It shares only the schema model of `instantdb-schema`, into which
//! it reads the wire schema with its own code. It never prints: magic codes "sent" by email go
//! to `tracing` and to [`Emulator::subscribe_mail`].
//!
//! Main types: [`Emulator`] (a running server on 127.0.0.1, stopped on drop), built by
//! [`EmulatorBuilder`]; [`AppCredentials`] from [`Emulator::create_app`]; [`Error`]. The clients
//! of `instantdb-platform` and `instantdb-admin`, and the official TypeScript SDKs, talk to it
//! through [`Emulator::base_url`]. `crates/instantdb-emulator/ARCHITECTURE.md` maps the code.
#![doc = include_str!("../README.md")]

mod admin;
mod auth;
mod clock;
mod crypto;
mod emulator;
mod error;
mod jobs;
mod persist;
mod platform;
mod rules;
mod server;
mod storage;
mod store;

pub use emulator::{
    AppCredentials, DEFAULT_MAX_BODY_BYTES, Emulator, EmulatorBuilder, OAuthClientCredentials,
    OAuthConsent,
};
pub use error::Error;
pub use server::SentMagicCode;
