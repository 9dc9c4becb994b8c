//! Repository rules that a reviewer would otherwise have to remember:
//! - every crate's root file opens with a `//!` doc saying what the crate is for;
//! - every publishable crate has a README.md that its root file includes as documentation, so the
//!   README's examples compile as doctests;
//! - every dependency in a crate manifest is justified by a comment (on the line above, or at the
//!   end of the line);
//! - no normal or build dependency of a publishable crate declares a `rust-version` above the
//!   crate's own (the workspace's), so the declared minimum is one the tree can really build with.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::metadata::{Graph, Kinds};
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
    // Every feature on: a user may turn any of them on, and must still build with the declared
    // rust-version.
    problems.extend(rust_version_problems(&Graph::load(true)?));
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

/// Dependencies (normal and build, transitively: a user's compiler builds all of them) that
/// declare a higher `rust-version` than the publishable crate that pulls them in. Dev-dependencies
/// do not count: users never build them. Dependencies that declare no `rust-version` cannot be
/// checked this way.
fn rust_version_problems(graph: &Graph) -> Vec<String> {
    let mut problems = Vec::new();
    // (dependency, its version, its rust-version) → (crate, the crate's rust-version).
    let mut too_new: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    for (id, name) in graph.workspace_members() {
        let Some(krate) = graph.package(&id).filter(|krate| krate.publishable) else {
            continue;
        };
        let Some(ours) = krate.rust_version.as_deref() else {
            problems.push(format!(
                "{name}: publishable crate without `rust-version` (use `rust-version.workspace = true`)"
            ));
            continue;
        };
        let Some(our_version) = parse_rust_version(ours) else {
            problems.push(format!("{name}: cannot parse its rust-version {ours:?}"));
            continue;
        };
        for dep in graph.closure(&id, Kinds::NormalAndBuild) {
            let Some(package) = graph.package(&dep) else {
                continue;
            };
            let Some(theirs) = package.rust_version.as_deref() else {
                continue;
            };
            if parse_rust_version(theirs).is_none_or(|needed| needed > our_version) {
                too_new
                    .entry((
                        package.name.clone(),
                        package.version.clone(),
                        theirs.to_owned(),
                    ))
                    .or_default()
                    .push(format!("{name} ({ours})"));
            }
        }
    }
    for ((dep, version, needed), crates) in too_new {
        problems.push(format!(
            "`{dep}` {version} declares rust-version {needed}, above that of {}: raise \
             `rust-version` in the root Cargo.toml or pick an older `{dep}`",
            crates.join(", ")
        ));
    }
    problems
}

/// `1.89`, `1.89.0` → `[1, 89, 0]`.
fn parse_rust_version(text: &str) -> Option<[u64; 3]> {
    let mut parts = text.split('.').map(|part| part.parse::<u64>().ok());
    let version = [
        parts.next()??,
        parts.next()??,
        parts.next().unwrap_or(Some(0))?,
    ];
    parts.next().is_none().then_some(version)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn package(name: &str, rust_version: Option<&str>, publish: Option<Vec<&str>>) -> Value {
        json!({
            "id": name,
            "name": name,
            "version": "1.0.0",
            "rust_version": rust_version,
            "publish": publish,
        })
    }

    fn dep(name: &str, kind: Option<&str>) -> Value {
        json!({"pkg": name, "dep_kinds": [{"kind": kind, "target": null}]})
    }

    #[test]
    fn dependencies_newer_than_the_crate_are_reported() {
        let meta = json!({
            "packages": [
                package("ours", Some("1.85"), None),
                package("internal", Some("1.85"), Some(vec![])),
                package("fits", Some("1.85.0"), None),
                package("new", Some("1.89"), None),
                package("deep", Some("1.88.1"), None),
                package("builder", Some("1.90"), None),
                package("tester", Some("1.95"), None),
                package("unknown", None, None),
            ],
            "resolve": {"nodes": [
                {"id": "ours", "deps": [
                    dep("fits", None),
                    dep("new", None),
                    dep("builder", Some("build")),
                    dep("tester", Some("dev")),
                    dep("unknown", None),
                ]},
                {"id": "internal", "deps": [dep("new", None)]},
                {"id": "fits", "deps": [dep("deep", None)]},
                {"id": "new", "deps": []},
                {"id": "deep", "deps": []},
                {"id": "builder", "deps": []},
                {"id": "tester", "deps": []},
                {"id": "unknown", "deps": []},
            ]},
            "workspace_members": ["ours", "internal"],
        });
        let problems = rust_version_problems(&Graph::from_metadata(&meta).unwrap());
        let named: Vec<&str> = problems
            .iter()
            .map(|problem| problem.split('`').nth(1).unwrap_or(problem))
            .collect();
        // Sorted by name; `tester` is only a dev-dependency, `internal` is not published.
        assert_eq!(named, ["builder", "deep", "new"], "{problems:#?}");
        assert!(problems[2].contains("1.89, above that of ours (1.85)"));
    }

    #[test]
    fn rust_versions_compare_numerically() {
        assert_eq!(parse_rust_version("1.89"), Some([1, 89, 0]));
        assert_eq!(parse_rust_version("1.85.1"), Some([1, 85, 1]));
        assert!(parse_rust_version("1.100").unwrap() > parse_rust_version("1.99.9").unwrap());
        for bad in ["", "1", "1.x", "1.2.3.4", "1.89-nightly"] {
            assert_eq!(parse_rust_version(bad), None, "{bad}");
        }
    }
}
