//! `cargo xtask ci`: every check CI makes, cheapest first so a failure shows up early.

use std::time::Instant;

use anyhow::Result;

use crate::{cargo, downstream, layering, project_root, run, tidy};

pub(crate) fn run_all() -> Result<()> {
    let root = project_root();
    let started = Instant::now();
    let step = |name: &str| eprintln!("\n==> {name} ({:.0?} so far)", started.elapsed());

    step("rustfmt");
    run(cargo()
        .current_dir(&root)
        .args(["fmt", "--all", "--", "--check"]))?;

    step("tidy");
    tidy::check()?;

    step("layering");
    layering::check()?;

    step("clippy");
    run(cargo().current_dir(&root).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]))?;

    step("tests");
    run(cargo()
        .current_dir(&root)
        .args(["test", "--workspace", "--locked"]))?;

    step("docs");
    run(cargo()
        .current_dir(&root)
        .args([
            "doc",
            "--workspace",
            "--no-deps",
            "--all-features",
            "--locked",
        ])
        .env("RUSTDOCFLAGS", "-D warnings"))?;

    step("public API");
    crate::public_api::check(false)?;

    // After the workspace's own checks: it resolves newer dependencies, so a failure here means
    // a dependency moved, not that this change broke something.
    step("downstream");
    downstream::check()?;

    step("conformance");
    crate::run_conformance("conformance", &["all".to_owned()])?;

    eprintln!("\nci: all checks passed in {:.0?}", started.elapsed());
    Ok(())
}
