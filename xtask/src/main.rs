//! The repository's task runner, in the style of rust-analyzer's xtask.
//!
//! `.cargo/config.toml` aliases `cargo xtask` to `cargo run -p xtask --`, so every task works on a
//! fresh clone with nothing installed but cargo (and Node.js/npm for the differential tests).
//! Paths are computed from `CARGO_MANIFEST_DIR`, so tasks work from any directory.
//!
//! Tasks:
//! - `ci`: everything CI checks, in order of cost: fmt, tidy, layering, clippy, tests, docs,
//!   public API, downstream, conformance. This is the test command named in README.md.
//! - `layering`: fails if a crate depends on something its layer forbids (the allow-list in
//!   `layering.rs`).
//! - `tidy`: repository rules (crate docs, commented dependencies, dependencies' rust-version,
//!   the architecture map naming every source file).
//! - `public-api [--bless]`: the client crates' public API against `crates/*/public-api.txt`.
//! - `downstream`: builds the facade with every feature as a user's project would, with the
//!   newest semver-compatible dependencies, and fails on any warning from our crates.
//!
//! `tidy` and `layering` are also `#[test]`s of this crate, so `cargo test --workspace` enforces
//! them.
//! - `conformance [SUITE]`: installs the official npm packages under `target/` and runs the
//!   differential suites of `xtask/conformance` against them.
//! - `bench SUITE`: criterion benchmarks compared with the official SDK in the same run.
//! - `npm`: only installs the official packages.

mod ci;
mod downstream;
mod layering;
mod metadata;
mod npm;
mod public_api;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

const USAGE: &str = "\
usage: cargo xtask <task>
  ci                      fmt, tidy, layering, clippy, test, doc, public API, downstream, conformance
  layering                check the crate layering allow-list with `cargo metadata`
  tidy                    check repository rules (crate docs, commented dependencies, rust-version,
                          docs/ARCHITECTURE.md names every source file)
  public-api [--bless]    compare the client crates' public API with their snapshots
  downstream              build the facade as a user would (newest compatible dependencies) and
                          fail on any warning from our crates (needs crates.io)
  conformance [SUITE...]  differential tests against the official TypeScript SDKs (default: all)
  bench SUITE [ARGS...]   benchmarks with the official SDK measured in the same run
  npm                     install the official npm packages under target/conformance/npm";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::run_all(),
        Some("layering") => layering::check(),
        Some("tidy") => tidy::check(),
        Some("public-api") => public_api::check(args.get(1).is_some_and(|a| a == "--bless")),
        Some("downstream") => downstream::check(),
        Some("conformance") => run_conformance("conformance", &args[1..]),
        Some("bench") if args.len() > 1 => run_conformance("bench", &args[1..]),
        Some("npm") => npm::install().map(|_| ()),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Installs the npm packages, then hands the task to the `conformance` binary, which owns the
/// corpora, the Node drivers and the comparisons. Keeping them out of this crate keeps `cargo
/// xtask` quick to build and working even while a library crate does not compile.
fn run_conformance(task: &str, args: &[String]) -> Result<()> {
    let npm_dir = npm::install()?;
    let release = task == "bench";
    let mut cmd = cargo();
    cmd.current_dir(project_root())
        .args(["run", "--quiet", "--locked"]);
    if release {
        cmd.arg("--release");
    }
    cmd.args([
        "--package",
        "xtask-conformance",
        "--bin",
        "conformance",
        "--",
    ])
    .arg(task)
    .args(args)
    .env("INSTANTDB_NPM_DIR", &npm_dir);
    run(&mut cmd)
}

/// The workspace root, whatever the current directory.
pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// `cargo` as invoked by the user (rustup proxies set `CARGO`).
pub(crate) fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs a command with inherited stdio and fails with the command line if it fails.
pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    eprintln!("$ {shown}");
    let status = cmd
        .status()
        .with_context(|| format!("could not start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}
