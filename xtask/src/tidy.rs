//! Repository rules that a reviewer would otherwise have to remember:
//! - every crate's root file opens with a `//!` doc saying what the crate is for;
//! - every publishable crate has a README.md that its root file includes as documentation, so the
//!   README's examples compile as doctests;
//! - every dependency in a crate manifest is justified by a comment (on the line above, or at the
//!   end of the line).

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::project_root;

pub(crate) fn check() -> Result<()> {
    let root = project_root();
    let mut problems = Vec::new();
    let mut manifests = vec![
        root.join("xtask/Cargo.toml"),
        root.join("xtask/conformance/Cargo.toml"),
    ];
    for entry in fs::read_dir(root.join("crates")).context("reading crates/")? {
        manifests.push(entry?.path().join("Cargo.toml"));
    }
    let mut n_crates = 0;
    for manifest in manifests.iter().filter(|path| path.exists()) {
        n_crates += 1;
        check_crate(manifest, &mut problems)?;
    }
    if !problems.is_empty() {
        bail!(
            "tidy found {} problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        );
    }
    eprintln!("tidy: ok ({n_crates} crates)");
    Ok(())
}

fn check_crate(manifest: &Path, problems: &mut Vec<String>) -> Result<()> {
    let dir = manifest.parent().context("manifest has a parent")?;
    let text =
        fs::read_to_string(manifest).with_context(|| format!("reading {}", manifest.display()))?;
    let shown = manifest
        .strip_prefix(project_root())
        .unwrap_or(manifest)
        .display()
        .to_string();

    // Dependencies must carry a reason.
    let mut section = String::new();
    let mut previous = "";
    for (idx, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed.to_owned();
        } else if is_dependency_section(&section)
            && !trimmed.is_empty()
            && !trimmed.starts_with('#')
            && trimmed.contains('=')
            && !previous.trim_start().starts_with('#')
            && !trimmed.contains(" # ")
        {
            problems.push(format!(
                "{shown}:{}: dependency without a comment saying why: {trimmed}",
                idx + 1
            ));
        }
        previous = line;
    }

    // Crate docs.
    let root_file = ["src/lib.rs", "src/main.rs"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.exists());
    let publishable = !text.contains("publish = false");
    match root_file {
        None => problems.push(format!("{shown}: no src/lib.rs or src/main.rs")),
        Some(path) => {
            let source = fs::read_to_string(&path)?;
            let shown_src = path
                .strip_prefix(project_root())
                .unwrap_or(&path)
                .display()
                .to_string();
            if !source.trim_start().starts_with("//!") {
                problems.push(format!("{shown_src}: must open with a `//!` crate doc (what it is for, what it must not depend on)"));
            }
            if publishable && path.ends_with("lib.rs") {
                if !dir.join("README.md").exists() {
                    problems.push(format!("{shown}: publishable crate without README.md"));
                } else if !source.contains("include_str!(\"../README.md\")") {
                    problems.push(format!("{shown_src}: must include README.md as docs (`#![doc = include_str!(\"../README.md\")]`) so its examples are doctests"));
                }
            }
        }
    }
    Ok(())
}

fn is_dependency_section(section: &str) -> bool {
    // `[dependencies.foo]` tables are not covered: their keys are settings, not dependencies.
    section
        .trim_matches(|c| c == '[' || c == ']')
        .ends_with("dependencies")
}
