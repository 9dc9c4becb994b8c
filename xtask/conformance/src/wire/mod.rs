//! The `wire` suite: for every scenario of `conformance/wire-catalog.jsonl` (the requests the
//! official `@instantdb/platform` and `@instantdb/admin` 1.0.67 send), make the equivalent Rust
//! call against a scripted server serving the scenario's canned responses, then compare the
//! recorded requests with the catalog's (method, path, query, headers, JSON body; see
//! `instantdb_test_support::Scenario::check_requests`).
//!
//! Each group module (`platform`, `admin`, `oauth`) claims the scenarios it knows how to replay.
//! A scenario no group claims counts as a failure, so a new catalog entry cannot be skipped
//! silently; a scenario judged out of scope is listed with its reason (the reasons are also
//! recorded in docs/divergences.md).
//!
//! The catalog is the project's own recording (`cargo xtask conformance record`, see
//! `record.rs`): scenarios carrying `args` hold the TypeScript call's arguments, and replays build
//! their Rust call from those (`Scenario::call_arg`), so a wrong mapping from call to request
//! fails. Non-JSON bodies are compared by SHA-256 and the framing (`content-length` vs chunked)
//! where the catalog records it. `coverage.rs` adds one check: every public function of the
//! three client crates is exercised by a recorded scenario or has a written reason.

mod admin;
mod coverage;
mod oauth;
mod platform;

use std::future::Future;
use std::pin::Pin;

use anyhow::{Context, Result};
use instantdb_test_support::{Scenario, ScriptedServer, WireCatalog};

use crate::Tally;

/// What a group made of one scenario.
pub(crate) enum Outcome {
    /// Not this group's scenario.
    NotMine,
    /// The Rust call behaved like the official SDK.
    Pass,
    /// It did not; the text says how.
    Fail(String),
    /// Deliberately not replayed; the reason is printed and documented.
    OutOfScope(&'static str),
}

/// A group's replay function: given a scenario and a server already loaded with the scenario's
/// canned responses, make the Rust call and check it (usually with `scenario.check_requests`
/// plus a comparison of the call's result or error with `scenario.result` / `scenario.error`).
type Replay =
    for<'a> fn(&'a Scenario, &'a ScriptedServer) -> Pin<Box<dyn Future<Output = Outcome> + 'a>>;

/// Groups in the order they are asked; the first that does not answer `NotMine` owns the
/// scenario. `oauth` comes first because its scenarios are also named `platform.*`.
const GROUPS: &[(&str, Replay)] = &[
    ("oauth", |s, srv| Box::pin(oauth::replay(s, srv))),
    ("platform", |s, srv| Box::pin(platform::replay(s, srv))),
    ("admin", |s, srv| Box::pin(admin::replay(s, srv))),
];

pub(crate) fn run() -> Result<Tally> {
    let catalog = WireCatalog::load();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("building the tokio runtime")?;
    runtime.block_on(run_catalog(&catalog))
}

async fn run_catalog(catalog: &WireCatalog) -> Result<Tally> {
    let mut tallies: Vec<Tally> = vec![Tally::default(); GROUPS.len()];
    let mut unclaimed = Vec::new();
    let mut failures = Vec::new();
    let mut left_out = Vec::new();

    for scenario in catalog.scenarios() {
        let mut claimed = false;
        for (idx, (group, replay)) in GROUPS.iter().enumerate() {
            let server = ScriptedServer::start().await;
            server.push_all(scenario.replies(&server.url()));
            match replay(scenario, &server).await {
                Outcome::NotMine => continue,
                Outcome::Pass => tallies[idx].passed += 1,
                Outcome::Fail(why) => {
                    tallies[idx].failed += 1;
                    failures.push(format!("[{group}] {}: {why}", scenario.name));
                }
                Outcome::OutOfScope(reason) => {
                    left_out.push(format!("[{group}] {}: {reason}", scenario.name))
                }
            }
            claimed = true;
            break;
        }
        if !claimed {
            unclaimed.push(scenario.name.clone());
        }
    }

    let mut total = Tally::default();
    for ((group, _), tally) in GROUPS.iter().zip(&tallies) {
        println!("{group}: {} passed, {} failed", tally.passed, tally.failed);
        total.passed += tally.passed;
        total.failed += tally.failed;
    }
    total.failed += unclaimed.len();
    if !unclaimed.is_empty() {
        println!(
            "unclaimed (no Rust call replays them): {} failed",
            unclaimed.len()
        );
        for name in unclaimed.iter().take(20) {
            println!("  {name}");
        }
    }
    for line in &left_out {
        println!("left out: {line}");
    }
    // The coverage of the public API by recorded scenarios (wire/coverage.rs): one check.
    let coverage = coverage::check(catalog);
    if coverage.is_empty() {
        total.passed += 1;
    } else {
        total.failed += 1;
        for problem in &coverage {
            println!("coverage: {problem}");
        }
    }
    println!("total: {} passed, {} failed", total.passed, total.failed);
    for failure in failures.iter().take(10) {
        println!("FAIL {failure}");
    }
    Ok(total)
}
