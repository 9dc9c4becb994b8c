//! The InstantDB schema model: entities, attributes, links and rooms, the `i` builder, the wire
//! JSON that `@instantdb/platform` sends, the API schema the server returns, validation,
//! permission rules and schema diffing.
//!
//! This crate is pure data and algorithms. It must not depend on anything that does IO or runs
//! async code: no tokio, hyper, rustls, or swc (the layering check in `cargo xtask ci` enforces it).
//! Randomness too stays outside: the diff takes an id generator for new attributes.
//!
//! Main types and where they live:
//! - [`SchemaDef`] and its parts (the model), built with [`i`], read and written as wire JSON
//!   with [`SchemaDef::from_wire_json`] / [`SchemaDef::to_wire_json`];
//! - [`ApiSchema`] (`{blobs, refs}`, what the server returns) and
//!   [`api_schema_to_schema_def`] / [`api_schema_to_attrs`] in [`api`];
//! - [`perms::Rules`], the `instant.perms.ts` object;
//! - [`validate_schema`] and [`collect_system_catalog_ident_names`];
//! - [`diff::diff_schemas`], [`diff::convert_tx_steps`] and the [`diff::PlanStep`]s they produce;
//! - [`locale_compare`], the name order of upstream's code generation;
//! - [`AppId`], the app id every client takes and the emulator hands out;
//! - [`js`], the JavaScript semantics (key order, number spelling, `JSON.stringify`, `typeof`,
//!   `uuid.validate`) that this crate, `instantdb-admin` and `instantdb-typescript` share.
//!
//! The definition of correct is the official TypeScript SDK (`@instantdb/core` and
//! `@instantdb/platform` 1.0.67): the same input gives the same bytes. Two JavaScript details
//! matter throughout: object keys that are array indices (`"0"`, `"10"`) enumerate first (see
//! [`js`]), and names sort by ICU collation, not by code point. Deliberate differences from upstream are
//! marked "Divergence" in the item docs.
//!
//! Neighbours: `instantdb-typescript` prints and parses these types as `instant.schema.ts` and
//! `instant.perms.ts`, `instantdb-platform` sends them, `instantdb-emulator` serves and applies
//! them.
#![doc = include_str!("../README.md")]

pub mod api;
mod app_id;
mod collation;
pub mod diff;
mod error;
pub mod i;
pub mod js;
mod model;
pub mod perms;
mod validate;
mod wire;

pub use api::{ApiAttr, ApiSchema, api_schema_to_attrs, api_schema_to_schema_def};
pub use app_id::AppId;
pub use collation::locale_compare;
pub use error::Error;
/// Ordered map used throughout the model (re-exported so users need not depend on `indexmap`).
pub use indexmap::IndexMap;
pub use model::{
    AttrDef, EntityDef, EntityLink, Has, LinkDef, LinkForward, LinkReverse, OnDelete, RoomDef,
    SchemaDef, ValueType,
};
pub use validate::{SystemCatalogIdentNames, collect_system_catalog_ident_names, validate_schema};
