//! The typed-vs-untyped differential of the admin API: `build.rs` generates 200 schemas, their
//! typed modules (with `instantdb-rustgen`) and, for each, typed queries and transactions next
//! to the untyped calls they must equal byte for byte; `tests/differential.rs` runs them.
//!
//! Not published; depends on `instantdb-admin` (the runtime and the untyped API) and, at build
//! time, on `instantdb-rustgen` and `instantdb-schema` only.
