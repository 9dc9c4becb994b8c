//! Differential tests of instantdb-rs against the official TypeScript SDKs (`@instantdb/*` 1.0.67)
//! and benchmark comparisons with them.
//!
//! Run through `cargo xtask conformance [SUITE...]` and `cargo xtask bench SUITE`: the xtask
//! installs the npm packages under `target/conformance/npm` and passes that directory in
//! `INSTANTDB_NPM_DIR`. Each suite generates a seeded corpus, asks a Node driver in
//! `conformance/js/` for the official answers, computes ours in-process and prints
//! `<suite>: N passed, M failed`. Nothing here is published or used at runtime.

mod criterion;
mod emulator;
mod handwritten;
mod http;
mod node;
mod preserve;
mod schema;
mod tx;
mod typescript;
mod wire;

use std::process::ExitCode;

use anyhow::{Result, bail};

/// A differential suite: its name and the function that runs it and reports its tally.
type Suite = (&'static str, fn() -> Result<Tally>);

/// Every suite, in the order `all` runs them. Add a line here when a crate gains a suite.
const SUITES: &[Suite] = &[
    ("schema", schema::run),
    ("emulator", emulator::run),
    ("wire", wire::run),
    ("typescript", typescript::run),
    ("tx", tx::run),
];

/// A benchmark: its name and the function that runs it with the remaining arguments.
type Bench = (&'static str, fn(&[String]) -> Result<()>);

/// Benchmarks compared against the official SDK in the same run.
const BENCHES: &[Bench] = &[
    ("http", http::bench),
    ("typescript", typescript::bench),
    ("tx", tx::bench),
];

/// Pass/fail counts of one suite.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Tally {
    pub(crate) passed: usize,
    pub(crate) failed: usize,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("conformance") => run_suites(&args[1..]),
        Some("bench") => run_bench(&args[1..]),
        _ => {
            eprintln!("usage: conformance conformance [all|SUITE...] | bench SUITE [ARGS...]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("conformance: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_suites(names: &[String]) -> Result<()> {
    let selected: Vec<&Suite> = if names.is_empty() || names.iter().any(|n| n == "all") {
        SUITES.iter().collect()
    } else {
        names
            .iter()
            .map(|name| {
                SUITES
                    .iter()
                    .find(|(suite, _)| suite == name)
                    .ok_or_else(|| {
                        let known: Vec<_> = SUITES.iter().map(|(s, _)| *s).collect();
                        anyhow::anyhow!("unknown suite `{name}`; known: {known:?}")
                    })
            })
            .collect::<Result<_>>()?
    };
    let mut total = Tally::default();
    let mut failed_suites = Vec::new();
    for (name, suite) in selected {
        let tally = suite()?;
        println!("{name}: {} passed, {} failed", tally.passed, tally.failed);
        total.passed += tally.passed;
        total.failed += tally.failed;
        if tally.failed > 0 {
            failed_suites.push(*name);
        }
    }
    println!(
        "conformance: {} passed, {} failed",
        total.passed, total.failed
    );
    if !failed_suites.is_empty() {
        bail!("suites with failures: {}", failed_suites.join(", "));
    }
    Ok(())
}

fn run_bench(args: &[String]) -> Result<()> {
    let Some(name) = args.first() else {
        bail!("bench needs a suite name");
    };
    let Some((_, bench)) = BENCHES.iter().find(|(bench, _)| bench == name) else {
        let known: Vec<_> = BENCHES.iter().map(|(b, _)| *b).collect();
        bail!("unknown bench `{name}`; known: {known:?}");
    };
    bench(&args[1..])
}
