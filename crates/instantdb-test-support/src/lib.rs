//! Test support for the instantdb-rs crates; never published, only ever a dev-dependency.
//!
//! - [`ScriptedServer`]: a real HTTP server on `127.0.0.1:0` that records every request and
//!   answers from a queue of canned [`Reply`]s, with faults ([`Fault`]: resets, early closes,
//!   truncated or invalid bodies, stalls, slow bodies, garbage instead of HTTP).
//! - [`ReplayTransport`]: the same queue and record in memory, plugged into
//!   `instantdb_http::ClientBuilder::transport`, for unit tests without sockets.
//! - [`WireCatalog`] / [`Scenario`]: `conformance/wire-catalog.jsonl`, the requests the official
//!   TypeScript SDKs send for each recorded scenario (`cargo xtask conformance record`); serve
//!   a scenario's canned responses, make the same call in Rust (from [`Scenario::call_arg`]
//!   where the scenario carries the call's arguments), then check the recorded requests against
//!   the catalog's, non-JSON bodies by SHA-256 and the framing where it is recorded.
//! - [`ConnectProxy`]: a forward proxy (CONNECT tunnels and absolute-form requests) that only
//!   reaches loopback destinations.
//! - [`PeakRss`]: how far the process's peak resident set rose over a span of work (Linux).
//!
//! It is a separate crate rather than a `test-support` feature of `instantdb-http` so that the
//! server side of hyper, the catalog loader and their dependencies never enter a user's build
//! or the published crate's API and semver, and so that every crate above `instantdb-http` can
//! share one copy. It depends on `instantdb-http` (for the `Transport` trait) and must not
//! depend on any API crate.
//!
//! Replaying a scenario:
//!
//! ```no_run
//! use instantdb_test_support::{ScriptedServer, WireCatalog};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let catalog = WireCatalog::load();
//! let scenario = catalog.scenario("platform.getApps");
//! let server = ScriptedServer::start().await;
//! server.serve_scenario(scenario);
//! // ... make the Rust call that corresponds to `scenario.call`, against server.url() ...
//! server.assert_scenario(scenario);
//! # }
//! ```

mod catalog;
mod proxy;
mod recorded;
mod replay;
mod reply;
mod rss;
mod server;

pub use catalog::{CheckOptions, Scenario, WireCatalog, sha256_hex};
pub use proxy::{ConnectProxy, ProxiedConnection};
pub use recorded::RecordedRequest;
pub use replay::ReplayTransport;
pub use reply::{Fault, Reply};
pub use rss::PeakRss;
pub use server::ScriptedServer;
