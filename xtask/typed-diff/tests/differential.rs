//! Runs the generated checks: every typed query and transaction of the 200 generated schemas
//! must send exactly the bytes of the untyped call written with the Instant names.

use instantdb_admin::instaql::{Cond, InstaQl, Order, Select, Where};
use instantdb_admin::typed::{self as rt, Entity};
use instantdb_admin::{TransactionChunk, lookup, tx};
use serde_json::{Value, json};

const ID: &str = "7b4a8e2c-3d7f-4b8a-9c1e-2f3a4b5c6d7e";
const ID2: &str = "0c9d8e7f-6a5b-4c3d-8e1f-0a1b2c3d4e5f";

/// The body bytes of a query, or its local validation error.
fn query_bytes(query: InstaQl) -> Result<String, String> {
    query
        .build()
        .map(|json| json.to_string())
        .map_err(|err| err.to_string())
}

fn same_query<E: Entity>(typed: rt::Select<E>, untyped: InstaQl) {
    assert_eq!(query_bytes(typed.into_instaql()), query_bytes(untyped));
}

/// The steps as sent (`TransactionChunk`'s `Serialize`), or the chunk's error.
fn tx_bytes(chunk: TransactionChunk) -> Result<String, String> {
    chunk.steps().map_err(|err| err.to_string())?;
    serde_json::to_string(&chunk).map_err(|err| err.to_string())
}

fn same_tx<E: Entity>(typed: rt::Tx<E>, untyped: TransactionChunk) {
    assert_eq!(tx_bytes(typed.into()), tx_bytes(untyped));
}

/// Untyped arguments as a JSON object (the `json!` of the generated checks).
fn obj(value: Value) -> Value {
    value
}

include!(concat!(env!("OUT_DIR"), "/schemas.rs"));

#[test]
fn typed_calls_send_the_untyped_bytes() {
    assert_eq!(check_all(), 200);
}
