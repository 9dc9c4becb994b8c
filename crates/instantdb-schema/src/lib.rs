//! The InstantDB schema model: entities, attributes, links and rooms, the `i` builder, the wire
//! JSON that `@instantdb/platform` sends, the API schema the server returns, validation,
//! permission rules and schema diffing.
//!
//! This crate is pure data and algorithms. It must not depend on anything that does IO or runs
//! async code: no tokio, hyper, rustls, or swc (the layering check in `cargo xtask ci` enforces it).
//!
//! Main types: [`SchemaDef`] (entities, links, rooms) built with the `i` builder; its wire JSON
//! (what `@instantdb/platform` sends) and the API schema the server returns (`{blobs, refs}`).
//! Neighbours: `instantdb-typescript` prints and parses these types as `instant.schema.ts`,
//! `instantdb-platform` sends them, `instantdb-emulator` serves them.
#![doc = include_str!("../README.md")]

pub mod api;
mod collation;
pub mod diff;
mod error;
pub mod i;
mod jsorder;
mod model;
pub mod perms;
mod validate;
mod wire;

pub use api::{ApiAttr, ApiSchema, api_schema_to_attrs, api_schema_to_schema_def};
pub use collation::locale_compare;
pub use error::Error;
/// Ordered map used throughout the model (re-exported so users need not depend on `indexmap`).
pub use indexmap::IndexMap;
pub use model::{
    AttrDef, EntityDef, EntityLink, Has, LinkDef, LinkForward, LinkReverse, OnDelete, RoomDef,
    SchemaDef, ValueType,
};
pub use validate::{SystemCatalogIdentNames, collect_system_catalog_ident_names, validate_schema};
