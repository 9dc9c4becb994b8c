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
mod record;
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

/// The committed minimum number of checks of the suites whose size is not fixed by a constant
/// next to them: a suite that runs fewer checks than this fails, so a catalog line, a corpus
/// case or an emulator check cannot disappear unnoticed. Raise a figure when a suite grows
/// (the run prints the current count); lowering one is a reviewed decision.
const MIN_CHECKS: &[(&str, usize)] = &[
    ("wire", WIRE_MIN),
    ("tx", TX_MIN),
    ("emulator", EMULATOR_MIN),
];
const WIRE_MIN: usize = 166;
const TX_MIN: usize = 300;
const EMULATOR_MIN: usize = 277;

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
        Some("conformance") if args.get(1).map(String::as_str) == Some("record") => {
            record::run(&args[2..])
        }
        Some("conformance") => run_suites(&args[1..]),
        Some("bench") => run_bench(&args[1..]),
        _ => {
            eprintln!(
                "usage: conformance conformance [all|SUITE...|record [--check]] | bench SUITE [ARGS...]"
            );
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
        let mut tally = suite()?;
        println!("{name}: {} passed, {} failed", tally.passed, tally.failed);
        if let Some(problem) = below_minimum(name, tally) {
            println!("{name}: {problem}");
            tally.failed += 1;
        }
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

/// Whether a suite ran fewer checks than its committed minimum ([`MIN_CHECKS`]).
fn below_minimum(name: &str, tally: Tally) -> Option<String> {
    let (_, min) = MIN_CHECKS.iter().find(|(suite, _)| *suite == name)?;
    let checks = tally.passed + tally.failed;
    (checks < *min).then(|| {
        format!("ran {checks} checks, fewer than the committed minimum {min} (MIN_CHECKS)")
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suite_below_its_committed_minimum_fails() {
        let short = Tally {
            passed: TX_MIN - 1,
            failed: 0,
        };
        assert!(below_minimum("tx", short).is_some());
        let full = Tally {
            passed: TX_MIN,
            failed: 0,
        };
        assert!(below_minimum("tx", full).is_none());
        // Suites without a pinned figure are not judged.
        assert!(below_minimum("schema", short).is_none());
    }

    #[test]
    fn the_pinned_suites_exist() {
        for (name, _) in MIN_CHECKS {
            assert!(SUITES.iter().any(|(suite, _)| suite == name), "{name}");
        }
    }
}
