//! The Rust SDK for InstantDB, as one crate.
//!
//! This crate has no logic of its own: it re-exports the workspace's crates so that users can take
//! everything with one dependency, or depend on the individual crates for a smaller build.
//! Heavy pieces sit behind cargo features.
#![doc = include_str!("../README.md")]

#[doc(inline)]
pub use instantdb_schema as schema;

/// The HTTP transport: client, base URL, errors, retries, SSE (feature `http`).
#[cfg(feature = "http")]
#[doc(inline)]
pub use instantdb_http as http;

/// The local Instant-compatible server for development and tests (feature `emulator`).
#[cfg(feature = "emulator")]
#[doc(inline)]
pub use instantdb_emulator as emulator;

/// `instant.schema.ts` / `instant.perms.ts` code generation and parsing (feature `typescript`).
#[cfg(feature = "typescript")]
#[doc(inline)]
pub use instantdb_typescript as typescript;

/// OAuth: scopes, tokens, the token endpoint and the loopback login (feature `oauth`).
#[cfg(feature = "oauth")]
#[doc(inline)]
pub use instantdb_oauth as oauth;

/// The admin API: InstaQL queries, the `tx` builder, auth, storage, presence, live queries
/// (feature `admin`).
#[cfg(feature = "admin")]
#[doc(inline)]
pub use instantdb_admin as admin;

/// Typed Rust from `instant.schema.ts` at compile time (feature `macros`): expands to the module
/// `instant codegen rust` writes, for the admin client's [typed API](admin::typed). See the
/// [typed Rust chapter](crate::guide_typed).
///
/// `schema!("instant.schema.ts")` reads the file relative to the crate's `Cargo.toml`; call it in
/// a module of its own: `mod db { instantdb::schema!("instant.schema.ts"); }`.
#[cfg(feature = "macros")]
pub use instantdb_macros::schema;

/// The platform API: apps, orgs, schema and permission pushes with progress, backups, webhooks
/// (feature `platform`).
#[cfg(feature = "platform")]
#[doc(inline)]
pub use instantdb_platform as platform;

/// Chapter: typed Rust from the app's schema (features `macros` or `admin` + `instant codegen
/// rust`).
#[cfg(feature = "macros")]
#[doc = include_str!("../docs/typed.md")]
pub mod guide_typed {}

/// The workspace README's examples, compiled and run as doctests of this crate (with every
/// feature, through the dev-dependency on itself) so the front page never shows code that does
/// not build.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct WorkspaceReadme;
