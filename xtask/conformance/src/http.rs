//! `cargo xtask bench http`: requests per second of instantdb-http against Node's `fetch`, both
//! posting the same JSON to the same local hyper server in the same run.
//!
//! The server (instantdb-test-support's scripted server, recording off, one canned JSON answer)
//! runs in this process on its own runtime. Node's side is `conformance/js/http_bench.mjs`, a
//! timed loop of sequential keep-alive requests; ours is the criterion bench
//! `loopback_json_roundtrip` of instantdb-http, pointed at the server through
//! `INSTANTDB_BENCH_URL`. Node runs before and after criterion and the two rates are averaged,
//! so drift on a shared machine affects both sides alike. Prints the ratio; the target is ≥3×.

use std::process::Command;

use anyhow::{Context, Result, bail};
use instantdb_test_support::{Reply, ScriptedServer};
use serde_json::{Value, json};

use crate::node::{project_root, run_batch};

/// The request body and the answer, as in the criterion bench (an admin query and its tree).
fn request_body() -> Value {
    json!({"query": {"goals": {"todos": {}}}, "inference?": false})
}

fn response_body() -> Value {
    json!({"goals": [{"id": "11111111-1111-4111-8111-111111111111", "title": "Ship wire catalog",
        "todos": [{"id": "22222222-2222-4222-8222-222222222221", "text": "Record every request"}]}]})
}

pub(crate) fn bench(args: &[String]) -> Result<()> {
    let seconds: f64 = match args {
        [] => 3.0,
        [flag, value] if flag == "--seconds" => {
            value.parse().context("--seconds takes a number")?
        }
        _ => bail!("usage: bench http [--seconds N]"),
    };
    let server = ScriptedServer::start_on_own_thread(2);
    server.set_recording(false);
    server.set_fallback(Some(Reply::json(200, response_body())));
    let url = server.url();
    println!("http bench: server {url}, {seconds} s per measurement");

    let node_before = node_rps(&url, seconds)?;
    let ours = criterion_rps(&url, seconds)?;
    let node_after = node_rps(&url, seconds)?;
    let node = (node_before + node_after) / 2.0;
    let ratio = ours / node;
    println!("node fetch:     {node:>10.0} req/s (runs: {node_before:.0}, {node_after:.0})");
    println!("instantdb-http: {ours:>10.0} req/s (criterion mean)");
    println!(
        "http: ratio {ratio:.2}x node's requests/s (target >= 3x){}",
        if ratio >= 3.0 { "" } else { " -- BELOW TARGET" }
    );
    Ok(())
}

fn node_rps(url: &str, seconds: f64) -> Result<f64> {
    let input = json!({
        "url": format!("{url}/admin/query"),
        "body": request_body(),
        "warmupSeconds": 1,
        "seconds": seconds,
    });
    let answers = run_batch("http_bench.mjs", &[input])?;
    let answer = answers.first().context("no answer from http_bench.mjs")?;
    if let Some(err) = answer.get("error") {
        bail!("http_bench.mjs failed: {err}");
    }
    answer["ok"]["rps"]
        .as_f64()
        .context("http_bench.mjs answered without rps")
}

fn criterion_rps(url: &str, seconds: f64) -> Result<f64> {
    let home = crate::criterion::home("http");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(project_root())
        .args([
            "bench",
            "--quiet",
            "-p",
            "instantdb-http",
            "--bench",
            "loopback_json_roundtrip",
            "--",
            "--warm-up-time",
            "1",
            "--measurement-time",
        ])
        .arg(seconds.to_string())
        .env("INSTANTDB_BENCH_URL", url)
        .env("CRITERION_HOME", &home)
        .status()
        .context("running cargo bench")?;
    if !status.success() {
        bail!("cargo bench -p instantdb-http failed with {status}");
    }
    let mean_ns = crate::criterion::mean_ns(&home, "loopback_json_roundtrip/instantdb_http")?;
    Ok(1e9 / mean_ns)
}
