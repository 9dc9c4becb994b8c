//! The admin API of InstantDB: InstaQL queries (raw JSON or the typed [`instaql`] builder),
//! InstaML transactions with the [`tx`] builder, auth, storage, room presence, live queries
//! over server-sent events, and the permission debuggers. The Rust counterpart of
//! `@instantdb/admin`, sending the same requests as its version 1.0.67.
//!
//! This crate knows the admin endpoints and their JSON; it must not depend on hyper, rustls or
//! any other transport crate directly (only on `instantdb-http`), nor on the platform, OAuth or
//! emulator crates. It does no IO besides HTTP and reading upload files.
//!
//! [`AdminClient`] is the entry point: [`AdminClient::query`], [`AdminClient::transact`],
//! [`AdminClient::subscribe_query`], [`AdminClient::auth`], [`AdminClient::storage`],
//! [`AdminClient::rooms`], and [`AdminClient::as_user`] to act as a user. The crate follows the
//! SDK's client convention (the same as `instantdb-platform` and `instantdb-oauth`): a client
//! built by [`AdminClientBuilder`], calls that return owned request builders (in [`builder`],
//! or the generic [`Call`]) with per-call [`RequestOptions`] that can be awaited with or
//! without `.send()`, and one [`Error`] with an [`ErrorKind`]. The transport is
//! `instantdb-http`; an optional [`instantdb_schema::SchemaDef`] switches on local validation
//! and the schema-dependent flags. `instantdb-emulator` serves the same API locally.
#![doc = include_str!("../README.md")]

mod auth;
mod call;
mod client;
mod cookie;
mod debug;
mod error;
pub mod instaql;
mod plain_json;
mod query;
mod rooms;
mod storage;
mod subscribe;
mod transact;
mod tx;
pub mod typed;
mod user;
mod validate;
mod wire;

pub use auth::{Auth, SignedIn, UserRef};
pub use call::Call;
pub use client::{AdminClient, AdminClientBuilder, Impersonate, PROTOCOL_VERSION};
pub use cookie::{InstantRouteHandler, RouteResponse};
pub use debug::{QueryPermsCheck, TransactPermsCheck};
pub use error::{Error, ErrorKind};
pub use query::Query;
pub use rooms::{PresenceSession, Rooms};
pub use storage::{FileInfo, Storage, StorageObject, UploadBody, UploadedFile};
pub use subscribe::{PageInfo, QueryUpdate, Reconnect, SessionInfo, Subscription};
pub use transact::TxId;
pub use tx::{
    Args, Chunks, EntityId, Lookup, TransactionChunk, UpdateOpts, date, id, lookup, raw_step, tx,
};
pub use user::User;

/// The request builders the client's methods return. Each ends with `.send()` or `.await`, and
/// takes per-call [`RequestOptions`] with `with_options`.
pub mod builder {
    pub use crate::auth::{CreateTokenRequest, UserFromRequest, VerifyMagicCodeRequest};
    pub use crate::debug::{QueryPermsCheckRequest, TransactPermsCheckRequest};
    pub use crate::query::QueryRequest;
    pub use crate::storage::UploadRequest;
    pub use crate::subscribe::SubscribeRequest;
    pub use crate::transact::TransactRequest;
}

/// Tokens are [`Secret`]s: never shown by `Debug` or `Display`.
pub use instantdb_http::Secret;
/// Transport and per-call settings the client and its calls take.
pub use instantdb_http::{Proxy, RequestOptions, RetryPolicy};
/// The app id every client takes.
pub use instantdb_schema::AppId;
