//! The load test: 50 concurrent clients × 200 mixed transact/query requests on loopback.
//!
//! Bounded in count (10,000 requests) and time (each request times out after 30 s). Every
//! request must succeed, every write must be visible at the end (no lost write), and the p99
//! latency is printed (`cargo test -p instantdb-emulator --test emulator load -- --nocapture`).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{AdminApp, emulator, uuid};

const CLIENTS: usize = 50;
const REQUESTS_PER_CLIENT: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_clients_two_hundred_requests_each() {
    let emu = emulator().await;
    let creds = emu.create_app("load").unwrap();
    let base = emu.base_url().to_owned();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let base = base.clone();
        let creds = creds.clone();
        tasks.push(tokio::spawn(async move {
            let mut app = AdminApp::new(&base, &creds);
            let mut latencies = Vec::with_capacity(REQUESTS_PER_CLIENT);
            let mut writes = 0usize;
            let mut errors = 0usize;
            for i in 0..REQUESTS_PER_CLIENT {
                let began = Instant::now();
                let reply = if i % 2 == 0 {
                    writes += 1;
                    let steps = json!([["update", "events", uuid(), { "client": client, "seq": i }]]);
                    app.post("/admin/transact", json!({ "steps": steps })).await
                } else {
                    let query = json!({ "events": { "$": { "where": { "client": client }, "limit": 10 } } });
                    app.post("/admin/query", json!({ "query": query })).await
                };
                latencies.push(began.elapsed());
                if reply.status != 200 {
                    errors += 1;
                }
            }
            (latencies, writes, errors)
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    let (mut writes, mut errors) = (0, 0);
    for task in tasks {
        let (l, w, e) = task.await.unwrap();
        latencies.extend(l);
        writes += w;
        errors += e;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let p = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let total = latencies.len();
    println!(
        "load: {total} requests ({writes} transacts), {errors} errors, {:.0} req/s, p50 {:?}, p99 {:?}, max {:?}",
        total as f64 / elapsed.as_secs_f64(),
        p(0.50),
        p(0.99),
        latencies[total - 1],
    );
    assert_eq!(total, CLIENTS * REQUESTS_PER_CLIENT);
    assert_eq!(errors, 0);
    let mut app = AdminApp::new(&base, &creds);
    let all = app.query(json!({ "events": {} })).await;
    assert_eq!(
        all["events"].as_array().unwrap().len(),
        writes,
        "no lost write"
    );
    for client in [0, CLIENTS - 1] {
        let mine = app
            .query(json!({ "events": { "$": { "where": { "client": client } } } }))
            .await;
        assert_eq!(
            mine["events"].as_array().unwrap().len(),
            REQUESTS_PER_CLIENT / 2
        );
    }
}
