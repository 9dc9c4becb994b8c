//! Building a 100-chunk transaction with the `tx` builder and serializing the request body,
//! the work `AdminClient::transact` does before the network. `cargo xtask bench tx` runs this
//! and the official `@instantdb/admin` (`tx` proxies, `getOps`, `JSON.stringify`) on the same
//! transaction and prints the ratio.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use instantdb_admin::{Chunks, TransactionChunk, lookup, tx};
use serde_json::json;

/// The benchmark transaction; `conformance/js/tx.mjs` (`bench`) builds the same one.
fn transaction(ids: &[(String, String)]) -> Chunks {
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

fn benches(c: &mut Criterion) {
    let ids: Vec<(String, String)> = (0..100)
        .map(|n| {
            (
                format!("11111111-1111-4111-8111-{n:012}"),
                format!("22222222-2222-4222-8222-{n:012}"),
            )
        })
        .collect();
    c.bench_function("tx_100_chunks", |b| {
        b.iter(|| {
            let steps = transaction(black_box(&ids))
                .into_steps()
                .expect("valid steps");
            serde_json::to_vec(&json!({"steps": steps, "throw-on-missing-attrs?": false}))
                .expect("serializable body")
        })
    });
}

criterion_group!(tx_bench, benches);
criterion_main!(tx_bench);
