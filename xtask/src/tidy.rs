//! Repository rules that a reviewer would otherwise have to remember:
//! - every crate's root file opens with a `//!` doc saying what the crate is for;
//! - every publishable crate has a README.md that its root file includes as documentation, so the
//!   README's examples compile as doctests;
//! - every dependency in a crate manifest is justified by a comment (on the line above, or at the
//!   end of the line);
//! - no normal or build dependency of a publishable crate declares a `rust-version` above the
//!   crate's own (the workspace's), so the declared minimum is one the tree can really build with;
//! - `docs/ARCHITECTURE.md` stays a map (at most [`ARCHITECTURE_MAX_BYTES`]) and names every
//!   source file under `crates/*/src` in its crate's section, so a new module is placed on the map
//!   in the change that adds it.
//!
//! `cargo xtask tidy` runs them, and so does `cargo test -p xtask` (the `workspace_tidy` test), so
//! `cargo test --workspace` enforces them without a separate CI step.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

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
    problems.extend(architecture_problems(&root)?);
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

/// The map of the workspace, relative to the root.
const ARCHITECTURE: &str = "docs/ARCHITECTURE.md";

/// The size a newcomer reads in an hour; details belong in crate docs, `docs/divergences.md` and
/// the test binaries' `//!` headers.
const ARCHITECTURE_MAX_BYTES: usize = 25_000;

/// Checks `docs/ARCHITECTURE.md` against the source files under `crates/*/src`.
fn architecture_problems(root: &Path) -> Result<Vec<String>> {
    let doc = fs::read_to_string(root.join(ARCHITECTURE))
        .with_context(|| format!("reading {ARCHITECTURE}"))?;
    let mut crates = BTreeMap::new();
    for entry in fs::read_dir(root.join("crates")).context("reading crates/")? {
        let dir = entry?.path();
        let src = dir.join("src");
        if !src.is_dir() {
            continue;
        }
        let name = dir
            .file_name()
            .and_then(|name| name.to_str())
            .context("crate directory names are UTF-8")?
            .to_owned();
        let mut files = Vec::new();
        collect_rust_files(&src, &src, &mut files)?;
        files.sort();
        crates.insert(name, files);
    }
    Ok(map_problems(&doc, &crates))
}

/// Paths of the `.rs` files under `dir`, relative to `base`, with `/` separators.
fn collect_rust_files(base: &Path, dir: &Path, files: &mut Vec<String>) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path: PathBuf = entry?.path();
        if path.is_dir() {
            collect_rust_files(base, &path, files)?;
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let relative = path.strip_prefix(base).unwrap_or(&path);
            let parts: Vec<String> = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            files.push(parts.join("/"));
        }
    }
    Ok(())
}

/// The problems of the map `doc` given each crate directory's source files (relative to its
/// `src/`): its size, a crate without a section, a file its section does not name (as a
/// backticked path relative to `src/`, e.g. `` `parse/fast.rs` ``), and a file named on the
/// section's `Code:` line that does not exist.
fn map_problems(doc: &str, crates: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    let mut problems = Vec::new();
    if doc.len() > ARCHITECTURE_MAX_BYTES {
        problems.push(format!(
            "{ARCHITECTURE} is {} bytes, above {ARCHITECTURE_MAX_BYTES}: it is a map; move details \
             to crate docs, docs/divergences.md or the test binaries' `//!` headers",
            doc.len()
        ));
    }
    for (krate, files) in crates {
        let Some(section) = crate_section(doc, krate) else {
            problems.push(format!(
                "{ARCHITECTURE} has no section for crates/{krate}: add a `### `crates/{krate}`` \
                 heading with a `Code:` line naming its source files"
            ));
            continue;
        };
        for file in files {
            if !section.contains(&format!("`{file}`")) {
                problems.push(format!(
                    "crates/{krate}/src/{file} is not named in the `crates/{krate}` section of \
                     {ARCHITECTURE}: add `{file}` to that section's `Code:` line"
                ));
            }
        }
        let code_lines = section
            .lines()
            .filter(|line| line.trim_start().starts_with("Code:"));
        for line in code_lines {
            for named in line.split('`').skip(1).step_by(2) {
                if named.ends_with(".rs") && !files.iter().any(|file| file == named) {
                    problems.push(format!(
                        "the `crates/{krate}` section of {ARCHITECTURE} names `{named}` on its \
                         `Code:` line, but crates/{krate}/src/{named} does not exist"
                    ));
                }
            }
        }
    }
    problems
}

/// The text of the section whose heading names `` `crates/<krate>` ``, up to the next heading of
/// the same or a higher level.
fn crate_section<'doc>(doc: &'doc str, krate: &str) -> Option<&'doc str> {
    let wanted = format!("`crates/{krate}`");
    let mut offset = 0;
    let mut start = None;
    for line in doc.split_inclusive('\n') {
        let level = line.chars().take_while(|&c| c == '#').count();
        let is_heading = (1..=3).contains(&level) && line[level..].starts_with(' ');
        if is_heading {
            if let Some(begin) = start {
                return Some(&doc[begin..offset]);
            }
            if line.contains(&wanted) {
                start = Some(offset);
            }
        }
        offset += line.len();
    }
    start.map(|begin| &doc[begin..])
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

    fn crates(list: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        list.iter()
            .map(|(krate, files)| {
                let files = files.iter().map(|file| (*file).to_owned()).collect();
                ((*krate).to_owned(), files)
            })
            .collect()
    }

    const MAP: &str = "\
# Architecture

## Code map

### `crates/alpha`

The alpha crate; `lib.rs` re-exports.

Code: `lib.rs`, `parse/mod.rs`, `gone.rs`.

### `crates/beta` (not published)

Code: `lib.rs`, `beta.rs`.

## Cross-cutting concerns

`parse/fast.rs` is named here, outside alpha's section.
";

    #[test]
    fn the_map_names_every_source_file_in_its_crate_section() {
        let problems = map_problems(
            MAP,
            &crates(&[
                ("alpha", &["lib.rs", "parse/fast.rs", "parse/mod.rs"]),
                ("beta", &["beta.rs", "lib.rs"]),
                ("gamma", &["main.rs"]),
            ]),
        );
        assert_eq!(
            problems,
            [
                "crates/alpha/src/parse/fast.rs is not named in the `crates/alpha` section of \
                 docs/ARCHITECTURE.md: add `parse/fast.rs` to that section's `Code:` line",
                "the `crates/alpha` section of docs/ARCHITECTURE.md names `gone.rs` on its \
                 `Code:` line, but crates/alpha/src/gone.rs does not exist",
                "docs/ARCHITECTURE.md has no section for crates/gamma: add a `### `crates/gamma`` \
                 heading with a `Code:` line naming its source files",
            ],
        );
    }

    #[test]
    fn the_map_has_a_size_limit() {
        let long = format!("{MAP}{}", "x".repeat(ARCHITECTURE_MAX_BYTES));
        let problems = map_problems(&long, &BTreeMap::new());
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(problems[0].contains("above 25000"), "{problems:#?}");
    }

    /// `cargo test -p xtask` (and so `cargo test --workspace`) enforces the repository rules,
    /// not only `cargo xtask tidy`.
    #[test]
    fn workspace_tidy() {
        if let Err(err) = check() {
            panic!("{err:#}");
        }
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
