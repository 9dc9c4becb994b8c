//! The HTTP transport of the InstantDB SDK: base URL, auth headers, JSON, typed errors,
//! timeouts, safe retries, streaming bodies and server-sent events, on hyper 1, hyper-util and
//! rustls (ring).
//!
//! This crate knows HTTP and Instant's error envelope, and nothing about Instant's endpoints: it
//! must not depend on `instantdb-schema` or any API crate. No hyper, hyper-util or rustls type
//! appears in its public API (`tests/public_api.rs` checks it); the vocabulary is the `http`
//! crate's (`Method`, `StatusCode`, `HeaderMap`) plus this crate's own types.
//!
//! A [`Client`] holds a [`BaseUrl`], default headers, timeouts, a [`RetryPolicy`] and a
//! [`Transport`]; requests are built with [`RequestBuilder`] and come back as a [`Response`]
//! or an [`Error`] whose [`ApiError`] keeps Instant's `{type, message, hint, trace-id}`.
//! [`Secret`] keeps tokens out of logs. [`SseStream`] parses `text/event-stream` bodies.
//! `instantdb-platform`, `instantdb-admin` and `instantdb-oauth` build on it; their tests use
//! the scripted servers of `instantdb-test-support` or [`transport_fn`].
#![doc = include_str!("../README.md")]

mod base_url;
mod body;
mod call;
mod client;
mod error;
mod headers;
mod hyper_transport;
mod options;
mod predicates;
mod proxy;
mod request;
mod response;
mod retry;
mod secret;
mod settings;
mod sse;
mod transport;

pub use base_url::{ApiPath, BaseUrl, DEFAULT_API_URI};
pub use body::{Body, BodyStream};
pub use call::{Call, CallFuture};
pub use client::{Client, ClientBuilder, IntoBaseUrl, PROTOCOL_VERSION};
pub use error::{ApiError, BoxError, Error};
pub use options::RequestOptions;
pub use proxy::Proxy;
pub use request::RequestBuilder;
pub use response::Response;
pub use retry::{RetryBudget, RetryPolicy};
pub use secret::Secret;
#[doc(hidden)]
pub use settings::__private;
pub use settings::ClientSettings;
pub use sse::{SseEvent, SseParser, SseStream};
pub use transport::{BoxFuture, FnTransport, Transport, transport_fn};

/// The `http` crate, whose types (`Method`, `StatusCode`, `HeaderMap`, `Request`, `Response`)
/// this crate's API uses.
pub use http;
