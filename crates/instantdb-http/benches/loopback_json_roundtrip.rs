//! `loopback_json_roundtrip`: requests per second of a JSON POST and its decoded JSON answer over
//! one keep-alive connection to a local hyper server.
//!
//! Run alone with `cargo bench -p instantdb-http --bench loopback_json_roundtrip`, or through
//! `cargo xtask bench http`, which starts the server itself (passing its URL in
//! `INSTANTDB_BENCH_URL`) and runs Node's `fetch` against the same server in the same run.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use instantdb_http::{Client, Proxy};
use instantdb_test_support::{Reply, ScriptedServer};
use serde_json::{Value, json};

/// The request body: an admin query.
pub fn request_body() -> Value {
    json!({"query": {"goals": {"todos": {}}}, "inference?": false})
}

/// The answer: a small object tree, like `/admin/query` returns.
pub fn response_body() -> Value {
    json!({"goals": [{"id": "11111111-1111-4111-8111-111111111111", "title": "Ship wire catalog",
        "todos": [{"id": "22222222-2222-4222-8222-222222222221", "text": "Record every request"}]}]})
}

fn roundtrip(c: &mut Criterion) {
    // Keep the server alive for the whole run when we start it ourselves.
    let (url, _server) = match std::env::var("INSTANTDB_BENCH_URL") {
        Ok(url) => (url, None),
        Err(_) => {
            let server = ScriptedServer::start_on_own_thread(1);
            server.set_recording(false);
            server.set_fallback(Some(Reply::json(200, response_body())));
            (server.url(), Some(server))
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = Client::builder()
        .base_url(url.as_str())
        .proxy(Proxy::none())
        .build()
        .expect("client");
    let body = request_body();
    let mut group = c.benchmark_group("loopback_json_roundtrip");
    group.throughput(Throughput::Elements(1));
    group.bench_function("instantdb_http", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let value: Value = client
                    .post("/admin/query")
                    .json(&body)
                    .send_json()
                    .await
                    .expect("round trip");
                value
            })
        })
    });
    group.finish();
}

criterion_group!(benches, roundtrip);
criterion_main!(benches);
