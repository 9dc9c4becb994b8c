//! Building a 100-chunk transaction with the `tx` builder and serializing the request body,
//! the work `AdminClient::transact` does before the network. `cargo xtask bench tx` runs this
//! and the official `@instantdb/admin` (`tx` proxies, `getOps`, `JSON.stringify`) on the same
//! transaction and prints the ratios.
//!
//! The arguments are given the two ways Rust code gives them: `tx_100_chunks` with the
//! caller's own `Serialize` structs (the counterpart of the JS object literals), and
//! `tx_100_chunks_json` with `json!` values, which cost a tree of maps to build and free before
//! the SDK sees them. Both send the same bytes as the official SDK.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use instantdb_admin::{Chunks, Lookup, TransactionChunk, lookup, tx};
use serde::Serialize;
use serde_json::json;

/// The body `AdminClient::transact` posts (its private `TransactBody`): the chunks serialize as
/// their steps, written straight from the arguments, as the client does.
#[derive(Serialize)]
struct Body<'a> {
    steps: &'a Chunks,
    #[serde(rename = "throw-on-missing-attrs?")]
    throw_on_missing_attrs: bool,
}

/// `{ title, priority, done, meta: { tags, n } }`.
#[derive(Serialize)]
struct Goal {
    title: String,
    priority: usize,
    done: bool,
    meta: Meta,
}

#[derive(Serialize)]
struct Meta {
    tags: [&'static str; 2],
    n: usize,
}

/// `{ todos: [todo], owner: lookup(...) }`.
#[derive(Serialize)]
struct GoalLinks<'a> {
    todos: [&'a str; 1],
    owner: Lookup,
}

/// The benchmark transaction; `conformance/js/tx.mjs` (`bench`) builds the same one.
fn transaction(ids: &[(String, String)]) -> Chunks {
    ids.iter()
        .enumerate()
        .map(|(n, (goal, todo))| {
            let update = Goal {
                title: format!("Goal {n}"),
                priority: n,
                done: false,
                meta: Meta {
                    tags: ["a", "b"],
                    n,
                },
            };
            let links = GoalLinks {
                todos: [todo],
                owner: lookup("email", "alyssa@example.com"),
            };
            tx("goals", goal.as_str()).update(&update).link(&links)
        })
        .collect::<Vec<TransactionChunk>>()
        .into()
}

/// [`transaction`] with `json!` arguments.
fn transaction_json(ids: &[(String, String)]) -> Chunks {
    ids.iter()
        .enumerate()
        .map(|(n, (goal, todo))| {
            tx("goals", goal.as_str())
                .update(json!({
                    "title": format!("Goal {n}"),
                    "priority": n,
                    "done": false,
                    "meta": {"tags": ["a", "b"], "n": n}
                }))
                .link(json!({"todos": [todo], "owner": lookup("email", "alyssa@example.com")}))
        })
        .collect::<Vec<TransactionChunk>>()
        .into()
}

fn body(chunks: &Chunks) -> Vec<u8> {
    serde_json::to_vec(&Body {
        steps: chunks,
        throw_on_missing_attrs: false,
    })
    .expect("serializable body")
}

fn benches(c: &mut Criterion) {
    let ids: Vec<(String, String)> = (0..100)
        .map(|n| {
            (
                format!("11111111-1111-4111-8111-{n:012}"),
                format!("22222222-2222-4222-8222-{n:012}"),
            )
        })
        .collect();
    assert_eq!(body(&transaction(&ids)), body(&transaction_json(&ids)));
    c.bench_function("tx_100_chunks", |b| {
        b.iter(|| body(&transaction(black_box(&ids))))
    });
    c.bench_function("tx_100_chunks_json", |b| {
        b.iter(|| body(&transaction_json(black_box(&ids))))
    });
}

criterion_group!(tx_bench, benches);
criterion_main!(tx_bench);
