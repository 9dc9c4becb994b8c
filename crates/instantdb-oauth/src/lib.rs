//! OAuth for Instant's platform API: typed scopes and tokens, and the token endpoint's code,
//! refresh, token-info and revoke calls.
//!
//! This crate knows Instant's OAuth endpoints (`/platform/oauth/*`) and nothing else of the
//! platform API: it depends on `instantdb-http` for transport, secrets and the error
//! envelope, and must not depend on `instantdb-platform` (which depends on it for token
//! refresh) or on `instantdb-schema`. It never names a host: the server is the
//! [`instantdb_http::Client`]'s base URL, [`instantdb_http::DEFAULT_API_URI`] by default.
//!
//! [`Scope`] and [`Scopes`] are the six scopes and a set of them (a write scope allows the
//! read scope of its area). [`TokenSet`] is what a grant returns, [`TokenInfo`] what the
//! token-info endpoint says. The server helpers [`exchange_code_for_token`] and
//! [`exchange_refresh_token`] match upstream's `serverOAuth.ts` requests byte for byte but
//! report HTTP errors as [`Error`]s; [`token_info`] and [`revoke_token`] complete the set.
#![doc = include_str!("../README.md")]

mod client;
mod error;
mod exchange;
mod loopback;
mod pkce;
mod scope;
mod token;

pub use client::{AUTHORIZE_PATH, OAuthClient, OAuthClientBuilder, PendingAuthorization};
pub use error::{Error, ErrorKind};
pub use exchange::{
    ClientCredentials, REVOKE_PATH, TOKEN_INFO_PATH, TOKEN_PATH, exchange_code_for_token,
    exchange_refresh_token, revoke_token, token_info,
};
pub use loopback::{DEFAULT_LOGIN_TIMEOUT, LoopbackListener, LoopbackLogin};
pub use scope::{Scope, Scopes};

/// A call with nothing left to set but per-call options ([`exchange_refresh_token`],
/// [`OAuthClient::token_info`]…); await it directly or through `send()`. See
/// [`instantdb_http::Call`].
pub type Call<T> = instantdb_http::Call<T, Error>;

/// Transport and per-call settings the client and its calls take.
pub use instantdb_http::{Proxy, RequestOptions, RetryPolicy, Secret};
pub use token::{TOKEN_EXPIRY_MARGIN, TokenInfo, TokenSet};
